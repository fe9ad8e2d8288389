/**
 * Replays the state table for both endpoints of one connection, as a passive observer
 * must (reference §6.3): a sender's events apply when its segment is seen; a receiver's
 * SYN and FIN events stay pending until the receiver's own later segment acknowledges
 * them; ACK- and RST-driven events commit at once; a retransmission contradicts what it
 * shows was not delivered; segments the capture missed are inferred from the numbers.
 *
 * Every state change goes through `change()`, which records one Transition, so the ladder
 * and the anomaly rules need no second source.
 */
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { RecordStore, RecordView } from './record-store.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import {
  ABORT, CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, EVENTS, LAST_ACK, LISTEN, RCV_ACK_FIN, RCV_ACK_SYN, RCV_FIN, RCV_ICMP_ERR,
  RCV_RST_OK, RCV_SYN, RCV_SYNACK_BAD, RCV_SYNACK_OK, SND_FIN, SND_RST, SND_SYN, SND_SYNACK, STATES, SYN_RCVD, SYN_SENT,
  TIMEOUT_TW, TIME_WAIT, nextState, type EventName, type State,
} from './state-table.js';

const NS_PER_S = 1e9;

/** One segment as the replay sees it (captured, or inferred from the other side's numbers). */
export interface ReplaySegment {
  /** Index of the sending endpoint in the connection (0 or 1). */
  from: 0 | 1;
  frame: number;
  tsSec: number;
  tsNsec: number;
  flags: number;
  seq: number;
  ack: number;
  /** Payload length. */
  len: number;
  /** Not in the capture: implied by acknowledgments (§6.3 rules 8–9). */
  inferred: boolean;
}

/** One recorded state change. `endpoint` is the index in the connection; reports map it to client/server. */
export interface TransitionRecord {
  frame: number;
  endpoint: 0 | 1;
  from: State;
  to: State;
  event: EventName;
  /** Caused by a segment the capture missed, committed only at capture end, or undone by later evidence. */
  inferred: boolean;
  /** Set when later evidence took back an earlier change (a retransmission after an ACK, a segment after a RST). */
  revert?: boolean;
}

interface PendingEvent {
  event: number;
  /** The receiver commits the event when it acknowledges at least this sequence number (rule 3). */
  threshold: number;
  frame: number;
  tsSec: number;
  tsNsec: number;
  inferred: boolean;
  contradicted: boolean;
  /** The SYN's ISN or the FIN's sequence number, to recognise later copies. */
  key: number;
}

/** Fills a new queue's room (see pendingQueue); never queued. */
const NO_EVENT: PendingEvent = { event: -1, threshold: 0, frame: 0, tsSec: 0, tsNsec: 0, inferred: false, contradicted: false, key: 0 };

// An endpoint's replay state, in a RecordStore record: a busy capture holds tens of thousands of
// live connections, and as object fields every sequence number sat in its own heap box.
const E_TW_SEC = 0;
/** When the endpoint last sent its FIN (s), for the final ACK held back (rule 4, see Connection.holdFinalAck). */
const E_FIN_LAST = 1;
const E_F64_SLOTS = 2;
const E_STATE = 0;
const E_INITIAL = 1;
/** The booleans, one bit each (F_*). */
const E_FLAGS = 2;
const E_ISN = 3;
const E_SND_NXT = 4;
const E_FIN_SEQ = 5;
const E_HIGH_ACK = 6;
const E_LAST_ACK = 7;
const E_SENT = 8;
const E_CAPTURED = 9;
const E_SYNACK_SENT = 10;
const E_FIN_SENT = 11;
const E_TW_NSEC = 12;
// undo information for an ACK- or RST-driven commit (rule 4): event | from << 8 | to << 16 (set: a flag), and key
const E_ACK_UNDO = 13;
const E_ACK_KEY = 14;
const E_RST_UNDO = 15;
const E_RST_KEY = 16;
/** Keys (32 bits) of the SYN / FIN already shown undelivered to the endpoint, when F_CONTRADICTED_SYN / _FIN is set. */
const E_CONTRADICTED_SYN = 17;
const E_CONTRADICTED_FIN = 18;
/** The interval between its last two FINs, in µs. */
const E_FIN_INTERVAL_US = 19;
const E_I32_SLOTS = 20;
const F_ASSUMED = 1, F_DECIDED = 2, F_ISN_KNOWN = 4, F_SND_NXT_KNOWN = 8, F_FIN_KNOWN = 16, F_ACK_KNOWN = 32,
  F_SYNACK_QUEUED = 64, F_ACK_UNDO = 128, F_RST_UNDO = 256, F_FIN_ACK_DOUBTED = 512, F_ACK_HELD = 1024,
  F_CONTRADICTED_SYN = 2048, F_CONTRADICTED_FIN = 4096;

/**
 * The shortest FIN retransmission interval assumed when holding a final ACK (Linux's minimum RTO):
 * a FIN's sender that stays silent for three of its retransmission intervals got the ACK.
 */
const MIN_RTO_S = 0.2;
const HOLD_INTERVALS = 3;

/** A RecordStore sized for Endpoint records (one per Tracker: its connections' endpoints live there). */
export function endpointStore(): RecordStore {
  return new RecordStore(E_F64_SLOTS, E_I32_SLOTS);
}

