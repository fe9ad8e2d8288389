/**
 * A list of rows to pick from with Enter: the finding groups, one group's findings, the leak
 * rows. The rows are data; the state is the window over them.
 */
import type { KeyAction } from './keymap.js';
import { emptyWindow, moveBy, moveTo, recount, resize, type ListWindow } from './window.js';

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
  const page = Math.max(1, s.win.height - 1);
  const to = (win: ListWindow) => (win === s.win ? s : { ...s, win });
  switch (a.action) {
    case 'cursor.up': return to(moveBy(s.win, -1));
    case 'cursor.down': return to(moveBy(s.win, 1));
    case 'page.up': return to(moveBy(s.win, -page));
    case 'page.down': return to(moveBy(s.win, page));
    case 'cursor.first': return to(moveTo(s.win, 0));
    case 'cursor.last': return to(moveTo(s.win, s.win.count - 1));
    default: return s;
  }
}

export const picked = <Row>(s: PickState<Row>): Row | undefined => s.rows[s.win.cursor];
