/**
 * Connection tracking: assigns every TCP segment to a stream numbered exactly like
 * Wireshark's `tcp.stream` (reference §2.1–2.2) and replays each stream's connections
 * (reference §6) with the one state table. Memory grows with live connections: a
 * finished connection's working state is released, and its stream keeps only its summary.
 */
import { ACK, RST, SYN, type Segment } from '../decode/segment.js';
import { Connection, type ReplaySegment, type TransitionListener, type TransitionRecord } from './replay.js';
import { seqAdd } from './seq.js';
import { STATES, type State } from './state-table.js';
import { TupleTable } from './tuple-table.js';
import { ZeekSummary } from './zeek.js';

/** How a segment related to Wireshark's stream rules (§2.2). */
export const REUSE_NONE = 0;
/** A SYN with a new ISN started a new stream on a known 4-tuple. */
export const REUSE_NEW_STREAM = 1;
/** A SYN+ACK with a new ISN: same stream, new base. */
export const REUSE_SYNACK = 2;

/** Per-segment analyses that ride on the tracker's stream assignment (the Wireshark flags). */
export interface StreamHook {
  /**
   * Every header that got a stream, ICMP-quoted ones included (`seg.quoted`), after the §2.2 checks
   * and the relative-sequence bases, before the replay. `sameIsnSyn`: a SYN repeating the known ISN.
   */
  segment(st: Stream, d: 0 | 1, seg: Segment, reuse: number, sameIsnSyn: boolean): void;
  /** After the replay of a segment of the flow (not for ICMP-quoted headers). */
  replayed(st: Stream, d: 0 | 1, seg: Segment): void;
  /** The stream's connection is over and its working state released (not called at the end of the capture). */
  released?(st: Stream): void;
}

export interface TrackerOptions {
  /** TIME_WAIT length in seconds (§6.6; Linux 60 s). */
  timeWaitSeconds: number;
  /** Keep every transition of every connection (for `--transitions` and the ladder). */
  recordTransitions: boolean;
  /** Called after every captured segment of this stream id (the ladder). */
  watch?: { stream: number; onSegment: (row: WatchedSegment) => void };
  hook?: StreamHook;
  /** Told about every committed state change of every connection, tagged with its Stream. */
  listener?: TransitionListener;
  /** Told which stream every header was attributed to (ICMP-quoted ones included), to find a flow's records again. */
  frames?: FrameRecorder;
}

/** Records where each stream's frames are in the file (see src/analysis/frame-index.ts). */
export interface FrameRecorder {
  note(stream: number, seg: Segment): void;
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
  /** SACK blocks as [left, right) pairs, relative to the peer's base (as Wireshark shows SLE/SRE). */
  sack: number[];
  /** The segment starts another connection on the stream's 4-tuple. */
  newConnection: boolean;
  /** Initial states of the current connection's endpoints. */
  initial: [State, State];
}

const BASE_SET0 = 1, SYN_SEEN0 = 4, SACK0 = 16, TS0 = 64, ASSUMED0 = 256;

/**
 * One `tcp.stream`: its identity, figures, and its live connection while there is one.
 * Endpoint 0 is the stream's first sender. Per-endpoint values are scalar pairs (…0, …1), not
 * arrays: a capture can hold hundreds of thousands of streams, and small arrays cost more than
 * the values they hold.
 */