/**
 * An empty queue of pending events with room for two (a SYN and a FIN), the usual most. An array
 * that starts empty gets room for 17 at its first push, 150 bytes per endpoint of every live
 * connection; this one grows only if a third event comes. (Emptied with pop, shift or
 * releasePending, never `length = 0`, an array keeps its room.)
 */
function pendingQueue(): PendingEvent[] {
  const q = [NO_EVENT, NO_EVENT];
  q.pop();
  q.pop();
  return q;
}

export class Endpoint extends RecordView {
  readonly pending: PendingEvent[] = pendingQueue();

  constructor(store: RecordStore) {
    super(store);
    this.reset();
  }

  /** Committed state. */
  get state(): number { return this.i[this.io + E_STATE]; }
  set state(v: number) { this.i[this.io + E_STATE] = v; }
  get initial(): number { return this.i[this.io + E_INITIAL]; }
  set initial(v: number) { this.i[this.io + E_INITIAL] = v; }
  /** Initial state assumed, not seen (mid-stream start). */
  get assumed(): boolean { return (this.i[this.io + E_FLAGS] & F_ASSUMED) !== 0; }
  set assumed(v: boolean) { this.setBits(E_FLAGS, F_ASSUMED, v); }
  /** The initial state of the responder waits for its first segment (rule 6). */
  get decided(): boolean { return (this.i[this.io + E_FLAGS] & F_DECIDED) !== 0; }
  set decided(v: boolean) { this.setBits(E_FLAGS, F_DECIDED, v); }
  get isn(): number { return this.i[this.io + E_ISN] >>> 0; }
  set isn(v: number) { this.i[this.io + E_ISN] = v; }
  get isnKnown(): boolean { return (this.i[this.io + E_FLAGS] & F_ISN_KNOWN) !== 0; }
  set isnKnown(v: boolean) { this.setBits(E_FLAGS, F_ISN_KNOWN, v); }
  /** Highest sequence number sent + 1 (RST segments do not count). */
  get sndNxt(): number { return this.i[this.io + E_SND_NXT] >>> 0; }
  set sndNxt(v: number) { this.i[this.io + E_SND_NXT] = v; }
  get sndNxtKnown(): boolean { return (this.i[this.io + E_FLAGS] & F_SND_NXT_KNOWN) !== 0; }
  set sndNxtKnown(v: boolean) { this.setBits(E_FLAGS, F_SND_NXT_KNOWN, v); }
  /** Sequence number the endpoint's first FIN occupies. */
  get finSeq(): number { return this.i[this.io + E_FIN_SEQ] >>> 0; }
  set finSeq(v: number) { this.i[this.io + E_FIN_SEQ] = v; }
  get finKnown(): boolean { return (this.i[this.io + E_FLAGS] & F_FIN_KNOWN) !== 0; }
  set finKnown(v: boolean) { this.setBits(E_FLAGS, F_FIN_KNOWN, v); }
  get highAck(): number { return this.i[this.io + E_HIGH_ACK] >>> 0; }
  set highAck(v: number) { this.i[this.io + E_HIGH_ACK] = v; }
  get lastAck(): number { return this.i[this.io + E_LAST_ACK] >>> 0; }
  set lastAck(v: number) { this.i[this.io + E_LAST_ACK] = v; }
  get ackKnown(): boolean { return (this.i[this.io + E_FLAGS] & F_ACK_KNOWN) !== 0; }
  set ackKnown(v: boolean) { this.setBits(E_FLAGS, F_ACK_KNOWN, v); }
  /** Segments sent, captured or inferred. */
  get sent(): number { return this.i[this.io + E_SENT]; }
  set sent(v: number) { this.i[this.io + E_SENT] = v; }
  get captured(): number { return this.i[this.io + E_CAPTURED]; }
  set captured(v: number) { this.i[this.io + E_CAPTURED] = v; }
  /** A SYN+ACK was queued for this endpoint (rule 8b looks for none). */
  get synackQueued(): boolean { return (this.i[this.io + E_FLAGS] & F_SYNACK_QUEUED) !== 0; }
  set synackQueued(v: boolean) { this.setBits(E_FLAGS, F_SYNACK_QUEUED, v); }
  /** Times the endpoint sent its SYN+ACK and its FIN (rule 9 presumes an ACK only after the first). */
  get synackSent(): number { return this.i[this.io + E_SYNACK_SENT]; }
  set synackSent(v: number) { this.i[this.io + E_SYNACK_SENT] = v; }
  get finSent(): number { return this.i[this.io + E_FIN_SENT]; }
  set finSent(v: number) { this.i[this.io + E_FIN_SENT] = v; }
  /** t_enter of TIME_WAIT (§6.6): whole seconds, and nanoseconds. */
  get twSec(): number { return this.f[this.fo + E_TW_SEC]; }
  set twSec(v: number) { this.f[this.fo + E_TW_SEC] = v; }
  get twNsec(): number { return this.i[this.io + E_TW_NSEC]; }
  set twNsec(v: number) { this.i[this.io + E_TW_NSEC] = v; }
  /** Keys of SYNs / FINs already shown undelivered to this endpoint (rule 4), −1 for none. */
  get contradictedSyn(): number { return this.keyOf(E_CONTRADICTED_SYN, F_CONTRADICTED_SYN); }
  set contradictedSyn(v: number) { this.setKey(E_CONTRADICTED_SYN, F_CONTRADICTED_SYN, v); }
  get contradictedFin(): number { return this.keyOf(E_CONTRADICTED_FIN, F_CONTRADICTED_FIN); }
  set contradictedFin(v: number) { this.setKey(E_CONTRADICTED_FIN, F_CONTRADICTED_FIN, v); }
  private keyOf(slot: number, bit: number): number { return (this.i[this.io + E_FLAGS] & bit) !== 0 ? this.i[this.io + slot] >>> 0 : -1; }
  private setKey(slot: number, bit: number, v: number): void {
    this.setBits(E_FLAGS, bit, v >= 0);
    this.i[this.io + slot] = v >= 0 ? v : 0;
  }
  /** When it last sent its FIN (s), and the interval since the one before (s; 0 after the first). */
  get finLast(): number { return this.f[this.fo + E_FIN_LAST]; }
  set finLast(v: number) { this.f[this.fo + E_FIN_LAST] = v; }
  get finInterval(): number { return this.i[this.io + E_FIN_INTERVAL_US] / 1e6; }
  set finInterval(v: number) { this.i[this.io + E_FIN_INTERVAL_US] = Math.min(Math.max(0, Math.round(v * 1e6)), 0x7fffffff); }
  /** It re-sent its FIN after an ACK of it was seen: that ACK was lost after the capture point (rule 4). */
  get finAckDoubted(): boolean { return (this.i[this.io + E_FLAGS] & F_FIN_ACK_DOUBTED) !== 0; }
  set finAckDoubted(v: boolean) { this.setBits(E_FLAGS, F_FIN_ACK_DOUBTED, v); }
  /** A later ACK of its FIN is held until its silence shows the ACK arrived (see Connection.holdFinalAck). */
  get ackHeld(): boolean { return (this.i[this.io + E_FLAGS] & F_ACK_HELD) !== 0; }
  set ackHeld(v: boolean) { this.setBits(E_FLAGS, F_ACK_HELD, v); }

