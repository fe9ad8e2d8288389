/**
 * `synfin analyze` and `synfin leaks`: the flows, every anomaly (Wireshark-compatible flags and
 * lifecycle findings) sorted by frame, and the per-endpoint and per-host aggregates an SRE needs.
 */
import { formatTs } from '../capture/time.js';
import { formatEndpoint, formatIp } from '../report/addr.js';
import { CLOSE_WAIT, FIN_WAIT_2, LAST_ACK, STATES, TIME_WAIT } from '../tcp/state-table.js';
import type { Stream } from '../tcp/tracker.js';
import { flagAnomaly, kindLabel, type Anomaly, type Severity } from './anomalies.js';
import { FlowSet, endpointKey, trackCapture, type FlowReport, type FlowsOptions } from './flows.js';
import { Analyzer, DEFAULT_THRESHOLDS, type LifeRecord, type Thresholds } from './lifecycle.js';
import { F_ACKED_UNSEEN, F_PREVIOUS_SEGMENT_LOST, WIRESHARK_KINDS } from './seq-analysis.js';
import type { StatsReport } from './stats.js';

/** CLOSE_WAIT ages (seconds) and peers behind one endpoint's figures, kept so several captures can be merged. */
interface CloseWaitDetail {
  ages: number[];
  peers: Map<string, number>;
}

export interface EndpointLeaks {
  ip: string;
  port: number;
  /** Connections to this server endpoint in the capture. */
  connections: number;
  /**
   * Connections stuck in CLOSE_WAIT on this server endpoint (`close-wait-stuck`: idle for the threshold
   * or longer by the end of the capture), their ages, peers and share of the endpoint's connections;
   * `atEnd` counts every connection whose server side ends in CLOSE_WAIT, stuck or not yet.
   */
  closeWait: {
    count: number; atEnd: number;
    /** Of atEnd, those only inferred: the server sent nothing the capture holds (a one-sided capture), so they are not judged. */
    unseen: number;
    oldestAge: number | null;
    /** When the oldest stuck connection's peer sent its FIN: decimal seconds, to the millisecond. */
    oldestSince: string | null;
    /** The youngest, median and oldest ages (maxAge = oldestAge). */
    minAge: number | null; medianAge: number | null; maxAge: number | null; share: number; peers: string[];
  };
  /** Connections where this server is stuck in LAST_ACK, or its client in FIN_WAIT_2, at the end. */
  lastAck: number;
  finWait2: number;
  /** Of finWait2, those whose FIN was acknowledged longer ago than --fin-wait2-timeout: if their application closed, the orphan timer has ended them. */
  finWait2MayHaveExpired: number;
  /** Connections where this server holds TIME_WAIT at the end (it closed first). */
  timeWaitServerSide: number;
}

export interface HostLeaks {
  ip: string;
  timeWait: { atEnd: number; peak: number; clientSide: number; serverSide: number };
  portPressure: Array<{ client: string; server: string; inUse: number; range: number }>;
  /** Per service of this host (its ip:port), the connections it holds in TIME_WAIT as their server at the end, most first. */
  services: Array<{ server: string; inUse: number }>;
  /**
   * Connections this host holds stuck in CLOSE_WAIT as their client (`close-wait-stuck` of the client: its server
   * closed, the client application never did, as a leaking connection pool does; reference §7.10): how many, the
   * oldest age (seconds since the server's FIN), and the servers (the ten commonest).
   */
  closeWait: { count: number; oldestAge: number | null; peers: string[] };
}

export interface AnalyzeReport extends StatsReport {
  endTs: string | null;
  flows: FlowReport[];
  anomalies: Anomaly[];
  endpoints: EndpointLeaks[];
  hosts: HostLeaks[];
}

/** How many findings a flow has, and how many of them are errors and warnings. */
export interface FlowFindingCounts {
  count: number;
  errors: number;
  warnings: number;
}

export interface AnalyzeOptions extends FlowsOptions {
  thresholds?: Partial<Thresholds>;
}

/**
 * The analysis of one capture. Flows and findings are built on demand, one at a time, so a report
 * with hundreds of thousands of them is written without holding them all as objects.
 */
export class Analysis {
  /** The leak figures, of the kept flows (see filter). */
  endpoints: EndpointLeaks[];
  hosts: HostLeaks[];
  /** Per server endpoint (ip:port), the CLOSE_WAIT ages and peers behind `endpoints`. */
  closeWaitDetail: Map<string, CloseWaitDetail>;
  private readonly life: LifeRecord[];
  /**
   * Flows that look filtered or lossy in the capture (a `capture-loss:filtered` finding, reference §9.23):
   * the text report summarizes their previous-segment-lost and acked-unseen flags (see eachAnomaly's `summarized`).
   */
  readonly filtered: ReadonlySet<number>;
  private aggregate: Anomaly[];
  private readonly clients: Array<0 | 1>;
  private cache: Anomaly[] | null = null;

