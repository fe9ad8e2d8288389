import { isAbsolute, join } from 'node:path';
import { analyzeCapture } from '../../src/analysis/analyze.js';
import { FrameIndex } from '../../src/analysis/frame-index.js';
import { tuiData, type TuiData } from '../../src/tui/data.js';
import { FIXTURES } from './fixtures.js';

/** The terminal UI's data for a fixture (or a capture at an absolute path), as `synfin tui` builds it. */
export async function fixtureData(name: string, thresholds: Record<string, number> = {}): Promise<TuiData> {
  const path = isAbsolute(name) ? name : join(FIXTURES, name);
  const index = new FrameIndex();
  const a = await analyzeCapture(path, { thresholds, frames: index, onHeaderBlock: index.headerBlock });
  return tuiData(`fixtures/${name}`, path, a, index);
}

/** close-wait-leak with a threshold its short capture crosses: 19 close-wait-stuck findings. */
export const closeWaitLeak = () => fixtureData('close-wait-leak.pcap', { closeWaitThreshold: 0.01 });
