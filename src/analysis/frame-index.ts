/**
 * Where every flow's records are in the capture file, so one flow can be read again by offset
 * (the terminal UI opens a flow of a 1 GB capture without a second pass over the file).
 *
 * Per TCP header attributed to a stream: its frame number and file offset, chained per stream
 * in chunked typed arrays (no per-packet object). pcapng files also need their section and
 * interface blocks, which are kept as (offset, length) pairs.
 */
import type { Segment } from '../decode/segment.js';
import type { FrameRecorder } from '../tcp/tracker.js';

const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** A segment of the stream was reassembled from IP fragments: its bytes span several records. */
const REASSEMBLED = 1;

export interface FlowRecords {
  frames: Int32Array;
  offsets: Float64Array;
  /** Some segment spans several records (IP fragments): reading the listed records is not enough. */
  reassembled: boolean;
}

export class FrameIndex implements FrameRecorder {
  private readonly offsets: Float64Array[] = [];
  private readonly frames: Int32Array[] = [];
  private readonly next: Int32Array[] = [];
  private n = 0;
  private head = new Int32Array(1024).fill(-1);
  private tail = new Int32Array(1024).fill(-1);
  private count = new Int32Array(1024);
  private flags = new Uint8Array(1024);
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
    return this.offsets.length * CHUNK * 16 + this.head.length * 13;
  }

  note(stream: number, seg: Segment): void {
    if (stream >= this.streams) {
      this.streams = stream + 1;
      if (stream >= this.head.length) this.grow(stream);
    }
    const i = this.n++;
    const c = i >>> CHUNK_BITS;
    if (c === this.offsets.length) {
      this.offsets.push(new Float64Array(CHUNK));
      this.frames.push(new Int32Array(CHUNK));
      this.next.push(new Int32Array(CHUNK));
    }
    const k = i & MASK;
    this.offsets[c][k] = seg.fileOffset;
    this.frames[c][k] = seg.frame;
    this.next[c][k] = -1;
    const t = this.tail[stream];
    if (t < 0) this.head[stream] = i;
    else this.next[t >>> CHUNK_BITS][t & MASK] = i;
    this.tail[stream] = i;
    this.count[stream]++;
    if (seg.reassembled) this.flags[stream] |= REASSEMBLED;
  }

  headerBlock = (offset: number, length: number): void => {
    this.headerBlocks.push(offset, length);
  };

  private grow(stream: number): void {
    let size = this.head.length;
    while (size <= stream) size *= 2;
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(size); b.set(a); return b; };
    this.head = widen(this.head, (n) => new Int32Array(n).fill(-1));
    this.tail = widen(this.tail, (n) => new Int32Array(n).fill(-1));
    this.count = widen(this.count, (n) => new Int32Array(n));
    this.flags = widen(this.flags, (n) => new Uint8Array(n));
  }

  /** The records of one stream, in file order (empty for an unknown stream). */
  records(stream: number): FlowRecords {
    const n = stream < this.head.length ? this.count[stream] : 0;
    const frames = new Int32Array(n);
    const offsets = new Float64Array(n);
    let i = n > 0 ? this.head[stream] : -1;
    for (let j = 0; j < n; j++) {
      const c = i >>> CHUNK_BITS, k = i & MASK;
      frames[j] = this.frames[c][k];
      offsets[j] = this.offsets[c][k];
      i = this.next[c][k];
    }
    return { frames, offsets, reassembled: n > 0 && (this.flags[stream] & REASSEMBLED) !== 0 };
  }
}
