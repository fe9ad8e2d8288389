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

const Z_ZST0 = 0;
const Z_ZST1 = 1;
const Z_SIZE0 = 0;
const Z_SIZE1 = 1;
const Z_FIN0 = 2;
const Z_FIN1 = 3;
const Z_ONCE0 = 4;
const Z_ONCE1 = 5;
const Z_SYN0 = 2;
const Z_SYN1 = 3;
const Z_FIN_END0 = 4;
const Z_FIN_END1 = 5;
const Z_RST0 = 6;
const Z_RST1 = 7;
const Z_HIGH0 = 8;
const Z_HIGH1 = 9;
const Z_KNOWN0 = 6;
const Z_KNOWN1 = 7;
const Z_T0 = 8;
const Z_T1 = 9;
const Z_W0 = 10;
const Z_W1 = 11;
const Z_FIRST_SENDER = 12;
/** History letters: a count, then HIST_INLINE letter codes packed four to a slot (code = letter + 12 for endpoint 1). */
const Z_HIST_LEN = 13;
const Z_HIST = 14;
const HIST_INLINE = 16;
/** Record slots the Zeek summary uses; a subclass's own fields follow. */
export const ZEEK_F64_SLOTS = 10;
export const ZEEK_I32_SLOTS = Z_HIST + HIST_INLINE / 4;

/**
 * The summary of one stream, its per-sender fields (…0 for endpoint 0, …1 for endpoint 1) kept in
 * a RecordStore record: a capture can hold hundreds of thousands of streams.
 */
export class ZeekSummary extends RecordView {
  /** History letters past the first HIST_INLINE (rare: long histories repeat T, W or retransmitted S/F/R). */
  private histMore = '';

  constructor(store: RecordStore) {
    super(store);
    this.syn0 = -1; this.syn1 = -1;
    this.finEnd0 = -1; this.finEnd1 = -1;
    this.rst0 = -1; this.rst1 = -1;
    this.firstSender = -1;
  }

  private get zst0(): number { return this.i[this.io + Z_ZST0]; }
  private set zst0(v: number) { this.i[this.io + Z_ZST0] = v; }
  private get zst1(): number { return this.i[this.io + Z_ZST1]; }
  private set zst1(v: number) { this.i[this.io + Z_ZST1] = v; }
  private get size0(): number { return this.f[this.fo + Z_SIZE0]; }
  private set size0(v: number) { this.f[this.fo + Z_SIZE0] = v; }
  private get size1(): number { return this.f[this.fo + Z_SIZE1]; }
  private set size1(v: number) { this.f[this.fo + Z_SIZE1] = v; }
  private get once0(): number { return this.i[this.io + Z_ONCE0]; }
  private set once0(v: number) { this.i[this.io + Z_ONCE0] = v; }
  private get once1(): number { return this.i[this.io + Z_ONCE1]; }
  private set once1(v: number) { this.i[this.io + Z_ONCE1] = v; }
  private get syn0(): number { return this.f[this.fo + Z_SYN0]; }
  private set syn0(v: number) { this.f[this.fo + Z_SYN0] = v; }
  private get syn1(): number { return this.f[this.fo + Z_SYN1]; }
  private set syn1(v: number) { this.f[this.fo + Z_SYN1] = v; }
  private get finEnd0(): number { return this.f[this.fo + Z_FIN_END0]; }
  private set finEnd0(v: number) { this.f[this.fo + Z_FIN_END0] = v; }
  private get finEnd1(): number { return this.f[this.fo + Z_FIN_END1]; }
  private set finEnd1(v: number) { this.f[this.fo + Z_FIN_END1] = v; }
  private get rst0(): number { return this.f[this.fo + Z_RST0]; }
  private set rst0(v: number) { this.f[this.fo + Z_RST0] = v; }
  private get rst1(): number { return this.f[this.fo + Z_RST1]; }
  private set rst1(v: number) { this.f[this.fo + Z_RST1] = v; }
  private get t0(): number { return this.i[this.io + Z_T0]; }
  private set t0(v: number) { this.i[this.io + Z_T0] = v; }
  private get t1(): number { return this.i[this.io + Z_T1]; }
  private set t1(v: number) { this.i[this.io + Z_T1] = v; }
  private get w0(): number { return this.i[this.io + Z_W0]; }
  private set w0(v: number) { this.i[this.io + Z_W0] = v; }
  private get w1(): number { return this.i[this.io + Z_W1]; }
  private set w1(v: number) { this.i[this.io + Z_W1] = v; }
  get firstSender(): number { return this.i[this.io + Z_FIRST_SENDER]; }
  set firstSender(v: number) { this.i[this.io + Z_FIRST_SENDER] = v; }

  private add(letter: number, dir: number): void {
    const I = this.i, io = this.io;
    const n = I[io + Z_HIST_LEN]++;
    if (n < HIST_INLINE) I[io + Z_HIST + (n >> 2)] |= (letter + 12 * dir + 1) << ((n & 3) * 8);
    else this.histMore += dir === 0 ? LETTERS[letter] : LETTERS[letter].toLowerCase();
  }

