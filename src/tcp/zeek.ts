/**
 * Zeek's connection summary (reference §4): its own per-endpoint states (not RFC states),
 * `conn_state` and the `history` letters. Kept so users can compare with a Zeek conn.log;
 * synfin's own answer to "what state is each endpoint in" is the RFC replay.
 */
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { seqAdd, seqGt } from './seq.js';

const INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6;

// history letters; the index is the letter's code
const LETTERS = 'SHADFRCGTWIQ';
const L_S = 0, L_H = 1, L_A = 2, L_D = 3, L_F = 4, L_R = 5, L_T = 8, L_W = 9, L_I = 10, L_Q = 11;

export class ZeekSummary {
  // per-sender fields as scalar pairs (…0 for endpoint 0, …1 for endpoint 1): a stream keeps one of these
  private zst0 = INACTIVE; private zst1 = INACTIVE;
  private size0 = 0; private size1 = 0;
  private fin0 = false; private fin1 = false;
  private once0 = 0; private once1 = 0;
  private syn0 = -1; private syn1 = -1;
  private finEnd0 = -1; private finEnd1 = -1;
  private rst0 = -1; private rst1 = -1;
  private high0 = 0; private high1 = 0;
  private known0 = false; private known1 = false;
  private t0 = 0; private t1 = 0; private w0 = 0; private w1 = 0;
  /** History with endpoint 0's letters in upper case and endpoint 1's in lower case. */
  private hist = '';
  firstSender = -1;

  private add(letter: number, dir: number): void {
    this.hist += dir === 0 ? LETTERS[letter] : LETTERS[letter].toLowerCase();
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
  private setState(dir: number, v: number): void { if (dir === 0) this.zst0 = v; else this.zst1 = v; }
  private finSent(dir: number): boolean { return dir === 0 ? this.fin0 : this.fin1; }

  /** One captured segment from endpoint `dir` (0 or 1). */
  zeekSegment(dir: number, seg: { readonly flags: number; readonly seq: number; readonly payloadLength: number; readonly window: number }): void {
    const flags = seg.flags, seq = seg.seq, len = seg.payloadLength, window = seg.window;
    if (this.firstSender < 0) this.firstSender = dir;
    const peer = 1 - dir;
    const syn = (flags & SYN) !== 0, fin = (flags & FIN) !== 0, rst = (flags & RST) !== 0, ack = (flags & ACK) !== 0;
    const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    const end = seqAdd(seq, len);

    // history
    if (n >= 2) {
      this.addOnce(syn ? L_Q : L_I, dir);
    } else if (syn) {
      if ((dir === 0 ? this.syn0 : this.syn1) !== seq) {
        if (dir === 0) this.syn0 = seq; else this.syn1 = seq;
        this.add(ack ? L_H : L_S, dir);
      }
    } else if (fin) {
      if ((dir === 0 ? this.finEnd0 : this.finEnd1) !== end) {
        if (dir === 0) this.finEnd0 = end; else this.finEnd1 = end;
        this.add(L_F, dir);
      }
    } else if (rst) {
      if ((dir === 0 ? this.rst0 : this.rst1) !== seq) {
        if (dir === 0) this.rst0 = seq; else this.rst1 = seq;
        this.add(L_R, dir);
      }
    } else if (len > 0) {
      this.addOnce(L_D, dir);
    } else if (ack) {
      this.addOnce(L_A, dir);
    }
    const known = dir === 0 ? this.known0 : this.known1;
    const high = dir === 0 ? this.high0 : this.high1;
    if (len > 0 && !syn && known && !seqGt(end, high)) this.addLog(L_T, dir);
    if (len > 0 || syn || fin) {
      const e = seqAdd(end, (syn ? 1 : 0) + (fin ? 1 : 0));
      if (!known || seqGt(e, high)) {
        if (dir === 0) { this.high0 = e; this.known0 = true; } else { this.high1 = e; this.known1 = true; }
      }
    }
    if (window === 0 && !rst && !syn && this.state(dir) !== RESET && !this.finSent(peer)) this.addLog(L_W, dir);
    if (dir === 0) this.size0 += len; else this.size1 += len;

    // Zeek endpoint states
    const me = this.state(dir), other = this.state(peer);
    if (rst) {
      if (!(this.finSent(dir) && this.finSent(peer))) this.setState(dir, RESET);
    } else if (fin) {
      this.setState(dir, CLOSED);
      if (dir === 0) this.fin0 = true; else this.fin1 = true;
      if (other === RESET && this.finSent(peer)) this.setState(peer, CLOSED);
    } else if (syn && !ack) {
      if (me === INACTIVE) this.setState(dir, SYN_SENT);
    } else if (syn) {
      if (me === INACTIVE || me === SYN_SENT) {
        if (other === SYN_SENT) { this.setState(dir, ESTABLISHED); this.setState(peer, ESTABLISHED); } else this.setState(dir, SYN_ACK_SENT);
      }
    } else if (me === INACTIVE || me === SYN_SENT) {
      if (ack && other === SYN_ACK_SENT) { this.setState(dir, ESTABLISHED); this.setState(peer, ESTABLISHED); }
      else if (me === INACTIVE) this.setState(dir, PARTIAL);
    } else if (ack && me === SYN_ACK_SENT && other === SYN_SENT) {
      this.setState(dir, ESTABLISHED); this.setState(peer, ESTABLISHED);
    }
  }

  /** History string with the originator (client) in upper case; `^` when the responder sent first. */
  history(orig: number): string {
    const prefix = this.firstSender >= 0 && this.firstSender !== orig ? '^' : '';
    if (orig === 0) return prefix + this.hist;
    let s = prefix;
    for (const ch of this.hist) s += ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
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
