/**
 * Lifecycle anomalies (reference §7): what the state replay shows about each connection's
 * life — refused and unanswered attempts, resets, half-open connections, a missing final ACK,
 * CLOSE_WAIT that never ends, TIME_WAIT pile-ups — plus duplicate frames and capture loss.
 * Findings anchored at a frame are raised when the frame is replayed; "never happened" findings
 * and per-host aggregates are decided at the end of the capture (T_end).
 */
import { ACK, FIN, RST, SYN, type Segment } from '../decode/segment.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt } from '../tcp/seq.js';
import {
  CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, RCV_ACK_FIN, RCV_FIN, RCV_RST_OK, STATES,
  SYN_RCVD, SYN_SENT, TIME_WAIT, TIMEOUT_TW,
} from '../tcp/state-table.js';
import type { TransitionListener } from '../tcp/replay.js';
import type { Stream } from '../tcp/tracker.js';
import { WiresharkFlags, type Severity } from './anomalies.js';
import { F_ACKED_UNSEEN, F_KEEP_ALIVE, F_PREVIOUS_SEGMENT_LOST, F_ZERO_WINDOW_PROBE } from './seq-analysis.js';
import { RecordStore, RecordView } from '../tcp/record-store.js';
import { formatDuration } from '../report/duration.js';

/** Thresholds of reference §7, as durations in seconds and counts. */
export interface Thresholds {
  synTimeout: number;
  finalAckGrace: number;
  closeWaitThreshold: number;
  timeWaitLen: number;
  finWait2Timeout: number;
  timeWaitThreshold: number;
  ephemeralRange: number;
  halfOpenWindow: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  synTimeout: 3,
  finalAckGrace: 1,
  closeWaitThreshold: 10,
  timeWaitLen: 60,
  finWait2Timeout: 60,
  timeWaitThreshold: 1000,
  ephemeralRange: 28232,
  halfOpenWindow: 1,
};

/** The shortest CLOSE_WAIT after which a FIN answered by a RST counts as late-fin-reset (no orphan timeout is shorter). */
const LATE_FIN_S = 1;
/** Duplicate frames: a copy within this long in the same direction (§7.15). */
const DUPLICATE_WINDOW_S = 0.001;
const MAX_OPEN_GAPS = 16;

/** A finding kept with endpoint indices; roles and names are filled in at the end. */
export interface LifeRecord {
  kind: string;
  variant: string | null;
  severity: Severity;
  frame: number | null;
  stream: number;
  /** Sender of the anchor segment (index in the stream), or −1. */
  from: -1 | 0 | 1;
  /** Both endpoints' states after the anchor frame (state index, +16 pending), or −1: take the final states. */
  s0: number;
  s1: number;
  /** Message with {0} and {1} standing for the endpoints' names and {p0}/{p1} for their roles. */
  template: string;
  data: Record<string, number | string | boolean | null>;
}

const SIDE_F64 = 12;
/** Int32 slots: counts, frames and the previous segment's fields; the booleans (one bit each); sequence numbers (as their 32 bits). */
const SIDE_FLAGS = 15;
const SIDE_I32 = 24;
/**
 * Per-direction facts of the current connection of a stream, in a RecordStore record: a busy
 * capture holds tens of thousands of live connections, and as objects their facts (with a box
 * for every number that is not a small integer) cost several times their bytes. Sides are reused.
 */
class Side extends RecordView {
  /** Open sequence gaps [start, end) seen as previous-segment-lost (capture-loss candidates), or null. */
  gaps: number[] | null = null;
  gapFrames: number[] | null = null;
  /** Its late close-wait-stuck finding (its FIN came after the threshold), to say so if a RST answers that FIN. */
  lateCloseWait: LifeRecord | null = null;

  constructor(store: RecordStore) {
    super(store);
    this.reset();
  }

