/**
 * Connection tracking: assigns every TCP segment to a stream numbered exactly like
 * Wireshark's `tcp.stream` (reference §2.1–2.2) and replays each stream's connections
 * (reference §6) with the one state table. Memory grows with live connections: a
 * finished connection's working state is released, and its stream keeps only its summary.
 */
import { ACK, RST, SYN, type Segment } from '../decode/segment.js';
import { Connection, endpointStore, timeWaitEndedAt, timeWaitEndedBy, type ReplaySegment, type TransitionListener, type TransitionRecord } from './replay.js';
import { ABORT, EVENTS, STATES, TIMEOUT_TW, TIME_WAIT, nextState, type State } from './state-table.js';

const NS_PER_S = 1e9;
import { TupleIndex } from './tuple-table.js';
import { REUSE_NEW_STREAM, StreamAssigner, type StreamAssignment } from './stream-assigner.js';
import { LinkCheck } from './link-check.js';
import { RecordStore } from './record-store.js';
import { ZEEK_F64_SLOTS, ZEEK_I32_SLOTS, ZeekSummary } from './zeek.js';

export { REUSE_NEW_STREAM, REUSE_NONE, REUSE_SYNACK } from './stream-assigner.js';

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
  /**
   * Endpoint i of a parked connection (released while in TIME_WAIT) left TIME_WAIT at `atSec`:
   * superseded by a new connection on its 4-tuple, or (`timeout`) expired by the end of the capture.
   */
  parkedTimeWaitEnded?(st: Stream, i: 0 | 1, atSec: number, timeout: boolean): void;
  /**
   * The hook takes the Wireshark flags the reading thread of the segment pipe computes (Segment.wsFlags),
   * so a piped capture has them computed there.
   */
  readonly readerFlags?: boolean;
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
  /** Look for connections to release every this many packets (default 65,536, and at most one step per 64 packets). */
  sweepEveryPackets?: number;
  /** Told which stream every header was attributed to (ICMP-quoted ones included), to find a flow's records again. */
  frames?: FrameRecorder;
}

/** Records where each stream's frames are in the file (see src/analysis/frame-index.ts). */
export interface FrameRecorder {
  /** A TCP header given to stream `stream`, when the capture clock (Tracker.nowSec/nowNsec) reads `nowSec`, `nowNsec`. */
  note(stream: number, seg: Segment, nowSec: number, nowNsec: number): void;
}

/** Whether a stream's windows are scaled, see Stream.windowScaling. */
export type WindowScaling = 'negotiated' | 'not-negotiated' | 'unknown';

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

const SYN_SEEN0 = 4, SACK0 = 16, TS0 = 64, ASSUMED0 = 256, PARKED = 1024;
/** Endpoint i's SYN had its options cut by the snap length before any window-scale option (bits 28–29). */
const WS_CUT0 = 1 << 28;

