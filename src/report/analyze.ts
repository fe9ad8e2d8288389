import { MERGED_FILE, type Analysis, type EndpointLeaks, type HostLeaks, type MergedLeaks } from '../analysis/analyze.js';
import { utcDateTime } from '../capture/time.js';
import type { StatsReport } from '../analysis/stats.js';
import { ENCRYPTED_FRAMES } from '../decode/decoder.js';
import { kindLabel, type Anomaly } from '../analysis/anomalies.js';
import { wiresharkFilterOf } from '../analysis/seq-analysis.js';
import { formatEndpoint } from './addr.js';
import { formatDuration } from './duration.js';
import { OVERSIZED_CAUSE, csvCell, table } from './flows.js';

export interface TextOptions {
  /** ANSI colours (only on a terminal, never with NO_COLOR). */
  color: boolean;
  /** Findings listed in full; the rest are counted. */
  limit: number;
}

/** Severities, most severe first. */
export const SEVERITY_RANK = { error: 0, warn: 1, note: 2, info: 3 } as const;
const COLOR = { error: '\x1b[31m', warn: '\x1b[33m', note: '\x1b[36m', info: '\x1b[2m' } as const;
const RESET = '\x1b[0m';

export const thousands = (n: number): string => n.toLocaleString('en-US');
function paint(o: TextOptions, sev: Anomaly['severity'], text: string): string {
  return o.color ? `${COLOR[sev]}${text}${RESET}` : text;
}

/** A timestamp string as the UTC month, day and time to the second ("11-21 06:56:48"), '-' for none. */
function utcTime(ts: string | null): string {
  if (ts === null) return '-';
  return utcDateTime(Math.floor(Number(ts)))?.slice(5) ?? ts;
}

/** One leak table, or a single line where there is nothing to tabulate. */
export interface LeakSection<T> {
  title: string;
  /** Column headings; empty for a section that is only its title. */
  head: string[];
  rows: Array<{ cells: string[]; item: T }>;
  /** A line after the table. */
  note?: string;
}

/** What the CLOSE_WAIT table cannot show: connections not judged, and why. */
function closeWaitNote(cw: EndpointLeaks[], threshold: string): string | undefined {
  const unseen = cw.reduce((a, e) => a + e.closeWait.unseen, 0), atEnd = cw.reduce((a, e) => a + e.closeWait.atEnd, 0);
  const inferred = unseen === 0 ? ''
    : `${unseen === atEnd ? 'Their' : `${thousands(unseen)} of them have their`} CLOSE_WAIT only inferred: nothing the server sent is in the capture (a one-sided capture), so they are not judged.`;
  if (cw.some((e) => e.closeWait.count > 0) || unseen === atEnd) return inferred || undefined;
  return `None of them was idle for ${threshold} (--close-wait-threshold) by the end of the capture: too soon to call them stuck.` + (inferred ? ` ${inferred}` : '');
}

/** The first three peers of a table row, and a mark when there are more. */
const peerCell = (peers: readonly string[]): string => peers.slice(0, 3).join(' ') + (peers.length > 3 ? ' …' : '');

/**
 * The leak tables, for the text report and the terminal UI alike: CLOSE_WAIT per server endpoint and
 * per client host, stragglers, TIME_WAIT per host (at most `maxHosts` of them, but every host over the threshold).
 */
