import type { CaptureWarning } from '../capture/frame.js';
import type { ReadOptions } from '../capture/reader.js';
import { formatTs } from '../capture/time.js';
import type { DecoderOptions } from '../decode/decoder.js';
import { formatIp } from '../report/addr.js';
import type { TransitionListener, TransitionRecord } from '../tcp/replay.js';
import { STATES, type EventName, type State } from '../tcp/state-table.js';
import { Stream, Tracker, type FrameRecorder, type StreamHook, type TrackerOptions, type WatchedSegment, type WindowScaling } from '../tcp/tracker.js';
import type { FilterableFlow, FlowFacts } from './filter.js';
import type { FlowClass } from './lifecycle.js';
import { collectAfterTracking } from './heap.js';
import { captureStatsPiped, usePipe } from './piped.js';
import { captureStats, type StatsReport } from './stats.js';

/** Linux's TIME_WAIT length, TCP_TIMEWAIT_LEN (reference §6.6). */
export const DEFAULT_TIME_WAIT_SECONDS = 60;

export interface Endpoint {
  ip: string;
  port: number;
}

export interface DirectionFigures {
  packets: number;
  /** Original frame lengths, link header included. */
  bytes: number;
  payloadBytes: number;
}

export interface TransitionOut {
  /** Frame of the segment that caused the change; null for a timer (TIMEOUT_TW at capture end). */
  frame: number | null;
  endpoint: 'client' | 'server';
  from: State;
  to: State;
  event: EventName;
  inferred: boolean;
  revert?: boolean;
}

/** One connection (one Wireshark `tcp.stream`) in the JSON report. */
export interface FlowReport {
  id: number;
  client: Endpoint;
  server: Endpoint;
  ipVersion: 4 | 6;
  firstFrame: number;
  lastFrame: number;
  firstTs: string;
  lastTs: string;
  /** Seconds between the first and last frame. */
  duration: number;
  packets: number;
  bytes: number;
  c2s: DirectionFigures;
  s2c: DirectionFigures;
  /** Seconds: SYN → SYN+ACK, SYN+ACK → client's ACK, and their sum; null when not captured. */
  handshake: { synToSynAck: number | null; synAckToAck: number | null; rtt: number | null };
  options: {
    mss: { client: number | null; server: number | null };
    /** Applied only when both SYNs carried the option (RFC 7323); null otherwise. */
    windowScale: { client: number; server: number } | null;
    /**
     * `negotiated` (windowScale is set), `not-negotiated` (a SYN was captured whole without the option:
     * windows are unscaled), or `unknown` (a SYN was not captured, or its options were cut: the windows
     * are shown as sent, and the scale is never guessed).
     */
    windowScaling: WindowScaling;
    sackPermitted: boolean;
    timestamps: boolean;
  };
  finalState: { client: State; server: State };
  /** Initial states assumed, not seen (mid-stream start). */
  assumed: boolean;
  closedBy: 'client' | 'server' | 'simultaneous' | null;
  connState: string;
  history: string;
  /** Captured from the middle: no SYN. */
  partial: boolean;
  /** Roles guessed (reference §9.16), not seen in a handshake. */
  roleInferred: boolean;
  /** Every captured segment came from one endpoint (reference §9.14). */
  oneSided: boolean;
  /** Connections inside the stream (a SYN+ACK with a new ISN starts another one). */
  connections: number;
  /** Segments the capture missed, inferred from acknowledgments. */
  inferredSegments: number;
  /**
   * Segments carrying more data than the MSS their receiver announced: not wire segments, but what the
   * capturing host's TSO/GSO (sending) or GRO/LRO (receiving) handed the capture (reference §9.4–9.5).
   */
  oversizedSegments: number;
  /**
   * `synfin analyze` only: what became of the connection (reference §7.12), in the reference's order;
   * a stream holding several connections has the classes of each.
   */
  classes?: FlowClass[];
  transitions?: TransitionOut[];
}

