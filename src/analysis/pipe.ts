/**
 * The segment pipe: reading and decoding on one thread, connection tracking on another.
 *
 * Reading, walking the records and decoding the headers cost about as much as tracking and
 * replaying the connections, and the two only meet at the Segment. So a large capture is read
 * and decoded by a worker thread, which writes each frame's clock and each decoded Segment into
 * slots of shared memory; the main thread reads them back into one reused Segment and hands it
 * to the tracker, in file order, exactly as the in-thread reader would. The worker also numbers
 * each segment's 4-tuple (Segment.tuple, see TupleIndex), which saves the tracker a hash lookup,
 * and checks its VLAN and link-layer source (see LinkCheck), which the records do not carry.
 *
 * A slot is an Int32Array of SLOT_WORDS words holding whole records. The worker fills a slot,
 * marks it full in the control array and posts its number and length; the main thread replays
 * the slot and marks it free again. The worker waits (Atomics.wait) only when every slot is
 * full, so memory stays at SLOTS × SLOT_WORDS × 4 bytes whatever the capture's size.
 */
import { WS_DELTA, type Segment } from '../decode/segment.js';
import { StreamAssignment } from '../tcp/stream-assigner.js';

export const SLOTS = 4;
export const SLOT_WORDS = 1 << 18;
/** The longest record: a segment header, two IPv6 addresses, four SACK blocks, the stream assignment, an ICMP type and code, and the Wireshark flags with their figures. */
export const MAX_RECORD_WORDS = 64;

/** The SLOTS slots of a shared buffer of SLOTS × SLOT_WORDS words, as the worker and the main thread both see them. */
export function slotViews(buf: SharedArrayBuffer): Int32Array[] {
  const slots: Int32Array[] = [];
  for (let i = 0; i < SLOTS; i++) slots.push(new Int32Array(buf, i * SLOT_WORDS * 4, SLOT_WORDS));
  return slots;
}

/** Record types (low 4 bits of a record's first word). */
export const REC_CLOCK = 1;
export const REC_SEGMENT = 2;

// booleans and small fields packed into a segment record's first word
const B_IPV6 = 1 << 4;
const B_REASSEMBLED = 1 << 5;
const B_QUOTED = 1 << 6;
const B_HEADER_VALID = 1 << 7;
const B_SACK_PERMITTED = 1 << 8;
const B_TIMESTAMPS = 1 << 9;
const B_MPTCP = 1 << 10;
const B_OPTIONS_MALFORMED = 1 << 11;
const B_OPTIONS_CUT = 1 << 12;
const CHECKSUM_SHIFT = 13; // 2 bits
const SACK_COUNT_SHIFT = 15; // 3 bits
const IP_DEPTH_SHIFT = 18; // 8 bits
/** The segment's frame time goes to the consumer's clock first (every frame's does; a frame's segment carries it). */
const B_CLOCK = 1 << 26;
/** Wireshark flags computed by the reading thread follow the SACK blocks: a word, and when non-zero the figures behind them. */
const B_WS = 1 << 27;
/** The stream the reading thread assigned (StreamAssignment) follows the SACK blocks, before the flags. */
const B_ASSIGNED = 1 << 28;
/**
 * A slim record: only the fields connection tracking reads (see SlotWriter.slim), 15 words before the
 * addresses where a full record has 24 (the nine others follow the common ones); the Segment's other
 * fields keep whatever they held.
 */
const B_SLIM = 1 << 29;
// the assignment's first word: direction, reuse, same-ISN SYN, bases changed, and the base bits
const A_REUSE_SHIFT = 1, A_SAME_ISN = 8, A_BASES = 16, A_BASE_BITS_SHIFT = 5;

const TWO_32 = 4294967296;
/** A float's two words (the figures' delta). */
const F64 = new Float64Array(1);
const F64_WORDS = new Int32Array(F64.buffer);

/** Writes records into the current slot (worker side). */
export class SlotWriter {
  w: Int32Array;
  pos = 0;
  /**
   * Write slim records: for a consumer that only tracks connections (no analysis hook, watched flow,
   * frame index or transition listener), which reads none of the file offset, IP ID, urgent pointer, header length, checksum,
   * Fast Open, MPTCP and TCP timestamp fields. Restoring fewer fields costs the tracking thread less.
   */
  slim = false;
  /** A frame's clock not yet written: it travels in the frame's segment record, if the frame has one. */
  private clockPending = false;
  private clockSec = 0;
  private clockNsec = 0;

  constructor(slot: Int32Array) {
    this.w = slot;
  }

  /** Room for one more record of any kind. */
  get full(): boolean {
    return this.pos > SLOT_WORDS - MAX_RECORD_WORDS;
  }

  clock(sec: number, nsec: number): void {
    if (this.clockPending) this.writeClock();
    this.clockPending = true;
    this.clockSec = sec;
    this.clockNsec = nsec;
  }

