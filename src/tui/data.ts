/**
 * What the terminal UI shows, taken from one analysis: the flow table, the finding groups, the
 * leak rows, and a flow's ladder read again from the file on demand. It computes nothing the
 * analysis does not.
 */
import type { Analysis } from '../analysis/analyze.js';
import type { Anomaly } from '../analysis/anomalies.js';
import type { FrameIndex } from '../analysis/frame-index.js';
import { flowSegments } from '../analysis/flow-segments.js';
import { formatEndpoint } from '../report/addr.js';
import { table } from '../report/flows.js';
import { STATES } from '../tcp/state-table.js';
import type { OpenedFlow } from './detail-state.js';
import { SORT_COLUMNS, buildFlowTable, columnOrder, type FlowTable } from './flow-table.js';

export interface FindingGroup {
  severity: Anomaly['severity'];
  /** Kind, with its variant after a colon. */
  kind: string;
  count: number;
}

export interface LeakRow {
  text: string;
  /** A section title or column heading, not a row with connections behind it. */
  heading: boolean;
  /** What the connections behind the row are, and their ids. */
  title?: string;
  ids?: () => Int32Array;
}

export interface TuiData {
  /** The capture as named on the command line. */
  file: string;
  headline: string;
  table: FlowTable;
  groups: FindingGroup[];
  /** The first `limit` findings of a group, and how many it has. */
  findingsOf(g: FindingGroup, limit: number): Anomaly[];
  leaks: LeakRow[];
  openFlow(id: number): Promise<OpenedFlow>;
}

const SEVERITY_RANK = { error: 0, warn: 1, note: 2, info: 3 } as const;
const thousands = (n: number) => n.toLocaleString('en-US');
const secs = (x: number | null) => (x === null ? '-' : x < 120 ? `${x.toFixed(1)} s` : `${(x / 60).toFixed(1)} min`);

/** The host part of an endpoint as formatEndpoint() writes it. */
const hostOf = (endpoint: string) => { const h = endpoint.slice(0, endpoint.lastIndexOf(':')); return h.startsWith('[') ? h.slice(1, -1) : h; };

function idsWhere(t: FlowTable, test: (id: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let id = 0; id < t.count; id++) if (test(id)) out.push(id);
  return Int32Array.from(out);
}

