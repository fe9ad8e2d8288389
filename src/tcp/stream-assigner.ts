/**
 * Wireshark's stream identity (reference §2.1–2.2): which `tcp.stream` each TCP header joins, and
 * each direction's relative-sequence base, which the rule for a reused 4-tuple compares. It needs
 * nothing but the headers in file order, so the tracker and the reading thread of the segment pipe
 * (which runs the Wireshark sequence analysis for `analyze`) both use it and number alike.
 *
 * One record per 4-tuple (by its TupleIndex number) describes the tuple's latest stream: its id,
 * the source port and address of its first header (endpoint 0), its bases and which are set.
 */
import { ACK, SYN, type Segment } from '../decode/segment.js';
import { seqAdd } from './seq.js';

/** How a header related to Wireshark's stream rules (§2.2). */
export const REUSE_NONE = 0;
/** A SYN with a new ISN started a new stream on a known 4-tuple. */
export const REUSE_NEW_STREAM = 1;
/** A SYN+ACK with a new ISN: same stream, new base. */
export const REUSE_SYNACK = 2;

const T_STREAM = 0, T_PORT0 = 1, T_A0 = 2, T_BASE0 = 6, T_BASE1 = 7, T_BITS = 8;
const T_SLOTS = 9;
const BASE_SET0 = 1;

/**
 * What the stream rules found for one header (StreamAssigner.assign, then noteBases); the segment
 * pipe carries it from the reading thread to the tracker.
 */
export class StreamAssignment {
  stream = -1;
  /** Sender's endpoint index in the stream (0 = the stream's first sender). */
  d: 0 | 1 = 0;
  reuse = REUSE_NONE;
  /** A SYN repeating its direction's known ISN. */
  sameIsnSyn = false;
  /** The tuple's stream before this header, −1 for a new 4-tuple. */
  previous = -1;
  /** The stream's relative-sequence bases as they stand after this header (bit i of baseBits: base i is set), and whether they changed with it. */
  basesChanged = false;
  base0 = 0;
  base1 = 0;
  baseBits = 0;

  /** The header starts a new stream: on a new 4-tuple, or superseding `previous` (reuse). */
  get fresh(): boolean { return this.stream !== this.previous; }
  baseOf(i: number): number { return i === 0 ? this.base0 : this.base1; }
  baseSet(i: number): boolean { return (this.baseBits & (BASE_SET0 << i)) !== 0; }
}

export class StreamAssigner {
  /** The tuple records, T_SLOTS slots each, in one array that doubles as it fills (tuple t's record at t · T_SLOTS). */
  private rec = new Int32Array(1024 * T_SLOTS);
  private tuples = 0;
  /** Streams so far (ids 0 … count − 1). */
  count = 0;
  /** What assign() and noteBases() found for the last header. */
  readonly result = new StreamAssignment();

  /** Where the last header's tuple record starts in `rec`. */
  private io = 0;

  /** The stream of a header with stream fields (§2.1) on 4-tuple number `tuple`, and its direction. */
  assign(seg: Segment, tuple: number): void {
    const R = this.result;
    R.reuse = REUSE_NONE;
    R.sameIsnSyn = false;
    R.basesChanged = false;
    const o = tuple * T_SLOTS;
    this.io = o;
    if (tuple === this.tuples) {
      this.tuples++;
      if (o + T_SLOTS > this.rec.length) {
        const more = new Int32Array(this.rec.length * 2);
        more.set(this.rec);
        this.rec = more;
      }
      R.previous = -1;
      this.start(seg);
      return;
    }
    const i = this.rec;
    R.previous = R.stream = i[o + T_STREAM];
    R.base0 = i[o + T_BASE0] >>> 0; R.base1 = i[o + T_BASE1] >>> 0; R.baseBits = i[o + T_BITS];
    const d = this.dirOf(seg);
    R.d = d;
    const flags = seg.flags;
    const set = (i[o + T_BITS] & (BASE_SET0 << d)) !== 0;
    if ((flags & (SYN | ACK)) === SYN && set) {
      // §2.2: a SYN with a new ISN on a known 4-tuple starts a new stream
      if (seg.seq !== (i[o + T_BASE0 + d] >>> 0)) {
        R.reuse = REUSE_NEW_STREAM;
        this.start(seg);
      } else {
        R.sameIsnSyn = true;
      }
    } else if ((flags & (SYN | ACK)) === (SYN | ACK) && set && seg.seq !== (i[o + T_BASE0 + d] >>> 0)) {
      this.setBase(d, seg.seq); // a SYN+ACK with a new ISN: same stream, new base (port-reuse)
      R.reuse = REUSE_SYNACK;
    }
  }

  /** An analysed header (not ICMP-quoted, plausible header length) sets the bases still unknown. */
  noteBases(seg: Segment): void {
    const d = this.result.d, r = 1 - d;
    const bits = this.rec[this.io + T_BITS];
    if ((bits & (BASE_SET0 << d)) === 0) this.setBase(d, (seg.flags & SYN) !== 0 ? seg.seq : seqAdd(seg.seq, -1));
    if ((seg.flags & ACK) !== 0 && (bits & (BASE_SET0 << r)) === 0) this.setBase(r, seqAdd(seg.ack, -1));
  }

  /** A new stream on the tuple, its endpoint 0 the header's sender. */
  private start(seg: Segment): void {
    const i = this.rec, o = this.io, R = this.result;
    R.stream = this.count++;
    R.d = 0;
    i[o + T_STREAM] = R.stream;
    i[o + T_PORT0] = seg.srcPort;
    const a = seg.src;
    i[o + T_A0] = a[0]; i[o + T_A0 + 1] = a[1]; i[o + T_A0 + 2] = a[2]; i[o + T_A0 + 3] = a[3];
    i[o + T_BASE0] = 0; i[o + T_BASE1] = 0; i[o + T_BITS] = 0;
    R.base0 = 0; R.base1 = 0; R.baseBits = 0;
  }

  private setBase(d: number, v: number): void {
    const i = this.rec, o = this.io, R = this.result;
    i[o + T_BASE0 + d] = v;
    i[o + T_BITS] |= BASE_SET0 << d;
    R.basesChanged = true;
    R.base0 = i[o + T_BASE0] >>> 0;
    R.base1 = i[o + T_BASE1] >>> 0;
    R.baseBits = i[o + T_BITS];
  }

  private dirOf(seg: Segment): 0 | 1 {
    const i = this.rec, o = this.io;
    if (seg.srcPort !== i[o + T_PORT0]) return 1;
    const a = seg.src;
    if (a[0] !== (i[o + T_A0] >>> 0)) return 1;
    if (seg.ipVersion === 6 && (a[1] !== (i[o + T_A0 + 1] >>> 0) || a[2] !== (i[o + T_A0 + 2] >>> 0) || a[3] !== (i[o + T_A0 + 3] >>> 0))) return 1;
    return 0;
  }
}
