/**
 * Colours: state families from the state table (one notion of "closed"), severities as in the
 * text report. With NO_COLOR set, nothing is coloured; the cursor stays in inverse video.
 */
import { stateFamily, type State } from '../tcp/state-table.js';

export type Colour = 'green' | 'cyan' | 'yellow' | 'blue' | 'magenta' | 'red' | 'gray' | undefined;

export const colourEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => !env.NO_COLOR;

const FAMILY: Record<ReturnType<typeof stateFamily>, Colour> = {
  open: 'green', opening: 'cyan', closing: 'yellow', 'time-wait': 'blue', 'close-wait': 'magenta', closed: 'gray',
};

/** Zeek conn_states that mean the connection ended with a reset (or was refused). */
const RESET_CONN_STATES = new Set(['RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'REJ']);

/** A state's colour: its family's, and red for a CLOSED reached by a reset. */
export function stateColour(on: boolean, s: State, connState = ''): Colour {
  if (!on) return undefined;
  if (s === 'CLOSED' && RESET_CONN_STATES.has(connState)) return 'red';
  return FAMILY[stateFamily(s)];
}

const SEVERITY: Record<'error' | 'warn' | 'note' | 'info', Colour> = { error: 'red', warn: 'yellow', note: 'cyan', info: 'gray' };

export const severityColour = (on: boolean, s: 'error' | 'warn' | 'note' | 'info'): Colour => (on ? SEVERITY[s] : undefined);