  get synSec(): number { return this.f[this.fo + 0]; }
  set synSec(v: number) { this.f[this.fo + 0] = v; }
  get synAckSec(): number { return this.f[this.fo + 1]; }
  set synAckSec(v: number) { this.f[this.fo + 1] = v; }
  get finSec(): number { return this.f[this.fo + 2]; }
  set finSec(v: number) { this.f[this.fo + 2] = v; }
  get finSeq(): number { return this.i[this.io + 16] >>> 0; }
  set finSeq(v: number) { this.i[this.io + 16] = v; }
  /** Sequence number just past its SYN (seq + 1 + TFO data), for the third segment's check. */
  get synEnd(): number { return this.i[this.io + 17] >>> 0; }
  set synEnd(v: number) { this.i[this.io + 17] = v; }
  get lastDataSec(): number { return this.f[this.fo + 3]; }
  set lastDataSec(v: number) { this.f[this.fo + 3] = v; }
  /** Time it acknowledged the peer's FIN (entered CLOSE_WAIT), and the peer FIN's time. */
  get cwAckSec(): number { return this.f[this.fo + 4]; }
  set cwAckSec(v: number) { this.f[this.fo + 4] = v; }
  get cwFinSec(): number { return this.f[this.fo + 5]; }
  set cwFinSec(v: number) { this.f[this.fo + 5] = v; }
  /** TIME_WAIT began (s) and ended (s, or +∞ while held). */
  get twEnter(): number { return this.f[this.fo + 6]; }
  set twEnter(v: number) { this.f[this.fo + 6] = v; }
  get twExit(): number { return this.f[this.fo + 7]; }
  set twExit(v: number) { this.f[this.fo + 7] = v; }
  /** The previous segment of this direction, for duplicate frames. */
  get prevSeq(): number { return this.i[this.io + 18] >>> 0; }
  set prevSeq(v: number) { this.i[this.io + 18] = v; }
  get prevAck(): number { return this.i[this.io + 19] >>> 0; }
  set prevAck(v: number) { this.i[this.io + 19] = v; }
  get prevSec(): number { return this.f[this.fo + 8]; }
  set prevSec(v: number) { this.f[this.fo + 8] = v; }
  /** Its last non-SYN, non-RST segment, for half-open answers. */
  get lastAck(): number { return this.i[this.io + 20] >>> 0; }
  set lastAck(v: number) { this.i[this.io + 20] = v; }
  get lastEnd(): number { return this.i[this.io + 21] >>> 0; }
  set lastEnd(v: number) { this.i[this.io + 21] = v; }
  /** Its committed state just before its last RST (CLOSED when it had no connection). */
  get stateBeforeRst(): number { return (this.i[this.io + SIDE_FLAGS] >>> 8) & 15; }
  set stateBeforeRst(v: number) { const k = this.io + SIDE_FLAGS; this.i[k] = (this.i[k] & ~(15 << 8)) | ((v & 15) << 8); }
  get lastSec(): number { return this.f[this.fo + 9]; }
  set lastSec(v: number) { this.f[this.fo + 9] = v; }
  /** Sequence number of its last 1-byte zero-window probe, or −1. */
  get probeSeq(): number { return this.f[this.fo + 10]; }
  set probeSeq(v: number) { this.f[this.fo + 10] = v; }
  /** When its TIME_WAIT timer was last (re)started (s): a FIN the peer sent again re-arms it (reference §7.11), −1 before any. */
  get twArm(): number { return this.f[this.fo + 11]; }
  set twArm(v: number) { this.f[this.fo + 11] = v; }
  /** When TIME_WAIT runs out, as its timer stands now. */
  twEnd(len: number): number { return Math.max(this.twEnter, this.twArm) + len; }
  /** Time of its latest copy of its FIN, and the frame of the first copy after the FIN (0: none). */
  get finLastSec(): number { return this.finSec + this.i[this.io + 22] / 1e6; }
  /** (kept as µs after finSec, which is set first) */
  set finLastSec(v: number) { this.i[this.io + 22] = Math.min(Math.max(0, Math.round((v - this.finSec) * 1e6)), 0x7fffffff); }
  get finRetxFrame(): number { return this.i[this.io + 23]; }
  set finRetxFrame(v: number) { this.i[this.io + 23] = v; }
  get synCount(): number { return this.i[this.io + 0]; }
  set synCount(v: number) { this.i[this.io + 0] = v; }
  get synFrame(): number { return this.i[this.io + 1]; }
  set synFrame(v: number) { this.i[this.io + 1] = v; }
  get synAckCount(): number { return this.i[this.io + 2]; }
  set synAckCount(v: number) { this.i[this.io + 2] = v; }
  get synAckFrame(): number { return this.i[this.io + 3]; }
  set synAckFrame(v: number) { this.i[this.io + 3] = v; }
  get finFrame(): number { return this.i[this.io + 4]; }
  set finFrame(v: number) { this.i[this.io + 4] = v; }
  get finCount(): number { return this.i[this.io + 5]; }
  set finCount(v: number) { this.i[this.io + 5] = v; }
  get rstCount(): number { return this.i[this.io + 6]; }
  set rstCount(v: number) { this.i[this.io + 6] = v; }
  /** Frame at which its RST was accepted by the peer, or 0. */
  get rstAcceptedFrame(): number { return this.i[this.io + 7]; }
  set rstAcceptedFrame(v: number) { this.i[this.io + 7] = v; }
  get cwFinFrame(): number { return this.i[this.io + 8]; }
  set cwFinFrame(v: number) { this.i[this.io + 8] = v; }
  get prevId(): number { return this.i[this.io + 9]; }
  set prevId(v: number) { this.i[this.io + 9] = v; }
  get prevFlags(): number { return this.i[this.io + 10]; }
  set prevFlags(v: number) { this.i[this.io + 10] = v; }
  get prevLen(): number { return this.i[this.io + 11]; }
  set prevLen(v: number) { this.i[this.io + 11] = v; }
  get prevWin(): number { return this.i[this.io + 12]; }
  set prevWin(v: number) { this.i[this.io + 12] = v; }
  get prevCk(): number { return this.i[this.io + 13]; }
  set prevCk(v: number) { this.i[this.io + 13] = v; }
  /** Its first ACK after the peer's SYN+ACK was checked (handshake-bad-ack third-ack). */
  get thirdChecked(): boolean { return (this.i[this.io + SIDE_FLAGS] & 1) !== 0; }
  set thirdChecked(v: boolean) { this.setBits(SIDE_FLAGS, 1, v); }
  /** Findings raised at most once per connection and direction. */
  get ackWithoutFlag(): boolean { return (this.i[this.io + SIDE_FLAGS] & 2) !== 0; }
  set ackWithoutFlag(v: boolean) { this.setBits(SIDE_FLAGS, 2, v); }
  get continuedAfterRst(): boolean { return (this.i[this.io + SIDE_FLAGS] & 4) !== 0; }
  set continuedAfterRst(v: boolean) { this.setBits(SIDE_FLAGS, 4, v); }
  /** Its acknowledgment of the peer's FIN (final ACK) was later taken back. */
  get finalAckLost(): boolean { return (this.i[this.io + SIDE_FLAGS] & 8) !== 0; }
  set finalAckLost(v: boolean) { this.setBits(SIDE_FLAGS, 8, v); }
  /** The capture saw an acknowledgment covering its FIN. */
  get finAcked(): boolean { return (this.i[this.io + SIDE_FLAGS] & 16) !== 0; }
  set finAcked(v: boolean) { this.setBits(SIDE_FLAGS, 16, v); }
  get lastHasAck(): boolean { return (this.i[this.io + SIDE_FLAGS] & 32) !== 0; }
  set lastHasAck(v: boolean) { this.setBits(SIDE_FLAGS, 32, v); }
  /** data-after-close (after-rst) was raised for it. */
  get dataAfterRst(): boolean { return (this.i[this.io + SIDE_FLAGS] & 64) !== 0; }
  set dataAfterRst(v: boolean) { this.setBits(SIDE_FLAGS, 64, v); }
  /** Its last non-SYN, non-RST segment carried a FIN. */
  get lastFin(): boolean { return (this.i[this.io + SIDE_FLAGS] & 128) !== 0; }
  set lastFin(v: boolean) { this.setBits(SIDE_FLAGS, 128, v); }
  /** The replay closed it the graceful way: into TIME_WAIT, or from LAST_ACK on the ACK of its FIN (captured or inferred). */
  get closedByFin(): boolean { return (this.i[this.io + SIDE_FLAGS] & 4096) !== 0; }
  set closedByFin(v: boolean) { this.setBits(SIDE_FLAGS, 4096, v); }
  /** Gaps in `gaps` not yet filled by a retransmission (no need to test each data segment against the list otherwise). */
  get openGaps(): number { return this.i[this.io + 14]; }
  set openGaps(v: number) { this.i[this.io + 14] = v; }

  /** Back to a fresh side (sides are reused: a busy capture opens thousands of connections a second). */
  reset(): this {
    this.f.fill(0, this.fo, this.fo + SIDE_F64);
    this.i.fill(0, this.io, this.io + SIDE_I32);
    this.lastDataSec = -1;
    this.cwAckSec = -1;
    this.cwFinSec = -1;
    this.twEnter = -1;
    this.twExit = Infinity;
    this.twArm = -1;
    this.prevSec = -1;
    this.lastSec = -1;
    this.probeSeq = -1;
    this.prevId = -2;
    this.gaps = null; this.gapFrames = null;
    this.lateCloseWait = null;
    return this;
  }
}

/** Endpoint `i` sent a SYN, and its peer sent nothing back at all: neither SYN+ACK nor RST, nor any other segment. */
function synUnanswered(st: Stream, sides: [Side, Side], i: 0 | 1): boolean {
  return sides[i].synCount > 0 && sides[1 - i].synAckCount === 0 && sides[1 - i].rstCount === 0 && st.packetsOf(1 - i) === 0;
}

/** An ICMP (IPv4) or ICMPv6 error's name, and what it says about a SYN it quotes. */
export function icmpName(ipVersion: number, type: number, code: number): { name: string; why: string } {
  const firewall = 'a firewall or router rejected the connection attempt';
  if (ipVersion === 4) {
    if (type === 3) {
      switch (code) {
        case 0: return { name: 'network unreachable', why: 'no route led to the server' };
        case 1: return { name: 'host unreachable', why: 'the server did not answer on its network (down, or no such address)' };
        case 3: return { name: 'port unreachable', why: firewall };
        case 4: return { name: 'fragmentation needed', why: 'the SYN was too large for a link on the way' };
        case 9: case 10: case 13: return { name: 'administratively prohibited', why: firewall };
        default: return { name: `destination unreachable, code ${code}`, why: 'the SYN could not be delivered' };
      }
    }
    if (type === 11) return { name: 'time exceeded', why: 'the SYN ran out of hops (a routing loop, or a TTL set too low)' };
    return { name: `ICMP type ${type}, code ${code}`, why: 'a router or the server host reported a problem with the SYN' };
  }
  if (type === 1) {
    switch (code) {
      case 0: return { name: 'no route to destination', why: 'no route led to the server' };
      case 1: case 5: case 6: return { name: code === 1 ? 'administratively prohibited' : code === 5 ? 'source address failed policy' : 'reject route', why: firewall };
      case 3: return { name: 'address unreachable', why: 'the server did not answer on its network (down, or no such address)' };
      case 4: return { name: 'port unreachable', why: firewall };
      default: return { name: `destination unreachable, code ${code}`, why: 'the SYN could not be delivered' };
    }
  }
  if (type === 3) return { name: 'time exceeded', why: 'the SYN ran out of hops (a routing loop, or a hop limit set too low)' };
  return { name: `ICMPv6 type ${type}, code ${code}`, why: 'a router or the server host reported a problem with the SYN' };
}

/** Endpoint placeholders of message templates, filled with "client …"/"server …" at report time. */
const NAME = ['{0}', '{1}'] as const;

/*
 * What every stream keeps, by stream id, in a RecordStore of Int32 slots (a capture can hold hundreds
 * of thousands of streams): the connection its sides belong to, whether an accepted RST was already
 * explained as half-open or reset, per endpoint the index + 1 in Analyzer.timeWait of its interval
 * still open when its connection was released (0: none), and its classes (C_* bits).
 */
