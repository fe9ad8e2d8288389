/**
 * Connection tracking: assigns every TCP segment to a stream numbered exactly like
 * Wireshark's `tcp.stream` (reference §2.1–2.2) and replays each stream's connections
 * (reference §6) with the one state table. Memory grows with live connections: a
 * finished connection's working state is released, and its stream keeps only its summary.
 */
import { ACK, RST, SYN, type Segment } from '../decode/segment.js';
import { Connection, type ReplaySegment, type TransitionRecord } from './replay.js';
import { seqAdd } from './seq.js';
import { STATES, type State } from './state-table.js';
import { TupleTable } from './tuple-table.js';
import { ZeekSummary } from './zeek.js';

export interface TrackerOptions {
  /** TIME_WAIT length in seconds (§6.6; Linux 60 s). */
  timeWaitSeconds: number;
  /** Keep every transition of every connection (for `--transitions` and the ladder). */
  recordTransitions: boolean;
  /** Called after every captured segment of this stream id (the ladder). */
  watch?: { stream: number; onSegment: (row: WatchedSegment) => void };
}

/** One captured segment of a watched stream, with both endpoints' states after it. */
export interface WatchedSegment {
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** Sender's index in the stream (0 = the stream's first sender). */
  from: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  len: number;
  window: number;
  states: [{ state: State; pending: boolean }, { state: State; pending: boolean }];
  /** Transitions this segment caused (inferred segments inserted before it included). */
  transitions: TransitionRecord[];
  /** The segment starts another connection on the stream's 4-tuple. */
  newConnection: boolean;
  /** Initial states of the current connection's endpoints. */
  initial: [State, State];
}

/** Per-direction figures of a stream (index 0 = the stream's first sender). */
export class DirStats {
  packets = 0;
  bytes = 0;
  payloadBytes = 0;
}

/** One `tcp.stream`: its identity, figures, and its live connection while there is one. */
export class Stream {
  readonly dir: [DirStats, DirStats] = [new DirStats(), new DirStats()];
  readonly addr: [Uint32Array, Uint32Array];
  readonly port: [number, number];
  lastFrame = 0;
  lastSec = 0;
  lastNsec = 0;
  /** Wireshark's per-direction relative sequence base (§1.3), set by analysed segments only. */
  readonly base = new Uint32Array(2);
  readonly baseSet: [boolean, boolean] = [false, false];
  conn: Connection | null = null;
  connections = 0;
  /** Index of the client (first SYN sender), −1 while unknown. */
  client: -1 | 0 | 1 = -1;
  /** No connection of the stream began with a SYN or SYN+ACK. */
  partial = true;
  /** Frames with `port-reuse` (SYN+ACK with a new ISN inside the stream). */
  reusedSynAck = 0;
  finalStates: [number, number] = [0, 0];
  finalAssumed: [boolean, boolean] = [false, false];
  /** Per endpoint index: who sent a FIN first, decided from the ACK field (§6.4). */
  private finAcksPeer: [boolean | null, boolean | null] = [null, null];
  inferredSegments = 0;
  readonly transitions: TransitionRecord[] | null;
  readonly zeek = new ZeekSummary();
  // handshake and options (index = endpoint)
  readonly mss: [number, number] = [-1, -1];
  readonly wscale: [number, number] = [-1, -1];
  readonly synSeen: [boolean, boolean] = [false, false];
  readonly sackPermitted: [boolean, boolean] = [false, false];
  readonly timestamps: [boolean, boolean] = [false, false];
  synTs = -1;
  synAckTs = -1;
  ackTs = -1;

  constructor(
    readonly id: number,
    readonly ipVersion: 4 | 6,
    src: Uint32Array, sport: number, dst: Uint32Array, dport: number,
    readonly firstFrame: number,
    readonly firstSec: number,
    readonly firstNsec: number,
    record: boolean,
  ) {
    this.addr = [src.slice(), dst.slice()];
    this.port = [sport, dport];
    this.transitions = record ? [] : null;
  }

  /** Fold a finished (or superseded) connection into the stream's summary and release it. */
  settle(c: Connection): void {
    this.finalStates = [c.ep[0].state, c.ep[1].state];
    this.finalAssumed = [c.ep[0].assumed, c.ep[1].assumed];
    this.inferredSegments += c.inferredSegments;
    if (this.transitions !== null && c.transitions !== null) for (const t of c.transitions) this.transitions.push(t);
    this.finAcksPeer = [c.firstFinAcksPeer[0], c.firstFinAcksPeer[1]];
    if (c === this.conn) this.conn = null;
  }

  /** Who closed first, from the ACK fields of the first FINs (§6.4), by endpoint index. */
  closer(): -1 | 0 | 1 | 2 {
    const [a, b] = this.finAcksPeer;
    if (a === null && b === null) return -1;
    if (a !== null && b === null) return 0;
    if (a === null && b !== null) return 1;
    if (a === true) return 1;
    if (b === true) return 0;
    return 2; // both sent FIN, neither acknowledged the other: simultaneous
  }

