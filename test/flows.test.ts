import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowsReport, trackFlows, type FlowReport } from '../src/analysis/flows.js';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { flowSegments } from '../src/analysis/flow-segments.js';
import { ladderLines } from '../src/report/ladder.js';
import { RecordStore } from '../src/tcp/record-store.js';
import { TupleIndex } from '../src/tcp/tuple-table.js';
import { CLI, CORPUS_DIR, CORPUS_PRESENT, ROOT, corpusExpected } from './helpers/corpus.js';
import { recordedFixtures } from './helpers/fixtures.js';
import { concat, ether, hex, ipv4, pcapFile, rewritePcap, tcp, tmpFile, type PcapRecord } from './helpers/pcap-writer.js';
import { longTransferCapture, manySynsCapture } from './helpers/synthetic.js';

const ep = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);

/**
 * The kernel's view (`ss -tan state all` taken before the capture stopped) against ours.
 * A socket is matched by its 4-tuple to the newest flow on that 4-tuple; earlier flows on it
 * must be CLOSED; a socket absent from ss is CLOSED; a LISTEN socket stands for the server of
 * a SYN nobody answered.
 */
function kernelMismatches(flows: FlowReport[], ss: Record<string, Array<{ state: string; local: string; peer: string }>>): string[] {
  const sockets = Object.values(ss).flat();
  const newest = new Map<string, number>();
  for (const f of flows) newest.set([ep(f.client), ep(f.server)].sort().join(' '), f.id);
  const out: string[] = [];
  for (const f of flows) {
    for (const side of ['client', 'server'] as const) {
      const me = ep(f[side]);
      const peer = ep(f[side === 'client' ? 'server' : 'client']);
      const sock = sockets.find((s) => s.local === me && s.peer === peer);
      let expected = 'CLOSED';
      if (sock && newest.get([me, peer].sort().join(' ')) === f.id) expected = sock.state;
      else if (side === 'server' && f.finalState.server === 'LISTEN' && sockets.some((s) => s.state === 'LISTEN' && s.local.endsWith(`:${f.server.port}`))) expected = 'LISTEN';
      if (f.finalState[side] !== expected) out.push(`flow ${f.id} ${side} ${me}: synfin ${f.finalState[side]}, kernel ${expected}`);
    }
  }
  return out;
}

describe('final states equal the kernel\'s (ss) on every recorded scenario', () => {
  for (const { truth, capture } of recordedFixtures()) {
    it(truth.scenario, async () => {
      const r = await flowsReport(capture);
      expect(r.flows.length).toBe(truth.tshark.tcpStreams);
      expect(kernelMismatches(r.flows, truth.ss)).toEqual([]);
    });
  }
});

