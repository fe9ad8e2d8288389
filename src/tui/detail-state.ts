/**
 * One flow's ladder with its findings placed under the segment they concern, a cursor, and
 * jumps to the next finding or state change. A pure reducer; the ladder lines come from the same
 * ladderLines() as `synfin flow`.
 */
import type { Anomaly } from '../analysis/anomalies.js';
import type { FlowReport } from '../analysis/flows.js';
import { ladderLines, type LadderLine } from '../report/ladder.js';
import type { WatchedSegment } from '../tcp/tracker.js';
import type { KeyAction } from './keymap.js';
import { emptyWindow, moveTo, navigate, recount, resize, type ListWindow } from './window.js';

/** What the detail view shows, read once when the flow is opened. */
export interface OpenedFlow {
  flow: FlowReport;
  rows: WatchedSegment[];
  clientIndex: 0 | 1;
  findings: Anomaly[];
  /** The flow that superseded it on its 4-tuple, or null. */
  supersededBy: number | null;
  /** How the segments were read and how long it took. */
  via: 'span' | 'full-pass';
  ms: number;
}

/** A ladder line or a line of a finding (see LadderLine). */
export type DetailLine = LadderLine;

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

/** The ladder for `width` columns, each finding under the line of its frame (frameless ones at the end), nothing elided. */
export function detailLines(o: OpenedFlow, width: number): DetailLine[] {
  // (the view's own header and figures name the flow, its Zeek summary and its closer: the ladder's title lines would repeat them)
  return ladderLines(o.flow, o.rows, o.clientIndex, { width, elideAfter: 0, findings: o.findings, supersededBy: o.supersededBy, title: false });
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
    case 'scroll.right': {
      // no further than the widest line's end
      let widest = 0;
      for (const l of s.lines) if (l.text.length > widest) widest = l.text.length;
      return { ...s, left: Math.min(s.left + SCROLL_STEP, Math.max(0, widest - s.width)) };
    }
    case 'finding.next': return seek(s, 1, (l) => l.first, 'finding');
    case 'finding.prev': return seek(s, -1, (l) => l.first, 'finding');
    case 'change.next': return seek(s, 1, (l) => l.change, 'state change');
    case 'change.prev': return seek(s, -1, (l) => l.change, 'state change');
    default: return s;
  }
}