const S_PK0 = ZEEK_I32_SLOTS + 0;
const S_PK1 = ZEEK_I32_SLOTS + 1;
const S_BY0 = ZEEK_F64_SLOTS + 0;
const S_BY1 = ZEEK_F64_SLOTS + 1;
const S_PL0 = ZEEK_F64_SLOTS + 2;
const S_PL1 = ZEEK_F64_SLOTS + 3;
const S_A0 = ZEEK_I32_SLOTS + 2;
const S_A1 = ZEEK_I32_SLOTS + 3;
const S_A2 = ZEEK_I32_SLOTS + 4;
const S_A3 = ZEEK_I32_SLOTS + 5;
const S_B0 = ZEEK_I32_SLOTS + 6;
const S_B1 = ZEEK_I32_SLOTS + 7;
const S_B2 = ZEEK_I32_SLOTS + 8;
const S_B3 = ZEEK_I32_SLOTS + 9;
/** port0 << 16 | port1 */
const S_PORTS = ZEEK_I32_SLOTS + 10;
const S_LAST_FRAME = ZEEK_I32_SLOTS + 11;
const S_LAST_SEC = ZEEK_F64_SLOTS + 4;
const S_LAST_NSEC = ZEEK_I32_SLOTS + 12;
const S_BASE0 = ZEEK_I32_SLOTS + 13;
const S_BASE1 = ZEEK_I32_SLOTS + 14;
/** The flag bits (SYN_SEEN0 … PARKED, bits 2–10), and the small fields below, packed (see B_*). */
const S_BITS = ZEEK_I32_SLOTS + 15;
const S_CONNECTIONS = ZEEK_I32_SLOTS + 16;
const S_INFERRED_SEGMENTS = ZEEK_I32_SLOTS + 17;
/** Per endpoint: MSS + 1 (bits 0–16) and window scale + 1 (bits 17–25); 0 = no option seen. */
const S_OPT0 = ZEEK_I32_SLOTS + 18;
const S_OPT1 = ZEEK_I32_SLOTS + 19;
const S_SYN_TS = ZEEK_F64_SLOTS + 5;
const S_SYN_ACK_TS = ZEEK_F64_SLOTS + 6;
const S_ACK_TS = ZEEK_F64_SLOTS + 7;
const S_TW_SEC0 = ZEEK_F64_SLOTS + 8;
const S_TW_NSEC0 = ZEEK_I32_SLOTS + 20;
const S_TW_SEC1 = ZEEK_F64_SLOTS + 9;
const S_TW_NSEC1 = ZEEK_I32_SLOTS + 21;
const S_FIRST_FRAME = ZEEK_I32_SLOTS + 22;
const S_FIRST_SEC = ZEEK_F64_SLOTS + 10;
const S_FIRST_NSEC = ZEEK_I32_SLOTS + 23;
const S_TUPLE = ZEEK_I32_SLOTS + 24;
/** Segments carrying more data than the MSS their receiver announced (reference §9.4–9.5). */
const S_OVERSIZED = ZEEK_I32_SLOTS + 25;
const STREAM_F64_SLOTS = ZEEK_F64_SLOTS + 11;
const STREAM_I32_SLOTS = ZEEK_I32_SLOTS + 26;

// small fields in S_BITS above the flags: shift of each, stored + 1 where they can be −1
const B_CLIENT = 12; // 2 bits: client + 1
const B_PARTIAL = 14; // 1 bit
const B_FINAL0 = 15; // 4 bits per endpoint: the final state
const B_FIN_ACK0 = 23; // 2 bits per endpoint: finAck + 1
const B_IPV6 = 27; // 1 bit

/** A RecordStore sized for Stream records. */
export function streamStore(): RecordStore {
  return new RecordStore(STREAM_F64_SLOTS, STREAM_I32_SLOTS);
}

/**
 * One `tcp.stream`: its identity, figures, and its live connection while there is one.
 * Endpoint 0 is the stream's first sender. The figures live in a RecordStore record (see
 * ZeekSummary), read through accessors; the object itself holds only references.
 */
export class Stream extends ZeekSummary {
  conn: Connection | null = null;
  transitions: TransitionRecord[] | null;

  constructor(
    store: RecordStore,
    readonly id: number,
    tuple: number,
    ipVersion: 4 | 6,
    src: Uint32Array, sport: number, dst: Uint32Array, dport: number,
    firstFrame: number,
    firstSec: number,
    firstNsec: number,
    record: boolean,
  ) {
    super(store);
    const i = this.i, o = this.io;
    i[o + S_A0] = src[0]; i[o + S_A1] = src[1]; i[o + S_A2] = src[2]; i[o + S_A3] = src[3];
    i[o + S_B0] = dst[0]; i[o + S_B1] = dst[1]; i[o + S_B2] = dst[2]; i[o + S_B3] = dst[3];
    i[o + S_PORTS] = (sport << 16) | dport;
    if (ipVersion === 6) i[o + S_BITS] = 1 << B_IPV6;
    i[o + S_FIRST_FRAME] = firstFrame;
    i[o + S_FIRST_NSEC] = firstNsec;
    i[o + S_TUPLE] = tuple;
    this.f[this.fo + S_FIRST_SEC] = firstSec;
    // client, finAck, mss and window scale start at −1: stored + 1, a zeroed record says so already
    this.partial = true;
    this.synTs = -1; this.synAckTs = -1; this.ackTs = -1;
    this.transitions = record ? [] : null;
  }

