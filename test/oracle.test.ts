/**
 * Differential test: on every classic microsecond pcap (magic a1b2c3d4, either byte order)
 * in fixtures/ and the shared corpus, our reader and the npm package pcap-parser yield the
 * same records. pcap-parser is an independent implementation, used here only as an oracle.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import pcapParser from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { collect } from './helpers/collect.js';
import { CORPUS_DIR, CORPUS_PRESENT, ROOT } from './helpers/corpus.js';

function classicUsec(path: string): boolean {
  const b = new Uint8Array(4);
  const fd = openSync(path, 'r');
  const n = readSync(fd, b, 0, 4, 0);
  closeSync(fd);
  if (n < 4) return false;
  const le = b[0] === 0xd4 && b[1] === 0xc3 && b[2] === 0xb2 && b[3] === 0xa1;
  const be = b[0] === 0xa1 && b[1] === 0xb2 && b[2] === 0xc3 && b[3] === 0xd4;
  return le || be;
}

interface Rec { sec: number; usec: number; caplen: number; origlen: number; bytes: string }

function oracle(path: string): Promise<Rec[]> {
  return new Promise((resolve, reject) => {
    const out: Rec[] = [];
    const p = pcapParser.parse(path);
    p.on('packet', (pk: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ sec: pk.header.timestampSeconds, usec: pk.header.timestampMicroseconds, caplen: pk.header.capturedLength, origlen: pk.header.originalLength, bytes: pk.data.toString('hex') });
    });
    p.on('end', () => resolve(out));
    p.on('error', reject);
  });
}

const dirs = [join(ROOT, 'fixtures'), ...(CORPUS_PRESENT ? [CORPUS_DIR] : [])];
const files = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((f) => join(d, f)) : []))
  .filter((f) => /\.(pcap|pcapng|cap)$/.test(f) && classicUsec(f));

describe('pcap-parser as an oracle for classic microsecond pcap', () => {
  it('has files to compare', () => {
    expect(files.length).toBeGreaterThan(CORPUS_PRESENT ? 30 : 0);
  });
  for (const f of files) {
    it(f.slice(f.lastIndexOf('/', f.lastIndexOf('/') - 1) + 1), async () => {
      const [theirs, ours] = await Promise.all([oracle(f), collect(f)]);
      const mine: Rec[] = ours.frames.map((x) => ({
        sec: x.tsSec, usec: x.tsNsec / 1000, caplen: x.caplen, origlen: x.origlen, bytes: Buffer.from(x.bytes).toString('hex'),
      }));
      expect(mine.length).toBe(theirs.length);
      expect(mine).toEqual(theirs);
    });
  }
});
