/**
 * Anomaly records: one shape for every finding (reference §7), and the collector of the
 * Wireshark-compatible per-frame flags, which rides on the tracker as a StreamHook.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_DELTA, type Segment } from '../decode/segment.js';
import { seqRel } from '../tcp/seq.js';
import { STATES, type State } from '../tcp/state-table.js';
import { REUSE_NEW_STREAM, REUSE_SYNACK, type Stream, type StreamHook } from '../tcp/tracker.js';
import {
  F_ACKED_UNSEEN, F_DUPLICATE_ACK, F_FAST_RETRANSMISSION, F_KEEP_ALIVE, F_OUT_OF_ORDER, F_PORT_REUSE,
  F_PREVIOUS_SEGMENT_LOST, F_RETRANSMISSION, F_SPURIOUS_RETRANSMISSION, F_TFO_ACK, F_TFO_IGNORED, F_TFO_SYN,
  F_WINDOW_FULL, F_WINDOW_UPDATE, F_ZERO_WINDOW, F_ZERO_WINDOW_PROBE, F_ZERO_WINDOW_PROBE_ACK, F_KEEP_ALIVE_ACK,
  StreamAnalysis, WIRESHARK_KINDS, type StreamRef,
} from './seq-analysis.js';

export type Severity = 'error' | 'warn' | 'note' | 'info';

/** The one record shape of every finding. */
export interface Anomaly {
  kind: string;
  variant: string | null;
  severity: Severity;
  frame: number | null;
  flow: number | null;
  direction: 'c2s' | 's2c' | null;
  /** Both endpoints' states after the frame. */
  states: { client: State; server: State } | null;
  message: string;
  data: Record<string, number | string | boolean | null>;
}

/** A finding's kind as shown and counted (text, summary counts, the terminal UI's groups): `kind`, or `kind:variant`. */
export const kindLabel = (kind: string, variant: string | null): string => (variant ? `${kind}:${variant}` : kind);

/** A per-frame flag as collected while streaming: numbers only; text is made at report time. */
export class FlagRecord {
  bit = 0;
  frame = 0;
  stream = 0;
  /** Sender's index in the stream. */
  from: 0 | 1 = 0;
  /** Both endpoints' shown states after the frame (state index; +16 when pending). */
  s0 = 0;
  s1 = 0;
  len = 0;
  relSeq = 0;
  relAck = 0;
  /** For retransmissions and gaps: the direction's highest relative sequence before this segment. */
  relNext = 0;
  nextFrame = 0;
  /** For a duplicate ACK: its number and the frame it repeats; for a spurious retransmission: the peer's relative ACK that covered it, and the frame that first carried it. */
  dupNum = 0;
  dupFrame = 0;
  window = 0;
  prevWindow = 0;
  /** The peer's last advertised raw window before this segment. */
  peerWindow = 0;
  /** Seconds since the direction's newest segment. */
  delta = 0;
  /** TCP flags of the segment. */
  flags = 0;
}

const FL_F64 = 1;
const FL_I32 = 14;
// Float64 slot: delta (seconds; infinite when the direction had sent nothing)
const L_DELTA = 0;
// Int32 slots. Relative sequence numbers and raw windows are unsigned 32-bit (a window may be the
// 0xFFFFFFFF "none yet"): stored as their bits, read back with >>> 0.
const L_BIT = 0, L_FRAME = 1, L_STREAM = 2, L_PACKED = 3, L_LEN = 4, L_NEXT_FRAME = 5, L_DUP_NUM = 6, L_DUP_FRAME = 7,
  L_WINDOW = 8, L_REL_SEQ = 9, L_REL_ACK = 10, L_REL_NEXT = 11, L_PREV_WINDOW = 12, L_PEER_WINDOW = 13;
// L_PACKED: s0 (5 bits), s1 (5 bits), from (1 bit), TCP flags (12 bits)
const P_S1 = 5, P_FROM = 10, P_FLAGS = 11;

/** Bytes of one flag record: FL_F64 Float64 slots, then FL_I32 Int32 slots. */
const FLAG_BYTES = 8 * FL_F64 + 4 * FL_I32;

export interface FlagListOptions {
  /** Records per chunk (a power of two; default 4096, 256 KB). */
  chunkRecords?: number;
  /** Chunks kept in memory before the oldest go to the spool file (default 4). */
  residentChunks?: number;
}