  get finalStateNames(): [State, State] {
    return [STATES[this.finalStates[0]], STATES[this.finalStates[1]]];
  }
}

const SWEEP_EVERY_PACKETS = 1 << 16;
/** A timestamp this far past the latest one is taken as bogus, not as the capture's end (§9.13). */
const MAX_CLOCK_JUMP_SECONDS = 86_400;
/** A connection whose endpoints are both CLOSED is released after this much capture time without segments. */
const RELEASE_IDLE_SECONDS = 5;

/** Assigns segments to streams and replays their connections. Feed it decoded segments in file order. */
export class Tracker {
  readonly streams: Stream[] = [];
  private readonly table = new TupleTable();
  /** Latest stream of each 4-tuple (index = value stored in the table). */
  private readonly latest: Stream[] = [];
  private readonly live = new Set<Stream>();
  private readonly rs: ReplaySegment = { from: 0, frame: 0, tsSec: 0, tsNsec: 0, flags: 0, seq: 0, ack: 0, len: 0, inferred: false };
  private sinceSweep = 0;
  /** Latest plausible capture time, for TIME_WAIT expiry while streaming and as T_end (§1.4, §6.6). */
  nowSec = -Infinity;
  nowNsec = 0;
  /** Frames whose timestamp jumped more than a day past the others (not trusted as the capture's end). */
  implausibleTimestamps = 0;
  segmentsWithoutStream = 0;

  constructor(readonly opts: TrackerOptions) {}

  /** Track the capture clock; a timestamp more than a day ahead of the others is not trusted. */
  clock(sec: number, nsec: number): void {
    if (sec > this.nowSec || (sec === this.nowSec && nsec > this.nowNsec)) {
      if (this.nowSec !== -Infinity && sec - this.nowSec >= MAX_CLOCK_JUMP_SECONDS) { this.implausibleTimestamps++; return; }
      this.nowSec = sec;
      this.nowNsec = nsec;
    }
  }

  onSegment(seg: Segment): void {
    if (!seg.hasStreamFields) { this.segmentsWithoutStream++; return; }
    const t = this.table;
    t.setKey(seg.ipVersion, seg.src, seg.srcPort, seg.dst, seg.dstPort);
    const idx = t.get();
    let st: Stream;
    let d: 0 | 1;
    const flags = seg.flags;
    const pureSyn = (flags & (SYN | ACK)) === SYN;
    if (idx < 0) {
      st = this.newStream(seg);
      this.latest.push(st);
      t.set(this.latest.length - 1);
      d = 0;
    } else {
      st = this.latest[idx];
      d = this.dirOf(st, seg);
      // §2.2: a SYN with a new ISN on a known 4-tuple starts a new stream
      if (pureSyn && st.baseSet[d] && seg.seq !== st.base[d]) {
        const old = st;
        if (old.conn !== null) {
          old.conn.abort(seg.frame);
          old.settle(old.conn);
          this.live.delete(old);
        }
        st = this.newStream(seg);
        this.latest[idx] = st;
        d = 0;
      } else if ((flags & (SYN | ACK)) === (SYN | ACK) && st.baseSet[d] && seg.seq !== st.base[d]) {
        st.base[d] = seg.seq; // a SYN+ACK with a new ISN: same stream, new base (port-reuse)
        if (!seg.quoted) st.reusedSynAck++;
      }
    }
    if (seg.quoted) return; // ICMP-quoted headers: stream side effects only (§2.1, §9.17)

    const ds = st.dir[d];
    ds.packets++;
    ds.bytes += seg.frameLen;
    ds.payloadBytes += seg.payloadLength;
    st.lastFrame = seg.frame;
    st.lastSec = seg.tsSec;
    st.lastNsec = seg.tsNsec;

    // a header with an impossible data offset is counted but not analysed (§3 intro)
    if (!seg.headerValid) return;
    const r = (1 - d) as 0 | 1;
    if (!st.baseSet[d]) { st.base[d] = (flags & SYN) !== 0 ? seg.seq : seqAdd(seg.seq, -1); st.baseSet[d] = true; }
    if ((flags & ACK) !== 0 && !st.baseSet[r]) { st.base[r] = seqAdd(seg.ack, -1); st.baseSet[r] = true; }

    st.zeek.onSegment(d, flags, seg.seq, seg.payloadLength, seg.window);
    this.options(st, d, seg);
    this.replay(st, d, seg);
    if (++this.sinceSweep >= SWEEP_EVERY_PACKETS) this.sweep();
  }

  private newStream(seg: Segment): Stream {
    const st = new Stream(this.streams.length, seg.ipVersion, seg.src, seg.srcPort, seg.dst, seg.dstPort,
      seg.frame, seg.tsSec, seg.tsNsec, this.opts.recordTransitions);
    this.streams.push(st);
    return st;
  }