  get pk0(): number { return this.i[this.io + S_PK0]; }
  set pk0(v: number) { this.i[this.io + S_PK0] = v; }
  get pk1(): number { return this.i[this.io + S_PK1]; }
  set pk1(v: number) { this.i[this.io + S_PK1] = v; }
  /** Original frame lengths, link header included. */
  get by0(): number { return this.f[this.fo + S_BY0]; }
  set by0(v: number) { this.f[this.fo + S_BY0] = v; }
  get by1(): number { return this.f[this.fo + S_BY1]; }
  set by1(v: number) { this.f[this.fo + S_BY1] = v; }
  get pl0(): number { return this.f[this.fo + S_PL0]; }
  set pl0(v: number) { this.f[this.fo + S_PL0] = v; }
  get pl1(): number { return this.f[this.fo + S_PL1]; }
  set pl1(v: number) { this.f[this.fo + S_PL1] = v; }
  get a0(): number { return this.i[this.io + S_A0] >>> 0; }
  get a1(): number { return this.i[this.io + S_A1] >>> 0; }
  get a2(): number { return this.i[this.io + S_A2] >>> 0; }
  get a3(): number { return this.i[this.io + S_A3] >>> 0; }
  get b0(): number { return this.i[this.io + S_B0] >>> 0; }
  get b1(): number { return this.i[this.io + S_B1] >>> 0; }
  get b2(): number { return this.i[this.io + S_B2] >>> 0; }
  get b3(): number { return this.i[this.io + S_B3] >>> 0; }
  get port0(): number { return this.i[this.io + S_PORTS] >>> 16; }
  get port1(): number { return this.i[this.io + S_PORTS] & 0xffff; }
  get lastFrame(): number { return this.i[this.io + S_LAST_FRAME]; }
  set lastFrame(v: number) { this.i[this.io + S_LAST_FRAME] = v; }
  get lastSec(): number { return this.f[this.fo + S_LAST_SEC]; }
  set lastSec(v: number) { this.f[this.fo + S_LAST_SEC] = v; }
  get lastNsec(): number { return this.i[this.io + S_LAST_NSEC]; }
  set lastNsec(v: number) { this.i[this.io + S_LAST_NSEC] = v; }
  /** Wireshark's per-direction relative sequence base (§1.3), set by analysed segments only. */
  get base0(): number { return this.i[this.io + S_BASE0] >>> 0; }
  set base0(v: number) { this.i[this.io + S_BASE0] = v; }
  get base1(): number { return this.i[this.io + S_BASE1] >>> 0; }
  set base1(v: number) { this.i[this.io + S_BASE1] = v; }
  /** Bit flags: SYN_SEEN, SACK, TS, ASSUMED, PARKED, each shifted by the endpoint index. */
  private get bits(): number { return this.i[this.io + S_BITS]; }
  get connections(): number { return this.i[this.io + S_CONNECTIONS]; }
  set connections(v: number) { this.i[this.io + S_CONNECTIONS] = v; }
  /** Index of the client (first SYN sender), −1 while unknown. */
  get client(): -1 | 0 | 1 { return (this.small(B_CLIENT, 3) - 1) as -1 | 0 | 1; }
  set client(v: -1 | 0 | 1) { this.setSmall(B_CLIENT, 3, v + 1); }
  /** No connection of the stream began with a SYN or SYN+ACK. */
  get partial(): boolean { return this.small(B_PARTIAL, 1) !== 0; }
  set partial(v: boolean) { this.setSmall(B_PARTIAL, 1, v ? 1 : 0); }
  get final0(): number { return this.small(B_FINAL0, 15); }
  set final0(v: number) { this.setSmall(B_FINAL0, 15, v); }
  get final1(): number { return this.small(B_FINAL0 + 4, 15); }
  set final1(v: number) { this.setSmall(B_FINAL0 + 4, 15, v); }
  /** Whether each endpoint's first FIN acknowledged the peer's FIN: −1 no FIN, 0 no, 1 yes (§6.4). */
  private get finAck0(): number { return this.small(B_FIN_ACK0, 3) - 1; }
  private set finAck0(v: number) { this.setSmall(B_FIN_ACK0, 3, v + 1); }
  private get finAck1(): number { return this.small(B_FIN_ACK0 + 2, 3) - 1; }
  private set finAck1(v: number) { this.setSmall(B_FIN_ACK0 + 2, 3, v + 1); }
  get inferredSegments(): number { return this.i[this.io + S_INFERRED_SEGMENTS]; }
  set inferredSegments(v: number) { this.i[this.io + S_INFERRED_SEGMENTS] = v; }
  get mss0(): number { return (this.i[this.io + S_OPT0] & 0x1ffff) - 1; }
  get mss1(): number { return (this.i[this.io + S_OPT1] & 0x1ffff) - 1; }
  get ws0(): number { return ((this.i[this.io + S_OPT0] >>> 17) & 0x1ff) - 1; }
  get ws1(): number { return ((this.i[this.io + S_OPT1] >>> 17) & 0x1ff) - 1; }
  /** Endpoint i's MSS and window scale options (−1: absent). */
  private setOptions(i: number, mss: number, ws: number): void {
    this.i[this.io + S_OPT0 + i] = (mss + 1) | ((ws + 1) << 17);
  }
  get synTs(): number { return this.f[this.fo + S_SYN_TS]; }
  set synTs(v: number) { this.f[this.fo + S_SYN_TS] = v; }
  get synAckTs(): number { return this.f[this.fo + S_SYN_ACK_TS]; }
  set synAckTs(v: number) { this.f[this.fo + S_SYN_ACK_TS] = v; }
  get ackTs(): number { return this.f[this.fo + S_ACK_TS]; }
  set ackTs(v: number) { this.f[this.fo + S_ACK_TS] = v; }
  /** t_enter of TIME_WAIT of each endpoint, kept while the connection is parked. */
  get twSec0(): number { return this.f[this.fo + S_TW_SEC0]; }
  set twSec0(v: number) { this.f[this.fo + S_TW_SEC0] = v; }
  get twNsec0(): number { return this.i[this.io + S_TW_NSEC0]; }
  set twNsec0(v: number) { this.i[this.io + S_TW_NSEC0] = v; }
  get twSec1(): number { return this.f[this.fo + S_TW_SEC1]; }
  set twSec1(v: number) { this.f[this.fo + S_TW_SEC1] = v; }
  get twNsec1(): number { return this.i[this.io + S_TW_NSEC1]; }
  set twNsec1(v: number) { this.i[this.io + S_TW_NSEC1] = v; }
  get ipVersion(): 4 | 6 { return this.small(B_IPV6, 1) !== 0 ? 6 : 4; }
  get firstFrame(): number { return this.i[this.io + S_FIRST_FRAME]; }
  get firstSec(): number { return this.f[this.fo + S_FIRST_SEC]; }
  get firstNsec(): number { return this.i[this.io + S_FIRST_NSEC]; }
  /**
   * The tracker's number of the stream's 4-tuple (0, 1, 2, … in order of first appearance). Later
   * streams on the same 4-tuple supersede this one: from then on its segments go to them (§2.2).
   */
  get tuple(): number { return this.i[this.io + S_TUPLE]; }
  /**
   * Segments with more payload than the MSS their receiver announced: the capturing host hands its NIC
   * unsegmented data (TSO/GSO) or receives coalesced segments (GRO/LRO). These are not wire segments.
   */
  get oversized(): number { return this.i[this.io + S_OVERSIZED]; }

