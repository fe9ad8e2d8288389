/**
 * Wireshark-compatible TCP sequence analysis (reference §3): the `tcp.analysis.*` flags,
 * computed exactly as Wireshark 4.0 does, in its order of evaluation. Each frame gets a
 * bit mask of flags; the list below is the precedence, and each test carries its definition.
 */
import { ACK, FIN, RST, SYN, type Segment } from '../decode/segment.js';
import { RecordStore } from '../tcp/record-store.js';
import { seqAdd, seqGt, seqLe, seqLt } from '../tcp/seq.js';

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

const FIELD_BY_KIND = new Map(WIRESHARK_KINDS.map((k) => [k.id, k.field]));

/**
 * The Wireshark display filter that shows exactly the frames of a Wireshark-compatible kind, null for
 * synfin's own kinds. (Wireshark marks fast and spurious retransmissions as retransmissions too;
 * synfin gives each frame one of the three.)
 */
export function wiresharkFilterOf(kind: string): string | null {
  if (kind === 'retransmission') return 'tcp.analysis.retransmission && !tcp.analysis.fast_retransmission && !tcp.analysis.spurious_retransmission';
  return FIELD_BY_KIND.get(kind) ?? null;
}

/** What the analysis needs of a stream: its id, its 4-tuple number, and its relative-sequence bases. */
export interface StreamRef {
  readonly id: number;
  readonly tuple: number;
  baseOf(i: number): number;
}

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
 * it (§2.2), which then reuses the record. So there is one record per 4-tuple, not per stream.
 *
 * A record (in a RecordStore) is F_SLOTS Float64 values (times in seconds, and the initial RTT, which can
 * exceed 2^31 ns), then 32-bit slots, read through a Uint32Array (sequence numbers, windows, frames,
 * bit sets) or an Int32Array (the fields that can be negative). Each direction has its fields at
 * the same offsets from its base: F_DIR and I_DIR apart.
 */
// Float64 slots
const F_NEXTSEQ_SEC = 0;
const F_LASTACK_SEC = 1;
const F_DIR = 2;
const F_SYN_SEC = 2 * F_DIR, F_IRTT = F_SYN_SEC + 1;
const F_SLOTS = F_IRTT + 1;
// 32-bit slots, counted from the record's first 32-bit slot
const D_NEXTSEQ = 0;
const D_NEXTSEQ_NSEC = 1;
const D_NEXTSEQ_FRAME = 2;
/** Wireshark's maxseqtobeacked: end of the contiguous data seen. */
const D_CONTIG = 3;
const D_LASTACK = 4;
const D_LASTACK_NSEC = 5;
/** Raw window of the last segment; 0xFFFFFFFF = none yet. */
const D_WIN = 6;
/** Window scale shift, or SHIFT_UNKNOWN / SHIFT_NONE (Int32). */
const D_SHIFT = 7;
const D_FIRST_ACK_PENDING = 8;
/** Duplicate ACKs in a row, −1 after an acked-unseen (Int32). */
const D_DUPACKS = 9;
const D_LAST_NONDUP_FRAME = 10;
const D_LAST_FLAGS = 11;
const D_MP_OPS = 12;
const I_DIR = 13;
const S_SYN_NSEC = 2 * I_DIR, S_MP_OPS = S_SYN_NSEC + 1, S_HAD_MPTCP = S_SYN_NSEC + 2, S_TFO_SYN_DATA = S_SYN_NSEC + 3,
  S_STREAM = S_SYN_NSEC + 4;
const I_SLOTS = S_STREAM + 1;
const EMPTY_F = new Float64Array(0);
const EMPTY_U = new Uint32Array(0);
const EMPTY_I = new Int32Array(0);

/**
 * Per-direction state (§3.1), a view on one direction of a stream's record (moved by
 * StreamAnalysis.at). Sentinels are Wireshark's: 0 means "unknown" for nextseq, contig and lastack.
 */
class Dir {
  f: Float64Array = EMPTY_F;
  u: Uint32Array = EMPTY_U;
  fo = 0;
  io = 0;

  get nextseq(): number { return this.u[this.io + D_NEXTSEQ]; }
  get nextseqSec(): number { return this.f[this.fo + F_NEXTSEQ_SEC]; }
  get nextseqNsec(): number { return this.u[this.io + D_NEXTSEQ_NSEC]; }
  get nextseqFrame(): number { return this.u[this.io + D_NEXTSEQ_FRAME]; }
  get win(): number { return this.u[this.io + D_WIN]; }
  /** The direction's latest acknowledgment (0: none yet), and the frame that first carried it. */
  get lastack(): number { return this.u[this.io + D_LASTACK]; }
  get lastackFrame(): number { return this.u[this.io + D_LAST_NONDUP_FRAME]; }
}

