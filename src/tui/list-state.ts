/**
 * The flow list: filter, quick toggles, sort and the window of rows on screen. A pure reducer
 * over a FlowTable; no React here.
 */
import { FilterError, compileFilter } from '../analysis/filter.js';
import { SORT_COLUMNS, columnOrder, notClosed, type FlowTable, type SortColumn } from './flow-table.js';
import type { KeyAction } from './keymap.js';
import { emptyWindow, navigate, recount, resize, type ListWindow } from './window.js';

export interface ListState {
  /** The flows this list is about (the connections behind a leak row), or null for all. */
  readonly scope: { title: string; ids: Int32Array } | null;
  /** The applied filter expression ('' for none) and which flows pass it (null: all). */
  readonly filter: string;
  readonly mask: Uint8Array | null;
  /** The expression being typed after `/`, or null. */
  readonly draft: string | null;
  /** Why the last expression was refused. */
  readonly error: string | null;
  readonly onlyAnomalies: boolean;
  readonly onlyOpen: boolean;
  readonly sort: SortColumn;
  readonly desc: boolean;
  /** Flow ids shown, in order. */
  readonly ids: Int32Array;
  readonly win: ListWindow;
}

export type ListAction =
  | { type: 'key'; action: KeyAction }
  | { type: 'type'; text: string }
  | { type: 'resize'; height: number };

/** Flow ids after scope, filter and toggles, sorted; the cursor stays on the same flow when it can. */
function refresh(t: FlowTable, s: ListState): ListState {
  // walk the column's order (computed once per column) and keep the flows that pass
  let inScope: Uint8Array | null = null;
  if (s.scope !== null) {
    inScope = new Uint8Array(t.count);
    for (const id of s.scope.ids) inScope[id] = 1;
  }
  const order = columnOrder(t, s.sort);
  const n = order.length;
  const keep = new Int32Array(s.scope?.ids.length ?? n);
  let k = 0;
  for (let j = 0; j < n; j++) {
    const id = order[s.desc ? n - 1 - j : j];
    if (inScope !== null && inScope[id] === 0) continue;
    if (s.mask !== null && s.mask[id] === 0) continue;
    if (s.onlyAnomalies && t.findings[id] === 0) continue;
    if (s.onlyOpen && !notClosed(t, id)) continue;
    keep[k++] = id;
  }
  const ids = keep.slice(0, k);
  const current = s.ids.length > 0 ? s.ids[s.win.cursor] : -1;
  const at = current < 0 ? -1 : ids.indexOf(current);
  return { ...s, ids, win: recount(s.win, ids.length, at < 0 ? 0 : at) };
}

export function initialList(t: FlowTable, height: number, scope: ListState['scope'] = null): ListState {
  return refresh(t, {
    scope, filter: '', mask: null, draft: null, error: null, onlyAnomalies: false, onlyOpen: false,
    sort: 'id', desc: false, ids: new Int32Array(0), win: emptyWindow(height),
  });
}

/** Which flows pass an expression; throws FilterError. */
function maskOf(t: FlowTable, expr: string): Uint8Array {
  const test = compileFilter(expr);
  const mask = new Uint8Array(t.count);
  for (let id = 0; id < t.count; id++) if (test(t.facts(id))) mask[id] = 1;
  return mask;
}

export function selectedFlow(s: ListState): number | null {
  return s.ids.length === 0 ? null : s.ids[s.win.cursor];
}

export function listReducer(t: FlowTable, s: ListState, a: ListAction): ListState {
  if (a.type === 'resize') return { ...s, win: resize(s.win, a.height) };
  if (a.type === 'type') return s.draft === null ? s : { ...s, draft: s.draft + a.text, error: null };
  const moved = navigate(s.win, a.action);
  if (moved !== null) return { ...s, win: moved };
  switch (a.action) {
    case 'filter.start': return { ...s, draft: s.filter, error: null };
    case 'filter.cancel': return { ...s, draft: null, error: null };
    case 'filter.erase': return s.draft === null ? s : { ...s, draft: s.draft.slice(0, -1), error: null };
    case 'filter.clear': return s.draft === null ? s : { ...s, draft: '', error: null };
    case 'filter.apply': {
      if (s.draft === null) return s;
      const expr = s.draft.trim();
      if (expr === '') return refresh(t, { ...s, draft: null, filter: '', mask: null, error: null });
      try {
        return refresh(t, { ...s, draft: null, filter: expr, mask: maskOf(t, expr), error: null });
      } catch (e) {
        if (e instanceof FilterError) return { ...s, error: e.message };
        throw e;
      }
    }
    case 'sort.next': case 'sort.prev': {
      const i = SORT_COLUMNS.indexOf(s.sort) + (a.action === 'sort.next' ? 1 : -1);
      const sort = SORT_COLUMNS[(i + SORT_COLUMNS.length) % SORT_COLUMNS.length];
      // numbers and findings read best largest first
      const desc = ['packets', 'bytes', 'duration', 'findings'].includes(sort);
      return refresh(t, { ...s, sort, desc });
    }
    case 'sort.reverse': return refresh(t, { ...s, desc: !s.desc });
    case 'toggle.anomalies': return refresh(t, { ...s, onlyAnomalies: !s.onlyAnomalies });
    case 'toggle.open': return refresh(t, { ...s, onlyOpen: !s.onlyOpen });
    default: return s;
  }
}