export class Stream extends ZeekSummary {
  pk0 = 0; pk1 = 0;
  /** Original frame lengths, link header included. */
  by0 = 0; by1 = 0;
  pl0 = 0; pl1 = 0;
  readonly a0: number; readonly a1: number; readonly a2: number; readonly a3: number;
  readonly b0: number; readonly b1: number; readonly b2: number; readonly b3: number;
  readonly port0: number; readonly port1: number;
  lastFrame = 0;
  lastSec = 0;
  lastNsec = 0;
  /** Wireshark's per-direction relative sequence base (§1.3), set by analysed segments only. */
  base0 = 0; base1 = 0;
  /** Bit flags: BASE_SET, SYN_SEEN, SACK, TS, ASSUMED, each shifted by the endpoint index. */
  private bits = 0;
  conn: Connection | null = null;
  connections = 0;
  /** Index of the client (first SYN sender), −1 while unknown. */
  client: -1 | 0 | 1 = -1;
  /** No connection of the stream began with a SYN or SYN+ACK. */
  partial = true;
  final0 = 0; final1 = 0;
  /** Whether each endpoint's first FIN acknowledged the peer's FIN: −1 no FIN, 0 no, 1 yes (§6.4). */
  private finAck0 = -1; private finAck1 = -1;
  inferredSegments = 0;
  transitions: TransitionRecord[] | null;
  /** Per-stream state of a StreamHook (the sequence analysis). */
  ext: object | null = null;
  mss0 = -1; mss1 = -1;
  ws0 = -1; ws1 = -1;
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
    super();
    this.a0 = src[0]; this.a1 = src[1]; this.a2 = src[2]; this.a3 = src[3];
    this.b0 = dst[0]; this.b1 = dst[1]; this.b2 = dst[2]; this.b3 = dst[3];
    this.port0 = sport;
    this.port1 = dport;
    this.transitions = record ? [] : null;
  }

  flag(bit: number, i: number): boolean { return (this.bits & (bit << i)) !== 0; }
  setFlag(bit: number, i: number, on = true): void { if (on) this.bits |= bit << i; else this.bits &= ~(bit << i); }

  addrOf(i: number): number[] {
    const v = this.ipVersion === 4 ? 1 : 4;
    return (i === 0 ? [this.a0, this.a1, this.a2, this.a3] : [this.b0, this.b1, this.b2, this.b3]).slice(0, v);
  }
  portOf(i: number): number { return i === 0 ? this.port0 : this.port1; }
  packetsOf(i: number): number { return i === 0 ? this.pk0 : this.pk1; }
  bytesOf(i: number): number { return i === 0 ? this.by0 : this.by1; }
  payloadOf(i: number): number { return i === 0 ? this.pl0 : this.pl1; }
  baseOf(i: number): number { return i === 0 ? this.base0 : this.base1; }
  baseSet(i: number): boolean { return this.flag(BASE_SET0, i); }
  mssOf(i: number): number { return i === 0 ? this.mss0 : this.mss1; }
  wscaleOf(i: number): number { return i === 0 ? this.ws0 : this.ws1; }
  sackPermitted(i: number): boolean { return this.flag(SACK0, i); }
  timestamps(i: number): boolean { return this.flag(TS0, i); }
  assumed(i: number): boolean { return this.flag(ASSUMED0, i); }
  finalOf(i: number): number { return i === 0 ? this.final0 : this.final1; }

  /** Endpoint i's state as shown now (state index, +16 while pending): the live connection's, else the final one. */
  shown(i: 0 | 1): number {
    return this.conn !== null ? this.conn.shown(i) : this.finalOf(i);
  }

  setBase(i: number, v: number): void {
    if (i === 0) this.base0 = v; else this.base1 = v;
    this.setFlag(BASE_SET0, i);
  }

  /** Count one frame sent by endpoint i. */
  count(i: number, frameLen: number, payload: number): void {
    if (i === 0) { this.pk0++; this.by0 += frameLen; this.pl0 += payload; }
    else { this.pk1++; this.by1 += frameLen; this.pl1 += payload; }
  }

  /** The SYN or SYN+ACK options of endpoint i (its first one). */
  noteSyn(i: number, seg: Segment): boolean {
    if (this.flag(SYN_SEEN0, i)) return false;
    this.setFlag(SYN_SEEN0, i);
    if (i === 0) { this.mss0 = seg.mss; this.ws0 = seg.wscale; } else { this.mss1 = seg.mss; this.ws1 = seg.wscale; }
    this.setFlag(SACK0, i, seg.sackPermitted);
    this.setFlag(TS0, i, seg.hasTimestamps);
    return true;
  }

  /** Fold a finished (or superseded) connection into the stream's summary and release it. */
  settle(c: Connection): void {
    this.final0 = c.ep[0].state;
    this.final1 = c.ep[1].state;
    this.setFlag(ASSUMED0, 0, c.ep[0].assumed);
    this.setFlag(ASSUMED0, 1, c.ep[1].assumed);
    this.inferredSegments += c.inferredSegments;
    if (c.transitions !== null) {
      if (this.transitions === null) this.transitions = [];
      for (const t of c.transitions) this.transitions.push(t);
    }
    const f0 = c.firstFinAcksPeer(0), f1 = c.firstFinAcksPeer(1);
    this.finAck0 = f0 === null ? -1 : f0 ? 1 : 0;
    this.finAck1 = f1 === null ? -1 : f1 ? 1 : 0;
    if (c === this.conn) this.conn = null;
  }

  /** Who closed first, from the ACK fields of the first FINs (§6.4), by endpoint index; 2 = simultaneous. */
  closer(): -1 | 0 | 1 | 2 {
    const a = this.finAck0, b = this.finAck1;
    if (a < 0 && b < 0) return -1;
    if (a >= 0 && b < 0) return 0;
    if (a < 0 && b >= 0) return 1;
    if (a === 1) return 1;
    if (b === 1) return 0;
    return 2; // both sent FIN, neither acknowledged the other: simultaneous
  }

  get finalStateNames(): [State, State] {
    return [STATES[this.final0], STATES[this.final1]];
  }
}

