/**
 * Test-only writers for pcap, pcapng and packet headers, for the edge cases no real stack
 * produces on demand (damaged files, odd link types, fragments, malformed options).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDir } from './tmp.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Bytes from spaced hex, e.g. 'c350 0050 000003e8'. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

class W {
  private b: number[] = [];
  constructor(private le: boolean) {}
  u8(v: number): this { this.b.push(v & 0xff); return this; }
  u16(v: number): this {
    if (this.le) this.b.push(v & 0xff, (v >> 8) & 0xff); else this.b.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    const x = v >>> 0;
    const bs = [(x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff];
    this.b.push(...(this.le ? bs.reverse() : bs));
    return this;
  }
  bytes(d: Uint8Array): this { for (const x of d) this.b.push(x); return this; }
  pad4(): this { while (this.b.length % 4) this.b.push(0); return this; }
  get length(): number { return this.b.length; }
  done(): Uint8Array { return Uint8Array.from(this.b); }
}

export interface PcapRecord {
  sec?: number;
  frac?: number;
  data: Uint8Array;
  origlen?: number;
  /** Override the captured length written in the header (for damaged files). */
  incl?: number;
}

export function pcapFile(
  opts: { le?: boolean; nsec?: boolean; modified?: boolean; linktype?: number; snaplen?: number; rawLinktype?: number },
  records: PcapRecord[],
): Uint8Array {
  const le = opts.le ?? true;
  const w = new W(le);
  const magic = opts.modified ? 0xa1b2cd34 : opts.nsec ? 0xa1b23c4d : 0xa1b2c3d4;
  w.u32(magic).u16(2).u16(4).u32(0).u32(0).u32(opts.snaplen ?? 262144).u32(opts.rawLinktype ?? opts.linktype ?? 1);
  for (const r of records) {
    w.u32(r.sec ?? 1_700_000_000).u32(r.frac ?? 0).u32(r.incl ?? r.data.length).u32(r.origlen ?? r.data.length);
    if (opts.modified) w.u32(0).u16(0).u8(0).u8(0);
    w.bytes(r.data);
  }
  return w.done();
}

/** pcapng blocks; concatenate them with `concat`. */
export const ng = {
  block(le: boolean, type: number, body: Uint8Array, lengthOverride?: number, trailerOverride?: number): Uint8Array {
    const w = new W(le);
    const padded = new W(le).bytes(body).pad4().done();
    const len = 12 + padded.length;
    w.u32(type).u32(lengthOverride ?? len).bytes(padded).u32(trailerOverride ?? lengthOverride ?? len);
    return w.done();
  },
  shb(le = true, major = 1, minor = 0): Uint8Array {
    const body = new W(le).u32(0x1a2b3c4d).u16(major).u16(minor).u32(0xffffffff).u32(0xffffffff).done();
    return ng.block(le, 0x0a0d0d0a, body);
  },
  /** `tsresol` is the raw option byte (e.g. 9 for ns, 0x88 for 2^-8); `tsoffset` in seconds. */
  idb(le: boolean, linktype: number, o: { snaplen?: number; tsresol?: number; tsoffset?: number } = {}): Uint8Array {
    const w = new W(le).u16(linktype).u16(0).u32(o.snaplen ?? 0);
    if (o.tsresol !== undefined) w.u16(9).u16(1).u8(o.tsresol).u8(0).u8(0).u8(0);
    if (o.tsoffset !== undefined) {
      const v = BigInt(o.tsoffset);
      const hi = Number((v >> 32n) & 0xffffffffn), lo = Number(v & 0xffffffffn);
      w.u16(14).u16(8);
      if (le) w.u32(lo).u32(hi); else w.u32(hi).u32(lo);
    }
    if (o.tsresol !== undefined || o.tsoffset !== undefined) w.u16(0).u16(0);
    return ng.block(le, 1, w.done());
  },
  epb(le: boolean, iface: number, high: number, low: number, data: Uint8Array, origlen?: number, caplen?: number): Uint8Array {
    const w = new W(le).u32(iface).u32(high).u32(low).u32(caplen ?? data.length).u32(origlen ?? data.length).bytes(data).pad4();
    return ng.block(le, 6, w.done());
  },
  spb(le: boolean, data: Uint8Array, origlen?: number): Uint8Array {
    return ng.block(le, 3, new W(le).u32(origlen ?? data.length).bytes(data).pad4().done());
  },
  opb(le: boolean, iface: number, high: number, low: number, data: Uint8Array): Uint8Array {
    const w = new W(le).u16(iface).u16(0).u32(high).u32(low).u32(data.length).u32(data.length).bytes(data).pad4();
    return ng.block(le, 2, w.done());
  },
  custom(le: boolean, copyable = true): Uint8Array {
    return ng.block(le, copyable ? 0x00000bad : 0x40000bad, new W(le).u32(32473).u32(0xdeadbeef).done());
  },
  /** An interface statistics block, with isb_ifdrop (5) and isb_osdrop (7) when given. */
  isb(le: boolean, iface: number, drops: { ifDrop?: number; osDrop?: number } = {}): Uint8Array {
    const w = new W(le).u32(iface).u32(0).u32(0);
    const u64 = (code: number, v: number) => { w.u16(code).u16(8); if (le) w.u32(v).u32(0); else w.u32(0).u32(v); };
    if (drops.ifDrop !== undefined) u64(5, drops.ifDrop);
    if (drops.osDrop !== undefined) u64(7, drops.osDrop);
    if (drops.ifDrop !== undefined || drops.osDrop !== undefined) w.u16(0).u16(0);
    return ng.block(le, 5, w.done());
  },
  nrb(le: boolean): Uint8Array {
    return ng.block(le, 4, new W(le).u16(0).u16(0).done());
  },
};

