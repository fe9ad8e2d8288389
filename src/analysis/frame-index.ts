/**
 * Where every flow's records are in the capture file, so one flow can be read again
 * (the terminal UI opens a flow of a 1 GB capture without a second pass over the file).
 *
 * Per stream, not per frame: the offset and frame number of its first and last records, how
 * many it has and the capture clock at its first, in typed arrays (41 bytes a stream; memory
 * grows with connections, never with packets). A stream's records are those of its 4-tuple between its first and last: until
 * a newer stream takes over the 4-tuple, every segment on it goes to this one (reference §2.2).
 * pcapng files also need their section and interface blocks, which are kept as (offset, length)
 * pairs.
 */
import type { Segment } from '../decode/segment.js';
import type { FrameRecorder } from '../tcp/tracker.js';

/** A segment of the stream was reassembled from IP fragments: its bytes span several records. */
const REASSEMBLED = 1;

export interface FlowRecords {
  /** File offsets of the stream's first and last records. */
  firstOffset: number;
  lastOffset: number;
  /** Their frame numbers. */
  firstFrame: number;
  lastFrame: number;
  /** TCP headers the stream was given (segments, and headers quoted in ICMP errors). */
  count: number;
  /** The capture clock (the latest plausible timestamp, see Tracker.clock) when its first record came. */
  clockSec: number;
  clockNsec: number;
  /** Some segment spans several records (IP fragments): reading records one by one is not enough. */
  reassembled: boolean;
}

export class FrameIndex implements FrameRecorder {
  private firstOffset = new Float64Array(1024);
  private lastOffset = new Float64Array(1024);
  private firstFrame = new Int32Array(1024);
  private lastFrame = new Int32Array(1024);
  private count = new Int32Array(1024);
  private clockSec = new Float64Array(1024);
  private clockNsec = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private n = 0;
  /** pcapng SHB and IDB blocks: offset, length, offset, length, … in file order. */
  readonly headerBlocks: number[] = [];

  /** Streams seen so far (highest id + 1). */
  streams = 0;

  /** Entries recorded (TCP headers attributed to a stream). */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the index's arrays. */
  get bytes(): number {
    return this.count.length * 41 + this.headerBlocks.length * 8;
  }

  note(stream: number, seg: Segment, nowSec: number, nowNsec: number): void {
    if (stream >= this.streams) {
      this.streams = stream + 1;
      if (stream >= this.count.length) this.grow(stream);
    }
    this.n++;
    if (this.count[stream]++ === 0) {
      this.firstOffset[stream] = seg.fileOffset;
      this.firstFrame[stream] = seg.frame;
      this.clockSec[stream] = nowSec;
      this.clockNsec[stream] = nowNsec;
    }
    this.lastOffset[stream] = seg.fileOffset;
    this.lastFrame[stream] = seg.frame;
    if (seg.reassembled) this.flags[stream] |= REASSEMBLED;
  }

  headerBlock = (offset: number, length: number): void => {
    this.headerBlocks.push(offset, length);
  };

  private grow(stream: number): void {
    let size = this.count.length;
    while (size <= stream) size *= 2;
    const widen = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(size); b.set(a); return b; };
    this.firstOffset = widen(this.firstOffset, (n) => new Float64Array(n));
    this.lastOffset = widen(this.lastOffset, (n) => new Float64Array(n));
    this.firstFrame = widen(this.firstFrame, (n) => new Int32Array(n));
    this.lastFrame = widen(this.lastFrame, (n) => new Int32Array(n));
    this.count = widen(this.count, (n) => new Int32Array(n));
    this.clockSec = widen(this.clockSec, (n) => new Float64Array(n));
    this.clockNsec = widen(this.clockNsec, (n) => new Int32Array(n));
    this.flags = widen(this.flags, (n) => new Uint8Array(n));
  }

  /** Where stream `stream`'s records are, or null for a stream without any. */
  records(stream: number): FlowRecords | null {
    if (stream < 0 || stream >= this.streams || this.count[stream] === 0) return null;
    return {
      firstOffset: this.firstOffset[stream], lastOffset: this.lastOffset[stream],
      firstFrame: this.firstFrame[stream], lastFrame: this.lastFrame[stream],
      count: this.count[stream], clockSec: this.clockSec[stream], clockNsec: this.clockNsec[stream],
      reassembled: (this.flags[stream] & REASSEMBLED) !== 0,
    };
  }
}
