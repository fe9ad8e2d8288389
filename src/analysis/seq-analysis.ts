/**
 * Wireshark-compatible TCP sequence analysis (reference §3): the `tcp.analysis.*` flags,
 * computed exactly as Wireshark 4.0 does, in its order of evaluation. Each frame gets a
 * bit mask of flags; the list below is the precedence, and each test carries its definition.
 */
import { ACK, FIN, RST, SYN, type Segment } from '../decode/segment.js';
import { seqAdd, seqGt, seqLe, seqLt } from '../tcp/seq.js';
import type { Stream } from '../tcp/tracker.js';

// flag bits, one per synfin id
export const F_RETRANSMISSION = 1 << 0;
export const F_FAST_RETRANSMISSION = 1 << 1;
export const F_SPURIOUS_RETRANSMISSION = 1 << 2;
export const F_OUT_OF_ORDER = 1 << 3;
export const F_PREVIOUS_SEGMENT_LOST = 1 << 4;
export const F_ACKED_UNSEEN = 1 << 5;
export const F_DUPLICATE_ACK = 1 << 6;
export const F_ZERO_WINDOW = 1 << 7;
export const F_ZERO_WINDOW_PROBE = 1 << 8;
export const F_ZERO_WINDOW_PROBE_ACK = 1 << 9;
export const F_WINDOW_FULL = 1 << 10;
export const F_WINDOW_UPDATE = 1 << 11;
export const F_KEEP_ALIVE = 1 << 12;
export const F_KEEP_ALIVE_ACK = 1 << 13;
export const F_PORT_REUSE = 1 << 14;
export const F_TFO_SYN = 1 << 15;
export const F_TFO_ACK = 1 << 16;
export const F_TFO_IGNORED = 1 << 17;

/** The Wireshark-compatible ids, in bit order, with Wireshark's expert severity (Error/Warning/Note/Chat). */
export const WIRESHARK_KINDS: ReadonlyArray<{ id: string; bit: number; severity: 'warn' | 'note' | 'info'; field: string }> = [
  { id: 'retransmission', bit: F_RETRANSMISSION, severity: 'note', field: 'tcp.analysis.retransmission' },
  { id: 'fast-retransmission', bit: F_FAST_RETRANSMISSION, severity: 'note', field: 'tcp.analysis.fast_retransmission' },
  { id: 'spurious-retransmission', bit: F_SPURIOUS_RETRANSMISSION, severity: 'note', field: 'tcp.analysis.spurious_retransmission' },
  { id: 'out-of-order', bit: F_OUT_OF_ORDER, severity: 'warn', field: 'tcp.analysis.out_of_order' },
  { id: 'previous-segment-lost', bit: F_PREVIOUS_SEGMENT_LOST, severity: 'warn', field: 'tcp.analysis.lost_segment' },
  { id: 'acked-unseen', bit: F_ACKED_UNSEEN, severity: 'warn', field: 'tcp.analysis.ack_lost_segment' },
  { id: 'duplicate-ack', bit: F_DUPLICATE_ACK, severity: 'note', field: 'tcp.analysis.duplicate_ack' },
  { id: 'zero-window', bit: F_ZERO_WINDOW, severity: 'warn', field: 'tcp.analysis.zero_window' },
  { id: 'zero-window-probe', bit: F_ZERO_WINDOW_PROBE, severity: 'note', field: 'tcp.analysis.zero_window_probe' },
  { id: 'zero-window-probe-ack', bit: F_ZERO_WINDOW_PROBE_ACK, severity: 'note', field: 'tcp.analysis.zero_window_probe_ack' },
  { id: 'window-full', bit: F_WINDOW_FULL, severity: 'warn', field: 'tcp.analysis.window_full' },
  { id: 'window-update', bit: F_WINDOW_UPDATE, severity: 'info', field: 'tcp.analysis.window_update' },
  { id: 'keep-alive', bit: F_KEEP_ALIVE, severity: 'note', field: 'tcp.analysis.keep_alive' },
  { id: 'keep-alive-ack', bit: F_KEEP_ALIVE_ACK, severity: 'note', field: 'tcp.analysis.keep_alive_ack' },
  { id: 'port-reuse', bit: F_PORT_REUSE, severity: 'note', field: 'tcp.analysis.reused_ports' },
  { id: 'tfo-syn', bit: F_TFO_SYN, severity: 'note', field: 'tcp.analysis.tfo_syn' },
  { id: 'tfo-ack', bit: F_TFO_ACK, severity: 'note', field: 'tcp.analysis.tfo_ack' },
  { id: 'tfo-ignored', bit: F_TFO_IGNORED, severity: 'note', field: 'tcp.analysis.tfo_ignored' },
];