  private dirOf(st: Stream, seg: Segment): 0 | 1 {
    if (seg.srcPort !== st.port[0]) return 1;
    const a = st.addr[0];
    const n = st.ipVersion === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) if (a[i] !== seg.src[i]) return 1;
    return 0;
  }

  /** Handshake timing and negotiated options, from the SYN and SYN+ACK of each side. */
  private options(st: Stream, d: 0 | 1, seg: Segment): void {
    const f = seg.flags;
    if ((f & SYN) !== 0) {
      if (!st.synSeen[d]) {
        st.synSeen[d] = true;
        st.mss[d] = seg.mss;
        st.wscale[d] = seg.wscale;
        st.sackPermitted[d] = seg.sackPermitted;
        st.timestamps[d] = seg.hasTimestamps;
      }
      const t = seg.tsSec + seg.tsNsec / 1e9;
      if ((f & ACK) === 0) { if (st.synTs < 0) st.synTs = t; } else if (st.synAckTs < 0) st.synAckTs = t;
    } else if ((f & ACK) !== 0 && st.synAckTs >= 0 && st.ackTs < 0 && st.client === d) {
      st.ackTs = seg.tsSec + seg.tsNsec / 1e9;
    }
  }

  private replay(st: Stream, d: 0 | 1, seg: Segment): void {
    const rs = this.rs;
    rs.from = d; rs.frame = seg.frame; rs.tsSec = seg.tsSec; rs.tsNsec = seg.tsNsec;
    rs.flags = seg.flags; rs.seq = seg.seq; rs.ack = seg.ack; rs.len = seg.payloadLength; rs.inferred = false;
    const watched = this.opts.watch !== undefined && this.opts.watch.stream === st.id;
    const before = watched ? this.transitionCount(st) : 0;
    let c = st.conn;
    let fresh = false;
    if (c !== null && c.startsNewConnection(d, seg.flags, seg.seq)) {
      // §6.3 rule 10: a SYN+ACK with a new ISN is a new connection inside the stream
      c.abort(seg.frame);
      st.settle(c);
      this.live.delete(st);
      c = null;
    }
    if (c === null) {
      // a late segment on a released connection changes nothing, unless it opens a new one
      if (st.connections > 0 && (seg.flags & (SYN | RST)) !== SYN) {
        if (watched) this.emitWatched(st, d, seg, before, false);
        return;
      }
      c = new Connection(rs, { record: this.opts.recordTransitions || watched });
      st.conn = c;
      st.connections++;
      fresh = true;
      this.live.add(st);
      if (c.initiator >= 0) {
        st.partial = false;
        if (st.client < 0) st.client = c.initiator;
      }
    }
    c.process(rs);
    if (watched) this.emitWatched(st, d, seg, before, fresh);
  }

  private transitionCount(st: Stream): number {
    return (st.transitions?.length ?? 0) + (st.conn?.transitions?.length ?? 0);
  }

  private emitWatched(st: Stream, d: 0 | 1, seg: Segment, before: number, fresh: boolean): void {
    const all = [...(st.transitions ?? []), ...(st.conn?.transitions ?? [])];
    const c = st.conn;
    const shown = (i: 0 | 1) => (c !== null ? c.displayed(i) : { state: STATES[st.finalStates[i]], pending: false });
    const r = (1 - d) as 0 | 1;
    this.opts.watch!.onSegment({
      frame: seg.frame, tsSec: seg.tsSec, tsNsec: seg.tsNsec, from: d, flags: seg.flags, seq: seg.seq, ack: seg.ack,
      relSeq: (seg.seq - st.base[d]) >>> 0, relAck: (seg.flags & ACK) !== 0 ? (seg.ack - st.base[r]) >>> 0 : 0,
      len: seg.payloadLength, window: seg.window, states: [shown(0), shown(1)],
      transitions: all.slice(before), newConnection: fresh && st.connections > 1,
      initial: c !== null ? [STATES[c.ep[0].initial], STATES[c.ep[1].initial]] : [STATES[st.finalStates[0]], STATES[st.finalStates[1]]],
    });
  }

  /** Release connections that are over: closed and idle, or TIME_WAIT expired by the capture clock. */
  private sweep(): void {
    this.sinceSweep = 0;
    const now = this.nowSec;
    const tw = this.opts.timeWaitSeconds;
    for (const st of this.live) {
      const c = st.conn;
      if (c === null) { this.live.delete(st); continue; }
      const idle = now - st.lastSec;
      if ((c.over && idle > RELEASE_IDLE_SECONDS) || c.expiredBy(now, tw)) {
        c.finish(Math.floor(now), 0, tw);
        st.settle(c);
        this.live.delete(st);
      }
    }
  }

  /** End of capture: rule 5 and TIME_WAIT expiry for every live connection (§6.3, §6.6). */
  finish(endSec: number, endNsec: number): void {
    for (const st of this.live) {
      const c = st.conn;
      if (c === null) continue;
      c.finish(endSec, endNsec, this.opts.timeWaitSeconds);
      st.settle(c);
    }
    this.live.clear();
  }

  get liveConnections(): number {
    return this.live.size;
  }
}