  /** An ACK-driven commit that later evidence may take back (rule 4): `from` → `to` on `event`, for the SYN or FIN `key`. */
  setAckCommit(event: number, from: number, to: number, key: number): void { this.setUndo(E_ACK_UNDO, F_ACK_UNDO, event, from, to, key); }
  /** A RST-driven commit that later evidence may take back (rule 4). */
  setRstCommit(event: number, from: number, to: number, key: number): void { this.setUndo(E_RST_UNDO, F_RST_UNDO, event, from, to, key); }
  get hasAckCommit(): boolean { return (this.i[this.io + E_FLAGS] & F_ACK_UNDO) !== 0; }
  get hasRstCommit(): boolean { return (this.i[this.io + E_FLAGS] & F_RST_UNDO) !== 0; }
  clearAckCommit(): void { this.setBits(E_FLAGS, F_ACK_UNDO, false); }
  clearRstCommit(): void { this.setBits(E_FLAGS, F_RST_UNDO, false); }
  get ackCommitEvent(): number { return this.i[this.io + E_ACK_UNDO] & 0xff; }
  get ackCommitFrom(): number { return (this.i[this.io + E_ACK_UNDO] >>> 8) & 0xff; }
  get ackCommitTo(): number { return (this.i[this.io + E_ACK_UNDO] >>> 16) & 0xff; }
  get ackCommitKey(): number { return this.i[this.io + E_ACK_KEY] >>> 0; }
  get rstCommitFrom(): number { return (this.i[this.io + E_RST_UNDO] >>> 8) & 0xff; }
  get rstCommitTo(): number { return (this.i[this.io + E_RST_UNDO] >>> 16) & 0xff; }

  private setUndo(at: number, bit: number, event: number, from: number, to: number, key: number): void {
    this.setBits(E_FLAGS, bit, true);
    this.i[this.io + at] = event | (from << 8) | (to << 16);
    this.i[this.io + at + 1] = key;
  }

  /** What every segment the endpoint sends tells: its highest sequence number (RST aside) and acknowledgment. */
  noteSent(s: ReplaySegment): void {
    const f = s.flags;
    if ((f & RST) === 0) {
      const end = seqAdd(s.seq, s.len + ((f & SYN) !== 0 ? 1 : 0) + ((f & FIN) !== 0 ? 1 : 0));
      if (!this.sndNxtKnown || seqGt(end, this.sndNxt)) { this.sndNxt = end; this.sndNxtKnown = true; }
    }
    if ((f & ACK) !== 0) {
      if (!this.ackKnown || seqGt(s.ack, this.highAck)) this.highAck = s.ack;
      this.lastAck = s.ack;
      this.ackKnown = true;
    }
    this.sent++;
    if (!s.inferred) this.captured++;
  }

  /** Back to a fresh endpoint (connection objects are reused: most connections are short-lived). */
  reset(): void {
    releasePending(this.pending);
    this.i.fill(0, this.io, this.io + E_I32_SLOTS);
    this.state = CLOSED; this.initial = CLOSED; this.decided = true;
    this.twSec = 0; this.finLast = 0;
  }
}

/** An ACK of a FIN held back (see Connection.holdFinalAck): its frame and time, and when it counts as delivered (s). */
interface HeldAck { frame: number; sec: number; nsec: number; deadline: number }