const K_CONNECTIONS = 0, K_RESET_REPORTED = 1, K_TW_OPEN0 = 2, K_CLASSES = 4;
const K_SLOTS = 5;

/**
 * The flow classifications of reference §7.12, in its order: what became of each connection of a
 * stream, one word or a few (a stream holding several connections has the classes of each). They are
 * not findings: every flow has some, and a capture can hold hundreds of thousands of flows.
 */
export const FLOW_CLASSES = [
  'attempt-pending', 'midstream', 'in-progress', 'closing-in-progress', 'closed-graceful', 'closed-reset',
  'simultaneous-open', 'simultaneous-close',
] as const;
export type FlowClass = (typeof FLOW_CLASSES)[number];
/** FLOW_CLASSES[n] is bit 1 << n of K_CLASSES. */
const C_ATTEMPT_PENDING = 1, C_MIDSTREAM = 2, C_IN_PROGRESS = 4, C_CLOSING = 8, C_GRACEFUL = 16, C_RESET = 32,
  C_SIMULTANEOUS_OPEN = 64, C_SIMULTANEOUS_CLOSE = 128;
/** Not a class: a finding explains why the current connection is not over at the end of the capture. */
const C_EXPLAINED = 1 << 16;
/** The findings that explain an endpoint left in a live state at the end (so the flow is not `in-progress`). */
const EXPLAINS_END = new Set(['syn-unanswered', 'synack-unanswered', 'missing-final-ack', 'close-wait-stuck', 'half-open']);
/** The states of an endpoint whose connection is not over (§7.12 `in-progress`). */
const LIVE_STATES = new Set([SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK]);

/**
 * Per stream with data the capture never showed, over all its connections (reference §9.23): frames
 * that follow a sequence gap (previous-segment-lost, but not the gap Wireshark sees after a zero-window
 * probe's byte) or acknowledge unseen data (acked-unseen), each kind counted, the first such frame,
 * and the gaps a retransmission filled.
 */
const U_FRAMES = 0, U_LOST = 1, U_UNSEEN = 2, U_FIRST = 3, U_FILLED = 4;

/**
 * A flow looks filtered or lossy in the capture (reference §9.23) when more than this share of its
 * frames carry previous-segment-lost or acked-unseen and no retransmission filled any gap.
 */
const FILTERED_SHARE = 0.2;
/**
 * ... and at least this many frames do: one or two such flags are what a capture that starts
 * mid-connection shows in each direction (reference §9.1), not a flood.
 */
const FILTERED_MIN_FRAMES = 3;

/**
 * The analyzer behind `synfin analyze`: the Wireshark-compatible flags (inherited) and the
 * lifecycle anomalies, as one StreamHook and TransitionListener of the tracker.
 */
export class Analyzer extends WiresharkFlags implements TransitionListener {
  readonly life: LifeRecord[] = [];
  /** TIME_WAIT intervals [enter, exit) per holder, for per-host accounting: flat [stream, holder, enter, exit]. */
  readonly timeWait: number[] = [];

  constructor(readonly t: Thresholds = DEFAULT_THRESHOLDS) {
    super();
  }

  /** Facts of released connections, for reuse (not capped, like the tracker's spare connections). */
  private readonly spareSides: Array<[Side, Side]> = [];
  private readonly sideStore = new RecordStore(SIDE_F64, SIDE_I32);
  /**
   * The facts of each stream's current connection, by stream id (null when it has none): settled and
   * dropped when the tracker releases the connection. A late segment brings them back.
   */
  private readonly sides: Array<[Side, Side] | null> = [];
  /**
   * The first ICMP error quoting a SYN of the stream's current connection, by stream id: [the SYN sender's index, the
   * error's frame, type << 8 | code]. Rare, so kept apart from the per-connection records.
   */
  private readonly synIcmp = new Map<number, [number, number, number]>();
  /**
   * For a connection the capture joined mid-stream (reference §9.1), the frame that ends its first
   * round trip: the first segment acknowledging data the capture showed. Wireshark's flags before it
   * (ACKs of data sent before the capture began, above all) are marked as at capture start. A stream
   * that opens with a SYN has none, nor does one whose captured data was never acknowledged.
   */
  readonly captureStartEnd = new Map<number, number>();
  /** Streams still in their first round trip: per endpoint, 1 once it sent captured data, and the sequence number of its first byte. */
  private readonly firstData = new Map<number, [number, number, number, number]>();

  private firstRoundTrip(st: Stream, d: 0 | 1, seg: Segment): void {
    const f = seg.flags, id = st.id;
    // (a stream that opens with a SYN or SYN+ACK is not partial once it is replayed, and is not looked at again)
    if ((f & SYN) !== 0) { this.firstData.delete(id); return; }
    let x = this.firstData.get(id);
    if (x === undefined) { x = [0, 0, 0, 0]; this.firstData.set(id, x); }
    const r = 1 - d;
    if ((f & ACK) !== 0 && x[2 * r] === 1 && seqGt(seg.ack, x[2 * r + 1])) {
      this.captureStartEnd.set(id, seg.frame);
      this.firstData.delete(id);
      return;
    }
    if (x[2 * d] === 0 && (seg.payloadLength > 0 || (f & FIN) !== 0)) { x[2 * d] = 1; x[2 * d + 1] = seg.seq; }
  }

  /** Unseen data per stream (see U_FRAMES), by stream id: only streams that have some. */
  private readonly unseen = new Map<number, number[]>();

  private unseenOf(id: number, frame: number): number[] {
    let u = this.unseen.get(id);
    if (u === undefined) { u = [0, 0, 0, frame, 0]; this.unseen.set(id, u); }
    return u;
  }

  /** The per-stream slots (see K_SLOTS), by stream id. */
  private readonly kept = new RecordStore(0, K_SLOTS);

  /** The Int32Array holding stream id's slots; its first slot is at keptAt(id). */
  private keptOf(id: number): Int32Array {
    this.kept.reach(id);
    return this.kept.i32Of(id);
  }

  private keptAt(id: number): number {
    return this.kept.i32Base(id);
  }

  /** An accepted RST was already explained as half-open or reset on the stream's current connection. */
  private resetReported(st: Stream): boolean {
    return this.keptOf(st.id)[this.keptAt(st.id) + K_RESET_REPORTED] !== 0;
  }

  private markResetReported(st: Stream): void {
    this.keptOf(st.id)[this.keptAt(st.id) + K_RESET_REPORTED] = 1;
  }

  /** The facts of the stream's current connection; a new connection settles the previous one's. */
  private current(st: Stream): [Side, Side] {
    const id = st.id;
    while (this.sides.length <= id) this.sides.push(null);
    let side = this.sides[id];
    const K = this.keptOf(id), k = this.keptAt(id);
    const known = K[k + K_CONNECTIONS];
    if (known !== st.connections) {
      if (side !== null && known > 0) this.settle(st, side);
      if (side === null) side = this.freshSides();
      else if (known > 0) { side[0].reset(); side[1].reset(); }
      this.sides[id] = side;
      // (the replay decided whether the stream's first connection began with a SYN or a SYN+ACK: partial is that answer)
      if (known === 0 && st.partial) K[k + K_CLASSES] |= C_MIDSTREAM;
      K[k + K_CLASSES] &= ~C_EXPLAINED;
      K[k + K_CONNECTIONS] = st.connections;
      K[k + K_RESET_REPORTED] = 0;
      if (this.synIcmp.size > 0) this.synIcmp.delete(id);
    }
    if (side === null) { side = this.freshSides(); this.sides[id] = side; }
    return side;
  }

  /** The connection is over: keep what the aggregates need, drop the facts. */
  released(st: Stream): void {
    const side = this.sides[st.id];
    if (side === undefined || side === null) return;
    // a SYN nobody answered is judged at the end of the capture (syn-unanswered needs T_end): keep its facts until then
    // (rare: a connection is released only when both ends are CLOSED or in TIME_WAIT)
    if (synUnanswered(st, side, 0) || synUnanswered(st, side, 1)) return;
    this.settle(st, side);
    this.spareSides.push(side);
    this.sides[st.id] = null;
    if (this.synIcmp.size > 0) this.synIcmp.delete(st.id);
  }