// ------------------------------------------------------------------ packets

export function ip4(a: string): number {
  return a.split('.').reduce((acc, x) => ((acc << 8) | Number(x)) >>> 0, 0);
}

export interface TcpOpts {
  sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; win?: number;
  options?: Uint8Array; payload?: Uint8Array; dataOffset?: number;
}

export function tcp(o: TcpOpts = {}): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const hl = 20 + optLen;
  const w = new W(false).u16(o.sport ?? 40000).u16(o.dport ?? 80).u32(o.seq ?? 1000).u32(o.ack ?? 0);
  w.u16((((o.dataOffset ?? hl / 4) & 15) << 12) | ((o.flags ?? 0x10) & 0x1ff)).u16(o.win ?? 65535).u16(0).u16(0);
  w.bytes(opts);
  while (w.length < hl) w.u8(0);
  w.bytes(o.payload ?? new Uint8Array(0));
  return w.done();
}

export interface Ip4Opts {
  src?: string; dst?: string; proto?: number; id?: number; mf?: boolean; fragOffset?: number;
  options?: Uint8Array; totalLength?: number; payload: Uint8Array;
}

export function ipv4(o: Ip4Opts): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const ihl = 20 + ((opt.length + 3) & ~3);
  const w = new W(false).u8(0x40 | (ihl / 4)).u8(0).u16(o.totalLength ?? ihl + o.payload.length).u16(o.id ?? 1);
  w.u16((o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3)).u8(64).u8(o.proto ?? 6).u16(0);
  w.u32(ip4(o.src ?? '10.0.0.1')).u32(ip4(o.dst ?? '10.0.0.2')).bytes(opt);
  while (w.length < ihl) w.u8(1);
  return concat(w.done(), o.payload);
}

export function ip6addr(last: number): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfd; a[1] = 0x77; a[15] = last;
  return a;
}

export function ipv6(o: { nh?: number; payload: Uint8Array; src?: number; dst?: number; payloadLength?: number }): Uint8Array {
  const w = new W(false).u32(0x60000000).u16(o.payloadLength ?? o.payload.length).u8(o.nh ?? 6).u8(64);
  w.bytes(ip6addr(o.src ?? 1)).bytes(ip6addr(o.dst ?? 2));
  return concat(w.done(), o.payload);
}

/** An IPv6 extension header (hop-by-hop, routing, destination options) of 8 bytes. */
export function ext6(nh: number): Uint8Array {
  return Uint8Array.from([nh, 0, 1, 4, 0, 0, 0, 0]);
}

export function frag6(nh: number, offset: number, more: boolean, id: number): Uint8Array {
  return new W(false).u8(nh).u8(0).u16(offset | (more ? 1 : 0)).u32(id).done();
}

export function ether(type: number, payload: Uint8Array): Uint8Array {
  return concat(hex('0200 0000 0002 0200 0000 0001'), new W(false).u16(type).done(), payload);
}

export function be16(v: number): Uint8Array {
  return Uint8Array.from([(v >> 8) & 0xff, v & 0xff]);
}

export function be32(v: number): Uint8Array {
  return Uint8Array.from([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** Write bytes to a fresh temporary file and return its path (removed when the test run ends). */
export function tmpFile(name: string, bytes: Uint8Array): string {
  const p = join(testDir(), name);
  writeFileSync(p, bytes);
  return p;
}

/** A capture of `n` IEEE 802.11 data frames (link type 105) with the protected flag set: an encrypted Wi-Fi network's traffic. */
export function protectedWifiCapture(n: number): Uint8Array {
  const frame = concat(hex('0841 0000 020000000001 020000000002 020000000003 1000'), new Uint8Array(80));
  return pcapFile({ linktype: 105 }, Array.from({ length: n }, (_, i) => (i === 0 ? { sec: 1700000000, data: frame } : { data: frame })));
}

/**
 * A pcap file (little-endian, as the recorder writes) rebuilt record by record: `keep` sees each
 * record (its 16-byte header and data, a copy it may change) and its 1-based frame number, and
 * returns it to keep it or null to leave it out. The file header stays.
 */
export function rewritePcap(file: Uint8Array, keep: (record: Buffer, frame: number) => Buffer | null): Uint8Array {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const out: Uint8Array[] = [b.subarray(0, 24)];
  for (let p = 24, n = 1; p + 16 <= b.length; n++) {
    const len = 16 + b.readUInt32LE(p + 8);
    const r = keep(Buffer.from(b.subarray(p, p + len)), n);
    if (r !== null) out.push(r);
    p += len;
  }
  return Buffer.concat(out);
}