/** Spare pending-event records: a connection queues a few, and there are many (not capped, like spare connections). */
const SPARE_EVENTS: PendingEvent[] = [];

function releasePending(q: PendingEvent[]): void {
  // pop, not `length = 0`, which would drop the array's storage and make the next push allocate it again
  while (q.length > 0) {
    const p = q.pop()!;
    SPARE_EVENTS.push(p);
  }
}

/** Told about every committed state change (the lifecycle anomalies use it). */
export interface TransitionListener {
  /**
   * Endpoint `i` of the connection tagged `tag` went `from` → `to` on `event`. `frame` is the segment
   * that caused it (−1 for a timer); `atFrame`/`atSec` the frame being processed when it was committed
   * (−1 at the end of the capture). `revert`: later evidence took back an earlier change.
   */
  onTransition(tag: object, i: 0 | 1, from: number, to: number, event: number, frame: number,
    atFrame: number, atSec: number, inferred: boolean, revert: boolean): void;
}

export interface ReplayOptions {
  /** Record every transition (the ladder and `--transitions` need them). */
  record: boolean;
  /** Where the endpoints' records go (see endpointStore; a Tracker keeps one). Read by the constructor only. */
  store: RecordStore;
}

/**
 * §6.6 at the end of the capture: TIME_WAIT entered at `twSec` s + `twNsec` ns, lasting `timeWaitSeconds`,
 * has expired by `endSec` s + `endNsec` ns (T_end). For live and parked connections alike.
 */
export function timeWaitEndedAt(twSec: number, twNsec: number, timeWaitSeconds: number, endSec: number, endNsec: number): boolean {
  return twSec + timeWaitSeconds + twNsec / NS_PER_S <= endSec + endNsec / NS_PER_S;
}

/**
 * §6.6 while the capture streams: TIME_WAIT entered in second `twSec` has expired by the capture clock
 * `nowSec`, whole seconds compared (a connection is then released). For live and parked connections alike.
 */
export function timeWaitEndedBy(twSec: number, timeWaitSeconds: number, nowSec: number): boolean {
  return twSec + timeWaitSeconds < nowSec;
}

/** The inferred segment being inserted (rules 8–9): they never nest, and one connection is replayed at a time. */
const INSERTED: ReplaySegment = { from: 0, frame: 0, tsSec: 0, tsNsec: 0, flags: 0, seq: 0, ack: 0, len: 0, inferred: true };

/** The replay of one connection: two endpoints, the table, and the observer's rules. */
export class Connection {
  readonly ep: [Endpoint, Endpoint];
  transitions: TransitionRecord[] | null;
  /** Index of the initiator (sender of the first SYN), or −1 for a mid-stream connection. */
  initiator: -1 | 0 | 1 = -1;
  /** The connection was seen from its middle: no SYN (assumed ESTABLISHED). */
  midstream = false;
  /** Inferred segments inserted (rules 8–9). */
  inferredSegments = 0;
  /** Frame numbers of the first FIN of each endpoint, and whether that FIN acknowledged the peer's FIN. */
  firstFin0: boolean | null = null;
  firstFin1: boolean | null = null;
  listener: TransitionListener | null = null;
  tag: object | null = null;
  /** Where the tracker lists this connection among the live ones, −1 when not listed. */
  liveSlot = -1;
  /** The captured frame being processed, and its time, for the listener. */
  private atFrame = -1;
  private atSec = 0;
  /** Set while one segment is being processed, so inferred segments are not inferred again. */
  private inserting = false;
  private started = false;
  /** An endpoint holds a final ACK (see holdFinalAck); what each holds, made when first needed (rare). */
  private holding = false;
  private held: [HeldAck, HeldAck] | null = null;

  constructor(first: ReplaySegment, opts: ReplayOptions) {
    this.ep = [new Endpoint(opts.store), new Endpoint(opts.store)];
    this.transitions = null;
    this.start(first, opts);
  }

  /** Reuse this object for a new connection that begins with `first`. */
  restart(first: ReplaySegment, opts: ReplayOptions): this {
    this.ep[0].reset();
    this.ep[1].reset();
    this.initiator = -1;
    this.midstream = false;
    this.inferredSegments = 0;
    this.firstFin0 = null;
    this.firstFin1 = null;
    this.inserting = false;
    this.started = false;
    this.holding = false;
    this.start(first, opts);
    return this;
  }

  private start(first: ReplaySegment, opts: ReplayOptions): void {
    if (opts.record) {
      if (this.transitions === null) this.transitions = [];
      else this.transitions.length = 0;
    } else {
      this.transitions = null;
    }
    const f = first.flags;
    if ((f & SYN) !== 0 && (f & ACK) === 0) {
      // rule 6: the initiator starts CLOSED; the responder's start waits for its first segment
      this.initiator = first.from;
      const r = this.ep[1 - first.from];
      r.state = r.initial = LISTEN;
      r.decided = false;
    } else if ((f & SYN) !== 0) {
      // a SYN+ACK first: a handshake whose SYN the capture missed (rule 8a)
      this.initiator = (1 - first.from) as 0 | 1;
      const r = this.ep[first.from];
      r.state = r.initial = LISTEN;
    } else {
      this.midstream = true;
      for (const e of this.ep) { e.state = e.initial = ESTABLISHED; e.assumed = true; }
    }
  }

