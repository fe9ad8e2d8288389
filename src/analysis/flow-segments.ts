/**
 * The segments of one flow with both endpoints' states after each (the ladder's rows), read again
 * from the capture: by the offsets a FrameIndex kept when there is one, else by a full pass.
 */
import { readRecordsAt } from '../capture/record-reader.js';
import type { TransitionRecord } from '../tcp/replay.js';
import { Tracker, type WatchedSegment } from '../tcp/tracker.js';
import type { FrameIndex } from './frame-index.js';
import { trackCapture, type FlowSet } from './flows.js';
import { StatsCollector } from './stats.js';

export interface FlowSegments {
  rows: WatchedSegment[];
  /**
   * Every transition of the flow, those its own segments carry and those they do not (a newer
   * connection on the 4-tuple superseding it, TIME_WAIT expiring at the end of the capture);
   * endpoints numbered as in `rows`.
   */
  transitions: TransitionRecord[];
  /** How the rows were read: the flow's records by offset, or the whole file. */
  via: 'offsets' | 'full-pass';
}

/** The first stream after `id` on its 4-tuple (the one that superseded it), or −1. */
function successorOf(set: FlowSet, id: number): number {
  const streams = set.tracker.streams;
  const tuple = streams[id].tuple;
  for (let j = id + 1; j < streams.length; j++) if (streams[j].tuple === tuple) return j;
  return -1;
}

/**
 * Replay stream `id` alone. Its records, fed to a fresh tracker in file order, form stream 0 there
 * with the same bases, states and transitions: the stream rules never look at other streams'
 * segments. What ends it from outside comes along: the first record of the stream that superseded
 * it on the 4-tuple, then the end of the capture `set` was tracked to.
 */
export async function flowSegments(path: string, id: number, timeWaitSeconds: number, index: FrameIndex | null, set: FlowSet): Promise<FlowSegments> {
  if (index !== null) {
    const rec = index.records(id);
    const next = successorOf(set, id);
    const after = next >= 0 ? index.records(next) : null;
    if (!rec.reassembled && rec.frames.length > 0 && (after === null || !after.reassembled)) {
      const n = rec.frames.length + (after !== null ? 1 : 0);
      const frames = new Int32Array(n), offsets = new Float64Array(n);
      frames.set(rec.frames); offsets.set(rec.offsets);
      if (after !== null) { frames[n - 1] = after.frames[0]; offsets[n - 1] = after.offsets[0]; }
      const rows: WatchedSegment[] = [];
      const tracker = new Tracker({ timeWaitSeconds, recordTransitions: false, watch: { stream: 0, onSegment: (r) => rows.push(r) } });
      const collector = new StatsCollector(path, {}, tracker);
      if (readRecordsAt(path, offsets, frames, index.headerBlocks, collector)) {
        const end = set.tracker;
        if (end.nowSec !== -Infinity) tracker.finish(end.nowSec, end.nowNsec);
        return { rows, transitions: tracker.streams[0]?.transitions ?? [], via: 'offsets' };
      }
    }
  }
  const rows: WatchedSegment[] = [];
  const { tracker } = await trackCapture(path, { timeWaitSeconds, transitions: false, watch: { stream: id, onSegment: (r) => rows.push(r) } });
  return { rows, transitions: tracker.streams[id]?.transitions ?? [], via: 'full-pass' };
}
