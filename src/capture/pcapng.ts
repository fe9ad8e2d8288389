import { FormatParser, MAX_PACKET_BYTES } from './parser.js';
import type { FrameSink } from './frame.js';
import { tsOut, unitsToTs } from './time.js';

/** pcapng block types (draft-ietf-opsawg-pcapng). */
export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  OPB: 0x00000002, // obsolete Packet Block
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  SJE: 0x00000009, // systemd journal export: a record without link-layer packet
  DSB: 0x0000000a,
  CB_COPY: 0x00000bad, // custom block, may be copied
  CB_NOCOPY: 0x40000bad, // custom block, must not be copied
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MIN_BLOCK = 12;
/** A non-packet block larger than this is taken as corruption, not buffered. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;

interface Iface {
  linktype: number;
  snaplen: number;
  /** Timestamp units are 10^-exp s, or 2^-exp s when pow2. */
  exp: number;
  pow2: boolean;
  /** if_tsoffset: seconds added to every timestamp. */
  offset: number;
  /** Index across the whole file, for Frame.iface. */
  globalIndex: number;
}

/** pcapng: any number of sections, each with its own byte order and interfaces. */
export class PcapngParser extends FormatParser {
  private le = true;
  private ifaces: Iface[] = [];
  private sectionOrders = new Set<'le' | 'be'>();
  private interfacesSeen = 0;
  private sections = 0;
  readonly shbVersions: string[] = [];
  readonly blockCounts: Record<string, number> = {};

  constructor(file: string, sink: FrameSink) {
    super(file, sink);
  }

  get format(): string {
    if (this.sectionOrders.size > 1) return 'pcapng-mixed';
    return this.sectionOrders.has('be') ? 'pcapng-be' : 'pcapng-le';
  }

  parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    const f = this.frame;
    f.buf = buf;
    f.dv = dv;
    for (;;) {
      if (end - pos < MIN_BLOCK) { this.need = MIN_BLOCK; return pos; }
      let le = this.le;
      const type = dv.getUint32(pos, le);
      if (type === BLOCK.SHB) {
        const bom = dv.getUint32(pos + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else { this.corrupt(base + pos, `section header block has a bad byte-order magic 0x${bom.toString(16)}`); return pos; }
      } else if (this.sections === 0) {
        this.corrupt(base + pos, 'the file does not start with a section header block'); return pos;
      }
      const len = dv.getUint32(pos + 4, le);
      if (len < MIN_BLOCK || len % 4 !== 0) {
        this.corrupt(base + pos, `block of type 0x${type.toString(16)} has an invalid length ${len}`);
        return pos;
      }
      if (len > MAX_BLOCK_BYTES) {
        this.corrupt(base + pos, `block of type 0x${type.toString(16)} claims ${len} bytes, more than the ${MAX_BLOCK_BYTES}-byte maximum (damaged or corrupt file)`);
        return pos;
      }
      if (end - pos < len) { this.need = len; return pos; }
      if (dv.getUint32(pos + len - 4, le) !== len) {
        this.corrupt(base + pos, `block of type 0x${type.toString(16)}: its trailing length ${dv.getUint32(pos + len - 4, le)} differs from its leading length ${len}`);
        return pos;
      }
      if (type === BLOCK.EPB) {
        // interface id, ts high, ts low, caplen, origlen, data…
        if (len < 32) { this.corrupt(base + pos, `enhanced packet block too short (${len} bytes)`); return pos; }
        const ifc = this.iface(dv.getUint32(pos + 8, le), base + pos);
        if (ifc === null) return pos;
        const cap = dv.getUint32(pos + 20, le);
        if (!this.checkCaplen(cap, len - 32, base + pos)) return pos;
        this.emit(ifc, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), cap, dv.getUint32(pos + 24, le), pos + 28, base + pos);
      } else if (type === BLOCK.SPB) {
        if (len < 16) { this.corrupt(base + pos, `simple packet block too short (${len} bytes)`); return pos; }
        const ifc = this.iface(0, base + pos);
        if (ifc === null) return pos;
        const orig = dv.getUint32(pos + 8, le);
        let cap = Math.min(orig, len - 16);
        if (ifc.snaplen !== 0 && cap > ifc.snaplen) cap = ifc.snaplen;
        if (!this.checkCaplen(cap, len - 16, base + pos)) return pos;
        // a simple packet block has no timestamp
        f.number = ++this.records; this.packets++;
        f.tsSec = 0; f.tsNsec = 0; f.iface = ifc.globalIndex; f.linktype = ifc.linktype;
        f.caplen = cap; f.origlen = orig; f.fileOffset = base + pos; f.dataOffset = pos + 12;
        this.sink.onFrame(f);
      } else if (type === BLOCK.OPB) {
        if (len < 32) { this.corrupt(base + pos, `packet block too short (${len} bytes)`); return pos; }
        const ifc = this.iface(dv.getUint16(pos + 8, le), base + pos);
        if (ifc === null) return pos;
        const cap = dv.getUint32(pos + 20, le);
        if (!this.checkCaplen(cap, len - 32, base + pos)) return pos;
        this.emit(ifc, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), cap, dv.getUint32(pos + 24, le), pos + 28, base + pos);
      } else if (type === BLOCK.SHB) {
        if (!this.sectionHeader(dv, pos, len, le, base)) return pos;
        this.onHeaderBlock?.(base + pos, len);
      } else if (type === BLOCK.IDB) {
        if (len < 20) { this.corrupt(base + pos, `interface description block too short (${len} bytes)`); return pos; }
        this.interfaceDescription(dv, pos, len, le);
        this.onHeaderBlock?.(base + pos, len);
      } else if (type === BLOCK.CB_COPY || type === BLOCK.CB_NOCOPY || type === BLOCK.SJE) {
        // Wireshark lists these records as frames: they use up a frame number
        this.count(type);
        this.records++;
        this.nonPacketRecords++;
        this.sink.onNonPacketRecord?.(this.records, base + pos);
      } else if (type === BLOCK.ISB) {
        this.count(type);
        if (len >= 24) this.interfaceStatistics(dv, pos, len, le);
      } else {
        this.count(type); // NRB, DSB, unknown: skipped by their length
      }
      pos += len;
    }
  }

  private count(type: number): void {
    const name = BLOCK_NAMES[type] ?? `0x${type.toString(16)}`;
    this.blockCounts[name] = (this.blockCounts[name] ?? 0) + 1;
  }

  private sectionHeader(dv: DataView, pos: number, len: number, le: boolean, base: number): boolean {
    if (len < 28) { this.corrupt(base + pos, `section header block too short (${len} bytes)`); return false; }
    const major = dv.getUint16(pos + 12, le);
    const minor = dv.getUint16(pos + 14, le);
    const version = `${major}.${minor}`;
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.warn(base + pos, this.records + 1, `section ${this.sections + 1} has unsupported pcapng version ${version}; stopped reading`);
      this.stopped = true;
      this.damaged = true;
      return false;
    }
    this.le = le;
    this.sections++;
    this.shbVersions.push(version);
    this.sectionOrders.add(le ? 'le' : 'be');
    this.ifaces = []; // interface ids restart in every section
    this.count(BLOCK.SHB);
    return true;
  }

  private interfaceDescription(dv: DataView, pos: number, len: number, le: boolean): void {
    const ifc: Iface = {
      linktype: dv.getUint16(pos + 8, le),
      snaplen: dv.getUint32(pos + 12, le),
      exp: 6,
      pow2: false,
      offset: 0,
      globalIndex: this.interfacesSeen++,
    };
    forEachOption(dv, pos + 16, pos + len - 4, le, (code, v, olen) => {
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = dv.getUint8(v);
        ifc.pow2 = (r & 0x80) !== 0;
        ifc.exp = r & 0x7f;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        ifc.offset = Number(dv.getBigInt64(v, le));
      }
    });
    this.ifaces.push(ifc);
    this.addLinktype(ifc.linktype);
    this.count(BLOCK.IDB);
  }

  /** Keep the drop counters of an interface statistics block (the last block of an interface wins: they are cumulative). */
  private interfaceStatistics(dv: DataView, pos: number, len: number, le: boolean): void {
    const ifc = this.ifaces[dv.getUint32(pos + 8, le)];
    if (ifc === undefined) return;
    let ifDrop: number | null = null, osDrop: number | null = null;
    forEachOption(dv, pos + 20, pos + len - 4, le, (code, v, olen) => {
      if (olen === 8 && code === OPT_ISB_IFDROP) ifDrop = Number(dv.getBigUint64(v, le));
      else if (olen === 8 && code === OPT_ISB_OSDROP) osDrop = Number(dv.getBigUint64(v, le));
    });
    if (ifDrop === null && osDrop === null) return;
    const known = this.drops.find((d) => d.interface === ifc.globalIndex);
    if (known !== undefined) { known.ifDrop = ifDrop; known.osDrop = osDrop; }
    else this.drops.push({ interface: ifc.globalIndex, ifDrop, osDrop });
  }

  private iface(id: number, offset: number): Iface | null {
    const ifc = this.ifaces[id];
    if (ifc === undefined) {
      this.corrupt(offset, `packet refers to interface ${id}, but the section describes only ${this.ifaces.length}`);
      return null;
    }
    return ifc;
  }

  private checkCaplen(cap: number, room: number, offset: number): boolean {
    if (cap > MAX_PACKET_BYTES) {
      this.corrupt(offset, `packet claims ${cap} captured bytes, more than the ${MAX_PACKET_BYTES}-byte maximum (damaged or corrupt file)`);
      return false;
    }
    if (cap > room) {
      this.corrupt(offset, `packet claims ${cap} captured bytes but its block holds only ${room}`);
      return false;
    }
    return true;
  }

  private emit(ifc: Iface, high: number, low: number, cap: number, orig: number, dataPos: number, offset: number): void {
    const f = this.frame;
    unitsToTs(high, low, ifc.exp, ifc.pow2);
    f.number = ++this.records;
    this.packets++;
    f.tsSec = tsOut.sec + ifc.offset;
    f.tsNsec = tsOut.nsec;
    f.iface = ifc.globalIndex;
    f.linktype = ifc.linktype;
    f.caplen = cap;
    f.origlen = orig;
    f.fileOffset = offset;
    f.dataOffset = dataPos;
    this.sink.onFrame(f);
  }
}

