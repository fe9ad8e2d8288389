/**
 * What the terminal UI shows, taken from one analysis: the flow table, the finding groups, the
 * leak rows, and a flow's ladder read again from the file on demand. It computes nothing the
 * analysis does not.
 */
import type { Analysis } from '../analysis/analyze.js';
import type { Anomaly } from '../analysis/anomalies.js';
import type { FrameIndex } from '../analysis/frame-index.js';
import { flowSegments } from '../analysis/flow-segments.js';
import { transitionsOut } from '../analysis/flows.js';
import { ENCRYPTED_FRAMES } from '../decode/decoder.js';
import { formatEndpoint } from '../report/addr.js';
import { SEVERITY_RANK, leakSections, thousands, type LeakSection } from '../report/analyze.js';
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
  /** What the flow list says when the capture has no flow, and why when the frames say why (encrypted). */
  noFlows: string;
  openFlow(id: number): Promise<OpenedFlow>;
}


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
  const section = <T>(s: LeakSection<T> | null, behind: (item: T) => Pick<LeakRow, 'title' | 'ids'>) => {
    if (s === null) return;
    rows.push({ text: s.title, heading: true });
    if (s.head.length > 0) {
      const lines = table(s.head, s.rows.map((r) => r.cells)).trimEnd().split('\n');
      rows.push({ text: lines[0], heading: true });
      lines.slice(1).forEach((text, i) => rows.push({ text, heading: false, ...behind(s.rows[i].item) }));
    }
    if (s.note !== undefined) rows.push({ text: s.note, heading: true });
    rows.push({ text: '', heading: true });
  };
  const CLOSE_WAIT = STATES.indexOf('CLOSE_WAIT'), LAST_ACK = STATES.indexOf('LAST_ACK');
  const FIN_WAIT_2 = STATES.indexOf('FIN_WAIT_2'), TIME_WAIT = STATES.indexOf('TIME_WAIT');
  const { closeWait, clientCloseWait, stragglers, timeWait } = leakSections(a);
  section(closeWait, (e) => {
    const ep = formatEndpoint(e.ip, e.port);
    return { title: `in CLOSE_WAIT at ${ep}`, ids: () => idsWhere(t, (id) => t.server[id] === ep && t.serverState[id] === CLOSE_WAIT) };
  });
  section(clientCloseWait, (h) => ({
    title: `clients in CLOSE_WAIT on ${h.ip}`,
    ids: () => idsWhere(t, (id) => t.clientState[id] === CLOSE_WAIT && hostOf(t.client[id]) === h.ip),
  }));
  section(stragglers, (e) => {
    const ep = formatEndpoint(e.ip, e.port);
    return { title: `LAST_ACK or FIN_WAIT_2 at ${ep}`, ids: () => idsWhere(t, (id) => t.server[id] === ep && (t.serverState[id] === LAST_ACK || t.clientState[id] === FIN_WAIT_2)) };
  });
  section(timeWait, (h) => ({
    title: `in TIME_WAIT on ${h.ip}`,
    ids: () => idsWhere(t, (id) => (t.clientState[id] === TIME_WAIT && hostOf(t.client[id]) === h.ip) || (t.serverState[id] === TIME_WAIT && hostOf(t.server[id]) === h.ip)),
  }));
  while (rows.length > 0 && rows[rows.length - 1].text === '') rows.pop();
  return rows;
}

const noFlowsText = (encrypted: number): string =>
  'no TCP flows in this capture' +
  (encrypted > 0 ? `: ${thousands(encrypted)} frame${encrypted === 1 ? ' is' : 's are'} encrypted (${ENCRYPTED_FRAMES})` : '');

export function tuiData(file: string, path: string, a: Analysis, index: FrameIndex | null): TuiData {
  const set = a.set;
  const t = buildFlowTable({
    count: set.count,
    fillRow: (id, row) => set.fillRow(id, row),
    view: (id) => set.view(id),
    classes: (id) => set.classes(id),
    eachFlowFinding: (visit) => a.eachFlowFinding(visit),
  });
  // every column's order now, while the loading screen is up, so no sort key waits for one
  for (const c of SORT_COLUMNS) columnOrder(t, c);
  const groups = a.kindCounts().sort((x, y) => SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.count - x.count);
  const head = set.head();
  const total = groups.reduce((n, g) => n + g.count, 0);
  return {
    file,
    headline: `${file}: ${thousands(head.frames)} frames, ${thousands(set.count)} flow${set.count === 1 ? '' : 's'}, ${thousands(total)} finding${total === 1 ? '' : 's'}` +
      // a damaged file was read up to the damage: its last states may be those of connections cut off there
      (head.damaged ? ' · file damaged: read up to the damage (the warning follows on quitting)' : ''),
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
    noFlows: noFlowsText(set.stats.notDecoded.encrypted ?? 0),
    async openFlow(id) {
      const start = performance.now();
      const { rows, transitions, supersededBy, via } = await flowSegments(path, id, a.thresholds.timeWaitLen, index, set);
      const findings = a.findingsOf(id);
      const clientIndex = set.clientIndex(id);
      const flow = { ...set.flow(id), transitions: transitionsOut(transitions, clientIndex) };
      return { flow, rows, clientIndex, findings, supersededBy, via, ms: performance.now() - start };
    },
  };
}