  private addOnce(letter: number, dir: number): void {
    const bit = 1 << letter;
    if (dir === 0) { if ((this.once0 & bit) !== 0) return; this.once0 |= bit; }
    else { if ((this.once1 & bit) !== 0) return; this.once1 |= bit; }
    this.add(letter, dir);
  }

  /** Logarithmic letters (T, W): appended at the 1st, 10th, 100th … occurrence. */
  private addLog(letter: number, dir: number): void {
    let n: number;
    if (letter === L_T) n = dir === 0 ? ++this.t0 : ++this.t1;
    else n = dir === 0 ? ++this.w0 : ++this.w1;
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10000 || n === 100000 || n === 1000000) this.add(letter, dir);
  }

  private state(dir: number): number { return dir === 0 ? this.zst0 : this.zst1; }

  /**
   * One captured segment from endpoint `dir` (0 or 1). Per-packet code: it reads the record directly,
   * `I[io + Z_X0 + dir]` being field X of the sender and `+ peer` of the other side.
   */
  zeekSegment(dir: number, seg: { readonly flags: number; readonly seq: number; readonly payloadLength: number; readonly window: number }): void {
    const I = this.i, io = this.io, F = this.f, fo = this.fo;
    const flags = seg.flags, seq = seg.seq, len = seg.payloadLength, window = seg.window;
    if (I[io + Z_FIRST_SENDER] < 0) I[io + Z_FIRST_SENDER] = dir;
    const peer = 1 - dir;
    const syn = (flags & SYN) !== 0, fin = (flags & FIN) !== 0, rst = (flags & RST) !== 0, ack = (flags & ACK) !== 0;
    const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    const end = seqAdd(seq, len);

    // history
    if (n >= 2) {
      this.addOnce(syn ? L_Q : L_I, dir);
    } else if (syn) {
      if (F[fo + Z_SYN0 + dir] !== seq) {
        F[fo + Z_SYN0 + dir] = seq;
        this.add(ack ? L_H : L_S, dir);
      }
    } else if (fin) {
      if (F[fo + Z_FIN_END0 + dir] !== end) {
        F[fo + Z_FIN_END0 + dir] = end;
        this.add(L_F, dir);
      }
    } else if (rst) {
      if (F[fo + Z_RST0 + dir] !== seq) {
        F[fo + Z_RST0 + dir] = seq;
        this.add(L_R, dir);
      }
    } else if (len > 0) {
      if ((I[io + Z_ONCE0 + dir] & (1 << L_D)) === 0) this.addOnce(L_D, dir);
    } else if (ack) {
      if ((I[io + Z_ONCE0 + dir] & (1 << L_A)) === 0) this.addOnce(L_A, dir);
    }
    const known = I[io + Z_KNOWN0 + dir] !== 0;
    const high = F[fo + Z_HIGH0 + dir];
    if (len > 0 && !syn && known && !seqGt(end, high)) this.addLog(L_T, dir);
    if (len > 0 || syn || fin) {
      const e = seqAdd(end, (syn ? 1 : 0) + (fin ? 1 : 0));
      if (!known || seqGt(e, high)) { F[fo + Z_HIGH0 + dir] = e; I[io + Z_KNOWN0 + dir] = 1; }
    }
    const me = I[io + Z_ZST0 + dir], other = I[io + Z_ZST0 + peer];
    const finMe = I[io + Z_FIN0 + dir] !== 0, finPeer = I[io + Z_FIN0 + peer] !== 0;
    if (window === 0 && !rst && !syn && me !== RESET && !finPeer) this.addLog(L_W, dir);
    F[fo + Z_SIZE0 + dir] += len;

    // Zeek endpoint states
    const ZD = io + Z_ZST0 + dir, ZP = io + Z_ZST0 + peer;
    if (rst) {
      if (!(finMe && finPeer)) I[ZD] = RESET;
    } else if (fin) {
      I[ZD] = CLOSED;
      I[io + Z_FIN0 + dir] = 1;
      if (other === RESET && finPeer) I[ZP] = CLOSED;
    } else if (syn && !ack) {
      if (me === INACTIVE) I[ZD] = SYN_SENT;
    } else if (syn) {
      if (me === INACTIVE || me === SYN_SENT) {
        if (other === SYN_SENT) { I[ZD] = ESTABLISHED; I[ZP] = ESTABLISHED; } else I[ZD] = SYN_ACK_SENT;
      }
    } else if (me === INACTIVE || me === SYN_SENT) {
      if (ack && other === SYN_ACK_SENT) { I[ZD] = ESTABLISHED; I[ZP] = ESTABLISHED; }
      else if (me === INACTIVE) I[ZD] = PARTIAL;
    } else if (ack && me === SYN_ACK_SENT && other === SYN_SENT) {
      I[ZD] = ESTABLISHED; I[ZP] = ESTABLISHED;
    }
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
      if (o === SYN_SENT || o === SYN_ACK_SENT || (o === RESET && this.size0 === 0 && this.size1 === 0)) return 'REJ';
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
