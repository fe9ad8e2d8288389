import type { FlowReport, FlowSet } from '../analysis/flows.js';
import { formatEndpoint } from './addr.js';

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
  const w = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]))));
  const pad = (c: string, n: number) => c + ' '.repeat(Math.max(0, n - displayWidth(c)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, w[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
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

/** Text form of `synfin flows`: one row per connection with both final states. */
export function renderFlows(set: FlowSet): string {
  const r = { ...set.head(), flows: [...set.flows()] };
  const rows = r.flows.map((f) => [
    String(f.id), ep(f, 'client'), ep(f, 'server'), String(f.packets), human(f.bytes), dur(f.duration),
    f.finalState.client + (f.assumed ? '?' : ''), f.finalState.server + (f.assumed ? '?' : ''),
    f.connState, f.closedBy ?? '-', flowNotes(f),
  ]);
  const head = `${r.file}: ${r.flows.length} connection(s), ${r.frames} frames, ${r.tcpSegments} TCP segments\n`;
  const legend = (r.flows.some((f) => f.assumed) ? '(? = initial state assumed: the capture starts mid-connection)\n' : '') +
    (r.flows.some((f) => f.oversizedSegments > 0) ? OVERSIZED_LEGEND + '\n' : '');
  return head + table(['ID', 'CLIENT', 'SERVER', 'PKTS', 'BYTES', 'DURATION', 'CLIENT STATE', 'SERVER STATE', 'ZEEK', 'CLOSED BY', 'NOTES'], rows) + legend;
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