const SWEEP_EVERY_PACKETS = 1 << 16;
const MAX_SPARE_CONNECTIONS = 1024;
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
  /** Released connection objects, reused for new connections (most are short-lived). */
  private readonly spare: Connection[] = [];
  private readonly rs: ReplaySegment = { from: 0, frame: 0, tsSec: 0, tsNsec: 0, flags: 0, seq: 0, ack: 0, len: 0, inferred: false };
  private sinceSweep = 0;
  /** Latest plausible capture time, for TIME_WAIT expiry while streaming and as T_end (§1.4, §6.6). */
  nowSec = -Infinity;
  nowNsec = 0;
  /** Frames whose timestamp jumped more than a day past the others (not trusted as the capture's end). */
  implausibleTimestamps = 0;

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
    if (!seg.hasStreamFields) return; // fewer than 16 TCP bytes: no stream, as in Wireshark (§2.1)
    const t = this.table;
    t.setKey(seg.ipVersion, seg.src, seg.srcPort, seg.dst, seg.dstPort);
    const idx = t.get();
    let st: Stream;
    let d: 0 | 1;
    const flags = seg.flags;
    const pureSyn = (flags & (SYN | ACK)) === SYN;
    let reuse = REUSE_NONE;
    let sameIsnSyn = false;
    if (idx < 0) {
      st = this.newStream(seg);
      this.latest.push(st);
      t.set(this.latest.length - 1);
      d = 0;
    } else {
      st = this.latest[idx];
      d = this.dirOf(st, seg);
      // §2.2: a SYN with a new ISN on a known 4-tuple starts a new stream
      if (pureSyn && st.baseSet(d) && seg.seq !== st.baseOf(d)) {
        const old = st;
        if (old.conn !== null) {
          old.conn.abort(seg.frame);
          this.release(old, old.conn);
        }
        st = this.newStream(seg);
        this.latest[idx] = st;
        d = 0;
        reuse = REUSE_NEW_STREAM;
      } else if (pureSyn && st.baseSet(d)) {
        sameIsnSyn = true;
      } else if ((flags & (SYN | ACK)) === (SYN | ACK) && st.baseSet(d) && seg.seq !== st.baseOf(d)) {
        st.setBase(d, seg.seq); // a SYN+ACK with a new ISN: same stream, new base (port-reuse)
        reuse = REUSE_SYNACK;
      }
    }
    const frames = this.opts.frames;
    if (frames !== undefined) frames.note(st.id, seg);
    const hook = this.opts.hook;
    if (seg.quoted) {
      // ICMP-quoted headers: stream side effects only (§2.1, §9.17)
      if (hook !== undefined) hook.segment(st, d, seg, reuse, sameIsnSyn);
      return;
    }

    st.count(d, seg.frameLen, seg.payloadLength);
    st.lastFrame = seg.frame;
    st.lastSec = seg.tsSec;
    st.lastNsec = seg.tsNsec;

    // a header with an impossible data offset is counted but not analysed (§3 intro)
    if (!seg.headerValid) return;
    const r = (1 - d) as 0 | 1;
    if (!st.baseSet(d)) st.setBase(d, (flags & SYN) !== 0 ? seg.seq : seqAdd(seg.seq, -1));
    if ((flags & ACK) !== 0 && !st.baseSet(r)) st.setBase(r, seqAdd(seg.ack, -1));
    if (hook !== undefined) hook.segment(st, d, seg, reuse, sameIsnSyn);

    st.zeekSegment(d, seg);
    this.options(st, d, seg);
    this.replay(st, d, seg);
    if (hook !== undefined) hook.replayed(st, d, seg);
    // a sweep costs one pass over the live connections: at most one step per 64 packets
    if (++this.sinceSweep >= SWEEP_EVERY_PACKETS && this.sinceSweep >= 64 * this.live.size) this.sweep();
  }

  private newStream(seg: Segment): Stream {
    const st = new Stream(this.streams.length, seg.ipVersion, seg.src, seg.srcPort, seg.dst, seg.dstPort,
      seg.frame, seg.tsSec, seg.tsNsec, this.opts.recordTransitions);
    this.streams.push(st);
    return st;
  }

  private dirOf(st: Stream, seg: Segment): 0 | 1 {
    if (seg.srcPort !== st.port0) return 1;
    const a = seg.src;
    if (a[0] !== st.a0) return 1;
    if (st.ipVersion === 6 && (a[1] !== st.a1 || a[2] !== st.a2 || a[3] !== st.a3)) return 1;
    return 0;
  }

  /** Handshake timing and negotiated options, from the SYN and SYN+ACK of each side. */
  private options(st: Stream, d: 0 | 1, seg: Segment): void {
    const f = seg.flags;
    if ((f & SYN) !== 0) {
      st.noteSyn(d, seg);
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
      this.release(st, c);
      c = null;
    }
    if (c === null) {
      // a late segment on a released connection changes nothing, unless it opens a new one
      if (st.connections > 0 && (seg.flags & (SYN | RST)) !== SYN) {
        if (watched) this.emitWatched(st, d, seg, before, false);
        return;
      }
      const ro = { record: this.opts.recordTransitions || watched };
      const old = this.spare.pop();
      c = old !== undefined ? old.restart(rs, ro) : new Connection(rs, ro);
      c.listener = this.opts.listener ?? null;
      c.tag = st;
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
    const shown = (i: 0 | 1) => { const v = st.shown(i); return { state: STATES[v & 15], pending: v >= 16 }; };
    const r = (1 - d) as 0 | 1;
    this.opts.watch!.onSegment({
      frame: seg.frame, tsSec: seg.tsSec, tsNsec: seg.tsNsec, from: d, flags: seg.flags, seq: seg.seq, ack: seg.ack,
      relSeq: (seg.seq - st.baseOf(d)) >>> 0, relAck: (seg.flags & ACK) !== 0 ? (seg.ack - st.baseOf(r)) >>> 0 : 0,
      len: seg.payloadLength, window: seg.window, states: [shown(0), shown(1)],
      sack: Array.from(seg.sack.subarray(0, 2 * seg.sackCount), (v) => (v - st.baseOf(r)) >>> 0),
      transitions: all.slice(before), newConnection: fresh && st.connections > 1,
      initial: c !== null ? [STATES[c.ep[0].initial], STATES[c.ep[1].initial]] : [STATES[st.final0], STATES[st.final1]],
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
        this.release(st, c);
      }
    }
  }

  /** Fold a connection into its stream and keep the object for a later connection. */
  private release(st: Stream, c: Connection): void {
    st.settle(c);
    this.live.delete(st);
    this.opts.hook?.released?.(st);
    if (this.spare.length < MAX_SPARE_CONNECTIONS) this.spare.push(c);
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

}
