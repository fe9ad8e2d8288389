/**
 * The ladder diagram of one connection: client column on the left, server on the right,
 * one arrow per captured segment with its flags, relative seq/ack, length, window and frame
 * number, and each side's state after it — the textbook drawing, from the real capture —
 * with each finding written under the segment it concerns.
 */
import { kindLabel, type Anomaly } from '../analysis/anomalies.js';
import { transitionsOut, type FlowReport, type TransitionOut } from '../analysis/flows.js';
import { flagLetters } from '../decode/segment.js';
import { EVENT_MEANING } from '../tcp/state-table.js';
import type { TransitionRecord } from '../tcp/replay.js';
import type { WatchedSegment } from '../tcp/tracker.js';
import { formatEndpoint } from './addr.js';

export interface LadderOptions {
  /** Total width in columns. */
  width?: number;
  /** Runs of data segments without any state change longer than this are elided (0: never). */
  elideAfter?: number;
  /** The flow's findings: each is written under its frame's line (those of elided frames are counted), frameless ones at the end. */
  findings?: readonly Anomaly[];
  /** The flow that superseded this one on its 4-tuple (FlowSet.supersededBy), named where it ends this one. */
  supersededBy?: number | null;
  /** Start with the flow's title and Zeek summary (default); a view with its own header leaves them out. */
  title?: boolean;
}

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

const FINDING_INDENT = '         ';

/** The states an endpoint went through in one frame: committed steps, then what is shown after it. */
function statePath(r: WatchedSegment, side: 0 | 1): string {
  const shown = r.states[side];
  const steps: string[] = [];
  for (const t of r.transitions) if (t.endpoint === side && !t.revert && t.to !== shown.state) steps.push(t.to);
  steps.push(shown.state + (shown.pending ? '*' : ''));
  return steps.join('›');
}

/** One line of the ladder; segment lines carry their frame, and whether a state changed there. */
export interface LadderLine {
  text: string;
  /** The frame of the segment drawn on this line or of the finding, or null (headings, notes, elisions, legend). */
  frame: number | null;
  /** Either endpoint's shown state differs from the line before (segment lines), or the note of a transition no segment of the flow carries. */
  change: boolean;
  /** Set on the lines of a finding: its severity; `first` on its first line. */
  severity: Anomaly['severity'] | null;
  first: boolean;
}

/** A finding as lines under its segment: `▲ severity kind: message`, wrapped to `width`. */
function findingLines(x: Anomaly, width: number): LadderLine[] {
  const head = `${x.severity} ${kindLabel(x.kind, x.variant)}: `;
  return wrap(head + x.message, Math.max(20, width - FINDING_INDENT.length - 2)).map((text, i) => ({
    text: `${FINDING_INDENT}${i === 0 ? '▲ ' : '  '}${text}`, frame: x.frame, change: false, severity: x.severity, first: i === 0,
  }));
}

/**
 * The findings at the frames of elided segments, taken out of `byFrame` and counted by kind, most
 * first: `23 findings in them: 14 duplicate-ack, … (--all shows them)`; empty when there are none.
 */
