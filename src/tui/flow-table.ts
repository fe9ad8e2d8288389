/**
 * The flow list's data: one column per sortable field, built once from the analysis, so sorting
 * and filtering 100,000 flows are typed-array passes. Flow reports are built only for the rows
 * on screen and for filters that need them.
 */
import type { Anomaly } from '../analysis/anomalies.js';
import type { FilterableFlow, FlowFacts } from '../analysis/filter.js';
import type { FlowReport } from '../analysis/flows.js';
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

const NO_CLASSES: readonly string[] = [];

/** Build the table from the flows (in id order, ids 0…n−1) and every finding. */
export function buildFlowTable(count: number, flows: Iterable<FlowReport>, anomalies: Iterable<Anomaly>, view: (id: number) => FilterableFlow): FlowTable {
  const client: string[] = new Array(count), server: string[] = new Array(count), zeek: string[] = new Array(count);
  const packets = new Float64Array(count), bytes = new Float64Array(count), duration = new Float64Array(count);
  const clientState = new Uint8Array(count), serverState = new Uint8Array(count);
  const classes: Array<readonly string[]> = new Array(count).fill(NO_CLASSES);
  for (const f of flows) {
    const i = f.id;
    if (f.classes !== undefined) classes[i] = f.classes;
    client[i] = formatEndpoint(f.client.ip, f.client.port);
    server[i] = formatEndpoint(f.server.ip, f.server.port);
    zeek[i] = f.connState;
    packets[i] = f.packets; bytes[i] = f.bytes; duration[i] = f.duration;
    clientState[i] = STATES.indexOf(f.finalState.client);
    serverState[i] = STATES.indexOf(f.finalState.server);
  }
  const findings = new Int32Array(count);
  const perFlow = new Map<number, Map<string, { n: number; rank: number }>>();
  for (const a of anomalies) {
    if (a.flow === null) continue;
    findings[a.flow]++;
    let m = perFlow.get(a.flow);
    if (m === undefined) { m = new Map(); perFlow.set(a.flow, m); }
    const e = m.get(a.kind);
    if (e) e.n++; else m.set(a.kind, { n: 1, rank: RANK[a.severity] });
  }
  const badges: string[] = new Array(count).fill('');
  const kinds = new Map<number, ReadonlySet<string>>();
  for (const [id, m] of perFlow) {
    badges[id] = [...m].sort((x, y) => x[1].rank - y[1].rank || y[1].n - x[1].n)
      .map(([k, e]) => (e.n > 1 ? `${badgeName(k)}×${e.n}` : badgeName(k))).join(' ');
    kinds.set(id, new Set(m.keys()));
  }
  const none: ReadonlySet<string> = new Set();
  return {
    count, client, server, zeek, badges, packets, bytes, duration, findings, clientState, serverState,
    kinds: (id) => kinds.get(id) ?? none,
    facts: (id) => ({ flow: view(id), kinds: kinds.get(id) ?? none, classes: classes[id] }),
  };
}

/** Per state index: its family is closed or TIME_WAIT (the application has let go of the socket). */
const DONE = Uint8Array.from(STATES, (s: State) => { const f = stateFamily(s); return f === 'closed' || f === 'time-wait' ? 1 : 0; });

/** Neither endpoint is CLOSED or in TIME_WAIT: the connection still holds an application socket. */
export function notClosed(t: FlowTable, id: number): boolean {
  return DONE[t.clientState[id]] === 0 || DONE[t.serverState[id]] === 0;
}

/** Ids sorted by a column (ties by id), ascending or descending. */
export function sortIds(t: FlowTable, ids: Int32Array, column: SortColumn, desc: boolean): Int32Array {
  const out = ids.slice();
  const num = (a: ArrayLike<number>) => (x: number, y: number) => a[x] - a[y];
  const str = (a: readonly string[]) => (x: number, y: number) => (a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : 0);
  const cmp: (x: number, y: number) => number = {
    id: () => 0,
    client: str(t.client), server: str(t.server), zeek: str(t.zeek),
    packets: num(t.packets), bytes: num(t.bytes), duration: num(t.duration), findings: num(t.findings),
    'client-state': num(t.clientState), 'server-state': num(t.serverState),
  }[column] as (x: number, y: number) => number;
  const sign = desc ? -1 : 1;
  out.sort((x, y) => sign * (cmp(x, y) || x - y));
  return out;
}

/** Every flow id in ascending order of each column, computed once per column and table. */
const ORDERS = new WeakMap<FlowTable, Map<SortColumn, Int32Array>>();

/** All ids in ascending order of `column` (ties by id); descending order is this one reversed. */
export function columnOrder(t: FlowTable, column: SortColumn): Int32Array {
  let m = ORDERS.get(t);
  if (m === undefined) { m = new Map(); ORDERS.set(t, m); }
  let o = m.get(column);
  if (o === undefined) {
    const all = new Int32Array(t.count);
    for (let i = 0; i < t.count; i++) all[i] = i;
    o = column === 'id' ? all : sortIds(t, all, column, false);
    m.set(column, o);
  }
  return o;
}