/** Fast retransmission: the re-send must come within this long of the receiver's last segment (§3.3 item 4). */
export const FAST_RETRANSMIT_WINDOW_NS = 20_000_000;
/** Out-of-order threshold when the initial RTT is unknown (§3.3 item 5). */
export const OUT_OF_ORDER_DEFAULT_NS = 3_000_000;

/** 2^shift for every window scale (a table: `2 ** s` with a variable s is a call into Math.pow, per segment). */
const POW2 = Float64Array.from({ length: 15 }, (_, i) => 2 ** i);

const SHIFT_UNKNOWN = -1;
const SHIFT_NONE = -2;
const NEVER = -Infinity;

/**
 * b − a in integer nanoseconds, exact (as Wireshark's nstime) while the seconds differ by less than
 * about 104 days; a float of absolute seconds would lose the microseconds these thresholds compare.
 */
const deltaNs = (aSec: number, aNsec: number, bSec: number, bNsec: number): number => (bSec - aSec) * 1e9 + (bNsec - aNsec);

/**
 * Per-stream state lives in typed-array records, not objects: a capture can hold hundreds of
 * thousands of streams. Wireshark keeps analysing a stream's late segments forever, so a record
 * lasts as long as its stream takes segments: until a newer stream on the same 4-tuple supersedes
 * it (§2.2), which then reuses the record. So there is one record per 4-tuple, not per stream. A
 * record is two directions of DIR_FIELDS numbers, then the stream's own fields.
 */
const DIR_FIELDS = 15;
const S_SYN_SEC = 2 * DIR_FIELDS, S_SYN_NSEC = S_SYN_SEC + 1, S_IRTT = S_SYN_SEC + 2, S_MP_OPS = S_SYN_SEC + 3,
  S_HAD_MPTCP = S_SYN_SEC + 4, S_TFO_SYN_DATA = S_SYN_SEC + 5, S_STREAM = S_SYN_SEC + 6;
const STRIDE = 2 * DIR_FIELDS + 7;
const CHUNK_BITS = 12;
const CHUNK_RECORDS = 1 << CHUNK_BITS;
const EMPTY = new Float64Array(0);

const D_NEXTSEQ = 0;
const D_NEXTSEQ_SEC = 1;
const D_NEXTSEQ_NSEC = 2;
const D_NEXTSEQ_FRAME = 3;
const D_CONTIG = 4;
const D_LASTACK = 5;
const D_LASTACK_SEC = 6;
const D_LASTACK_NSEC = 7;
const D_WIN = 8;
const D_SHIFT = 9;
const D_FIRST_ACK_PENDING = 10;
const D_DUPACKS = 11;
const D_LAST_NONDUP_FRAME = 12;
const D_LAST_FLAGS = 13;
const D_MP_OPS = 14;

/**
 * Per-direction state (§3.1), a view on one direction of a stream's record (moved by
 * StreamAnalysis.at). Sentinels are Wireshark's: 0 means "unknown" for nextseq, contig and lastack.
 */
class Dir {
  a: Float64Array = EMPTY;
  o = 0;

