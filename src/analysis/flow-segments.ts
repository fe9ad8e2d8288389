/**
 * The segments of one flow with both endpoints' states after each (the ladder's rows), read again
 * from the capture: by the offsets a FrameIndex kept when there is one, else by a full pass.
 */
import { readRecordsAt } from '../capture/record-reader.js';
import { Tracker, type WatchedSegment } from '../tcp/tracker.js';
import type { FrameIndex } from './frame-index.js';
import { trackCapture } from './flows.js';
import { StatsCollector } from './stats.js';

export interface FlowSegments {
  rows: WatchedSegment[];
  /** How the rows were read: the flow's records by offset, or the whole file. */
  via: 'offsets' | 'full-pass';
}

/**
 * Replay stream `id` alone. Its records, fed to a fresh tracker in file order, form stream 0 there
 * with the same bases, states and transitions: the stream rules never look at other streams' segments.
 */
export async function flowSegments(path: string, id: number, timeWaitSeconds: number, index: FrameIndex | null): Promise<FlowSegments> {
  if (index !== null) {
    const rec = index.records(id);
    if (!rec.reassembled && rec.frames.length > 0) {
      const rows: WatchedSegment[] = [];
      const tracker = new Tracker({ timeWaitSeconds, recordTransitions: false, watch: { stream: 0, onSegment: (r) => rows.push(r) } });
      const collector = new StatsCollector(path, {}, tracker);
      if (readRecordsAt(path, rec.offsets, rec.frames, index.headerBlocks, collector)) return { rows, via: 'offsets' };
    }
  }
  const rows: WatchedSegment[] = [];
  await trackCapture(path, { timeWaitSeconds, transitions: false, watch: { stream: id, onSegment: (r) => rows.push(r) } });
  return { rows, via: 'full-pass' };
}
