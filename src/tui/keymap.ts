/**
 * Every key of the terminal UI, in one table: the views map key presses through it, and the
 * help screen renders it. A key means the first entry whose view matches.
 */

export type ViewKind = 'list' | 'detail' | 'findings' | 'finding-list' | 'leaks' | 'filter';

export type KeyAction =
  | 'cursor.up' | 'cursor.down' | 'page.up' | 'page.down' | 'cursor.first' | 'cursor.last'
  | 'scroll.left' | 'scroll.right'
  | 'open' | 'back' | 'quit' | 'help'
  | 'filter.start' | 'filter.apply' | 'filter.cancel' | 'filter.erase' | 'filter.clear'
  | 'sort.next' | 'sort.prev' | 'sort.reverse'
  | 'toggle.anomalies' | 'toggle.open'
  | 'view.findings' | 'view.leaks'
  | 'finding.next' | 'finding.prev' | 'change.next' | 'change.prev';

/** The help screen's sections, in order. */
export const HELP_GROUPS = ['Everywhere', 'Flow list', 'Typing a filter (after /)', 'Flow ladder'] as const;

export interface KeyBinding {
  /** Key names as produced by keyName(): a character, or up, down, enter, esc, pageup, … */
  keys: readonly string[];
  action: KeyAction;
  help: string;
  /** Views where the binding applies. */
  views: readonly ViewKind[];
  /** Where the help screen lists it. */
  group: (typeof HELP_GROUPS)[number];
}

const NAV: ViewKind[] = ['list', 'detail', 'findings', 'finding-list', 'leaks'];

export const KEYMAP: readonly KeyBinding[] = [
  { keys: ['enter'], action: 'filter.apply', help: 'apply the filter', views: ['filter'], group: 'Typing a filter (after /)' },
  { keys: ['esc'], action: 'filter.cancel', help: 'leave the filter as it was', views: ['filter'], group: 'Typing a filter (after /)' },
  { keys: ['backspace'], action: 'filter.erase', help: 'erase a character', views: ['filter'], group: 'Typing a filter (after /)' },
  { keys: ['C-u'], action: 'filter.clear', help: 'erase the whole filter', views: ['filter'], group: 'Typing a filter (after /)' },
  { keys: ['up', 'k'], action: 'cursor.up', help: 'previous row', views: NAV, group: 'Everywhere' },
  { keys: ['down', 'j'], action: 'cursor.down', help: 'next row', views: NAV, group: 'Everywhere' },
  { keys: ['pageup', 'C-b'], action: 'page.up', help: 'previous page', views: NAV, group: 'Everywhere' },
  { keys: ['pagedown', 'C-f', ' '], action: 'page.down', help: 'next page', views: NAV, group: 'Everywhere' },
  { keys: ['home', 'g'], action: 'cursor.first', help: 'first row', views: NAV, group: 'Everywhere' },
  { keys: ['end', 'G'], action: 'cursor.last', help: 'last row', views: NAV, group: 'Everywhere' },
  { keys: ['left', 'h'], action: 'scroll.left', help: 'scroll the ladder left', views: ['detail'], group: 'Flow ladder' },
  { keys: ['right', 'l'], action: 'scroll.right', help: 'scroll the ladder right', views: ['detail'], group: 'Flow ladder' },
  { keys: ['enter'], action: 'open', help: 'open: a flow\'s ladder, a group\'s findings, a finding\'s frame, a leak\'s connections', views: ['list', 'findings', 'finding-list', 'leaks'], group: 'Flow list' },
  { keys: ['/'], action: 'filter.start', help: 'filter flows: state:CLOSE_WAIT port:443 host:10.0.0.2 kind:retransmission class:in-progress partial !x a|b', views: ['list'], group: 'Flow list' },
  { keys: ['s'], action: 'sort.next', help: 'sort by the next column', views: ['list'], group: 'Flow list' },
  { keys: ['S'], action: 'sort.prev', help: 'sort by the previous column', views: ['list'], group: 'Flow list' },
  { keys: ['r'], action: 'sort.reverse', help: 'reverse the sort order', views: ['list'], group: 'Flow list' },
  { keys: ['a'], action: 'toggle.anomalies', help: 'only flows with findings (toggle)', views: ['list'], group: 'Flow list' },
  { keys: ['o'], action: 'toggle.open', help: 'only flows not closed: an endpoint neither CLOSED nor in TIME_WAIT (toggle)', views: ['list'], group: 'Flow list' },
  { keys: ['n'], action: 'finding.next', help: 'next finding', views: ['detail'], group: 'Flow ladder' },
  { keys: ['N', 'p'], action: 'finding.prev', help: 'previous finding', views: ['detail'], group: 'Flow ladder' },
  { keys: ['c'], action: 'change.next', help: 'next state change', views: ['detail'], group: 'Flow ladder' },
  { keys: ['C'], action: 'change.prev', help: 'previous state change', views: ['detail'], group: 'Flow ladder' },
  { keys: ['f'], action: 'view.findings', help: 'findings by kind and severity', views: NAV, group: 'Everywhere' },
  { keys: ['L'], action: 'view.leaks', help: 'leaks: CLOSE_WAIT per server endpoint, TIME_WAIT per host', views: NAV, group: 'Everywhere' },
  { keys: ['?'], action: 'help', help: 'this help', views: NAV, group: 'Everywhere' },
  { keys: ['esc'], action: 'back', help: 'back to the previous view', views: NAV, group: 'Everywhere' },
  { keys: ['q'], action: 'quit', help: 'back; quit from the flow list', views: NAV, group: 'Everywhere' },
  { keys: ['C-c'], action: 'quit', help: 'quit at once (also while loading)', views: [...NAV, 'filter'], group: 'Everywhere' },
];