  get nextseq(): number { return this.a[this.o + D_NEXTSEQ]; }
  set nextseq(v: number) { this.a[this.o + D_NEXTSEQ] = v; }
  get nextseqSec(): number { return this.a[this.o + D_NEXTSEQ_SEC]; }
  set nextseqSec(v: number) { this.a[this.o + D_NEXTSEQ_SEC] = v; }
  get nextseqNsec(): number { return this.a[this.o + D_NEXTSEQ_NSEC]; }
  set nextseqNsec(v: number) { this.a[this.o + D_NEXTSEQ_NSEC] = v; }
  get nextseqFrame(): number { return this.a[this.o + D_NEXTSEQ_FRAME]; }
  set nextseqFrame(v: number) { this.a[this.o + D_NEXTSEQ_FRAME] = v; }
  /** Wireshark's maxseqtobeacked: end of the contiguous data seen. */
  get contig(): number { return this.a[this.o + D_CONTIG]; }
  set contig(v: number) { this.a[this.o + D_CONTIG] = v; }
  get lastack(): number { return this.a[this.o + D_LASTACK]; }
  set lastack(v: number) { this.a[this.o + D_LASTACK] = v; }
  /** Time of the direction's last segment; NEVER until it sends one. */
  get lastackSec(): number { return this.a[this.o + D_LASTACK_SEC]; }
  set lastackSec(v: number) { this.a[this.o + D_LASTACK_SEC] = v; }
  get lastackNsec(): number { return this.a[this.o + D_LASTACK_NSEC]; }
  set lastackNsec(v: number) { this.a[this.o + D_LASTACK_NSEC] = v; }
  /** Raw window of the last segment; 0xFFFFFFFF = none yet. */
  get win(): number { return this.a[this.o + D_WIN]; }
  set win(v: number) { this.a[this.o + D_WIN] = v; }
  get shift(): number { return this.a[this.o + D_SHIFT]; }
  set shift(v: number) { this.a[this.o + D_SHIFT] = v; }
  get firstAckPending(): boolean { return this.a[this.o + D_FIRST_ACK_PENDING] !== 0; }
  set firstAckPending(v: boolean) { this.a[this.o + D_FIRST_ACK_PENDING] = v ? 1 : 0; }
  get dupacks(): number { return this.a[this.o + D_DUPACKS]; }
  set dupacks(v: number) { this.a[this.o + D_DUPACKS] = v; }
  get lastNondupFrame(): number { return this.a[this.o + D_LAST_NONDUP_FRAME]; }
  set lastNondupFrame(v: number) { this.a[this.o + D_LAST_NONDUP_FRAME] = v; }
  get lastFlags(): number { return this.a[this.o + D_LAST_FLAGS]; }
  set lastFlags(v: number) { this.a[this.o + D_LAST_FLAGS] = v; }
  get mpOps(): number { return this.a[this.o + D_MP_OPS]; }
  set mpOps(v: number) { this.a[this.o + D_MP_OPS] = v; }
}

/** The sequence analysis of every stream: records by 4-tuple, and one view moved to the stream at hand. */
export class StreamAnalysis {
  readonly d: [Dir, Dir] = [new Dir(), new Dir()];
  private readonly chunks: Float64Array[] = [];
  private a: Float64Array = EMPTY;
  private o = 0;
  /** For a duplicate ACK: its running number and the frame whose ACK it repeats. */
  dupNum = 0;
  dupFrame = 0;

  /**
   * Point the analysis at stream `stream` of 4-tuple `tuple` (the tracker's numbers). The first
   * segment of a stream that supersedes another on its 4-tuple finds the record owned by the old
   * one, and starts it afresh.
   */
  at(tuple: number, stream: number): this {
    const c = tuple >>> CHUNK_BITS;
    const a = c < this.chunks.length ? this.chunks[c] : this.grow(c);
    const o = (tuple & (CHUNK_RECORDS - 1)) * STRIDE;
    if (a[o + S_STREAM] !== stream + 1) this.init(a, o, stream);
    this.a = a; this.o = o;
    const d0 = this.d[0], d1 = this.d[1];
    d0.a = a; d0.o = o;
    d1.a = a; d1.o = o + DIR_FIELDS;
    return this;
  }

  private grow(chunk: number): Float64Array {
    while (this.chunks.length <= chunk) this.chunks.push(new Float64Array(CHUNK_RECORDS * STRIDE));
    return this.chunks[chunk];
  }

