import { FormatParser, MAX_PACKET_BYTES } from './parser.js';
import type { FrameSink } from './frame.js';

/** Classic libpcap magic numbers as read little-endian from the first four bytes. */
export const PCAP_MAGIC = {
  usecLE: 0xa1b2c3d4, // bytes d4 c3 b2 a1
  usecBE: 0xd4c3b2a1, // bytes a1 b2 c3 d4
  nsecLE: 0xa1b23c4d,
  nsecBE: 0x4d3cb2a1,
  modLE: 0xa1b2cd34, // Kuznetsov's "modified" pcap: 24-byte record header
  modBE: 0x34cdb2a1,
} as const;

const FILE_HEADER = 24;
/** The link type field's upper bits carry FCS length and flags (pcap spec §LinkType). */
const LINKTYPE_MASK = 0x0000ffff;

export function isPcapMagic(m: number): boolean {
  return (
    m === PCAP_MAGIC.usecLE || m === PCAP_MAGIC.usecBE || m === PCAP_MAGIC.nsecLE ||
    m === PCAP_MAGIC.nsecBE || m === PCAP_MAGIC.modLE || m === PCAP_MAGIC.modBE
  );
}

/** Classic pcap (tcpdump/libpcap): µs or ns, either byte order, and the "modified" variant. */
export class PcapParser extends FormatParser {
  private le = true;
  private nsec = false;
  private modified = false;
  private headerDone = false;
  private recordHeader = 16;
  snaplen = 0;
  version = '';
  private caplenOverSnaplen = 0;
  private firstOverSnaplen = 0;
  private firstOverSnaplenOffset = 0;

  constructor(file: string, sink: FrameSink) {
    super(file, sink);
  }

  get format(): string {
    return `pcap-${this.le ? 'le' : 'be'}-${this.modified ? 'usec-modified' : this.nsec ? 'nsec' : 'usec'}`;
  }

  private readHeader(dv: DataView, pos: number): void {
    const m = dv.getUint32(pos, true);
    this.le = m === PCAP_MAGIC.usecLE || m === PCAP_MAGIC.nsecLE || m === PCAP_MAGIC.modLE;
    this.nsec = m === PCAP_MAGIC.nsecLE || m === PCAP_MAGIC.nsecBE;
    this.modified = m === PCAP_MAGIC.modLE || m === PCAP_MAGIC.modBE;
    this.recordHeader = this.modified ? 24 : 16;
    this.version = `${dv.getUint16(pos + 4, this.le)}.${dv.getUint16(pos + 6, this.le)}`;
    this.snaplen = dv.getUint32(pos + 16, this.le);
    const lt = dv.getUint32(pos + 20, this.le) & LINKTYPE_MASK;
    this.addLinktype(lt);
    this.frame.linktype = lt;
    this.frame.iface = 0;
    this.headerDone = true;
  }

  parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    if (!this.headerDone) {
      if (end - pos < FILE_HEADER) { this.need = FILE_HEADER; return pos; }
      this.readHeader(dv, pos);
      pos += FILE_HEADER;
    }
    const le = this.le;
    const hdr = this.recordHeader;
    const fracMul = this.nsec ? 1 : 1000;
    const snaplen = this.snaplen;
    const f = this.frame;
    const sink = this.sink;
    f.buf = buf;
    f.dv = dv;
    for (;;) {
      if (end - pos < hdr) { this.need = hdr; return pos; }
      const incl = dv.getUint32(pos + 8, le);
      if (incl > MAX_PACKET_BYTES) {
        this.corrupt(base + pos, `record claims ${incl} captured bytes, more than the ${MAX_PACKET_BYTES}-byte maximum (damaged or corrupt file)`);
        return pos;
      }
      const total = hdr + incl;
      if (end - pos < total) { this.need = total; return pos; }
      let sec = dv.getUint32(pos, le);
      let ns = dv.getUint32(pos + 4, le) * fracMul;
      if (ns >= 1e9) { sec += Math.floor(ns / 1e9); ns %= 1e9; }
      if (incl > snaplen && snaplen !== 0) {
        if (this.caplenOverSnaplen++ === 0) { this.firstOverSnaplen = this.records + 1; this.firstOverSnaplenOffset = base + pos; }
      }
      f.number = ++this.records;
      this.packets++;
      f.tsSec = sec;
      f.tsNsec = ns;
      f.caplen = incl;
      f.origlen = dv.getUint32(pos + 12, le);
      f.fileOffset = base + pos;
      f.dataOffset = pos + hdr;
      sink.onFrame(f);
      pos += total;
    }
  }

  override finish(left: number, offset: number): void {
    if (!this.headerDone && !this.stopped) {
      this.corrupt(offset, `the file is cut short inside the ${FILE_HEADER}-byte pcap header`);
      return;
    }
    super.finish(left, offset);
    if (this.caplenOverSnaplen > 0) {
      this.warn(this.firstOverSnaplenOffset, this.firstOverSnaplen,
        `${this.caplenOverSnaplen} record(s) captured more bytes than the file's snaplen of ${this.snaplen}, first in frame ${this.firstOverSnaplen}`);
    }
  }
}