  constructor(readonly set: FlowSet, readonly analyzer: Analyzer, readonly thresholds: Thresholds) {
    const streams = set.tracker.streams;
    this.clients = streams.map((st) => set.clientIndex(st.id));
    const end = set.tracker.nowSec === -Infinity ? 0 : set.tracker.nowSec + set.tracker.nowNsec / 1e9;
    analyzer.finish(streams, end, (st) => (1 - this.clients[st.id]) as 0 | 1);
    set.classesOf = (id) => analyzer.classesOf(id);
    this.life = [...analyzer.life].sort((a, b) => (a.frame ?? Infinity) - (b.frame ?? Infinity));
    this.filtered = new Set(this.life.filter((r) => r.kind === 'capture-loss' && r.variant === 'filtered').map((r) => r.stream));
    this.end = end;
    ({ endpoints: this.endpoints, hosts: this.hosts, aggregate: this.aggregate, detail: this.closeWaitDetail } = this.leakFigures(null));
  }

  /** T_end, in seconds. */
  private readonly end: number;

  /** The leak tables and the host-wide findings of the flows `keep` holds (all when null), with the capture's own drop counters. */
  private leakFigures(keep: ReadonlySet<number> | null): ReturnType<typeof leaks> {
    const r = leaks(this.set.tracker.streams, this.clients, this.analyzer, this.end, this.thresholds, keep);
    r.aggregate.unshift(...captureDrops(this.set.stats.captureDrops));
    return r;
  }

  private name(st: Stream, i: 0 | 1): string {
    return `${i === this.clients[st.id] ? 'client' : 'server'} ${formatEndpoint(ipOf(st, i), st.portOf(i))}`;
  }

  /** The kinds of findings of each flow. */
  kindsByFlow(): Map<number, Set<string>> {
    const m = new Map<number, Set<string>>();
    this.eachFlowFinding((flow, kind) => { let s = m.get(flow); if (s === undefined) { s = new Set(); m.set(flow, s); } s.add(kind); });
    return m;
  }

  /**
   * Every finding about a flow (of the kept flows), in eachAnomaly()'s order, as its flow, kind and
   * severity only: what counting them needs, without writing a million messages.
   */
  eachFlowFinding(visit: (flow: number, kind: string, severity: Severity) => void): void {
    const R = this.analyzer.records;
    const life = this.life;
    let i = 0, j = 0;
    while (i < R.length || j < life.length) {
      const lf = j < life.length ? life[j].frame ?? Infinity : Infinity;
      if (i < R.length && R.frame(i) <= lf) {
        const stream = R.stream(i);
        const k = KIND_BY_BIT.get(R.bit(i++))!;
        if (this.kept(stream)) visit(stream, k.id, k.severity);
      } else {
        const r = life[j++];
        if (this.kept(r.stream)) visit(r.stream, r.kind, r.severity);
      }
    }
  }

  /**
   * Keep only the flows (and their findings) that pass the filter; the leak tables and their findings
   * are then of those flows alone (the capture's own drop counters stay).
   */
  filter(test: Parameters<FlowSet['filter']>[0]): void {
    this.set.filter(test, this.kindsByFlow());
    ({ endpoints: this.endpoints, hosts: this.hosts, aggregate: this.aggregate, detail: this.closeWaitDetail } = this.leakFigures(this.set.keep));
    this.cache = null;
  }

  private kept(stream: number): boolean {
    return this.set.keep === null || this.set.keep.has(stream);
  }

  /**
   * Every finding, sorted by frame (the per-frame flags and the lifecycle findings merged), aggregates
   * last; with `only`, just the findings of that severity (and kind, `kind` or `kind:variant`, if given; and of
   * one of the kinds, variants aside, if given), chosen before any message is written.
   */
  *eachAnomaly(only?: { severity?: Anomaly['severity']; kind?: string; kinds?: ReadonlySet<string>; summarized?: boolean }): Generator<Anomaly> {
    const streams = this.set.tracker.streams;
    const keep = this.set.keep;
    const R = this.analyzer.records;
    /** A finding of this severity and kind (`kind`, and `label` with its variant) is one `only` asks for. */
    const wanted = (severity: Anomaly['severity'], kind: string, label: string): boolean =>
      only === undefined || ((only.severity === undefined || severity === only.severity) && (only.kind === undefined || label === only.kind) &&
        (only.kinds === undefined || only.kinds.has(kind)));
    const summarized = only?.summarized === true && this.filtered.size > 0;
    // the flags' indices in R, unless every one is reported
    let pick: number[] | null = null;
    if (keep !== null || (only !== undefined && (only.severity !== undefined || only.kind !== undefined || only.kinds !== undefined)) || summarized) {
      pick = [];
      for (let n = 0; n < R.length; n++) {
        const bit = R.bit(n);
        const k = KIND_BY_BIT.get(bit)!;
        if ((keep === null || keep.has(R.stream(n))) && wanted(k.severity, k.id, k.id) && !(summarized && this.summarizedFlag(bit, R.stream(n)))) pick.push(n);
      }
    }
    const nFlags = pick === null ? R.length : pick.length;
    const life = this.life.filter((r) => (keep === null || keep.has(r.stream)) && wanted(r.severity, r.kind, kindLabel(r.kind, r.variant)));
    const name = (st: Stream, i: 0 | 1) => this.name(st, i);
    let i = 0, j = 0;
    while (i < nFlags || j < life.length) {
      const lf = j < life.length ? life[j].frame ?? Infinity : Infinity;
      const n = i < nFlags ? (pick === null ? i : pick[i]) : -1;
      if (n >= 0 && R.frame(n) <= lf) {
        i++;
        const r = R.get(n);
        const st = streams[r.stream];
        // (the class is asked only of a flagged SYN+ACK, which is rare)
        const simultaneousOpen = (r.flags & 0x12) === 0x12 && this.analyzer.classesOf(st.id).includes('simultaneous-open');
        const x = flagAnomaly(r, this.clients[r.stream], (k) => name(st, k), simultaneousOpen);
        if (this.atCaptureStart(st, r.frame)) x.data.captureStart = true;
        yield x;
      } else {
        const r = life[j++];
        yield lifeAnomaly(r, streams[r.stream], this.clients[r.stream], name);
      }
    }
    for (const x of this.aggregate) if (wanted(x.severity, x.kind, kindLabel(x.kind, x.variant))) yield x;
  }