/** Closes the spool file of a list the program dropped (a batch over many captures opens one per capture). */
const SPOOLS = new FinalizationRegistry<number>((fd) => { try { closeSync(fd); } catch { /* already closed */ } });

/**
 * Every per-frame flag of a capture, in file order, as fixed-size records of 64 bytes in chunks of
 * typed arrays: a lossy capture raises hundreds of thousands, and as objects (with a box for every
 * sequence number above 2^30) they cost several times their bytes. Read whole with get(), or field
 * by field.
 *
 * Flags grow with the packets, not with the connections, so only the newest few chunks stay in
 * memory: older full chunks go to an unnamed temporary file (unlinked as soon as it is open, so
 * nothing is left behind) and are read back a chunk at a time, which suits the readers, who go
 * through the records in order. Without a writable temporary directory the chunks stay in memory.
 */
export class FlagList {
  private readonly bits: number;
  private readonly mask: number;
  private readonly chunkBytes: number;
  private readonly resident: number;
  /** Chunk c's views while it is in memory (undefined once spooled). */
  private readonly f: Array<Float64Array | undefined> = [];
  private readonly i: Array<Int32Array | undefined> = [];
  /** Oldest chunk still in memory. */
  private firstResident = 0;
  /** The spool file, −1 before the first spill, −2 when spooling is impossible (chunks then stay in memory). */
  private fd = -1;
  /** Two chunks read back from the spool (the one read longest ago is replaced). */
  private readonly cacheChunk = [-1, -1];
  private readonly cacheF: Float64Array[] = [];
  private readonly cacheI: Int32Array[] = [];
  private cacheNext = 0;
  // where the record found by at() is
  private vf: Float64Array = new Float64Array(0);
  private vi: Int32Array = new Int32Array(0);
  private vfo = 0;
  private vio = 0;
  length = 0;

  constructor(opts: FlagListOptions = {}) {
    const n = opts.chunkRecords ?? 4096;
    this.bits = Math.round(Math.log2(n));
    if (1 << this.bits !== n) throw new Error(`chunkRecords must be a power of two, not ${n}`);
    this.mask = n - 1;
    this.chunkBytes = n * FLAG_BYTES;
    this.resident = Math.max(1, opts.residentChunks ?? 4);
  }

  /** Whether older records went to the spool file. */
  get spooled(): boolean {
    return this.firstResident > 0;
  }

  push(r: FlagRecord): void {
    const n = this.length++;
    const c = n >>> this.bits;
    if (c === this.f.length) this.newChunk(c);
    this.at(n); // (the newest chunk is always in memory)
    const f = this.vf, fo = this.vfo, i = this.vi, io = this.vio;
    f[fo + L_DELTA] = r.delta;
    i[io + L_BIT] = r.bit; i[io + L_FRAME] = r.frame; i[io + L_STREAM] = r.stream;
    i[io + L_PACKED] = r.s0 | (r.s1 << P_S1) | (r.from << P_FROM) | (r.flags << P_FLAGS);
    i[io + L_LEN] = r.len; i[io + L_NEXT_FRAME] = r.nextFrame; i[io + L_DUP_NUM] = r.dupNum; i[io + L_DUP_FRAME] = r.dupFrame;
    i[io + L_WINDOW] = r.window; i[io + L_REL_SEQ] = r.relSeq; i[io + L_REL_ACK] = r.relAck; i[io + L_REL_NEXT] = r.relNext;
    i[io + L_PREV_WINDOW] = r.prevWindow; i[io + L_PEER_WINDOW] = r.peerWindow;
  }

  /** Start chunk c, moving the oldest resident chunk to the spool when there are enough (its memory then serves chunk c). */
  private newChunk(c: number): void {
    let buf: ArrayBuffer | null = null;
    if (c - this.firstResident >= this.resident && this.openSpool()) {
      const old = this.firstResident;
      const f = this.f[old]!;
      try {
        writeFully(this.fd, new Uint8Array(f.buffer), old * this.chunkBytes);
        buf = f.buffer as ArrayBuffer;
        this.f[old] = undefined;
        this.i[old] = undefined;
        this.firstResident++;
      } catch {
        this.fd = -2; // a full disk: keep the rest in memory (what was written stays readable)
      }
    }
    buf ??= new ArrayBuffer(this.chunkBytes);
    this.f.push(new Float64Array(buf));
    this.i.push(new Int32Array(buf));
  }

