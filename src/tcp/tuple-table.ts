/**
 * Open-addressing hash table from a canonical TCP 4-tuple to a small integer, on typed
 * arrays: numeric keys, no string built per packet. A→B and B→A meet in the same slot
 * because the key puts the lower (address, port) endpoint first.
 */

/** Key words: 4 address words per side + one word of ports. */
const KW = 9;
const STRIDE = KW + 1; // + kind: 0 empty, 4 IPv4, 6 IPv6

export class TupleTable {
  private cap = 1 << 12;
  private keys = new Uint32Array(this.cap * STRIDE);
  private vals = new Int32Array(this.cap);
  private used = 0;
  /** The key being looked up: filled by setKey(). */
  private readonly key = new Uint32Array(KW);
  private kind = 0;
  /** After setKey(): the segment's source is the key's first endpoint. */
  srcIsFirst = true;

  /** Build the canonical key of a segment's 4-tuple. */
  setKey(v: 4 | 6, src: Uint32Array, sport: number, dst: Uint32Array, dport: number): void {
    const n = v === 4 ? 1 : 4;
    let cmp = 0;
    for (let i = 0; i < n && cmp === 0; i++) cmp = src[i] === dst[i] ? 0 : src[i] < dst[i] ? -1 : 1;
    if (cmp === 0) cmp = sport - dport;
    const first = cmp <= 0;
    this.srcIsFirst = first;
    const k = this.key;
    const a = first ? src : dst, b = first ? dst : src;
    for (let i = 0; i < 4; i++) { k[i] = i < n ? a[i] : 0; k[4 + i] = i < n ? b[i] : 0; }
    k[8] = first ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
    this.kind = v;
  }

  private hash(): number {
    const k = this.key;
    let h = 0x811c9dc5 | 0;
    // IPv4 keys use words 0, 4 and 8 only: hash just those
    const step = this.kind === 4 ? 4 : 1;
    for (let i = 0; i < KW; i += step) {
      h = Math.imul(h ^ k[i], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private slotOf(): number {
    const mask = this.cap - 1;
    const keys = this.keys, k = this.key, kind = this.kind;
    let s = this.hash() & mask;
    for (;;) {
      const base = s * STRIDE;
      const kk = keys[base + KW];
      if (kk === 0) return s;
      if (kk === kind && keys[base] === k[0] && keys[base + 8] === k[8] && keys[base + 4] === k[4] &&
          keys[base + 1] === k[1] && keys[base + 2] === k[2] && keys[base + 3] === k[3] &&
          keys[base + 5] === k[5] && keys[base + 6] === k[6] && keys[base + 7] === k[7]) return s;
      s = (s + 1) & mask;
    }
  }

  /** The value stored for the current key, or −1. */
  get(): number {
    const s = this.slotOf();
    return this.keys[s * STRIDE + KW] === 0 ? -1 : this.vals[s];
  }

  /** Store a value for the current key (insert or replace). */
  set(value: number): void {
    let s = this.slotOf();
    if (this.keys[s * STRIDE + KW] === 0) {
      if ((this.used + 1) * 2 > this.cap) {
        this.grow();
        s = this.slotOf();
      }
      this.keys.set(this.key, s * STRIDE);
      this.keys[s * STRIDE + KW] = this.kind;
      this.used++;
    }
    this.vals[s] = value;
  }

  get size(): number {
    return this.used;
  }

  private grow(): void {
    const oldKeys = this.keys, oldVals = this.vals, oldCap = this.cap;
    const saveKey = this.key.slice(), saveKind = this.kind;
    this.cap *= 2;
    this.keys = new Uint32Array(this.cap * STRIDE);
    this.vals = new Int32Array(this.cap);
    for (let s = 0; s < oldCap; s++) {
      const base = s * STRIDE;
      const kind = oldKeys[base + KW];
      if (kind === 0) continue;
      this.key.set(oldKeys.subarray(base, base + KW));
      this.kind = kind;
      const t = this.slotOf();
      this.keys.set(oldKeys.subarray(base, base + STRIDE), t * STRIDE);
      this.vals[t] = oldVals[s];
    }
    this.key.set(saveKey);
    this.kind = saveKind;
  }
}

/** What TupleIndex reads of a segment. */
interface TupleFields {
  readonly ipVersion: 4 | 6;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly srcPort: number;
  readonly dstPort: number;
}

/**
 * Numbers 4-tuples 0, 1, 2, … in order of first appearance (either direction). The tracker keeps
 * the latest stream of each tuple by this number; the reading thread of the segment pipe computes
 * it too, so the tracker does not hash the segments it is handed.
 */
export class TupleIndex {
  private readonly table = new TupleTable();
  private n = 0;
  /** The IPv4 4-tuple of the previous lookup, its number, and whether its source was the key's first endpoint (most segments follow one of the same tuple). */
  private lastA = 0; private lastB = 0; private lastPa = 0; private lastPb = 0; private lastIdx = -1; private lastFirst = true;
  /**
   * After of(): the segment's source is the lower (address, port) endpoint of its 4-tuple, the first of
   * the tuple's canonical key. The direction of the segment within its tuple, the same for every frame.
   */
  srcIsFirst = true;

  /** The number of the segment's 4-tuple; a tuple not seen before gets the next one. */
  of(seg: TupleFields): number {
    const a = seg.src[0], b = seg.dst[0], pa = seg.srcPort, pb = seg.dstPort;
    const v4 = seg.ipVersion === 4;
    if (v4 && this.lastIdx >= 0) {
      if (a === this.lastA && b === this.lastB && pa === this.lastPa && pb === this.lastPb) { this.srcIsFirst = this.lastFirst; return this.lastIdx; }
      if (a === this.lastB && b === this.lastA && pa === this.lastPb && pb === this.lastPa) { this.srcIsFirst = !this.lastFirst; return this.lastIdx; }
    }
    const t = this.table;
    t.setKey(seg.ipVersion, seg.src, pa, seg.dst, pb);
    this.srcIsFirst = t.srcIsFirst;
    let idx = t.get();
    if (idx < 0) {
      idx = this.n++;
      t.set(idx);
    }
    if (v4) { this.lastA = a; this.lastB = b; this.lastPa = pa; this.lastPb = pb; this.lastIdx = idx; this.lastFirst = t.srcIsFirst; }
    return idx;
  }
}