  /** Whether each endpoint's first FIN acknowledged the peer's FIN (null: it sent none), §6.4. */
  firstFinAcksPeer(i: 0 | 1): boolean | null {
    return i === 0 ? this.firstFin0 : this.firstFin1;
  }

  // ------------------------------------------------------------------ state changes

  /** The single place where an endpoint's committed state changes. */
  private change(i: 0 | 1, event: number, frame: number, inferred: boolean, revertTo = -1): void {
    const e = this.ep[i];
    const from = e.state;
    const to = revertTo >= 0 ? revertTo : nextState(from, event);
    if (to === from) return;
    e.state = to;
    if (this.listener !== null) this.listener.onTransition(this.tag!, i, from, to, event, frame, this.atFrame, this.atSec, inferred, revertTo >= 0);
    if (this.transitions !== null) {
      const rec: TransitionRecord = { frame, endpoint: i, from: STATES[from], to: STATES[to], event: EVENTS[event], inferred };
      if (revertTo >= 0) rec.revert = true;
      this.transitions.push(rec);
    }
  }

  /** Commit an event now, noting when the endpoint entered TIME_WAIT. */
  private commit(i: 0 | 1, event: number, frame: number, tsSec: number, tsNsec: number, inferred: boolean): void {
    const e = this.ep[i];
    const before = e.state;
    this.change(i, event, frame, inferred);
    if (e.state === TIME_WAIT && (before !== TIME_WAIT || event === RCV_FIN)) {
      // entering TIME_WAIT, or a retransmitted FIN received in it, (re)starts the timer
      e.twSec = tsSec;
      e.twNsec = tsNsec;
    }
  }

  private queue(i: 0 | 1, event: number, threshold: number, key: number, s: ReplaySegment): void {
    const e = this.ep[i];
    const isSyn = event !== RCV_FIN;
    const contradicted = isSyn ? e.contradictedSyn === key : e.contradictedFin === key;
    const p = SPARE_EVENTS.pop();
    if (p === undefined) {
      e.pending.push({ event, threshold, frame: s.frame, tsSec: s.tsSec, tsNsec: s.tsNsec, inferred: s.inferred, contradicted, key });
    } else {
      p.event = event; p.threshold = threshold; p.frame = s.frame; p.tsSec = s.tsSec; p.tsNsec = s.tsNsec;
      p.inferred = s.inferred; p.contradicted = contradicted; p.key = key;
      e.pending.push(p);
    }
  }

  /** Rule 3: the endpoint's segment acknowledges `ack`; commit its pending events in order up to the first not covered. */
  private commitAcknowledged(i: 0 | 1, s: ReplaySegment): void {
    const e = this.ep[i];
    while (e.pending.length > 0 && seqGe(s.ack, e.pending[0].threshold)) {
      const p = e.pending.shift()!;
      // committed at this frame; the transition is dated by the segment that caused it
      this.commit(i, p.event, p.frame, s.tsSec, s.tsNsec, s.inferred || p.inferred);
      SPARE_EVENTS.push(p);
    }
  }

  /** Rule 4: a retransmission by endpoint i shows which of its pending events had not reached it. */
  private contradict(i: 0 | 1, s: ReplaySegment): void {
    const e = this.ep[i];
    const acked = (s.flags & ACK) !== 0;
    for (const p of e.pending) {
      if (!acked || seqLt(s.ack, p.threshold)) {
        p.contradicted = true;
        if (p.event === RCV_FIN) e.contradictedFin = p.key;
        else e.contradictedSyn = p.key;
      }
    }
  }

  /** The state shown after a frame: committed, with the non-contradicted pending events applied. */
  displayed(i: 0 | 1): { state: State; pending: boolean } {
    const v = this.shown(i);
    return { state: STATES[v & 15], pending: v >= 16 };
  }

  /** The same as displayed(), packed without allocating: the state's index, plus 16 while pending. */
  shown(i: 0 | 1): number {
    const e = this.ep[i];
    let s = e.state;
    let pending = false;
    for (const p of e.pending) {
      if (p.contradicted) continue;
      const n = nextState(s, p.event);
      if (n !== s) { s = n; pending = true; }
    }
    return pending ? s + 16 : s;
  }

  // ------------------------------------------------------------------ segments

  /** Replay one captured segment (inferred ones are inserted around it as the rules say). */
  process(s: ReplaySegment): void {
    this.atFrame = s.frame;
    this.atSec = s.tsSec + s.tsNsec / NS_PER_S;
    if (this.holding) this.releaseHeld(this.atSec);
    if (!this.steady(s)) this.full(s);
  }

  /**
   * Rule 4 for the final ACK. Once a FIN's sender in LAST_ACK or CLOSING has re-sent its FIN after an
   * ACK of it was seen, that ACK was lost after the capture point, and the peer's later ACKs of the same
   * FIN (it re-ACKs every copy) may be lost the same way. The first of them is held: it is delivered
   * once the FIN's sender has stayed silent for HOLD_INTERVALS of its last retransmission interval (it
   * would have re-sent the FIN by then), and dropped if it re-sends the FIN first or the capture ends
   * before that — the FIN's sender then stays in LAST_ACK (CLOSING), as reference §7.9 has it.
   */
  private holdFinalAck(i: 0 | 1, s: ReplaySegment): void {
    const e = this.ep[i];
    if (e.ackHeld) return;
    if (this.held === null) this.held = [{ frame: 0, sec: 0, nsec: 0, deadline: 0 }, { frame: 0, sec: 0, nsec: 0, deadline: 0 }];
    const h = this.held[i];
    h.frame = s.frame; h.sec = s.tsSec; h.nsec = s.tsNsec;
    h.deadline = e.finLast + HOLD_INTERVALS * Math.max(e.finInterval, MIN_RTO_S);
    e.ackHeld = true;
    this.holding = true;
  }