  private freshSides(): [Side, Side] {
    const s = this.spareSides.pop();
    if (s === undefined) return [new Side(this.sideStore), new Side(this.sideStore)];
    s[0].reset();
    s[1].reset();
    return s;
  }

  /** A parked TIME_WAIT ended: a new connection on the 4-tuple cut its interval short (a timeout ends it where it was put). */
  parkedTimeWaitEnded(st: Stream, i: 0 | 1, atSec: number, timeout: boolean): void {
    const K = this.keptOf(st.id), k = this.keptAt(st.id) + K_TW_OPEN0 + i;
    const at = K[k] - 1;
    if (at < 0) return;
    if (!timeout) this.timeWait[at + 3] = Math.min(this.timeWait[at + 3], Math.max(atSec, this.timeWait[at + 2]));
    K[k] = 0;
  }

  /** TIME_WAIT intervals, capture loss and classes of one connection (the parts that need no T_end). */
  private settle(st: Stream, side: [Side, Side]): void {
    this.classify(st, side);
    const K = this.keptOf(st.id), k = this.keptAt(st.id) + K_TW_OPEN0;
    for (const i of [0, 1] as const) {
      const P = side[i], A = side[1 - i];
      if (P.twEnter >= 0) {
        const open = P.twExit === Infinity ? this.timeWait.length : -1;
        K[k + i] = open + 1;
        this.timeWait.push(st.id, i, P.twEnter, Math.min(P.twExit, P.twEnd(this.t.timeWaitLen)));
      }
      // capture-loss (§7.15): a gap the receiver acknowledged without any retransmission filling it
      const gaps = P.gaps, gapFrames = P.gapFrames;
      if (gaps === null || gapFrames === null) continue;
      for (let g = 0; g < gaps.length; g += 2) {
        if (gaps[g] === gaps[g + 1]) continue; // filled by a retransmission
        if (A.lastAck !== 0 && seqGe(A.lastAck, gaps[g + 1])) {
          this.add(st, 'capture-loss', null, 'info', gapFrames[g / 2], i, null,
            `{${1 - i}} acknowledged ${((gaps[g + 1] - gaps[g]) >>> 0)} byte(s) of {${i}}'s data that the capture never showed and that were never retransmitted: the capture, not the network, lost them.`,
            { bytes: (gaps[g + 1] - gaps[g]) >>> 0 });
        }
      }
    }
  }

  /** Both endpoints' shown states now (computed only when a finding is raised). */
  private states(st: Stream): [number, number] {
    return [st.shown(0), st.shown(1)];
  }

  private add(st: Stream, kind: string, variant: string | null, severity: Severity, frame: number | null, from: -1 | 0 | 1,
    states: [number, number] | null, template: string, data: LifeRecord['data'] = {}): LifeRecord {
    const rec: LifeRecord = { kind, variant, severity, frame, stream: st.id, from, s0: states ? states[0] : -1, s1: states ? states[1] : -1, template, data };
    this.life.push(rec);
    if (EXPLAINS_END.has(kind)) this.markClasses(st.id, C_EXPLAINED);
    return rec;
  }

  /** Stream `id`'s K_CLASSES word: its classes (C_* bits) and C_EXPLAINED. */
  private classBits(id: number): number {
    return this.keptOf(id)[this.keptAt(id) + K_CLASSES];
  }

  private markClasses(id: number, bits: number): void {
    this.keptOf(id)[this.keptAt(id) + K_CLASSES] |= bits;
  }

  /** The classes (reference §7.12) of stream `id`, in FLOW_CLASSES order. */
  classesOf(id: number): FlowClass[] {
    const c = this.classBits(id);
    const out: FlowClass[] = [];
    for (let n = 0; n < FLOW_CLASSES.length; n++) if ((c & (1 << n)) !== 0) out.push(FLOW_CLASSES[n]);
    return out;
  }

  /**
   * The classes of a connection that is over or superseded (reference §7.12), kept with its stream's:
   * closed-graceful when the replay closed both endpoints the graceful way (each FIN sent and
   * acknowledged, seen or inferred, as in a one-sided capture) and both ended CLOSED or in TIME_WAIT
   * (so a final ACK lost after the capture point is not graceful; a RST that cut TIME_WAIT short ends
   * no connection); simultaneous-open when both sent a pure SYN; simultaneous-close when the FINs
   * crossed (§6.4). closed-reset is marked when the replay accepts a RST (see onTransition).
   */
  private classify(st: Stream, side: [Side, Side]): void {
    let c = 0;
    const a = side[0], b = side[1];
    const over = (i: 0 | 1): boolean => st.finalOf(i) === CLOSED || st.finalOf(i) === TIME_WAIT;
    if (a.closedByFin && b.closedByFin && over(0) && over(1)) c |= C_GRACEFUL;
    if (a.synCount > 0 && b.synCount > 0) c |= C_SIMULTANEOUS_OPEN;
    if (st.closer() === 2) c |= C_SIMULTANEOUS_CLOSE;
    this.markClasses(st.id, c);
  }

  // ------------------------------------------------------------------ per segment

  override segment(st: Stream, d: 0 | 1, seg: Segment, reuse: number, sameIsnSyn: boolean): void {
    super.segment(st, d, seg, reuse, sameIsnSyn);
    if (seg.quoted) {
      // an ICMP error about the sender's SYN explains an unanswered SYN (reference §7.1, §9.17)
      if ((seg.flags & (SYN | ACK)) === SYN && seg.icmpType >= 0 && !this.synIcmp.has(st.id)) {
        this.current(st);
        this.synIcmp.set(st.id, [d, seg.frame, (seg.icmpType << 8) | seg.icmpCode]);
      }
      return;
    }
    if (st.partial && !this.captureStartEnd.has(st.id) && st.connections <= 1) this.firstRoundTrip(st, d, seg);
    const A = this.current(st)[d];
    const t = seg.tsSec + seg.tsNsec / 1e9;
    const f = seg.flags;
    // duplicate-frame: the same frame again within 1 ms in the same direction (§7.15)
    if (seg.ipId === A.prevId && seg.seq === A.prevSeq && seg.ack === A.prevAck && f === A.prevFlags &&
        seg.payloadLength === A.prevLen && seg.window === A.prevWin && seg.checksumField === A.prevCk &&
        t - A.prevSec >= 0 && t - A.prevSec < DUPLICATE_WINDOW_S && seg.ipId > 0) {
      // (an IPv4 ID of 0, as Linux sends on DF segments, carries no identity: equal frames may be distinct. Nor do TCP
      // timestamps: Linux re-sends a SYN+ACK on its timer and again for the peer's repeated SYN within the same
      // millisecond, bit for bit, as in fixtures/synack-lost.pcap frames 6 and 8)
      this.dupPending = true;
    }
    A.prevId = seg.ipId; A.prevSeq = seg.seq; A.prevAck = seg.ack; A.prevFlags = f; A.prevLen = seg.payloadLength;
    A.prevWin = seg.window; A.prevCk = seg.checksumField; A.prevSec = t;
    // (the replay moves the RST's sender to CLOSED before its receiver takes the RST: which reset it was depends on the state before)
    if ((f & RST) !== 0) A.stateBeforeRst = st.conn !== null ? st.conn.ep[d].state : CLOSED;
    // capture-loss candidates: a gap before this segment, and retransmissions that fill gaps
    if ((this.pending & F_ZERO_WINDOW_PROBE) !== 0) A.probeSeq = seg.seq;
    // (Wireshark's nextseq ignores an accepted probe byte, so the data after it looks like a gap: it was captured)
    const gaps = A.gaps;
    // (a SYN or SYN+ACK starts a sequence space: the jump to it is no gap)
    const gap = (this.pending & F_PREVIOUS_SEGMENT_LOST) !== 0 && (f & SYN) === 0 && this.prevNextRaw !== A.probeSeq;
    if (gap || (this.pending & F_ACKED_UNSEEN) !== 0) {
      const u = this.unseenOf(st.id, seg.frame);
      u[U_FRAMES]++;
      if (gap) u[U_LOST]++;
      if ((this.pending & F_ACKED_UNSEEN) !== 0) u[U_UNSEEN]++;
    }
    if (gap && (gaps === null || gaps.length < 2 * MAX_OPEN_GAPS)) {
      if (gaps === null) { A.gaps = [this.prevNextRaw, seg.seq]; A.gapFrames = [seg.frame]; }
      else { gaps.push(this.prevNextRaw, seg.seq); A.gapFrames!.push(seg.frame); }
      if (this.prevNextRaw !== seg.seq) A.openGaps++;
    } else if ((seg.payloadLength > 0 || (f & FIN) !== 0) && gaps !== null && A.openGaps > 0) {
      // (a FIN occupies a sequence number: a FIN sent again fills the gap its first copy left)
      const end = seqAdd(seg.seq, seg.payloadLength + ((f & FIN) !== 0 ? 1 : 0));
      for (let i = 0; i < gaps.length; i += 2) {
        if (gaps[i] !== gaps[i + 1] && seqLt(seg.seq, gaps[i + 1]) && seqGt(end, gaps[i])) {
          gaps[i] = gaps[i + 1]; // filled: empty the gap
          A.openGaps--;
          this.unseenOf(st.id, seg.frame)[U_FILLED]++;
        }
      }
    }
  }