  /** A small field of S_BITS: `mask` (all ones) at bit `shift`. */
  private small(shift: number, mask: number): number { return (this.i[this.io + S_BITS] >>> shift) & mask; }
  private setSmall(shift: number, mask: number, v: number): void {
    const k = this.io + S_BITS;
    this.i[k] = (this.i[k] & ~(mask << shift)) | ((v & mask) << shift);
  }

  flag(bit: number, i: number): boolean { return (this.bits & (bit << i)) !== 0; }
  setFlag(bit: number, i: number, on = true): void { this.setBits(S_BITS, bit << i, on); }

  addrOf(i: number): number[] {
    const v = this.ipVersion === 4 ? 1 : 4;
    return (i === 0 ? [this.a0, this.a1, this.a2, this.a3] : [this.b0, this.b1, this.b2, this.b3]).slice(0, v);
  }
  portOf(i: number): number { return i === 0 ? this.port0 : this.port1; }
  packetsOf(i: number): number { return i === 0 ? this.pk0 : this.pk1; }
  bytesOf(i: number): number { return i === 0 ? this.by0 : this.by1; }
  payloadOf(i: number): number { return i === 0 ? this.pl0 : this.pl1; }
  baseOf(i: number): number { return i === 0 ? this.base0 : this.base1; }
  mssOf(i: number): number { return i === 0 ? this.mss0 : this.mss1; }
  wscaleOf(i: number): number { return i === 0 ? this.ws0 : this.ws1; }
  sackPermitted(i: number): boolean { return this.flag(SACK0, i); }
  timestamps(i: number): boolean { return this.flag(TS0, i); }
  assumed(i: number): boolean { return this.flag(ASSUMED0, i); }