export interface FlowsReport extends StatsReport {
  flows: FlowReport[];
  anomalies: never[];
  /** Capture end used for timers (T_end, reference §1.4). */
  endTs: string | null;
}

export interface FlowsOptions extends ReadOptions, DecoderOptions {
  timeWaitSeconds?: number;
  transitions?: boolean;
  watch?: { stream: number; onSegment: (row: WatchedSegment) => void };
  hook?: StreamHook;
  listener?: TransitionListener;
  /** See TrackerOptions.sweepEveryPackets (tests sweep often to show releases change no result). */
  sweepEveryPackets?: number;
  frames?: FrameRecorder;
  /** Read and decode in a worker thread (see pipe.ts): true always, false never, unset when usePipe() says so. */
  pipe?: boolean;
}

/** Read a capture, track and replay every connection. */
export async function trackCapture(path: string, opts: FlowsOptions = {}): Promise<{ stats: StatsReport; tracker: Tracker }> {
  const trackerOpts: TrackerOptions = {
    timeWaitSeconds: opts.timeWaitSeconds ?? DEFAULT_TIME_WAIT_SECONDS,
    recordTransitions: opts.transitions ?? false,
    watch: opts.watch,
    hook: opts.hook,
    listener: opts.listener,
    sweepEveryPackets: opts.sweepEveryPackets,
    frames: opts.frames,
  };
  const tracker = new Tracker(trackerOpts);
  // a tracker without a hook, a watched flow, a frame index or a listener reads only what slim records carry
  const slim = opts.hook === undefined && opts.watch === undefined && opts.frames === undefined && opts.listener === undefined;
  const stats = usePipe(path, opts)
    ? await captureStatsPiped(path, { ...opts, wireshark: opts.hook?.readerFlags === true, slim }, tracker)
    : await captureStats(path, opts, tracker);
  if (tracker.nowSec !== -Infinity) tracker.finish(tracker.nowSec, tracker.nowNsec);
  collectAfterTracking();
  stats.warnings.push(...tracker.links.warnings(stats.file));
  if (tracker.implausibleTimestamps > 0) {
    stats.warnings.push({
      file: stats.file, offset: null, frame: null,
      message: `${tracker.implausibleTimestamps} frame(s) carry timestamps more than a day past the rest; they are not taken as the capture's end`,
    } satisfies CaptureWarning);
  }
  return { stats, tracker };
}

/** A map key for endpoint i (address and port) of a stream: a number for IPv4, text for IPv6 (no string built for IPv4). */
export const endpointKey = (st: Stream, i: number): number | string =>
  st.ipVersion === 4 ? (i === 0 ? st.a0 : st.b0) * 65536 + st.portOf(i) : `${formatIp(st.ipVersion, st.addrOf(i))}|${st.portOf(i)}`;

/** For every endpoint (address and port) of a capture, whether it talked with two peer ports or more (§9.16). */
export class PeerPorts {
  /** Per endpoint: its one peer port + 1, or 0 once a second one was seen. */
  private readonly m = new Map<number | string, number>();

  constructor(streams: readonly Stream[]) {
    for (const st of streams) {
      for (const i of [0, 1] as const) {
        const k = endpointKey(st, i);
        const p = st.portOf(1 - i) + 1;
        const v = this.m.get(k);
        if (v === undefined) this.m.set(k, p);
        else if (v !== p) this.m.set(k, 0);
      }
    }
  }

  /** Endpoint i of `st` talked with two peer ports or more. */
  many(st: Stream, i: 0 | 1): boolean {
    return this.m.get(endpointKey(st, i)) === 0;
  }
}

