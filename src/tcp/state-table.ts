/**
 * The TCP state machine of RFC 9293, as data: one table of (state, event) → next state.
 * Every row names its source. Rows marked `observer` are inferences a passive observer
 * needs that the RFC does not state as transitions (for example a SYN+ACK from a host
 * whose SYN the capture missed). Pairs not listed leave the state unchanged.
 *
 * The tracker, the anomaly rules, the ladder and grading all replay this one table;
 * nothing else in synfin decides what "closed" means.
 */

export const STATES = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK',
] as const;
export type State = (typeof STATES)[number];

export const CLOSED = 0, LISTEN = 1, SYN_SENT = 2, SYN_RCVD = 3, ESTABLISHED = 4, FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6, CLOSING = 7, TIME_WAIT = 8, CLOSE_WAIT = 9, LAST_ACK = 10;

/** Events an endpoint can undergo (reference §6.1). */
export const EVENTS = [
  'SND_SYN', 'SND_SYNACK', 'SND_FIN', 'SND_RST', 'RCV_SYN', 'RCV_SYNACK_OK', 'RCV_SYNACK_BAD',
  'RCV_ACK_SYN', 'RCV_ACK_FIN', 'RCV_FIN', 'RCV_RST_OK', 'TIMEOUT_TW', 'ABORT', 'RCV_ICMP_ERR',
] as const;
export type EventName = (typeof EVENTS)[number];

export const SND_SYN = 0, SND_SYNACK = 1, SND_FIN = 2, SND_RST = 3, RCV_SYN = 4, RCV_SYNACK_OK = 5,
  RCV_SYNACK_BAD = 6, RCV_ACK_SYN = 7, RCV_ACK_FIN = 8, RCV_FIN = 9, RCV_RST_OK = 10, TIMEOUT_TW = 11, ABORT = 12, RCV_ICMP_ERR = 13;

export const EVENT_MEANING: Record<EventName, string> = {
  SND_SYN: 'sends SYN without ACK',
  SND_SYNACK: 'sends SYN+ACK',
  SND_FIN: 'sends FIN (without RST)',
  SND_RST: 'sends RST',
  RCV_SYN: 'receives SYN without ACK',
  RCV_SYNACK_OK: 'receives SYN+ACK acknowledging its SYN',
  RCV_SYNACK_BAD: 'receives SYN+ACK with a wrong acknowledgment',
  RCV_ACK_SYN: 'receives the acknowledgment of its SYN (in SYN_RCVD)',
  RCV_ACK_FIN: 'receives the acknowledgment of its FIN',
  RCV_FIN: 'receives FIN',
  RCV_RST_OK: 'receives an acceptable RST',
  TIMEOUT_TW: 'the TIME_WAIT timer expires (2MSL; Linux: 60 s)',
  ABORT: 'the connection is superseded (a new connection on the same 4-tuple)',
  RCV_ICMP_ERR: 'receives an ICMP error about its SYN (destination unreachable, time exceeded; not a path-MTU message)',
};

export interface Transition {
  readonly from: State;
  readonly on: EventName;
  readonly to: State;
  readonly ref: string;
  readonly note: string;
  /** An inference of a passive observer, not a transition the RFC lists. */
  readonly observer?: boolean;
}

const R_OPEN = 'RFC 9293 §3.10.1';
const R_SYN_SENT = 'RFC 9293 §3.10.7.3';
const R_LISTEN = 'RFC 9293 §3.10.7.2';
const R_OTHER = 'RFC 9293 §3.10.7.4';
const R_CLOSE = 'RFC 9293 §3.10.4';
const R_ABORT = 'RFC 9293 §3.10.5';
const R_TW = 'RFC 9293 §3.10.8';
const R_5961 = 'RFC 5961 §4';
const R_ICMP = 'RFC 5461 §2.1, RFC 1122 §4.2.3.9';

const SYNCHRONIZED: State[] = ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK'];

