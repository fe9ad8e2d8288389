/**
 * Zeek's connection summary (reference §4): its own per-endpoint states (not RFC states),
 * `conn_state` and the `history` letters. Kept so users can compare with a Zeek conn.log;
 * synfin's own answer to "what state is each endpoint in" is the RFC replay.
 */
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { RecordView, type RecordStore } from './record-store.js';
import { seqAdd, seqGt } from './seq.js';

const INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6;

// history letters; the index is the letter's code
const LETTERS = 'SHADFRCGTWIQ';
const L_S = 0, L_H = 1, L_A = 2, L_D = 3, L_F = 4, L_R = 5, L_T = 8, L_W = 9, L_I = 10, L_Q = 11;

/*
 * Record layout. Int32 slots only: sequence numbers are kept as their 32 bits (read back with `>>> 0`),
 * and whether one was seen is a bit of Z_PACK, so no Float64 slot (and no −1 sentinel) is needed.
 */
/** Per endpoint i: Zeek state (3 bits at 3i), FIN seen (bit 6+i), highest seq known (8+i), SYN/FIN/RST seq
 * seen (12+i, 14+i, 16+i), payload sent (18+i); and the first sender + 1 (bits 10–11, 0 = none yet). */
const Z_PACK = 0;
/** Letters added once (bit = letter): endpoint 0 in bits 0–11, endpoint 1 in bits 16–27. */
const Z_ONCE = 1;
const Z_T0 = 2;
const Z_W0 = 4;
/** Sequence number of the endpoint's last SYN, end of its last FIN, its last RST, and its highest end. */
const Z_SYN0 = 6;
const Z_FIN_END0 = 8;
const Z_RST0 = 10;
const Z_HIGH0 = 12;
/** History letters: a count, then HIST_INLINE letter codes packed four to a slot (code = letter + 12 for endpoint 1). */
const Z_HIST_LEN = 14;
const Z_HIST = 15;
const HIST_INLINE = 16;
/** Record slots the Zeek summary uses; a subclass's own fields follow. */
export const ZEEK_F64_SLOTS = 0;
export const ZEEK_I32_SLOTS = Z_HIST + HIST_INLINE / 4;

const P_FIN = 6, P_KNOWN = 8, P_FIRST = 10, P_SYN = 12, P_FIN_END = 14, P_RST = 16, P_DATA = 18;
const ONCE_SHIFT = 16;

/**
 * The summary of one stream, its per-sender fields (…0 for endpoint 0, …1 for endpoint 1) kept in
 * a RecordStore record: a capture can hold hundreds of thousands of streams.
 */
export class ZeekSummary extends RecordView {
  /** History letters past the first HIST_INLINE (rare: long histories repeat T, W or retransmitted S/F/R). */
  private histMore = '';

  constructor(store: RecordStore) {
    super(store);
  }

  /** Index of the endpoint that sent the stream's first segment, −1 before any. */
  get firstSender(): number { return ((this.i[this.io + Z_PACK] >>> P_FIRST) & 3) - 1; }

  private add(letter: number, dir: number): void {
    const I = this.i, io = this.io;
    const n = I[io + Z_HIST_LEN]++;
    if (n < HIST_INLINE) I[io + Z_HIST + (n >> 2)] |= (letter + 12 * dir + 1) << ((n & 3) * 8);
    else this.histMore += dir === 0 ? LETTERS[letter] : LETTERS[letter].toLowerCase();
  }

  private addOnce(letter: number, dir: number): void {
    const bit = 1 << (letter + ONCE_SHIFT * dir);
    const I = this.i, k = this.io + Z_ONCE;
    if ((I[k] & bit) !== 0) return;
    I[k] |= bit;
    this.add(letter, dir);
  }

