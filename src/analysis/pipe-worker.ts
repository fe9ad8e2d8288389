/**
 * The reading side of the segment pipe (see pipe.ts): runs in a worker thread, reads and decodes
 * one capture with the ordinary reader, and writes every frame's clock and every decoded segment
 * into the shared slots. Ends by posting the capture's StatsReport, or the error that stopped it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureError } from '../capture/frame.js';
import type { Segment } from '../decode/segment.js';
import { StreamAssigner, type StreamAssignment } from '../tcp/stream-assigner.js';
import { LinkCheck } from '../tcp/link-check.js';
import { TupleIndex } from '../tcp/tuple-table.js';
import { FlagComputer, FlagRecord, attachFlags } from './anomalies.js';
import { SLOTS, SlotWriter, slotViews } from './pipe.js';
import { captureStats } from './stats.js';
import type { PipeData, PipeMessage } from './piped.js';

const port = parentPort!;
// started ahead of need (see prewarm.ts), the worker gets its capture by message
// (port.once, unlike events.once, keeps the thread alive while it waits)
const data = (workerData ?? (await new Promise((resolve) => port.once('message', resolve)))) as PipeData;
const control = new Int32Array(data.control);
const slots = slotViews(data.slots);

let slot = 0;
const out = new SlotWriter(slots[0]);
out.slim = data.options.slim === true;
let bytesRead = 0;
let packets = 0;
const tuples = new TupleIndex();
/** The VLAN and link-layer checks, done here for the tracker: the fields they read stay in this thread. */
const links = new LinkCheck();

const post = (m: PipeMessage): void => port.postMessage(m);

/**
 * For `analyze`, the tracker's stream numbering, done here too (see StreamAssigner): the same headers in
 * the same order. (For `flows` the tracker numbers them: done here, with the assignment in every record, `flows`
 * measured no faster on a 5-million-packet capture, although this thread then waits for the tracker a second in all.)
 */
const streams = new StreamAssigner();

/**
 * For `analyze`: the Wireshark flags of every header, computed here, where they cost the tracking
 * thread nothing. The headers reach the FlagComputer as the tracker hands them to its hook: with
 * the same streams and bases, in the same order, and only those Tracker.onSegment analyses.
 */
class ReaderFlags {
  private readonly computer = new FlagComputer();
  private readonly rec = new FlagRecord();
  private readonly ref = { id: 0, tuple: 0, baseOf: (i: number): number => streams.result.baseOf(i) };

  /** An analysed header (see Tracker.onSegment) of the stream `a` found. */
  run(seg: Segment, a: StreamAssignment): void {
    this.ref.id = a.stream;
    this.ref.tuple = seg.tuple;
    const flags = this.computer.compute(this.ref, a.d, seg, a.reuse, a.sameIsnSyn, this.rec);
    attachFlags(seg, flags, this.rec, this.computer.prevNextRaw);
  }
}
const flags = data.options.wireshark === true ? new ReaderFlags() : null;

/** Hand the filled slot to the main thread and wait for the next one to be free. */
function flush(): void {
  out.writeClock();
  if (out.pos === 0) return;
  Atomics.store(control, slot, 1);
  post({ t: 'slot', slot, words: out.pos, bytesRead, packets });
  slot = (slot + 1) % SLOTS;
  while (Atomics.load(control, slot) !== 0) Atomics.wait(control, slot, 1);
  out.w = slots[slot];
  out.pos = 0;
}

const consumer = {
  clock(sec: number, nsec: number): void {
    if (out.full) flush();
    out.clock(sec, nsec);
  },
  onSegment(seg: Segment): void {
    if (out.full) flush();
    // the tracker's tuple numbering (and for analyze its stream numbering), done here: the same segments in the same order
    if (seg.hasStreamFields) {
      seg.tuple = tuples.of(seg);
      links.check(seg, seg.tuple, tuples.srcIsFirst);
      if (flags !== null) {
        // the flags need the streams: the tracker then takes them from here
        streams.assign(seg, seg.tuple);
        seg.assignment = streams.result;
        // as in Tracker.onSegment: ICMP-quoted headers are analysed, other headers if their length is plausible, and these set the bases
        if (seg.quoted) flags.run(seg, streams.result);
        else if (seg.headerValid) { streams.noteBases(seg); flags.run(seg, streams.result); }
      }
    }
    out.segment(seg);
  },
};

try {
  const stats = await captureStats(data.path, {
    ...data.options,
    onProgress: (p) => { bytesRead = p.bytesRead; packets = p.packets; },
    // (a block's records come later in the file, so this message goes before the slot that holds them)
    onHeaderBlock: data.options.headerBlocks === true ? (offset, length) => post({ t: 'header', offset, length }) : undefined,
  }, consumer);
  flush();
  stats.warnings.push(...links.warnings(stats.file));
  post({ t: 'done', stats });
} catch (e) {
  flush();
  if (e instanceof CaptureError) post({ t: 'capture-error', file: e.file, message: e.message });
  else post({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