  private openSpool(): boolean {
    if (this.fd !== -1) return this.fd >= 0;
    let dir: string | null = null;
    try {
      dir = mkdtempSync(join(tmpdir(), 'synfin-'));
      const path = join(dir, 'flags');
      this.fd = openSync(path, 'w+', 0o600);
      SPOOLS.register(this, this.fd);
      try { unlinkSync(path); rmdirSync(dir); } catch { process.once('exit', () => rmSync(dir!, { recursive: true, force: true })); }
    } catch {
      this.fd = -2;
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
    return this.fd >= 0;
  }

  /** Point vf/vfo/vi/vio at record n, reading its chunk back from the spool when it is there. */
  private at(n: number): void {
    const c = n >>> this.bits, k = n & this.mask;
    this.vfo = k * (FLAG_BYTES / 8);
    this.vio = k * (FLAG_BYTES / 4) + 2 * FL_F64;
    const f = this.f[c];
    if (f !== undefined) { this.vf = f; this.vi = this.i[c]!; return; }
    let s = this.cacheChunk[0] === c ? 0 : this.cacheChunk[1] === c ? 1 : -1;
    if (s < 0) {
      s = this.cacheNext;
      this.cacheNext = 1 - s;
      if (this.cacheF[s] === undefined) {
        const buf = new ArrayBuffer(this.chunkBytes);
        this.cacheF[s] = new Float64Array(buf);
        this.cacheI[s] = new Int32Array(buf);
      }
      this.cacheChunk[s] = -1;
      readFully(this.fd, new Uint8Array(this.cacheF[s].buffer), c * this.chunkBytes);
      this.cacheChunk[s] = c;
    }
    this.vf = this.cacheF[s];
    this.vi = this.cacheI[s];
  }

  bit(n: number): number { this.at(n); return this.vi[this.vio + L_BIT]; }
  frame(n: number): number { this.at(n); return this.vi[this.vio + L_FRAME]; }
  stream(n: number): number { this.at(n); return this.vi[this.vio + L_STREAM]; }

  /** Record n as an object. */
  get(n: number): FlagRecord {
    this.at(n);
    const f = this.vf, fo = this.vfo, i = this.vi, io = this.vio;
    const r = new FlagRecord();
    r.delta = f[fo + L_DELTA];
    r.bit = i[io + L_BIT]; r.frame = i[io + L_FRAME]; r.stream = i[io + L_STREAM];
    const p = i[io + L_PACKED];
    r.s0 = p & 31; r.s1 = (p >>> P_S1) & 31; r.from = ((p >>> P_FROM) & 1) as 0 | 1; r.flags = p >>> P_FLAGS;
    r.len = i[io + L_LEN]; r.nextFrame = i[io + L_NEXT_FRAME]; r.dupNum = i[io + L_DUP_NUM]; r.dupFrame = i[io + L_DUP_FRAME];
    r.window = i[io + L_WINDOW]; r.relSeq = i[io + L_REL_SEQ] >>> 0; r.relAck = i[io + L_REL_ACK] >>> 0;
    r.relNext = i[io + L_REL_NEXT] >>> 0; r.prevWindow = i[io + L_PREV_WINDOW] >>> 0; r.peerWindow = i[io + L_PEER_WINDOW] >>> 0;
    return r;
  }

  *[Symbol.iterator](): Generator<FlagRecord> {
    for (let n = 0; n < this.length; n++) yield this.get(n);
  }
}

function writeFully(fd: number, b: Uint8Array, position: number): void {
  for (let done = 0; done < b.length;) done += writeSync(fd, b, done, b.length - done, position + done);
}

function readFully(fd: number, b: Uint8Array, position: number): void {
  for (let done = 0; done < b.length;) {
    const n = readSync(fd, b, done, b.length - done, position + done);
    if (n === 0) throw new Error('the flag spool file is shorter than what was written to it');
    done += n;
  }
}

/**
 * The Wireshark-compatible flags of one header (reference §3) and the figures behind them: the
 * sequence analysis of every stream, fed every header the tracker hands its hook, in file order.
 * The tracker's hook runs it, or, for `analyze` on a large capture, the reading thread of the
 * segment pipe (see pipe-worker.ts), which hands the results over with the segment.
 */
export class FlagComputer {
  private readonly analysis = new StreamAnalysis();
  /** The sender direction's highest sequence number (raw) before the last header computed. */
  prevNextRaw = 0;