/** The sequence analysis of every stream: records by 4-tuple, and one view moved to the stream at hand. */
export class StreamAnalysis {
  readonly d: [Dir, Dir] = [new Dir(), new Dir()];
  /** One record per 4-tuple, by the tracker's tuple number. */
  private readonly store = new RecordStore(F_SLOTS, I_SLOTS);
  private f: Float64Array = EMPTY_F;
  private u: Uint32Array = EMPTY_U;
  private i: Int32Array = EMPTY_I;
  /** The record's first Float64 slot in f, and its first 32-bit slot in u and i. */
  private fo = 0;
  private io = 0;
  /** For a duplicate ACK: its running number and the frame whose ACK it repeats. */
  dupNum = 0;
  dupFrame = 0;

  /**
   * Point the analysis at stream `stream` of 4-tuple `tuple` (the tracker's numbers). The first
   * segment of a stream that supersedes another on its 4-tuple finds the record owned by the old
   * one, and starts it afresh.
   */
  at(tuple: number, stream: number): this {
    const s = this.store;
    s.reach(tuple);
    const f = s.f64Of(tuple), u = s.u32Of(tuple), i = s.i32Of(tuple);
    const fo = s.f64Base(tuple), io = s.i32Base(tuple);
    if (i[io + S_STREAM] !== stream + 1) this.init(f, u, i, fo, io, stream);
    this.f = f; this.u = u; this.i = i;
    this.fo = fo; this.io = io;
    const d0 = this.d[0], d1 = this.d[1];
    d0.f = f; d0.u = u; d0.fo = fo; d0.io = io;
    d1.f = f; d1.u = u; d1.fo = fo + F_DIR; d1.io = io + I_DIR;
    return this;
  }

  /** A fresh record for `stream` (the slot holds its id + 1: a new record's zeros own nothing). */
  private init(f: Float64Array, u: Uint32Array, i: Int32Array, fo: number, io: number, stream: number): void {
    f.fill(0, fo, fo + F_SLOTS);
    u.fill(0, io, io + I_SLOTS);
    i[io + S_STREAM] = stream + 1;
    for (let d = 0; d < 2; d++) {
      f[fo + d * F_DIR + F_LASTACK_SEC] = NEVER;
      u[io + d * I_DIR + D_WIN] = 0xffffffff;
      i[io + d * I_DIR + D_SHIFT] = SHIFT_UNKNOWN;
    }
    f[fo + F_SYN_SEC] = NEVER;
  }

  /** §2.2: a SYN repeating the direction's ISN restarts the direction's nextseq at its contiguous end. */
  sameIsnSyn(dir: 0 | 1): void {
    const u = this.u, dO = this.io + dir * I_DIR;
    u[dO + D_NEXTSEQ] = u[dO + D_CONTIG];
  }

