/**
 * Differential test: on every classic microsecond pcap (magic a1b2c3d4, either byte order)
 * in fixtures/ and the shared corpus, our reader and the npm package pcap-parser yield the
 * same records. pcap-parser is an independent implementation, used here only as an oracle.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import pcapParser from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { flowsReport } from '../src/analysis/flows.js';
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

/**
 * Segments above the receiver's MSS (reference §9.4–9.5), counted from pcap-parser's raw records with a
 * decoder written here for Ethernet + IPv4 + TCP only: the MSS option of each side's SYN, then every
 * segment whose payload (IP total length − IP header − TCP header) exceeds the MSS its receiver announced.
 */
async function oversizedByOracle(path: string): Promise<number | null> {
  const mss = new Map<string, number>();
  let n = 0;
  for (const r of await oracle(path)) {
    const b = Buffer.from(r.bytes, 'hex');
    if (b.length < 14 + 20 + 20) continue;
    if (b.readUInt16BE(12) !== 0x0800) return null; // not an Ethernet + IPv4 capture: no opinion
    const ihl = (b[14] & 15) * 4;
    if (b[23] !== 6) continue;
    const t = 14 + ihl;
    const src = `${b.readUInt32BE(26)}:${b.readUInt16BE(t)}`, dst = `${b.readUInt32BE(30)}:${b.readUInt16BE(t + 2)}`;
    const thl = (b[t + 12] >> 4) * 4;
    if ((b[t + 13] & 0x02) !== 0) {
      for (let o = t + 20; o < t + thl && o < b.length;) {
        const kind = b[o];
        if (kind === 0) break;
        if (kind === 1) { o++; continue; }
        if (kind === 2 && o + 3 < b.length) mss.set(src, b.readUInt16BE(o + 2));
        o += Math.max(2, b[o + 1]);
      }
    }
    const payload = b.readUInt16BE(16) - ihl - thl;
    const m = mss.get(dst);
    if (m !== undefined && payload > m) n++;
  }
  return n;
}

describe('oversized segments against a decoder written here', () => {
  const fixtures = readdirSync(join(ROOT, 'fixtures')).filter((f) => f.endsWith('.pcap')).map((f) => join(ROOT, 'fixtures', f)).filter(classicUsec);
  it('every recorded scenario: the same count; only the one recorded with offloads on has any', async () => {
    let compared = 0;
    for (const f of fixtures) {
      const want = await oversizedByOracle(f);
      if (want === null) continue;
      const got = (await flowsReport(f)).flows.reduce((s, x) => s + x.oversizedSegments, 0);
      expect(got, f).toBe(want);
      expect(got > 0, f).toBe(f.endsWith('offloads-on.pcap'));
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});
