/** The ids of every finding synfin reports, and the variants of those that have them. */
import { WIRESHARK_KINDS } from './seq-analysis.js';

/** Every anomaly id synfin reports (reference §11). */
export const ANOMALY_KINDS = [
  ...WIRESHARK_KINDS.map((k) => k.id),
  'syn-unanswered', 'connection-refused', 'handshake-aborted', 'synack-unanswered', 'handshake-bad-ack', 'reset', 'invalid-rst',
  'half-open', 'missing-final-ack', 'close-wait-stuck', 'time-wait-excess', 'time-wait-server-side', 'data-after-close',
  'state-violation', 'duplicate-frame', 'capture-loss',
];

/** The variants of the kinds that have them (reference §7): `--fail-on kind:variant` names one of these. */
export const ANOMALY_VARIANTS: Record<string, readonly string[]> = {
  'capture-loss': ['filtered', 'interface-drops'],
  'data-after-close': ['after-own-fin', 'after-rst'],
  'half-open': ['late-fin-reset', 'no-tcb-rst', 'stale-syn'],
  'handshake-aborted': ['initiator-rst', 'responder-rst'],
  'handshake-bad-ack': ['ack-without-flag', 'synack-ack', 'synack-wrong-direction', 'third-ack'],
  'invalid-rst': ['crossed-fin', 'sender-continued', 'time-wait', 'unacceptable-ack', 'out-of-window'],
  'missing-final-ack': ['not-seen', 'seen-but-lost'],
  reset: ['abort', 'after-fin', 'time-wait', 'abortive-close'],
  'state-violation': ['no-ack', 'syn-fin', 'syn-rst', 'fin-rst'],
  'time-wait-excess': ['port-pressure'],
};