export const TRANSITIONS: readonly Transition[] = [
  // opening
  { from: 'CLOSED', on: 'SND_SYN', to: 'SYN_SENT', ref: R_OPEN, note: 'active open' },
  { from: 'CLOSED', on: 'RCV_SYN', to: 'CLOSED', ref: 'RFC 9293 §3.10.7.1', note: 'no listener: replies RST+ACK' },
  { from: 'CLOSED', on: 'SND_SYNACK', to: 'SYN_RCVD', ref: R_LISTEN, note: 'the SYN it answers was not captured', observer: true },
  { from: 'LISTEN', on: 'SND_SYNACK', to: 'SYN_RCVD', ref: R_LISTEN, note: 'the SYN it answers was not captured', observer: true },
  { from: 'LISTEN', on: 'RCV_SYN', to: 'SYN_RCVD', ref: R_LISTEN, note: 'passive open: replies SYN+ACK' },
  { from: 'LISTEN', on: 'SND_SYN', to: 'SYN_SENT', ref: R_OPEN, note: 'a listener turned active (rare)' },
  { from: 'LISTEN', on: 'RCV_RST_OK', to: 'LISTEN', ref: R_LISTEN, note: 'a RST is ignored in LISTEN' },
  { from: 'SYN_SENT', on: 'RCV_SYNACK_OK', to: 'ESTABLISHED', ref: R_SYN_SENT, note: 'replies ACK, the third segment of the handshake' },
  { from: 'SYN_SENT', on: 'RCV_SYNACK_BAD', to: 'SYN_SENT', ref: R_SYN_SENT, note: 'unacceptable ACK: replies RST with seq = SYN+ACK.ack' },
  { from: 'SYN_SENT', on: 'RCV_SYN', to: 'SYN_RCVD', ref: R_SYN_SENT, note: 'simultaneous open: replies SYN+ACK' },
  { from: 'SYN_SENT', on: 'RCV_RST_OK', to: 'CLOSED', ref: R_SYN_SENT, note: 'connection refused (RST acknowledging the SYN)' },
  { from: 'SYN_RCVD', on: 'RCV_ACK_SYN', to: 'ESTABLISHED', ref: R_OTHER, note: 'the third segment (or any segment acknowledging the SYN)' },
  { from: 'SYN_RCVD', on: 'RCV_SYNACK_OK', to: 'ESTABLISHED', ref: R_OTHER, note: 'simultaneous open: the peer\'s SYN+ACK acknowledges its SYN' },
  { from: 'SYN_RCVD', on: 'RCV_SYN', to: 'SYN_RCVD', ref: R_OTHER, note: 'retransmitted SYN: replies with the SYN+ACK again' },
  { from: 'SYN_RCVD', on: 'RCV_RST_OK', to: 'CLOSED', ref: R_OTHER, note: 'handshake aborted; the flow endpoint is gone (the listener is another socket)' },
  { from: 'SYN_RCVD', on: 'SND_FIN', to: 'FIN_WAIT_1', ref: R_CLOSE, note: 'close before the handshake completed' },
  { from: 'SYN_RCVD', on: 'RCV_FIN', to: 'SYN_RCVD', ref: R_OTHER, note: 'a FIN is processed only after an acceptable ACK' },
  // closing
  { from: 'ESTABLISHED', on: 'SND_FIN', to: 'FIN_WAIT_1', ref: R_CLOSE, note: 'active close' },
  { from: 'ESTABLISHED', on: 'RCV_FIN', to: 'CLOSE_WAIT', ref: R_OTHER, note: 'passive close: replies ACK' },
  { from: 'FIN_WAIT_1', on: 'RCV_ACK_FIN', to: 'FIN_WAIT_2', ref: R_OTHER, note: 'its FIN is acknowledged' },
  { from: 'FIN_WAIT_1', on: 'RCV_FIN', to: 'CLOSING', ref: R_OTHER, note: 'simultaneous close: replies ACK' },
  { from: 'FIN_WAIT_2', on: 'RCV_FIN', to: 'TIME_WAIT', ref: R_OTHER, note: 'replies ACK, starts the TIME_WAIT timer' },
  { from: 'CLOSING', on: 'RCV_ACK_FIN', to: 'TIME_WAIT', ref: R_OTHER, note: 'simultaneous close completes' },
  { from: 'CLOSE_WAIT', on: 'SND_FIN', to: 'LAST_ACK', ref: R_CLOSE, note: 'passive close' },
  { from: 'LAST_ACK', on: 'RCV_ACK_FIN', to: 'CLOSED', ref: R_OTHER, note: 'the final ACK' },
  { from: 'TIME_WAIT', on: 'RCV_FIN', to: 'TIME_WAIT', ref: R_OTHER, note: 'retransmitted FIN: replies ACK, restarts the timer (Linux)' },
  { from: 'TIME_WAIT', on: 'TIMEOUT_TW', to: 'CLOSED', ref: R_TW, note: 'the TIME_WAIT timer (2MSL) expired' },
  { from: 'SYN_SENT', on: 'RCV_ICMP_ERR', to: 'CLOSED', ref: R_ICMP, note: 'the connection attempt fails on an ICMP error (Linux aborts it, as for a hard error)' },
  { from: 'TIME_WAIT', on: 'RCV_RST_OK', to: 'CLOSED', ref: R_OTHER, note: 'Linux default (tcp_rfc1337 = 0); RFC 1337 would ignore it' },
  { from: 'TIME_WAIT', on: 'SND_SYN', to: 'SYN_SENT', ref: R_OPEN, note: 'the TIME_WAIT holder reconnects on the same 4-tuple with the old ISN (tcp_tw_reuse)' },
  // repeated SYN in synchronized states: challenge ACK, no change
  ...[...SYNCHRONIZED, 'TIME_WAIT' as State].map((s): Transition => (
    { from: s, on: 'RCV_SYN', to: s, ref: R_5961, note: 'a repeated SYN: replies with a challenge ACK' })),
  // reset and abort
  ...SYNCHRONIZED.map((s): Transition => ({ from: s, on: 'RCV_RST_OK', to: 'CLOSED', ref: R_OTHER, note: 'connection reset by the peer' })),
  ...STATES.filter((s) => s !== 'CLOSED').map((s): Transition => ({ from: s, on: 'SND_RST', to: 'CLOSED', ref: R_ABORT, note: 'it aborts the connection' })),
  ...STATES.filter((s) => s !== 'CLOSED').map((s): Transition => ({ from: s, on: 'ABORT', to: 'CLOSED', ref: 'RFC 9293 §3.10.7', note: 'a new connection on the same 4-tuple supersedes this one', observer: true })),
];