/**
 * Walk a block's options from `start` to `optEnd` (its trailing length): `visit` gets each option's
 * code, the position of its value and its length; the walk stops at the end-of-options marker or at
 * an option that would overrun the block. (Header blocks only: not on the per-packet path.)
 */
function forEachOption(dv: DataView, start: number, optEnd: number, le: boolean, visit: (code: number, v: number, olen: number) => void): void {
  let o = start;
  while (o + 4 <= optEnd) {
    const code = dv.getUint16(o, le);
    const olen = dv.getUint16(o + 2, le);
    if (code === 0) break;
    const v = o + 4;
    if (v + olen > optEnd) break;
    visit(code, v, olen);
    o = v + ((olen + 3) & ~3);
  }
}

const BLOCK_NAMES: Record<number, string> = {
  [BLOCK.SHB]: 'SHB', [BLOCK.IDB]: 'IDB', [BLOCK.OPB]: 'OPB', [BLOCK.SPB]: 'SPB', [BLOCK.NRB]: 'NRB',
  [BLOCK.ISB]: 'ISB', [BLOCK.EPB]: 'EPB', [BLOCK.SJE]: 'SJE', [BLOCK.DSB]: 'DSB',
  [BLOCK.CB_COPY]: 'CB', [BLOCK.CB_NOCOPY]: 'CB',
};