export function leakSections(a: Pick<Analysis, 'endpoints' | 'hosts' | 'thresholds'>, maxHosts = Infinity): {
  closeWait: LeakSection<EndpointLeaks>; clientCloseWait: LeakSection<HostLeaks> | null; stragglers: LeakSection<EndpointLeaks> | null;
  timeWait: LeakSection<HostLeaks>;
} {
  const threshold = formatDuration(a.thresholds.closeWaitThreshold);
  const cw = a.endpoints.filter((e) => e.closeWait.atEnd > 0 || e.closeWait.count > 0);
  const closeWait: LeakSection<EndpointLeaks> = cw.length === 0
    ? { title: 'CLOSE_WAIT: no server endpoint holds a connection in CLOSE_WAIT.', head: [], rows: [] }
    : {
      title: `CLOSE_WAIT per server endpoint (peer's FIN acknowledged, own FIN never sent; stuck: idle for ${threshold} or more):`,
      head: ['ENDPOINT', 'CONNS', 'CLOSE_WAIT', 'STUCK', 'SHARE', 'OLDEST', 'SINCE (UTC)', 'MEDIAN', 'PEERS'],
      rows: cw.map((e) => ({
        item: e,
        cells: [formatEndpoint(e.ip, e.port), thousands(e.connections), thousands(e.closeWait.atEnd), thousands(e.closeWait.count),
          `${Math.round(e.closeWait.share * 100)}%`, formatDuration(e.closeWait.oldestAge), utcTime(e.closeWait.oldestSince), formatDuration(e.closeWait.medianAge),
          peerCell(e.closeWait.peers)],
      })),
      note: closeWaitNote(cw, threshold),
    };
  const ccw = a.hosts.filter((h) => h.closeWait.count > 0).sort((x, y) => y.closeWait.count - x.closeWait.count);
  const clientCloseWait: LeakSection<HostLeaks> | null = ccw.length === 0 ? null : {
    title: `CLOSE_WAIT on the client side, per host (its server closed, the client application never did, as a leaking connection pool does; idle for ${threshold} or more):`,
    head: ['HOST', 'STUCK', 'OLDEST', 'SERVERS'],
    rows: ccw.map((h) => ({
      item: h,
      cells: [h.ip, thousands(h.closeWait.count), formatDuration(h.closeWait.oldestAge), peerCell(h.closeWait.peers)],
    })),
  };
  const strag = a.endpoints.filter((e) => e.lastAck > 0 || e.finWait2 > 0);
  const stragglers: LeakSection<EndpointLeaks> | null = strag.length === 0 ? null : {
    title: 'Stragglers at the end of the capture:',
    head: ['SERVER ENDPOINT', 'SERVER LAST_ACK', 'CLIENT FIN_WAIT_2'],
    rows: strag.map((e) => ({
      item: e,
      cells: [formatEndpoint(e.ip, e.port), thousands(e.lastAck),
        thousands(e.finWait2) + (e.finWait2MayHaveExpired > 0 ? ` (${thousands(e.finWait2MayHaveExpired)} may have expired)` : '')],
    })),
    note: strag.some((e) => e.finWait2MayHaveExpired > 0)
      ? 'A client whose FIN was acknowledged longer ago than --fin-wait2-timeout may have left FIN_WAIT_2 unseen, if its application closed the socket (Linux tcp_fin_timeout).'
      : undefined,
  };
  // at most maxHosts rows, but every host over a threshold among them
  const over = (h: HostLeaks) => h.timeWait.atEnd >= a.thresholds.timeWaitThreshold || h.timeWait.peak >= a.thresholds.timeWaitThreshold;
  const twHosts = a.hosts.filter((h) => h.timeWait.peak > 0);
  const crossed = twHosts.filter(over);
  const shownHosts = twHosts.length <= maxHosts ? twHosts
    : [...crossed, ...twHosts.filter((h) => !over(h)).slice(0, Math.max(0, maxHosts - crossed.length))];
  const hiddenHosts = twHosts.length - shownHosts.length;
  const timeWait: LeakSection<HostLeaks> = twHosts.length === 0
    ? { title: 'TIME_WAIT: no host holds a connection in TIME_WAIT.', head: [], rows: [] }
    : {
      title: `TIME_WAIT per host (threshold ${thousands(a.thresholds.timeWaitThreshold)}, TIME_WAIT length ${formatDuration(a.thresholds.timeWaitLen)}):`,
      head: ['HOST', 'AT END', 'PEAK', 'CLIENT-SIDE', 'SERVER-SIDE', 'BUSIEST SERVICE'],
      rows: shownHosts.map((h) => ({
        item: h,
        cells: [h.ip, thousands(h.timeWait.atEnd), thousands(h.timeWait.peak), thousands(h.timeWait.clientSide), thousands(h.timeWait.serverSide),
          busiestService(h)],
      })),
      note: hiddenHosts > 0 ? `… and ${thousands(hiddenHosts)} more host${hiddenHosts === 1 ? '' : 's'} below the threshold (--json lists them all).` : undefined,
    };
  return { closeWait, clientCloseWait, stragglers, timeWait };
}

