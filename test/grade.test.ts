import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RUBRIC, gradeAll, loadRubric, RubricError, type Grade } from '../src/analysis/grade.js';
import { renderGrade } from '../src/report/grade.js';
import { CLI, ROOT } from './helpers/corpus.js';
import { protectedWifiCapture, tmpFile } from './helpers/pcap-writer.js';
import { testDir } from './helpers/tmp.js';

const fx = (name: string) => join(ROOT, 'fixtures', `${name}.pcap`);
const points = (g: Grade) => Object.fromEntries(g.items.map((i) => [i.check, i.points]));
const grade = async (name: string) => (await gradeAll([fx(name)], { rubric: BUILTIN_RUBRIC, lang: 'en' }))[0];

/**
 * Expected points per item, from the rubric: capture-complete 5, handshake 25 (SYN 5, SYN+ACK ack 10,
 * third ack 10), options 5, data 15 (both ways 5, no gap 10), teardown 25 (a FIN each side 5+5, each
 * acknowledged 5+5, closer identified 5), time-wait 10 (active TIME_WAIT 5, passive LAST_ACK→CLOSED 5),
 * clean 15 (no RST 10, no retransmission 5).
 */
const EXPECTED: Record<string, Record<string, number>> = {
  // a textbook session: full marks
  'http-close-client-first': { 'capture-complete': 5, handshake: 25, options: 5, data: 15, teardown: 25, 'time-wait': 10, clean: 15 },
  // SYN answered by RST+ACK: only the SYN, the complete capture and the absence of retransmission count
  'connection-refused': { 'capture-complete': 5, handshake: 5, options: 0, data: 0, teardown: 0, 'time-wait': 0, clean: 5 },
  // the client aborts with RST after the data: no close, no TIME_WAIT, a RST
  'rst-abort': { 'capture-complete': 5, handshake: 25, options: 5, data: 15, teardown: 0, 'time-wait': 0, clean: 5 },
  // started after the handshake: nothing of the handshake or options can be checked
  midstream: { 'capture-complete': 0, handshake: 0, options: 0, data: 15, teardown: 25, 'time-wait': 10, clean: 15 },
  // the final ACK never came: the server's FIN unacknowledged, no LAST_ACK→CLOSED, its FIN retransmitted
  'missing-final-ack': { 'capture-complete': 5, handshake: 25, options: 5, data: 15, teardown: 20, 'time-wait': 5, clean: 10 },
  // the server never closes: no server FIN (and so no closer to name), no TIME_WAIT
  'close-wait-leak': { 'capture-complete': 5, handshake: 25, options: 5, data: 15, teardown: 10, 'time-wait': 0, clean: 15 },
  // the client's host resets the late SYN+ACK: SYN and SYN+ACK right, no third segment, a RST and a repeated SYN+ACK
  'synack-rejected': { 'capture-complete': 5, handshake: 15, options: 5, data: 0, teardown: 0, 'time-wait': 0, clean: 0 },
};

