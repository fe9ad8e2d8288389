/**
 * A small expression language to pick connections: terms separated by spaces must all hold;
 * `a|b` inside a term means either value; `!` negates a term.
 *
 *   state:CLOSE_WAIT           either endpoint's final state
 *   client-state:TIME_WAIT     the client's (server-state: the server's)
 *   port:443  host:10.0.0.2    either endpoint
 *   kind:retransmission        the connection has a finding of this kind
 *   class:in-progress          the connection has this class (reference §7.12)
 *   zeek:SF  closed-by:server  Zeek conn_state; who closed first (client, server, simultaneous, none)
 *   partial  one-sided  anomalies   flags: mid-stream, one direction only, any finding
 */
import { canonicalIp } from '../report/addr.js';
import { STATES } from '../tcp/state-table.js';
import { FLOW_CLASSES } from './lifecycle.js';
import type { FlowReport } from './flows.js';

export class FilterError extends Error {}

/** The fields of a flow report the filter language reads. */
export type FilterableFlow = Pick<FlowReport, 'client' | 'server' | 'finalState' | 'connState' | 'closedBy' | 'partial' | 'oneSided'>;

/** What a filter can ask about a flow: those fields, and the kinds of its findings. */
export interface FlowFacts {
  flow: FilterableFlow;
  kinds: ReadonlySet<string>;
  /** Its classes (reference §7.12), which only `analyze` computes; none otherwise. */
  classes: readonly string[];
}

type Test = (f: FlowFacts) => boolean;

const FLAGS: Record<string, Test> = {
  partial: (f) => f.flow.partial,
  'one-sided': (f) => f.flow.oneSided,
  anomalies: (f) => f.kinds.size > 0,
};

function stateName(v: string, term: string): string {
  const s = v.toUpperCase().replace(/-/g, '_');
  if (!(STATES as readonly string[]).includes(s)) throw new FilterError(`${term}: unknown state ${v} (known: ${STATES.join(', ')})`);
  return s;
}

function valueTest(key: string, value: string, term: string): Test {
  switch (key) {
    case 'state': { const s = stateName(value, term); return (f) => f.flow.finalState.client === s || f.flow.finalState.server === s; }
    case 'client-state': { const s = stateName(value, term); return (f) => f.flow.finalState.client === s; }
    case 'server-state': { const s = stateName(value, term); return (f) => f.flow.finalState.server === s; }
    case 'port': {
      const p = Number(value);
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new FilterError(`${term}: expected a port number`);
      return (f) => f.flow.client.port === p || f.flow.server.port === p;
    }
    case 'host': {
      // any spelling of the address: with brackets, zero groups written out, upper case
      const ip = canonicalIp(value);
      if (ip === null) throw new FilterError(`${term}: expected an IPv4 or IPv6 address`);
      return (f) => f.flow.client.ip === ip || f.flow.server.ip === ip;
    }
    case 'kind': return (f) => f.kinds.has(value);
    case 'class': {
      if (!(FLOW_CLASSES as readonly string[]).includes(value)) throw new FilterError(`${term}: unknown class ${value} (known: ${FLOW_CLASSES.join(', ')})`);
      return (f) => f.classes.includes(value);
    }
    case 'zeek': { const z = value.toUpperCase(); return (f) => f.flow.connState === z; }
    case 'closed-by': {
      if (!['client', 'server', 'simultaneous', 'none'].includes(value)) throw new FilterError(`${term}: expected client, server, simultaneous or none`);
      return (f) => (f.flow.closedBy ?? 'none') === value;
    }
    default:
      throw new FilterError(`${term}: unknown field ${key} (known: state, client-state, server-state, port, host, kind, class, zeek, closed-by; flags: ${Object.keys(FLAGS).join(', ')})`);
  }
}

/** Whether the expression asks about findings or classes (kind:, class:, anomalies), which only `analyze` computes. */
export function filterNeedsFindings(expr: string): boolean {
  return expr.split(' ').some((t) => { const b = t.startsWith('!') ? t.slice(1) : t; return b === 'anomalies' || b.startsWith('kind:') || b.startsWith('class:'); });
}

/** Compile a filter expression into a test; throws FilterError naming the bad term. */
export function compileFilter(expr: string): Test {
  const terms = expr.split(' ').filter((t) => t.length > 0);
  if (terms.length === 0) throw new FilterError('empty filter');
  const tests = terms.map((term): Test => {
    const negate = term.startsWith('!');
    const body = negate ? term.slice(1) : term;
    const colon = body.indexOf(':');
    let t: Test;
    if (colon < 0) {
      const flag = FLAGS[body];
      if (flag === undefined) throw new FilterError(`${term}: unknown flag (known: ${Object.keys(FLAGS).join(', ')}; or field:value)`);
      t = flag;
    } else {
      const key = body.slice(0, colon);
      const values = body.slice(colon + 1).split('|');
      if (values.some((v) => v === '')) throw new FilterError(`${term}: missing value after ${key}:`);
      const alts = values.map((v) => valueTest(key, v, term));
      t = (f) => alts.some((a) => a(f));
    }
    return negate ? (f) => !t(f) : t;
  });
  return (f) => tests.every((t) => t(f));
}