  /** Deliver the held ACKs whose deadline `now` (s) has reached. */
  private releaseHeld(now: number): void {
    let still = false;
    for (const i of [0, 1] as const) {
      const e = this.ep[i];
      if (!e.ackHeld) continue;
      const h = this.held![i];
      if (now < h.deadline) { still = true; continue; }
      e.ackHeld = false;
      const from = e.state;
      this.commit(i, RCV_ACK_FIN, h.frame, h.sec, h.nsec, true);
      if (e.state !== from) e.setAckCommit(RCV_ACK_FIN, from, e.state, e.finSeq);
    }
    this.holding = still;
  }

  private dropHeld(): void {
    this.ep[0].ackHeld = false;
    this.ep[1].ackHeld = false;
    this.holding = false;
  }

  /**
   * The common case, kept small so the engine can inline it: a segment without SYN, FIN or RST
   * between endpoints with nothing pending, nothing to take back and nothing to infer. It only
   * moves the sender's highest sequence and acknowledgment. Returns false when the full rules apply.
   */
  private steady(s: ReplaySegment): boolean {
    if ((s.flags & (SYN | FIN | RST)) !== 0 || !this.started || this.inserting) return false;
    const A = this.ep[s.from];
    const B = this.ep[1 - s.from];
    if (!A.decided || A.state === SYN_SENT || A.hasRstCommit || A.pending.length > 0 ||
        B.state === SYN_RCVD || B.finKnown) return false;
    if ((s.flags & ACK) !== 0 && this.acksOneBeyondPeer(s)) return false; // rule 8c may apply
    A.noteSent(s);
    return true;
  }

