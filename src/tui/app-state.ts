/**
 * The terminal UI as one pure reducer: a stack of views (the flow list at the bottom), the help
 * overlay, and requests for the hook to fulfil (reading a flow from the file). Key presses arrive
 * as KEYMAP actions; each view's own reducer handles what is not about the stack.
 */
import type { Anomaly } from '../analysis/anomalies.js';
import type { FindingGroup, LeakRow, TuiData } from './data.js';
import { detailReducer, initialDetail, type DetailState, type OpenedFlow } from './detail-state.js';
import { actionFor, helpLines, type KeyAction, type ViewKind } from './keymap.js';
import { initialList, listReducer, selectedFlow, type ListState } from './list-state.js';
import { bodyRows, ladderWidth } from './layout.js';
import { moveTo } from './window.js';
import { initialPick, pickReducer, picked, type PickState } from './pick-state.js';

export type View =
  | { kind: 'list'; s: ListState }
  | { kind: 'detail'; s: DetailState }
  | { kind: 'findings'; s: PickState<FindingGroup> }
  | { kind: 'finding-list'; s: PickState<Anomaly> }
  | { kind: 'leaks'; s: PickState<LeakRow> };

export interface AppState {
  readonly stack: readonly View[];
  /** The help screen's first line shown, or null when it is closed. */
  readonly help: number | null;
  readonly quit: boolean;
  readonly width: number;
  readonly height: number;
  /** A flow to read from the file (the hook does it and sends 'opened'). */
  readonly request: { id: number; frame: number | null } | null;
  /** One line for the status bar (what just happened, or why nothing did). */
  readonly status: string | null;
}

export type AppAction =
  | { type: 'key'; name: string }
  | { type: 'resize'; width: number; height: number }
  | { type: 'opened'; flow: OpenedFlow; frame: number | null }
  | { type: 'failed'; message: string };

/** Findings listed when a group is opened; the flow list's kind: filter shows every flow. */
export const FINDINGS_LISTED = 2000;

const HELP_LINES = helpLines().length;

export function initialApp(data: TuiData, width: number, height: number): AppState {
  return { stack: [{ kind: 'list', s: initialList(data.table, bodyRows(height, width, 'list')) }], help: null, quit: false, width, height, request: null, status: null };
}

export const topView = (s: AppState): View => s.stack[s.stack.length - 1];

/** The KEYMAP view a key is looked up in (the flow list while a filter is typed counts as 'filter'). */
export function keyView(s: AppState): ViewKind {
  const v = topView(s);
  return v.kind === 'list' && v.s.draft !== null ? 'filter' : v.kind;
}

const replaceTop = (s: AppState, v: View): AppState => ({ ...s, stack: [...s.stack.slice(0, -1), v], status: null });
const push = (s: AppState, v: View): AppState => ({ ...s, stack: [...s.stack, v], status: null });

function pop(s: AppState): AppState {
  if (s.stack.length > 1) return { ...s, stack: s.stack.slice(0, -1), status: null };
  return s;
}

/** Send a key action to the top view's own reducer. */
function toView(data: TuiData, s: AppState, action: KeyAction): AppState {
  const v = topView(s);
  switch (v.kind) {
    case 'list': return replaceTop(s, { kind: 'list', s: listReducer(data.table, v.s, { type: 'key', action }) });
    case 'detail': return replaceTop(s, { kind: 'detail', s: detailReducer(v.s, { type: 'key', action }) });
    case 'findings': return replaceTop(s, { kind: 'findings', s: pickReducer(v.s, { type: 'key', action }) });
    case 'finding-list': return replaceTop(s, { kind: 'finding-list', s: pickReducer(v.s, { type: 'key', action }) });
    case 'leaks': return replaceTop(s, { kind: 'leaks', s: pickReducer(v.s, { type: 'key', action }) });
  }
}