  /**
   * The flags of `seg`, sent in direction d of stream `st` (`reuse` and `sameIsnSyn` as the stream
   * rules found them); when there are any, `rec` gets the figures behind them (frame to flags).
   */
  compute(st: StreamRef, d: 0 | 1, seg: Segment, reuse: number, sameIsnSyn: boolean, rec: FlagRecord): number {
    const a = this.analysis.at(st.tuple, st.id);
    if (sameIsnSyn) a.sameIsnSyn(d);
    const D = a.d[d];
    const prevNext = D.nextseq, prevFrame = D.nextseqFrame, prevWin = D.win, prevNextSec = D.nextseqSec, prevNextNsec = D.nextseqNsec;
    this.prevNextRaw = prevNext;
    if (seg.quoted) {
      a.after(seg, d, st, false); // an ICMP-quoted header is not a frame of the flow: its flags are not counted here
      return 0;
    }
    let flags = a.analyze(seg, d, st);
    if (reuse === REUSE_NEW_STREAM || reuse === REUSE_SYNACK) flags |= F_PORT_REUSE;
    // a header cut by the snap length is analysed, but Wireshark shows none of its flags except TFO's (§3 intro)
    if (!seg.headerComplete) flags &= F_TFO_SYN | F_TFO_ACK | F_TFO_IGNORED;
    if (flags !== 0) {
      const base = st.baseOf(d);
      rec.frame = seg.frame; rec.stream = st.id; rec.from = d;
      rec.len = seg.payloadLength; rec.relSeq = seqRel(seg.seq, base); rec.relAck = seqRel(seg.ack, st.baseOf(1 - d));
      rec.relNext = seqRel(prevNext, base); rec.nextFrame = prevFrame; rec.dupNum = a.dupNum; rec.dupFrame = a.dupFrame;
      rec.window = seg.window; rec.prevWindow = prevWin; rec.peerWindow = a.d[1 - d].win;
      rec.delta = seg.tsSec - prevNextSec + (seg.tsNsec - prevNextNsec) / 1e9; rec.flags = seg.flags;
      if ((flags & F_SPURIOUS_RETRANSMISSION) !== 0) {
        // the peer's acknowledgment that already covered it (§9.11), in the duplicate-ACK figures: a spurious
        // retransmission carries data, a duplicate ACK none, so no frame has both (a frame may also be previous-segment-lost)
        const R = a.d[1 - d];
        rec.dupNum = seqRel(R.lastack, base); rec.dupFrame = R.lastackFrame;
      }
    }
    return flags;
  }
}

// where FlagComputer's figures travel in Segment.wsFigures (WS_DELTA last)
const W_PREV_NEXT = 0, W_REL_SEQ = 1, W_REL_ACK = 2, W_REL_NEXT = 3, W_NEXT_FRAME = 4, W_DUP_NUM = 5, W_DUP_FRAME = 6,
  W_PREV_WINDOW = 7, W_PEER_WINDOW = 8;

/** Hand the flags FlagComputer found for `seg`, and their figures in `rec`, over with the segment (reading thread). */
export function attachFlags(seg: Segment, flags: number, rec: FlagRecord, prevNextRaw: number): void {
  seg.wsFlags = flags;
  if (flags === 0) return;
  const w = seg.wsFigures;
  w[W_PREV_NEXT] = prevNextRaw; w[W_REL_SEQ] = rec.relSeq; w[W_REL_ACK] = rec.relAck; w[W_REL_NEXT] = rec.relNext;
  w[W_NEXT_FRAME] = rec.nextFrame; w[W_DUP_NUM] = rec.dupNum; w[W_DUP_FRAME] = rec.dupFrame;
  w[W_PREV_WINDOW] = rec.prevWindow; w[W_PEER_WINDOW] = rec.peerWindow; w[WS_DELTA] = rec.delta;
}

/** Collects the Wireshark-compatible flags of every analysed segment (reference §3). */
export class WiresharkFlags implements StreamHook {
  readonly records = new FlagList();
  /** Frames carrying each flag, by bit index (what tshark counts). */
  readonly counts = new Float64Array(WIRESHARK_KINDS.length);
  /** This hook takes the flags the reading thread computed (see FlagComputer). */
  readonly readerFlags = true;
  /** Flags of the segment being processed, until its replay is done. */
  protected pending = 0;
  private readonly pendingRec = new FlagRecord();
  /** The sender direction's highest sequence number (raw) before the segment being processed (read with F_PREVIOUS_SEGMENT_LOST). */
  protected prevNextRaw = 0;
  private readonly computer = new FlagComputer();