  /**
   * Whether the windows are scaled (RFC 7323): `negotiated` when both SYNs carried the option;
   * `not-negotiated` when a SYN was captured whole without it; otherwise `unknown`, because a SYN
   * was not captured or lost its options to the snap length (reference §9.20: never guessed).
   */
  windowScaling(): WindowScaling {
    if (this.ws0 >= 0 && this.ws1 >= 0) return 'negotiated';
    for (let i = 0; i < 2; i++) {
      if (this.flag(SYN_SEEN0, i) && !this.flag(WS_CUT0, i) && this.wscaleOf(i) < 0) return 'not-negotiated';
    }
    return 'unknown';
  }
  finalOf(i: number): number { return i === 0 ? this.final0 : this.final1; }

  /** Endpoint i's state as shown now (state index, +16 while pending): the live connection's, else the final one. */
  shown(i: 0 | 1): number {
    return this.conn !== null ? this.conn.shown(i) : this.finalOf(i);
  }

  setBase(i: number, v: number): void {
    if (i === 0) this.base0 = v; else this.base1 = v;
  }

  /** Count one frame sent by endpoint i. */
  count(i: number, frameLen: number, payload: number): void {
    if (i === 0) { this.pk0++; this.by0 += frameLen; this.pl0 += payload; }
    else { this.pk1++; this.by1 += frameLen; this.pl1 += payload; }
    if (payload !== 0) {
      const m = this.i[this.io + S_OPT0 + 1 - i] & 0x1ffff; // the receiver's MSS + 1, 0 when unknown
      if (m !== 0 && payload >= m) this.i[this.io + S_OVERSIZED]++;
    }
  }