  /** A fresh record for `stream` (the slot holds its id + 1: a new chunk's zeros own nothing). */
  private init(a: Float64Array, o: number, stream: number): void {
    a.fill(0, o, o + STRIDE);
    a[o + S_STREAM] = stream + 1;
    for (const d of [o, o + DIR_FIELDS]) {
      a[d + D_LASTACK_SEC] = NEVER;
      a[d + D_WIN] = 0xffffffff;
      a[d + D_SHIFT] = SHIFT_UNKNOWN;
    }
    a[o + S_SYN_SEC] = NEVER;
  }

  /** tcp.analysis.initial_rtt in nanoseconds; 0 = unknown (may be negative, §3.1). */
  get irtt(): number { return this.a[this.o + S_IRTT]; }
  set irtt(v: number) { this.a[this.o + S_IRTT] = v; }

  /** §2.2: a SYN repeating the direction's ISN restarts the direction's nextseq at its contiguous end. */
  sameIsnSyn(dir: 0 | 1): void {
    const a = this.a;
    const dO = this.o + dir * DIR_FIELDS;
    a[dO + D_NEXTSEQ] = a[dO + D_CONTIG];
  }

  /**
   * Steps 1–11 and U for one analysed segment sent in `dir` of stream `st`; returns its flags.
   * (Sequence numbers are read from the objects: passed alone, V8 would box them on every call.)
   * `a[dO + D_X]` is field X of the sending direction, `a[rO + D_X]` of the receiving one: direct
   * record reads, because accessors in a function this size exceed what the engine inlines.
   */
  analyze(seg: Segment, dir: 0 | 1, st: Stream): number {
    const a = this.a;
    const dO = this.o + dir * DIR_FIELDS, rO = this.o + (1 - dir) * DIR_FIELDS;
    const f = seg.flags;
    const seq = seg.seq, ack = seg.ack, len = seg.payloadLength, win = seg.window, frame = seg.frame;
    const sec = seg.tsSec, nsec = seg.tsNsec;
    const syn = (f & SYN) !== 0, fin = (f & FIN) !== 0, rst = (f & RST) !== 0, hasAck = (f & ACK) !== 0;
    const noSFR = (f & (SYN | FIN | RST)) === 0;
    let flags = 0;
    this.dupNum = 0;

    // 1. zero-window-probe: exactly one byte at nextseq while the peer's window is 0
    if (len === 1 && seq === a[dO + D_NEXTSEQ] && a[rO + D_WIN] === 0) {
      flags |= F_ZERO_WINDOW_PROBE;
    } else {
      // 2. zero-window: advertises a zero receive window
      if (win === 0 && noSFR) flags |= F_ZERO_WINDOW;
      // 3. previous-segment-lost: a gap before this segment
      if (a[dO + D_NEXTSEQ] !== 0 && seqGt(seq, a[dO + D_NEXTSEQ]) && !rst) flags |= F_PREVIOUS_SEGMENT_LOST;
      // 4. keep-alive: 0 or 1 byte one below nextseq
      if ((len === 0 || len === 1) && seq === seqAdd(a[dO + D_NEXTSEQ], -1) && noSFR) flags |= F_KEEP_ALIVE;
      const sameAckSeq = len === 0 && seq === a[dO + D_NEXTSEQ] && ack === a[dO + D_LASTACK] && noSFR;
      // 5. window-update: a pure ACK that only changes the (non-zero) window
      if (sameAckSeq && win !== 0 && win !== a[dO + D_WIN]) flags |= F_WINDOW_UPDATE;
      // 6. window-full: data reaching exactly the right edge of the peer's window
      if (len > 0 && a[rO + D_SHIFT] !== SHIFT_UNKNOWN && noSFR) {
        const s = (a[rO + D_FIRST_ACK_PENDING] !== 0) || a[rO + D_SHIFT] === SHIFT_NONE ? 0 : a[rO + D_SHIFT];
        if (seqAdd(seq, len) === seqAdd(a[rO + D_LASTACK], a[rO + D_WIN] * POW2[s])) flags |= F_WINDOW_FULL;
      }
      let skip = false;
      // 7. keep-alive-ack: answers a keep-alive with an unchanged non-zero window
      if (sameAckSeq && win !== 0 && win === a[dO + D_WIN] && (a[rO + D_LAST_FLAGS] & F_KEEP_ALIVE) !== 0) {
        flags |= F_KEEP_ALIVE_ACK;
        skip = true;
      }
      // 8. zero-window-probe-ack: a zero-window repeat answering a probe
      if (!skip && sameAckSeq && win === 0 && a[dO + D_WIN] === 0 && (a[rO + D_LAST_FLAGS] & F_ZERO_WINDOW_PROBE) !== 0) {
        flags |= F_ZERO_WINDOW_PROBE_ACK;
        skip = true;
      }
      // 9. duplicate-ack: a pure ACK repeating seq, ack and the same non-zero window
      if (!skip && sameAckSeq && win !== 0 && win === a[dO + D_WIN]) {
        const mptcpChange = (a[this.o + S_HAD_MPTCP] !== 0) && a[this.o + S_MP_OPS] !== a[dO + D_MP_OPS];
        if (!mptcpChange) {
          a[dO + D_DUPACKS] = a[dO + D_DUPACKS] === -1 ? 1 : a[dO + D_DUPACKS] + 1;
          this.dupNum = a[dO + D_DUPACKS];
          this.dupFrame = a[dO + D_LAST_NONDUP_FRAME];
          flags |= F_DUPLICATE_ACK;
        }
      }
    }
    // A. a new ACK value restarts the duplicate count
    if (ack !== a[dO + D_LASTACK]) {
      a[dO + D_LAST_NONDUP_FRAME] = frame;
      a[dO + D_DUPACKS] = 0;
    }
    // 10. acked-unseen: acknowledges data the capture never showed
    if (hasAck && a[rO + D_CONTIG] !== 0 && seqGt(ack, a[rO + D_CONTIG])) {
      if (seqLt(a[rO + D_CONTIG], a[rO + D_NEXTSEQ])) {
        a[rO + D_CONTIG] = a[rO + D_NEXTSEQ];
        flags |= F_ACKED_UNSEEN;
      } else {
        if (a[rO + D_DUPACKS] === 0) flags |= F_ACKED_UNSEEN;
        a[rO + D_DUPACKS] = -1;
      }
    }
    // 11. the retransmission family, most specific first (§3.3)
    if ((len > 0 || syn || fin) && (flags & F_KEEP_ALIVE) === 0) {
      let notAdv = a[dO + D_NEXTSEQ] !== 0 && seqLt(seq, a[dO + D_NEXTSEQ]);
      if (len > 1 && seq === seqAdd(a[dO + D_NEXTSEQ], -1)) notAdv = false; // data after an untaken 1-byte probe
      // time deltas are unsigned in Wireshark: a negative one is never below a threshold
      const sinceReceiver = a[rO + D_LASTACK_SEC] === NEVER ? -1 : deltaNs(a[rO + D_LASTACK_SEC], a[rO + D_LASTACK_NSEC], sec, nsec);
      const sinceNewest = deltaNs(a[dO + D_NEXTSEQ_SEC], a[dO + D_NEXTSEQ_NSEC], sec, nsec);
      const thr = a[this.o + S_IRTT] === 0 ? OUT_OF_ORDER_DEFAULT_NS : a[this.o + S_IRTT] < 0 ? Infinity : a[this.o + S_IRTT];
      if (len > 0 && a[rO + D_LASTACK] !== 0 && seqLe(seqAdd(seq, len), a[rO + D_LASTACK])) {
        flags |= F_SPURIOUS_RETRANSMISSION;
      } else if (notAdv && a[rO + D_DUPACKS] >= 2 && a[rO + D_LASTACK] === seq && sinceReceiver >= 0 && sinceReceiver < FAST_RETRANSMIT_WINDOW_NS) {
        flags |= F_FAST_RETRANSMISSION;
      } else if (notAdv && sinceNewest >= 0 && sinceNewest < thr && a[dO + D_NEXTSEQ] !== seqAdd(seq, len + (syn || fin ? 1 : 0))) {
        flags |= F_OUT_OF_ORDER;
      } else if (notAdv) {
        flags |= F_RETRANSMISSION;
      }
    }
    // U. bookkeeping
    const end = seqAdd(seq, len + (syn ? 1 : 0) + (fin ? 1 : 0));
    const probe = (flags & F_ZERO_WINDOW_PROBE) !== 0;
    if ((seqGt(end, a[dO + D_NEXTSEQ]) || a[dO + D_NEXTSEQ] === 0) && !probe) {
      a[dO + D_NEXTSEQ] = end;
      a[dO + D_NEXTSEQ_SEC] = sec;
      a[dO + D_NEXTSEQ_NSEC] = nsec;
      a[dO + D_NEXTSEQ_FRAME] = frame;
    }
    if ((seq === a[dO + D_CONTIG] || a[dO + D_CONTIG] === 0) && !probe) a[dO + D_CONTIG] = a[dO + D_NEXTSEQ];
    a[dO + D_WIN] = win;
    a[dO + D_LASTACK] = ack;
    a[dO + D_LASTACK_SEC] = sec;
    a[dO + D_LASTACK_NSEC] = nsec;
    a[dO + D_LAST_FLAGS] = flags;
    if ((a[this.o + S_HAD_MPTCP] !== 0)) a[dO + D_MP_OPS] = a[this.o + S_MP_OPS];
    return flags | this.after(seg, dir, st, true);
  }