/** The §9.16 role heuristics for streams without a handshake: which endpoint index is the server. */
function serverIndexGuess(st: Stream, peerPorts: PeerPorts): 0 | 1 {
  const many0 = peerPorts.many(st, 0), many1 = peerPorts.many(st, 1);
  if (many0 !== many1) return many0 ? 0 : 1;
  return st.port0 <= st.port1 ? 0 : 1;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The client's endpoint index in a stream: the first SYN's sender, else the §9.16 guess. */
export function clientIndexOf(st: Stream, peerPorts: PeerPorts | null): 0 | 1 {
  if (st.client >= 0) return st.client as 0 | 1;
  return (1 - serverIndexGuess(st, peerPorts ?? new PeerPorts([st]))) as 0 | 1;
}

/** Who closed first, from the client's point of view (§6.4). */
function closedByOf(st: Stream, client: 0 | 1): FlowReport['closedBy'] {
  const k = st.closer();
  return k < 0 ? null : k === 2 ? 'simultaneous' : k === client ? 'client' : 'server';
}

/** Handshake timing in seconds (rounded to the microsecond); null where a step was not seen. */
function handshakeOf(st: Stream): FlowReport['handshake'] {
  const synToSynAck = st.synTs >= 0 && st.synAckTs >= 0 ? round6(st.synAckTs - st.synTs) : null;
  const synAckToAck = st.synAckTs >= 0 && st.ackTs >= 0 ? round6(st.ackTs - st.synAckTs) : null;
  return { synToSynAck, synAckToAck, rtt: synToSynAck !== null && synAckToAck !== null ? round6(synToSynAck + synAckToAck) : null };
}

const durationOf = (st: Stream): number => round6(st.lastSec - st.firstSec + (st.lastNsec - st.firstNsec) / 1e9);

export function flowReport(st: Stream, peerPorts: PeerPorts | null, withTransitions: boolean, classes: FlowClass[] | null = null): FlowReport {
  const client = clientIndexOf(st, peerPorts);
  const roleInferred = st.client < 0;
  const server = (1 - client) as 0 | 1;
  const ep = (i: 0 | 1): Endpoint => ({ ip: formatIp(st.ipVersion, st.addrOf(i)), port: st.portOf(i) });
  const fig = (i: 0 | 1): DirectionFigures => ({ packets: st.packetsOf(i), bytes: st.bytesOf(i), payloadBytes: st.payloadOf(i) });
  const names = st.finalStateNames;
  const r: FlowReport = {
    id: st.id,
    client: ep(client),
    server: ep(server),
    ipVersion: st.ipVersion,
    firstFrame: st.firstFrame,
    lastFrame: st.lastFrame,
    firstTs: formatTs(st.firstSec, st.firstNsec),
    lastTs: formatTs(st.lastSec, st.lastNsec),
    duration: durationOf(st),
    packets: st.pk0 + st.pk1,
    bytes: st.by0 + st.by1,
    c2s: fig(client),
    s2c: fig(server),
    handshake: handshakeOf(st),
    options: {
      mss: { client: st.mssOf(client) >= 0 ? st.mssOf(client) : null, server: st.mssOf(server) >= 0 ? st.mssOf(server) : null },
      windowScale: st.wscaleOf(client) >= 0 && st.wscaleOf(server) >= 0 ? { client: st.wscaleOf(client), server: st.wscaleOf(server) } : null,
      windowScaling: st.windowScaling(),
      sackPermitted: st.sackPermitted(0) && st.sackPermitted(1),
      timestamps: st.timestamps(0) && st.timestamps(1),
    },
    finalState: { client: names[client], server: names[server] },
    assumed: st.assumed(0) || st.assumed(1),
    closedBy: closedByOf(st, client),
    connState: st.connState(client),
    history: st.history(client),
    partial: st.partial,
    roleInferred,
    oneSided: st.pk0 === 0 || st.pk1 === 0,
    connections: st.connections,
    inferredSegments: st.inferredSegments,
    oversizedSegments: st.oversized,
  };
  if (classes !== null) r.classes = classes;
  if (withTransitions && st.transitions !== null) r.transitions = transitionsOut(st.transitions, client);
  return r;
}

/** Transitions as the reports give them: endpoints named from the client's index, no frame for a timer. */
export function transitionsOut(records: readonly TransitionRecord[], client: 0 | 1): TransitionOut[] {
  return records.map((t) => {
    const o: TransitionOut = {
      frame: t.frame < 0 ? null : t.frame, endpoint: t.endpoint === client ? 'client' : 'server',
      from: t.from, to: t.to, event: t.event, inferred: t.inferred,
    };
    if (t.revert) o.revert = true;
    return o;
  });
}

/** An endpoint whose address is formatted only if it is read (a port filter never needs it). */
class EndpointView implements Endpoint {
  constructor(
    private readonly st: Stream,
    private readonly i: 0 | 1,
  ) {}

  get ip(): string { return formatIp(this.st.ipVersion, this.st.addrOf(this.i)); }
  get port(): number { return this.st.portOf(this.i); }
}

/**
 * The fields of a flow that the filter language reads, computed from its stream when read: testing
 * a filter on 100,000 flows builds no flow reports.
 */
export class FlowView implements FilterableFlow {
  constructor(
    private readonly st: Stream,
    private readonly ci: 0 | 1,
  ) {}

  get client(): Endpoint { return new EndpointView(this.st, this.ci); }
  get server(): Endpoint { return new EndpointView(this.st, (1 - this.ci) as 0 | 1); }
  get finalState(): { client: State; server: State } {
    const n = this.st.finalStateNames;
    return { client: n[this.ci], server: n[1 - this.ci] };
  }
  get connState(): string { return this.st.connState(this.ci); }
  get closedBy(): FlowReport['closedBy'] { return closedByOf(this.st, this.ci); }
  get partial(): boolean { return this.st.partial; }
  get oneSided(): boolean { return this.st.pk0 === 0 || this.st.pk1 === 0; }
}

/** Recently formatted IPv4 addresses: a capture's flows share few addresses, and formatting one costs four conversions. */
const ipv4Text = new Map<number, string>();
const IPV4_TEXT_MAX = 1 << 16;

function ipText(st: Stream, i: 0 | 1): string {
  if (st.ipVersion !== 4) return formatIp(6, st.addrOf(i));
  const a = i === 0 ? st.a0 : st.b0;
  let t = ipv4Text.get(a);
  if (t === undefined) {
    if (ipv4Text.size >= IPV4_TEXT_MAX) ipv4Text.clear();
    t = formatIp(4, [a]);
    ipv4Text.set(a, t);
  }
  return t;
}

const q = (v: string | null): string => (v === null ? 'null' : `"${v}"`);
const num = (v: number | null): string => (v === null ? 'null' : String(v));

/**
 * One flow as compact JSON, straight from its stream: byte for byte JSON.stringify(flowReport(…))
 * without transitions (a test checks it on every corpus flow), without building the report object,
 * because a report can hold hundreds of thousands of flows. The strings need no escaping.
 */
export function flowJsonOf(st: Stream, peerPorts: PeerPorts | null, classes: FlowClass[] | null = null): string {
  const client = clientIndexOf(st, peerPorts);
  const server = (1 - client) as 0 | 1;
  const pk0 = st.pk0, pk1 = st.pk1;
  const c0 = client === 0;
  const h = handshakeOf(st);
  const mc = st.mssOf(client), ms = st.mssOf(server), wc = st.wscaleOf(client), ws = st.wscaleOf(server);
  return `{"id":${st.id},"client":{"ip":"${ipText(st, client)}","port":${st.portOf(client)}},"server":{"ip":"${ipText(st, server)}","port":${st.portOf(server)}},"ipVersion":${st.ipVersion},` +
    `"firstFrame":${st.firstFrame},"lastFrame":${st.lastFrame},"firstTs":"${formatTs(st.firstSec, st.firstNsec)}","lastTs":"${formatTs(st.lastSec, st.lastNsec)}",` +
    `"duration":${durationOf(st)},"packets":${pk0 + pk1},"bytes":${st.by0 + st.by1},` +
    `"c2s":{"packets":${c0 ? pk0 : pk1},"bytes":${c0 ? st.by0 : st.by1},"payloadBytes":${c0 ? st.pl0 : st.pl1}},` +
    `"s2c":{"packets":${c0 ? pk1 : pk0},"bytes":${c0 ? st.by1 : st.by0},"payloadBytes":${c0 ? st.pl1 : st.pl0}},` +
    `"handshake":{"synToSynAck":${num(h.synToSynAck)},"synAckToAck":${num(h.synAckToAck)},"rtt":${num(h.rtt)}},` +
    `"options":{"mss":{"client":${mc >= 0 ? mc : 'null'},"server":${ms >= 0 ? ms : 'null'}},` +
    `"windowScale":${wc >= 0 && ws >= 0 ? `{"client":${wc},"server":${ws}}` : 'null'},"windowScaling":"${st.windowScaling()}",` +
    `"sackPermitted":${st.sackPermitted(0) && st.sackPermitted(1)},"timestamps":${st.timestamps(0) && st.timestamps(1)}},` +
    `"finalState":{"client":"${STATES[st.finalOf(client)]}","server":"${STATES[st.finalOf(server)]}"},"assumed":${st.assumed(0) || st.assumed(1)},"closedBy":${q(closedByOf(st, client))},` +
    `"connState":"${st.connState(client)}","history":"${st.history(client)}","partial":${st.partial},"roleInferred":${st.client < 0},` +
    `"oneSided":${pk0 === 0 || pk1 === 0},"connections":${st.connections},"inferredSegments":${st.inferredSegments},"oversizedSegments":${st.oversized}` +
    (classes === null ? '}' : `,"classes":[${classes.map((c) => `"${c}"`).join(',')}]}`);
}

const NO_CLASSES: readonly FlowClass[] = [];

/** What FlowSet.fillRow() writes: the fields of a flow a table of flows shows and sorts by. */
export interface FlowRow {
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  connState: string;
  packets: number;
  bytes: number;
  duration: number;
  /** Final states, as indexes into STATES. */
  clientState: number;
  serverState: number;
  /** An endpoint's initial state was assumed (the capture starts mid-connection). */
  assumed: boolean;
}

/**
 * A tracked capture whose flow reports are built one at a time on demand, so a report with
 * hundreds of thousands of flows is written without holding them all as objects.
 */
export class FlowSet {
  private readonly peers: PeerPorts | null;
  readonly endTs: string | null;
  /** When set, only these flows (by id) are reported. */
  keep: ReadonlySet<number> | null = null;
  /** When set (by `analyze`), each flow's classes (reference §7.12), reported with it and read by filters. */
  classesOf: ((id: number) => FlowClass[]) | null = null;

  constructor(
    readonly stats: StatsReport,
    readonly tracker: Tracker,
    private readonly withTransitions: boolean,
  ) {
    this.peers = tracker.streams.some((s) => s.client < 0) ? new PeerPorts(tracker.streams) : null;
    this.endTs = tracker.nowSec === -Infinity ? null : formatTs(tracker.nowSec, tracker.nowNsec);
  }

  get count(): number {
    return this.tracker.streams.length;
  }

  get warnings(): CaptureWarning[] { return this.stats.warnings; }
  get warningsOmitted(): number { return this.stats.warningsOmitted; }
  get damaged(): boolean { return this.stats.damaged; }

  /** The client's endpoint index in flow `id` (seen in the handshake, or guessed). */
  clientIndex(id: number): 0 | 1 {
    return clientIndexOf(this.tracker.streams[id], this.peers);
  }

  /**
   * One flow by id; `withTransitions` asks for its transitions even when the set was not built to keep
   * them all (they are there for a watched stream).
   */
  flow(id: number, withTransitions = this.withTransitions): FlowReport {
    return flowReport(this.tracker.streams[id], this.peers, withTransitions, this.classesFor(id));
  }

  /** The flow that superseded flow `id`: the next one on its 4-tuple (reference §2.2), or null. */
  supersededBy(id: number): number | null {
    const streams = this.tracker.streams;
    const tuple = streams[id].tuple;
    for (let j = id + 1; j < streams.length; j++) if (streams[j].tuple === tuple) return j;
    return null;
  }

  /** Flows in id order (only the kept ones, when a filter is set). */
  *flows(): Generator<FlowReport> {
    const keep = this.keep;
    for (const st of this.tracker.streams) {
      if (keep === null || keep.has(st.id)) yield flowReport(st, this.peers, this.withTransitions, this.classesFor(st.id));
    }
  }

  /** Flows in id order as compact JSON, one string each (only the kept ones, when a filter is set). */
  *flowJsons(): Generator<string> {
    const keep = this.keep;
    for (const st of this.tracker.streams) {
      if (keep !== null && !keep.has(st.id)) continue;
      const classes = this.classesFor(st.id);
      yield this.withTransitions ? JSON.stringify(flowReport(st, this.peers, true, classes)) : flowJsonOf(st, this.peers, classes);
    }
  }

  /** The fields of flow `id` a table of flows shows and sorts by, written into `row`, without building its report. */
  fillRow(id: number, row: FlowRow): void {
    const st = this.tracker.streams[id];
    const client = clientIndexOf(st, this.peers);
    const server = (1 - client) as 0 | 1;
    row.clientIp = ipText(st, client); row.clientPort = st.portOf(client);
    row.serverIp = ipText(st, server); row.serverPort = st.portOf(server);
    row.connState = st.connState(client);
    row.packets = st.pk0 + st.pk1;
    row.bytes = st.by0 + st.by1;
    row.duration = durationOf(st);
    row.clientState = st.finalOf(client);
    row.serverState = st.finalOf(server);
    row.assumed = st.assumed(0) || st.assumed(1);
  }

  /** Flow `id`'s classes (none when this set was not analyzed). */
  classes(id: number): readonly FlowClass[] {
    return this.classesFor(id) ?? NO_CLASSES;
  }

  /** The fields of flow `id` the filter language reads, computed when read. */
  view(id: number): FlowView {
    return new FlowView(this.tracker.streams[id], this.clientIndex(id));
  }

  /** What a filter reads of flow `id`, given the kinds of its findings. */
  facts(id: number, kinds: ReadonlySet<string>): FlowFacts {
    return { flow: this.view(id), kinds, classes: this.classes(id) };
  }

  /** Flow `id`'s classes, or null when this set has none (it was not analyzed). */
  private classesFor(id: number): FlowClass[] | null {
    return this.classesOf === null ? null : this.classesOf(id);
  }

  /** Keep only the flows that pass `test` (given each flow and the kinds of its findings). */
  filter(test: (f: FlowFacts) => boolean, kinds: ReadonlyMap<number, ReadonlySet<string>> = new Map()): void {
    const none = new Set<string>();
    const keep = new Set<number>();
    this.keep = null;
    for (let id = 0; id < this.count; id++) if (test(this.facts(id, kinds.get(id) ?? none))) keep.add(id);
    this.keep = keep;
  }

  /** The report's fields before `flows`. */
  head(): StatsReport & { endTs: string | null } {
    return { ...this.stats, endTs: this.endTs };
  }
}

export async function trackFlows(path: string, opts: FlowsOptions = {}): Promise<FlowSet> {
  const { stats, tracker } = await trackCapture(path, opts);
  return new FlowSet(stats, tracker, opts.transitions ?? false);
}

/** The JSON report contract as one object: stats fields, flows sorted by id, anomalies (none yet). */
export async function flowsReport(path: string, opts: FlowsOptions = {}): Promise<FlowsReport> {
  const set = await trackFlows(path, opts);
  return { ...set.head(), flows: [...set.flows()], anomalies: [] };
}
