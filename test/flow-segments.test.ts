import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { FrameIndex } from '../src/analysis/frame-index.js';
import { flowSegments } from '../src/analysis/flow-segments.js';
import { transitionsOut } from '../src/analysis/flows.js';
import { CORPUS_DIR, CORPUS_PRESENT } from './helpers/corpus.js';
import { FIXTURES } from './helpers/fixtures.js';

const captures = (dir: string) => readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort().map((f) => join(dir, f));

/**
 * Every flow read back by its offsets gives the rows of a full pass over the file, and every
 * transition the analysis of the whole file records for it, those no segment of its own carries too.
 */
async function sameRows(file: string, maxFlows = Infinity): Promise<{ offsets: number; fullPass: number }> {
  const index = new FrameIndex();
  const a = await analyzeCapture(file, { frames: index, onHeaderBlock: index.headerBlock, transitions: true });
  const tw = a.thresholds.timeWaitLen;
  let offsets = 0, fullPass = 0;
  for (let id = 0; id < Math.min(a.set.count, maxFlows); id++) {
    const fast = await flowSegments(file, id, tw, index, a.set);
    const slow = await flowSegments(file, id, tw, null, a.set);
    expect(slow.via).toBe('full-pass');
    expect(fast.rows, `${file} flow ${id}`).toEqual(slow.rows);
    expect(fast.transitions, `${file} flow ${id}`).toEqual(slow.transitions);
    expect(transitionsOut(fast.transitions, a.set.clientIndex(id)), `${file} flow ${id}`).toEqual(a.set.flow(id).transitions);
    if (fast.via === 'offsets') offsets++; else fullPass++;
  }
  return { offsets, fullPass };
}

describe('reading one flow again by its record offsets', () => {
  it('gives the same ladder rows as a full pass, for every flow of every fixture', async () => {
    let fullPass = 0;
    for (const file of [...captures(FIXTURES), ...captures(join(FIXTURES, 'synthetic'))]) fullPass += (await sameRows(file)).fullPass;
    expect(fullPass).toBe(0); // no fixture has IP fragments: every flow is read by its offsets
  });

  it.skipIf(!CORPUS_PRESENT)('gives the same rows on the shared corpus (IP fragments fall back to a full pass)', async () => {
    let fullPass = 0;
    for (const file of captures(CORPUS_DIR)) {
      try { fullPass += (await sameRows(file, 40)).fullPass; } catch (e) { if ((e as Error).name !== 'CaptureError') throw e; }
    }
    expect(fullPass).toBeGreaterThan(0);
  }, 300_000);

  it('records the pcapng section and interface blocks', async () => {
    const index = new FrameIndex();
    await analyzeCapture(join(FIXTURES, 'dumpcap-two-interfaces.pcapng'), { frames: index, onHeaderBlock: index.headerBlock });
    expect(index.headerBlocks.length).toBe(2 * 3); // one SHB, two IDBs
    expect(index.headerBlocks[0]).toBe(0);
  });
});