const NS = STATES.length;
const NE = EVENTS.length;
/** Compiled lookup: NEXT[state * NE + event] = next state, or −1 when the pair is not listed. */
const NEXT = new Int8Array(NS * NE).fill(-1);
const ROW = new Int16Array(NS * NE).fill(-1);
TRANSITIONS.forEach((t, i) => {
  const k = STATES.indexOf(t.from) * NE + EVENTS.indexOf(t.on);
  if (ROW[k] !== -1) throw new Error(`duplicate transition ${t.from} × ${t.on}`);
  NEXT[k] = STATES.indexOf(t.to);
  ROW[k] = i;
});

/** Next state of an endpoint in `state` on `event` (unchanged when the pair is not listed). */
export function nextState(state: number, event: number): number {
  const n = NEXT[state * NE + event];
  return n < 0 ? state : n;
}

/** The table row that applies, or undefined when the pair leaves the state unchanged. */
export function transitionRow(state: number, event: number): Transition | undefined {
  const i = ROW[state * NE + event];
  return i < 0 ? undefined : TRANSITIONS[i];
}

/** The state names as families, for colouring and grouping. */
export function stateFamily(s: State): 'open' | 'opening' | 'closing' | 'time-wait' | 'close-wait' | 'closed' {
  switch (s) {
    case 'ESTABLISHED': return 'open';
    case 'LISTEN': case 'SYN_SENT': case 'SYN_RCVD': return 'opening';
    case 'FIN_WAIT_1': case 'FIN_WAIT_2': case 'CLOSING': case 'LAST_ACK': return 'closing';
    case 'TIME_WAIT': return 'time-wait';
    case 'CLOSE_WAIT': return 'close-wait';
    case 'CLOSED': return 'closed';
  }
}