function elidedFindings(elided: readonly WatchedSegment[], byFrame: Map<number, Anomaly[]>): string {
  const kinds = new Map<string, number>();
  let n = 0;
  for (const r of elided) {
    const xs = byFrame.get(r.frame);
    if (xs === undefined) continue;
    byFrame.delete(r.frame);
    for (const x of xs) { const k = kindLabel(x.kind, x.variant); kinds.set(k, (kinds.get(k) ?? 0) + 1); n++; }
  }
  if (n === 0) return '';
  const list = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${c} ${k}`).join(', ');
  return `▲ ${n} finding${n === 1 ? '' : 's'} in them: ${list} (--all shows them)`;
}

/**
 * The flow's transitions that no segment of it carries, in order: a newer connection on the 4-tuple
 * superseding it (ABORT, at that connection's frame), TIME_WAIT running out (TIMEOUT_TW, by the
 * capture's clock). The ladder writes them too, so its last line never changes a state
 * unexplained.
 */
function offSegmentTransitions(flow: FlowReport, rows: readonly WatchedSegment[], clientIndex: 0 | 1): TransitionOut[] {
  const keyOf = (t: TransitionOut) => `${t.frame}|${t.endpoint}|${t.from}|${t.to}|${t.event}`;
  const onRows = new Map<string, number>();
  for (const r of rows) {
    for (const t of transitionsOut(r.transitions, clientIndex)) {
      const k = keyOf(t);
      onRows.set(k, (onRows.get(k) ?? 0) + 1);
    }
  }
  const out: TransitionOut[] = [];
  for (const t of flow.transitions ?? []) {
    const k = keyOf(t);
    const n = onRows.get(k) ?? 0;
    if (n > 0) onRows.set(k, n - 1);
    else out.push(t);
  }
  return out;
}

/** How the ladder's `win=` figures are scaled, from the flow's handshake (reference §9.20: a scale is never guessed). */
export function windowScaleLine(flow: FlowReport): string {
  const ws = flow.options.windowScale;
  if (ws !== null) return `window scale: client ${ws.client}, server ${ws.server} (win= shows the scaled window)`;
  if (flow.options.windowScaling === 'not-negotiated') return 'window scale: not negotiated (win= shows the window as sent)';
  return 'window scale: unknown, handshake not captured in full (win= shows the window field as sent, unscaled)';
}

/** The narrowest arrow: room for the flags and the sequence numbers. */
const MIN_ARROW = 16;

/** Render the ladder; `rows` are the segments of the flow in file order. */
export function renderLadder(flow: FlowReport, rows: WatchedSegment[], clientIndex: 0 | 1, opts: LadderOptions = {}): string {
  return ladderLines(flow, rows, clientIndex, opts).map((l) => l.text).join('\n') + '\n';
}

/** The ladder as lines, for a view that scrolls it and places findings at their frames. */
export function ladderLines(flow: FlowReport, rows: WatchedSegment[], clientIndex: 0 | 1, opts: LadderOptions = {}): LadderLine[] {
  const width = Math.max(60, opts.width ?? 100);
  const elideAfter = opts.elideAfter ?? 24;
  // (the widest cells by a loop: a flow can have a million segments, too many to spread into arguments)
  const STATE_W = rows.reduce((w, r) => Math.max(w, statePath(r, clientIndex).length), 12);
  const ws = flow.options.windowScale;
  const shift = (r: WatchedSegment) => (ws === null || (r.flags & 0x02) !== 0 ? 0 : r.from === clientIndex ? ws.client : ws.server);
  const sackOf = (r: WatchedSegment) => {
    let t = '';
    for (let i = 0; i < r.sack.length; i += 2) t += ` sack=${r.sack[i]}-${r.sack[i + 1]}`;
    return t;
  };
  /** What every label starts with: the flags and the sequence numbers. */
  const headOf = (r: WatchedSegment) => ` ${flagLetters(r.flags)} seq=${r.relSeq}${(r.flags & 0x10) !== 0 ? ` ack=${r.relAck}` : ''}`;
  const fullLabel = (r: WatchedSegment) => `${headOf(r)} len=${r.len} win=${r.window * 2 ** shift(r)}${sackOf(r)} `;
  /** The label in at most `room` columns: SACK blocks counted, then the window, then the length left out, as room runs short. */
  const labelOf = (r: WatchedSegment, room: number) => {
    const full = fullLabel(r);
    if (full.length <= room) return full;
    const head = headOf(r);
    const sack = r.sack.length > 0 ? ` sack×${r.sack.length / 2}` : '';
    for (const l of [`${head} len=${r.len} win=${r.window * 2 ** shift(r)}${sack} `, `${head} len=${r.len}${sack} `, `${head} len=${r.len} `]) {
      if (l.length <= room) return l;
    }
    return `${head} `;
  };
  const longest = rows.reduce((w, r) => Math.max(w, fullLabel(r).length), 0);
  // the shortest label every row can be given: flags and sequence numbers (the arrow never gets narrower, or arrows would not line up)
  const shortest = rows.reduce((w, r) => Math.max(w, headOf(r).length + 1), 0);
  // the columns: frame (7) and two spaces, each state and a space, the arrow, and the time since the first segment
  const last = rows.length > 0 ? rows[rows.length - 1] : undefined;
  const TIME_W = 5 + (last === undefined ? 8 : ((last.tsSec + last.tsNsec / 1e9) - (rows[0].tsSec + rows[0].tsNsec / 1e9)).toFixed(6).length);
  // as wide as the widest label needs (40 at least), but never wider than the width leaves
  const arrowW = Math.max(MIN_ARROW, shortest + 4, Math.min(Math.max(40, longest + 6), width - 9 - 2 * (STATE_W + 1) - TIME_W));
  const lines: LadderLine[] = [];
  const byFrame = new Map<number, Anomaly[]>();
  const frameless: Anomaly[] = [];
  for (const x of opts.findings ?? []) {
    if (x.frame === null) { frameless.push(x); continue; }
    const l = byFrame.get(x.frame);
    if (l) l.push(x); else byFrame.set(x.frame, [x]);
  }
  const out = { push: (text: string, frame: number | null = null, change = false) => { lines.push({ text, frame, change, severity: null, first: false }); } };
  const c = formatEndpoint(flow.client.ip, flow.client.port);
  const s = formatEndpoint(flow.server.ip, flow.server.port);
  if (opts.title !== false) {
    const title = `flow ${flow.id} (Wireshark: tcp.stream eq ${flow.id}): client ${c} → server ${s}`;
    const about = `zeek ${flow.connState} ${flow.history}${flow.closedBy === 'simultaneous' ? '   closed simultaneously' : flow.closedBy ? `   closed first by ${flow.closedBy}` : ''}`;
    // one line if it fits the width, else two
    if (title.length + 3 + about.length <= width) out.push(`${title}   ${about}`);
    else { out.push(title); out.push(`  ${about}`); }
  }
  out.push(windowScaleLine(flow));
  out.push(`${'frame'.padStart(7)}  ${'client'.padEnd(STATE_W)} ${''.padEnd(arrowW)} ${'server'}`);
  const stateOf = (r: WatchedSegment, side: 0 | 1) => statePath(r, side).padEnd(STATE_W);
  const first = rows[0];
  /** The initial states of a connection; `assumed` marks them `?` (the capture starts mid-connection). */
  const initialLine = (r: WatchedSegment, assumed = false) => {
    const q = assumed ? '?' : '';
    return `${''.padStart(7)}  ${(r.initial[clientIndex] + q).padEnd(STATE_W)} ${''.padEnd(arrowW)} ${r.initial[1 - clientIndex]}${q}`;
  };
  if (first !== undefined) out.push(initialLine(first, flow.partial && flow.assumed));
  const t0 = first ? first.tsSec + first.tsNsec / 1e9 : 0;
  let shownKey = '';
  const line = (r: WatchedSegment): void => {
    const toServer = r.from === clientIndex;
    const label = labelOf(r, arrowW - 4);
    const fill = Math.max(2, arrowW - label.length - 2);
    const left = Math.floor(fill / 2), right = fill - left;
    const arrow = toServer ? `${'─'.repeat(left)}${label}${'─'.repeat(right)}─▶` : `◀─${'─'.repeat(left)}${label}${'─'.repeat(right)}`;
    const t = (r.tsSec + r.tsNsec / 1e9 - t0).toFixed(6);
    const key = `${r.states[0].state}${r.states[0].pending}${r.states[1].state}${r.states[1].pending}`;
    const change = key !== (shownKey || `${r.initial[0]}false${r.initial[1]}false`);
    shownKey = key;
    out.push(`${String(r.frame).padStart(7)}  ${stateOf(r, clientIndex)} ${arrow} ${stateOf(r, (1 - clientIndex) as 0 | 1)}  +${t}s`, r.frame, change);
    const xs = byFrame.get(r.frame);
    if (xs === undefined) return;
    byFrame.delete(r.frame);
    for (const x of xs) lines.push(...findingLines(x, width));
  };
  /** A note line about one transition: who went from what to what, on which event, and `rest`. */
  const noteLine = (who: string, t: Pick<TransitionRecord, 'from' | 'to' | 'event'>, rest: string): string =>
    `${''.padStart(7)}  · ${who} ${t.from} → ${t.to} on ${t.event}${rest}`;
  const note = (t: TransitionRecord): string => {
    const who = t.endpoint === clientIndex ? 'client' : 'server';
    // a revert carries the event it takes back: say so, rather than show it as that event happening
    if (t.revert) {
      return `${''.padStart(7)}  · ${who} back from ${t.from} to ${t.to}: its ${t.event} is taken back (the segment below shows it did not happen)`;
    }
    return noteLine(who, t, t.inferred ? ' (inferred: segment not captured or unconfirmed)' : '');
  };
  const offSegment = offSegmentTransitions(flow, rows, clientIndex);
  let nextOff = 0;
  /** The off-segment transitions before frame `frame` (all that are left, for Infinity). */
  const offSegmentNotes = (frame: number): void => {
    while (nextOff < offSegment.length) {
      const t = offSegment[nextOff];
      const at = t.frame ?? Infinity;
      if (at >= frame && frame !== Infinity) return;
      nextOff++;
      // (a timer has no frame: TIME_WAIT ran out at the end of the capture, or while the connection was idle)
      const next = t.event === 'ABORT' && opts.supersededBy != null ? ` (flow ${opts.supersededBy} starts there)` : '';
      const when = t.frame === null ? '' : ` at frame ${t.frame}${next}`;
      out.push(noteLine(t.endpoint, t, `${when}: ${EVENT_MEANING[t.event]}`), null, true);
    }
  };
  let quiet: WatchedSegment[] = [];
  const flushQuiet = () => {
    if (elideAfter > 0 && quiet.length > elideAfter) {
      const head = quiet.slice(0, 4), tail = quiet.slice(-4);
      for (const r of head) line(r);
      out.push(`${''.padStart(7)}  ${'⋮'.padEnd(STATE_W)} ${`… ${quiet.length - 8} segments of data transfer, no state change …`.padStart(Math.floor(arrowW / 2) + 24)}`);
      const hidden = elidedFindings(quiet.slice(4, -4), byFrame);
      if (hidden !== '') out.push(`${FINDING_INDENT}${hidden}`);
      for (const r of tail) line(r);
    } else {
      for (const r of quiet) line(r);
    }
    quiet = [];
  };
  let prev = '';
  for (const r of rows) {
    const key = `${r.states[0].state}${r.states[0].pending}${r.states[1].state}${r.states[1].pending}`;
    const eventful = r.transitions.length > 0 || key !== prev || (r.flags & 0x07) !== 0 || r.newConnection;
    prev = key;
    const offBefore = nextOff < offSegment.length && (offSegment[nextOff].frame ?? Infinity) < r.frame;
    if (!eventful && !offBefore) { quiet.push(r); continue; }
    flushQuiet();
    offSegmentNotes(r.frame);
    if (r.newConnection) {
      out.push(`${''.padStart(7)}  ── a new connection on the same 4-tuple starts here ──`);
      out.push(initialLine(r));
    }
    for (const t of r.transitions) if (t.inferred || t.revert) out.push(note(t));
    line(r);
  }
  flushQuiet();
  offSegmentNotes(Infinity);
  const atEnd = arrowW >= 30 ? '(at the end of the capture)' : '(at the end)';
  out.push(`${''.padStart(7)}  ${flow.finalState.client.padEnd(STATE_W)} ${atEnd.padStart(Math.floor((arrowW + atEnd.length) / 2)).padEnd(arrowW)} ${flow.finalState.server}`);
  // a side shown in a pending state that it never confirmed, having sent nothing: rule 5 keeps its initial state (§6.3)
  const lastRow = rows[rows.length - 1];
  for (const [i, who] of [[clientIndex, 'client'], [1 - clientIndex, 'server']] as const) {
    const shown = lastRow?.states[i];
    const final = who === 'client' ? flow.finalState.client : flow.finalState.server;
    if (shown === undefined || !shown.pending || shown.state === final || rows.some((r) => r.from === i)) continue;
    out.push(`${''.padStart(7)}  · the ${who} sent nothing in the capture, so the ${shown.state}* shown for it was never confirmed: it stays ${final} (rule 5 of the replay)`, null, true);
  }
  // findings at frames the ladder does not draw (none expected), then those decided at the end
  for (const xs of byFrame.values()) frameless.push(...xs);
  if (frameless.length > 0) {
    out.push(`${''.padStart(7)}  at the end of the capture:`);
    for (const x of frameless) lines.push(...findingLines(x, width));
  }
  out.push('');
  if (first !== undefined && flow.partial && flow.assumed) out.push('? = initial state assumed: the capture starts mid-connection.');
  out.push('* = inferred: the receiver has not yet acknowledged the SYN or FIN it was sent (pending).');
  out.push('A›B = the endpoint went through A to B in one frame.');
  return lines;
}