  /**
   * Steps 1–11 and U for one analysed segment sent in `dir` of stream `st`; returns its flags.
   * (Sequence numbers are read from the objects: passed alone, V8 would box them on every call.)
   * `u[dO + D_X]` is field X of the sending direction, `u[rO + D_X]` of the receiving one (`f[dF + F_X]`
   * and `f[rF + F_X]` for its times): direct record reads, because accessors in a function this size
   * exceed what the engine inlines.
   */
  analyze(seg: Segment, dir: 0 | 1, st: StreamRef): number {
    const f = this.f, u = this.u, i = this.i;
    const dO = this.io + dir * I_DIR, rO = this.io + (1 - dir) * I_DIR;
    const dF = this.fo + dir * F_DIR, rF = this.fo + (1 - dir) * F_DIR;
    const sO = this.io;
    const fl = seg.flags;
    const seq = seg.seq, ack = seg.ack, len = seg.payloadLength, win = seg.window, frame = seg.frame;
    const sec = seg.tsSec, nsec = seg.tsNsec;
    const syn = (fl & SYN) !== 0, fin = (fl & FIN) !== 0, rst = (fl & RST) !== 0, hasAck = (fl & ACK) !== 0;
    const noSFR = (fl & (SYN | FIN | RST)) === 0;
    let flags = 0;
    this.dupNum = 0;

    // 1. zero-window-probe: exactly one byte at nextseq while the peer's window is 0
    if (len === 1 && seq === u[dO + D_NEXTSEQ] && u[rO + D_WIN] === 0) {
      flags |= F_ZERO_WINDOW_PROBE;
    } else {
      // 2. zero-window: advertises a zero receive window
      if (win === 0 && noSFR) flags |= F_ZERO_WINDOW;
      // 3. previous-segment-lost: a gap before this segment
      if (u[dO + D_NEXTSEQ] !== 0 && seqGt(seq, u[dO + D_NEXTSEQ]) && !rst) flags |= F_PREVIOUS_SEGMENT_LOST;
      // 4. keep-alive: 0 or 1 byte one below nextseq
      if ((len === 0 || len === 1) && seq === seqAdd(u[dO + D_NEXTSEQ], -1) && noSFR) flags |= F_KEEP_ALIVE;
      const sameAckSeq = len === 0 && seq === u[dO + D_NEXTSEQ] && ack === u[dO + D_LASTACK] && noSFR;
      // 5. window-update: a pure ACK that only changes the (non-zero) window
      if (sameAckSeq && win !== 0 && win !== u[dO + D_WIN]) flags |= F_WINDOW_UPDATE;
      // 6. window-full: data reaching exactly the right edge of the peer's window
      if (len > 0 && i[rO + D_SHIFT] !== SHIFT_UNKNOWN && noSFR) {
        const sh = (u[rO + D_FIRST_ACK_PENDING] !== 0) || i[rO + D_SHIFT] === SHIFT_NONE ? 0 : i[rO + D_SHIFT];
        if (seqAdd(seq, len) === seqAdd(u[rO + D_LASTACK], u[rO + D_WIN] * POW2[sh])) flags |= F_WINDOW_FULL;
      }
      let skip = false;
      // 7. keep-alive-ack: answers a keep-alive with an unchanged non-zero window
      if (sameAckSeq && win !== 0 && win === u[dO + D_WIN] && (u[rO + D_LAST_FLAGS] & F_KEEP_ALIVE) !== 0) {
        flags |= F_KEEP_ALIVE_ACK;
        skip = true;
      }
      // 8. zero-window-probe-ack: a zero-window repeat answering a probe
      if (!skip && sameAckSeq && win === 0 && u[dO + D_WIN] === 0 && (u[rO + D_LAST_FLAGS] & F_ZERO_WINDOW_PROBE) !== 0) {
        flags |= F_ZERO_WINDOW_PROBE_ACK;
        skip = true;
      }
      // 9. duplicate-ack: a pure ACK repeating seq, ack and the same non-zero window
      if (!skip && sameAckSeq && win !== 0 && win === u[dO + D_WIN]) {
        const mptcpChange = (u[sO + S_HAD_MPTCP] !== 0) && u[sO + S_MP_OPS] !== u[dO + D_MP_OPS];
        if (!mptcpChange) {
          i[dO + D_DUPACKS] = i[dO + D_DUPACKS] === -1 ? 1 : i[dO + D_DUPACKS] + 1;
          this.dupNum = i[dO + D_DUPACKS];
          this.dupFrame = u[dO + D_LAST_NONDUP_FRAME];
          flags |= F_DUPLICATE_ACK;
        }
      }
    }
    // A. a new ACK value restarts the duplicate count
    if (ack !== u[dO + D_LASTACK]) {
      u[dO + D_LAST_NONDUP_FRAME] = frame;
      i[dO + D_DUPACKS] = 0;
    }
    // 10. acked-unseen: acknowledges data the capture never showed
    if (hasAck && u[rO + D_CONTIG] !== 0 && seqGt(ack, u[rO + D_CONTIG])) {
      if (seqLt(u[rO + D_CONTIG], u[rO + D_NEXTSEQ])) {
        u[rO + D_CONTIG] = u[rO + D_NEXTSEQ];
        flags |= F_ACKED_UNSEEN;
      } else {
        if (i[rO + D_DUPACKS] === 0) flags |= F_ACKED_UNSEEN;
        i[rO + D_DUPACKS] = -1;
      }
    }
    // 11. the retransmission family, most specific first (§3.3)
    if ((len > 0 || syn || fin) && (flags & F_KEEP_ALIVE) === 0) {
      let notAdv = u[dO + D_NEXTSEQ] !== 0 && seqLt(seq, u[dO + D_NEXTSEQ]);
      if (len > 1 && seq === seqAdd(u[dO + D_NEXTSEQ], -1)) notAdv = false; // data after an untaken 1-byte probe
      // time deltas are unsigned in Wireshark: a negative one is never below a threshold
      const sinceReceiver = f[rF + F_LASTACK_SEC] === NEVER ? -1 : deltaNs(f[rF + F_LASTACK_SEC], u[rO + D_LASTACK_NSEC], sec, nsec);
      const sinceNewest = deltaNs(f[dF + F_NEXTSEQ_SEC], u[dO + D_NEXTSEQ_NSEC], sec, nsec);
      const irtt = f[this.fo + F_IRTT];
      const thr = irtt === 0 ? OUT_OF_ORDER_DEFAULT_NS : irtt < 0 ? Infinity : irtt;
      if (len > 0 && u[rO + D_LASTACK] !== 0 && seqLe(seqAdd(seq, len), u[rO + D_LASTACK])) {
        flags |= F_SPURIOUS_RETRANSMISSION;
      } else if (notAdv && i[rO + D_DUPACKS] >= 2 && u[rO + D_LASTACK] === seq && sinceReceiver >= 0 && sinceReceiver < FAST_RETRANSMIT_WINDOW_NS) {
        flags |= F_FAST_RETRANSMISSION;
      } else if (notAdv && sinceNewest >= 0 && sinceNewest < thr && u[dO + D_NEXTSEQ] !== seqAdd(seq, len + (syn || fin ? 1 : 0))) {
        flags |= F_OUT_OF_ORDER;
      } else if (notAdv) {
        flags |= F_RETRANSMISSION;
      }
    }
    // U. bookkeeping
    const end = seqAdd(seq, len + (syn ? 1 : 0) + (fin ? 1 : 0));
    const probe = (flags & F_ZERO_WINDOW_PROBE) !== 0;
    if ((seqGt(end, u[dO + D_NEXTSEQ]) || u[dO + D_NEXTSEQ] === 0) && !probe) {
      u[dO + D_NEXTSEQ] = end;
      f[dF + F_NEXTSEQ_SEC] = sec;
      u[dO + D_NEXTSEQ_NSEC] = nsec;
      u[dO + D_NEXTSEQ_FRAME] = frame;
    }
    if ((seq === u[dO + D_CONTIG] || u[dO + D_CONTIG] === 0) && !probe) u[dO + D_CONTIG] = u[dO + D_NEXTSEQ];
    u[dO + D_WIN] = win;
    u[dO + D_LASTACK] = ack;
    f[dF + F_LASTACK_SEC] = sec;
    u[dO + D_LASTACK_NSEC] = nsec;
    u[dO + D_LAST_FLAGS] = flags;
    if (u[sO + S_HAD_MPTCP] !== 0) u[dO + D_MP_OPS] = u[sO + S_MP_OPS];
    return flags | this.after(seg, dir, st, true);
  }

