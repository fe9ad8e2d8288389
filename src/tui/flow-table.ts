/**
 * The flow list's data: one column per sortable field, built once from the analysis, so sorting
 * and filtering 100,000 flows are typed-array passes. Flow reports are built only for the rows
 * on screen and for filters that need them.
 */
import type { Severity } from '../analysis/anomalies.js';
import type { FilterableFlow, FlowFacts } from '../analysis/filter.js';
import type { FlowRow } from '../analysis/flows.js';
import { formatEndpoint } from '../report/addr.js';
import { STATES, stateFamily, type State } from '../tcp/state-table.js';

export const SORT_COLUMNS = ['id', 'client', 'server', 'packets', 'bytes', 'duration', 'client-state', 'server-state', 'zeek', 'findings'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface FlowTable {
  readonly count: number;
  readonly client: readonly string[];
  readonly server: readonly string[];
  readonly zeek: readonly string[];
  /** Findings per kind, e.g. "lost×2 dupack×3", most severe first. */
  readonly badges: readonly string[];
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly duration: Float64Array;
  readonly findings: Int32Array;
  /** Final states as indexes into STATES. */
  readonly clientState: Uint8Array;
  readonly serverState: Uint8Array;
  /** 1 where an endpoint's initial state was assumed (shown with `?`, as synfin flows does). */
  readonly assumed: Uint8Array;
  /** The kinds of the flow's findings. */
  kinds(id: number): ReadonlySet<string>;
  /** What the filter language asks about a flow. */
  facts(id: number): FlowFacts;
}

/** Short names for the badges of the commonest kinds; the others keep their name. */
const BADGE: Record<string, string> = {
  retransmission: 'retx', 'fast-retransmission': 'fretx', 'spurious-retransmission': 'sretx', 'duplicate-ack': 'dupack',
  'previous-segment-lost': 'lost', 'out-of-order': 'ooo', 'zero-window': 'zwin', 'window-full': 'wfull', 'window-update': 'wupd',
  'zero-window-probe': 'zwprobe', 'zero-window-probe-ack': 'zwpack', 'keep-alive': 'ka', 'keep-alive-ack': 'kaack', 'port-reuse': 'reuse',
  'close-wait-stuck': 'closewait', 'missing-final-ack': 'nofinalack', 'handshake-aborted': 'hsabort', 'connection-refused': 'refused',
  'syn-unanswered': 'nosynack', 'duplicate-frame': 'dupframe', 'capture-loss': 'loss',
};
const RANK = { error: 0, warn: 1, note: 2, info: 3 } as const;

export const badgeName = (kind: string): string => BADGE[kind] ?? kind;

/** `a`'s values at the start of the larger `b`. */
function grown<T extends Int32Array | Uint16Array | Uint8Array>(a: T, b: T): T {
  b.set(a);
  return b;
}

/** What the table is built from: one analysis's flows (FlowSet) and findings (Analysis). */
export interface FlowTableSource {
  readonly count: number;
  fillRow(id: number, row: FlowRow): void;
  view(id: number): FilterableFlow;
  classes(id: number): readonly string[];
  /** Every finding about a flow, in frame order. */
  eachFlowFinding(visit: (flow: number, kind: string, severity: Severity) => void): void;
}

/**
 * Build the table. It keeps what sorting and drawing need, and little else: one string per distinct
 * endpoint and badge, and each flow's findings as kind numbers grouped by flow. The sets of kinds
 * and the classes the filter reads are made when a filter asks for them.
 */
export function buildFlowTable(src: FlowTableSource): FlowTable {
  const count = src.count;
  const client: string[] = new Array(count), server: string[] = new Array(count), zeek: string[] = new Array(count);
  const packets = new Float64Array(count), bytes = new Float64Array(count), duration = new Float64Array(count);
  const clientState = new Uint8Array(count), serverState = new Uint8Array(count), assumed = new Uint8Array(count);
  // a capture's flows share servers, and a reused 4-tuple its client: one string each (looked up by
  // address, whose text is one string per address already, and port)
  const endpoints = new Map<string, Map<number, string>>();
  const endpoint = (ip: string, port: number): string => {
    let byPort = endpoints.get(ip);
    if (byPort === undefined) { byPort = new Map(); endpoints.set(ip, byPort); }
    let s = byPort.get(port);
    if (s === undefined) { s = formatEndpoint(ip, port); byPort.set(port, s); }
    return s;
  };
  const row: FlowRow = { clientIp: '', clientPort: 0, serverIp: '', serverPort: 0, connState: '', packets: 0, bytes: 0, duration: 0, clientState: 0, serverState: 0, assumed: false };
  for (let id = 0; id < count; id++) {
    src.fillRow(id, row);
    client[id] = endpoint(row.clientIp, row.clientPort);
    server[id] = endpoint(row.serverIp, row.serverPort);
    zeek[id] = row.connState;
    packets[id] = row.packets; bytes[id] = row.bytes; duration[id] = row.duration;
    clientState[id] = row.clientState;
    serverState[id] = row.serverState;
    assumed[id] = row.assumed ? 1 : 0;
  }

  // the findings, then grouped by flow (a counting sort, which keeps their frame order): flow id's
  // kinds (as numbers into kindNames) are kindOf[start[id]] up to kindOf[start[id + 1]]
  const kindNames: string[] = [];
  const kindNumber = new Map<string, number>();
  let flowOf = new Int32Array(1024), kindAt = new Uint16Array(1024), rankAt = new Uint8Array(1024);
  let total = 0;
  const findings = new Int32Array(count);
  src.eachFlowFinding((flow, kind, severity) => {
    let k = kindNumber.get(kind);
    if (k === undefined) { k = kindNames.length; kindNumber.set(kind, k); kindNames.push(kind); }
    if (total === flowOf.length) {
      flowOf = grown(flowOf, new Int32Array(2 * total));
      kindAt = grown(kindAt, new Uint16Array(2 * total));
      rankAt = grown(rankAt, new Uint8Array(2 * total));
    }
    flowOf[total] = flow; kindAt[total] = k; rankAt[total] = RANK[severity];
    total++;
    findings[flow]++;
  });
  const start = new Int32Array(count + 1);
  for (let id = 0; id < count; id++) start[id + 1] = start[id] + findings[id];
  const next = start.slice(0, count);
  const kindOf = new Uint16Array(total), rankOf = new Uint8Array(total);
  for (let x = 0; x < total; x++) {
    const at = next[flowOf[x]]++;
    kindOf[at] = kindAt[x];
    rankOf[at] = rankAt[x];
  }

  // a flow's badges: its kinds, most severe first (a kind's first finding says how severe), then most frequent
  const badges: string[] = new Array(count).fill('');
  const n = new Int32Array(kindNames.length), rank = new Uint8Array(kindNames.length);
  const order: number[] = [];
  const texts = new Map<string, string>(); // (flows often have the same badges)
  const byRank = (x: number, y: number) => rank[x] - rank[y] || n[y] - n[x];
  for (let id = 0; id < count; id++) {
    const a = start[id], b = start[id + 1];
    if (a === b) continue;
    order.length = 0;
    for (let x = a; x < b; x++) {
      const k = kindOf[x];
      if (n[k]++ === 0) { order.push(k); rank[k] = rankOf[x]; }
    }
    order.sort(byRank);
    let text = '';
    for (const k of order) {
      text += (text === '' ? '' : ' ') + badgeName(kindNames[k]) + (n[k] > 1 ? `×${n[k]}` : '');
      n[k] = 0;
    }
    const known = texts.get(text);
    if (known === undefined) texts.set(text, text);
    badges[id] = known ?? text;
  }

  const none: ReadonlySet<string> = new Set();
  const kinds = (id: number): ReadonlySet<string> => {
    if (start[id] === start[id + 1]) return none;
    const set = new Set<string>();
    for (let x = start[id]; x < start[id + 1]; x++) set.add(kindNames[kindOf[x]]);
    return set;
  };
  return {
    count, client, server, zeek, badges, packets, bytes, duration, findings, clientState, serverState, assumed,
    kinds,
    facts: (id) => ({ flow: src.view(id), kinds: kinds(id), classes: src.classes(id) }),
  };
}

/** Per state index: its family is closed or TIME_WAIT (the application has let go of the socket). */
const DONE = Uint8Array.from(STATES, (s: State) => { const f = stateFamily(s); return f === 'closed' || f === 'time-wait' ? 1 : 0; });

/** Neither endpoint is CLOSED or in TIME_WAIT: the connection still holds an application socket. */
export function notClosed(t: FlowTable, id: number): boolean {
  return DONE[t.clientState[id]] === 0 || DONE[t.serverState[id]] === 0;
}

/** The 64 bits of a float, as two words whose unsigned order is the float's order. */
const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1, HI = 1 - LO;

/**
 * Ids 0…n−1 in ascending order of their keys, ties by id: a stable radix sort on the keys' bits,
 * 16 at a time, which orders 500,000 flows in a few milliseconds where a comparison sort took a
 * good part of a second.
 */
export function orderBy(keys: ArrayLike<number>): Int32Array {
  const n = keys.length;
  const lo = new Uint32Array(n), hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    F64[0] = keys[i] + 0; // (−0 sorts as 0)
    const h = F64_WORDS[HI], l = F64_WORDS[LO];
    // a negative number: all bits flipped; otherwise the sign bit set
    if ((h & 0x80000000) !== 0) { hi[i] = ~h >>> 0; lo[i] = ~l >>> 0; } else { hi[i] = (h | 0x80000000) >>> 0; lo[i] = l; }
  }
  let ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  let out = new Int32Array(n);
  const at = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const w = pass < 2 ? lo : hi;
    const shift = (pass & 1) * 16;
    at.fill(0);
    for (let i = 0; i < n; i++) at[(w[i] >>> shift) & 0xffff]++;
    if (n === 0 || at[(w[0] >>> shift) & 0xffff] === n) continue; // one digit for all: nothing moves
    let sum = 0;
    for (let d = 0; d < 65536; d++) { const c = at[d]; at[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) { const id = ids[i]; out[at[(w[id] >>> shift) & 0xffff]++] = id; }
    const t = ids; ids = out; out = t;
  }
  return ids;
}

