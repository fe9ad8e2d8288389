/**
 * Zeek's connection summary (reference §4): its own per-endpoint states (not RFC states),
 * `conn_state` and the `history` letters. Kept so users can compare with a Zeek conn.log;
 * synfin's own answer to "what state is each endpoint in" is the RFC replay.
 */
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { seqAdd, seqGt } from './seq.js';

const INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6;

// history letters, index = code >> 1, direction = code & 1
const LETTERS = 'SHADFRCGTWIQ';
const L_S = 0, L_H = 1, L_A = 2, L_D = 3, L_F = 4, L_R = 5, L_T = 8, L_W = 9, L_I = 10, L_Q = 11;

export class ZeekSummary {
  private readonly st = [INACTIVE, INACTIVE];
  private readonly size = [0, 0];
  private readonly finSent = [false, false];
  /** History as codes (letter index << 1 | sender index), mapped to case at the end. */
  private readonly hist: number[] = [];
  private readonly once = [0, 0];
  private readonly lastSyn = [-1, -1];
  private readonly lastFin = [-1, -1];
  private readonly lastRst = [-1, -1];
  private readonly highEnd = [0, 0];
  private readonly highKnown = [false, false];
  private readonly logCount = [new Uint32Array(LETTERS.length), new Uint32Array(LETTERS.length)];
  firstSender = -1;

  private add(letter: number, dir: number): void {
    this.hist.push((letter << 1) | dir);
  }

  private addOnce(letter: number, dir: number): void {
    const bit = 1 << letter;
    if ((this.once[dir] & bit) === 0) { this.once[dir] |= bit; this.add(letter, dir); }
  }

  /** Logarithmic letters: appended at the 1st, 10th, 100th … occurrence. */
  private addLog(letter: number, dir: number): void {
    const n = ++this.logCount[dir][letter];
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10000 || n === 100000 || n === 1000000) this.add(letter, dir);
  }

  /** One captured segment from endpoint `dir` (0 or 1). */
  onSegment(dir: number, flags: number, seq: number, len: number, window: number): void {
    if (this.firstSender < 0) this.firstSender = dir;
    const peer = 1 - dir;
    const syn = (flags & SYN) !== 0, fin = (flags & FIN) !== 0, rst = (flags & RST) !== 0, ack = (flags & ACK) !== 0;
    const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    const end = seqAdd(seq, len);

    // history
    if (n >= 2) {
      this.addOnce(syn ? L_Q : L_I, dir);
    } else if (syn) {
      if (this.lastSyn[dir] !== seq) { this.lastSyn[dir] = seq; this.add(ack ? L_H : L_S, dir); }
    } else if (fin) {
      if (this.lastFin[dir] !== end) { this.lastFin[dir] = end; this.add(L_F, dir); }
    } else if (rst) {
      if (this.lastRst[dir] !== seq) { this.lastRst[dir] = seq; this.add(L_R, dir); }
    } else if (len > 0) {
      this.addOnce(L_D, dir);
    } else if (ack) {
      this.addOnce(L_A, dir);
    }
    if (len > 0 && !syn) {
      if (this.highKnown[dir] && !seqGt(end, this.highEnd[dir])) this.addLog(L_T, dir);
    }
    if (len > 0 || syn || fin) {
      const e = seqAdd(end, (syn ? 1 : 0) + (fin ? 1 : 0));
      if (!this.highKnown[dir] || seqGt(e, this.highEnd[dir])) { this.highEnd[dir] = e; this.highKnown[dir] = true; }
    }
    if (window === 0 && !rst && !syn && this.st[dir] !== RESET && !this.finSent[peer]) this.addLog(L_W, dir);
    this.size[dir] += len;

    // Zeek endpoint states
    const st = this.st;
    if (rst) {
      if (!(this.finSent[dir] && this.finSent[peer])) st[dir] = RESET;
    } else if (fin) {
      st[dir] = CLOSED;
      this.finSent[dir] = true;
      if (st[peer] === RESET && this.finSent[peer]) st[peer] = CLOSED;
    } else if (syn && !ack) {
      if (st[dir] === INACTIVE) st[dir] = SYN_SENT;
    } else if (syn) {
      if (st[dir] === INACTIVE || st[dir] === SYN_SENT) {
        if (st[peer] === SYN_SENT) { st[dir] = ESTABLISHED; st[peer] = ESTABLISHED; } else st[dir] = SYN_ACK_SENT;
      }
    } else if (st[dir] === INACTIVE || st[dir] === SYN_SENT) {
      if (ack && st[peer] === SYN_ACK_SENT) { st[dir] = ESTABLISHED; st[peer] = ESTABLISHED; }
      else if (st[dir] === INACTIVE) st[dir] = PARTIAL;
    } else if (ack && st[dir] === SYN_ACK_SENT && st[peer] === SYN_SENT) {
      st[dir] = ESTABLISHED; st[peer] = ESTABLISHED;
    }
  }

  /** History string with the originator (client) in upper case; `^` when the responder sent first. */
  history(orig: number): string {
    let s = this.firstSender >= 0 && this.firstSender !== orig ? '^' : '';
    for (const c of this.hist) {
      const ch = LETTERS[c >> 1];
      s += (c & 1) === orig ? ch : ch.toLowerCase();
    }
    return s;
  }

  /** Zeek's conn_state, first matching rule of §4.2, with `orig` the originator's index. */
  connState(orig: number): string {
    const o = this.st[orig], r = this.st[1 - orig];
    const oInactive = o === INACTIVE || o === PARTIAL;
    const rInactive = r === INACTIVE || r === PARTIAL;
    if (r === RESET) {
      if (o === SYN_SENT || o === SYN_ACK_SENT || (o === RESET && this.size[0] === 0 && this.size[1] === 0)) return 'REJ';
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