  /** Write a pending clock on its own (its frame had no segment, or the slot is handed over). */
  writeClock(): void {
    if (!this.clockPending) return;
    this.clockPending = false;
    const sec = this.clockSec, nsec = this.clockNsec;
    const w = this.w;
    let p = this.pos;
    const hi = Math.floor(sec / TWO_32);
    w[p++] = REC_CLOCK;
    w[p++] = sec - hi * TWO_32;
    w[p++] = hi;
    w[p++] = nsec;
    this.pos = p;
  }

  segment(s: Segment): void {
    const w = this.w;
    let p = this.pos;
    const v6 = s.ipVersion === 6;
    const n = s.sackCount;
    let clocked = 0;
    if (this.clockPending) {
      if (this.clockSec === s.tsSec && this.clockNsec === s.tsNsec) { clocked = B_CLOCK; this.clockPending = false; }
      else { this.writeClock(); p = this.pos; }
    }
    w[p++] = REC_SEGMENT | clocked | (v6 ? B_IPV6 : 0) | (s.reassembled ? B_REASSEMBLED : 0) | (s.quoted ? B_QUOTED : 0) |
      (s.headerValid ? B_HEADER_VALID : 0) | (s.sackPermitted ? B_SACK_PERMITTED : 0) |
      (s.hasTimestamps ? B_TIMESTAMPS : 0) | (s.mptcp ? B_MPTCP : 0) |
      (s.optionsMalformed ? B_OPTIONS_MALFORMED : 0) | (s.optionsCut ? B_OPTIONS_CUT : 0) |
      (s.checksum << CHECKSUM_SHIFT) | (n << SACK_COUNT_SHIFT) | (s.ipDepth << IP_DEPTH_SHIFT) | (s.wsFlags >= 0 ? B_WS : 0) | (s.assignment !== null ? B_ASSIGNED : 0) |
      (this.slim ? B_SLIM : 0);
    w[p++] = s.frame;
    const secHi = Math.floor(s.tsSec / TWO_32);
    w[p++] = s.tsSec - secHi * TWO_32;
    w[p++] = secHi;
    w[p++] = s.tsNsec;
    w[p++] = s.frameLen;
    w[p++] = (s.srcPort << 16) | s.dstPort;
    w[p++] = s.seq;
    w[p++] = s.ack;
    w[p++] = s.flags | (s.window << 16);
    w[p++] = s.payloadLength;
    w[p++] = s.captured;
    w[p++] = s.mss;
    w[p++] = s.wscale;
    w[p++] = s.tuple;
    if (!this.slim) {
      // the fields connection tracking never reads
      const offHi = Math.floor(s.fileOffset / TWO_32);
      w[p++] = s.fileOffset - offHi * TWO_32;
      w[p++] = offHi;
      w[p++] = s.ipId;
      w[p++] = s.urgent | (s.headerLength << 16);
      w[p++] = s.checksumField;
      w[p++] = s.tfo;
      w[p++] = s.mptcpSubtypes;
      w[p++] = s.tsVal;
      w[p++] = s.tsEcr;
    }
    // every record ends with the addresses, the SACK blocks, the stream assignment, the ICMP error and the flags
    const src = s.src, dst = s.dst;
    if (v6) {
      w[p++] = src[0]; w[p++] = src[1]; w[p++] = src[2]; w[p++] = src[3];
      w[p++] = dst[0]; w[p++] = dst[1]; w[p++] = dst[2]; w[p++] = dst[3];
    } else {
      w[p++] = src[0];
      w[p++] = dst[0];
    }
    const sack = s.sack;
    for (let i = 0; i < 2 * n; i++) w[p++] = sack[i];
    const a = s.assignment;
    if (a !== null) {
      w[p++] = a.d | (a.reuse << A_REUSE_SHIFT) | (a.sameIsnSyn ? A_SAME_ISN : 0) | (a.basesChanged ? A_BASES : 0) | (a.baseBits << A_BASE_BITS_SHIFT);
      w[p++] = a.stream;
      w[p++] = a.previous;
      if (a.basesChanged) { w[p++] = a.base0; w[p++] = a.base1; }
    }
    if (s.quoted) w[p++] = ((s.icmpType + 1) << 9) | (s.icmpCode + 1); // (+1: −1 is "none")
    if (s.wsFlags >= 0) {
      w[p++] = s.wsFlags;
      if (s.wsFlags !== 0) {
        const fig = s.wsFigures;
        for (let i = 0; i < WS_DELTA; i++) w[p++] = fig[i];
        F64[0] = fig[WS_DELTA];
        w[p++] = F64_WORDS[0]; w[p++] = F64_WORDS[1];
      }
    }
    this.pos = p;
  }
}

/** The stream assignment a record carries, restored into this one object (the main thread replays one slot at a time). */
const RESTORED = new StreamAssignment();

/** What the main thread hands the records to (the tracker, through the stats consumer's interface). */
export interface PipeConsumer {
  clock(sec: number, nsec: number): void;
  onSegment(seg: Segment): void;
}

/**
 * Replay one slot's records into `seg` and `consumer`, in order (main side). Every field the
 * decoder sets is restored but the link-layer ones the worker checked, so the consumer cannot tell
 * the pipe from the in-thread reader; a slim record (see SlotWriter.slim) restores only what
 * connection tracking reads.
 */