  private dupPending = false;

  override replayed(st: Stream, d: 0 | 1, seg: Segment): void {
    const wsFlags = this.pending; // (the Wireshark flags of this segment: super.replayed() records and clears them)
    super.replayed(st, d, seg);
    const r = (1 - d) as 0 | 1;
    const sides = this.current(st);
    const A = sides[d], B = sides[r];
    const f = seg.flags;
    const t = seg.tsSec + seg.tsNsec / 1e9;
    const syn = (f & SYN) !== 0, ack = (f & ACK) !== 0, fin = (f & FIN) !== 0, rst = (f & RST) !== 0;
    // a FIN received again in TIME_WAIT restarts the timer: the replay commits it as the sender acknowledges it (Connection.commit)
    const c = st.conn;
    if (c !== null && A.twArm >= 0 && c.ep[d].state === TIME_WAIT) A.twArm = c.ep[d].twSec + c.ep[d].twNsec / 1e9;
    const S = NAME[d], R = NAME[r]; // the sender's and the receiver's names in message templates
    if (this.dupPending) {
      this.dupPending = false;
      this.add(st, 'duplicate-frame', null, 'info', seg.frame, d, this.states(st),
        `${S} sent the very same frame twice within 1 ms (same IP ID, sequence numbers, flags, window and checksum): a capture artefact, typically a mirror port.`);
      this.reportReset();
      return; // a copy is not a second event: it counts for nothing below (a second SYN, a FIN retransmission, …)
    }
    // state-violation: flag combinations no state can place (§7.14)
    const combo = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (combo >= 2) {
      const v = syn && fin ? 'syn-fin' : syn && rst ? 'syn-rst' : 'fin-rst';
      this.add(st, 'state-violation', v, 'warn', seg.frame, d, this.states(st), `${S} sent a segment with ${v.toUpperCase().replace('-', '+')} set together, which no TCP state accepts.`);
    } else if (!syn && !rst && !ack) {
      // every segment but a SYN or a RST carries ACK; a receiver drops one without it (RFC 9293 §3.10.7.4)
      const what = seg.payloadLength > 0 ? `${seg.payloadLength} byte(s) of data${fin ? ' and FIN' : ''}` : fin ? 'a FIN' : 'no flags at all';
      this.add(st, 'state-violation', 'no-ack', 'warn', seg.frame, d, this.states(st),
        `${S} sent ${what} without the ACK bit, which no state accepts: a receiver drops such a segment (typical of a scan or an evasion attempt).`,
        { len: seg.payloadLength });
    }
    if (syn && !ack) {
      if (A.synCount++ === 0) { A.synFrame = seg.frame; A.synSec = t; A.synEnd = seqAdd(seg.seq, 1 + seg.payloadLength); }
    } else if (syn && ack) {
      if (A.synAckCount++ === 0) {
        A.synAckFrame = seg.frame; A.synAckSec = t;
        // handshake-bad-ack (synack-wrong-direction): the SYN+ACK comes from the side that sent the SYN
        if (A.synCount > 0 && B.synCount === 0) {
          this.add(st, 'handshake-bad-ack', 'synack-wrong-direction', 'error', seg.frame, d, this.states(st),
            `${S} answered its own SYN with a SYN+ACK: the SYN+ACK must come from the side that received the SYN.`);
        }
        // handshake-bad-ack (synack-ack): the SYN+ACK must acknowledge the SYN (reference §7.5)
        if (B.synCount > 0 && st.conn !== null) {
          const peer = st.conn.ep[r];
          if (peer.isnKnown && seg.ack !== seqAdd(peer.isn, 1) && !(seqGt(seg.ack, seqAdd(peer.isn, 1)) && seqLe(seg.ack, peer.sndNxt))) {
            this.add(st, 'handshake-bad-ack', 'synack-ack', 'error', seg.frame, d, this.states(st),
              `${S}'s SYN+ACK acknowledges ${((seg.ack - peer.isn) >>> 0)} instead of 1 (the SYN's sequence number + 1).`, { ack: seg.ack, expected: seqAdd(peer.isn, 1) });
          }
        }
      }
    }
    // handshake-bad-ack (third-ack): the initiator's first ACK after the SYN+ACK must acknowledge the responder's ISN + 1
    // (a later segment reordered ahead of the third, or following a third one lost before the capture point, is not checked:
    // it sits past ISN + 1, and acknowledges no more than the responder sent; previous-segment-lost says what is missing)
    if (ack && !syn && !rst && !A.thirdChecked && A.synCount > 0 && B.synAckCount > 0 && st.conn !== null) {
      const peer = st.conn.ep[r];
      const wantAck = seqAdd(peer.isn, 1);
      const later = seqGt(seg.seq, A.synEnd) || (seqGt(seg.ack, wantAck) && peer.sndNxtKnown && seqLe(seg.ack, peer.sndNxt));
      if (!later) {
        A.thirdChecked = true;
        if (peer.isnKnown && (seg.ack !== wantAck || seg.seq !== A.synEnd)) {
          this.add(st, 'handshake-bad-ack', 'third-ack', 'error', seg.frame, d, this.states(st),
            seg.ack !== wantAck
              ? `${S}'s ACK after the SYN+ACK acknowledges ${((seg.ack - peer.isn) >>> 0)} instead of 1 (the responder's ISN + 1): ${R} cannot leave SYN_RCVD on it.`
              : `${S}'s ACK after the SYN+ACK carries sequence number ${((seg.seq - A.synEnd + 1) >>> 0)} instead of 1 (its ISN + 1).`,
            { ack: seg.ack, expectedAck: wantAck, seq: seg.seq, expectedSeq: A.synEnd });
        }
      }
    }
    // handshake-bad-ack (ack-without-flag): an acknowledgment number without the ACK flag (Wireshark tcp.ack.nonzero)
    if (!ack && seg.ack !== 0 && !A.ackWithoutFlag) {
      A.ackWithoutFlag = true;
      this.add(st, 'handshake-bad-ack', 'ack-without-flag', 'info', seg.frame, d, this.states(st),
        `${S} sent an acknowledgment number (${seg.ack}) without the ACK flag; receivers ignore it.`, { ack: seg.ack });
    }
    // invalid-rst (sender-continued): the sender of an accepted RST keeps sending (Suricata suspected_rst_inject)
    if (A.rstAcceptedFrame > 0 && !rst && !syn && !A.continuedAfterRst) {
      A.continuedAfterRst = true;
      this.add(st, 'invalid-rst', 'sender-continued', 'warn', seg.frame, d, this.states(st),
        `${S} kept sending after its RST in frame ${A.rstAcceptedFrame} was accepted: that RST may have been injected by a third party.`,
        { rstFrame: A.rstAcceptedFrame });
    }
    // data-after-close (after-rst): data from the sender of an accepted RST (reference §7.13; Zeek data_after_reset)
    if (A.rstAcceptedFrame > 0 && !rst && !syn && seg.payloadLength > 0 && !A.dataAfterRst) {
      A.dataAfterRst = true;
      this.add(st, 'data-after-close', 'after-rst', 'warn', seg.frame, d, this.states(st),
        `${S} sent ${seg.payloadLength} byte(s) of data after its RST in frame ${A.rstAcceptedFrame}, which ${R} had accepted: for ${R} the connection was over.`,
        { rstFrame: A.rstAcceptedFrame, len: seg.payloadLength });
    }
    // since when the sender has sat idle in CLOSE_WAIT, if it has (before this segment's data counts)
    const idleSince = A.cwAckSec >= 0 ? Math.max(A.cwAckSec, A.lastDataSec) : -1;
    // (a keep-alive probe's byte is no data from the application: it does not restart the CLOSE_WAIT idle clock, §9.22)
    if (!syn && !rst && seg.payloadLength > 0 && (wsFlags & F_KEEP_ALIVE) === 0) A.lastDataSec = t;
    // data-after-close: new data past the sender's own FIN (reference §7.13)
    if (!syn && !rst && seg.payloadLength > 0 && A.finCount > 0 && seqGt(seqAdd(seg.seq, seg.payloadLength), A.finSeq)) {
      this.add(st, 'data-after-close', 'after-own-fin', 'warn', seg.frame, d, this.states(st), `${S} sent ${seg.payloadLength} byte(s) of new data after its own FIN.`);
    }
    if (fin && !rst) {
      const finSeq = seqAdd(seg.seq, seg.payloadLength + (syn ? 1 : 0));
      if (A.finCount === 0) {
        A.finFrame = seg.frame; A.finSec = t; A.finLastSec = t; A.finSeq = finSeq; A.finCount = 1;
        // close-wait-stuck, late (reference §7.10): its FIN comes at last, after sitting idle in CLOSE_WAIT past the threshold
        // (and at least LATE_FIN_S: an ordinary passive close spends microseconds there, whatever the threshold says)
        if (idleSince >= 0 && A.rstCount === 0 && t - idleSince >= Math.max(this.t.closeWaitThreshold, LATE_FIN_S)) {
          const holder = d === st.client ? 'client' : 'server';
          A.lateCloseWait = this.add(st, 'close-wait-stuck', null, 'warn', A.cwFinFrame || seg.frame, r, this.states(st),
            `${S} received ${R}'s FIN${A.cwFinFrame > 0 ? ` in frame ${A.cwFinFrame}` : ''} and acknowledged it, but sent its own FIN only ` +
            `${formatDuration(t - idleSince)} later${idleSince > A.cwAckSec ? ' than its last data' : ''} (frame ${seg.frame}): it sat in CLOSE_WAIT all that time.`,
            { age: Math.round((t - (A.cwFinSec >= 0 ? A.cwFinSec : A.cwAckSec)) * 1e3) / 1e3, idle: Math.round((t - idleSince) * 1e3) / 1e3, holder,
              ended: 'fin', finFrame: seg.frame });
        }
      }
      else if (finSeq === A.finSeq) { if (A.finCount++ === 1) A.finRetxFrame = seg.frame; A.finLastSec = t; }
    }
    if (ack && B.finCount > 0 && seqGe(seg.ack, seqAdd(B.finSeq, 1))) B.finAcked = true;
    // half-open (stale-syn): a SYN answered by a pure ACK of other sequence numbers, not a SYN+ACK (reference §7.8)
    if (ack && !syn && !fin && !rst && B.synCount > 0 && A.synAckCount === 0 && seg.ack !== B.synEnd && !this.resetReported(st)) {
      this.markResetReported(st); // (the peer's RST answering this ACK is part of the same story)
      this.add(st, 'half-open', 'stale-syn', 'error', seg.frame, d, this.states(st),
        `${S} answered ${R}'s SYN with an ACK of other sequence numbers (a challenge ACK), not a SYN+ACK: ` +
        `${S} still has an earlier connection on this 4-tuple that ${R} no longer has.`, { ack: seg.ack });
    }
    // half-open (no-tcb-rst): a bare RST answering the peer's last segment (reference §7.8), but not the RST of an endpoint
    // that closed gracefully, answering a late segment of a peer in TIME_WAIT: that connection was over on both sides
    const intoTimeWait = rst && A.stateBeforeRst === CLOSED &&
      ((this.acceptedRst !== null && this.acceptedRst.from === TIME_WAIT) || (st.conn !== null && (st.conn.shown(r) & 15) === TIME_WAIT));
    if (rst && !intoTimeWait && B.lastSec >= 0 && t - B.lastSec >= 0 && t - B.lastSec < this.t.halfOpenWindow && A.rstCount === 0 && !this.resetReported(st) &&
        ((!ack && seg.seq === B.lastAck && B.lastHasAck) || (ack && seg.seq === 0 && !B.lastHasAck && seg.ack === B.lastEnd))) {
      this.markResetReported(st);
      const waited = B.cwAckSec >= 0 ? t - B.cwAckSec : -1;
      if (B.lastFin && A.stateBeforeRst === FIN_WAIT_2 && waited >= LATE_FIN_S) {
        // the peer closed so late that this side's orphaned FIN_WAIT_2 had timed out (reference §7.8)
        // its late close-wait-stuck ended with the peer having forgotten the connection (reference §7.10)
        const late = B.lateCloseWait;
        if (late !== null) {
          late.data.ended = 'peer-forgot';
          late.template += ` By then ${S} had forgotten the connection, and answered it with a RST (frame ${seg.frame}).`;
        }
        this.add(st, 'half-open', 'late-fin-reset', 'error', seg.frame, d, this.states(st),
          `${S} answered ${R}'s FIN with a bare RST: ${S} no longer had the connection, its FIN_WAIT_2 having timed out ` +
          `(orphan timeout, Linux tcp_fin_timeout) while ${R} sat in CLOSE_WAIT for ${formatDuration(waited)}.`,
          { closeWait: Math.round(waited * 1e6) / 1e6 });
      } else {
        this.add(st, 'half-open', 'no-tcb-rst', 'error', seg.frame, d, this.states(st),
          `${S} answered ${R}'s segment with a bare RST (seq = the segment's ack): ${S} no longer has this connection while ${R} still does.`);
      }
    }
    this.reportReset();
    if (rst) A.rstCount++;
    if (!syn && !rst) { A.lastAck = seg.ack; A.lastEnd = seqAdd(seg.seq, seg.payloadLength + (fin ? 1 : 0)); A.lastSec = t; A.lastHasAck = ack; A.lastFin = fin; }
    // invalid-rst: a RST its receiver must ignore, seen while the receiver is in a synchronized state or SYN_SENT
    if (rst && st.conn !== null) {
      const recv = st.conn.ep[r].state;
      const shown = this.states(st)[r] & 15;
      if (shown !== CLOSED && shown !== LISTEN && recv !== CLOSED && recv !== LISTEN) {
        // the sequence number the receiver expects: the highest it acknowledged, else the highest the sender sent
        const rcv = st.conn.ep[r], snd = st.conn.ep[d];
        const expected = rcv.ackKnown ? rcv.highAck : snd.sndNxtKnown ? snd.sndNxt : -1;
        const relSeq = (seg.seq - st.baseOf(d)) >>> 0;
        const numbers = `its sequence number (relative ${relSeq}) is not the one ${R} expects next` +
          (expected >= 0 ? ` (${(expected - st.baseOf(d)) >>> 0})` : '');
        if (A.finCount > 0 && seg.seq === A.finSeq && expected === seqAdd(A.finSeq, 1)) {
          // the RST carries the sequence number of its sender's FIN, which the receiver has taken: it answers a segment the
          // receiver sent before that FIN arrived (a close crossing new data, as when an idle keep-alive connection is closed)
          this.add(st, 'invalid-rst', 'crossed-fin', 'info', seg.frame, d, this.states(st),
            `${R} ignores ${S}'s RST: its sequence number (relative ${relSeq}) is that of ${S}'s FIN, which ${R} had already taken, ` +
            `so it answers a segment ${R} sent before that FIN arrived (a close crossing new data, as when an idle keep-alive connection is closed).`);
        } else if (intoTimeWait) {
          // a closed host answering a late segment: nothing is wrong, and TIME_WAIT ends only for a RST at exactly RCV.NXT
          this.add(st, 'invalid-rst', 'time-wait', 'info', seg.frame, d, this.states(st),
            `${R} in TIME_WAIT ignores the RST with which ${S}, already closed, answered a late segment: ${numbers}, as Linux requires to end TIME_WAIT early.`);
        } else {
          this.add(st, 'invalid-rst', shown === SYN_SENT ? 'unacceptable-ack' : 'out-of-window', 'warn', seg.frame, d, this.states(st),
            shown === SYN_SENT ? `${R} in SYN_SENT must ignore ${S}'s RST: it does not acknowledge ${R}'s SYN.`
              : `${R} must ignore ${S}'s RST: ${numbers}, so ${R} stays in ${STATES[shown]}.`);
        }
      }
    }
  }