  /** A flag at `frame` of `st` falls in the first round trip of a connection the capture joined mid-stream (reference §9.1). */
  atCaptureStart(st: Stream, frame: number): boolean {
    if (!st.partial) return false;
    const end = this.analyzer.captureStartEnd.get(st.id);
    return end !== undefined && frame < end;
  }

  /** The flags at capture start (see atCaptureStart) per kind, of the flows kept. */
  captureStartCounts(): Map<string, number> {
    const m = new Map<string, number>();
    const ends = this.analyzer.captureStartEnd;
    if (ends.size === 0) return m;
    const streams = this.set.tracker.streams;
    const R = this.analyzer.records;
    for (let n = 0; n < R.length; n++) {
      const id = R.stream(n);
      if (!ends.has(id) || !this.kept(id) || !this.atCaptureStart(streams[id], R.frame(n))) continue;
      const kind = KIND_BY_BIT.get(R.bit(n))!.id;
      m.set(kind, (m.get(kind) ?? 0) + 1);
    }
    return m;
  }

  /** How many flags the `capture-loss:filtered` findings stand for in the text report (of the flows kept). */
  summarizedCount(): number {
    if (this.filtered.size === 0) return 0;
    const R = this.analyzer.records;
    let n = 0;
    for (let i = 0; i < R.length; i++) { const id = R.stream(i); if (this.kept(id) && this.summarizedFlag(R.bit(i), id)) n++; }
    return n;
  }

  /** A flag the `capture-loss:filtered` finding of its flow stands for in the text report (reference §9.23). */
  summarizedFlag(bit: number, stream: number): boolean {
    return (bit === F_PREVIOUS_SEGMENT_LOST || bit === F_ACKED_UNSEEN) && this.filtered.has(stream);
  }

  /** The findings of flow `id`, in frame order (those decided at the end of the capture last). */
  findingsOf(id: number): Anomaly[] {
    const keep = this.set.keep;
    this.set.keep = new Set([id]);
    try {
      return [...this.eachAnomaly()].filter((x) => x.flow === id);
    } finally {
      this.set.keep = keep;
    }
  }

  /** All findings as an array (built once; the writers use eachAnomaly()). */
  get anomalies(): Anomaly[] {
    return (this.cache ??= [...this.eachAnomaly()]);
  }

  get anomalyCount(): number {
    const R = this.analyzer.records;
    if (this.set.keep === null) return R.length + this.life.length + this.aggregate.length;
    let flags = 0;
    for (let n = 0; n < R.length; n++) if (this.kept(R.stream(n))) flags++;
    return flags + this.life.filter((r) => this.kept(r.stream)).length + this.aggregate.length;
  }

  /** Findings per severity and kind (with its variant), from the raw records. */
  kindCounts(): Array<{ severity: Anomaly['severity']; kind: string; count: number }> {
    const m = new Map<string, { severity: Anomaly['severity']; kind: string; count: number }>();
    const bump = (severity: Anomaly['severity'], kind: string) => {
      const k = `${severity} ${kind}`;
      const e = m.get(k);
      if (e) e.count++; else m.set(k, { severity, kind, count: 1 });
    };
    // (the flags counted per bit, a million of them without writing a key each, in the order each kind first occurs)
    const R = this.analyzer.records;
    const flags = new Map<number, number>();
    for (let n = 0; n < R.length; n++) if (this.kept(R.stream(n))) { const bit = R.bit(n); flags.set(bit, (flags.get(bit) ?? 0) + 1); }
    for (const [bit, count] of flags) { const k = KIND_BY_BIT.get(bit)!; m.set(`${k.severity} ${k.id}`, { severity: k.severity, kind: k.id, count }); }
    for (const r of this.life) if (this.kept(r.stream)) bump(r.severity, kindLabel(r.kind, r.variant));
    for (const x of this.aggregate) bump(x.severity, kindLabel(x.kind, x.variant));
    return [...m.values()];
  }