  /** The SYN or SYN+ACK options of endpoint i (its first one). */
  noteSyn(i: number, seg: Segment): boolean {
    if (this.flag(SYN_SEEN0, i)) return false;
    this.setFlag(SYN_SEEN0, i);
    this.setOptions(i, seg.mss, seg.wscale);
    this.setFlag(SACK0, i, seg.sackPermitted);
    this.setFlag(TS0, i, seg.hasTimestamps);
    if (seg.optionsCut && seg.wscale < 0) this.setFlag(WS_CUT0, i);
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

  /** Its last connection was released while an endpoint still held TIME_WAIT (see Tracker.park). */
  get parked(): boolean { return (this.bits & PARKED) !== 0; }

  /** Mark the stream parked (its connection is about to be released), keeping each endpoint's TIME_WAIT start. */
  park(c: Connection): void {
    this.twSec0 = c.ep[0].twSec; this.twNsec0 = c.ep[0].twNsec;
    this.twSec1 = c.ep[1].twSec; this.twNsec1 = c.ep[1].twNsec;
    this.setBits(S_BITS, PARKED, true);
  }

  unparked(): void { this.setBits(S_BITS, PARKED, false); }

  /** When endpoint i entered TIME_WAIT (kept while parked): whole seconds, and nanoseconds. */
  twSecOf(i: number): number { return i === 0 ? this.twSec0 : this.twSec1; }
  twNsecOf(i: number): number { return i === 0 ? this.twNsec0 : this.twNsec1; }

  setFinal(i: number, state: number): void { if (i === 0) this.final0 = state; else this.final1 = state; }

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

/**
 * Whether an ICMP (ipVersion 4) or ICMPv6 error about a SYN makes Linux give the connection attempt up
 * (tcp_v4_err, tcp_v6_err): destination unreachable, time exceeded or parameter problem, but not a
 * path-MTU message (fragmentation needed, packet too big), a source quench or a redirect.
 */
export function endsConnectionAttempt(ipVersion: number, type: number, code: number): boolean {
  if (ipVersion === 4) return (type === 3 && code !== 4) || type === 11 || type === 12;
  return type === 1 || type === 3 || type === 4;
}

const SWEEP_EVERY_PACKETS = 1 << 16;
/** A timestamp this far past the latest one is taken as bogus, not as the capture's end (§9.13)… */
const MAX_CLOCK_JUMP_SECONDS = 86_400;
/**
 * …unless this many frames in a row keep the new time: then the capture's clock did jump (a capture
 * that ran on days later, or a file merged from two), and the frames after it are the capture.
 */
const CLOCK_JUMP_CONFIRM = 3;
/** A connection whose endpoints are both CLOSED is released after this much capture time without segments. */
const RELEASE_IDLE_SECONDS = 5;

/** Assigns segments to streams and replays their connections. Feed it decoded segments in file order. */
export class Tracker {
  readonly streams: Stream[] = [];
  private readonly store = streamStore();
  /** The replay state of this tracker's connections' endpoints (connection objects are reused, and their records with them). */
  private readonly endpoints = endpointStore();
  private readonly tuples = new TupleIndex();
  /** VLAN and link-layer consistency per 4-tuple, when this tracker numbers the tuples (else the reading thread checks). */
  readonly links = new LinkCheck();
  /** Which stream each header joins (§2.1–2.2). */
  private readonly assigner = new StreamAssigner();
  /**
   * Streams with a live connection, in the order their connections began; a released one leaves a hole
   * (its connection's liveSlot says where) until the next sweep closes the holes. A Set did the same,
   * but its table, rebuilt as connections come and go, left a large garbage array every few thousand.
   */
  private readonly live: Array<Stream | null> = [];
  private liveCount = 0;
  /**
   * Released connection objects, reused for new connections (most are short-lived). Not capped: it never
   * holds more than were live at once, memory the capture already needed, and objects dropped from a
   * capped pool become old-generation garbage that raised the peak more than the pool did.
   */
  private readonly spare: Connection[] = [];
  private readonly rs: ReplaySegment = { from: 0, frame: 0, tsSec: 0, tsNsec: 0, flags: 0, seq: 0, ack: 0, len: 0, inferred: false };
  private sinceSweep = 0;
  /** Latest plausible capture time, for TIME_WAIT expiry while streaming and as T_end (§1.4, §6.6). */
  nowSec = -Infinity;
  nowNsec = 0;
  /** Frames whose timestamp jumped more than a day past the others (not trusted as the capture's end). */
  implausibleTimestamps = 0;
  /** Frames in a row past such a jump, and the latest time among them (see CLOCK_JUMP_CONFIRM). */
  private jumpRun = 0;
  private jumpSec = 0;
  private jumpNsec = 0;

  private readonly sweepEvery: number;
  private readonly sweepLiveFactor: number;

  constructor(readonly opts: TrackerOptions) {
    this.sweepEvery = opts.sweepEveryPackets ?? SWEEP_EVERY_PACKETS;
    this.sweepLiveFactor = opts.sweepEveryPackets === undefined ? 64 : 0;
  }

  /**
   * Set the capture clock to where a reading of the whole file had it: reading one flow's records
   * back, the frames before them (whose timestamps may run ahead) are not read again.
   */
  resumeClock(sec: number, nsec: number): void {
    this.nowSec = sec;
    this.nowNsec = nsec;
  }

  /**
   * Track the capture clock. A timestamp more than a day ahead of the others is not trusted, unless
   * the frames after it keep that time (CLOCK_JUMP_CONFIRM in a row): then the clock moves to it.
   */
  clock(sec: number, nsec: number): void {
    if (sec > this.nowSec || (sec === this.nowSec && nsec > this.nowNsec)) {
      if (this.nowSec !== -Infinity && sec - this.nowSec >= MAX_CLOCK_JUMP_SECONDS) {
        this.implausibleTimestamps++;
        if (this.jumpRun > 0 && Math.abs(sec - this.jumpSec) < MAX_CLOCK_JUMP_SECONDS) {
          this.jumpRun++;
          if (sec > this.jumpSec || (sec === this.jumpSec && nsec > this.jumpNsec)) { this.jumpSec = sec; this.jumpNsec = nsec; }
        } else {
          this.jumpRun = 1;
          this.jumpSec = sec;
          this.jumpNsec = nsec;
        }
        if (this.jumpRun >= CLOCK_JUMP_CONFIRM) {
          // the capture's own time: those frames were plausible after all
          this.implausibleTimestamps -= this.jumpRun;
          this.jumpRun = 0;
          this.nowSec = this.jumpSec;
          this.nowNsec = this.jumpNsec;
        }
        return;
      }
      this.nowSec = sec;
      this.nowNsec = nsec;
    }
    this.jumpRun = 0;
  }

  onSegment(seg: Segment): void {
    if (!seg.hasStreamFields) return; // fewer than 16 TCP bytes: no stream, as in Wireshark (§2.1)
    // the reading thread may have numbered the tuple already (see pipe.ts)
    let tuple = seg.tuple;
    if (tuple < 0) {
      tuple = this.tuples.of(seg);
      this.links.check(seg, tuple, this.tuples.srcIsFirst);
    }
    // the reading thread may have assigned the stream too, with the same StreamAssigner
    let A = seg.assignment;
    if (A === null) {
      this.assigner.assign(seg, tuple);
      A = this.assigner.result;
    }
    if (A.previous >= 0) {
      const old = this.streams[A.previous];
      const c0 = old.conn;
      if (c0 !== null && this.idleOver(old, c0)) this.retire(old, c0);
      if (A.reuse === REUSE_NEW_STREAM) {
        // a new stream supersedes the tuple's last one, ending its connection
        if (old.conn !== null) {
          old.conn.abort(seg.frame, seg.tsSec + seg.tsNsec / NS_PER_S);
          this.release(old, old.conn);
        } else if (old.parked) {
          this.unpark(old, seg.frame, seg.tsSec + seg.tsNsec / NS_PER_S);
        }
      }
    }
    const st = A.fresh ? this.newStream(seg, tuple) : this.streams[A.stream];
    const d = A.d;
    const reuse = A.reuse, sameIsnSyn = A.sameIsnSyn;
    if (A.basesChanged) this.copyBases(st, A);
    const frames = this.opts.frames;
    if (frames !== undefined) frames.note(st.id, seg, this.nowSec, this.nowNsec);
    const hook = this.opts.hook;
    if (seg.quoted) {
      // ICMP-quoted headers: stream side effects only (§2.1, §9.17), and an ICMP error ends a connection attempt
      if (hook !== undefined) hook.segment(st, d, seg, reuse, sameIsnSyn);
      if (st.conn !== null && (seg.flags & (SYN | ACK | RST)) === SYN && endsConnectionAttempt(seg.ipVersion, seg.icmpType, seg.icmpCode)) {
        st.conn.icmpError(d, seg.frame, seg.tsSec, seg.tsNsec);
      }
      return;
    }

    st.count(d, seg.frameLen, seg.payloadLength);
    st.lastFrame = seg.frame;
    st.lastSec = seg.tsSec;
    st.lastNsec = seg.tsNsec;

    // a header with an impossible data offset is counted but not analysed (§3 intro)
    if (!seg.headerValid) return;
    if (seg.assignment === null) {
      this.assigner.noteBases(seg);
      if (A.basesChanged) this.copyBases(st, A);
    }
    if (hook !== undefined) hook.segment(st, d, seg, reuse, sameIsnSyn);

    st.zeekSegment(d, seg);
    this.options(st, d, seg);
    this.replay(st, d, seg);
    if (hook !== undefined) hook.replayed(st, d, seg);
    // a sweep costs one pass over the live connections: at most one step per 64 packets
    if (++this.sinceSweep >= this.sweepEvery && this.sinceSweep >= this.sweepLiveFactor * this.liveCount) this.sweep();
  }

  private newStream(seg: Segment, tuple: number): Stream {
    const st = new Stream(this.store, this.streams.length, tuple, seg.ipVersion, seg.src, seg.srcPort, seg.dst, seg.dstPort,
      seg.frame, seg.tsSec, seg.tsNsec, this.opts.recordTransitions);
    this.streams.push(st);
    return st;
  }

  /** The stream keeps the relative-sequence bases its reports and analyses read. */
  private copyBases(st: Stream, A: StreamAssignment): void {
    for (let i = 0; i < 2; i++) if (A.baseSet(i)) st.setBase(i, A.baseOf(i));
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
      c.abort(seg.frame, seg.tsSec + seg.tsNsec / NS_PER_S);
      this.release(st, c);
      c = null;
    }
    if (c === null) {
      // a late segment on a released connection changes nothing, unless it opens a new one
      if (st.connections > 0 && (seg.flags & (SYN | RST)) !== SYN) {
        if (watched) this.emitWatched(st, d, seg, before, false);
        return;
      }
      if (st.parked) this.unpark(st, seg.frame, seg.tsSec + seg.tsNsec / NS_PER_S);
      const ro = { record: this.opts.recordTransitions || watched, store: this.endpoints };
      const old = this.spare.pop();
      c = old !== undefined ? old.restart(rs, ro) : new Connection(rs, ro);
      c.listener = this.opts.listener ?? null;
      c.tag = st;
      st.conn = c;
      st.connections++;
      fresh = true;
      c.liveSlot = this.live.length;
      this.live.push(st);
      this.liveCount++;
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
    const live = this.live;
    const n = live.length;
    for (let k = 0; k < n; k++) {
      const st = live[k];
      if (st === null) continue;
      const c = st.conn;
      if (c !== null && this.idleOver(st, c)) this.retire(st, c);
    }
    // close the holes, keeping the order
    let j = 0;
    for (let k = 0; k < n; k++) {
      const st = live[k];
      if (st === null) continue;
      const c = st.conn;
      if (c === null || c.liveSlot !== k) { this.liveCount--; continue; }
      c.liveSlot = j;
      live[j++] = st;
    }
    live.length = j;
  }

  /**
   * A connection both of whose endpoints are CLOSED or in TIME_WAIT, with nothing pending, after
   * RELEASE_IDLE_SECONDS without segments, is over for good. Checked by the sweep and again when a
   * segment arrives, so what is released never depends on when the sweep ran.
   */
  private idleOver(st: Stream, c: Connection): boolean {
    return this.nowSec - st.lastSec > RELEASE_IDLE_SECONDS && c.quiescent;
  }

  /** Release an idle, quiescent connection: closed (TIME_WAIT expired by the clock), or parked. */
  private retire(st: Stream, c: Connection): void {
    const tw = this.opts.timeWaitSeconds;
    if (c.over || c.expiredBy(this.nowSec, tw)) c.finish(Math.floor(this.nowSec), 0, tw);
    else st.park(c);
    this.release(st, c);
  }

  /** Fold a connection into its stream and keep the object for a later connection. */
  private release(st: Stream, c: Connection): void {
    st.settle(c);
    if (c.liveSlot >= 0 && this.live[c.liveSlot] === st) {
      this.live[c.liveSlot] = null;
      this.liveCount--;
    }
    c.liveSlot = -1;
    this.opts.hook?.released?.(st);
    this.spare.push(c);
  }

  /** End of capture: rule 5 and TIME_WAIT expiry for every live or parked connection (§6.3, §6.6). */
  finish(endSec: number, endNsec: number): void {
    for (const st of this.live) {
      const c = st?.conn ?? null;
      if (c === null || this.live[c.liveSlot] !== st) continue;
      c.finish(endSec, endNsec, this.opts.timeWaitSeconds);
      st!.settle(c);
      c.liveSlot = -1;
    }
    this.live.length = 0;
    this.liveCount = 0;
    const tw = this.opts.timeWaitSeconds;
    for (const st of this.streams) {
      if (!st.parked) continue;
      for (const i of [0, 1] as const) {
        if (st.finalOf(i) !== TIME_WAIT) continue;
        const sec = st.twSecOf(i), nsec = st.twNsecOf(i);
        if (timeWaitEndedAt(sec, nsec, tw, endSec, endNsec)) this.leaveParkedTimeWait(st, i, TIMEOUT_TW, -1, sec + nsec / NS_PER_S + tw, true);
      }
      st.unparked();
    }
  }

  /**
   * A connection is parked when both endpoints are CLOSED or in TIME_WAIT, nothing is pending and it
   * has been idle for RELEASE_IDLE_SECONDS: its working state is released (most connections of a busy
   * capture end in TIME_WAIT, which outlives a short capture), and the stream keeps each endpoint's
   * TIME_WAIT start. A new connection on the 4-tuple supersedes it (ABORT); the end of the capture
   * expires it (TIMEOUT_TW) — the same table rows a live connection would take.
   */
  private unpark(st: Stream, frame: number, atSec: number): void {
    const tw = this.opts.timeWaitSeconds;
    for (const i of [0, 1] as const) {
      if (st.finalOf(i) !== TIME_WAIT) continue;
      const sec = st.twSecOf(i), nsec = st.twNsecOf(i);
      // (Connection.expiredBy's test, so a parked endpoint expires exactly when a live one would)
      if (timeWaitEndedBy(sec, tw, this.nowSec)) this.leaveParkedTimeWait(st, i, TIMEOUT_TW, -1, sec + nsec / NS_PER_S + tw, true);
      else this.leaveParkedTimeWait(st, i, ABORT, frame, atSec, false);
    }
    st.unparked();
  }

  private leaveParkedTimeWait(st: Stream, i: 0 | 1, event: number, frame: number, atSec: number, timeout: boolean): void {
    const to = nextState(TIME_WAIT, event);
    st.setFinal(i, to);
    if (st.transitions !== null) {
      st.transitions.push({ frame, endpoint: i, from: STATES[TIME_WAIT], to: STATES[to], event: EVENTS[event], inferred: false });
    }
    this.opts.hook?.parkedTimeWaitEnded?.(st, i, atSec, timeout);
  }

}
