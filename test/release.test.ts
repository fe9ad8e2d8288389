/**
 * Releasing finished connections and parking idle TIME_WAIT ones must never change a result: the
 * same capture analyzed with a sweep after every packet gives the same flows (with transitions)
 * and the same findings as without any sweep (every file here is shorter than the default interval).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { CORPUS_DIR, CORPUS_PRESENT, corpusExpected } from './helpers/corpus.js';
import { FIXTURES, recordedFixtures } from './helpers/fixtures.js';

async function report(file: string, sweepEveryPackets?: number) {
  const a = await analyzeCapture(file, { transitions: true, sweepEveryPackets });
  return { flows: [...a.set.flows()], anomalies: a.anomalies, endpoints: a.endpoints, hosts: a.hosts };
}

const files = [
  ...recordedFixtures().map((f) => f.capture),
  ...readdirSync(join(FIXTURES, 'synthetic')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(FIXTURES, 'synthetic', f)),
  ...(CORPUS_PRESENT ? Object.keys(corpusExpected()).map((f) => join(CORPUS_DIR, f)) : []),
];

describe('sweeps change no result', () => {
  it('has files to check', () => expect(files.length).toBeGreaterThan(20));
  for (const file of files) {
    it(file.slice(file.lastIndexOf('/') + 1), async () => {
      const base = await report(file);
      const swept = await report(file, 1);
      expect(swept).toEqual(base);
    });
  }
});
