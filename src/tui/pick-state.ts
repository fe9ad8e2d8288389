/**
 * A list of rows to pick from with Enter: the finding groups, one group's findings, the leak
 * rows. The rows are data; the state is the window over them.
 */
import type { KeyAction } from './keymap.js';
import { emptyWindow, navigate, recount, resize, type ListWindow } from './window.js';

export interface PickState<Row> {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly win: ListWindow;
}

export type PickAction = { type: 'key'; action: KeyAction } | { type: 'resize'; height: number };

export function initialPick<Row>(title: string, rows: readonly Row[], height: number): PickState<Row> {
  return { title, rows, win: recount(emptyWindow(height), rows.length, 0) };
}

export function pickReducer<Row>(s: PickState<Row>, a: PickAction): PickState<Row> {
  if (a.type === 'resize') return { ...s, win: resize(s.win, a.height) };
  const moved = navigate(s.win, a.action);
  return moved === null || moved === s.win ? s : { ...s, win: moved };
}

export const picked = <Row>(s: PickState<Row>): Row | undefined => s.rows[s.win.cursor];