  /** Every rule of §6.3, in order. */
  private full(s: ReplaySegment): void {
    const A = this.ep[s.from];
    const B = this.ep[1 - s.from];
    const f = s.flags;
    const syn = (f & SYN) !== 0, ack = (f & ACK) !== 0, rst = (f & RST) !== 0, fin = (f & FIN) !== 0;

    if (!this.started) {
      this.started = true;
      // rule 8a: a connection that starts with a SYN+ACK had a SYN the capture missed
      if (syn && ack && !rst) this.insert((1 - s.from) as 0 | 1, SYN, seqAdd(s.ack, -1), 0, 0, s);
    }
    // rule 6: the responder's first segment decides where it started
    if (!A.decided) {
      A.decided = true;
      if (rst || (syn && !ack)) A.state = A.initial = CLOSED;
    }

    if (!this.inserting) {
      // rule 8b: an ACK from an endpoint still in SYN_SENT acknowledges a SYN+ACK the capture missed
      if (ack && !syn && !rst && A.state === SYN_SENT && !A.synackQueued) {
        this.insert((1 - s.from) as 0 | 1, SYN | ACK, seqAdd(s.ack, -1), A.sndNxt, 0, s);
      }
      // rule 8c: an acknowledgment one beyond everything the peer sent implies the peer's FIN
      if (ack && !rst && !B.finKnown) this.inferFin(s);
    }

    // rule 4: evidence against delivery takes back ACK- and RST-driven commits
    if (!rst) {
      if (A.hasAckCommit && A.state === A.ackCommitTo) {
        const event = A.ackCommitEvent, key = A.ackCommitKey;
        if ((event === RCV_ACK_SYN && syn && A.isnKnown && s.seq === A.isn && s.seq === key) ||
            (event === RCV_ACK_FIN && fin && A.finKnown && seqAdd(s.seq, s.len) === A.finSeq && A.finSeq === key)) {
          this.change(s.from, event, s.frame, true, A.ackCommitFrom);
          A.clearAckCommit();
          if (event === RCV_ACK_FIN) A.finAckDoubted = true;
        }
      }
      if (A.hasRstCommit && !syn && A.state === A.rstCommitTo) {
        this.change(s.from, RCV_RST_OK, s.frame, true, A.rstCommitFrom);
        A.clearRstCommit();
      }
    }

    const end = seqAdd(s.seq, s.len + (syn ? 1 : 0) + (fin ? 1 : 0));
    const retransmission = !rst && (
      (syn && A.isnKnown && s.seq === A.isn) ||
      (fin && A.finKnown && seqAdd(s.seq, s.len) === A.finSeq) ||
      (s.len > 0 && A.sndNxtKnown && seqLt(s.seq, A.sndNxt)));

    // rule 3, then rule 4 for pending events
    // (sequence numbers travel inside the segment object: passed alone, V8 would box them)
    if (ack && A.pending.length > 0) this.commitAcknowledged(s.from, s);
    if (retransmission) this.contradict(s.from, s);

    // rule 1: the sender's own events
    if (syn) {
      if (!A.isnKnown) { A.isn = s.seq; A.isnKnown = true; }
      if (ack) A.synackSent++;
      this.commit(s.from, ack ? SND_SYNACK : SND_SYN, s.frame, s.tsSec, s.tsNsec, s.inferred);
    }
    if (rst) {
      this.commit(s.from, SND_RST, s.frame, s.tsSec, s.tsNsec, s.inferred);
      releasePending(A.pending);
    } else if (fin) {
      if (!A.finKnown) {
        A.finSeq = seqAdd(s.seq, s.len + (syn ? 1 : 0));
        A.finKnown = true;
        const acksPeer = ack && B.finKnown && seqGe(s.ack, seqAdd(B.finSeq, 1));
        if (s.from === 0) this.firstFin0 = acksPeer; else this.firstFin1 = acksPeer;
      }
      const t = s.tsSec + s.tsNsec / NS_PER_S;
      if (A.finSent > 0) {
        A.finInterval = t - A.finLast;
        if (A.ackHeld) { A.ackHeld = false; this.holding = this.ep[1 - s.from].ackHeld; } // re-sent: the held ACK was lost too
      }
      A.finLast = t;
      A.finSent++;
      this.commit(s.from, SND_FIN, s.frame, s.tsSec, s.tsNsec, s.inferred);
    }
    A.noteSent(s);

    // the receiver, in RFC order: RST, SYN, ACK, FIN
    const bi = (1 - s.from) as 0 | 1;
    if (rst) {
      if (this.rstAcceptable(B, A, s)) {
        const from = B.state;
        this.commit(bi, RCV_RST_OK, s.frame, s.tsSec, s.tsNsec, s.inferred);
        if (B.state !== from) B.setRstCommit(RCV_RST_OK, from, B.state, s.seq);
      }
      return;
    }
    if (syn) {
      if (!ack) {
        this.queue(bi, RCV_SYN, seqAdd(s.seq, 1), s.seq, s);
      } else {
        const ok = B.isnKnown && seqLt(B.isn, s.ack) && seqLe(s.ack, B.sndNxt);
        this.queue(bi, ok ? RCV_SYNACK_OK : RCV_SYNACK_BAD, seqAdd(s.seq, 1), s.seq, s);
        B.synackQueued = true;
      }
    }
    if (ack) {
      // an acceptable ACK in SYN_RCVD covers the SYN but nothing B never sent (RFC 9293 §3.10.7.4)
      if (B.state === SYN_RCVD && B.isnKnown && seqGe(s.ack, seqAdd(B.isn, 1)) && (!B.sndNxtKnown || seqLe(s.ack, B.sndNxt))) {
        B.setAckCommit(RCV_ACK_SYN, B.state, ESTABLISHED, B.isn);
        this.commit(bi, RCV_ACK_SYN, s.frame, s.tsSec, s.tsNsec, s.inferred);
      }
      if (B.finKnown && seqGe(s.ack, seqAdd(B.finSeq, 1))) {
        const from = B.state;
        if (B.finAckDoubted && (from === LAST_ACK || from === CLOSING)) {
          this.holdFinalAck(bi, s);
        } else {
          this.commit(bi, RCV_ACK_FIN, s.frame, s.tsSec, s.tsNsec, s.inferred);
          if (B.state !== from) B.setAckCommit(RCV_ACK_FIN, from, B.state, B.finSeq);
        }
      }
    }
    if (fin) this.queue(bi, RCV_FIN, end, seqAdd(s.seq, s.len + (syn ? 1 : 0)), s);

    // rule 9: in a flow where the peer has sent nothing captured, its ACK of a first SYN+ACK or FIN is presumed
    if (!this.inserting && !s.inferred && B.captured === 0 && ((syn && ack && A.synackSent === 1) || (fin && A.finSent === 1))) {
      this.insert(bi, ACK, B.sndNxtKnown ? B.sndNxt : seqAdd(s.ack, 0), end, 0, s);
    }
  }

  /** Insert an inferred segment from endpoint `from`, dated like the captured segment `at`. */
  private insert(from: 0 | 1, flags: number, seq: number, ack: number, len: number, at: ReplaySegment): void {
    const t = INSERTED;
    t.from = from; t.frame = at.frame; t.tsSec = at.tsSec; t.tsNsec = at.tsNsec;
    t.flags = flags; t.seq = seq >>> 0; t.ack = ack >>> 0; t.len = len; t.inferred = true;
    this.inferredSegments++;
    this.inserting = true;
    try {
      this.full(t); // (inferred segments never nest: `inserting` stops rules 8 and 9, and 8a runs once)
    } finally {
      this.inserting = false;
    }
  }

  /**
   * Rule 8c: S from A acknowledges exactly one more than everything B sent (X): B's FIN is implied,
   * when something corroborates it (A's FIN in or before S, or a flow where B was never captured).
   */
  private inferFin(s: ReplaySegment): void {
    const A = this.ep[s.from];
    const B = this.ep[1 - s.from];
    if (!this.acksOneBeyondPeer(s)) return;
    const corroborated = (s.flags & FIN) !== 0 || A.finKnown || B.captured === 0;
    if (!corroborated) return;
    if (B.state !== ESTABLISHED && B.state !== CLOSE_WAIT) return;
    // B's FIN occupies X = S.ack − 1
    this.insert((1 - s.from) as 0 | 1, FIN | ACK, seqAdd(s.ack, -1), A.sndNxtKnown ? A.sndNxt : 0, 0, s);
  }