describe('flows against tshark', () => {
  it.skipIf(!CORPUS_PRESENT)('the number of flows equals tshark\'s tcp.stream count on every corpus file', async () => {
    const wrong: string[] = [];
    for (const [name, e] of Object.entries(corpusExpected())) {
      const r = await flowsReport(join(CORPUS_DIR, name));
      if (r.flows.length !== e.tcpStreams) wrong.push(`${name}: ${r.flows.length} flows, tshark ${e.tcpStreams}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the hand-written flow JSON equals JSON.stringify of the flow report on every corpus and fixture flow', async () => {
    const files = [...recordedFixtures().map((f) => f.capture), ...Object.keys(corpusExpected()).map((n) => join(CORPUS_DIR, n))];
    let flows = 0;
    for (const file of files) {
      const set = await trackFlows(file);
      const direct = [...set.flowJsons()];
      expect(direct).toEqual([...set.flows()].map((f) => JSON.stringify(f)));
      flows += direct.length;
    }
    expect(flows).toBeGreaterThan(100);
  });

  const baselines = ['http-three-streams.pcap', 'mix-126-streams-keepalive.pcap', 'cip-span-duplicates.pcap', 'rst-inject-port-reuse.pcap',
    'icmp-quotes-tcp-smtp.pcap', 'pcapng-2if-eth-sll-comments.pcapng', 'ipv4-frag-tcp.pcap', 'gre-ssh-session.pcap', 'tfo-syn-data.pcap'];
  for (const name of baselines) {
    it.skipIf(!CORPUS_PRESENT)(`${name}: frames and bytes of every flow equal tshark's (test/baselines)`, async () => {
      const base = readFileSync(join(ROOT, 'test', 'baselines', `${name}.streams.tsv`), 'utf8').trim().split('\n').map((l) => l.split('\t').map(Number));
      const r = await flowsReport(join(CORPUS_DIR, name));
      expect(r.flows.map((f) => [f.id, f.packets, f.bytes])).toEqual(base);
    });
  }

  for (const { truth, capture } of recordedFixtures()) {
    it(`${truth.scenario}: frames and bytes per flow equal tshark's`, async () => {
      const r = await flowsReport(capture);
      expect(r.flows.map((f) => ({ stream: f.id, frames: f.packets, bytes: f.bytes }))).toEqual(truth.tshark.streams);
    });
  }
});

function run(args: string[]) {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

const fx = (name: string) => [join(ROOT, 'fixtures', `${name}.pcap`), join(ROOT, 'fixtures', `${name}.pcapng`)].find(existsSync)!;

describe('synfin flows / flow / states', () => {
  it('flows: a table with both final states', () => {
    const r = run(['flows', fx('http-close-client-first')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CLIENT STATE\s+SERVER STATE/);
    expect(r.stdout).toMatch(/TIME_WAIT\s+CLOSED\s+SF\s+client/);
  });

  it('flows --json follows the report contract; --transitions adds the transitions', () => {
    const r = JSON.parse(run(['flows', '--json', '--transitions', fx('http-close-client-first')]).stdout);
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['file', 'format', 'frames', 'tcpSegments', 'warnings', 'flows', 'anomalies']));
    const f = r.flows[0];
    expect(f).toMatchObject({ id: 0, finalState: { client: 'TIME_WAIT', server: 'CLOSED' }, closedBy: 'client', connState: 'SF', partial: false });
    expect(f.firstTs).toMatch(/^\d+\.\d{9}$/);
    const client = f.transitions.filter((t: { endpoint: string }) => t.endpoint === 'client').map((t: { to: string }) => t.to);
    const server = f.transitions.filter((t: { endpoint: string }) => t.endpoint === 'server').map((t: { to: string }) => t.to);
    expect(client).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(server).toEqual(['SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(JSON.parse(run(['flows', '--json', fx('http-close-client-first')]).stdout).flows[0].transitions).toBeUndefined();
  });

  it('flows --csv: a header and one row per connection', () => {
    const r = run(['flows', '--csv', fx('time-wait-storm')]);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^file,id,client_ip,client_port,server_ip/);
    expect(lines).toHaveLength(201);
  });

  it('flow: the textbook ladder of a normal connection', () => {
    const r = run(['flow', fx('http-close-client-first'), '0', '--width', '120']);
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n');
    // (the title and the Zeek summary take two lines when one would pass the width)
    expect(rows[0]).toMatch(/^flow 0 \(Wireshark: tcp\.stream eq 0\): client 10\.77\.0\.1:\d+ → server 10\.77\.0\.2:8080$/);
    expect(rows[1]).toBe('  zeek SF ShADadFf   closed first by client');
    expect(rows[2]).toMatch(/^window scale: client \d+, server \d+ /);
    expect(rows[4]).toMatch(/^\s+CLOSED\s+LISTEN$/);
    expect(r.stdout).toMatch(/SYN_SENT\s+─+ S seq=0 len=0/);
    expect(r.stdout).toMatch(/FIN_WAIT_1\s+─+ FA seq=301 ack=\d+/);
    expect(r.stdout).toMatch(/FIN_WAIT_2›TIME_WAIT\*\s+◀/);
    expect(r.stdout).toMatch(/CLOSE_WAIT›LAST_ACK/);
  });

  it('flow --width: the arrows shrink (SACK blocks counted, then window and length left out) so the segments fit, times in one column', () => {
    for (const width of [100, 120]) {
      const rows = run(['flow', fx('lossy-transfer'), '0', '--width', String(width)]).stdout.split('\n');
      const segments = rows.filter((l) => /^ +\d+  [A-Z]/.test(l));
      expect(segments.length).toBeGreaterThan(10);
      for (const l of segments) expect([...l].length).toBeLessThanOrEqual(width);
      expect(new Set(segments.map((l) => [...l].findIndex((ch, i, a) => ch === '+' && a[i - 1] === ' ' && a[i - 2] === ' '))).size).toBe(1);
    }
    expect(run(['flow', fx('lossy-transfer'), '0', '--width', '120']).stdout).toMatch(/ A seq=1 ack=\d+ len=0 win=\d+ sack×1 /);
    expect(run(['flow', fx('lossy-transfer'), '0', '--width', '100']).stdout).toMatch(/◀─+ A seq=1 ack=\d+ len=0 ─+ /);
    expect(run(['flow', fx('lossy-transfer'), '0', '--width', '200']).stdout).toMatch(/ A seq=1 ack=\d+ len=0 win=\d+ sack=\d+-\d+ /);
    for (const bad of ['abc', '10', '']) expect(run(['flow', fx('lossy-transfer'), '0', '--width', bad]).stderr).toMatch(/--width.*expected a number of columns, 60 or more/);
    for (const bad of ['', '0x1', '1e0', '99999999999999999999']) expect(run(['flow', fx('port-reuse'), bad]).stderr).toMatch(/expected a flow id/);
  });

  it('flow: a change taken back says so, instead of showing the event it takes back as happening', () => {
    const out = run(['flow', fx('final-ack-lost'), '0']).stdout;
    expect(out).toMatch(/· server back from CLOSED to LAST_ACK: its RCV_ACK_FIN is taken back \(the segment below shows it did not happen\)\n\s+18\s/);
  });

  it('flow: a pending state the capture never confirms is explained on the last line, never changed unexplained', () => {
    const out = run(['flow', fx('syn-unanswered'), '0']).stdout;
    expect(out).toMatch(/SYN_RCVD\*/);
    expect(out).toMatch(/\(at the end of the capture\)\s+LISTEN\n\s+· the server sent nothing in the capture, so the SYN_RCVD\* shown for it was never confirmed: it stays LISTEN/);
    expect(run(['flow', fx('http-close-client-first'), '0']).stdout).not.toMatch(/sent nothing in the capture/);
  });

  it('flow --json: segments with relative numbers and SACK blocks as Wireshark shows them (SLE/SRE)', () => {
    const j = JSON.parse(run(['flow', '--json', fx('lossy-transfer'), '0']).stdout);
    const withSack = j.segments.filter((x: { sack: number[] }) => x.sack.length > 0);
    expect(withSack.length).toBeGreaterThan(0);
    for (const x of withSack) {
      expect(x.direction).toBe('s2c');
      expect(x.sack[0]).toBeGreaterThan(x.relAck); // a SACK block lies above the cumulative ACK
    }
    expect(j.segments[0]).toMatchObject({ relSeq: 0, direction: 'c2s', states: { client: { state: 'SYN_SENT', pending: false } } });
    // the flow's findings, as analyze reports them
    const analyzed = JSON.parse(run(['analyze', '--json', fx('lossy-transfer')]).stdout).anomalies;
    expect(j.findings).toEqual(analyzed.filter((x: { flow: number | null }) => x.flow === 0));
    expect(j.findings).toHaveLength(456);
  });

  it('flow: each finding under its segment; those of elided segments counted by kind', () => {
    const r = run(['flow', fx('missing-final-ack'), '0', '--width', '120']);
    const rows = r.stdout.split('\n');
    const at16 = rows.findIndex((l) => /^\s+16\s/.test(l));
    expect(rows.slice(at16 + 1, at16 + 5).find((l) => l.includes('missing-final-ack'))).toMatch(/^\s+▲ warn missing-final-ack:not-seen: Server 10\.77\.0\.2:8080's FIN \(frame 15\) was never acknowledged/);
    expect(rows.filter((l) => /▲ note retransmission: Server 10\.77\.0\.2:8080 re-sent its FIN/.test(l))).toHaveLength(5);
    const lossy = run(['flow', fx('lossy-transfer'), '0', '--width', '140']).stdout;
    expect(lossy).toMatch(/… 2095 segments of data transfer, no state change …\n\s+▲ 454 findings in them: 433 window-update, 13 duplicate-ack, 6 retransmission, 2 fast-retransmission \(--all shows them\)/);
    const all = run(['flow', fx('lossy-transfer'), '0', '--all', '--width', '140']).stdout.split('\n');
    expect(all.filter((l) => /^\s+▲ note fast-retransmission:/.test(l))).toHaveLength(3);
    const at177 = all.findIndex((l) => /^\s+177\s/.test(l));
    expect(all[at177 + 1]).toMatch(/▲ note fast-retransmission: Client 10\.77\.0\.1:59740 re-sent the segment at relative seq 99913/);
    // the thresholds apply: a CLOSE_WAIT younger than --close-wait-threshold is not (yet) stuck
    expect(run(['flow', fx('close-wait-leak'), '0']).stdout).not.toMatch(/close-wait-stuck/);
    expect(run(['flow', fx('close-wait-leak'), '0', '--close-wait-threshold', '10ms']).stdout).toMatch(/^\s+▲ warn close-wait-stuck: Server 10\.77\.0\.2:8080 received/m);
  });

  it('flow: the ladder says what ended a state off the flow\'s own segments, so its last line is never unexplained', () => {
    // superseded by the next connection on the 4-tuple, whose SYN (frame 13) is another stream's
    const reused = run(['flow', fx('port-reuse'), '0', '--width', '120']).stdout.split('\n');
    const end = reused.findIndex((l) => l.includes('(at the end of the capture)'));
    expect(reused[end - 1]).toMatch(/^\s+· client TIME_WAIT → CLOSED on ABORT at frame 13 \(flow 1 starts there\): the connection is superseded \(a new connection on the same 4-tuple\)$/);
    expect(reused[end]).toMatch(/^\s+CLOSED\s+\(at the end of the capture\)\s+CLOSED$/);
    // an established connection superseded (the client lost it; the server still had it)
    const stale = run(['flow', fx('stale-syn'), '0', '--width', '120']).stdout;
    expect(stale).toMatch(/· client ESTABLISHED → CLOSED on ABORT at frame 12 \(flow 1 starts there\): .*\n\s+· server ESTABLISHED → CLOSED on ABORT at frame 12 \(flow 1 starts there\): /);
    // TIME_WAIT running out before the end of the capture (a 500 ms TIME_WAIT; the capture goes on for 5 s)
    const expired = run(['flow', fx('missing-final-ack'), '0', '--width', '120', '--time-wait-len', '500ms']).stdout.split('\n');
    const last = expired.findIndex((l) => l.includes('(at the end of the capture)'));
    expect(expired[last - 1]).toMatch(/^\s+· client TIME_WAIT → CLOSED on TIMEOUT_TW: the TIME_WAIT timer expires/);
    expect(expired[last]).toMatch(/^\s+CLOSED\s+\(at the end of the capture\)\s+LAST_ACK$/);
    // with the default 60 s it is still TIME_WAIT, and nothing is added
    expect(run(['flow', fx('missing-final-ack'), '0', '--width', '120']).stdout).not.toMatch(/TIMEOUT_TW/);
    // and flow --json lists them with the flow's transitions
    const j = JSON.parse(run(['flow', '--json', fx('port-reuse'), '0']).stdout);
    expect(j.flow.transitions.at(-1)).toEqual({ frame: 13, endpoint: 'client', from: 'TIME_WAIT', to: 'CLOSED', event: 'ABORT', inferred: false });
  });

  it('flow: a transition inferred from a segment the capture missed gets its own note line', () => {
    // one-sided capture: only the client's segments; the server's SYN+ACK is known from the client's ACK of it
    const lines = run(['flow', fx('one-sided'), '0', '--width', '120']).stdout.split('\n');
    expect(lines).toContain('         · server LISTEN → SYN_RCVD on RCV_SYN (inferred: segment not captured or unconfirmed)');
    expect(lines).toContain('         · client SYN_SENT → ESTABLISHED on RCV_SYNACK_OK (inferred: segment not captured or unconfirmed)');
  });

  it('ladder: a finding without a frame goes under "at the end of the capture"', async () => {
    const a = await analyzeCapture(fx('missing-final-ack'));
    const { rows } = await flowSegments(fx('missing-final-ack'), 0, 60, null, a.set);
    const x = { ...a.findingsOf(0).find((f) => f.kind === 'missing-final-ack')!, frame: null };
    const lines = ladderLines(a.set.flow(0), rows, a.set.clientIndex(0), { width: 120, findings: [x] });
    const i = lines.findIndex((l) => l.text.trim() === 'at the end of the capture:');
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toMatchObject({ severity: 'warn', first: true, frame: null });
    expect(lines[i + 1].text).toMatch(/^\s+▲ warn missing-final-ack:not-seen: /);
  });

  it('flow: a connection of 200,000 segments gets its ladder (no cell widths spread into arguments)', () => {
    const file = tmpFile('long-transfer.pcap', longTransferCapture(200_000));
    const r = run(['flow', '-q', file, '0', '--width', '120']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SYN_SENT\s+─+ S seq=0 len=0 win=64240 ─+▶ SYN_RCVD/);
    expect(r.stdout).toMatch(/TIME_WAIT\s+\(at the end of the capture\)\s+CLOSED/);
    expect(r.stdout).toMatch(/ 202006  TIME_WAIT\s+─+ A seq=20000002 ack=2 len=0/);
  });

  it('flows: a table of 200,000 connections is written in full', () => {
    const file = tmpFile('many-syns.pcap', manySynsCapture(200_000));
    const r = run(['flows', '-q', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/: 200000 connection\(s\), 200000 frames, 200000 TCP segments$/);
    expect(lines).toHaveLength(2 + 200_000);
    expect(lines[1]).toMatch(/^ID\s+CLIENT\s+SERVER\s+PKTS/);
    expect(lines.at(-1)).toMatch(/^199999\s+10\.3\.13\.63:21023\s+192\.0\.2\.80:80\s+1\s+.*SYN_SENT\s+LISTEN\s+S0\s+-\s+one-sided$/);
    // every row's columns line up with the header's
    const at = lines[1].indexOf('SERVER');
    expect(lines.slice(2).every((l) => l.slice(at).startsWith('192.0.2.80:80'))).toBe(true);
  });

  it('flow: an unknown id is a one-line error', () => {
    const r = run(['flow', fx('http-close-client-first'), '7']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no flow 7 \(the capture has 1 flow\(s\), numbered from 0\)/);
    expect(run(['flow', fx('http-close-client-first'), 'x']).status).toBe(1);
  });

  it('states: the table the replay uses, in text and JSON', () => {
    const t = run(['states']);
    expect(t.stdout).toMatch(/FIN_WAIT_1\s+RCV_ACK_FIN\s+FIN_WAIT_2\s+RFC 9293/);
    const j = JSON.parse(run(['states', '--json']).stdout);
    expect(j.states).toHaveLength(11);
    expect(j.transitions.find((x: { from: string; on: string }) => x.from === 'LAST_ACK' && x.on === 'RCV_ACK_FIN').to).toBe('CLOSED');
  });
});

describe('record stores', () => {
  it('reach a record by a number given from outside: zeroed, chunks made on the way, each record its own', () => {
    const s = new RecordStore(1, 3);
    s.reach(9000); // the third chunk, past two never touched
    expect(s.count).toBe(9001);
    const at = (n: number) => ({ f: s.f64Of(n), fo: s.f64Base(n), i: s.i32Of(n), u: s.u32Of(n), io: s.i32Base(n) });
    for (const n of [0, 4095, 4096, 9000]) {
      const r = at(n);
      expect([r.f[r.fo], r.i[r.io], r.i[r.io + 1], r.i[r.io + 2]]).toEqual([0, 0, 0, 0]);
      r.f[r.fo] = n + 0.5;
      r.i[r.io + 2] = -1;
    }
    // the unsigned view is the same memory; neighbouring records are untouched
    const r = at(9000);
    expect(r.u[r.io + 2]).toBe(0xffffffff);
    expect(r.f[r.fo]).toBe(9000.5);
    const next = at(8999);
    expect([next.f[next.fo], next.i[next.io + 2]]).toEqual([0, 0]);
    // reaching a lower number changes nothing; add() continues after the highest
    s.reach(5);
    expect(s.count).toBe(9001);
    expect(s.add()).toBe(9001);
    expect(at(4096).f[at(4096).fo]).toBe(4096.5);
  });
});

describe('the per-stream record keeps every field whole', () => {
  it('extreme options, ports and addresses, and the small fields packed beside the flags', async () => {
    const { ether, ipv4, ipv6, pcapFile, tcp, tmpFile, hex } = await import('./helpers/pcap-writer.js');
    // SYN with MSS 65535 and window scale 14 from port 65535 to port 1; SYN+ACK with MSS 0 and no window scale
    const syn = tcp({ sport: 65535, dport: 1, seq: 0xfffffff0, flags: 0x02, options: hex('0204ffff 01 03030e') });
    const synAck = tcp({ sport: 1, dport: 65535, seq: 0x80000000, ack: 0xfffffff1, flags: 0x12, options: hex('02040000') });
    const ack = tcp({ sport: 65535, dport: 1, seq: 0xfffffff1, ack: 0x80000001, flags: 0x10 });
    const v4 = (src: string, dst: string, payload: Uint8Array) => ether(0x0800, ipv4({ src, dst, payload }));
    const v6 = (src: number, dst: number, payload: Uint8Array) => ether(0x86dd, ipv6({ src, dst, payload }));
    const file = tmpFile('extremes.pcap', pcapFile({}, [
      { sec: 1, data: v4('255.255.255.254', '0.0.0.1', syn) },
      { sec: 1, data: v4('0.0.0.1', '255.255.255.254', synAck) },
      { sec: 1, data: v4('255.255.255.254', '0.0.0.1', ack) },
      { sec: 2, data: v6(0xfe, 0x01, syn) },
      { sec: 2, data: v6(0x01, 0xfe, tcp({ sport: 1, dport: 65535, seq: 7, ack: 0xfffffff1, flags: 0x14 })) },
    ]));
    const r = await flowsReport(file);
    expect(r.flows).toHaveLength(2);
    const [a, b] = r.flows;
    expect([a.ipVersion, a.client, a.server]).toEqual([4, { ip: '255.255.255.254', port: 65535 }, { ip: '0.0.0.1', port: 1 }]);
    expect(a.options).toEqual({ mss: { client: 65535, server: 0 }, windowScale: null, windowScaling: 'not-negotiated', sackPermitted: false, timestamps: false });
    expect([a.finalState, a.partial, a.history, a.connState]).toEqual([{ client: 'ESTABLISHED', server: 'ESTABLISHED' }, false, 'ShA', 'S1']);
    expect([b.ipVersion, b.client, b.server]).toEqual([6, { ip: 'fd77::fe', port: 65535 }, { ip: 'fd77::1', port: 1 }]);
    expect(b.options.mss).toEqual({ client: 65535, server: null });
    expect(b.options.windowScaling).toBe('unknown'); // the SYN+ACK was not captured
    expect([b.finalState, b.history, b.connState]).toEqual([{ client: 'CLOSED', server: 'CLOSED' }, 'Sr', 'REJ']);
  });
});

describe('window scaling: negotiated, not negotiated, or unknown (reference §9.20)', () => {
  // three handshakes, each SYN+ACK offering a scale of 7: the SYN cut by the snap length before its
  // window-scale option, the SYN cut just after it, and a whole SYN without one
  const MSS = hex('0204 05b4'), WS = hex('0303 07'), NOP = hex('01');
  const SYN_ = 0x02, ACK_ = 0x10;
  const frame = (sport: number, dport: number, flags: number, seq: number, ack: number, options: Uint8Array, src: string, dst: string) =>
    ether(0x0800, ipv4({ src, dst, payload: tcp({ sport, dport, seq, ack, flags, win: 1000, options }) }));
  const handshake = (port: number, synOptions: Uint8Array, cutAt: number | null): PcapRecord[] => {
    const syn = frame(port, 80, SYN_, 100, 0, synOptions, '10.0.0.1', '10.0.0.2');
    return [
      cutAt === null ? { data: syn } : { data: syn.subarray(0, 14 + 20 + 20 + cutAt), origlen: syn.length },
      { data: frame(80, port, SYN_ | ACK_, 900, 101, concat(MSS, NOP, WS), '10.0.0.2', '10.0.0.1') },
      { data: frame(port, 80, ACK_, 101, 901, new Uint8Array(0), '10.0.0.1', '10.0.0.2') },
    ];
  };
  const file = tmpFile('window-scaling.pcap', pcapFile({ snaplen: 58 }, [
    ...handshake(40001, concat(MSS, NOP, WS), 4), // options cut after the MSS: the scale is unknown
    ...handshake(40002, concat(NOP, WS, MSS), 4), // cut after the window-scale option: it counts
    ...handshake(40003, MSS, null), // captured whole, no option: windows are not scaled
  ]));

  it('says which, as tshark does (window_size_scalefactor −1, 128, −2)', async () => {
    const r = await flowsReport(file);
    expect(r.flows.map((f) => [f.options.windowScaling, f.options.windowScale])).toEqual([
      ['unknown', null], ['negotiated', { client: 7, server: 7 }], ['not-negotiated', null],
    ]);
  });

  it('the ladder says how its windows are scaled', () => {
    const line = (id: number) => spawnSync(process.execPath, [CLI, 'flow', file, String(id)], { encoding: 'utf8' }).stdout.split('\n')[1];
    expect(line(0)).toBe('window scale: unknown, handshake not captured in full (win= shows the window field as sent, unscaled)');
    expect(line(1)).toBe('window scale: client 7, server 7 (win= shows the scaled window)');
    expect(line(2)).toBe('window scale: not negotiated (win= shows the window as sent)');
  });
});

describe('TupleIndex', () => {
  it('numbers 4-tuples in order of first appearance and says which endpoint sent each segment, through its shortcut for the last tuple too', () => {
    const t = new TupleIndex();
    const s = (v: 4 | 6, src: number, sport: number, dst: number, dport: number) =>
      ({ ipVersion: v, src: Uint32Array.of(src, 0, 0, v === 6 ? 7 : 0), dst: Uint32Array.of(dst, 0, 0, v === 6 ? 7 : 0), srcPort: sport, dstPort: dport });
    const seen: Array<[number, boolean]> = [];
    const look = (x: ReturnType<typeof s>) => { seen.push([t.of(x), t.srcIsFirst]); };
    look(s(4, 2, 80, 1, 5000)); // the higher address sends first
    look(s(4, 1, 5000, 2, 80)); // the answer: the shortcut, reversed
    look(s(4, 2, 80, 1, 5000)); // the shortcut, as looked up
    look(s(4, 1, 5000, 2, 80));
    look(s(4, 3, 1, 3, 2)); // equal addresses: the lower port is first
    look(s(4, 3, 2, 3, 1));
    look(s(4, 2, 80, 1, 5000)); // back to the first tuple, through the table
    look(s(6, 9, 443, 8, 6000));
    look(s(6, 8, 6000, 9, 443));
    expect(seen).toEqual([[0, false], [0, true], [0, false], [0, true], [1, true], [1, false], [0, false], [2, false], [2, true]]);
  });
});

describe('VLANs and link-layer sources of a 4-tuple (reference §9.19)', () => {
  const MAC_A = '020000000001', MAC_B = '020000000002', MAC_C = '0200000000c3';
  const seg = (sport: number, dport: number, flags: number, src: string, dst: string, srcMac: string, dstMac: string, vlan: number | null) => {
    const ip = ipv4({ src, dst, payload: tcp({ sport, dport, seq: 100, ack: 900, flags }) });
    const tag = vlan === null ? hex('0800') : concat(hex('8100'), Uint8Array.from([vlan >> 8, vlan & 255]), hex('0800'));
    return { data: concat(hex(dstMac + srcMac), tag, ip) };
  };
  const c2s = (port: number, mac: string, vlan: number | null) => seg(port, 80, 0x10, '10.0.0.1', '10.0.0.2', mac, MAC_B, vlan);
  const s2c = (port: number, vlan: number | null) => seg(80, port, 0x10, '10.0.0.2', '10.0.0.1', MAC_B, MAC_A, vlan);
  const file = tmpFile('links.pcap', pcapFile({}, [
    c2s(40001, MAC_A, 10), s2c(40001, 10), c2s(40001, MAC_A, 20), // frame 3: VLAN 20 after 10
    c2s(40002, MAC_A, null), s2c(40002, null), c2s(40002, MAC_C, null), // frame 6: the client's frames from a second source
    c2s(40003, MAC_A, 30), s2c(40003, 30), c2s(40003, MAC_A, 30), // consistent
    c2s(40001, MAC_A, 30), // frame 10: the first tuple again, on a third VLAN: still one tuple
  ]));
  const expected = [
    { file, offset: null, frame: 3, message: '1 TCP 4-tuple(s) carry frames of more than one VLAN, the first with VLAN 10 then VLAN 20 at frame 3: ' +
      'streams are numbered without the VLAN, as in Wireshark, so each shares one stream; if they are different connections, or the same frames ' +
      'seen on two VLANs, analyze one VLAN at a time (tcpdump -r FILE -w OUT vlan ID)' },
    { file, offset: null, frame: 6, message: '1 TCP 4-tuple(s) have frames of one direction from two link-layer sources, the first 02:00:00:00:00:01 then ' +
      '02:00:00:00:00:c3 at frame 6: the capture merges several links or interfaces, so some frames may appear twice and inflate retransmissions and duplicate ACKs' },
  ];

  it('warns once per kind, naming the first 4-tuple that mixes them; read in this thread or through the pipe alike', async () => {
    expect((await flowsReport(file, { pipe: false })).warnings).toEqual(expected);
    // (the pipe's worker is the built one)
    const built = (await import(join(ROOT, 'dist', 'analysis', 'flows.js'))) as { flowsReport: typeof flowsReport };
    expect((await built.flowsReport(file, { pipe: true })).warnings).toEqual(expected);
    expect((await built.flowsReport(file, { pipe: false })).warnings).toEqual(expected);
  });

  it('says nothing on a capture from one link', async () => {
    for (const f of recordedFixtures()) {
      expect((await flowsReport(f.capture)).warnings.filter((w) => /VLAN|link-layer/.test(w.message)), f.capture).toEqual([]);
    }
  });

  it.runIf(CORPUS_PRESENT)('corpus: the mirror port of cip-span-duplicates shows two sources; the office mix of VLAN and QinQ frames none', async () => {
    const span = await flowsReport(join(CORPUS_DIR, 'cip-span-duplicates.pcap'));
    expect(span.warnings.find((w) => /link-layer/.test(w.message))?.message).toMatch(/^1 TCP 4-tuple\(s\) .* the first 00:0c:29:5a:cf:2e then 00:1c:7f:39:de:5f at frame 2:/);
    for (const f of ['mix-126-streams-keepalive.pcap', 'qinq-pppoe-retrans.pcap', 'vlan-mpls-http.pcap']) {
      expect((await flowsReport(join(CORPUS_DIR, f))).warnings.filter((w) => /VLAN|link-layer/.test(w.message)), f).toEqual([]);
    }
  });
});

describe('the capture clock across a jump of more than a day (reference §1.4, §9.13)', () => {
  /** A fixture with `days` added to the timestamps of the frames `shift` selects (1-based frame numbers). */
  const shifted = (name: string, days: number, shift: (frame: number) => boolean): string =>
    tmpFile(`${name}-shifted.pcap`, rewritePcap(readFileSync(join(ROOT, 'fixtures', `${name}.pcap`)), (r, n) => {
      if (shift(n)) r.writeUInt32LE(r.readUInt32LE(0) + days * 86_400, 0);
      return r;
    }));
  const lastTs = (r: { endTs: string | null }) => Number(r.endTs);
  const jumpWarnings = (r: { warnings: Array<{ message: string }> }) => r.warnings.filter((w) => /more than a day past/.test(w.message)).map((w) => w.message);

  it('frames that keep the new time after the jump are the capture: its end is theirs', async () => {
    const plain = await flowsReport(join(ROOT, 'fixtures', 'http-close-client-first.pcap'));
    const r = await flowsReport(shifted('http-close-client-first', 3, (n) => n >= 10));
    expect(jumpWarnings(r)).toEqual([]);
    expect(lastTs(r)).toBeCloseTo(lastTs(plain) + 3 * 86_400, 3);
  });

  it('one or two frames a day ahead are bogus: counted in a warning, not taken as the end', async () => {
    const plain = await flowsReport(join(ROOT, 'fixtures', 'http-close-client-first.pcap'));
    const one = await flowsReport(shifted('http-close-client-first', 100, (n) => n === 10));
    expect(jumpWarnings(one)).toEqual(["1 frame(s) carry timestamps more than a day past the rest; they are not taken as the capture's end"]);
    expect(lastTs(one)).toBe(lastTs(plain));
    const two = await flowsReport(shifted('http-close-client-first', 100, (n) => n === 10 || n === 11));
    expect(jumpWarnings(two)).toHaveLength(1);
    expect(jumpWarnings(two)[0]).toMatch(/^2 frame\(s\)/);
    expect(lastTs(two)).toBe(lastTs(plain));
  });
});
