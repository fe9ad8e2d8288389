import type { FlowReport, FlowSet } from '../analysis/flows.js';
import { formatEndpoint } from './addr.js';
import { noConnectionsLine } from './analyze.js';

const ep = (f: FlowReport, side: 'client' | 'server') => formatEndpoint(f[side].ip, f[side].port);

function human(n: number): string {
  if (n < 1e3) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

function dur(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(1)}ms`;
  if (s < 120) return `${s.toFixed(2)}s`;
  return `${(s / 60).toFixed(1)}m`;
}

/** Terminal columns a string takes: wide East Asian characters take two, ANSI colour codes none. */
export function displayWidth(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x1b) { while (i < s.length && s[i] !== 'm') i++; continue; }
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
  }
  return w;
}

/** Columns: padded to the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const w = columnWidths(header, rows);
  return [tableLine(header, w), ...rows.map((r) => tableLine(r, w))].join('\n') + '\n';
}

/** The width of each column: its widest cell (a loop, not Math.max(...cells): a column can have a million). */
function columnWidths(header: string[], rows: Iterable<string[]>): number[] {
  const w = header.map((h) => displayWidth(h));
  for (const r of rows) for (let i = 0; i < w.length; i++) { const n = displayWidth(r[i]); if (n > w[i]) w[i] = n; }
  return w;
}

/** One line of a table: each cell padded to its column's width, but the last. */
function tableLine(r: string[], w: number[]): string {
  let s = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i];
    s += i === r.length - 1 ? c : c + ' '.repeat(Math.max(0, w[i] - displayWidth(c))) + '  ';
  }
  return s.trimEnd();
}

/** The NOTES cell of a flow: what to know before reading its figures. */
export function flowNotes(f: Pick<FlowReport, 'partial' | 'oneSided' | 'roleInferred' | 'oversizedSegments'>): string {
  return [f.partial ? 'partial' : '', f.oneSided ? 'one-sided' : '', f.roleInferred ? 'roles-guessed' : '',
    f.oversizedSegments > 0 ? `oversized:${f.oversizedSegments}` : ''].filter(Boolean).join(',');
}

/** Why segments carry more data than the receiver's MSS (reference §9.4–9.5): the flows legend and analyze's note say it alike. */
export const OVERSIZED_CAUSE = 'the capturing host segments or coalesces in its NIC (TSO/GSO when sending, GRO/LRO when receiving), so they are not wire segments';

/** What `oversized:N` means. */
const OVERSIZED_LEGEND = `(oversized:N = N segments carry more data than the MSS their receiver announced: ${OVERSIZED_CAUSE}; capture with those offloads off to see the wire)`;

const FLOW_COLUMNS = ['ID', 'CLIENT', 'SERVER', 'PKTS', 'BYTES', 'DURATION', 'CLIENT STATE', 'SERVER STATE', 'ZEEK', 'CLOSED BY', 'NOTES'];

function flowRow(f: FlowReport): string[] {
  return [
    String(f.id), ep(f, 'client'), ep(f, 'server'), String(f.packets), human(f.bytes), dur(f.duration),
    f.finalState.client + (f.assumed ? '?' : ''), f.finalState.server + (f.assumed ? '?' : ''),
    f.connState, f.closedBy ?? '-', flowNotes(f),
  ];
}

/**
 * Text form of `synfin flows`: one row per connection with both final states. Written in two passes
 * over the flows, one for the column widths and one for the rows, so half a million rows are never
 * held at once.
 */
export function* renderFlows(set: FlowSet): Generator<string> {
  const r = set.head();
  let count = 0, assumed = false, oversized = false;
  const rows = function* (): Generator<string[]> {
    for (const f of set.flows()) {
      count++;
      if (f.assumed) assumed = true;
      if (f.oversizedSegments > 0) oversized = true;
      yield flowRow(f);
    }
  };
  const w = columnWidths(FLOW_COLUMNS, rows());
  yield `${r.file}: ${count} connection(s), ${r.frames} frames, ${r.tcpSegments} TCP segments\n`;
  // (no connection: what the capture holds instead, rather than an empty table)
  if (count === 0) { yield noConnectionsLine(r) + '\n'; return; }
  yield tableLine(FLOW_COLUMNS, w) + '\n';
  let chunk = '';
  for (const f of set.flows()) {
    chunk += tableLine(flowRow(f), w) + '\n';
    if (chunk.length >= 1 << 14) { yield chunk; chunk = ''; }
  }
  yield chunk + (assumed ? '(? = initial state assumed: the capture starts mid-connection)\n' : '') + (oversized ? OVERSIZED_LEGEND + '\n' : '');
}

export function csvCell(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const FLOW_CSV_COLUMNS = [
  'file', 'id', 'client_ip', 'client_port', 'server_ip', 'server_port', 'first_frame', 'last_frame', 'first_ts', 'last_ts',
  'duration', 'packets', 'bytes', 'c2s_packets', 'c2s_bytes', 'c2s_payload_bytes', 's2c_packets', 's2c_bytes', 's2c_payload_bytes',
  'handshake_rtt', 'client_state', 'server_state', 'closed_by', 'conn_state', 'history', 'partial', 'one_sided', 'connections',
  'oversized_segments',
];

/** CSV rows (no header) of `synfin flows --csv`, one string per flow. */
export function* flowsCsvRows(set: FlowSet): Generator<string> {
  const file = set.stats.file;
  for (const f of set.flows()) yield [
    file, f.id, f.client.ip, f.client.port, f.server.ip, f.server.port, f.firstFrame, f.lastFrame, f.firstTs, f.lastTs,
    f.duration, f.packets, f.bytes, f.c2s.packets, f.c2s.bytes, f.c2s.payloadBytes, f.s2c.packets, f.s2c.bytes, f.s2c.payloadBytes,
    f.handshake.rtt, f.finalState.client, f.finalState.server, f.closedBy, f.connState, f.history, f.partial, f.oneSided, f.connections,
    f.oversizedSegments,
  ].map(csvCell).join(',') + '\n';
}

/** The JSON report, streamed: the head fields, then one flow at a time. */
export function* flowsJson(set: FlowSet): Generator<string> {
  const head = JSON.stringify(set.head(), null, 2);
  yield head.slice(0, head.length - 2) + ',\n  "flows": [';
  let first = true;
  for (const f of set.flowJsons()) {
    // one line per flow: compact, and easy to grep in a report of many flows
    yield (first ? '\n    ' : ',\n    ') + f;
    first = false;
  }
  yield (first ? ']' : '\n  ]') + ',\n  "anomalies": []\n}';
}