  /** The replay commits a state change. */
  onTransition(tag: object, i: 0 | 1, from: number, to: number, event: number, _frame: number, atFrame: number, atSec: number,
    _inferred: boolean, revert: boolean): void {
    const st = tag as Stream;
    const sides = this.current(st);
    const S = sides[i];
    const other = (1 - i) as 0 | 1;
    if (revert) {
      if (event === RCV_ACK_FIN && to === LAST_ACK) sides[other].finalAckLost = true;
      return;
    }
    if (to === CLOSE_WAIT && event === RCV_FIN) { S.cwAckSec = atSec; S.cwFinSec = sides[other].finSec; S.cwFinFrame = sides[other].finFrame; }
    if (to === TIME_WAIT && from !== TIME_WAIT) { S.twEnter = atSec; S.twArm = atSec; S.closedByFin = true; }
    if (from === LAST_ACK && to === CLOSED && event === RCV_ACK_FIN) S.closedByFin = true;
    if (from === TIME_WAIT && to !== TIME_WAIT) {
      S.twExit = event === TIMEOUT_TW ? S.twEnd(this.t.timeWaitLen) : atSec;
    }
    if (event !== RCV_RST_OK) return;
    sides[other].rstAcceptedFrame = atFrame;
    // (a RST that cuts TIME_WAIT short ends no connection: it had closed)
    if (from !== TIME_WAIT) this.markClasses(st.id, C_RESET);
    // an accepted RST: who reset, in which state (reference §7.2, §7.3, §7.6)
    const states = this.states(st);
    states[i] = to;
    const RCV = `{${i}}`, SND = `{${other}}`; // the RST's receiver and sender in message templates
    if (from === SYN_SENT && sides[other].synAckCount === 0) {
      this.add(st, 'connection-refused', null, 'warn', atFrame, other, states,
        `${SND} answered ${RCV}'s SYN with RST+ACK: nothing listens on ${SND} (connection refused).`);
    } else if (from === SYN_SENT || from === SYN_RCVD || sides[other].stateBeforeRst === SYN_RCVD) {
      // (reference §7.3: after the responder's SYN+ACK, while it was still SYN_RCVD, or while the initiator still waited for the SYN+ACK)
      this.add(st, 'handshake-aborted', i === st.client ? 'responder-rst' : 'initiator-rst', 'warn', atFrame, other, states,
        `${SND} reset the connection before the handshake completed (${RCV} was ${STATES[from]}).`);
    } else {
      // decided once the segment is replayed: a bare RST answering the peer is half-open, not a reset (reference §7.6 no-tcb)
      this.acceptedRst = { st, receiver: i, from, frame: atFrame, states };
    }
  }

