import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers/corpus.js';
import { FIXTURES } from './helpers/fixtures.js';
import { ether, ipv4, pcapFile, tcp, tmpFile } from './helpers/pcap-writer.js';

function run(args: string[], input?: Uint8Array) {
  const p = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

const pkt = (seq: number) => ether(0x0800, ipv4({ payload: tcp({ seq, flags: 0x18, payload: new Uint8Array(10) }) }));
const good = pcapFile({}, [{ sec: 1422527998, frac: 578402, data: pkt(1) }, { data: pkt(2) }]);
const goodFile = tmpFile('good.pcap', good);
const cutFile = tmpFile('cut.pcap', good.subarray(0, good.length - 3));
const textFile = tmpFile('readme.pcap', new TextEncoder().encode('hello, this is text\n'));

function noStackTrace(s: string): void {
  expect(s).not.toMatch(/\n\s+at /);
}

describe('synfin stats', () => {
  it('says why a capture of nothing but encrypted traffic shows no TCP', () => {
    const esp = ether(0x0800, ipv4({ proto: 50, payload: new Uint8Array(60) }));
    const f = tmpFile('esp.pcap', pcapFile({}, [{ sec: 1700000000, data: esp }, { data: esp }]));
    const r = run(['stats', '--json', f]);
    const rep = JSON.parse(r.stdout);
    expect(rep.notDecoded).toEqual({ encrypted: 2 });
    expect(rep.warnings.map((w: { message: string }) => w.message)).toEqual([
      'no TCP segment can be read: 2 frame(s) are encrypted (IPsec ESP, or 802.11 with the protected flag); capture before encryption or after decryption',
    ]);
    // with TCP beside it, the figures say enough
    const mixed = JSON.parse(run(['stats', '--json', tmpFile('mixed.pcap', pcapFile({}, [{ sec: 1700000000, data: esp }, { data: pkt(1) }]))]).stdout);
    expect([mixed.notDecoded, mixed.warnings]).toEqual([{ encrypted: 1 }, []]);
  });

  it('text report on stdout, nothing on stderr for a clean file', () => {
    const r = run(['stats', goodFile]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/format\s+pcap-le-usec/);
    expect(r.stdout).toMatch(/TCP segments\s+2/);
    expect(r.stdout).toMatch(/first frame\s+2015-01-29 10:39:58\.578402000 UTC/);
    expect(r.stderr).toBe('');
  });

  it('--json: one object for one file, an array in argument order for several', () => {
    const one = JSON.parse(run(['stats', '--json', goodFile]).stdout);
    expect(one).toMatchObject({ file: goodFile, format: 'pcap-le-usec', linktypes: [1], frames: 2, tcpSegments: 2, firstTs: '1422527998.578402000', warnings: [] });
    const many = JSON.parse(run(['stats', '--json', goodFile, cutFile]).stdout);
    expect(many.map((x: { file: string }) => x.file)).toEqual([goodFile, cutFile]);
  });

  it('exit 2 for a damaged file, with a one-line warning naming file, offset and frame', () => {
    const r = run(['stats', cutFile]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^synfin: warning: .*cut\.pcap \(offset \d+, frame 2\): the file is cut short/);
    noStackTrace(r.stderr);
  });

  it('exit 1 for a file that is not a capture, with one line saying what was found', () => {
    const r = run(['stats', textFile]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/readme\.pcap: not a pcap or pcapng capture \(it starts with 68 65 6c 6c 6f 2c 20 74  "hello, t"\)/);
    noStackTrace(r.stderr);
  });

  it('with several files, the highest status wins and every file is still reported', () => {
    const r = run(['stats', '--json', goodFile, textFile, cutFile]);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toHaveLength(3);
    expect(out[1]).toMatchObject({ file: textFile });
    expect(out[1].error).toMatch(/not a pcap/);
    expect(run(['stats', goodFile, '/nonexistent.pcap']).status).toBe(1);
  });

  it('reads standard input as -, plain or gzip-compressed', () => {
    expect(JSON.parse(run(['stats', '--json', '-'], good).stdout)).toMatchObject({ frames: 2, tcpSegments: 2 });
    expect(JSON.parse(run(['stats', '--json', '-'], gzipSync(good)).stdout)).toMatchObject({ frames: 2, gzip: true });
    expect(run(['stats', '-'], new Uint8Array(0)).status).toBe(1);
  });

  it('bad arguments: one line and exit 1', () => {
    const r = run(['stats', '--bogus', goodFile]);
    expect(r.status).toBe(1);
    noStackTrace(r.stderr);
    expect(run(['stats']).status).toBe(1);
    expect(run(['frobnicate']).status).toBe(1);
  });

  it('synfin alone prints the usage on stderr and exits 1', () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: synfin \[options\] \[command\]/);
    expect(r.stderr).toMatch(/^ {2}leaks \[options\] <file\.\.\.>/m);
  });

  it('--help lists the command and its options', () => {
    const r = run(['stats', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--json/);
    expect(r.stdout).toMatch(/--verify-checksums/);
  });
});

describe('the product never reads the shared corpus', () => {
  it('src/ names no corpus file and no corpus hash', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT, CORPUS_PRESENT, corpusExpected } = await import('./helpers/corpus.js');
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const sources = walk(join(ROOT, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(sources).not.toMatch(/shared\/corpus|\.\.\/shared/);
    if (!CORPUS_PRESENT) return;
    for (const [name, e] of Object.entries(corpusExpected())) {
      expect(sources.includes(name), name).toBe(false);
      expect(sources.includes(name.replace(/\.(pcapng|pcap)$/, '')), name).toBe(false);
      expect(sources.includes(e.sha256), e.sha256).toBe(false);
    }
  });
});

describe('a reader that goes away', () => {
  it('stops quietly when stdout is closed (synfin … | head)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'flows', `${FIXTURES}/time-wait-storm.pcap`, '--json', '--transitions'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the report is written
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/Error|at /);
    expect(code).toBe(0);
  });
});

describe('large reports', () => {
  it('a report of many 64 KB writes arrives whole through a pipe, multi-byte characters included', async () => {
    const { spawn } = await import('node:child_process');
    // 3,000 one-packet flows from distinct client ports: a JSON report of about 2 MB
    const n = 3000;
    const records = Array.from({ length: n }, (_, k) => ({
      sec: 1422527998 + k, frac: 0, data: ether(0x0800, ipv4({ payload: tcp({ sport: 10000 + k, seq: 1000 + k, flags: 0x18, payload: new Uint8Array(10) }) })),
    }));
    const file = tmpFile('grüße-überall.pcap', pcapFile({}, records));
    const child = spawn(process.execPath, [CLI, 'flows', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    // a slow reader: stdout fills the pipe and has to wait
    child.stdout.on('data', (b: Buffer) => { chunks.push(b); child.stdout.pause(); setTimeout(() => child.stdout.resume(), 1); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.length).toBeGreaterThan(1 << 20);
    const report = JSON.parse(text);
    expect(report.file).toBe(file);
    expect(report.flows).toHaveLength(n);
    expect(report.flows.map((f: { client: { port: number } }) => f.client.port)).toEqual(records.map((_, k) => 10000 + k));
  });
});