describe('grading the recorded cases with the built-in tcp-lifecycle rubric', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: ${Object.values(want).reduce((a, b) => a + b, 0)} points`, async () => {
      const g = await grade(name);
      expect(points(g)).toEqual(want);
      expect(g.total).toBe(Object.values(want).reduce((a, b) => a + b, 0));
      expect(g.max).toBe(100);
    });
  }

  it('a capture with no TCP gets 0 points and says why', async () => {
    const g = await grade('no-tcp');
    expect(g).toMatchObject({ total: 0, flow: null, items: [] });
    expect(g.reason).toMatch(/no TCP connection/);
    expect(g.reason).not.toMatch(/encrypted/);
  });

  it('a capture of an encrypted Wi-Fi network says so, and where to capture instead', async () => {
    const f = tmpFile('wpa.pcap', protectedWifiCapture(2));
    const [en] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(en.reason).toBe('not graded: the capture holds 2 frame(s) but no TCP connection; 2 of them are encrypted (IPsec, or a Wi-Fi network with a password), so any TCP inside cannot be seen: capture on the computer\'s own interface instead');
    const [zh] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'zh' });
    expect(zh.reason).toMatch(/其中 2 帧是加密的/);
  });

  it('a RST that ends the handshake or the connection is named, with its frame and its sender', async () => {
    const said = async (name: string, check: string, lang: 'en' | 'zh' = 'en') =>
      (await gradeAll([fx(name)], { rubric: BUILTIN_RUBRIC, lang }))[0].items.find((i) => i.check === check)!.feedback[0];
    expect(await said('connection-refused', 'handshake')).toBe(
      'The SYN (frame 3) was answered with a RST (frame 4), not a SYN+ACK: nothing listens on the server\'s port (connection refused), and the client is back in CLOSED.');
    expect(await said('synack-rejected', 'handshake')).toBe(
      'After the SYN+ACK (frame 5) the client sent a RST (frame 7) instead of the third segment: the handshake was aborted, and the server is in CLOSED.');
    expect(await said('synack-unanswered', 'handshake')).toBe('After the SYN+ACK (frame 4) the client never sent the third segment; the server stays in SYN_RCVD.');
    expect(await said('server-abort', 'teardown')).toBe(
      'Neither side closed with a FIN: the server\'s RST (frame 14) ended the connection instead, so there was no orderly close.');
    expect(await said('server-abort', 'teardown', 'zh')).toBe('双方都没有用 FIN 关闭：服务器的 RST（第 14 帧）结束了连接，因此没有正常关闭。');
    expect(await said('synack-rejected', 'handshake', 'zh')).toBe(
      'SYN+ACK（第 5 帧）之后，客户端发送了 RST（第 7 帧）而不是第三个报文段：三次握手被中止，服务器处于 CLOSED。');
  });

  it('the feedback cites frames and states', async () => {
    const g = await grade('missing-final-ack');
    const td = g.items.find((i) => i.check === 'teardown')!.feedback.join(' ');
    expect(td).toMatch(/The server's FIN \(frame 15, relative seq \d+\) was never acknowledged/);
    const tw = g.items.find((i) => i.check === 'time-wait')!.feedback.join(' ');
    expect(tw).toMatch(/passive closer \(server\) did not go LAST_ACK→CLOSED \(LISTEN→SYN_RCVD→ESTABLISHED→CLOSE_WAIT→LAST_ACK\)/);
    expect(g.facts?.frames).toMatchObject({ syn: 3, synAck: 4, ack: 5, finClient: 14, finServer: 15 });
  });
});

describe('batches', () => {
  it('a duplicate pair is flagged both ways; a file that is not a capture gets 0 and the batch goes on', async () => {
    const dir = testDir('synfin-grade-');
    copyFileSync(fx('http-close-client-first'), join(dir, 'alice.pcap'));
    copyFileSync(fx('http-close-client-first'), join(dir, 'bob.pcap'));
    copyFileSync(fx('rst-abort'), join(dir, 'carol.pcap'));
    writeFileSync(join(dir, 'dave.pcap'), 'I forgot to attach my capture\n');
    // no submissions: the teacher's notes, a stray README; a capture saved under another name is one
    writeFileSync(join(dir, 'notes.txt'), 'alice: late\n');
    writeFileSync(join(dir, 'README.md'), '# lab 3\n');
    copyFileSync(fx('http-close-client-first'), join(dir, 'erin-capture.txt'));
    const r = spawnSync(process.execPath, [CLI, 'grade', '--json', dir], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`synfin: grade: skipped 2 file(s) neither named nor shaped like a capture: ${join(dir, 'README.md')}, ${join(dir, 'notes.txt')}\n`);
    const gs = JSON.parse(r.stdout) as Grade[];
    expect(gs.map((g) => [g.file.split('/').pop(), g.total])).toEqual([['alice.pcap', 100], ['bob.pcap', 100], ['carol.pcap', 55], ['dave.pcap', 0], ['erin-capture.txt', 100]]);
    expect(gs[0].duplicateOf).toMatch(/bob\.pcap$/);
    expect(gs[1].duplicateOf).toMatch(/alice\.pcap$/);
    expect(gs[2].duplicateOf).toBeNull();
    expect(gs[3].reason).toMatch(/not graded: .*not a pcap or pcapng capture/);
  });

  it('a folder of 100 captures to CSV: one row each, points per item, quoting a spreadsheet accepts', () => {
    const dir = testDir('synfin-grade-');
    const sources = ['http-close-client-first', 'rst-abort', 'connection-refused', 'midstream', 'missing-final-ack', 'no-tcp', 'server-closes-first', 'half-close'];
    for (let i = 0; i < 100; i++) copyFileSync(fx(sources[i % sources.length]), join(dir, `student-${String(i).padStart(3, '0')}.pcap`));
    const r = spawnSync(process.execPath, [CLI, 'grade', '--csv', dir], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,total,max,capture-complete,handshake,options,data,teardown,time-wait,clean,flow,duplicate_of,reason,feedback');
    expect(lines).toHaveLength(101);
    for (const l of lines.slice(1)) {
      // every field either plain or quoted with doubled quotes inside
      expect(l).toMatch(/^([^",]*|"([^"]|"")*")(,([^",]*|"([^"]|"")*"))*$/);
    }
  });
});

describe('custom rubrics', () => {
  const write = (o: unknown) => {
    const p = join(testDir('synfin-rubric-'), 'rubric.json');
    writeFileSync(p, typeof o === 'string' ? o : JSON.stringify(o));
    return p;
  };

  it('points are scaled per check; parameters apply', async () => {
    const rubric = loadRubric(write({ name: 'lab3', items: [{ check: 'handshake', points: 50 }, { check: 'clean', points: 30, params: { maxRetransmissions: 10 } }] }));
    const [g] = await gradeAll([fx('missing-final-ack')], { rubric, lang: 'en' });
    expect(g.rubric).toBe('lab3');
    expect(points(g)).toEqual({ handshake: 50, clean: 30 });
    expect(g.max).toBe(80);
  });

  it('errors name the file and the bad key', () => {
    const bad = (o: unknown) => { try { loadRubric(write(o)); } catch (e) { expect(e).toBeInstanceOf(RubricError); return (e as Error).message; } return 'no error'; };
    expect(bad({ items: [{ check: 'handshak', points: 5 }] })).toMatch(/rubric\.json: items\[0\]\.check: unknown check "handshak" \(known: capture-complete, handshake/);
    expect(bad({ items: [{ check: 'handshake', pts: 5 }] })).toMatch(/items\[0\]\.pts: unknown key/);
    expect(bad({ items: [{ check: 'handshake', points: -1 }] })).toMatch(/items\[0\]\.points: expected a number, 0 or more/);
    expect(bad({ items: [{ check: 'data', params: { maxBytes: 3 } }] })).toMatch(/items\[0\]\.params\.maxBytes: unknown parameter of data \(known: minBytes\)/);
    expect(bad({ title: 'x', items: [] })).toMatch(/title: unknown key/);
    expect(bad('{ not json')).toMatch(/not valid JSON/);
    const r = spawnSync(process.execPath, [CLI, 'grade', '--rubric', write({ items: [{ check: 'nope' }] }), fx('rst-abort')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/synfin: error: rubric .*items\[0\]\.check: unknown check/);
  });
});

describe('feedback in English and Chinese', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`${lang}: the report a student reads (snapshot)`, async () => {
      const [g] = await gradeAll([fx('missing-final-ack')], { rubric: BUILTIN_RUBRIC, lang });
      const text = renderGrade({ ...g, file: 'missing-final-ack.pcap' }, lang);
      await expect(text).toMatchFileSnapshot(`./snapshots/grade-missing-final-ack.${lang}.txt`);
    });
  }
  it('zh uses the usual terms', async () => {
    const [g] = await gradeAll([fx('http-close-client-first')], { rubric: BUILTIN_RUBRIC, lang: 'zh' });
    const text = renderGrade(g, 'zh');
    for (const term of ['三次握手', '四次挥手', 'TIME_WAIT', '2MSL']) expect(text).toContain(term);
  });
});
