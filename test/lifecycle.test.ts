import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture, mergeLeaks } from '../src/analysis/analyze.js';
import { DEFAULT_THRESHOLDS, icmpName } from '../src/analysis/lifecycle.js';
import { renderLeakFindings, renderLeakTables } from '../src/report/analyze.js';
import { formatDuration, parseDuration } from '../src/report/duration.js';
import { WIRESHARK_KINDS } from '../src/analysis/seq-analysis.js';
import { CLI, ROOT } from './helpers/corpus.js';
import { recordedFixtures } from './helpers/fixtures.js';
import { clientCloseWaitCapture, closeWaitKeepAliveCapture, closingAtEndCapture, finalAckAgainCapture, threeFlowsCapture } from './helpers/synthetic.js';
import { rewritePcap, tmpFile } from './helpers/pcap-writer.js';
import { testDir } from './helpers/tmp.js';

const WIRESHARK = new Set(WIRESHARK_KINDS.map((k) => k.id));
const fx = (name: string) => [join(ROOT, 'fixtures', `${name}.pcap`), join(ROOT, 'fixtures', `${name}.pcapng`)].find(existsSync)!;

/** Lifecycle findings (not the Wireshark flags) as "kind" or "kind:variant" counts. */
async function lifecycle(name: string, thresholds = {}): Promise<Record<string, number>> {
  const a = await analyzeCapture(fx(name), { thresholds });
  const out: Record<string, number> = {};
  for (const x of a.anomalies) {
    if (WIRESHARK.has(x.kind)) continue;
    const k = x.variant ? `${x.kind}:${x.variant}` : x.kind;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** What each recorded scenario must raise with the default thresholds, and nothing else. */
const EXPECTED: Record<string, Record<string, number>> = {
  // every frame twice: each copy but the SYN+ACK's (IPv4 ID 0, no identity) is a duplicate
  'bridge-any-duplicates': { 'duplicate-frame': 11 },
  'connection-refused': { 'connection-refused': 1 },
  'final-ack-lost': { 'missing-final-ack:seen-but-lost': 1 },
  'half-open': { 'half-open:no-tcb-rst': 1 },
  'late-fin-reset': { 'half-open:late-fin-reset': 1 },
  // (the SYN+ACK that follows jumps to a new sequence space: that is no capture loss)
  'stale-syn': { 'half-open:stale-syn': 1 },
  // (flow 9's FIN was lost before the capture point and sent again: the gap it left is no capture loss)
  'lossy-many': {},
  'lossy-server-side': { 'time-wait-server-side': 1 },
  'missing-final-ack': { 'missing-final-ack:not-seen': 1 },
  // reordered data ahead of the third segment is no bad third ACK; the server, closed, resets a late ACK of the client in TIME_WAIT
  'reorder': { 'reset:time-wait': 1 },
  'rough-transfer': { 'reset:time-wait': 1 },
  // 30 server-first closes on a lossy, reordering path: late segments reach clients that have closed; their RSTs end the
  // server's TIME_WAIT when they carry exactly the next sequence number (11, as ss shows 19 TIME_WAIT left), and not when
  // they answer a segment the server sent before the client's FIN arrived (2)
  'rough-path': { 'reset:time-wait': 11, 'invalid-rst:crossed-fin': 2, 'time-wait-server-side': 1 },
  // an idle keep-alive connection closed while a request is on its way: the server resets it, its first RST crossing the FIN
  'keepalive-race': { 'invalid-rst:crossed-fin': 1, 'reset:after-fin': 1 },
  'rst-abort': { 'reset:abort': 1 },
  // 20 client aborts with SO_LINGER 0: each a reset, and the habit one finding about the client host
  'abort-storm': { 'reset:abort': 20, 'reset:abortive-close': 1 },
  'server-abort': { 'reset:abort': 1 },
  'server-time-wait': { 'time-wait-server-side': 1 },
  'syn-unanswered': { 'syn-unanswered': 1 },
  // a single SYN, but answered by an ICMP error: flagged at once, with the error named
  'syn-icmp-prohibited': { 'syn-unanswered': 1 },
  'synack-rejected': { 'handshake-aborted:initiator-rst': 1 },
  'synack-unanswered': { 'synack-unanswered': 1 },
};

/** The flow classes (reference §7.12) of each recorded scenario, counted over its flows. */
const EXPECTED_CLASSES: Record<string, Record<string, number>> = {
  'abort-storm': { 'closed-reset': 20 },
  'bridge-any-duplicates': { 'closed-graceful': 1 },
  // the threshold (10 s) has not passed: no close-wait-stuck says why the servers have not closed, so they are in progress
  'close-wait-leak': { 'in-progress': 20 },
  'connection-refused': { 'closed-reset': 1 },
  // (missing-final-ack explains the server left in LAST_ACK: neither in progress nor graceful)
  'final-ack-lost': {},
  'half-close': { 'closed-graceful': 1 },
  'half-open': { 'closed-reset': 1 },
  'http-close-client-first-ns': { 'closed-graceful': 1 },
  'http-close-client-first': { 'closed-graceful': 1 },
  'keepalive-idle': { 'closed-graceful': 1 },
  'keepalive-race': { 'closed-reset': 1 },
  'late-fin-reset': { 'closed-reset': 1 },
  'lossy-many': { 'closed-graceful': 40 },
  'lossy-server-side': { 'closed-graceful': 30 },
  'lossy-transfer': { 'closed-graceful': 1 },
  'midstream': { midstream: 1, 'closed-graceful': 1 },
  'missing-final-ack': {},
  'nflog': { 'closed-graceful': 1 },
  'no-tcp': {},
  'offloads-on': { 'closed-graceful': 1 },
  // the silent side's segments are inferred (§6.3 rule 9), its close with them
  'one-sided': { 'closed-graceful': 1 },
  'port-reuse': { 'closed-graceful': 3 },
  'reorder': { 'closed-graceful': 1 },
  // RSTs that cut TIME_WAIT short (reset:time-wait) end no connection: the closes were graceful
  'rough-path': { 'closed-graceful': 30 },
  'rough-transfer': { 'closed-graceful': 1 },
  'rst-abort': { 'closed-reset': 1 },
  'server-abort': { 'closed-reset': 1 },
  'server-closes-first': { 'closed-graceful': 1 },
  'server-time-wait': { 'closed-graceful': 12 },
  'simultaneous-close': { 'closed-graceful': 1, 'simultaneous-close': 1 },
  'simultaneous-open': { 'closed-graceful': 1, 'simultaneous-open': 1 },
  // the forgotten connection is superseded by the new SYN: neither closed nor reset, half-open:stale-syn says what happened
  'stale-syn': { 'closed-graceful': 1 },
  'syn-icmp-prohibited': {},
  'syn-unanswered': {},
  'synack-lost': { 'closed-graceful': 1 },
  'synack-rejected': { 'closed-reset': 1 },
  'synack-unanswered': {},
  'time-wait-storm': { 'closed-graceful': 200 },
  'tunnels': { 'closed-graceful': 2 },
  'zero-window': { 'closed-graceful': 1 },
  'dumpcap-two-interfaces': { 'closed-graceful': 6 },
  'ipv6-close-server-first': { 'closed-graceful': 1 },
};

describe('flow classes (reference §7.12)', () => {
  for (const { truth, capture } of recordedFixtures()) {
    it(`${truth.scenario}: ${Object.entries(EXPECTED_CLASSES[truth.scenario] ?? {}).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`, async () => {
      const a = await analyzeCapture(capture);
      const counts: Record<string, number> = {};
      for (const f of a.set.flows()) {
        for (const c of f.classes!) counts[c] = (counts[c] ?? 0) + 1;
        // the classes agree with the replay's final states
        const over = (s: string) => s === 'CLOSED' || s === 'TIME_WAIT';
        if (f.classes!.includes('closed-graceful') || f.classes!.includes('closed-reset')) {
          expect(over(f.finalState.client) && over(f.finalState.server), `flow ${f.id}`).toBe(true);
        }
        if (f.classes!.includes('in-progress')) expect(over(f.finalState.client) && over(f.finalState.server), `flow ${f.id}`).toBe(false);
      }
      expect(counts).toEqual(EXPECTED_CLASSES[truth.scenario]);
    });
  }

  it('a lone SYN at the end of the capture is attempt-pending, until the SYN timeout makes it syn-unanswered', async () => {
    const file = tmpFile('attempt-pending.pcap', finalAckAgainCapture(2000));
    const young = await analyzeCapture(file);
    expect(young.set.flow(1).classes).toEqual(['attempt-pending']);
    expect(young.anomalies.filter((x) => x.flow === 1 && x.kind === 'syn-unanswered')).toEqual([]);
    const old = await analyzeCapture(file, { thresholds: { synTimeout: 0 } });
    expect(old.set.flow(1).classes).toEqual([]);
    expect(old.anomalies.filter((x) => x.flow === 1 && x.kind === 'syn-unanswered')).toHaveLength(1);
  });

  it('a FIN just sent at the end is closing-in-progress; past the final-ACK grace, in-progress or missing-final-ack', async () => {
    const active = tmpFile('closing-active.pcap', closingAtEndCapture(false));
    expect((await analyzeCapture(active)).set.flow(0).classes).toEqual(['closing-in-progress']);
    // the client waits in FIN_WAIT_1, and no finding says why: in progress
    const late = await analyzeCapture(active, { thresholds: { finalAckGrace: 0 } });
    expect(late.set.flow(0)).toMatchObject({ finalState: { client: 'FIN_WAIT_1', server: 'CLOSE_WAIT' }, classes: ['in-progress'] });
    const passive = tmpFile('closing-passive.pcap', closingAtEndCapture(true));
    expect((await analyzeCapture(passive)).set.flow(0)).toMatchObject({ finalState: { client: 'TIME_WAIT', server: 'LAST_ACK' }, classes: ['closing-in-progress'] });
    // the server's FIN unacknowledged past the grace: missing-final-ack explains the LAST_ACK
    const lost = await analyzeCapture(passive, { thresholds: { finalAckGrace: 0 } });
    expect(lost.set.flow(0).classes).toEqual([]);
    expect(lost.anomalies.map((x) => `${x.kind}:${x.variant}`)).toContain('missing-final-ack:not-seen');
  });

  it('the text report counts the classes; the JSON written straight from the streams equals the flow reports', async () => {
    const a = await analyzeCapture(fx('midstream'));
    expect([...a.set.flowJsons()]).toEqual([...a.set.flows()].map((f) => JSON.stringify(f)));
    const r = spawnSync(process.execPath, [CLI, 'analyze', fx('simultaneous-close')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout).toMatch(/^Classes: closed-graceful 1 · simultaneous-close 1$/m);
    // a flow a finding explains has no class, and no line says so
    const explained = spawnSync(process.execPath, [CLI, 'analyze', fx('missing-final-ack')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(explained.stdout).toMatch(/^Zeek conn_state: SF 1$/m);
    expect(explained.stdout).not.toMatch(/^Classes/m);
  });
});

describe('lifecycle anomalies on the recorded scenarios', () => {
  for (const { truth } of recordedFixtures()) {
    const want = EXPECTED[truth.scenario] ?? {};
    it(`${truth.scenario}: ${Object.keys(want).join(', ') || 'none'}`, async () => {
      expect(await lifecycle(truth.scenario)).toEqual(want);
    });
  }

  it('close-wait-leak: every CLOSE_WAIT socket the kernel lists is a close-wait-stuck finding on the server', async () => {
    const a = await analyzeCapture(fx('close-wait-leak'), { thresholds: { closeWaitThreshold: 0 } });
    const stuck = a.anomalies.filter((x) => x.kind === 'close-wait-stuck');
    const kernel = recordedFixtures().find((f) => f.truth.scenario === 'close-wait-leak')!.truth.ss.server.filter((s) => s.state === 'CLOSE_WAIT');
    expect(stuck).toHaveLength(kernel.length);
    expect(stuck.every((x) => x.states?.server === 'CLOSE_WAIT' && x.states.client === 'FIN_WAIT_2')).toBe(true);
    expect(stuck[0].message).toMatch(/^Server 10\.77\.0\.2:8080 received client 10\.77\.0\.1:\d+'s FIN in frame \d+ and acknowledged it, but never sent its own FIN in the [\d.]+ (ms|s) left in the capture\.$/);
    expect(a.endpoints[0]).toMatchObject({ ip: '10.77.0.2', port: 8080, connections: 20, finWait2: 20, closeWait: { count: 20, share: 1 } });
    expect(a.endpoints[0].closeWait.peers).toHaveLength(10);
  });

  it('close-wait-leak: not flagged before the capture has run long enough (threshold 10 s)', async () => {
    expect((await lifecycle('close-wait-leak'))['close-wait-stuck']).toBeUndefined();
  });

  it('TIME_WAIT per host at the end equals the kernel\'s TIME_WAIT sockets, on every scenario', async () => {
    for (const { truth, capture } of recordedFixtures()) {
      const a = await analyzeCapture(capture);
      const ours = new Map(a.hosts.map((h) => [h.ip, h.timeWait.atEnd]));
      const kernel = new Map<string, number>();
      for (const s of Object.values(truth.ss).flat()) {
        if (s.state !== 'TIME_WAIT') continue;
        const ip = s.local.startsWith('[') ? s.local.slice(1, s.local.indexOf(']')) : s.local.slice(0, s.local.lastIndexOf(':'));
        kernel.set(ip, (kernel.get(ip) ?? 0) + 1);
      }
      for (const [ip, n] of kernel) expect(ours.get(ip), `${truth.scenario} ${ip}`).toBe(n);
    }
  });

  it('time-wait-storm: time-wait-excess once the threshold is reached, client-side', async () => {
    const a = await analyzeCapture(fx('time-wait-storm'), { thresholds: { timeWaitThreshold: 150 } });
    const x = a.anomalies.filter((y) => y.kind === 'time-wait-excess');
    expect(x).toHaveLength(1);
    expect(x[0].data).toMatchObject({ atEnd: 200, peak: 200, clientSide: 200, serverSide: 0 });
    expect(a.hosts[0].portPressure[0]).toMatchObject({ client: '10.77.0.1', server: '10.77.0.2:8080', inUse: 200 });
    const pressure = await analyzeCapture(fx('time-wait-storm'), { thresholds: { ephemeralRange: 300 } });
    expect(pressure.anomalies.find((y) => y.variant === 'port-pressure')?.severity).toBe('error');
  });

  it('abort-storm: the host that aborts its connections is named once, as an abortive close and not a network fault (§9.25)', async () => {
    const a = await analyzeCapture(fx('abort-storm'));
    const habit = a.anomalies.filter((x) => x.variant === 'abortive-close');
    expect(habit).toEqual([{
      kind: 'reset', variant: 'abortive-close', severity: 'info', frame: null, flow: null, direction: null, states: null,
      message: 'Host 10.77.0.1 ended 20 of its 20 connections with a RST instead of a FIN (reset:abort): an abortive close, typically SO_LINGER 0 ' +
        'to avoid TIME_WAIT; not a network fault, but its peers see "connection reset", and data still in flight is lost.',
      data: { aborts: 20, connections: 20 },
    }]);
    expect(a.hosts).toEqual([]); // no TIME_WAIT anywhere, as ss shows
    // one abort is no habit
    expect((await analyzeCapture(fx('rst-abort'))).anomalies.filter((x) => x.variant === 'abortive-close')).toEqual([]);
  });

  it('server-closes-first: the server holds TIME_WAIT (server side)', async () => {
    const a = await analyzeCapture(fx('server-closes-first'));
    expect(a.hosts[0]).toMatchObject({ ip: '10.77.0.2', timeWait: { atEnd: 1, serverSide: 1, clientSide: 0 } });
  });

  it('server-time-wait: the service holding server-side TIME_WAIT is named, in JSON and in the host table', async () => {
    const a = await analyzeCapture(fx('server-time-wait'));
    expect(a.hosts).toEqual([{ ip: '10.77.0.2', timeWait: { atEnd: 12, peak: 12, clientSide: 0, serverSide: 12 }, portPressure: [],
      services: [{ server: '10.77.0.2:8080', inUse: 12 }], closeWait: { count: 0, oldestAge: null, peers: [] } }]);
    expect(renderLeakTables(a)).toMatch(/^10\.77\.0\.2 +12 +12 +0 +12 +10\.77\.0\.2:8080 \(12 held as server\)$/m);
    // client-side TIME_WAIT: the remote service the client's ports pile up towards
    const storm = await analyzeCapture(fx('time-wait-storm'));
    expect(storm.hosts[0].services).toEqual([]);
    expect(renderLeakTables(storm)).toMatch(/^10\.77\.0\.1 +200 +200 +200 +0 +10\.77\.0\.2:8080 \(200 of 28,232 ports\)$/m);
    // two captures of the same service, merged: the counts add up
    const m = mergeLeaks([a, await analyzeCapture(fx('server-time-wait'))], new Set());
    expect(m.hosts[0].services).toEqual([{ server: '10.77.0.2:8080', inUse: 24 }]);
  });

  it('a RST names its sender and the state each side was in: client abort, server abort, handshake rejected', async () => {
    const resets = async (name: string) => (await analyzeCapture(fx(name))).anomalies
      .filter((x) => x.kind === 'reset' || x.kind === 'handshake-aborted' || x.kind === 'half-open')
      .map((x) => [x.kind, x.variant, x.direction, x.message.split(' ')[0], x.data.receiverStateBefore ?? null]);
    expect(await resets('rst-abort')).toEqual([['reset', 'abort', 'c2s', 'Client', 'ESTABLISHED']]);
    // the server's RST after a completed handshake is a reset, not a handshake abort
    expect(await resets('server-abort')).toEqual([['reset', 'abort', 's2c', 'Server', 'ESTABLISHED']]);
    expect(await resets('synack-rejected')).toEqual([['handshake-aborted', 'initiator-rst', 'c2s', 'Client', null]]);
    // a bare RST from a host that lost the connection is half-open, and not reported again as a reset
    expect(await resets('half-open')).toEqual([['half-open', 'no-tcb-rst', 's2c', 'Server', null]]);
  });

  it('syn-unanswered names the ICMP error that came back instead of a SYN+ACK', async () => {
    const x = (await analyzeCapture(fx('syn-icmp-prohibited'))).anomalies.find((y) => y.kind === 'syn-unanswered')!;
    expect(x.message).toMatch(/^Client 10\.77\.0\.1:\d+ sent 1 SYN\(s\) and server 10\.77\.0\.2:8080 answered neither with SYN\+ACK nor with RST in the [\d.]+ ms after the first; an ICMP error came back instead \(frame 4: administratively prohibited\): a firewall or router rejected the connection attempt\.$/);
    expect(x.data).toEqual({ attempts: 1, icmp: 'administratively prohibited', icmpType: 3, icmpCode: 13, icmpFrame: 4 });
    expect(icmpName(6, 1, 4)).toEqual({ name: 'port unreachable', why: 'a firewall or router rejected the connection attempt' });
    expect(icmpName(4, 11, 0).name).toBe('time exceeded');
  });

  it('every finding has the one record shape', async () => {
    for (const name of ['missing-final-ack', 'rst-abort', 'zero-window', 'lossy-transfer']) {
      for (const x of (await analyzeCapture(fx(name))).anomalies) {
        expect(Object.keys(x)).toEqual(['kind', 'variant', 'severity', 'frame', 'flow', 'direction', 'states', 'message', 'data']);
        expect(['error', 'warn', 'note', 'info']).toContain(x.severity);
        expect(x.message).toMatch(/^[A-Z].*\.$/);
      }
    }
  });
});

function run(args: string[]) {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

describe('synfin analyze / leaks', () => {
  it('`synfin FILE` runs analyze: summary, leaks, findings', () => {
    const r = run([fx('missing-final-ack')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Connections by final state/);
    expect(r.stdout).toMatch(/warn\s+missing-final-ack:not-seen\s+1/);
    // anchored at the FIN's first repeat (frame 16), as reference §7.9 says
    expect(r.stdout).toMatch(/frame 16 flow 0 warn missing-final-ack:not-seen: Server 10\.77\.0\.2:8080's FIN \(frame 15\)/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('--json: the full contract, anomalies sorted by frame', () => {
    const j = JSON.parse(run(['analyze', '--json', fx('lossy-transfer')]).stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['file', 'format', 'frames', 'warnings', 'flows', 'anomalies', 'endpoints', 'hosts']));
    const frames = j.anomalies.map((x: { frame: number | null }) => x.frame ?? Infinity);
    expect([...frames].sort((a, b) => a - b)).toEqual(frames);
  });

  it('--csv: one row per anomaly', () => {
    const r = run(['analyze', '--csv', fx('missing-final-ack')]);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,frame,flow,kind,variant,severity,direction,client_state,server_state,message');
    expect(lines).toHaveLength(1 + 6);
  });

  it('--fail-on exits 3 when such a finding exists, and rejects unknown kinds', () => {
    expect(run(['analyze', '--fail-on', 'missing-final-ack', fx('missing-final-ack')]).status).toBe(3);
    expect(run(['analyze', '--fail-on', 'reset', fx('missing-final-ack')]).status).toBe(0);
    const bad = run(['analyze', '--fail-on', 'nonsense', fx('missing-final-ack')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown kind nonsense/);
    // one variant only: the reordering capture's only reset is the info kind time-wait
    expect(run(['analyze', '--fail-on', 'reset', fx('reorder')]).status).toBe(3);
    expect(run(['analyze', '--fail-on', 'reset:abort,half-open', fx('reorder')]).status).toBe(0);
    expect(run(['analyze', '--fail-on', 'reset:time-wait', fx('reorder')]).status).toBe(3);
    expect(run(['analyze', '--fail-on', 'nonsense:abort', fx('reorder')]).status).toBe(1);
  });

  it('leaks: exit 3 when a threshold is crossed; durations parsed', () => {
    const r = run(['leaks', '--close-wait-threshold', '500ms', fx('close-wait-leak')]);
    expect(r.status).toBe(3);
    expect(r.stdout.split('\n')[0]).toMatch(/close-wait-leak\.pcap: pcap-le-usec, 182 frames, 180 TCP segments, 20 connections$/);
    expect(r.stdout).toMatch(/10\.77\.0\.2:8080\s+20\s+20\s+\d+\s+\d+%/);
    expect(run(['leaks', fx('close-wait-leak')]).status).toBe(0);
    const j = JSON.parse(run(['leaks', '--json', '--time-wait-threshold', '150', fx('time-wait-storm')]).stdout);
    expect(j.hosts[0].timeWait).toEqual({ atEnd: 200, peak: 200, clientSide: 200, serverSide: 0 });
    expect(j.anomalies.map((x: { kind: string }) => x.kind)).toEqual(['time-wait-excess']);
    expect(run(['leaks', '--close-wait-threshold', 'soon', fx('close-wait-leak')]).status).toBe(1);
  });

  it('findings of some kinds (variants aside) are chosen before any message is written, as a filter of them all would', async () => {
    for (const [name, kinds] of [['close-wait-leak', ['close-wait-stuck', 'time-wait-excess']], ['abort-storm', ['reset', 'half-open']], ['lossy-many', ['retransmission', 'reset']]] as const) {
      const a = await analyzeCapture(fx(name), { thresholds: { closeWaitThreshold: 0.01 } });
      const want = new Set<string>(kinds);
      const all = [...a.eachAnomaly()].filter((x) => want.has(x.kind));
      expect(all.length).toBeGreaterThan(0);
      expect([...a.eachAnomaly({ kinds: want })]).toEqual(all);
    }
  });

  it('leaks: connections in CLOSE_WAIT too young to be stuck are counted and said so, not hidden', () => {
    const r = run(['leaks', '--json', fx('close-wait-leak')]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).endpoints[0].closeWait).toMatchObject({ count: 0, atEnd: 20, share: 0, oldestAge: null });
    const text = run(['leaks', fx('close-wait-leak')]).stdout;
    expect(text).toMatch(/^10\.77\.0\.2:8080\s+20\s+20\s+0\s+0%/m);
    expect(text).toMatch(/None of them was idle for 10\.0 s \(--close-wait-threshold\) by the end of the capture/);
    // a capture with no CLOSE_WAIT at all says so in one line
    expect(run(['leaks', fx('time-wait-storm')]).stdout).toMatch(/^CLOSE_WAIT: no server endpoint holds a connection in CLOSE_WAIT\.$/m);
    // once some are stuck, the note goes; a sub-second threshold is shown in milliseconds
    const stuck = run(['leaks', '--close-wait-threshold', '10ms', fx('close-wait-leak')]).stdout;
    expect(stuck).toMatch(/stuck: idle for 10 ms or more/);
    expect(stuck).toMatch(/^10\.77\.0\.2:8080\s+20\s+20\s+19\s+95%\s+1\.0 s\s+11-21 06:57:01\s+549 ms/m);
    // since when: the oldest stuck connection's peer FIN (frame 10, at …221.955408), to the millisecond
    const j = JSON.parse(run(['leaks', '--json', '--close-wait-threshold', '10ms', fx('close-wait-leak')]).stdout);
    expect(j.endpoints[0].closeWait).toMatchObject({ count: 19, atEnd: 20, oldestAge: 1.008, oldestSince: '1795244221.955000000' });
    expect(stuck).not.toMatch(/None of them/);
  });

  it('durations in messages and tables: ms below a second, then s, min, h and d', () => {
    expect([0.0864, 0.8641, 5.12, 119.9, 600, 7199, 3 * 3600, 3 * 86400].map(formatDuration))
      .toEqual(['86.4 ms', '864.1 ms', '5.1 s', '119.9 s', '10.0 min', '120.0 min', '3.0 h', '3.0 d']);
    expect(formatDuration(null)).toBe('-');
    // what --close-wait-threshold and the other thresholds read
    expect(['500ms', '10s', '2m', '1h', '7'].map(parseDuration)).toEqual([0.5, 10, 120, 3600, 7]);
    // and the help shows their defaults the way they are typed
    const help = run(['leaks', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--close-wait-threshold <duration> .*? \(default: 10s\)/);
    expect(help).toMatch(/--syn-timeout <duration> .*? \(default: 3s\)/);
    expect(help).toMatch(/--time-wait-threshold <count> .*? \(default: 1000\)/);
  });

  it('leak tables: ages of hours and days read as such', () => {
    const e = {
      ip: '10.0.0.2', port: 80, connections: 9, lastAck: 0, finWait2: 0, finWait2MayHaveExpired: 0, timeWaitServerSide: 0,
      closeWait: { count: 3, atEnd: 3, unseen: 0, oldestAge: 3 * 86400, oldestSince: '1795000000.000000000', minAge: 60, medianAge: 3 * 3600, maxAge: 3 * 86400, share: 1 / 3, peers: ['10.0.0.1:5000'] },
    };
    const text = renderLeakTables({ endpoints: [e], hosts: [], thresholds: { ...DEFAULT_THRESHOLDS } });
    expect(text).toMatch(/^10\.0\.0\.2:80\s+9\s+3\s+3\s+33%\s+3\.0 d\s+11-18 11:06:40\s+3\.0 h\s+10\.0\.0\.1:5000$/m);
  });

  it('analyze: a long list of findings shows the most severe ones, one line per flow and kind, in frame order', () => {
    const r = run(['analyze', '--limit', '2', fx('lossy-transfer')]);
    // the kinds Wireshark flags come with the display filter that shows their frames there
    expect(r.stdout).toMatch(/^note\s+duplicate-ack\s+14\s+tcp\.analysis\.duplicate_ack$/m);
    expect(r.stdout).toMatch(/^note\s+retransmission\s+6\s+tcp\.analysis\.retransmission && !tcp\.analysis\.fast_retransmission && !tcp\.analysis\.spurious_retransmission$/m);
    const lines = r.stdout.split('\n').filter((l) => /^ {2}frames? \d+/.test(l));
    expect(lines).toHaveLength(2);
    // 14 duplicate ACKs and 3 fast retransmissions (notes) come first; 6 more retransmissions (notes) and 433 window updates (info) are left out
    expect(r.stdout).toMatch(/Findings \(the 17 most severe of 456, one line per flow and kind, in frame order;/);
    expect(lines[0]).toMatch(/^ {2}frames 112–2110 flow 0 note duplicate-ack ×14, the first: Server 10\.77\.0\.2:8080 repeats its ACK of relative 99913 \(duplicate #1 of frame 111\)/);
    expect(lines[1]).toMatch(/^ {2}frames 177–2108 flow 0 note fast-retransmission ×3, the first: /);
    // the counts are whole: every duplicate ACK of the flow is on its line
    const j = JSON.parse(run(['analyze', '--json', fx('lossy-transfer')]).stdout);
    expect(j.anomalies.filter((x: { kind: string }) => x.kind === 'duplicate-ack')).toHaveLength(14);
    // when every finding fits, the list is every finding in frame order, one a line
    const all = run(['analyze', '--limit', '1000', fx('lossy-transfer')]).stdout.split('\n').filter((l) => /^ {2}frames? \d+ /.test(l));
    expect(all).toHaveLength(456);
    expect(all.every((l) => /^ {2}frame \d+ /.test(l))).toBe(true);
    const frames = all.map((l) => Number(/frame (\d+)/.exec(l)![1]));
    expect(frames).toEqual([...frames].sort((x, y) => x - y));
  });

  it('analyze: worst connections are those with the most errors, then warnings, then findings, with the counts shown', () => {
    const file = join(testDir(), 'three-flows.pcap');
    writeFileSync(file, threeFlowsCapture());
    const r = run(['analyze', file]);
    const table = r.stdout.slice(r.stdout.indexOf('Worst connections (most errors, then most warnings, then most findings):'));
    const rows = table.split('\n').slice(2, 5).map((l) => l.split(/\s+/));
    // flow 0 has the most findings (three retransmissions, notes), flow 2 the only error
    expect(rows.map((c) => [c[0], c[3], c[4], c[5]])).toEqual([['2', '1', '1', '2'], ['1', '0', '1', '2'], ['0', '0', '0', '3']]);
    expect(table.split('\n')[1]).toMatch(/^FLOW\s+CLIENT\s+SERVER\s+ERRORS\s+WARNINGS\s+FINDINGS\s+CLIENT STATE\s+SERVER STATE$/);
    // with room for four lines: the error, the two warnings, and the three identical retransmissions on one line; not the window update
    const lines = run(['analyze', '--limit', '4', file]).stdout.split('\n').filter((l) => /^ {2}frames? \d+/.test(l));
    expect(lines).toEqual([
      '  frames 5–7 flow 0 note retransmission ×3: Client 192.0.2.1:51001 re-sent 100 byte(s) at relative seq 1, below its highest sequence number 101 (frame 4).',
      expect.stringMatching(/^ {2}frame 16 flow 1 warn zero-window: /),
      // (in one frame, the more severe first)
      expect.stringMatching(/^ {2}frame 23 flow 2 error handshake-bad-ack:third-ack: /),
      expect.stringMatching(/^ {2}frame 23 flow 2 warn acked-unseen: /),
    ]);
  });

  it('analyze: segments above the MSS are explained once, with the offloads that make them (and not for a capture without them)', () => {
    const note = /^Note: 10 segment\(s\) in 1 connection\(s\) carry more data than the MSS their receiver announced: .*TSO\/GSO when sending, GRO\/LRO when receiving.*ethtool -K DEV tso off gso off gro off/m;
    expect(run(['analyze', fx('offloads-on')]).stdout).toMatch(note);
    expect(run(['analyze', fx('lossy-transfer')]).stdout).not.toMatch(/MSS their receiver announced/);
    expect(run(['flows', fx('offloads-on')]).stdout).toMatch(/ oversized:10\n\(oversized:N = N segments carry more data than the MSS/);
    expect(run(['flows', '--csv', fx('offloads-on')]).stdout.split('\n')[1]).toMatch(/,10$/);
  });

  it('analyze with several files: one text report each, a blank line between them', () => {
    const r = run(['analyze', fx('rst-abort'), fx('connection-refused')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\(an application abort, e\.g\. close with unread data or SO_LINGER 0\)\.\n\n\S+connection-refused\.pcap: pcap-le-usec/);
    expect(r.stdout.startsWith('\n')).toBe(false);
  });

  it('leaks --merge: one report for captures of the same service', () => {
    const r = run(['leaks', '--merge', '--json', '--close-wait-threshold', '0', fx('close-wait-leak'), fx('close-wait-leak'), fx('time-wait-storm')]);
    expect(r.status).toBe(3);
    const m = JSON.parse(r.stdout);
    expect(m.files).toHaveLength(3);
    expect(m.endpoints[0]).toMatchObject({ ip: '10.77.0.2', port: 8080, connections: 240, finWait2: 40, closeWait: { count: 40, atEnd: 40 } });
    expect(m.endpoints[0].closeWait.oldestSince).toBe('1795244221.955000000');
    expect(m.hosts[0].timeWait).toMatchObject({ atEnd: 200, clientSide: 200 });
    expect(m.anomalies.every((x: { file: string }) => x.file.endsWith('close-wait-leak.pcap'))).toBe(true);
  });
});

describe('capture-loss from the capture\'s own drop counters', () => {
  it('reports each interface whose statistics record drops (corpus: two sections with drops)', async () => {
    const file = join(ROOT, '..', 'shared', 'corpus', 'pcapng-mixed-endian-sections.pcapng');
    if (!existsSync(file)) return;
    const a = await analyzeCapture(file);
    expect(a.set.stats.captureDrops).toEqual([{ interface: 2, ifDrop: 10, osDrop: null }, { interface: 3, ifDrop: 1, osDrop: 42 }]);
    const loss = a.anomalies.filter((x) => x.kind === 'capture-loss');
    expect(loss.map((x) => [x.variant, x.data])).toEqual([
      ['interface-drops', { interface: 2, ifDrop: 10, osDrop: null }],
      ['interface-drops', { interface: 3, ifDrop: 1, osDrop: 42 }],
    ]);
    expect(loss[1].message).toContain('43 dropped packet(s) (1 by the interface, 42 by the operating system)');
  });

  it('says nothing when the counters are zero (dumpcap fixture)', async () => {
    const a = await analyzeCapture(join(ROOT, 'fixtures', 'dumpcap-two-interfaces.pcapng'));
    expect(a.set.stats.captureDrops).toEqual([{ interface: 0, ifDrop: 0, osDrop: null }, { interface: 1, ifDrop: 0, osDrop: null }]);
    expect(a.anomalies.filter((x) => x.kind === 'capture-loss' && x.variant === 'interface-drops')).toEqual([]);
  });
});

describe('state-violation: segments without ACK', () => {
  it('flags the data and the FIN sent without ACK in an evasion trace (corpus ipv4-frag-tcp)', async () => {
    const file = join(ROOT, '..', 'shared', 'corpus', 'ipv4-frag-tcp.pcap');
    if (!existsSync(file)) return;
    const a = await analyzeCapture(file);
    const v = a.anomalies.filter((x) => x.kind === 'state-violation');
    expect(v.map((x) => [x.frame, x.variant, x.data.len])).toEqual([[5, 'no-ack', 69], [6, 'no-ack', 0]]);
    expect(v[1].message).toContain('sent a FIN without the ACK bit');
  });

  it('is not raised on any recorded scenario (real stacks always set ACK)', async () => {
    for (const { capture } of recordedFixtures()) {
      const a = await analyzeCapture(capture);
      expect(a.anomalies.filter((x) => x.kind === 'state-violation'), capture).toEqual([]);
    }
  });
});

describe('findings of one kind', () => {
  it('eachAnomaly({ severity, kind }) gives exactly the findings of each group kindCounts lists', async () => {
    for (const file of ['lossy-transfer.pcap', 'close-wait-leak.pcap', 'rst-abort.pcap', 'time-wait-storm.pcap']) {
      const a = await analyzeCapture(join(ROOT, 'fixtures', file), { thresholds: { closeWaitThreshold: 0.01, timeWaitThreshold: 5 } });
      const all = a.anomalies;
      const groups = a.kindCounts();
      expect(groups.length, file).toBeGreaterThan(0);
      for (const g of groups) {
        const label = (x: { kind: string; variant: string | null }) => (x.variant ? `${x.kind}:${x.variant}` : x.kind);
        const want = all.filter((x) => x.severity === g.severity && label(x) === g.kind);
        expect([...a.eachAnomaly(g)], `${file} ${g.kind}`).toEqual(want);
        expect(want.length).toBe(g.count);
      }
      for (const severity of ['error', 'warn', 'note', 'info'] as const) {
        expect([...a.eachAnomaly({ severity })], `${file} ${severity}`).toEqual(all.filter((x) => x.severity === severity));
      }
    }
  });
});

describe('close-wait-stuck and the peer\'s FIN_WAIT_2 orphan timeout', () => {
  it('shows the peer as FIN_WAIT_2, or as possibly expired once --fin-wait2-timeout has passed since the ACK', async () => {
    const file = join(ROOT, 'fixtures', 'close-wait-leak.pcap');
    const stuck = async (finWait2Timeout: number) =>
      (await analyzeCapture(file, { thresholds: { closeWaitThreshold: 0.01, finWait2Timeout } })).anomalies.filter((x) => x.kind === 'close-wait-stuck');
    const waiting = await stuck(60);
    expect(waiting.length).toBeGreaterThan(0);
    for (const x of waiting) {
      expect(x.data.peerState).toBe('FIN_WAIT_2');
      expect(x.states?.client).toBe('FIN_WAIT_2');
      expect(x.message).not.toContain('may have left FIN_WAIT_2');
    }
    const expired = await stuck(0.001);
    expect(expired.length).toBe(waiting.length);
    for (const x of expired) {
      expect(x.data.peerState).toBe('FIN_WAIT_2 or expired');
      expect(x.message).toContain('may have left FIN_WAIT_2 meanwhile, if its application closed the socket (orphan timeout 0.001 s)');
    }
  });
});

describe('the leak hunt beyond the server side', () => {
  /** A recorded capture keeping only the frames whose IPv4 source is `src` (Ethernet frames). */
  const fromOnly = (name: string, src: string): string => {
    const want = src.split('.').map(Number);
    return tmpFile(`${name}-from-${src}.pcap`, rewritePcap(readFileSync(join(ROOT, 'fixtures', `${name}.pcap`)),
      (r) => (want.every((x, i) => r[16 + 14 + 12 + i] === x) ? r : null)));
  };

  it('clients stuck in CLOSE_WAIT (a leaking connection pool) are counted per host, and the text says why it exits 3', async () => {
    const f = tmpFile('client-close-wait.pcap', clientCloseWaitCapture(6));
    const a = await analyzeCapture(f);
    expect(a.anomalies.filter((x) => x.kind === 'close-wait-stuck').map((x) => x.data.holder)).toEqual(Array(6).fill('client'));
    expect(a.hosts).toEqual([{ ip: '192.0.2.1', timeWait: { atEnd: 0, peak: 0, clientSide: 0, serverSide: 0 }, portPressure: [], services: [],
      closeWait: { count: 6, oldestAge: 115, peers: ['192.0.2.80:80'] } }]);
    expect(renderLeakTables(a)).toMatch(/CLOSE_WAIT on the client side, per host .*\nHOST +STUCK +OLDEST +SERVERS\n192\.0\.2\.1 +6 +115\.0 s +192\.0\.2\.80:80\n/);
    expect(renderLeakFindings(a)).toBe('Thresholds crossed (exit status 3):\n' +
      '  warn close-wait-stuck: 6 connections idle in CLOSE_WAIT for 10.0 s (--close-wait-threshold) or more, 6 of them on the client side: the application received its peer\'s FIN and never closed (tables above).\n');
    const r = spawnSync(process.execPath, [CLI, 'leaks', f], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/Thresholds crossed \(exit status 3\):/);
  });

  it('a CLOSE_WAIT side the capture holds nothing of is not judged; a FIN the capture missed dates from its acknowledgment', async () => {
    const silent = await analyzeCapture(fromOnly('close-wait-leak', '10.77.0.1'), { thresholds: { ...DEFAULT_THRESHOLDS, closeWaitThreshold: 0.01 } });
    expect(silent.anomalies.filter((x) => x.kind === 'close-wait-stuck')).toEqual([]);
    expect(silent.endpoints[0].closeWait).toMatchObject({ atEnd: 20, unseen: 20, count: 0 });
    expect(renderLeakTables(silent)).toMatch(/Their CLOSE_WAIT only inferred: nothing the server sent is in the capture \(a one-sided capture\), so they are not judged\./);
    const seen = await analyzeCapture(fromOnly('close-wait-leak', '10.77.0.2'), { thresholds: { ...DEFAULT_THRESHOLDS, closeWaitThreshold: 0.01 } });
    const stuck = seen.anomalies.filter((x) => x.kind === 'close-wait-stuck');
    expect(stuck.length).toBeGreaterThan(0);
    for (const x of stuck) {
      expect(x.frame).toBeNull();
      expect(x.message).toMatch(/acknowledged a FIN of client .*'s that the capture does not hold, but never sent its own FIN/);
      expect(Number(x.data.age)).toBeLessThan(5);
    }
  });

  it('keep-alive probes, with a byte or without, do not restart the CLOSE_WAIT idle clock', async () => {
    for (const oneByte of [false, true]) {
      const a = await analyzeCapture(tmpFile(`cw-keepalive-${oneByte}.pcap`, closeWaitKeepAliveCapture(oneByte)));
      expect(a.anomalies.filter((x) => x.kind === 'keep-alive')).toHaveLength(12);
      const stuck = a.anomalies.filter((x) => x.kind === 'close-wait-stuck');
      expect(stuck, `one byte: ${oneByte}`).toHaveLength(1);
      expect(stuck[0].data.idle).toBeCloseTo(60, 0);
    }
  });

  it('a FIN sent again re-arms the TIME_WAIT of the side that takes it, in the leak tables as in the final states', async () => {
    const a = await analyzeCapture(join(ROOT, 'fixtures', 'final-ack-lost.pcap'), { thresholds: { ...DEFAULT_THRESHOLDS, timeWaitLen: 3 } });
    const f = [...a.set.flows()][0];
    expect(f.finalState.client).toBe('TIME_WAIT');
    expect(a.hosts.find((h) => h.ip === f.client.ip)?.timeWait).toMatchObject({ atEnd: 1, clientSide: 1 });
    // its ACKs of each copy are duplicate ACKs to Wireshark, and the sentence says what they answer
    const dup = a.anomalies.find((x) => x.kind === 'duplicate-ack')!;
    expect(dup.message).toMatch(/ from TIME_WAIT: server 10\.77\.0\.2:8080 sent its FIN again, so its earlier ACK was lost or late; no data is missing\.$/);
  });

  it('--fail-on names variants exactly: a misspelt one is an error, not a gate that never closes', () => {
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--fail-on', 'time-wait-excess:port_pressure', join(ROOT, 'fixtures', 'time-wait-storm.pcap')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown variant time-wait-excess:port_pressure \(time-wait-excess has time-wait-excess:port-pressure\)/);
  });
});

describe('the variants --fail-on knows', () => {
  it('are every variant the recorded scenarios raise', async () => {
    const { ANOMALY_KINDS, ANOMALY_VARIANTS } = await import('../src/analysis/kinds.js');
    for (const f of recordedFixtures()) {
      const a = await analyzeCapture(f.capture);
      for (const x of a.anomalies) {
        expect(ANOMALY_KINDS).toContain(x.kind);
        if (x.variant !== null) expect(ANOMALY_VARIANTS[x.kind] ?? [], `${f.capture}: ${x.kind}:${x.variant}`).toContain(x.variant);
      }
    }
  });
});

describe('close-wait-stuck after the fact (reference §7.10, late variants)', () => {
  it('a FIN that comes at last, past the threshold, is a close-wait-stuck that ended; answered by a RST, the peer had forgotten', async () => {
    const a = await analyzeCapture(join(ROOT, 'fixtures', 'late-fin-reset.pcap'), { thresholds: { ...DEFAULT_THRESHOLDS, closeWaitThreshold: 1 } });
    const late = a.anomalies.filter((x) => x.kind === 'close-wait-stuck');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ frame: 10, data: { ended: 'peer-forgot', finFrame: 12, holder: 'server' } });
    expect(late[0].message).toMatch(/^Server 10\.77\.0\.2:8080 received client 10\.77\.0\.1:\d+'s FIN in frame 10 and acknowledged it, but sent its own FIN only 4\.0 s later \(frame 12\): it sat in CLOSE_WAIT all that time\. By then client 10\.77\.0\.1:\d+ had forgotten the connection, and answered it with a RST \(frame 13\)\.$/);
    // history, not the end of the capture: the CLOSE_WAIT table holds no stuck connection
    expect(a.endpoints.every((e) => e.closeWait.count === 0)).toBe(true);
    // under the default threshold (10 s), four seconds in CLOSE_WAIT are no finding
    const d = await analyzeCapture(join(ROOT, 'fixtures', 'late-fin-reset.pcap'));
    expect(d.anomalies.filter((x) => x.kind === 'close-wait-stuck')).toEqual([]);
  });
});

describe('leaks --merge applies the thresholds to the merged figures', () => {
  /** A recorded capture's frames from..to (1-based, inclusive). */
  const part = (name: string, from: number, to: number): string =>
    tmpFile(`${name}-${from}-${to}.pcap`, rewritePcap(readFileSync(join(ROOT, 'fixtures', `${name}.pcap`)), (r, n) => (n >= from && n <= to ? r : null)));

  it('two halves of a TIME_WAIT storm cross together what neither crosses alone', () => {
    const frames = 200 * 10;
    const halves = [part('time-wait-storm', 1, frames / 2), part('time-wait-storm', frames / 2 + 1, Infinity)];
    for (const h of halves) expect(spawnSync(process.execPath, [CLI, 'leaks', '-q', '--time-wait-threshold', '150', h], { encoding: 'utf8' }).status).toBe(0);
    const r = spawnSync(process.execPath, [CLI, 'leaks', '--merge', '--json', '-q', '--time-wait-threshold', '150', ...halves], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    const m = JSON.parse(r.stdout);
    // (the cut falls inside one connection: each half holds the other 199 whole)
    const atEnd = m.hosts[0].timeWait.atEnd;
    expect(atEnd).toBeGreaterThanOrEqual(199);
    expect(m.hosts[0].timeWait.peak).toBeGreaterThanOrEqual(atEnd);
    expect(m.anomalies).toEqual([expect.objectContaining({ kind: 'time-wait-excess', file: '(merged)', data: expect.objectContaining({ atEnd }) })]);
    const text = spawnSync(process.execPath, [CLI, 'leaks', '--merge', '-q', '--time-wait-threshold', '150', ...halves], { encoding: 'utf8' });
    expect(text.stdout).toMatch(/Thresholds crossed \(exit status 3\):\n  warn time-wait-excess: Across the 2 captures, host 10\.77\.0\.1 holds \d+ connection\(s\) in TIME_WAIT at the end/);
  });

  it('a file that cannot be read is named in the JSON; with none read, there is no report', () => {
    const one = spawnSync(process.execPath, [CLI, 'leaks', '--merge', '--json', '-q', fx('close-wait-leak'), '/nonexistent.pcap'], { encoding: 'utf8' });
    expect(one.status).toBe(1);
    expect(JSON.parse(one.stdout).errors).toEqual([{ file: '/nonexistent.pcap', error: '/nonexistent.pcap: no such file' }]);
    const none = spawnSync(process.execPath, [CLI, 'leaks', '--merge', '/nonexistent.pcap'], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('synfin: error: /nonexistent.pcap: no such file\n');
  });
});

describe('analyze --filter and the leak tables', () => {
  it('the tables and the host-wide findings are those of the kept flows', async () => {
    const a = await analyzeCapture(fx('close-wait-leak'), { thresholds: { ...DEFAULT_THRESHOLDS, closeWaitThreshold: 0.01 } });
    expect(a.endpoints[0].closeWait.count).toBe(19);
    const { compileFilter } = await import('../src/analysis/filter.js');
    a.filter(compileFilter('port:42122|42130'));
    expect(a.endpoints[0]).toMatchObject({ connections: 2, closeWait: { count: 2, atEnd: 2 } });
    expect(a.anomalies.filter((x) => x.kind === 'close-wait-stuck')).toHaveLength(2);
    const r = spawnSync(process.execPath, [CLI, 'analyze', '-q', '--filter', 'port:1', '--ephemeral-range', '400', '--fail-on', 'time-wait-excess', fx('time-wait-storm')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/port-pressure/);
  });
});

describe('a capture without TCP', () => {
  it('analyze, leaks and flows say what it holds instead of printing empty tables', () => {
    for (const cmd of ['analyze', 'leaks', 'flows']) {
      const r = spawnSync(process.execPath, [CLI, cmd, fx('no-tcp')], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n').pop()).toBe('No TCP connection in this capture. Its 12 frames: non-ip 2, udp 5, icmp 5.');
      expect(r.stdout).not.toMatch(/COUNT|ENDPOINT|CLOSE_WAIT|ID +CLIENT/);
    }
  });
});

describe('stragglers whose orphan timer may have ended them', () => {
  it('clients in FIN_WAIT_2 acknowledged longer ago than --fin-wait2-timeout are counted apart, and ages run from youngest to oldest', async () => {
    const a = await analyzeCapture(fx('close-wait-leak'), { thresholds: { ...DEFAULT_THRESHOLDS, closeWaitThreshold: 0.01, finWait2Timeout: 0.5 } });
    const e = a.endpoints[0];
    expect(e.finWait2).toBe(20);
    const expired = a.anomalies.filter((x) => x.kind === 'close-wait-stuck' && x.data.peerState === 'FIN_WAIT_2 or expired').length;
    expect(expired).toBeGreaterThan(0);
    expect(e.finWait2MayHaveExpired).toBe(expired);
    expect(renderLeakTables(a)).toMatch(new RegExp(`10\\.77\\.0\\.2:8080 +0 +20 \\(${expired} may have expired\\)`));
    expect(e.closeWait.minAge).toBeLessThanOrEqual(e.closeWait.medianAge!);
    expect(e.closeWait.medianAge).toBeLessThanOrEqual(e.closeWait.maxAge!);
  });
});

describe('arguments that cannot mean anything', () => {
  it('standard input twice, and more ephemeral ports than a host has, are refused in one line', () => {
    for (const args of [['leaks', '-', '-'], ['leaks', '--merge', '-', '-'], ['analyze', '-', '-']]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { input: readFileSync(fx('no-tcp')), encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('synfin: error: - (standard input) can be given only once\n');
    }
    const r = spawnSync(process.execPath, [CLI, 'leaks', '--ephemeral-range', '70000', fx('no-tcp')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/expected a number of ports, 65535 at most/);
  });
});

describe('Wireshark flags explained where they mislead', () => {
  it('in a simultaneous open, the SYN+ACK Wireshark calls a retransmission is said to answer the peer\'s SYN', async () => {
    const a = await analyzeCapture(fx('simultaneous-open'));
    const rx = a.anomalies.filter((x) => x.kind === 'retransmission');
    expect(rx).toHaveLength(2);
    for (const x of rx) expect(x.message).toMatch(/ sent its SYN\+ACK at relative seq 0, the sequence number its own SYN \(frame \d+\) took: in a simultaneous open each side answers/);
    // a SYN+ACK sent again after a lost one keeps its sentence
    const lost = await analyzeCapture(fx('synack-lost'));
    expect(lost.anomalies.find((x) => x.kind === 'retransmission' && x.frame === 6)!.message).toMatch(/ re-sent its SYN\+ACK at relative seq 0, below its highest sequence number 1/);
  });
});