export function readSlot(w: Int32Array, words: number, seg: Segment, consumer: PipeConsumer): void {
  let p = 0;
  const src = seg.src, dst = seg.dst, sack = seg.sack;
  while (p < words) {
    const h = w[p];
    if ((h & 15) === REC_CLOCK) {
      consumer.clock(w[p + 2] * TWO_32 + (w[p + 1] >>> 0), w[p + 3]);
      p += 4;
      continue;
    }
    const v6 = (h & B_IPV6) !== 0;
    seg.ipVersion = v6 ? 6 : 4;
    seg.reassembled = (h & B_REASSEMBLED) !== 0;
    seg.quoted = (h & B_QUOTED) !== 0;
    seg.headerValid = (h & B_HEADER_VALID) !== 0;
    seg.sackPermitted = (h & B_SACK_PERMITTED) !== 0;
    seg.hasTimestamps = (h & B_TIMESTAMPS) !== 0;
    seg.mptcp = (h & B_MPTCP) !== 0;
    seg.optionsMalformed = (h & B_OPTIONS_MALFORMED) !== 0;
    seg.optionsCut = (h & B_OPTIONS_CUT) !== 0;
    seg.checksum = (h >>> CHECKSUM_SHIFT) & 3;
    const n = (h >>> SACK_COUNT_SHIFT) & 7;
    seg.ipDepth = (h >>> IP_DEPTH_SHIFT) & 255;
    seg.frame = w[p + 1];
    seg.tsSec = w[p + 3] * TWO_32 + (w[p + 2] >>> 0);
    seg.tsNsec = w[p + 4];
    if ((h & B_CLOCK) !== 0) consumer.clock(seg.tsSec, seg.tsNsec);
    seg.frameLen = w[p + 5];
    const ports = w[p + 6];
    seg.srcPort = ports >>> 16;
    seg.dstPort = ports & 0xffff;
    seg.seq = w[p + 7] >>> 0;
    seg.ack = w[p + 8] >>> 0;
    const fw = w[p + 9];
    seg.flags = fw & 0xffff;
    seg.window = fw >>> 16;
    seg.payloadLength = w[p + 10];
    seg.captured = w[p + 11];
    seg.mss = w[p + 12];
    seg.wscale = w[p + 13];
    seg.tuple = w[p + 14];
    p += 15;
    if ((h & B_SLIM) === 0) {
      seg.fileOffset = w[p + 1] * TWO_32 + (w[p] >>> 0);
      seg.ipId = w[p + 2];
      const uh = w[p + 3];
      seg.urgent = uh & 0xffff;
      seg.headerLength = uh >>> 16;
      seg.checksumField = w[p + 4];
      seg.tfo = w[p + 5];
      seg.mptcpSubtypes = w[p + 6];
      seg.tsVal = w[p + 7] >>> 0;
      seg.tsEcr = w[p + 8] >>> 0;
      p += 9;
    }
    if (v6) {
      src[0] = w[p]; src[1] = w[p + 1]; src[2] = w[p + 2]; src[3] = w[p + 3];
      dst[0] = w[p + 4]; dst[1] = w[p + 5]; dst[2] = w[p + 6]; dst[3] = w[p + 7];
      p += 8;
    } else {
      src[0] = w[p]; src[1] = 0; src[2] = 0; src[3] = 0;
      dst[0] = w[p + 1]; dst[1] = 0; dst[2] = 0; dst[3] = 0;
      p += 2;
    }
    for (let i = 2 * seg.sackCount - 1; i >= 2 * n; i--) sack[i] = 0;
    seg.sackCount = n;
    for (let i = 0; i < 2 * n; i++) sack[i] = w[p++];
    if ((h & B_ASSIGNED) === 0) {
      seg.assignment = null;
    } else {
      const a = RESTORED, x = w[p++];
      a.d = (x & 1) as 0 | 1;
      a.reuse = (x >>> A_REUSE_SHIFT) & 3;
      a.sameIsnSyn = (x & A_SAME_ISN) !== 0;
      a.basesChanged = (x & A_BASES) !== 0;
      a.baseBits = (x >>> A_BASE_BITS_SHIFT) & 3;
      a.stream = w[p++];
      a.previous = w[p++];
      if (a.basesChanged) { a.base0 = w[p++] >>> 0; a.base1 = w[p++] >>> 0; }
      seg.assignment = a;
    }
    if (seg.quoted) { const x = w[p++]; seg.icmpType = (x >>> 9) - 1; seg.icmpCode = (x & 511) - 1; }
    else { seg.icmpType = -1; seg.icmpCode = -1; }
    if ((h & B_WS) === 0) {
      seg.wsFlags = -1;
    } else {
      const flags = w[p++];
      seg.wsFlags = flags;
      if (flags !== 0) {
        const fig = seg.wsFigures;
        // (32-bit figures, read unsigned: the flag records keep their bits)
        for (let i = 0; i < WS_DELTA; i++) fig[i] = w[p++] >>> 0;
        F64_WORDS[0] = w[p++]; F64_WORDS[1] = w[p++];
        fig[WS_DELTA] = F64[0];
      }
    }
    consumer.onSegment(seg);
  }
}
