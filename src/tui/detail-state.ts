/**
 * One flow's ladder with its findings placed under the segment they concern, a cursor, and
 * jumps to the next finding or state change. A pure reducer; the ladder lines come from the same
 * ladderLines() as `synfin flow`.
 */
import { kindLabel, type Anomaly } from '../analysis/anomalies.js';
import type { FlowReport } from '../analysis/flows.js';
import { ladderLines } from '../report/ladder.js';
import type { WatchedSegment } from '../tcp/tracker.js';
import type { KeyAction } from './keymap.js';
import { emptyWindow, moveTo, navigate, recount, resize, type ListWindow } from './window.js';

/** What the detail view shows, read once when the flow is opened. */
export interface OpenedFlow {
  flow: FlowReport;
  rows: WatchedSegment[];
  clientIndex: 0 | 1;
  findings: Anomaly[];
  /** How the segments were read and how long it took. */
  via: 'offsets' | 'full-pass';
  ms: number;
}

export interface DetailLine {
  text: string;
  /** Frame of the segment (ladder lines) or of the finding (finding lines). */
  frame: number | null;
  /** A state changed on this segment. */
  change: boolean;
  /** Set on the lines of a finding: its severity; `first` on its first line. */
  severity: Anomaly['severity'] | null;
  first: boolean;
}

export interface DetailState {
  readonly opened: OpenedFlow;
  readonly width: number;
  readonly lines: readonly DetailLine[];
  readonly win: ListWindow;
  /** Columns scrolled to the right. */
  readonly left: number;
  /** One line about the last jump that found nothing, or null. */
  readonly note: string | null;
}

export type DetailAction = { type: 'key'; action: KeyAction } | { type: 'resize'; width: number; height: number };

/** Words of `text` in lines of at most `width` columns (a word longer than that is cut). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) { out.push(line); line = ''; }
    line = line === '' ? word : `${line} ${word}`;
    while (line.length > width) { out.push(line.slice(0, width)); line = line.slice(width); }
  }
  if (line !== '') out.push(line);
  return out;
}

const INDENT = '         ';

function findingLines(x: Anomaly, width: number): DetailLine[] {
  const head = `${x.severity} ${kindLabel(x.kind, x.variant)}: `;
  return wrap(head + x.message, Math.max(20, width - INDENT.length - 2)).map((text, i) => ({
    text: `${INDENT}${i === 0 ? '▲ ' : '  '}${text}`, frame: x.frame, change: false, severity: x.severity, first: i === 0,
  }));
}

/** The ladder for `width` columns with each finding under the line of its frame (frameless ones at the end). */
export function detailLines(o: OpenedFlow, width: number): DetailLine[] {
  const byFrame = new Map<number, Anomaly[]>();
  const frameless: Anomaly[] = [];
  for (const x of o.findings) {
    if (x.frame === null) { frameless.push(x); continue; }
    const l = byFrame.get(x.frame);
    if (l) l.push(x); else byFrame.set(x.frame, [x]);
  }
  const out: DetailLine[] = [];
  const ladder = ladderLines(o.flow, o.rows, o.clientIndex, { width, elideAfter: 0 });
  for (const l of ladder) {
    out.push({ text: l.text, frame: l.frame, change: l.change, severity: null, first: false });
    if (l.frame === null) continue;
    const xs = byFrame.get(l.frame);
    if (xs === undefined) continue;
    byFrame.delete(l.frame);
    for (const x of xs) out.push(...findingLines(x, width));
  }
  // findings at frames the ladder does not draw (none expected), then those decided at the end
  for (const xs of byFrame.values()) frameless.push(...xs);
  if (frameless.length > 0) {
    out.push({ text: 'At the end of the capture:', frame: null, change: false, severity: null, first: false });
    for (const x of frameless) out.push(...findingLines(x, width));
  }
  return out;
}

/** Open on the finding (or segment) of `frame`, else on the first finding, else at the top. */
export function initialDetail(o: OpenedFlow, width: number, height: number, frame: number | null = null): DetailState {
  const lines = detailLines(o, width);
  let at = -1;
  if (frame !== null) {
    at = lines.findIndex((l) => l.first && l.frame === frame);
    if (at < 0) at = lines.findIndex((l) => l.frame === frame);
  }
  if (at < 0) at = lines.findIndex((l) => l.first);
  const win = recount(emptyWindow(height), lines.length, 0);
  return { opened: o, width, lines, win: moveTo(centre(win, at), Math.max(0, at)), left: 0, note: null };
}

/** Scroll so row `at` sits a third of the way down the screen (context above a jump target). */
function centre(w: ListWindow, at: number): ListWindow {
  if (at < 0) return w;
  const top = Math.max(0, Math.min(at - Math.floor(w.height / 3), w.count - w.height));
  return { ...w, top, cursor: at };
}

function seek(s: DetailState, dir: 1 | -1, test: (l: DetailLine) => boolean, what: string): DetailState {
  for (let i = s.win.cursor + dir; i >= 0 && i < s.lines.length; i += dir) {
    if (test(s.lines[i])) {
      const inView = i >= s.win.top && i < s.win.top + s.win.height;
      return { ...s, win: inView ? moveTo(s.win, i) : centre(s.win, i), note: null };
    }
  }
  return { ...s, note: `no ${dir > 0 ? 'next' : 'previous'} ${what}` };
}

const SCROLL_STEP = 8;

export function detailReducer(s: DetailState, a: DetailAction): DetailState {
  if (a.type === 'resize') {
    if (a.width === s.width) return { ...s, win: resize(s.win, a.height) };
    // the ladder is drawn for the width: redraw it and keep the cursor on the same frame
    const keep = s.lines[s.win.cursor];
    const lines = detailLines(s.opened, a.width);
    let at = keep ? lines.findIndex((l) => l.frame === keep.frame && l.first === keep.first && l.severity === keep.severity) : 0;
    if (at < 0) at = 0;
    return { ...s, width: a.width, lines, win: moveTo(recount(resize(s.win, a.height), lines.length, 0), at) };
  }
  const moved = navigate(s.win, a.action);
  if (moved !== null) return { ...s, win: moved, note: null };
  switch (a.action) {
    case 'scroll.left': return { ...s, left: Math.max(0, s.left - SCROLL_STEP) };
    case 'scroll.right': return { ...s, left: s.left + SCROLL_STEP };
    case 'finding.next': return seek(s, 1, (l) => l.first, 'finding');
    case 'finding.prev': return seek(s, -1, (l) => l.first, 'finding');
    case 'change.next': return seek(s, 1, (l) => l.change, 'state change');
    case 'change.prev': return seek(s, -1, (l) => l.change, 'state change');
    default: return s;
  }
}