/** What Ink tells about a key press (the fields of its `Key` that we use). */
export interface KeyPress {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean;
  pageUp?: boolean; pageDown?: boolean; home?: boolean; end?: boolean;
  return?: boolean; escape?: boolean; backspace?: boolean; delete?: boolean; tab?: boolean; ctrl?: boolean;
}

/** The key's name in KEYMAP terms. */
export function keyName(input: string, key: KeyPress): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.backspace || key.delete) return 'backspace';
  if (key.tab) return 'tab';
  if (key.ctrl) return `C-${input}`;
  return input;
}

/** The key name of one character of text that arrived in a chunk with others (a paste, fast typing). */
export function charName(ch: string): string {
  const c = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return 'enter';
  if (c === 0x7f || c === 0x08) return 'backspace';
  if (ch === '\t') return 'tab';
  if (c === 0x1b) return 'esc';
  if (c < 0x20) return `C-${String.fromCharCode(c + 0x60)}`;
  return ch;
}

/** The action bound to a key in a view, or undefined. */
export function actionFor(view: ViewKind, name: string): KeyAction | undefined {
  for (const b of KEYMAP) if (b.keys.includes(name) && b.views.includes(view)) return b.action;
  return undefined;
}

/** How a key is written on the help screen. */
export function keyLabel(name: string): string {
  if (name === ' ') return 'Space';
  if (name === 'pageup') return 'PgUp';
  if (name === 'pagedown') return 'PgDn';
  if (name.startsWith('C-')) return `Ctrl-${name.slice(2)}`;
  return name.length === 1 ? name : name[0].toUpperCase() + name.slice(1);
}

/** The help screen's lines, straight from KEYMAP. */
export function helpLines(): Array<{ text: string; heading: boolean }> {
  const out: Array<{ text: string; heading: boolean }> = [];
  for (const group of HELP_GROUPS) {
    out.push({ text: group, heading: true });
    for (const b of KEYMAP) if (b.group === group) out.push({ text: `  ${b.keys.map(keyLabel).join(', ').padEnd(20)} ${b.help}`, heading: false });
  }
  return out;
}
