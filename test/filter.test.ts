import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter, filterNeedsFindings, FilterError } from '../src/analysis/filter.js';
import type { FlowReport } from '../src/analysis/flows.js';
import { CLI, ROOT } from './helpers/corpus.js';

const flow = (o: Partial<FlowReport> = {}): FlowReport => ({
  id: 0, client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '10.0.0.2', port: 443 }, ipVersion: 4, firstFrame: 1, lastFrame: 9,
  firstTs: '1.000000000', lastTs: '2.000000000', duration: 1, packets: 9, bytes: 900,
  c2s: { packets: 5, bytes: 500, payloadBytes: 100 }, s2c: { packets: 4, bytes: 400, payloadBytes: 100 },
  handshake: { synToSynAck: null, synAckToAck: null, rtt: null },
  options: { mss: { client: null, server: null }, windowScale: null, windowScaling: 'unknown', sackPermitted: false, timestamps: false },
  finalState: { client: 'FIN_WAIT_2', server: 'CLOSE_WAIT' }, assumed: false, closedBy: 'client', connState: 'S2', history: 'ShADadF',
  partial: false, roleInferred: false, oneSided: false, connections: 1, inferredSegments: 0, oversizedSegments: 0, ...o,
});
const test = (expr: string, f = flow(), kinds: string[] = [], classes: string[] = []) => compileFilter(expr)({ flow: f, kinds: new Set(kinds), classes });

describe('the filter language', () => {
  it('fields, alternatives, negation, flags; all terms must hold', () => {
    expect(test('state:CLOSE_WAIT')).toBe(true);
    expect(test('state:close-wait port:443')).toBe(true);
    expect(test('server-state:CLOSE_WAIT client-state:TIME_WAIT')).toBe(false);
    expect(test('client-state:TIME_WAIT|FIN_WAIT_2')).toBe(true);
    expect(test('host:10.0.0.2 !partial')).toBe(true);
    expect(test('partial')).toBe(false);
    expect(test('zeek:s2 closed-by:client')).toBe(true);
    expect(test('closed-by:none', flow({ closedBy: null }))).toBe(true);
    expect(test('kind:retransmission', flow(), ['retransmission'])).toBe(true);
    expect(test('anomalies')).toBe(false);
    expect(test('port:80')).toBe(false);
    expect(test('class:in-progress', flow(), [], ['in-progress'])).toBe(true);
    expect(test('class:closed-graceful|closed-reset', flow(), [], ['in-progress'])).toBe(false);
    expect(test('!class:midstream', flow(), [], [])).toBe(true);
  });

  it('host: takes an address in any spelling, as synfin prints it or otherwise', () => {
    const v6 = flow({ client: { ip: 'fd77::1', port: 40000 }, server: { ip: 'fd77::2', port: 8080 }, ipVersion: 6 });
    for (const h of ['fd77::1', '[fd77::1]', 'FD77:0:0::1', 'fd77:0:0:0:0:0:0:1']) expect(test(`host:${h}`, v6)).toBe(true);
    expect(test('host:fd77::3', v6)).toBe(false);
    expect(() => compileFilter('host:banana')).toThrow(/^host:banana: expected an IPv4 or IPv6 address$/);
  });

  it('bad expressions name the bad term', () => {
    const err = (e: string) => { try { compileFilter(e); } catch (x) { expect(x).toBeInstanceOf(FilterError); return (x as Error).message; } return 'no error'; };
    expect(err('state:CLOSE-WAITING')).toMatch(/^state:CLOSE-WAITING: unknown state CLOSE-WAITING/);
    expect(err('colour:red')).toMatch(/^colour:red: unknown field colour/);
    expect(err('port:http')).toMatch(/expected a port number/);
    expect(err('lossy')).toMatch(/^lossy: unknown flag/);
    expect(err('class:open')).toMatch(/^class:open: unknown class open \(known: attempt-pending, midstream, in-progress, /);
    expect(err('state:')).toMatch(/missing value/);
    expect(err('   ')).toBe('empty filter');
  });

  it('knows which terms need the findings', () => {
    expect(filterNeedsFindings('state:CLOSED kind:reset')).toBe(true);
    expect(filterNeedsFindings('!anomalies')).toBe(true);
    expect(filterNeedsFindings('class:in-progress')).toBe(true);
    expect(filterNeedsFindings('port:80')).toBe(false);
  });
});

describe('--filter on flows and analyze', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const fx = (n: string) => join(ROOT, 'fixtures', `${n}.pcap`);

  it('flows keeps only the matching connections', () => {
    const j = JSON.parse(run(['flows', '--json', '--filter', 'state:TIME_WAIT', fx('port-reuse')]).stdout);
    expect(j.flows.map((f: { id: number }) => f.id)).toEqual([2]);
  });

  it('analyze restricts the findings to the matching connections', () => {
    const all = JSON.parse(run(['analyze', '--json', fx('port-reuse')]).stdout);
    const some = JSON.parse(run(['analyze', '--json', '--filter', 'closed-by:client !kind:port-reuse', fx('port-reuse')]).stdout);
    expect(all.anomalies.length).toBeGreaterThan(0);
    expect(some.flows.map((f: { id: number }) => f.id)).toEqual([0]);
    expect(some.anomalies.filter((x: { flow: number | null }) => x.flow !== null && x.flow !== 0)).toEqual([]);
  });

  it('analyze keeps the connections of a class (reference §7.12); flows, which has no classes, refuses the term', () => {
    const live = JSON.parse(run(['analyze', '--json', '--filter', 'class:in-progress', fx('close-wait-leak')]).stdout);
    expect(live.flows).toHaveLength(20);
    expect(live.flows.every((f: { classes: string[] }) => f.classes.includes('in-progress'))).toBe(true);
    // stuck by a threshold of 0 s: close-wait-stuck explains them, so they are no longer merely in progress
    expect(JSON.parse(run(['analyze', '--json', '--close-wait-threshold', '0s', '--filter', 'class:in-progress', fx('close-wait-leak')]).stdout).flows).toEqual([]);
    const r = run(['flows', '--filter', 'class:in-progress', fx('close-wait-leak')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synfin: error: kind:, class: and anomalies need the findings: use synfin analyze --filter/);
  });

  it('bad filters are a one-line error, exit 1', () => {
    const r = run(['analyze', '--filter', 'state:NOPE', fx('port-reuse')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/state:NOPE: unknown state NOPE/);
    expect(run(['flows', '--filter', 'kind:reset', fx('port-reuse')]).status).toBe(1);
  });
});
