/**
 * The segments of one flow with both endpoints' states after each (the ladder's rows), read again
 * from the capture: from the flow's stretch of the file (first record to last, which a FrameIndex
 * kept) when there is one, else by a full pass.
 */
import { readRecordSpan } from '../capture/record-reader.js';
import type { Segment } from '../decode/segment.js';
import type { TransitionRecord } from '../tcp/replay.js';
import { Tracker, type WatchedSegment } from '../tcp/tracker.js';
import type { FrameIndex } from './frame-index.js';
import { trackCapture, type FlowSet } from './flows.js';
import { StatsCollector, type SegmentConsumer } from './stats.js';

export interface FlowSegments {
  rows: WatchedSegment[];
  /**
   * Every transition of the flow, those its own segments carry and those they do not (a newer
   * connection on the 4-tuple superseding it, TIME_WAIT expiring at the end of the capture);
   * endpoints numbered as in `rows`.
   */
  transitions: TransitionRecord[];
  /** The flow that superseded it on its 4-tuple (FlowSet.supersededBy), or null. */
  supersededBy: number | null;
  /** How the rows were read: from the flow's stretch of the file, or from the whole file. */
  via: 'span' | 'full-pass';
}

/**
 * Hands the tracker the segments of one 4-tuple (the first one it is given) and every frame's
 * time: a span of the file holds other connections' segments too. (It compares the addresses
 * itself rather than number the span's tuples with a TupleIndex, which would hash every other
 * tuple's segments too: twice as slow on the bench capture's widest flow, 145 MB of the file.)
 */
class OneTuple implements SegmentConsumer {
  private version = 0;
  private readonly a = new Uint32Array(4);
  private readonly b = new Uint32Array(4);
  private pa = 0;
  private pb = 0;
  /** Segments handed on, and the frame of the last. */
  given = 0;
  lastFrame = -1;

  constructor(private readonly tracker: Tracker) {}

  clock(sec: number, nsec: number): void {
    this.tracker.clock(sec, nsec);
  }

  onSegment(seg: Segment): void {
    if (!seg.hasStreamFields) return; // (no stream's, as in Tracker.onSegment)
    if (this.version === 0) {
      this.version = seg.ipVersion;
      this.a.set(seg.src); this.b.set(seg.dst); this.pa = seg.srcPort; this.pb = seg.dstPort;
    } else if (!this.same(seg)) {
      return;
    }
    this.given++;
    this.lastFrame = seg.frame;
    this.tracker.onSegment(seg);
  }

  private same(seg: Segment): boolean {
    if (seg.ipVersion !== this.version) return false;
    const n = seg.ipVersion === 4 ? 1 : 4;
    if (seg.srcPort === this.pa && seg.dstPort === this.pb && equalWords(seg.src, this.a, n) && equalWords(seg.dst, this.b, n)) return true;
    return seg.srcPort === this.pb && seg.dstPort === this.pa && equalWords(seg.src, this.b, n) && equalWords(seg.dst, this.a, n);
  }
}

function equalWords(x: Uint32Array, y: Uint32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Replay stream `id` alone. Its segments are those of its 4-tuple from its first record to its
 * last (until a newer stream takes the 4-tuple over, every segment on it goes to this one); fed
 * to a fresh tracker in file order, they form stream 0 there with the same bases, states and
 * transitions: the stream rules never look at other streams' segments. What ends it from outside
 * comes along: the first record of the stream that superseded it on the 4-tuple, then the end of
 * the capture `set` was tracked to.
 */
export async function flowSegments(path: string, id: number, timeWaitSeconds: number, index: FrameIndex | null, set: FlowSet): Promise<FlowSegments> {
  const rec = index?.records(id) ?? null;
  const next = set.supersededBy(id);
  const after = next !== null ? index?.records(next) ?? null : null;
  if (index !== null && rec !== null && !rec.reassembled && (next === null || (after !== null && !after.reassembled))) {
    const rows: WatchedSegment[] = [];
    const tracker = new Tracker({ timeWaitSeconds, recordTransitions: false, watch: { stream: 0, onSegment: (r) => rows.push(r) } });
    const one = new OneTuple(tracker);
    const collector = new StatsCollector(path, {}, one);
    // (each read starts the clock where the whole file's reading had it: what is released, and
    // when TIME_WAIT has run out, depend on it; and it must give the stream exactly its own segments)
    tracker.resumeClock(rec.clockSec, rec.clockNsec);
    let ok = readRecordSpan(path, { from: rec.firstOffset, to: rec.lastOffset, firstFrame: rec.firstFrame }, index.headerBlocks, collector) &&
      one.given === rec.count && one.lastFrame === rec.lastFrame;
    if (ok && after !== null) {
      tracker.resumeClock(after.clockSec, after.clockNsec);
      ok = readRecordSpan(path, { from: after.firstOffset, to: after.firstOffset, firstFrame: after.firstFrame }, index.headerBlocks, collector) &&
        one.given === rec.count + 1 && one.lastFrame === after.firstFrame;
    }
    if (ok) {
      const end = set.tracker;
      if (end.nowSec !== -Infinity) tracker.finish(end.nowSec, end.nowNsec);
      return { rows, transitions: tracker.streams[0]?.transitions ?? [], supersededBy: next, via: 'span' };
    }
  }
  const rows: WatchedSegment[] = [];
  const { tracker } = await trackCapture(path, { timeWaitSeconds, transitions: false, watch: { stream: id, onSegment: (r) => rows.push(r) } });
  return { rows, transitions: tracker.streams[id]?.transitions ?? [], supersededBy: next, via: 'full-pass' };
}