/**
 * The service behind most of a host's TIME_WAIT: the one its clients' ports pile up towards (with the
 * share of their ephemeral range), or its own service holding them as the server, whichever holds more.
 */
function busiestService(h: HostLeaks): string {
  const p = h.portPressure[0], v = h.services[0];
  if (p !== undefined && (v === undefined || p.inUse >= v.inUse)) return `${p.server} (${thousands(p.inUse)} of ${thousands(p.range)} ports)`;
  if (v !== undefined) return `${v.server} (${thousands(v.inUse)} held as server)`;
  return '-';
}

/** The leak tables as text (see leakSections; at most 20 hosts). */
export function renderLeakTables(a: Pick<Analysis, 'endpoints' | 'hosts' | 'thresholds'>): string {
  const { closeWait, clientCloseWait, stragglers, timeWait } = leakSections(a, 20);
  const out: string[] = [];
  for (const s of [closeWait, clientCloseWait, stragglers, timeWait]) {
    if (s === null) continue;
    out.push(s.title);
    if (s.head.length > 0) out.push(table(s.head, s.rows.map((r) => r.cells)).trimEnd());
    if (s.note !== undefined) out.push(s.note);
  }
  return out.join('\n') + '\n';
}

/** The first line of a text report about one capture: the file, its format, and how much it holds. */
export function captureHeadline(a: Analysis): string {
  const s = a.set.stats;
  const n = a.set.count;
  return `${s.file}: ${s.format}, ${thousands(s.frames)} frames, ${thousands(s.tcpSegments)} TCP segments, ${thousands(n)} connection${n === 1 ? '' : 's'}`;
}

/**
 * What a capture without a single TCP connection holds instead (the reasons `synfin stats` counts),
 * and, when some of it is encrypted, why no TCP can be seen in it.
 */
