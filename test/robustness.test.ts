import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { concat, ether, ipv4, pcapFile, tcp, tmpFile } from './helpers/pcap-writer.js';

/** A small deterministic PRNG (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

describe('garbage inside valid captures never crashes the analysis', () => {
  for (const linktype of [1, 0, 9, 12, 101, 104, 105, 108, 113, 228, 229, 276, 127, 192, 239, 258]) {
    it(`link type ${linktype}: 2,000 random and half-valid frames`, async () => {
      const r = rng(linktype * 7919);
      const records = Array.from({ length: 2000 }, (_, i) => {
        const len = r() % 200;
        const junk = Uint8Array.from({ length: len }, () => r() & 255);
        // every other frame starts with a plausible header so the garbage reaches IP and TCP
        const data = i % 2 === 0 ? junk : concat(linktype === 1 ? ether(0x0800, ipv4({ payload: tcp({ flags: r() & 0x1ff, seq: r(), ack: r() }) })) : ipv4({ payload: junk }), junk);
        return { sec: 1_700_000_000 + (r() % 100), frac: r() % 1_000_000, data, origlen: data.length + (r() % 3 === 0 ? r() % 500 : 0) };
      });
      const a = await analyzeCapture(tmpFile(`fuzz-${linktype}.pcap`, pcapFile({ linktype }, records)));
      expect(a.set.stats.frames).toBe(2000);
      for (const x of a.eachAnomaly()) expect(typeof x.message).toBe('string');
      for (const f of a.set.flows()) expect(f.packets).toBeGreaterThan(0);
    });
  }
});