  /** An accepted RST of an established connection, reported as `reset` when the replay of its segment ends (see replayed). */
  private acceptedRst: { st: Stream; receiver: 0 | 1; from: number; frame: number; states: [number, number] } | null = null;

  private reportReset(): void {
    const r = this.acceptedRst;
    if (r === null) return;
    this.acceptedRst = null;
    const st = r.st;
    if (this.resetReported(st)) return;
    this.markResetReported(st);
    const i = r.receiver, other = (1 - i) as 0 | 1;
    const RCV = `{${i}}`, SND = `{${other}}`, from = STATES[r.from];
    if (r.from === TIME_WAIT && this.current(st)[other].stateBeforeRst === CLOSED) {
      // both sides had closed: a late segment met a host without the connection, whose RST cut TIME_WAIT short (RFC 1337)
      this.add(st, 'reset', 'time-wait', 'info', r.frame, other, r.states,
        `${SND}, which had closed the connection, answered a late segment from ${RCV} with a RST, which ended ${RCV}'s TIME_WAIT early (Linux accepts such a RST; RFC 1337).`,
        { receiverStateBefore: from });
      return;
    }
    const senderFin = this.current(st)[other].finCount > 0;
    this.add(st, 'reset', senderFin ? 'after-fin' : 'abort', 'warn', r.frame, other, r.states,
      senderFin ? `${SND} reset the connection after sending its own FIN (data still arrived after it closed); ${RCV} was ${from}.`
        : `${SND} aborted the connection with a RST while ${RCV} was ${from} (an application abort, e.g. close with unread data or SO_LINGER 0).`,
      { receiverStateBefore: from });
  }

  // ------------------------------------------------------------------ end of capture

