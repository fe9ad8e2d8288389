/**
 * Fixed-size records in chunked typed arrays, for per-stream state that every stream keeps for
 * the whole capture. Hundreds of thousands of small objects cost the garbage collector time on
 * every pass and several times their data in memory; a record costs its bytes, outside the heap.
 *
 * A record is `f64Slots` Float64 values followed by `i32Slots` Int32 values. Records are handed
 * out in order (0, 1, 2, …), or reached by a number the caller owns (a tuple or stream id); a chunk
 * holds CHUNK_RECORDS of them and is never moved.
 */
const CHUNK_BITS = 12;
const CHUNK_RECORDS = 1 << CHUNK_BITS;

export class RecordStore {
  private readonly f64: Float64Array[] = [];
  private readonly i32: Int32Array[] = [];
  private readonly u32: Uint32Array[] = [];
  private readonly recordBytes: number;
  count = 0;

  constructor(
    readonly f64Slots: number,
    readonly i32Slots: number,
  ) {
    this.recordBytes = Math.ceil((8 * f64Slots + 4 * i32Slots) / 8) * 8;
  }

  /** Append a zeroed record and return its index. */
  add(): number {
    const n = this.count;
    this.reach(n);
    return n;
  }

  /** Make records up to n exist (new ones zeroed), for stores indexed by a number given from outside. */
  reach(n: number): void {
    if (n < this.count) return;
    this.count = n + 1;
    while (this.i32.length <= n >>> CHUNK_BITS) {
      const buf = new ArrayBuffer(CHUNK_RECORDS * this.recordBytes);
      this.f64.push(new Float64Array(buf));
      this.i32.push(new Int32Array(buf));
      this.u32.push(new Uint32Array(buf));
    }
  }

  /** The Float64 view holding record n, and the index of its first Float64 slot. */
  f64Of(n: number): Float64Array { return this.f64[n >>> CHUNK_BITS]; }
  f64Base(n: number): number { return ((n & (CHUNK_RECORDS - 1)) * this.recordBytes) / 8; }
  /** The Int32 view holding record n, and the index of its first Int32 slot. */
  i32Of(n: number): Int32Array { return this.i32[n >>> CHUNK_BITS]; }
  i32Base(n: number): number { return ((n & (CHUNK_RECORDS - 1)) * this.recordBytes + 8 * this.f64Slots) / 4; }
  /** The Uint32 view holding record n (the same memory as i32Of: for unsigned fields), indexed by i32Base. */
  u32Of(n: number): Uint32Array { return this.u32[n >>> CHUNK_BITS]; }
}

/** A view on one record of a RecordStore: subclasses define their fields as accessors over it. */
export class RecordView {
  protected readonly f: Float64Array;
  protected readonly fo: number;
  protected readonly i: Int32Array;
  protected readonly io: number;

  constructor(store: RecordStore) {
    const n = store.add();
    this.f = store.f64Of(n);
    this.fo = store.f64Base(n);
    this.i = store.i32Of(n);
    this.io = store.i32Base(n);
  }

  /** Set (`on`) or clear `bits` in Int32 slot `slot` of the record: for booleans packed into a flag word. */
  protected setBits(slot: number, bits: number, on: boolean): void {
    const k = this.io + slot;
    this.i[k] = on ? this.i[k] | bits : this.i[k] & ~bits;
  }
}