  segment(st: Stream, d: 0 | 1, seg: Segment, reuse: number, sameIsnSyn: boolean): void {
    const pre = seg.wsFlags;
    if (pre < 0) {
      this.pending = this.computer.compute(st, d, seg, reuse, sameIsnSyn, this.pendingRec);
      this.prevNextRaw = this.computer.prevNextRaw;
      return;
    }
    // computed by the reading thread
    this.pending = pre;
    if (pre === 0) return;
    const w = seg.wsFigures, r = this.pendingRec;
    this.prevNextRaw = w[W_PREV_NEXT];
    r.frame = seg.frame; r.stream = st.id; r.from = d; r.len = seg.payloadLength; r.window = seg.window; r.flags = seg.flags;
    r.relSeq = w[W_REL_SEQ]; r.relAck = w[W_REL_ACK]; r.relNext = w[W_REL_NEXT]; r.nextFrame = w[W_NEXT_FRAME];
    r.dupNum = w[W_DUP_NUM]; r.dupFrame = w[W_DUP_FRAME]; r.prevWindow = w[W_PREV_WINDOW]; r.peerWindow = w[W_PEER_WINDOW];
    r.delta = w[WS_DELTA];
  }

  replayed(st: Stream, _d: 0 | 1, _seg: Segment): void {
    const flags = this.pending;
    if (flags === 0) return;
    this.pending = 0;
    const rec = this.pendingRec;
    rec.s0 = st.shown(0);
    rec.s1 = st.shown(1);
    for (let i = 0; i < WIRESHARK_KINDS.length; i++) {
      const bit = WIRESHARK_KINDS[i].bit;
      if ((flags & bit) === 0) continue;
      this.counts[i]++;
      rec.bit = bit;
      this.records.push(rec);
    }
  }

  /** Per-kind frame counts, as tshark counts them (a fast or spurious retransmission is also a retransmission). */
  tsharkCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    WIRESHARK_KINDS.forEach((k, i) => { out[k.id] = this.counts[i]; });
    out.retransmission += out['fast-retransmission'] + out['spurious-retransmission'];
    return out;
  }
}

const KIND_OF_BIT = new Map(WIRESHARK_KINDS.map((k) => [k.bit, k]));
const GIB = 2 ** 30;

/**
 * Turn a collected flag into the shared record shape, with the roles known at the end; `simultaneousOpen`:
 * the flow opened that way, so a SYN+ACK below the sender's highest sequence answers the peer's SYN.
 */