/** Enter: what the row under the cursor leads to. */
function open(data: TuiData, s: AppState): AppState {
  const v = topView(s);
  const rows = (kind: View['kind']) => bodyRows(s.height, s.width, kind);
  switch (v.kind) {
    case 'list': {
      const id = selectedFlow(v.s);
      return id === null ? { ...s, status: 'no flow to open' } : { ...s, request: { id, frame: null }, status: `reading flow ${id}…` };
    }
    case 'findings': {
      const g = picked(v.s);
      if (g === undefined) return s;
      const items = data.findingsOf(g, FINDINGS_LISTED);
      const title = `${g.severity} ${g.kind}: ${g.count.toLocaleString('en-US')} finding${g.count === 1 ? '' : 's'}${g.count > items.length ? ` (the first ${items.length.toLocaleString('en-US')}; filter the flow list with kind:${g.kind.split(':')[0]} for every flow)` : ''}`;
      return push(s, { kind: 'finding-list', s: initialPick(title, items, rows('finding-list')) });
    }
    case 'finding-list': {
      const x = picked(v.s);
      if (x === undefined) return s;
      if (x.flow === null) return { ...s, status: 'this finding is about a host or endpoint, not one flow: see the leaks view (L)' };
      return { ...s, request: { id: x.flow, frame: x.frame }, status: `reading flow ${x.flow}…` };
    }
    case 'leaks': {
      const r = picked(v.s);
      if (r === undefined || r.ids === undefined || r.title === undefined) return { ...s, status: 'no connections behind this line: pick a row of a table' };
      const ids = r.ids();
      return push(s, { kind: 'list', s: initialList(data.table, rows('list'), { title: `${ids.length.toLocaleString('en-US')} connection${ids.length === 1 ? '' : 's'} ${r.title}`, ids }) });
    }
    default: return s;
  }
}

export function appReducer(data: TuiData, s: AppState, a: AppAction): AppState {
  switch (a.type) {
    case 'resize': {
      const stack = s.stack.map((v): View => {
        const h = bodyRows(a.height, a.width, v.kind);
        switch (v.kind) {
          case 'list': return { kind: 'list', s: listReducer(data.table, v.s, { type: 'resize', height: h }) };
          case 'detail': return { kind: 'detail', s: detailReducer(v.s, { type: 'resize', width: ladderWidth(a.width), height: h }) };
          case 'findings': return { kind: 'findings', s: pickReducer(v.s, { type: 'resize', height: h }) };
          case 'finding-list': return { kind: 'finding-list', s: pickReducer(v.s, { type: 'resize', height: h }) };
          case 'leaks': return { kind: 'leaks', s: pickReducer(v.s, { type: 'resize', height: h }) };
        }
      });
      return { ...s, stack, width: a.width, height: a.height };
    }
    case 'opened':
      return push({ ...s, request: null }, { kind: 'detail', s: initialDetail(a.flow, ladderWidth(s.width), bodyRows(s.height, s.width, 'detail'), a.frame) });
    case 'failed':
      return { ...s, request: null, status: a.message };
    case 'key': break;
  }
  if (s.help !== null) {
    // the help scrolls with the movement keys; any other key closes it
    if (a.name === 'C-c') return { ...s, quit: true };
    const move = actionFor('list', a.name);
    const page = Math.max(1, s.height - 2);
    const last = Math.max(0, HELP_LINES - (s.height - 2));
    const to = (top: number) => ({ ...s, help: Math.max(0, Math.min(last, top)) });
    if (move === 'cursor.down') return to(s.help + 1);
    if (move === 'cursor.up') return to(s.help - 1);
    if (move === 'page.down') return to(s.help + page);
    if (move === 'page.up') return to(s.help - page);
    return { ...s, help: null };
  }
  if (s.request !== null) return a.name === 'C-c' ? { ...s, quit: true } : s; // a flow is being read
  const view = keyView(s);
  const action = actionFor(view, a.name);
  if (action === undefined) {
    const v = topView(s);
    if (view === 'filter' && v.kind === 'list' && a.name.length === 1 && a.name >= ' ') {
      return replaceTop(s, { kind: 'list', s: listReducer(data.table, v.s, { type: 'type', text: a.name }) });
    }
    return s;
  }
  switch (action) {
    case 'quit':
      if (a.name === 'C-c' || s.stack.length === 1) return { ...s, quit: true };
      return pop(s);
    case 'back': return pop(s);
    case 'help': return { ...s, help: 0 };
    case 'open': return open(data, s);
    case 'view.findings': return push(s, { kind: 'findings', s: initialPick('Findings by severity and kind', data.groups, bodyRows(s.height, s.width, 'findings')) });
    case 'view.leaks': {
      const p = initialPick('Leaks: CLOSE_WAIT per server endpoint, stragglers, TIME_WAIT per host', data.leaks, bodyRows(s.height, s.width, 'leaks'));
      const first = data.leaks.findIndex((r) => !r.heading);
      return push(s, { kind: 'leaks', s: first > 0 ? { ...p, win: moveTo(p.win, first) } : p });
    }
    default: return toView(data, s, action);
  }
}