  /** Logarithmic letters (T, W): appended at the 1st, 10th, 100th … occurrence. */
  private addLog(letter: number, dir: number): void {
    const k = this.io + (letter === L_T ? Z_T0 : Z_W0) + dir;
    const n = ++this.i[k];
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10000 || n === 100000 || n === 1000000) this.add(letter, dir);
  }

  private state(dir: number): number { return (this.i[this.io + Z_PACK] >>> (3 * dir)) & 7; }

  /**
   * One captured segment from endpoint `dir` (0 or 1). Per-packet code: it reads the record directly,
   * `I[io + Z_X0 + dir]` being field X of the sender, and keeps the packed bits in `P` until the end.
   */
  zeekSegment(dir: number, seg: { readonly flags: number; readonly seq: number; readonly payloadLength: number; readonly window: number }): void {
    const I = this.i, io = this.io;
    const flags = seg.flags, seq = seg.seq, len = seg.payloadLength, window = seg.window;
    let P = I[io + Z_PACK];
    if ((P & (3 << P_FIRST)) === 0) P |= (dir + 1) << P_FIRST;
    const peer = 1 - dir;
    const syn = (flags & SYN) !== 0, fin = (flags & FIN) !== 0, rst = (flags & RST) !== 0, ack = (flags & ACK) !== 0;
    const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    const end = seqAdd(seq, len);

    // history
    if (n >= 2) {
      this.addOnce(syn ? L_Q : L_I, dir);
    } else if (syn) {
      if ((P & (1 << (P_SYN + dir))) === 0 || (I[io + Z_SYN0 + dir] >>> 0) !== seq) {
        I[io + Z_SYN0 + dir] = seq;
        P |= 1 << (P_SYN + dir);
        this.add(ack ? L_H : L_S, dir);
      }
    } else if (fin) {
      if ((P & (1 << (P_FIN_END + dir))) === 0 || (I[io + Z_FIN_END0 + dir] >>> 0) !== end) {
        I[io + Z_FIN_END0 + dir] = end;
        P |= 1 << (P_FIN_END + dir);
        this.add(L_F, dir);
      }
    } else if (rst) {
      if ((P & (1 << (P_RST + dir))) === 0 || (I[io + Z_RST0 + dir] >>> 0) !== seq) {
        I[io + Z_RST0 + dir] = seq;
        P |= 1 << (P_RST + dir);
        this.add(L_R, dir);
      }
    } else if (len > 0) {
      if ((I[io + Z_ONCE] & (1 << (L_D + ONCE_SHIFT * dir))) === 0) this.addOnce(L_D, dir);
    } else if (ack) {
      if ((I[io + Z_ONCE] & (1 << (L_A + ONCE_SHIFT * dir))) === 0) this.addOnce(L_A, dir);
    }
    const known = (P & (1 << (P_KNOWN + dir))) !== 0;
    const high = I[io + Z_HIGH0 + dir] >>> 0;
    if (len > 0 && !syn && known && !seqGt(end, high)) this.addLog(L_T, dir);
    if (len > 0 || syn || fin) {
      const e = seqAdd(end, (syn ? 1 : 0) + (fin ? 1 : 0));
      if (!known || seqGt(e, high)) { I[io + Z_HIGH0 + dir] = e; P |= 1 << (P_KNOWN + dir); }
    }
    const me = (P >>> (3 * dir)) & 7, other = (P >>> (3 * peer)) & 7;
    const finMe = (P & (1 << (P_FIN + dir))) !== 0, finPeer = (P & (1 << (P_FIN + peer))) !== 0;
    if (window === 0 && !rst && !syn && me !== RESET && !finPeer) this.addLog(L_W, dir);
    if (len > 0) P |= 1 << (P_DATA + dir);

    // Zeek endpoint states: `to` for the sender, `toPeer` for the other side (−1: unchanged)
    let to = -1, toPeer = -1;
    if (rst) {
      if (!(finMe && finPeer)) to = RESET;
    } else if (fin) {
      to = CLOSED;
      P |= 1 << (P_FIN + dir);
      if (other === RESET && finPeer) toPeer = CLOSED;
    } else if (syn && !ack) {
      if (me === INACTIVE) to = SYN_SENT;
    } else if (syn) {
      if (me === INACTIVE || me === SYN_SENT) {
        if (other === SYN_SENT) { to = ESTABLISHED; toPeer = ESTABLISHED; } else to = SYN_ACK_SENT;
      }
    } else if (me === INACTIVE || me === SYN_SENT) {
      if (ack && other === SYN_ACK_SENT) { to = ESTABLISHED; toPeer = ESTABLISHED; }
      else if (me === INACTIVE) to = PARTIAL;
    } else if (ack && me === SYN_ACK_SENT && other === SYN_SENT) {
      to = ESTABLISHED; toPeer = ESTABLISHED;
    }
    if (to >= 0) P = (P & ~(7 << (3 * dir))) | (to << (3 * dir));
    if (toPeer >= 0) P = (P & ~(7 << (3 * peer))) | (toPeer << (3 * peer));
    I[io + Z_PACK] = P;
  }

  /** History string with the originator (client) in upper case; `^` when the responder sent first. */
  history(orig: number): string {
    const prefix = this.firstSender >= 0 && this.firstSender !== orig ? '^' : '';
    const I = this.i, io = this.io;
    const n = Math.min(I[io + Z_HIST_LEN], HIST_INLINE);
    let hist = '';
    for (let k = 0; k < n; k++) {
      const code = ((I[io + Z_HIST + (k >> 2)] >>> ((k & 3) * 8)) & 0xff) - 1;
      hist += code < 12 ? LETTERS[code] : LETTERS[code - 12].toLowerCase();
    }
    hist += this.histMore;
    if (orig === 0) return prefix + hist;
    let s = prefix;
    for (const ch of hist) s += ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
    return s;
  }

  /** Zeek's conn_state, first matching rule of §4.2, with `orig` the originator's index. */
  connState(orig: number): string {
    const o = this.state(orig), r = this.state(1 - orig);
    const oInactive = o === INACTIVE || o === PARTIAL;
    const rInactive = r === INACTIVE || r === PARTIAL;
    if (r === RESET) {
      if (o === SYN_SENT || o === SYN_ACK_SENT || (o === RESET && (this.i[this.io + Z_PACK] & (3 << P_DATA)) === 0)) return 'REJ';
      if (oInactive) return 'RSTRH';
      return 'RSTR';
    }
    if (o === RESET) {
      if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(this.history(orig)) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (o === CLOSED && r === CLOSED) return 'SF';
    if (o === CLOSED) return rInactive ? 'SH' : 'S2';
    if (r === CLOSED) return oInactive ? 'SHR' : 'S3';
    if (o === SYN_SENT && r === INACTIVE) return 'S0';
    if (o === ESTABLISHED && r === ESTABLISHED) return 'S1';
    return 'OTH';
  }
}