export function noConnectionsLine(s: Pick<StatsReport, 'frames' | 'notDecoded'>): string {
  if (s.frames === 0) return 'No TCP connection in this capture: it holds no frames.';
  const nd = Object.entries(s.notDecoded).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${thousands(v)}`);
  const enc = s.notDecoded.encrypted ?? 0;
  return `No TCP connection in this capture. Its ${thousands(s.frames)} frame${s.frames === 1 ? '' : 's'}: ${nd.join(', ') || 'TCP headers too short to track'}` +
    (enc > 0 ? `; the ${thousands(enc)} encrypted (${ENCRYPTED_FRAMES}) may hold TCP that cannot be seen` : '') + '.';
}

/** Rows of the final-state combinations in the summary, the commonest first. */
const STATE_ROWS = 12;

/** The text report of `synfin analyze`: summary, worst connections, leaks, then the findings. */
export function renderAnalyze(a: Analysis, o: TextOptions): string {
  const out: string[] = [];
  out.push(captureHeadline(a));
  // (no connection: no tables to fill, only what the capture holds instead)
  if (a.set.count === 0) return `${out[0]}\n${noConnectionsLine(a.set.stats)}\n`;
  out.push('');
  const states = new Map<string, number>(), zeek = new Map<string, number>(), classes = new Map<string, number>();
  let oversized = 0, oversizedFlows = 0;
  for (const f of a.set.flows()) {
    const k = `${f.finalState.client}\t${f.finalState.server}`;
    states.set(k, (states.get(k) ?? 0) + 1);
    zeek.set(f.connState, (zeek.get(f.connState) ?? 0) + 1);
    for (const c of f.classes ?? []) classes.set(c, (classes.get(c) ?? 0) + 1);
    if (f.oversizedSegments > 0) { oversized += f.oversizedSegments; oversizedFlows++; }
  }
  const byCount = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]);
  out.push('Connections by final state (client / server):');
  out.push(table(['COUNT', 'CLIENT', 'SERVER'], byCount(states).slice(0, STATE_ROWS).map(([k, n]) => [thousands(n), ...k.split('\t')])).trimEnd());
  if (states.size > STATE_ROWS) out.push(`… and ${thousands(states.size - STATE_ROWS)} more combination${states.size - STATE_ROWS === 1 ? '' : 's'} (synfin flows lists every connection)`);
  out.push(`Zeek conn_state: ${byCount(zeek).map(([k, n]) => `${k} ${thousands(n)}`).join(' · ') || '-'}`);
  if (classes.size > 0) out.push(`Classes: ${byCount(classes).map(([k, n]) => `${k} ${thousands(n)}`).join(' · ')}`);
  if (oversized > 0) {
    out.push(`Note: ${thousands(oversized)} segment(s) in ${thousands(oversizedFlows)} connection(s) carry more data than the MSS their receiver announced: ` +
      `${OVERSIZED_CAUSE}, and retransmission, duplicate-ACK and window figures are distorted; ` +
      'capture with those offloads off (ethtool -K DEV tso off gso off gro off) to see the wire.');
  }
  out.push('');
  const kinds = a.kindCounts().sort((x, y) => SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.count - x.count);
  // (one pass over the flag records, which may be read back from their spool file)
  const summarized = a.summarizedCount();
  if (kinds.length === 0) {
    out.push('Findings: none.');
  } else {
    out.push('Findings by kind (the Wireshark filter shows the same frames, for the kinds Wireshark flags):');
    out.push(table(['SEVERITY', 'KIND', 'COUNT', 'WIRESHARK FILTER'],
      kinds.map((k) => [paint(o, k.severity, k.severity.padEnd(5)), k.kind, thousands(k.count), wiresharkFilterOf(k.kind) ?? '-'])).trimEnd());
    const dup = kinds.find((k) => k.kind === 'duplicate-frame');
    const frames = a.set.stats.frames;
    if (dup && dup.count * 100 > frames) {
      out.push(`Note: ${thousands(dup.count)} frames (${((100 * dup.count) / frames).toFixed(1)}%) are duplicates of the frame before them: Wireshark-compatible retransmissions and duplicate ACKs are inflated by them.`);
    }
    const atStart = [...a.captureStartCounts()].sort((x, y) => y[1] - x[1]);
    if (atStart.length > 0) {
      const n = atStart.reduce((t, [, c]) => t + c, 0);
      out.push(`Note: ${thousands(n)} of these flags (${atStart.map(([k, c]) => `${k} ${thousands(c)}`).join(', ')}) fall in the first round trip of ` +
        'connections the capture joined mid-stream, before either side acknowledged data the capture showed: with no history, such flags often ' +
        'concern data sent before the capture began ("captureStart" in JSON).');
    }
    if (summarized > 0) {
      const n = [...a.filtered].filter((id) => a.set.keep === null || a.set.keep.has(id)).length;
      out.push(`Note: ${thousands(n)} connection(s) look filtered or lossy in the capture (capture-loss:filtered): their ${thousands(summarized)} ` +
        'previous-segment-lost and acked-unseen flags are counted above but not listed below, where one line per connection stands for them.');
    }
    // worst connections: the most errors, then the most warnings, then the most findings
    const per = a.perFlow();
    const worst = [...per].sort(([x, p], [y, q]) => q.errors - p.errors || q.warnings - p.warnings || q.count - p.count || x - y).slice(0, 10);
    if (worst.length > 0) {
      out.push('');
      out.push('Worst connections (most errors, then most warnings, then most findings):');
      out.push(table(['FLOW', 'CLIENT', 'SERVER', 'ERRORS', 'WARNINGS', 'FINDINGS', 'CLIENT STATE', 'SERVER STATE'], worst.map(([id, n]) => {
        const f = a.set.flow(id);
        return [String(id), formatEndpoint(f.client.ip, f.client.port), formatEndpoint(f.server.ip, f.server.port),
          thousands(n.errors), thousands(n.warnings), thousands(n.count), f.finalState.client, f.finalState.server];
      })).trimEnd());
    }
  }
  out.push('');
  out.push(renderLeakTables(a).trimEnd());
  const total = a.anomalyCount - summarized;
  if (total > 0) {
    out.push('');
    if (total <= o.limit) {
      out.push('Findings:');
      for (const x of a.eachAnomaly({ summarized: true })) out.push(findingLine(o, { first: x, count: 1, lastFrame: x.frame, same: true }));
    } else {
      const lines = mostSevere(a, o.limit);
      const covered = lines.reduce((n, l) => n + l.count, 0);
      out.push(`Findings (${covered < total ? `the ${thousands(covered)} most severe of ${thousands(total)}` : `all ${thousands(total)}`}, ` +
        'one line per flow and kind, in frame order; --json or --csv lists them one by one, --limit shows more lines):');
      for (const l of lines) out.push(findingLine(o, l));
    }
  }
  return out.join('\n') + '\n';
}

/** One line of the text report's findings: one finding, or `count` findings of one kind about one flow. */
interface FindingLine {
  first: Anomaly;
  count: number;
  /** The frame of the last of them. */
  lastFrame: number | null;
  /** They all say the same sentence. */
  same: boolean;
}

function findingLine(o: TextOptions, l: FindingLine): string {
  const x = l.first;
  const where = x.frame === null ? '' : l.count > 1 && l.lastFrame !== null ? `frames ${x.frame}–${l.lastFrame} ` : `frame ${x.frame} `;
  const flow = x.flow === null ? '' : `flow ${x.flow} `;
  const times = l.count === 1 ? '' : l.same ? ` ×${thousands(l.count)}` : ` ×${thousands(l.count)}, the first`;
  return `  ${where}${flow}${paint(o, x.severity, `${x.severity} ${kindLabel(x.kind, x.variant)}`)}${times}: ${x.message}`;
}

const SEVERITIES = Object.keys(SEVERITY_RANK) as Array<keyof typeof SEVERITY_RANK>;

/**
 * At most `limit` lines of findings, in frame order (aggregates last): errors first, then warnings,
 * notes and information, so a flood of window updates does not push a retransmission or a reset off
 * the list; and the findings of one kind about one flow take one line, with their count and frames,
 * so thirty zero-window findings in a row take one line, not thirty.
 */
function mostSevere(a: Analysis, limit: number): FindingLine[] {
  const lines: FindingLine[] = [];
  const byKey = new Map<string, FindingLine>();
  for (const severity of SEVERITIES) {
    if (lines.length >= limit) break;
    // (a line's findings share its severity: this pass sees them all, so every count is whole)
    for (const x of a.eachAnomaly({ severity, summarized: true })) {
      // (findings without a flow are aggregates, each one of its own)
      const key = x.flow === null ? null : `${x.flow}\t${x.kind}\t${x.variant}\t${x.severity}`;
      const l = key === null ? undefined : byKey.get(key);
      if (l !== undefined) {
        l.count++;
        l.lastFrame = x.frame;
        if (l.same && x.message !== l.first.message) l.same = false;
        continue;
      }
      if (lines.length >= limit) continue;
      const line = { first: x, count: 1, lastFrame: x.frame, same: true };
      if (key === null) { lines.push(line); continue; }
      byKey.set(key, line);
      lines.push(line);
    }
  }
  return lines.sort((x, y) => (x.first.frame ?? Infinity) - (y.first.frame ?? Infinity));
}

const anomalyJson = (x: Anomaly) => JSON.stringify(x);

/** The full JSON report, streamed: head, flows, anomalies one per line, then the aggregates. */
export function* analyzeJson(a: Analysis): Generator<string> {
  const head = JSON.stringify(a.set.head(), null, 2);
  yield head.slice(0, head.length - 2) + ',\n  "flows": [';
  let first = true;
  for (const f of a.set.flowJsons()) { yield (first ? '\n    ' : ',\n    ') + f; first = false; }
  yield (first ? ']' : '\n  ]') + ',\n  "anomalies": [';
  first = true;
  for (const x of a.eachAnomaly()) { yield (first ? '\n    ' : ',\n    ') + anomalyJson(x); first = false; }
  yield (first ? ']' : '\n  ]') + `,\n  "endpoints": ${JSON.stringify(a.endpoints)},\n  "hosts": ${JSON.stringify(a.hosts)}\n}`;
}

/** `synfin leaks --json`: the head fields, the aggregates and the leak findings. */
export function* leaksJson(a: Analysis): Generator<string> {
  const head = JSON.stringify(a.set.head(), null, 2);
  const findings = [...a.eachAnomaly({ kinds: new Set([...LEAK_KINDS, ...LEAK_NOTE_KINDS]) })];
  yield head.slice(0, head.length - 2) +
    `,\n  "endpoints": ${JSON.stringify(a.endpoints, null, 2).split('\n').join('\n  ')}` +
    `,\n  "hosts": ${JSON.stringify(a.hosts, null, 2).split('\n').join('\n  ')}` +
    `,\n  "anomalies": [${findings.map((x) => `\n    ${anomalyJson(x)}`).join(',')}${findings.length ? '\n  ' : ''}]\n}`;
}

/** The findings `synfin leaks` is about; any of them makes it exit with status 3. */
export const LEAK_KINDS: ReadonlySet<string> = new Set(['close-wait-stuck', 'time-wait-excess']);
/** What `synfin leaks` reports besides: a server that closes first piles up TIME_WAIT by design (reference §7.11). */
export const LEAK_NOTE_KINDS: ReadonlySet<string> = new Set(['time-wait-server-side']);

/**
 * Why `synfin leaks` exits with status 3, in words: the thresholds crossed (the stuck CLOSE_WAIT
 * connections counted, each host-wide finding in full), then the notes; empty when there is none.
 */
export function renderLeakFindings(a: Pick<Analysis, 'eachAnomaly' | 'thresholds'>): string {
  const crossed: string[] = [];
  let stuck = 0, stuckClients = 0, late = 0;
  for (const x of a.eachAnomaly({ kinds: LEAK_KINDS })) {
    if (x.kind === 'close-wait-stuck' && x.data.ended !== undefined) { late++; continue; }
    if (x.kind === 'close-wait-stuck') { stuck++; if (x.data.holder === 'client') stuckClients++; continue; }
    crossed.push(leakLine(x));
  }
  if (stuck > 0) {
    crossed.unshift(`  warn close-wait-stuck: ${thousands(stuck)} connection${stuck === 1 ? '' : 's'} idle in CLOSE_WAIT for ${formatDuration(a.thresholds.closeWaitThreshold)} ` +
      `(--close-wait-threshold) or more${stuckClients > 0 ? `, ${thousands(stuckClients)} of them on the client side` : ''}: the application received its peer's FIN and never closed (tables above).`);
  }
  if (late > 0) {
    crossed.push(`  warn close-wait-stuck: ${thousands(late)} connection${late === 1 ? '' : 's'} sat in CLOSE_WAIT for ${formatDuration(a.thresholds.closeWaitThreshold)} or more ` +
      'before closing at last (data.ended = fin, or peer-forgot when the peer answered that FIN with a RST): see synfin analyze for each.');
  }
  const notes = [...a.eachAnomaly({ kinds: LEAK_NOTE_KINDS })].map(leakLine);
  return crossedLines(crossed, notes);
}