  /** Whether any finding is of one of these kinds. */
  has(kinds: readonly string[]): boolean {
    return this.kindCounts().some((k) => kinds.includes(k.kind) || kinds.includes(k.kind.split(':')[0]));
  }

  /** Findings per flow: how many, and how many of them are errors and warnings (for "worst connections"). */
  perFlow(): Map<number, FlowFindingCounts> {
    const m = new Map<number, FlowFindingCounts>();
    const add = (flow: number, sev: Anomaly['severity']) => {
      let e = m.get(flow);
      if (e === undefined) { e = { count: 0, errors: 0, warnings: 0 }; m.set(flow, e); }
      e.count++;
      if (sev === 'error') e.errors++;
      else if (sev === 'warn') e.warnings++;
    };
    const R = this.analyzer.records;
    for (let n = 0; n < R.length; n++) {
      const id = R.stream(n), bit = R.bit(n);
      if (this.kept(id) && !this.summarizedFlag(bit, id)) add(id, KIND_BY_BIT.get(bit)!.severity);
    }
    for (const r of this.life) if (this.kept(r.stream)) add(r.stream, r.severity);
    return m;
  }

  report(): AnalyzeReport {
    return { ...this.set.head(), flows: [...this.set.flows()], anomalies: this.anomalies, endpoints: this.endpoints, hosts: this.hosts };
  }

  get warnings() { return this.set.warnings; }
  get warningsOmitted() { return this.set.warningsOmitted; }
  get damaged() { return this.set.damaged; }
}

const KIND_BY_BIT = new Map(WIRESHARK_KINDS.map((k) => [k.bit, k]));

const ipOf = (st: Stream, i: number): string => formatIp(st.ipVersion, st.addrOf(i));

/** A map key for the host of endpoint i, as endpointKey is for the endpoint. */
const hostKey = (st: Stream, i: number): number | string => (st.ipVersion === 4 ? (i === 0 ? st.a0 : st.b0) : ipOf(st, i));

/** The most intervals [enter, exit) open at once (an interval closing at t is closed before one opening at t). */
function peakOverlap(enter: number[], exit: number[]): number {
  const a = Float64Array.from(enter).sort(), b = Float64Array.from(exit).sort();
  let i = 0, j = 0, cur = 0, peak = 0;
  while (i < a.length) {
    if (j < b.length && b[j] <= a[i]) { cur--; j++; } else { cur++; i++; if (cur > peak) peak = cur; }
  }
  return peak;
}