  /**
   * V1–V4 (§3.4): updates that follow every header with a stream, analysed or not (ICMP-quoted
   * headers and cut headers too). Returns the TCP Fast Open flags of this segment.
   */
  after(seg: Segment, dir: 0 | 1, st: Stream, analysed: boolean): number {
    const a = this.a;
    const dO = this.o + dir * DIR_FIELDS, rO = this.o + (1 - dir) * DIR_FIELDS;
    const f = seg.flags;
    const syn = (f & SYN) !== 0, ack = (f & ACK) !== 0;
    const cut = !seg.quoted && !seg.headerComplete;
    let flags = 0;
    // V1
    if (syn) {
      if (!ack) { a[this.o + S_SYN_SEC] = seg.tsSec; a[this.o + S_SYN_NSEC] = seg.tsNsec; }
      a[dO + D_FIRST_ACK_PENDING] = 1;
    }
    // V2: the initial RTT, measured once at the first ACK after a SYN
    if (ack && !syn) {
      if (a[this.o + S_SYN_SEC] !== NEVER && a[this.o + S_IRTT] === 0) a[this.o + S_IRTT] = deltaNs(a[this.o + S_SYN_SEC], a[this.o + S_SYN_NSEC], seg.tsSec, seg.tsNsec);
      a[dO + D_FIRST_ACK_PENDING] = 0;
    }
    // V3: window scale, decided per side
    if (seg.wscale >= 0) a[dO + D_SHIFT] = Math.min(seg.wscale, 14);
    if (syn && !cut) {
      if (a[dO + D_SHIFT] === SHIFT_UNKNOWN) { a[dO + D_SHIFT] = SHIFT_NONE; a[rO + D_SHIFT] = SHIFT_NONE; }
      else if (ack && a[rO + D_SHIFT] === SHIFT_NONE) a[dO + D_SHIFT] = SHIFT_NONE;
    }
    // V4: TCP Fast Open (§3.8) and MPTCP option subtypes
    if (syn && !ack && seg.tfo > 0) {
      flags |= F_TFO_SYN;
      if (seg.payloadLength > 0) a[this.o + S_TFO_SYN_DATA] = 1;
    } else if (syn && ack) {
      // relative to the reverse direction's base as this segment's analysis set it
      const relAck = seg.quoted || !analysed ? seg.ack : (seg.ack - st.baseOf(1 - dir)) >>> 0;
      if (relAck > 1) flags |= F_TFO_ACK;
      else if ((a[this.o + S_TFO_SYN_DATA] !== 0)) flags |= F_TFO_IGNORED;
    }
    if (seg.mptcp && !cut) {
      a[this.o + S_MP_OPS] |= seg.mptcpSubtypes;
      a[this.o + S_HAD_MPTCP] = 1;
    }
    return flags;
  }
}