export function flagAnomaly(r: FlagRecord, client: 0 | 1, name: (i: 0 | 1) => string, simultaneousOpen = false): Anomaly {
  const k = KIND_OF_BIT.get(r.bit)!;
  const who = name(r.from);
  const peer = name((1 - r.from) as 0 | 1);
  const st = (v: number): State => STATES[v & 15];
  // (below a millisecond in microseconds: on a LAN, reordering happens within tens of them)
  const ms = (s: number) => (s < 0.001 ? `${Math.round(s * 1e6)} µs` : `${(s * 1000).toFixed(1)} ms`);
  let message: string;
  const data: Anomaly['data'] = { relSeq: r.relSeq, len: r.len };
  const what = r.len > 0 ? `${r.len} byte(s)` : (r.flags & 0x12) === 0x12 ? 'its SYN+ACK' : (r.flags & 0x02) !== 0 ? 'its SYN' : (r.flags & 0x01) !== 0 ? 'its FIN' : 'a segment';
  switch (r.bit) {
    case F_RETRANSMISSION:
      // (in a simultaneous open each side answers the other's SYN with a SYN+ACK of its own SYN's ISN: Wireshark's flag, not a second copy)
      message = simultaneousOpen && (r.flags & 0x12) === 0x12
        ? `${who} sent its SYN+ACK at relative seq ${r.relSeq}, the sequence number its own SYN (frame ${r.nextFrame}) took: ` +
          'in a simultaneous open each side answers the other\'s SYN with a SYN+ACK of the same ISN, which Wireshark flags as a retransmission.'
        : `${who} re-sent ${what} at relative seq ${r.relSeq}, below its highest sequence number ${r.relNext} (frame ${r.nextFrame}).`;
      data.highestSeq = r.relNext; data.highestFrame = r.nextFrame;
      break;
    case F_FAST_RETRANSMISSION:
      message = `${who} re-sent the segment at relative seq ${r.relSeq} that ${peer} kept asking for with duplicate ACKs, within 20 ms of ${peer}'s last segment.`;
      break;
    case F_SPURIOUS_RETRANSMISSION:
      message = `${who} re-sent ${what} at relative seq ${r.relSeq} that ${peer} had already acknowledged (ack ${r.dupNum >>> 0}, first in frame ${r.dupFrame}).`;
      data.ackedUpTo = r.dupNum >>> 0; data.ackFrame = r.dupFrame;
      break;
    case F_OUT_OF_ORDER:
      message = `${who}'s segment at relative seq ${r.relSeq} arrived ${ms(r.delta)} after a later one (relative seq up to ${r.relNext}), too soon to be a retransmission.`;
      data.afterNewest = r.delta;
      break;
    case F_PREVIOUS_SEGMENT_LOST:
      message = `${who}'s sequence jumps from ${r.relNext} to ${r.relSeq}: ${(r.relSeq - r.relNext) >>> 0} byte(s) in between were not captured` +
        // (reference §9.18: a jump of a gibibyte or more without a SYN is more likely a reconnect on the same ports)
        ((r.relSeq - r.relNext) >>> 0 >= GIB && (r.flags & 0x02) === 0 ? ', or, a jump this large, a new connection on the same ports whose SYN the capture missed.' : '.');
      data.expectedSeq = r.relNext;
      break;
    case F_ACKED_UNSEEN:
      message = `${who} acknowledges up to relative ${r.relAck}, data from ${peer} that the capture never showed.`;
      data.relAck = r.relAck;
      break;
    case F_DUPLICATE_ACK:
      // (from TIME_WAIT it answers a FIN sent again: its earlier ACK of it was lost or late, no data is missing, reference §7.9)
      message = st(r.from === 0 ? r.s0 : r.s1) === 'TIME_WAIT'
        ? `${who} repeats its ACK of relative ${r.relAck} (duplicate #${r.dupNum} of frame ${r.dupFrame}) from TIME_WAIT: ${peer} sent its FIN again, so its earlier ACK was lost or late; no data is missing.`
        : `${who} repeats its ACK of relative ${r.relAck} (duplicate #${r.dupNum} of frame ${r.dupFrame}): it is missing data from ${peer}.`;
      data.number = r.dupNum; data.duplicateOf = r.dupFrame; data.relAck = r.relAck;
      break;
    case F_ZERO_WINDOW:
      message = `${who} advertises a zero receive window: ${peer} must stop sending until it opens.`;
      break;
    case F_ZERO_WINDOW_PROBE:
      message = `${who} probes ${peer}'s zero window with 1 byte.`;
      break;
    case F_ZERO_WINDOW_PROBE_ACK:
      message = `${who} answers a zero-window probe, its window still zero.`;
      break;
    case F_WINDOW_FULL:
      message = `${who}'s data reaches exactly the right edge of the window ${peer} advertised: it must wait for an ACK.`;
      break;
    case F_WINDOW_UPDATE:
      message = `${who} only changes its advertised window (raw ${r.prevWindow} → ${r.window}).`;
      data.window = r.window; data.previousWindow = r.prevWindow;
      break;
    case F_KEEP_ALIVE:
      message = `${who} sends a keep-alive (${r.len} byte(s) one below its next sequence number)` +
        (r.peerWindow === 0 ? `: a zero-window probe, as Linux sends them, since ${peer}'s window is zero.` : '.');
      break;
    case F_KEEP_ALIVE_ACK:
      message = `${who} acknowledges ${peer}'s keep-alive.`;
      break;
    case F_PORT_REUSE:
      message = `${who} opens with a new initial sequence number on a 4-tuple already seen: a new connection on reused ports.`;
      break;
    case F_TFO_SYN:
      message = `${who}'s SYN carries a TCP Fast Open cookie.`;
      break;
    case F_TFO_ACK:
      message = `${who}'s SYN+ACK acknowledges the data carried on the SYN (TCP Fast Open accepted).`;
      break;
    default:
      message = `${who}'s SYN+ACK acknowledges only the SYN, not the Fast Open data sent with it.`;
  }
  return {
    kind: k.id,
    variant: null,
    severity: k.severity,
    frame: r.frame,
    flow: r.stream,
    direction: r.from === client ? 'c2s' : 's2c',
    states: { client: st(client === 0 ? r.s0 : r.s1), server: st(client === 0 ? r.s1 : r.s0) },
    message: message[0].toUpperCase() + message.slice(1),
    data,
  };
}