  /**
   * Rule 8c's test: S from A acknowledges exactly X + 1, X being the later of B's highest sequence
   * number so far and the highest acknowledgment A sent before S.
   */
  private acksOneBeyondPeer(s: ReplaySegment): boolean {
    const A = this.ep[s.from];
    const B = this.ep[1 - s.from];
    let x = 0, known = false;
    if (B.sndNxtKnown) { x = B.sndNxt; known = true; }
    if (A.ackKnown && (!known || seqGt(A.highAck, x))) { x = A.highAck; known = true; }
    return known && s.ack === seqAdd(x, 1);
  }

  /** §6.2: is a RST from A acceptable to B, judged on B's displayed state? */
  private rstAcceptable(B: Endpoint, A: Endpoint, s: ReplaySegment): boolean {
    const bi = this.ep[0] === B ? 0 : 1;
    switch (this.shown(bi) & 15) {
      case CLOSED: case LISTEN: return false;
      case SYN_SENT:
        return (s.flags & ACK) !== 0 && B.isnKnown && seqLt(B.isn, s.ack) && seqLe(s.ack, B.sndNxt);
      // TIME_WAIT too: Linux kills it only for a RST at exactly RCV.NXT (recorded: fixtures/rough-path.pcap flow 9)
      default:
        if (!A.sndNxtKnown && !B.ackKnown) return true;
        // (B's highest ACK, not its latest captured one: a segment B sent earlier may reach the capture point late)
        return (A.sndNxtKnown && s.seq === A.sndNxt) || (B.ackKnown && s.seq === B.highAck);
    }
  }

  /** Rule 10: a SYN+ACK whose seq differs from its sender's known ISN starts a new connection. */
  startsNewConnection(from: 0 | 1, flags: number, seq: number): boolean {
    const a = this.ep[from];
    return (flags & (SYN | ACK | RST)) === (SYN | ACK) && a.isnKnown && seq !== a.isn;
  }

  // ------------------------------------------------------------------ endings

  /**
   * An ICMP error quoting endpoint i's SYN, at frame `frame`: an endpoint still in SYN_SENT gives the attempt up
   * (RCV_ICMP_ERR). A quoted header is no segment of the flow; this is its only effect on the replay.
   */
  icmpError(i: 0 | 1, frame: number, tsSec: number, tsNsec: number): void {
    if (this.ep[i].state !== SYN_SENT) return;
    this.atFrame = frame;
    this.atSec = tsSec + tsNsec / NS_PER_S;
    releasePending(this.ep[i].pending);
    this.commit(i, RCV_ICMP_ERR, frame, tsSec, tsNsec, false);
  }

  /** Both endpoints get ABORT at frame `frame`, time `atSec`: a newer connection on the same 4-tuple supersedes this one. */
  abort(frame: number, atSec: number): void {
    this.atFrame = frame;
    this.atSec = atSec;
    this.dropHeld();
    for (const i of [0, 1] as const) {
      releasePending(this.ep[i].pending);
      this.change(i, ABORT, frame, false);
    }
  }

  /**
   * Rule 5 at the end of the capture: commit what is pending (unconfirmed), except contradicted
   * events and the queue of an endpoint that never sent anything; then expire TIME_WAIT.
   */
  finish(endSec: number, endNsec: number, timeWaitSeconds: number): void {
    this.atFrame = -1;
    this.atSec = endSec + endNsec / NS_PER_S;
    if (this.holding) this.releaseHeld(this.atSec);
    this.dropHeld();
    for (const i of [0, 1] as const) {
      const e = this.ep[i];
      if (e.sent > 0) {
        for (const p of e.pending) {
          if (!p.contradicted) this.commit(i, p.event, p.frame, p.tsSec, p.tsNsec, true);
        }
      }
      releasePending(e.pending);
      if (e.state === TIME_WAIT) {
        if (timeWaitEndedAt(e.twSec, e.twNsec, timeWaitSeconds, endSec, endNsec)) this.change(i, TIMEOUT_TW, -1, false);
      }
    }
  }

  /** Both endpoints are closed and nothing is pending: the working state can be released. */
  get over(): boolean {
    const a = this.ep[0], b = this.ep[1];
    return a.state === CLOSED && b.state === CLOSED && a.pending.length === 0 && b.pending.length === 0;
  }

  /** Both endpoints are CLOSED or in TIME_WAIT, nothing pending: only a timer or a new connection changes it. */
  get quiescent(): boolean {
    const a = this.ep[0], b = this.ep[1];
    return (a.state === CLOSED || a.state === TIME_WAIT) && (b.state === CLOSED || b.state === TIME_WAIT) &&
      a.pending.length === 0 && b.pending.length === 0;
  }

  /** Both endpoints are CLOSED or TIME_WAIT that expired by `nowSec`, nothing pending. */
  expiredBy(nowSec: number, timeWaitSeconds: number): boolean {
    for (let i = 0; i < 2; i++) {
      const e = this.ep[i];
      if (e.pending.length > 0) return false;
      if (e.state === TIME_WAIT) {
        if (!timeWaitEndedBy(e.twSec, timeWaitSeconds, nowSec)) return false;
      } else if (e.state !== CLOSED) {
        return false;
      }
    }
    return true;
  }
}