/** Per flow, the rank of its string among the column's distinct strings (which are sorted once each). */
function ranksOf(column: readonly string[]): Int32Array {
  const rank = new Map<string, number>();
  for (const s of column) rank.set(s, 0);
  const distinct = [...rank.keys()].sort();
  for (let r = 0; r < distinct.length; r++) rank.set(distinct[r], r);
  return Int32Array.from(column, (s) => rank.get(s)!);
}

/** Ids 0…t.count−1 in ascending order of a column, ties by id. */
function sortedBy(t: FlowTable, column: SortColumn): Int32Array {
  switch (column) {
    case 'id': return Int32Array.from({ length: t.count }, (_, i) => i);
    case 'client': return orderBy(ranksOf(t.client));
    case 'server': return orderBy(ranksOf(t.server));
    case 'zeek': return orderBy(ranksOf(t.zeek));
    case 'packets': return orderBy(t.packets);
    case 'bytes': return orderBy(t.bytes);
    case 'duration': return orderBy(t.duration);
    case 'findings': return orderBy(t.findings);
    case 'client-state': return orderBy(t.clientState);
    case 'server-state': return orderBy(t.serverState);
  }
}

/** Every flow id in ascending order of each column, computed once per column and table. */
const ORDERS = new WeakMap<FlowTable, Map<SortColumn, Int32Array>>();

/** All ids in ascending order of `column` (ties by id); descending order is this one reversed. */
export function columnOrder(t: FlowTable, column: SortColumn): Int32Array {
  let m = ORDERS.get(t);
  if (m === undefined) { m = new Map(); ORDERS.set(t, m); }
  let o = m.get(column);
  if (o === undefined) {
    o = sortedBy(t, column);
    m.set(column, o);
  }
  return o;
}