  /**
   * V1–V4 (§3.4): updates that follow every header with a stream, analysed or not (ICMP-quoted
   * headers and cut headers too). Returns the TCP Fast Open flags of this segment.
   */
  after(seg: Segment, dir: 0 | 1, st: StreamRef, analysed: boolean): number {
    const f = this.f, u = this.u, i = this.i;
    const dO = this.io + dir * I_DIR, rO = this.io + (1 - dir) * I_DIR;
    const sO = this.io, fO = this.fo;
    const fl = seg.flags;
    const syn = (fl & SYN) !== 0, ack = (fl & ACK) !== 0;
    const cut = !seg.quoted && !seg.headerComplete;
    let flags = 0;
    // V1
    if (syn) {
      if (!ack) { f[fO + F_SYN_SEC] = seg.tsSec; u[sO + S_SYN_NSEC] = seg.tsNsec; }
      u[dO + D_FIRST_ACK_PENDING] = 1;
    }
    // V2: the initial RTT, measured once at the first ACK after a SYN
    if (ack && !syn) {
      if (f[fO + F_SYN_SEC] !== NEVER && f[fO + F_IRTT] === 0) f[fO + F_IRTT] = deltaNs(f[fO + F_SYN_SEC], u[sO + S_SYN_NSEC], seg.tsSec, seg.tsNsec);
      u[dO + D_FIRST_ACK_PENDING] = 0;
    }
    // V3: window scale, decided per side
    if (seg.wscale >= 0) i[dO + D_SHIFT] = Math.min(seg.wscale, 14);
    if (syn && !cut) {
      if (i[dO + D_SHIFT] === SHIFT_UNKNOWN) { i[dO + D_SHIFT] = SHIFT_NONE; i[rO + D_SHIFT] = SHIFT_NONE; }
      else if (ack && i[rO + D_SHIFT] === SHIFT_NONE) i[dO + D_SHIFT] = SHIFT_NONE;
    }
    // V4: TCP Fast Open (§3.8) and MPTCP option subtypes
    if (syn && !ack && seg.tfo > 0) {
      flags |= F_TFO_SYN;
      if (seg.payloadLength > 0) u[sO + S_TFO_SYN_DATA] = 1;
    } else if (syn && ack) {
      // relative to the reverse direction's base as this segment's analysis set it
      const relAck = seg.quoted || !analysed ? seg.ack : (seg.ack - st.baseOf(1 - dir)) >>> 0;
      if (relAck > 1) flags |= F_TFO_ACK;
      else if (u[sO + S_TFO_SYN_DATA] !== 0) flags |= F_TFO_IGNORED;
    }
    if (seg.mptcp && !cut) {
      u[sO + S_MP_OPS] |= seg.mptcpSubtypes;
      u[sO + S_HAD_MPTCP] = 1;
    }
    return flags;
  }
}