function lifeAnomaly(r: LifeRecord, st: Stream, client: 0 | 1, name: (st: Stream, i: 0 | 1) => string): Anomaly {
  const message = r.template.replaceAll('{0}', name(st, 0)).replaceAll('{1}', name(st, 1));
  const s0 = r.s0 >= 0 ? r.s0 & 15 : st.finalOf(0);
  const s1 = r.s1 >= 0 ? r.s1 & 15 : st.finalOf(1);
  const states = client === 0 ? { client: STATES[s0], server: STATES[s1] } : { client: STATES[s1], server: STATES[s0] };
  return {
    kind: r.kind, variant: r.variant, severity: r.severity, frame: r.frame, flow: r.stream,
    direction: r.from < 0 ? null : r.from === client ? 'c2s' : 's2c', states, message: message[0].toUpperCase() + message.slice(1), data: r.data,
  };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r3 = (x: number) => Math.round(x * 1e3) / 1e3;

/** Per server endpoint and per host figures (reference §7.10–7.11), and the aggregate findings. */
function leaks(streams: readonly Stream[], clients: Array<0 | 1>, analyzer: Analyzer, end: number, t: Thresholds, keep: ReadonlySet<number> | null):
  { endpoints: EndpointLeaks[]; hosts: HostLeaks[]; aggregate: Anomaly[]; detail: Map<string, CloseWaitDetail> } {
  const kept = (id: number) => keep === null || keep.has(id);
  const eps = new Map<number | string, EndpointLeaks & { key: string; ages: number[]; peerSet: Map<string, number>; graceful: number; serverClosed: number }>();
  for (const st of streams) {
    if (!kept(st.id)) continue;
    const c = clients[st.id], s = (1 - c) as 0 | 1;
    const key = endpointKey(st, s);
    let e = eps.get(key);
    if (e === undefined) {
      const ip = ipOf(st, s);
      e = { ip, port: st.portOf(s), connections: 0, closeWait: { count: 0, atEnd: 0, unseen: 0, oldestAge: null, oldestSince: null, minAge: null, medianAge: null, maxAge: null, share: 0, peers: [] },
        lastAck: 0, finWait2: 0, finWait2MayHaveExpired: 0, timeWaitServerSide: 0, key: formatEndpoint(ip, st.portOf(s)), ages: [], peerSet: new Map(), graceful: 0, serverClosed: 0 };
      eps.set(key, e);
    }
    e.connections++;
    const sf = st.finalOf(s), cf = st.finalOf(c);
    if (sf === CLOSE_WAIT) { e.closeWait.atEnd++; if (st.packetsOf(s) === 0) e.closeWait.unseen++; }
    if (sf === LAST_ACK) e.lastAck++;
    if (cf === FIN_WAIT_2) e.finWait2++;
    if (sf === TIME_WAIT) e.timeWaitServerSide++;
    const closer = st.closer();
    if (closer === 0 || closer === 1) { e.graceful++; if (closer === s) e.serverClosed++; }
  }
  const clientCloseWait = new Map<number | string, { ip: string; ages: number[]; peers: Map<string, number> }>();
  for (const r of analyzer.life) {
    // (a late one, whose FIN came at last, is history: the tables are about the end of the capture)
    if (r.kind !== 'close-wait-stuck' || r.data.ended !== undefined || !kept(r.stream)) continue;
    const st = streams[r.stream];
    const c = clients[st.id], s = (1 - c) as 0 | 1;
    const holderIsServer = r.data.holder === 'server';
    const holder = holderIsServer ? s : c;
    const peer = formatEndpoint(ipOf(st, 1 - holder), st.portOf(1 - holder));
    if (!holderIsServer) {
      // a client stuck in CLOSE_WAIT: per host (reference §7.10)
      const hk = hostKey(st, holder);
      let c = clientCloseWait.get(hk);
      if (c === undefined) { c = { ip: ipOf(st, holder), ages: [], peers: new Map() }; clientCloseWait.set(hk, c); }
      c.ages.push(Number(r.data.age));
      c.peers.set(peer, (c.peers.get(peer) ?? 0) + 1);
      continue;
    }
    const e = eps.get(endpointKey(st, holder));
    if (e === undefined) continue;
    e.ages.push(Number(r.data.age));
    if (r.data.peerState === 'FIN_WAIT_2 or expired' && st.finalOf(1 - holder) === FIN_WAIT_2) e.finWait2MayHaveExpired++;
    e.peerSet.set(peer, (e.peerSet.get(peer) ?? 0) + 1);
  }
  const aggregate: Anomaly[] = [];
  const endpoints: EndpointLeaks[] = [];
  const detail = new Map<string, CloseWaitDetail>();
  for (const e of eps.values()) {
    if (e.ages.length > 0) detail.set(e.key, { ages: e.ages, peers: e.peerSet });
    closeWaitFigures(e.closeWait, e.ages, e.peerSet, e.connections);
    if (e.closeWait.oldestAge !== null) e.closeWait.oldestSince = msTs(end - e.closeWait.oldestAge);
    if (e.graceful >= 10 && e.serverClosed * 2 >= e.graceful) {
      aggregate.push({
        kind: 'time-wait-server-side', variant: null, severity: 'info', frame: null, flow: null, direction: null, states: null,
        message: `Server ${formatEndpoint(e.ip, e.port)} closed first in ${e.serverClosed} of its ${e.graceful} gracefully closed connections, so it, not its clients, accumulates TIME_WAIT; let clients close first, or keep connections alive.`,
        data: { serverClosed: e.serverClosed, graceful: e.graceful },
      });
    }
    endpoints.push({ ip: e.ip, port: e.port, connections: e.connections, closeWait: e.closeWait, lastAck: e.lastAck, finWait2: e.finWait2,
      finWait2MayHaveExpired: e.finWait2MayHaveExpired, timeWaitServerSide: e.timeWaitServerSide });
  }
  // TIME_WAIT per host: at the end of the capture and at peak, by holder side
  const tw = analyzer.timeWait;
  const hostMap = new Map<number | string, { ip: string; atEnd: number; clientSide: number; serverSide: number; enter: number[]; exit: number[];
    pairs: Map<number | string, { pair: string; n: number }>; services: Map<number | string, { server: string; inUse: number }> }>();
  for (let k = 0; k < tw.length; k += 4) {
    if (!kept(tw[k])) continue;
    const st = streams[tw[k]];
    const holder = tw[k + 1] as 0 | 1;
    const enter = tw[k + 2], exit = tw[k + 3];
    const hk = hostKey(st, holder);
    let h = hostMap.get(hk);
    if (h === undefined) { h = { ip: ipOf(st, holder), atEnd: 0, clientSide: 0, serverSide: 0, enter: [], exit: [], pairs: new Map(), services: new Map() }; hostMap.set(hk, h); }
    h.enter.push(enter);
    h.exit.push(exit);
    if (enter <= end && end < exit) {
      h.atEnd++;
      const clientSide = holder === clients[st.id];
      if (clientSide) {
        h.clientSide++;
        const srv = (1 - holder) as 0 | 1;
        const pk = endpointKey(st, srv);
        const p = h.pairs.get(pk);
        if (p !== undefined) p.n++;
        else h.pairs.set(pk, { pair: `${h.ip} → ${formatEndpoint(ipOf(st, srv), st.portOf(srv))}`, n: 1 });
      } else {
        h.serverSide++;
        const sk = endpointKey(st, holder);
        const v = h.services.get(sk);
        if (v !== undefined) v.inUse++;
        else h.services.set(sk, { server: formatEndpoint(h.ip, st.portOf(holder)), inUse: 1 });
      }
    }
  }
  // hosts stuck in CLOSE_WAIT as clients, holding no TIME_WAIT
  for (const [hk, c] of clientCloseWait) {
    if (!hostMap.has(hk)) hostMap.set(hk, { ip: c.ip, atEnd: 0, clientSide: 0, serverSide: 0, enter: [], exit: [], pairs: new Map(), services: new Map() });
  }
  const hosts: HostLeaks[] = [];
  for (const [hk, h] of hostMap) {
    const ip = h.ip;
    const peak = peakOverlap(h.enter, h.exit);
    const portPressure = [...h.pairs.values()].map(({ pair, n }) => {
      const [client, server] = pair.split(' → ');
      return { client, server, inUse: n, range: t.ephemeralRange };
    });
    const c = clientCloseWait.get(hk);
    const closeWait = c === undefined ? { count: 0, oldestAge: null, peers: [] } : { count: c.ages.length, oldestAge: oldestOf(c.ages), peers: commonest(c.peers) };
    const host: HostLeaks = { ip, timeWait: { atEnd: h.atEnd, peak, clientSide: h.clientSide, serverSide: h.serverSide }, portPressure, services: [...h.services.values()], closeWait };
    sortHostLists(host);
    hosts.push(host);
    aggregate.push(...timeWaitFindings(host, t));
  }
  aggregate.push(...abortiveClosers(streams, analyzer, kept));
  sortLeaks(endpoints, hosts);
  return { endpoints, hosts, aggregate, detail };
}

/**
 * The time-wait-excess findings of a host's TIME_WAIT figures (reference §7.11): its count at the end or
 * its peak at or above the threshold, and port pressure per service; `captures` above 1 when the
 * figures are those of several captures merged.
 */
function timeWaitFindings(h: HostLeaks, t: Thresholds, captures = 1): Anomaly[] {
  const out: Anomaly[] = [];
  const tw = h.timeWait, n = t.timeWaitThreshold;
  const across = captures > 1 ? `Across the ${captures} captures, ` : '';
  if (tw.atEnd >= n || tw.peak >= n) {
    out.push({
      kind: 'time-wait-excess', variant: null, severity: 'warn', frame: null, flow: null, direction: null, states: null,
      message: captures > 1
        ? `${across}host ${h.ip} holds ${tw.atEnd} connection(s) in TIME_WAIT at the end (at least ${tw.peak} at once; ${tw.clientSide} as client, ${tw.serverSide} as server), at or above the threshold of ${n}.`
        : tw.atEnd >= n
          ? `Host ${h.ip} holds ${tw.atEnd} connection(s) in TIME_WAIT at the end of the capture (peak ${tw.peak}; ${tw.clientSide} as client, ${tw.serverSide} as server), at or above the threshold of ${n}.`
          : `Host ${h.ip} held up to ${tw.peak} connection(s) in TIME_WAIT at once during the capture, at or above the threshold of ${n}; ${tw.atEnd} remain at the end (${tw.clientSide} as client, ${tw.serverSide} as server).`,
      data: { atEnd: tw.atEnd, peak: tw.peak, clientSide: tw.clientSide, serverSide: tw.serverSide },
    });
  }
  for (const p of h.portPressure) {
    if (p.inUse * 2 < p.range) continue;
    out.push({
      kind: 'time-wait-excess', variant: 'port-pressure', severity: 'error', frame: null, flow: null, direction: null, states: null,
      message: `${across}${p.client} holds ${p.inUse} ports in TIME_WAIT towards ${p.server}, half or more of its ${p.range} ephemeral ports: new connections to that service will start failing or reusing ports.`,
      data: { client: p.client, server: p.server, inUse: p.inUse, range: p.range },
    });
  }
  return out;
}

/** A host's port pressure and services, most ports in use first (ties by address). */
function sortHostLists(h: HostLeaks): void {
  h.portPressure.sort((x, y) => y.inUse - x.inUse || byText(x.server, y.server));
  h.services.sort((x, y) => y.inUse - x.inUse || byText(x.server, y.server));
}

/** A host aborts this many connections or more, and at least half of those it took part in, as a habit (reference §9.25). */
const ABORT_HABIT_MIN = 10;

/**
 * Hosts that end most of their connections with an abortive RST (`reset:abort`) instead of a FIN,
 * typically SO_LINGER 0 to avoid TIME_WAIT (reference §9.25): one `reset:abortive-close` finding
 * per host, so the pattern reads as one finding rather than as one reset per connection.
 */
function abortiveClosers(streams: readonly Stream[], analyzer: Analyzer, kept: (id: number) => boolean): Anomaly[] {
  const hosts = new Map<number | string, { ip: string; aborts: number; connections: number }>();
  for (const r of analyzer.life) {
    if (r.kind !== 'reset' || r.variant !== 'abort' || r.from < 0 || !kept(r.stream)) continue;
    const st = streams[r.stream];
    const k = hostKey(st, r.from);
    const h = hosts.get(k);
    if (h !== undefined) h.aborts++;
    else hosts.set(k, { ip: ipOf(st, r.from), aborts: 1, connections: 0 });
  }
  for (const [k, h] of hosts) if (h.aborts < ABORT_HABIT_MIN) hosts.delete(k);
  if (hosts.size === 0) return [];
  for (const st of streams) {
    if (!kept(st.id)) continue;
    const a = hosts.get(hostKey(st, 0)), b = hosts.get(hostKey(st, 1));
    if (a !== undefined) a.connections += st.connections;
    if (b !== undefined && b !== a) b.connections += st.connections;
  }
  const out: Anomaly[] = [];
  for (const h of hosts.values()) {
    if (h.aborts * 2 < h.connections) continue;
    out.push({
      kind: 'reset', variant: 'abortive-close', severity: 'info', frame: null, flow: null, direction: null, states: null,
      message: `Host ${h.ip} ended ${h.aborts} of its ${h.connections} connections with a RST instead of a FIN (reset:abort): an abortive close, ` +
        'typically SO_LINGER 0 to avoid TIME_WAIT; not a network fault, but its peers see "connection reset", and data still in flight is lost.',
      data: { aborts: h.aborts, connections: h.connections },
    });
  }
  return out;
}

/** capture-loss (§7.15) as the capture itself recorded it: pcapng interface statistics with drops. */
function captureDrops(drops: StatsReport['captureDrops']): Anomaly[] {
  const out: Anomaly[] = [];
  for (const d of drops) {
    const n = (d.ifDrop ?? 0) + (d.osDrop ?? 0);
    if (n === 0) continue;
    const parts = [d.ifDrop !== null ? `${d.ifDrop} by the interface` : null, d.osDrop !== null ? `${d.osDrop} by the operating system` : null]
      .filter((x) => x !== null).join(', ');
    out.push({
      kind: 'capture-loss', variant: 'interface-drops', severity: 'info', frame: null, flow: null, direction: null, states: null,
      message: `Capture interface ${d.interface} recorded ${n} dropped packet(s) (${parts}): they are missing from the file, so gaps and unseen data nearby may be the capture's, not the network's.`,
      data: { interface: d.interface, ifDrop: d.ifDrop, osDrop: d.osDrop },
    });
  }
  return out;
}

/** Ties in the leak tables go by address, numbers in numeric order, so the order never depends on when connections were released. */
const byText = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

function sortLeaks(endpoints: EndpointLeaks[], hosts: HostLeaks[]): void {
  endpoints.sort((a, b) => b.closeWait.count - a.closeWait.count || b.closeWait.atEnd - a.closeWait.atEnd || b.connections - a.connections ||
    byText(a.ip, b.ip) || a.port - b.port);
  hosts.sort((a, b) => b.timeWait.atEnd - a.timeWait.atEnd || b.timeWait.peak - a.timeWait.peak || byText(a.ip, b.ip));
}

/** Float seconds as a timestamp string, to the millisecond. */
function msTs(x: number): string {
  let sec = Math.floor(x), ms = Math.round((x - sec) * 1e3);
  if (ms === 1000) { sec++; ms = 0; }
  return formatTs(sec, ms * 1e6);
}

/** Oldest, median and maximum age, share of stuck connections, and the top peers (exported for a test). */
export function closeWaitFigures(cw: EndpointLeaks['closeWait'], ages: number[], peers: Map<string, number>, connections: number): void {
  cw.count = ages.length;
  cw.oldestAge = oldestOf(ages);
  cw.maxAge = cw.oldestAge;
  cw.minAge = ages.length ? r3(ages.reduce((m, x) => Math.min(m, x), Infinity)) : null;
  const med = median(ages);
  cw.medianAge = med === null ? null : r3(med);
  cw.share = connections ? r3(ages.length / connections) : 0;
  cw.peers = commonest(peers);
}

/** The oldest of some ages (s), to the millisecond; null for none. (No spread: a leak can have a million ages.) */
const oldestOf = (ages: readonly number[]): number | null => (ages.length ? r3(ages.reduce((m, x) => Math.max(m, x), -Infinity)) : null);

/** The ten commonest peers, most connections first (ties by address). */
const commonest = (peers: ReadonlyMap<string, number>): string[] =>
  [...peers].sort((a, b) => b[1] - a[1] || byText(a[0], b[0])).slice(0, 10).map(([p]) => p);

export interface MergedLeaks {
  files: string[];
  endpoints: EndpointLeaks[];
  hosts: HostLeaks[];
  /**
   * The leak findings of every capture, each with its file; then those only the merged figures cross
   * (a host seen in several captures), with `file` "(merged)".
   */
  anomalies: Array<Anomaly & { file: string }>;
}

/** The `file` of a finding the merged figures cross. */
export const MERGED_FILE = '(merged)';

/**
 * One leak report from captures of the same service taken at several points (`leaks --merge`):
 * endpoint and host figures are added up; a host's TIME_WAIT peak is the highest of the captures'
 * (and never below the merged count at the end). The thresholds apply to the merged figures too.
 */
export function mergeLeaks(list: readonly Analysis[], kinds: ReadonlySet<string>): MergedLeaks {
  const eps = new Map<string, EndpointLeaks & { ages: number[]; peers: Map<string, number> }>();
  const hosts = new Map<string, HostLeaks>();
  /** In how many of the captures each host holds TIME_WAIT. */
  const seenIn = new Map<string, number>();
  const anomalies: Array<Anomaly & { file: string }> = [];
  for (const a of list) {
    for (const e of a.endpoints) {
      const key = formatEndpoint(e.ip, e.port);
      let m = eps.get(key);
      if (m === undefined) {
        m = { ...e, closeWait: { ...e.closeWait, atEnd: 0, unseen: 0, oldestSince: null }, connections: 0, lastAck: 0, finWait2: 0, finWait2MayHaveExpired: 0, timeWaitServerSide: 0, ages: [], peers: new Map() };
        eps.set(key, m);
      }
      const since = e.closeWait.oldestSince, was = m.closeWait.oldestSince;
      if (since !== null && (was === null || Number(since) < Number(was))) m.closeWait.oldestSince = since;
      m.connections += e.connections; m.closeWait.atEnd += e.closeWait.atEnd; m.closeWait.unseen += e.closeWait.unseen; m.lastAck += e.lastAck; m.finWait2 += e.finWait2; m.finWait2MayHaveExpired += e.finWait2MayHaveExpired; m.timeWaitServerSide += e.timeWaitServerSide;
      const d = a.closeWaitDetail.get(key);
      if (d !== undefined) {
        for (const age of d.ages) m.ages.push(age);
        for (const [p, n] of d.peers) m.peers.set(p, (m.peers.get(p) ?? 0) + n);
      }
    }
    for (const h of a.hosts) {
      const m = hosts.get(h.ip);
      if (h.timeWait.peak > 0) seenIn.set(h.ip, (seenIn.get(h.ip) ?? 0) + 1);
      if (m === undefined) {
        hosts.set(h.ip, { ip: h.ip, timeWait: { ...h.timeWait }, portPressure: h.portPressure.map((p) => ({ ...p })), services: h.services.map((v) => ({ ...v })),
          closeWait: { ...h.closeWait, peers: [...h.closeWait.peers] } });
        continue;
      }
      m.closeWait.count += h.closeWait.count;
      if (h.closeWait.oldestAge !== null) m.closeWait.oldestAge = Math.max(m.closeWait.oldestAge ?? 0, h.closeWait.oldestAge);
      for (const p of h.closeWait.peers) if (!m.closeWait.peers.includes(p) && m.closeWait.peers.length < 10) m.closeWait.peers.push(p);
      m.timeWait.atEnd += h.timeWait.atEnd; m.timeWait.clientSide += h.timeWait.clientSide; m.timeWait.serverSide += h.timeWait.serverSide;
      m.timeWait.peak = Math.max(m.timeWait.peak, h.timeWait.peak);
      addInUse(m.portPressure, h.portPressure, (x, p) => x.client === p.client && x.server === p.server);
      addInUse(m.services, h.services, (x, v) => x.server === v.server);
    }
    for (const x of a.eachAnomaly({ kinds })) anomalies.push({ ...x, file: a.set.stats.file });
  }
  const endpoints = [...eps.values()].map(({ ages, peers, ...e }) => {
    closeWaitFigures(e.closeWait, ages, peers, e.connections);
    return e;
  });
  const hostList = [...hosts.values()];
  for (const h of hostList) sortHostLists(h);
  // (connections held at the end of several captures were all held at once: the peak is at least their sum)
  for (const h of hostList) h.timeWait.peak = Math.max(h.timeWait.peak, h.timeWait.atEnd);
  const t = list.length > 0 ? list[0].thresholds : null;
  if (t !== null && kinds.has('time-wait-excess')) {
    for (const h of hostList) {
      if ((seenIn.get(h.ip) ?? 0) < 2) continue; // one capture's figures: its own findings say it already
      for (const x of timeWaitFindings(h, t, list.length)) anomalies.push({ ...x, file: MERGED_FILE });
    }
  }
  sortLeaks(endpoints, hostList);
  return { files: list.map((a) => a.set.stats.file), endpoints, hosts: hostList, anomalies };
}

/** Add `from`'s counts into `into`, entry by entry (`same` says which entries are one), copying the new ones. */
function addInUse<T extends { inUse: number }>(into: T[], from: readonly T[], same: (x: T, y: T) => boolean): void {
  for (const v of from) {
    const q = into.find((x) => same(x, v));
    if (q) q.inUse += v.inUse; else into.push({ ...v });
  }
}

/** Read, track and analyze a capture. */
export async function analyzeCapture(path: string, opts: AnalyzeOptions = {}): Promise<Analysis> {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  if (opts.timeWaitSeconds !== undefined) thresholds.timeWaitLen = opts.timeWaitSeconds;
  const analyzer = new Analyzer(thresholds);
  const { stats, tracker } = await trackCapture(path, { ...opts, timeWaitSeconds: thresholds.timeWaitLen, hook: analyzer, listener: analyzer });
  return new Analysis(new FlowSet(stats, tracker, opts.transitions ?? false), analyzer, thresholds);
}