/** A leak finding on a line of its own, under a heading of `leaks`' text. */
const leakLine = (x: Anomaly): string => `  ${x.severity} ${kindLabel(x.kind, x.variant)}: ${x.message}`;

/** The end of `leaks`' text: the thresholds crossed (why it exits with status 3), then the notes; empty when there is neither. */
function crossedLines(crossed: string[], notes: string[] = []): string {
  const out: string[] = [];
  if (crossed.length > 0) out.push('Thresholds crossed (exit status 3):', ...crossed);
  if (notes.length > 0) out.push('Also:', ...notes);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** The same for `leaks --merge`: the findings the merged figures cross, and how many the captures have of their own. */
export function renderMergedFindings(m: Pick<MergedLeaks, 'anomalies'>): string {
  const merged = m.anomalies.filter((x) => x.file === MERGED_FILE);
  const own = m.anomalies.length - merged.length;
  return crossedLines([...merged.map(leakLine), ...(own > 0 ? [`  ${own} finding(s) of the captures themselves (--json lists them, each with its file)`] : [])]);
}

export const ANOMALY_CSV_COLUMNS = ['file', 'frame', 'flow', 'kind', 'variant', 'severity', 'direction', 'client_state', 'server_state', 'message'];

export function* anomaliesCsv(a: Analysis): Generator<string> {
  const file = a.set.stats.file;
  for (const x of a.eachAnomaly()) {
    yield [file, x.frame, x.flow, x.kind, x.variant, x.severity, x.direction, x.states?.client ?? null, x.states?.server ?? null, x.message]
      .map(csvCell).join(',') + '\n';
  }
}