/** The `synfin leaks` tables as rows; each data row knows the connections behind it. */
function leakRows(a: Analysis, t: FlowTable): LeakRow[] {
  const rows: LeakRow[] = [];
  const section = (title: string, head: string[], cells: string[][], behind: Array<Pick<LeakRow, 'title' | 'ids'>>) => {
    rows.push({ text: title, heading: true });
    const lines = table(head, cells).trimEnd().split('\n');
    rows.push({ text: lines[0], heading: true });
    lines.slice(1).forEach((text, i) => rows.push({ text, heading: false, ...behind[i] }));
    rows.push({ text: '', heading: true });
  };
  const CLOSE_WAIT = STATES.indexOf('CLOSE_WAIT'), LAST_ACK = STATES.indexOf('LAST_ACK');
  const FIN_WAIT_2 = STATES.indexOf('FIN_WAIT_2'), TIME_WAIT = STATES.indexOf('TIME_WAIT');
  const cw = a.endpoints.filter((e) => e.closeWait.count > 0);
  if (cw.length === 0) {
    rows.push({ text: `CLOSE_WAIT: no server endpoint holds a connection in CLOSE_WAIT for ${secs(a.thresholds.closeWaitThreshold)} or more.`, heading: true }, { text: '', heading: true });
  } else {
    section('CLOSE_WAIT per server endpoint (peer\'s FIN acknowledged, own FIN never sent):',
      ['ENDPOINT', 'CONNS', 'STUCK', 'SHARE', 'OLDEST', 'MEDIAN', 'PEERS'],
      cw.map((e) => [formatEndpoint(e.ip, e.port), thousands(e.connections), thousands(e.closeWait.count), `${Math.round(e.closeWait.share * 100)}%`,
        secs(e.closeWait.oldestAge), secs(e.closeWait.medianAge), e.closeWait.peers.slice(0, 3).join(' ') + (e.closeWait.peers.length > 3 ? ' …' : '')]),
      cw.map((e) => {
        const ep = formatEndpoint(e.ip, e.port);
        return { title: `stuck in CLOSE_WAIT at ${ep}`, ids: () => idsWhere(t, (id) => t.server[id] === ep && t.serverState[id] === CLOSE_WAIT && t.kinds(id).has('close-wait-stuck')) };
      }));
  }
  const strag = a.endpoints.filter((e) => e.lastAck > 0 || e.finWait2 > 0);
  if (strag.length > 0) {
    section('Stragglers at the end of the capture:', ['SERVER ENDPOINT', 'SERVER LAST_ACK', 'CLIENT FIN_WAIT_2'],
      strag.map((e) => [formatEndpoint(e.ip, e.port), thousands(e.lastAck), thousands(e.finWait2)]),
      strag.map((e) => {
        const ep = formatEndpoint(e.ip, e.port);
        return { title: `LAST_ACK or FIN_WAIT_2 at ${ep}`, ids: () => idsWhere(t, (id) => t.server[id] === ep && (t.serverState[id] === LAST_ACK || t.clientState[id] === FIN_WAIT_2)) };
      }));
  }
  if (a.hosts.length === 0) {
    rows.push({ text: 'TIME_WAIT: no host holds a connection in TIME_WAIT.', heading: true });
  } else {
    section(`TIME_WAIT per host (threshold ${thousands(a.thresholds.timeWaitThreshold)}, TIME_WAIT length ${secs(a.thresholds.timeWaitLen)}):`,
      ['HOST', 'AT END', 'PEAK', 'CLIENT-SIDE', 'SERVER-SIDE', 'BUSIEST SERVICE'],
      a.hosts.map((h) => [h.ip, thousands(h.timeWait.atEnd), thousands(h.timeWait.peak), thousands(h.timeWait.clientSide), thousands(h.timeWait.serverSide),
        h.portPressure[0] ? `${h.portPressure[0].server} (${thousands(h.portPressure[0].inUse)} of ${thousands(h.portPressure[0].range)} ports)` : '-']),
      a.hosts.map((h) => ({
        title: `in TIME_WAIT on ${h.ip}`,
        ids: () => idsWhere(t, (id) => (t.clientState[id] === TIME_WAIT && hostOf(t.client[id]) === h.ip) || (t.serverState[id] === TIME_WAIT && hostOf(t.server[id]) === h.ip)),
      })));
  }
  while (rows.length > 0 && rows[rows.length - 1].text === '') rows.pop();
  return rows;
}

/** The findings of one flow, in frame order. */
function findingsOfFlow(a: Analysis, id: number): Anomaly[] {
  const keep = a.set.keep;
  a.set.keep = new Set([id]);
  try {
    return [...a.eachAnomaly()].filter((x) => x.flow === id);
  } finally {
    a.set.keep = keep;
  }
}

export function tuiData(file: string, path: string, a: Analysis, index: FrameIndex | null): TuiData {
  const set = a.set;
  const t = buildFlowTable(set.count, set.flows(), a.eachAnomaly(), (id) => set.view(id));
  // every column's order now, while the loading screen is up, so no sort key waits for one
  for (const c of SORT_COLUMNS) columnOrder(t, c);
  const groups = a.kindCounts().sort((x, y) => SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.count - x.count);
  const head = set.head();
  const total = groups.reduce((n, g) => n + g.count, 0);
  return {
    file,
    headline: `${file}: ${thousands(head.frames)} frames, ${thousands(set.count)} flow${set.count === 1 ? '' : 's'}, ${thousands(total)} finding${total === 1 ? '' : 's'}`,
    table: t,
    groups,
    findingsOf(g, limit) {
      const out: Anomaly[] = [];
      for (const x of a.eachAnomaly({ severity: g.severity, kind: g.kind })) {
        out.push(x);
        if (out.length >= limit) break;
      }
      return out;
    },
    leaks: leakRows(a, t),
    async openFlow(id) {
      const start = performance.now();
      const { rows, via } = await flowSegments(path, id, a.thresholds.timeWaitLen, index);
      const findings = findingsOfFlow(a, id);
      return { flow: set.flow(id), rows, clientIndex: set.clientIndex(id), findings, via, ms: performance.now() - start };
    },
  };
}
