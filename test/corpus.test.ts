import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureStats } from '../src/analysis/stats.js';
import { CLI, CORPUS_DIR, CORPUS_PRESENT, corpusExpected } from './helpers/corpus.js';

if (!CORPUS_PRESENT) {
  // visible in the test output, so a missing corpus is never mistaken for a pass
  console.warn(`corpus tests SKIPPED: ${CORPUS_DIR}/expected.json not found`);
}

describe.skipIf(!CORPUS_PRESENT)('shared corpus against tshark 4.0.17 (expected.json)', () => {
  const expected = corpusExpected();
  for (const [name, e] of Object.entries(expected)) {
    it(name, async () => {
      const r = await captureStats(join(CORPUS_DIR, name));
      expect({
        format: r.format, linktypes: r.linktypes, frames: r.frames, tcpSegments: r.tcpSegments,
        tcpSegmentsTunnelled: r.tcpSegmentsTunnelled, framesWithTcp: r.framesWithTcp,
      }).toEqual({
        format: e.format, linktypes: e.linktypes, frames: e.packets - e.nonPacketRecords, tcpSegments: e.tcpSegments,
        tcpSegmentsTunnelled: e.tcpSegmentsTunnelled, framesWithTcp: e.framesWithTcp,
      });
      expect(r.nonPacketRecords).toBe(e.nonPacketRecords);
      if (e.tsharkExit !== 0) {
        // tshark stopped early: we stop at the same record, with a warning that has a byte offset
        expect(r.damaged).toBe(true);
        expect(r.warnings.some((w) => typeof w.offset === 'number' && w.frame === r.frames + e.nonPacketRecords + 1)).toBe(true);
      } else {
        expect(r.damaged).toBe(false);
      }
    });
  }

  it('exit status 2 for every file tshark could only partly read', () => {
    for (const [name, e] of Object.entries(expected)) {
      if (e.tsharkExit === 0) continue;
      const p = spawnSync(process.execPath, [CLI, 'stats', join(CORPUS_DIR, name)], { encoding: 'utf8' });
      expect(p.status, name).toBe(2);
      expect(p.stderr).toMatch(/offset \d+, frame \d+/);
      expect(p.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('sll-corrupt-headers.pcapng: per-frame warnings, exit status 0', () => {
    const p = spawnSync(process.execPath, [CLI, 'stats', '--json', join(CORPUS_DIR, 'sll-corrupt-headers.pcapng')], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    const r = JSON.parse(p.stdout) as { warnings: Array<{ frame: number | null; offset: number | null }> };
    const perFrame = r.warnings.filter((w) => w.frame !== null && w.offset !== null);
    expect(perFrame.length).toBeGreaterThanOrEqual(5);
    expect(new Set(perFrame.map((w) => w.frame)).size).toBe(perFrame.length);
  });

  it('analyze runs on every file and every finding has the one record shape', async () => {
    const { analyzeCapture } = await import('../src/analysis/analyze.js');
    for (const name of Object.keys(expected)) {
      const a = await analyzeCapture(join(CORPUS_DIR, name));
      for (const x of a.eachAnomaly()) {
        expect(Object.keys(x), name).toEqual(['kind', 'variant', 'severity', 'frame', 'flow', 'direction', 'states', 'message', 'data']);
        expect(x.message, name).toMatch(/^[A-Z0-9].*[.)]$/);
      }
    }
  });

  it('pcapng-2if-eth-sll-comments.pcapng: timestamps near 2^64 µs are exact (tshark: 18446744073204.157839)', async () => {
    const r = await captureStats(join(CORPUS_DIR, 'pcapng-2if-eth-sll-comments.pcapng'));
    expect(r.firstTs).toBe('1422527998.578402281');
    expect(r.maxTs?.startsWith('184467440732')).toBe(true);
  });
});
