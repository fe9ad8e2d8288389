import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RUBRIC, gradeAll, loadRubric, RubricError, type Grade } from '../src/analysis/grade.js';
import { renderGrade } from '../src/report/grade.js';
import { CLI, ROOT } from './helpers/corpus.js';
import { protectedWifiCapture, rewritePcap, tmpFile } from './helpers/pcap-writer.js';
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
    expect(en.reason).toBe('not graded: the capture holds 2 frames but no TCP connection; 2 of them are encrypted (IPsec, or a Wi-Fi network with a password), so any TCP inside cannot be seen: capture on the computer\'s own interface instead');
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
    expect(tw).toMatch(/passive closer \(server\) did not go LAST_ACK→CLOSED on the ACK of its FIN \(LISTEN→SYN_RCVD→ESTABLISHED→CLOSE_WAIT→LAST_ACK\)/);
    expect(g.facts?.frames).toMatchObject({ syn: 3, synAck: 4, ack: 5, finClient: 14, finServer: 15 });
  });
});

/** The recorded capture `name` with only its frames `from`..`to` (1-based, inclusive). */
const slicePcap = (name: string, from: number, to = Infinity): Uint8Array =>
  rewritePcap(readFileSync(fx(name)), (r, n) => (n >= from && n <= to ? r : null));

const feedbackOf = (g: Grade, check: string) => g.items.find((i) => i.check === check)!.feedback.join(' ');