  /** Findings that need the whole capture, per stream. `endSec` is T_end; `serverOf` gives the server's index. */
  finish(streams: readonly Stream[], endSec: number, serverOf: (st: Stream) => 0 | 1): void {
    const t = this.t;
    for (const st of streams) {
      const sides = this.sides[st.id];
      if (sides === undefined || sides === null) continue; // settled when its connection was released
      const srv = serverOf(st), cli = (1 - srv) as 0 | 1;
      const C = sides[cli], S = sides[srv];
      const oneSided = st.pk0 === 0 || st.pk1 === 0;
      const fin = (): [number, number] => [st.finalOf(0), st.finalOf(1)];
      // syn-unanswered (§7.1)
      // (an ICMP error about the SYN is an answer too: it is flagged at once, and explained)
      const ic = this.synIcmp.get(st.id);
      const icmpFrame = ic !== undefined && ic[0] === cli ? ic[1] : 0, icmpTypeCode = ic !== undefined ? ic[2] : 0;
      let classes = 0;
      const unanswered = synUnanswered(st, sides, cli);
      if (unanswered && C.synCount === 1 && endSec - C.synSec < t.synTimeout && icmpFrame === 0 && st.packetsOf(cli) === 1) {
        // one SYN, too young to call unanswered (reference §7.1, §7.12)
        classes |= C_ATTEMPT_PENDING;
      }
      if (unanswered && (C.synCount > 1 || endSec - C.synSec >= t.synTimeout || icmpFrame > 0)) {
        const states: [number, number] = cli === 0 ? [SYN_SENT, LISTEN] : [LISTEN, SYN_SENT];
        const icmp = icmpFrame > 0 ? icmpName(st.ipVersion, icmpTypeCode >>> 8, icmpTypeCode & 255) : null;
        this.add(st, 'syn-unanswered', null, 'warn', C.synFrame, cli, states,
          `{${cli}} sent ${C.synCount} SYN(s) and {${srv}} answered neither with SYN+ACK nor with RST in the ${formatDuration(Math.max(0, endSec - C.synSec))} after the first` +
          (icmp !== null ? `; an ICMP error came back instead (frame ${icmpFrame}: ${icmp.name}): ${icmp.why}.` : '.'),
          icmp !== null ? { attempts: C.synCount, icmp: icmp.name, icmpType: icmpTypeCode >>> 8, icmpCode: icmpTypeCode & 255, icmpFrame }
            : { attempts: C.synCount });
      }
      // synack-unanswered (§7.4)
      if (S.synAckCount > 0 && !oneSided && st.packetsOf(cli) > 0 && C.rstCount === 0 && st.finalOf(srv) === SYN_RCVD &&
          (S.synAckCount > 1 || endSec - S.synAckSec >= t.synTimeout)) {
        this.add(st, 'synack-unanswered', null, 'warn', S.synAckFrame, srv, fin(),
          `{${srv}} sent its SYN+ACK ${S.synAckCount} time(s) and {${cli}} never acknowledged it: {${srv}} stays in SYN_RCVD.`);
      }
      for (const i of [0, 1] as const) {
        const P = sides[i];
        // missing-final-ack (§7.9): a FIN never acknowledged while its sender sits in LAST_ACK or CLOSING
        // (not in a one-sided capture whose silent side is the one that should acknowledge)
        const pFinal = st.finalOf(i);
        if (P.finCount > 0 && (pFinal === LAST_ACK || pFinal === CLOSING) && st.packetsOf(1 - i) > 0) {
          // anchored at the FIN's first copy if there is one (reference §7.9)
          const anchor = P.finRetxFrame > 0 ? P.finRetxFrame : P.finFrame;
          const figures = { finRetransmissions: P.finCount - 1, span: Math.round((P.finLastSec - P.finSec) * 1e6) / 1e6 };
          if (sides[1 - i].finalAckLost) {
            this.add(st, 'missing-final-ack', 'seen-but-lost', 'warn', anchor, i, fin(),
              `{${1 - i}} acknowledged {${i}}'s FIN (frame ${P.finFrame}), but {${i}} sent the FIN ${P.finCount - 1} more time(s) in ${formatDuration(P.finLastSec - P.finSec)}: ` +
              `the final ACK was lost after the capture point, and {${i}} stays in ${STATES[st.finalOf(i)]}.`,
              figures);
          } else if (!P.finAcked && (P.finCount > 1 || endSec - P.finSec >= t.finalAckGrace)) {
            this.add(st, 'missing-final-ack', 'not-seen', 'warn', anchor, i, fin(),
              `{${i}}'s FIN (frame ${P.finFrame}) was never acknowledged in the ${formatDuration(Math.max(0, endSec - P.finSec))} left in the capture` +
              `${P.finCount > 1 ? `, although it sent it ${P.finCount} times` : ''}: {${i}} stays in ${STATES[st.finalOf(i)]}.`,
              figures);
          }
        }
        // close-wait-stuck (§7.10): the peer's FIN acknowledged, no FIN of its own for too long
        // (not for a side the capture holds nothing of: its CLOSE_WAIT is only inferred, reference §9.14)
        if (st.finalOf(i) === CLOSE_WAIT && P.cwAckSec >= 0 && P.finCount === 0 && P.rstCount === 0 && st.packetsOf(i) > 0) {
          const idleFrom = Math.max(P.cwAckSec, P.lastDataSec);
          if (endSec - idleFrom >= t.closeWaitThreshold) {
            // a FIN the capture missed (inferred from the acknowledgment, §6.3 rule 8c) dates from that acknowledgment
            const finSeen = P.cwFinFrame > 0 && P.cwFinSec >= 0;
            const age = endSec - (finSeen ? P.cwFinSec : P.cwAckSec);
            // the peer sits in FIN_WAIT_2, unless it closed its socket and its orphan timer has run out since our ACK (§7.10)
            const peerMayHaveExpired = endSec - P.cwAckSec > t.finWait2Timeout;
            this.add(st, 'close-wait-stuck', null, 'warn', P.cwFinFrame || null, (1 - i) as 0 | 1, fin(),
              (finSeen ? `{${i}} received {${1 - i}}'s FIN in frame ${P.cwFinFrame} and acknowledged it` : `{${i}} acknowledged a FIN of {${1 - i}}'s that the capture does not hold`) +
              `, but never sent its own FIN in the ${formatDuration(endSec - idleFrom)} left in the capture` +
              (peerMayHaveExpired ? `; {${1 - i}} may have left FIN_WAIT_2 meanwhile, if its application closed the socket (orphan timeout ${t.finWait2Timeout} s).` : '.'),
              { age: Math.round(age * 1e3) / 1e3, idle: Math.round((endSec - idleFrom) * 1e3) / 1e3, holder: i === srv ? 'server' : 'client',
                peerState: peerMayHaveExpired ? 'FIN_WAIT_2 or expired' : 'FIN_WAIT_2' });
          }
        }
        // closing-in-progress: a FIN sent once, not yet acknowledged, younger than the grace for its ACK (§7.9 does not flag it)
        if (P.finCount === 1 && !P.finAcked && endSec - P.finSec < t.finalAckGrace && P.rstCount === 0 && sides[1 - i].rstCount === 0 &&
            LIVE_STATES.has(st.finalOf(i))) classes |= C_CLOSING;
      }
      // a connection not over at the end, and no finding nor class above says why
      if ((LIVE_STATES.has(st.finalOf(0)) || LIVE_STATES.has(st.finalOf(1))) && (this.classBits(st.id) & C_EXPLAINED) === 0 &&
          (classes & (C_ATTEMPT_PENDING | C_CLOSING)) === 0) classes |= C_IN_PROGRESS;
      this.markClasses(st.id, classes);
      this.settle(st, sides);
    }
    this.filteredFlows(streams);
  }

  /**
   * Flows the capture seems to have filtered, or lost much of (reference §9.23): more than
   * FILTERED_SHARE of their frames follow or acknowledge data the capture never showed, and no
   * retransmission filled any of the gaps. Each gets one `capture-loss` finding of variant
   * `filtered`, which stands for its per-gap ones (dropped) and lets the text report summarize its
   * previous-segment-lost and acked-unseen flags instead of listing them (they stay in JSON and CSV).
   */
  private filteredFlows(streams: readonly Stream[]): void {
    const filtered = new Map<number, number[]>();
    for (const [id, u] of this.unseen) {
      const st = streams[id];
      const packets = st.pk0 + st.pk1;
      if (u[U_FRAMES] >= FILTERED_MIN_FRAMES && u[U_FRAMES] > FILTERED_SHARE * packets && u[U_FILLED] === 0) filtered.set(id, u);
    }
    if (filtered.size === 0) return;
    // both endpoints' states after each flow's first such frame, from its flag record
    const states = new Map<number, [number, number]>();
    const R = this.records;
    for (let n = 0; n < R.length && states.size < filtered.size; n++) {
      const id = R.stream(n);
      const u = filtered.get(id);
      if (u !== undefined && !states.has(id) && R.frame(n) === u[U_FIRST]) { const r = R.get(n); states.set(id, [r.s0, r.s1]); }
    }
    for (const [id, u] of filtered) {
      const st = streams[id];
      const packets = st.pk0 + st.pk1;
      const share = u[U_FRAMES] / packets;
      this.add(st, 'capture-loss', 'filtered', 'info', u[U_FIRST], -1, states.get(id) ?? null,
        `the capture appears filtered or lossy on this connection: ${u[U_FRAMES]} of its ${packets} frames (${Math.round(share * 100)}%), the first in frame ${u[U_FIRST]}, ` +
        `follow or acknowledge data the capture never showed (previous-segment-lost ${u[U_LOST]}, acked-unseen ${u[U_UNSEEN]}), and no retransmission filled any gap: ` +
        'those flags describe the capture, not the network.',
        { frames: packets, flagged: u[U_FRAMES], share: Math.round(share * 1000) / 1000, previousSegmentLost: u[U_LOST], ackedUnseen: u[U_UNSEEN] });
    }
    // the summary stands for the flow's per-gap findings
    const life = this.life;
    let k = 0;
    for (let j = 0; j < life.length; j++) {
      const r = life[j];
      if (r.kind === 'capture-loss' && r.variant === null && filtered.has(r.stream)) continue;
      life[k++] = r;
    }
    life.length = k;
  }
}