describe('grading what students really hand in', () => {
  it('a file cut short is graded up to the damage, and says where and why', async () => {
    const whole = readFileSync(fx('http-close-client-first'));
    const f = tmpFile('cut.pcap', whole.subarray(0, 700));
    const [g] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(g.damage).toBe('The file is damaged or cut short at frame 8: only frames 1–7 could be read and graded; save the capture again and upload the whole file.');
    expect(g.warnings).toEqual(['frame 8, offset 628: the file is cut short in the middle of a record (72 of 144 bytes present); stopped reading']);
    expect(renderGrade(g, 'en').split('\n')[2]).toBe(`  ${g.damage}`);
    const [zh] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'zh' });
    expect(zh.damage).toBe('文件在第 8 帧处损坏或被截断：只读取并评分了第 1–7 帧；请重新保存抓包并上传完整的文件。');
    const [whole1] = await gradeAll([fx('http-close-client-first')], { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(whole1.damage).toBeNull();
  });

  it('a one-sided capture says which side is missing, and gives no points for what is only inferred', async () => {
    const g = await grade('one-sided');
    expect(points(g)).toMatchObject({ 'capture-complete': 0, 'time-wait': 0 });
    expect(feedbackOf(g, 'capture-complete')).toMatch(/^Only one direction was captured: nothing the server sent is in the file/);
    expect(feedbackOf(g, 'handshake')).toMatch(/^Nothing the server sent is in the capture, so its part cannot be checked/);
    expect(feedbackOf(g, 'handshake')).not.toMatch(/never answered/);
    expect(feedbackOf(g, 'teardown')).not.toMatch(/never sent a FIN/);
    expect(feedbackOf(g, 'time-wait')).toMatch(/^TIME_WAIT and LAST_ACK cannot be checked/);
    // a SYN that nobody answered is no one-sided capture: the ICMP error that came back is named
    const icmp = await grade('syn-icmp-prohibited');
    expect(feedbackOf(icmp, 'capture-complete')).toBe("The capture starts with the connection's SYN (frame 3).");
    expect(feedbackOf(icmp, 'handshake')).toMatch(/^The SYN \(frame 3\) was answered by an ICMP error \(frame 4: administratively prohibited\), not by the server/);
  });

  it('a passive closer reset in LAST_ACK did not go LAST_ACK→CLOSED, and its path says so', async () => {
    const g = await grade('keepalive-race');
    expect(points(g)['time-wait']).toBe(0);
    expect(feedbackOf(g, 'time-wait')).toMatch(/the passive closer \(client\) did not go LAST_ACK→CLOSED on the ACK of its FIN \([A-Z_→]*LAST_ACK→CLOSED \(by RST\)\)/);
  });

  it('what the capture cannot help is not held against the student', async () => {
    // data one way only: the no-gap part still counts when every byte is in the capture
    const up = await grade('lossy-transfer');
    expect(up.items.find((i) => i.check === 'data')!.parts).toEqual({ 'both-directions': { points: 0, max: 5 }, 'no-gap': { points: 10, max: 10 } });
    // a RST after the close was complete only cut TIME_WAIT short
    const late = await grade('reorder');
    expect(late.items.find((i) => i.check === 'clean')!.parts['no-rst'].points).toBe(10);
    expect(feedbackOf(late, 'clean')).toMatch(/RST at frame 599 came after the close was complete \(it only cut TIME_WAIT short\): not counted\./);
    // every frame captured twice: the copies are no retransmissions (but for the SYN+ACK's, whose IP ID of 0 does not
    // tell a copy from a second SYN+ACK, see duplicate-frame)
    const dup = await grade('bridge-any-duplicates');
    expect(points(dup).clean).toBe(10);
    expect(feedbackOf(dup, 'clean')).toMatch(/^Retransmissions at frame 12\. 11 frames are in the capture twice .*not counted as retransmissions/);
  });

  it('the handshake that completed is the one cited, even after a lost SYN+ACK', async () => {
    const g = await grade('synack-lost');
    expect(g.facts?.frames).toMatchObject({ syn: 7, synAck: 8, ack: 9 });
    expect(g.facts?.handshakeRtt).toBe(0.000029);
    expect(feedbackOf(g, 'handshake')).toMatch(/The SYN was sent 2 times \(frames 4, 7\) and the SYN\+ACK 3 times \(frames 5, 6, 8\): a copy was lost/);
  });

  it('relative sequence numbers are those Wireshark shows, also in a capture started mid-connection', async () => {
    const f = tmpFile('late-start.pcap', slicePcap('missing-final-ack', 8));
    const [g] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(feedbackOf(g, 'teardown')).toMatch(/The server's FIN \(frame 8, relative seq 3068\) was never acknowledged with ack = 3069\./);
    expect(feedbackOf(g, 'capture-complete')).toMatch(/frame 1 comes before any SYN/);
  });

  it('a capture that begins at the SYN+ACK: the missing SYN is named, and the third segment still checked', async () => {
    const f = tmpFile('from-synack.pcap', slicePcap('http-close-client-first', 4));
    const [g] = await gradeAll([f], { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(feedbackOf(g, 'capture-complete')).toBe("The client's SYN is not in the capture, which begins at frame 1: start capturing before you connect.");
    expect(feedbackOf(g, 'handshake')).toMatch(/^No SYN from the client was captured, so the handshake cannot be checked\. The client's ACK \(frame 2\) does acknowledge the server's ISN \+ 1 from the SYN\+ACK \(frame 1\)\./);
    expect(points(g).handshake).toBe(10);
  });

  it('--host takes an address as synfin prints it, or any other spelling; anything else is an error', () => {
    for (const host of ['[fd77::2]', 'fd77:0:0::2', 'FD77::2']) {
      const r = spawnSync(process.execPath, [CLI, 'grade', '--json', '--host', host, join(ROOT, 'fixtures', 'ipv6-close-server-first.pcapng')], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect((JSON.parse(r.stdout) as Grade).flow).toBe(0);
    }
    const bad = spawnSync(process.execPath, [CLI, 'grade', '--host', 'banana', fx('rst-abort')], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--host.*expected an IPv4 or IPv6 address/);
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
    expect(gs[3].reason).toBe('not graded: not a pcap or pcapng capture (it starts with 49 20 66 6f 72 67 6f 74  "I forgot")');
  });

  it('sub-folders are searched, archives get a row that says how to unpack them, and a file given twice is graded once', () => {
    const dir = testDir('synfin-grade-');
    mkdirSync(join(dir, 'alice_1234'));
    mkdirSync(join(dir, 'bob_5678', 'upload'), { recursive: true });
    mkdirSync(join(dir, '__MACOSX'));
    copyFileSync(fx('http-close-client-first'), join(dir, 'alice_1234', 'capture.pcap'));
    copyFileSync(fx('rst-abort'), join(dir, 'bob_5678', 'upload', 'lab.pcap'));
    copyFileSync(fx('rst-abort'), join(dir, '__MACOSX', '._lab.pcap'));
    writeFileSync(join(dir, 'carol.pcap.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 4, 1, 2]));
    writeFileSync(join(dir, 'dave.zip'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]));
    const r = spawnSync(process.execPath, [CLI, 'grade', '--json', dir, join(dir, 'alice_1234', 'capture.pcap')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const gs = JSON.parse(r.stdout) as Grade[];
    expect(gs.map((g) => [g.file.slice(dir.length + 1), g.total])).toEqual([
      ['alice_1234/capture.pcap', 100], ['bob_5678/upload/lab.pcap', 55], ['carol.pcap.xz', 0], ['dave.zip', 0]]);
    expect(gs[2].reason).toBe('not graded: compressed with xz, which synfin does not read: decompress it first (xz -d)');
    expect(gs[3].reason).toBe('not graded: a zip archive, not a capture: extract the capture from it first (unzip)');
    // a folder gives an array even for one submission; the text report ends with a summary of the batch
    const one = spawnSync(process.execPath, [CLI, 'grade', '--json', join(dir, 'alice_1234')], { encoding: 'utf8' });
    expect(Array.isArray(JSON.parse(one.stdout))).toBe(true);
    const text = spawnSync(process.execPath, [CLI, 'grade', dir], { encoding: 'utf8' });
    expect(text.stdout.trimEnd().split('\n').pop()).toBe(
      `4 submissions: 2 graded (average 77.5 / 100, lowest 55, highest 100); 2 not graded (${join(dir, 'carol.pcap.xz')}, ${join(dir, 'dave.zip')}).`);
    const zh = spawnSync(process.execPath, [CLI, 'grade', '--lang', 'zh', '--json', join(dir, 'carol.pcap.xz')], { encoding: 'utf8' });
    expect((JSON.parse(zh.stdout) as Grade).reason).toMatch(/^未评分：这是用 xz 压缩或打包的文件，不是抓包文件：请先解压（xz -d）/);
  });

  it('several copies of one connection each name all the others', async () => {
    const dir = testDir('synfin-grade-');
    const names = ['a1.pcap', 'a2.pcap', 'a3.pcap'].map((n) => join(dir, n));
    for (const n of names) writeFileSync(n, slicePcap('http-close-client-first', 6));
    const gs = await gradeAll(names, { rubric: BUILTIN_RUBRIC, lang: 'en' });
    expect(gs[0].reason).toMatch(/is also in .*a2\.pcap, .*a3\.pcap\.$/);
    expect(gs.map((g) => g.duplicateOf?.split('/').pop())).toEqual(['a2.pcap', 'a1.pcap', 'a1.pcap']);
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

  it('part points add up to the check\'s points, however the teacher splits 100', async () => {
    const rubric = loadRubric(write({ items: [{ check: 'handshake', points: 33.333 }, { check: 'teardown', points: 33.333 }, { check: 'data', points: 33.334 }] }));
    const [g] = await gradeAll([fx('http-close-client-first')], { rubric, lang: 'en' });
    for (const i of g.items) expect(Math.round(Object.values(i.parts).reduce((a, p) => a + p.max, 0) * 100) / 100).toBe(i.max);
    expect(g.total).toBe(g.max);
    expect(g.max).toBe(99.99);
  });

  it('errors name the file and the bad key', () => {
    const bad = (o: unknown) => { try { loadRubric(write(o)); } catch (e) { expect(e).toBeInstanceOf(RubricError); return (e as Error).message; } return 'no error'; };
    expect(bad({ items: [{ check: 'handshak', points: 5 }] })).toMatch(/rubric\.json: items\[0\]\.check: unknown check "handshak" \(known: capture-complete, handshake/);
    expect(bad({ items: [{ check: 'handshake', pts: 5 }] })).toMatch(/items\[0\]\.pts: unknown key/);
    expect(bad({ items: [{ check: 'handshake', points: -1 }] })).toMatch(/items\[0\]\.points: expected a number, 0 or more/);
    expect(bad({ items: [{ check: 'data', params: { maxBytes: 3 } }] })).toMatch(/items\[0\]\.params\.maxBytes: unknown parameter of data \(known: minBytes\)/);
    expect(bad({ title: 'x', items: [] })).toMatch(/title: unknown key/);
    expect(bad('{ not json')).toMatch(/not valid JSON/);
    expect(bad({ items: [{ check: 'handshake', points: 60 }, { check: 'handshake', points: 40 }] })).toMatch(/items\[1\]\.check: "handshake" already used by items\[0\]/);
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
