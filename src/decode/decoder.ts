import type { Frame } from '../capture/frame.js';
import { Reassembler } from './reassembly.js';
import { Segment, TFO_REQUEST } from './segment.js';

/** What a frame turned out to be. */
export const DECODED_TCP = 0;
/** A TCP header quoted inside an ICMP/ICMPv6 error (matches Wireshark's `tcp` filter, but is no segment). */
export const DECODED_QUOTED_TCP = 1;
export const NOT_TCP = 2;

/** Why a frame is not a TCP segment. Counted, not errors. Index = reason code. */
export const REASONS = [
  'non-ip', // the link layer carries something else (ARP, LLDP, STP, PPP control, …)
  'unsupported-link-type',
  'udp',
  'icmp',
  'icmp-quoting-tcp',
  'other-ip-protocol',
  'ip-fragment', // a fragment that does not (yet) complete its datagram
  'truncated', // a link or IP header cut by the snap length, or by the end of a packet whose lengths promised more
  'malformed', // a link or IP header with impossible values
  'encrypted', // IPsec ESP, or an 802.11 frame with the protected flag: whatever it carries cannot be read
] as const;
export type Reason = (typeof REASONS)[number];
/** The reason code of a frame on a link type the decoder does not place (counted per link type). */
export const REASON_UNSUPPORTED_LINK_TYPE = 1;
/** The reason code of an encrypted frame, and what such frames are, as warnings and views say it. */
export const REASON_ENCRYPTED = 9;
export const ENCRYPTED_FRAMES = 'IPsec ESP, or 802.11 with the protected flag';
const R_NON_IP = 0, R_LINKTYPE = REASON_UNSUPPORTED_LINK_TYPE, R_UDP = 2, R_ICMP = 3, R_ICMP_TCP = 4, R_OTHER = 5, R_FRAG = 6, R_TRUNC = 7, R_MALFORMED = 8, R_ENCRYPTED = REASON_ENCRYPTED;

const ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100, ETH_QINQ = 0x88a8, ETH_QINQ_OLD1 = 0x9100, ETH_QINQ_OLD2 = 0x9200;
const ETH_MPLS = 0x8847, ETH_MPLS_MC = 0x8848, ETH_PPPOE_SESSION = 0x8864, ETH_PPP = 0x880b, ETH_TEB = 0x6558;
const IP_ICMP = 1, IP_IPIP = 4, IP_TCP = 6, IP_UDP = 17, IP_IPV6 = 41, IP_GRE = 47, IP_ESP = 50, IP_ICMPV6 = 58;
/** IANA's UDP ports of VXLAN (RFC 7348), Geneve (RFC 8926), GTP-U (3GPP TS 29.281) and L2TP (RFC 2661), where Wireshark decodes them by default. */
const VXLAN_PORT = 4789, GENEVE_PORT = 6081, GTPU_PORT = 2152, L2TP_PORT = 1701;
/** GRE protocol types of ERSPAN: types I and II, and type III. */
const ERSPAN_II = 0x88be, ERSPAN_III = 0x22eb;
/** Link types that are a metadata header in front of a frame of another link type. */
const LT_PPI = 192, LT_PKTAP = 258;
/** Tunnels nested deeper than this are not followed (protects against crafted loops). */
const MAX_DEPTH = 8;

/** LINKTYPE_ values this decoder understands (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_NAMES: Record<number, string> = {
  0: 'BSD loopback (NULL)', 1: 'Ethernet', 9: 'PPP', 12: 'raw IP', 14: 'raw IP', 50: 'PPP in HDLC framing',
  101: 'raw IP', 104: 'Cisco HDLC', 105: 'IEEE 802.11', 108: 'OpenBSD loopback (LOOP)', 113: 'Linux cooked (SLL)',
  127: 'IEEE 802.11 radiotap', 192: 'PPI', 228: 'raw IPv4', 229: 'raw IPv6', 239: 'Linux NFLOG', 258: 'Apple PKTAP', 276: 'Linux cooked v2 (SLL2)',
};

export function linktypeName(lt: number): string {
  return LINKTYPE_NAMES[lt] ?? 'unknown';
}

export interface DecoderOptions {
  /** Verify TCP checksums (off by default: offloaded checksums are wrong in captures). */
  verifyChecksums?: boolean;
}

/**
 * Link → IP → TCP decoding into one reused {@link Segment}. No allocation on the normal path;
 * fragments and unknown link types (rare) allocate.
 */
/**
 * The tunnel port a UDP datagram is decoded on, 0 for none. Wireshark tries the lower port first, then
 * the higher: a datagram between a service port below 1024 (DNS's 53, NTP's 123, …) and the tunnel
 * port is that service's, not a tunnel; an unprivileged lower port is taken to have no dissector.
 */
function tunnelPort(src: number, dst: number): number {
  const lo = src < dst ? src : dst, hi = src < dst ? dst : src;
  if (isTunnelPort(lo)) return lo;
  if (isTunnelPort(hi) && lo >= 1024) return hi;
  return 0;
}

/** EtherTypes that make the bytes after an MPLS label stack plain Ethernet, not a control word and Ethernet. */
const plainEtherType = (t: number): boolean =>
  t === ETH_IPV4 || t === ETH_IPV6 || t === ETH_VLAN || t === ETH_QINQ || t === ETH_MPLS || t === ETH_MPLS_MC || t === ETH_PPPOE_SESSION || t === 0x0806;

const isTunnelPort = (p: number): boolean => p === VXLAN_PORT || p === GENEVE_PORT || p === GTPU_PORT || p === L2TP_PORT;

export class Decoder {
  readonly seg = new Segment();
  /** Reason code (index into REASONS) when decode() returned NOT_TCP. */
  reason = 0;
  /** Link type of the last unsupported-link-type frame. */
  linktype = 0;
  /** A problem with this frame worth a warning (garbage header, cut TCP header), or null. */
  warning: string | null = null;
  readonly verifyChecksums: boolean;
  private readonly frags = new Reassembler();

  // the buffer being decoded: the frame's bytes, or a reassembled datagram
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** End of the captured bytes in dv. */
  private capEnd = 0;
  /** Bytes missing after capEnd in the original packet (snaplen cut). */
  private missing = 0;

  constructor(opts: DecoderOptions = {}) {
    this.verifyChecksums = opts.verifyChecksums ?? false;
  }

  decode(f: Frame): number {
    const s = this.seg;
    s.reset();
    s.frame = f.number;
    s.tsSec = f.tsSec;
    s.tsNsec = f.tsNsec;
    s.frameLen = f.origlen;
    s.fileOffset = f.fileOffset;
    this.warning = null;
    this.dv = f.dv;
    this.capEnd = f.dataOffset + f.caplen;
    this.missing = f.origlen > f.caplen ? f.origlen - f.caplen : 0;
    return this.link(f.linktype, f.dataOffset);
  }

  /** The frame's bytes from `off` on, as link type `linktype` frames them. */
  private link(linktype: number, off: number): number {
    switch (linktype) {
      case 1: return this.ethernet(off);
      case 101: case 12: case 14: return this.rawIp(off);
      case 113: return this.sll(off);
      case 276: return this.sll2(off);
      case 0: return this.loopback(off, false);
      case 108: return this.loopback(off, true);
      case 228: return this.ipv4(off);
      case 229: return this.ipv6(off);
      case 9: case 50: return this.ppp(off);
      case 104: return this.avail(off) < 4 ? this.trunc('Cisco HDLC') : this.ethertype(this.dv.getUint16(off + 2), off + 4);
      case 105: return this.wifi(off, false);
      case 127: return this.radiotap(off);
      case LT_PPI: return this.ppi(off);
      case LT_PKTAP: return this.pktap(off);
      case 239: return this.nflog(off);
      default:
        this.linktype = linktype;
        return this.no(R_LINKTYPE);
    }
  }

  /** A Per-Packet Information header: its length (bytes 2–3), then the link type of the frame that follows (bytes 4–7). */
  private ppi(off: number): number {
    if (this.avail(off) < 8) return this.trunc('PPI');
    return this.wrapped('PPI', 8, this.dv.getUint16(off + 2, true), this.dv.getUint32(off + 4, true), off);
  }

  /** Apple's PKTAP header (macOS `tcpdump -i pktap`, `-k`): its length (bytes 0–3), then the frame's link type (bytes 8–11). */
  private pktap(off: number): number {
    if (this.avail(off) < 12) return this.trunc('PKTAP');
    return this.wrapped('PKTAP', 12, this.dv.getUint32(off, true), this.dv.getUint32(off + 8, true), off);
  }

  /** The frame after a metadata header `what` of `len` bytes (at least `min`) at `off`, on link type `dlt`; such headers do not nest. */
  private wrapped(what: string, min: number, len: number, dlt: number, off: number): number {
    if (len < min) return this.bad(`${what} header length ${len} is less than ${min}`);
    if (dlt === LT_PPI || dlt === LT_PKTAP) return this.no(R_LINKTYPE);
    return this.link(dlt, off + len);
  }

  /**
   * Linux NFLOG: a 4-byte header (address family, version, group), then attributes, each a length (its
   * own 4 bytes included) and a type in the logging host's byte order, padded to 4 bytes; the packet is
   * the payload attribute (type 9).
   */
  private nflog(off: number): number {
    const dv = this.dv;
    if (this.avail(off) < 4) return this.trunc('NFLOG');
    const end = this.capEnd + this.missing;
    let p = off + 4;
    while (p + 4 <= this.capEnd) {
      let len = dv.getUint16(p, true), type = dv.getUint16(p + 2, true);
      // (a capture from a big-endian host: its lengths read little-endian make no sense)
      if (len < 4 || p + len > end) { len = dv.getUint16(p); type = dv.getUint16(p + 2); }
      if (len < 4 || p + len > end) return this.bad(`NFLOG attribute length ${len} does not fit the frame`);
      if ((type & 0x7fff) === 9) {
        this.clip(p + len);
        return this.rawIp(p + 4);
      }
      p += (len + 3) & ~3;
    }
    return p < end ? this.trunc('NFLOG attribute') : this.no(R_NON_IP);
  }

  private avail(off: number): number {
    return this.capEnd - off;
  }

  /** The packet (as the original, uncut frame) ends at `end`: drop anything after it. */
  private clip(end: number): void {
    const reportedEnd = Math.min(this.capEnd + this.missing, end);
    if (this.capEnd > reportedEnd) this.capEnd = reportedEnd;
    this.missing = reportedEnd - this.capEnd;
  }

  private no(reason: number): number {
    this.reason = reason;
    return NOT_TCP;
  }

  /** A header the frame holds only part of: cut by the snap length, or (no byte missing) a packet that ends too soon. */
  private trunc(what: string): number {
    this.warning = this.missing > 0 ? `${what} header cut short by the snap length` : `${what} header cut short: the packet ends inside it`;
    return this.no(R_TRUNC);
  }

  private bad(message: string): number {
    this.warning = message;
    return this.no(R_MALFORMED);
  }

  // ---------------------------------------------------------------- link layer

  private ethernet(off: number): number {
    if (this.avail(off) < 14) return this.trunc('Ethernet');
    // (the outermost link's source: an Ethernet tunnelled inside keeps it)
    if (this.seg.linkSrc < 0) this.seg.linkSrc = this.address48(off + 6);
    return this.ethertype(this.dv.getUint16(off + 12), off + 14);
  }

  /** The 6-byte link-layer address at `off` as a 48-bit number (Segment.linkSrc). */
  private address48(off: number): number {
    return this.dv.getUint16(off) * 4294967296 + this.dv.getUint32(off + 2);
  }

  /** Dispatch on an EtherType, walking VLAN tags, LLC/SNAP, MPLS and PPPoE. */
  private ethertype(type: number, off: number): number {
    const dv = this.dv;
    for (;;) {
      if (type === ETH_IPV4) return this.ipv4(off);
      if (type === ETH_IPV6) return this.ipv6(off);
      if (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD1 || type === ETH_QINQ_OLD2) {
        if (this.avail(off) < 4) return this.trunc('802.1Q');
        const seg = this.seg, id = dv.getUint16(off) & 0xfff;
        if (seg.vlan < 0) seg.vlan = id; else if (seg.vlan < 4096) seg.vlan = seg.vlan * 4096 + id; // (two tags at most)
        type = dv.getUint16(off + 2);
        off += 4;
        continue;
      }
      if (type <= 1500) {
        // IEEE 802.3 length field: LLC; only SNAP with an EtherType leads on
        if (this.avail(off) < 8) return this.no(R_NON_IP);
        if (dv.getUint8(off) !== 0xaa || dv.getUint8(off + 1) !== 0xaa || dv.getUint8(off + 2) !== 0x03) return this.no(R_NON_IP);
        type = dv.getUint16(off + 6);
        off += 8;
        continue;
      }
      if (type === ETH_MPLS || type === ETH_MPLS_MC) return this.mpls(off);
      if (type === ETH_PPPOE_SESSION) {
        if (this.avail(off) < 6) return this.trunc('PPPoE');
        // the session header's length bounds the PPP frame, whatever the IP header inside claims
        this.clip(off + 6 + dv.getUint16(off + 4));
        return this.ppp(off + 6);
      }
      if (type === ETH_PPP) return this.ppp(off);
      if (type === ETH_TEB) return this.ethernet(off);
      return this.no(R_NON_IP);
    }
  }

  /**
   * An IEEE 802.11 frame: a data frame's MAC header (24 bytes; 30 with the fourth address of a frame
   * between two distribution systems; 2 more of QoS control, and 4 of HT control when the order flag is
   * set on a QoS frame; padded to 4 bytes when radiotap says so), then LLC/SNAP. Management and control
   * frames, null data and A-MSDU aggregates carry no TCP that can be read here; encrypted bodies (the
   * protected flag) are counted as such.
   */
  private wifi(off: number, padded: boolean): number {
    const dv = this.dv;
    if (this.avail(off) < 2) return this.trunc('802.11');
    const fc = dv.getUint8(off), flags = dv.getUint8(off + 1);
    if ((fc & 0x0f) !== 0x08) return this.no(R_NON_IP); // protocol version 0, type data
    const subtype = fc >> 4;
    if ((subtype & 4) !== 0) return this.no(R_NON_IP); // no body
    if ((flags & 0x40) !== 0) return this.no(R_ENCRYPTED);
    const qos = (subtype & 8) !== 0;
    let hl = (flags & 3) === 3 ? 30 : 24;
    if (qos) hl += 2;
    if (this.avail(off) < hl) return this.trunc('802.11');
    if (qos && (dv.getUint8(off + hl - 2) & 0x80) !== 0) return this.no(R_NON_IP); // A-MSDU
    if (qos && (flags & 0x80) !== 0) hl += 4;
    if (padded) hl = (hl + 3) & ~3;
    return this.ethertype(0, off + hl); // (0: an 802.3 length, so LLC/SNAP follows)
  }

  /** A radiotap header (its length says where the 802.11 frame starts); its Flags field tells of MAC header padding. */
  private radiotap(off: number): number {
    const dv = this.dv;
    if (this.avail(off) < 8) return this.trunc('radiotap');
    const len = dv.getUint16(off + 2, true);
    if (len < 8) return this.bad(`radiotap header length ${len} is less than 8`);
    if (this.avail(off) < len) return this.trunc('radiotap');
    // the fields start after the present bitmaps (bit 31 of each says another follows); Flags is field 1,
    // after TSFT (field 0: 8 bytes, aligned to 8 from the header's start)
    const present = dv.getUint32(off + 4, true);
    let q = off + 4;
    while ((dv.getUint32(q, true) & 0x80000000) !== 0) {
      q += 4;
      if (q + 4 > off + len) return this.bad('radiotap present bitmaps run past the header');
    }
    q += 4;
    let padded = false;
    if ((present & 2) !== 0) {
      if ((present & 1) !== 0) q = off + ((q - off + 7) & ~7) + 8;
      padded = q < off + len && (dv.getUint8(q) & 0x20) !== 0;
    }
    return this.wifi(off + len, padded);
  }

  private mpls(off: number): number {
    const dv = this.dv;
    for (;;) {
      if (this.avail(off) < 4) return this.trunc('MPLS');
      const bottom = dv.getUint8(off + 2) & 1;
      off += 4;
      if (bottom) break;
    }
    if (this.avail(off) < 1) return this.trunc('MPLS payload');
    const nibble = dv.getUint8(off) >> 4;
    if (nibble === 4) return this.ipv4(off);
    if (nibble === 6) return this.ipv6(off);
    if (nibble !== 0) return this.no(R_NON_IP);
    // an Ethernet pseudowire (RFC 4448), which Wireshark tries only after a first nibble of 0: without a control word
    // when the frame looks like plain Ethernet (Wireshark asks its vendor table for the MAC addresses; an EtherType
    // after them is asked here), else after the 4-byte control word
    if (this.avail(off) >= 14 && plainEtherType(dv.getUint16(off + 12))) return this.ethernet(off);
    return this.ethernet(off + 4);
  }

  /** PPP: optional HDLC address/control (ff 03), then a 1- or 2-byte protocol. */
  private ppp(off: number): number {
    const dv = this.dv;
    if (this.avail(off) < 2) return this.trunc('PPP');
    if (dv.getUint8(off) === 0xff && dv.getUint8(off + 1) === 0x03) off += 2;
    if (this.avail(off) < 1) return this.trunc('PPP');
    let proto = dv.getUint8(off);
    if (proto & 1) {
      off += 1; // protocol field compression
    } else {
      if (this.avail(off) < 2) return this.trunc('PPP');
      proto = dv.getUint16(off);
      off += 2;
    }
    if (proto === 0x21) return this.ipv4(off);
    if (proto === 0x57) return this.ipv6(off);
    return this.no(R_NON_IP);
  }

  private rawIp(off: number): number {
    if (this.avail(off) < 1) return this.trunc('IP');
    const v = this.dv.getUint8(off) >> 4;
    if (v === 4) return this.ipv4(off);
    if (v === 6) return this.ipv6(off);
    return this.bad(`raw IP frame with IP version ${v}`);
  }

  private sll(off: number): number {
    if (this.avail(off) < 16) return this.trunc('Linux cooked (SLL)');
    const hatype = this.dv.getUint16(off + 2);
    if (hatype === 824) return this.no(R_NON_IP); // netlink
    const proto = this.dv.getUint16(off + 14);
    if (proto === 0x0004 || proto === 0x0001) return this.no(R_NON_IP); // 802.2 LLC / Novell 802.3
    if (this.dv.getUint16(off + 4) >= 6) this.seg.linkSrc = this.address48(off + 6);
    return this.ethertype(proto, off + 16);
  }

  private sll2(off: number): number {
    if (this.avail(off) < 20) return this.trunc('Linux cooked v2 (SLL2)');
    const hatype = this.dv.getUint16(off + 8);
    if (hatype === 824) return this.no(R_NON_IP);
    const proto = this.dv.getUint16(off);
    if (proto === 0x0004 || proto === 0x0001) return this.no(R_NON_IP);
    if (this.dv.getUint8(off + 11) >= 6) this.seg.linkSrc = this.address48(off + 12);
    return this.ethertype(proto, off + 20);
  }

  /** BSD NULL (address family in the capturing host's byte order) and OpenBSD LOOP (network order). */
  private loopback(off: number, networkOrder: boolean): number {
    if (this.avail(off) < 4) return this.trunc('loopback');
    let af = this.dv.getUint32(off, !networkOrder);
    if (!networkOrder && af > 0xffff) af = this.dv.getUint32(off, false); // written big-endian
    if (af === 2) return this.ipv4(off + 4);
    if (af === 10 || af === 24 || af === 28 || af === 30) return this.ipv6(off + 4);
    return this.no(R_NON_IP);
  }

  // ---------------------------------------------------------------- IP

  private ipv4(off: number): number {
    const dv = this.dv;
    const s = this.seg;
    const avail = this.avail(off);
    if (avail < 20) return this.trunc('IPv4');
    const b0 = dv.getUint8(off);
    if (b0 >> 4 !== 4) return this.bad(`IPv4 header has version ${b0 >> 4}`);
    const ihl = (b0 & 15) * 4;
    if (ihl < 20) return this.bad(`IPv4 header length ${ihl} is less than 20`);
    if (avail < ihl) return this.trunc('IPv4');
    const reported = avail + this.missing;
    let total = dv.getUint16(off + 2);
    if (total === 0) total = reported; // TSO: the stack left the length for the NIC to fill
    if (total < ihl) return this.bad(`IPv4 total length ${total} is less than its header length ${ihl}`);
    if (total > reported) {
      this.warning = `IPv4 total length ${total} exceeds the ${reported} bytes left in the frame`;
      total = reported;
    }
    // the datagram ends here: anything after it (Ethernet trailer, padding) is ignored
    if (this.capEnd > off + total) this.capEnd = off + total;
    this.missing = off + total - this.capEnd;
    if (++s.ipDepth > MAX_DEPTH) return this.no(R_OTHER);
    s.ipVersion = 4;
    s.ipId = dv.getUint16(off + 4);
    s.src[0] = dv.getUint32(off + 12); s.src[1] = 0; s.src[2] = 0; s.src[3] = 0;
    s.dst[0] = dv.getUint32(off + 16); s.dst[1] = 0; s.dst[2] = 0; s.dst[3] = 0;
    const proto = dv.getUint8(off + 9);
    const frag = dv.getUint16(off + 6);
    if ((frag & 0x3fff) !== 0) {
      const fragOff = (frag & 0x1fff) * 8;
      const more = (frag & 0x2000) !== 0;
      const key = `4 ${s.src[0]} ${s.dst[0]} ${dv.getUint16(off + 4)} ${proto}`;
      return this.fragment(key, fragOff, off + ihl, total - ihl, more, proto);
    }
    return this.transport(proto, off + ihl, total - ihl);
  }

  private ipv6(off: number): number {
    const dv = this.dv;
    const s = this.seg;
    const avail = this.avail(off);
    if (avail < 40) return this.trunc('IPv6');
    const v = dv.getUint8(off) >> 4;
    if (v !== 6) return this.bad(`IPv6 header has version ${v}`);
    const reported = avail + this.missing - 40;
    let plen = dv.getUint16(off + 4);
    if (plen === 0) plen = reported; // jumbogram or TSO
    if (plen > reported) {
      this.warning = `IPv6 payload length ${plen} exceeds the ${reported} bytes left in the frame`;
      plen = reported;
    }
    const end = off + 40 + plen;
    if (this.capEnd > end) this.capEnd = end;
    this.missing = end - this.capEnd;
    if (++s.ipDepth > MAX_DEPTH) return this.no(R_OTHER);
    s.ipVersion = 6;
    s.ipId = -1;
    for (let i = 0; i < 4; i++) {
      s.src[i] = dv.getUint32(off + 8 + 4 * i);
      s.dst[i] = dv.getUint32(off + 24 + 4 * i);
    }
    let nh = dv.getUint8(off + 6);
    let p = off + 40;
    // extension header chain (RFC 8200 §4)
    for (;;) {
      if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
        if (this.avail(p) < 2) return this.trunc('IPv6 extension');
        const hlen = (dv.getUint8(p + 1) + 1) * 8;
        nh = dv.getUint8(p);
        p += hlen;
      } else if (nh === 51) {
        if (this.avail(p) < 2) return this.trunc('IPv6 authentication');
        const hlen = (dv.getUint8(p + 1) + 2) * 4;
        nh = dv.getUint8(p);
        p += hlen;
      } else if (nh === 44) {
        if (this.avail(p) < 8) return this.trunc('IPv6 fragment');
        const fo = dv.getUint16(p + 2);
        const fragOff = fo & 0xfff8;
        const more = (fo & 1) !== 0;
        const next = dv.getUint8(p);
        if (fragOff === 0 && !more) { nh = next; p += 8; continue; } // atomic fragment
        const id = dv.getUint32(p + 4);
        const key = `6 ${s.src[0]} ${s.src[1]} ${s.src[2]} ${s.src[3]} ${s.dst[0]} ${s.dst[1]} ${s.dst[2]} ${s.dst[3]} ${id}`;
        p += 8;
        if (p > end) return this.bad('IPv6 extension headers run past the payload length');
        return this.fragment(key, fragOff, p, end - p, more, fragOff === 0 ? next : -1);
      } else {
        break;
      }
      if (p > end) return this.bad('IPv6 extension headers run past the payload length');
    }
    return this.transport(nh, p, end - p);
  }

  /** A fragment: store it; if it completes the datagram, decode the reassembled payload here. */
  private fragment(key: string, fragOff: number, off: number, len: number, more: boolean, proto: number): number {
    const captured = this.avail(off) >= len;
    const bytes = new Uint8Array(this.dv.buffer, this.dv.byteOffset + off, captured ? len : Math.max(0, this.avail(off)));
    const whole = this.frags.add(key, fragOff, bytes, more, proto, captured);
    if (whole === null) return this.no(R_FRAG);
    this.seg.reassembled = true;
    this.dv = new DataView(whole.buffer, whole.byteOffset, whole.byteLength);
    this.capEnd = whole.length;
    this.missing = 0;
    return this.transport(this.frags.proto, 0, whole.length);
  }

  private transport(proto: number, off: number, len: number): number {
    switch (proto) {
      case IP_TCP: return this.tcp(off, len);
      case IP_UDP: return this.udp(off, len);
      case IP_ICMP: return this.icmp(off, false);
      case IP_ICMPV6: return this.icmp(off, true);
      case IP_GRE: return this.gre(off);
      case IP_IPIP: return this.ipv4(off);
      case IP_IPV6: return this.ipv6(off);
      case IP_ESP: return this.no(R_ENCRYPTED);
      default: return this.no(R_OTHER);
    }
  }

  private udp(off: number, len: number): number {
    if (len < 8 || this.avail(off) < 8) return this.no(R_UDP);
    const dv = this.dv;
    const port = tunnelPort(dv.getUint16(off), dv.getUint16(off + 2));
    // (a datagram too short for the tunnel's header is not followed; one cut by the snap length is said to be)
    if (port === GTPU_PORT) return this.gtpu(off + 8, off + len);
    if (port === L2TP_PORT) return this.l2tp(off + 8, off + len);
    if (port === 0 || len < 16) return this.no(R_UDP);
    if (this.avail(off) < 16) return this.trunc(port === VXLAN_PORT ? 'VXLAN' : 'Geneve');
    // VXLAN: an 8-byte header, then Ethernet (Wireshark does not require the I flag: neither does this)
    if (port === VXLAN_PORT) return this.ethernet(off + 16);
    // Geneve: an 8-byte header (version, option length in 4-byte words, flags, protocol type, VNI), its options, then the protocol
    const inner = off + 16 + (dv.getUint8(off + 8) & 0x3f) * 4;
    if (inner > off + len) return this.no(R_UDP);
    if (inner > this.capEnd) return this.trunc('Geneve');
    return this.ethertype(dv.getUint16(off + 10), inner);
  }

  /**
   * GTP-U (3GPP TS 29.281) from `off` to the datagram's `end`: a G-PDU (message type 255) carries an IP
   * packet after the 8-byte header, the 4 optional bytes when any of the E, S and PN flags is set, and the
   * chain of extension headers when E is (each a length in 4-byte units, its contents, the next type).
   * Other messages (echo, end marker, error indication) carry no user data.
   */
  private gtpu(off: number, end: number): number {
    if (end - off < 8) return this.no(R_UDP);
    if (this.avail(off) < 8) return this.trunc('GTP-U');
    const dv = this.dv;
    const flags = dv.getUint8(off);
    if (flags >> 5 !== 1 || (flags & 0x10) === 0 || dv.getUint8(off + 1) !== 255) return this.no(R_UDP);
    // the message ends where its length field says (what follows the 8-byte header), as Wireshark reads it
    const mEnd = off + 8 + dv.getUint16(off + 2);
    if (mEnd < end) end = mEnd;
    this.clip(end);
    let p = off + 8;
    if ((flags & 0x07) !== 0) {
      if (this.avail(p) < 4) return this.trunc('GTP-U');
      let next = (flags & 0x04) !== 0 ? dv.getUint8(p + 3) : 0;
      p += 4;
      while (next !== 0) {
        if (p >= end) return this.no(R_UDP);
        if (this.avail(p) < 1) return this.trunc('GTP-U extension');
        const n = dv.getUint8(p) * 4;
        if (n === 0 || p + n > end) return this.no(R_UDP);
        if (this.avail(p) < n) return this.trunc('GTP-U extension');
        next = dv.getUint8(p + n - 1);
        p += n;
      }
    }
    if (p >= end) return this.no(R_UDP);
    if (this.avail(p) < 1) return this.trunc('GTP-U payload');
    // (a PDU session may carry Ethernet or unstructured data, not only IP: those are not followed, without a warning)
    const v = dv.getUint8(p) >> 4;
    if (v !== 4 && v !== 6) return this.no(R_NON_IP);
    const need = v === 4 ? 20 : 40;
    if (end - p < need) return this.bad(`GTP-U message leaves ${end - p} bytes for an IPv${v} header`);
    return v === 4 ? this.ipv4(p) : this.ipv6(p);
  }

  /**
   * An L2TP version 2 message (RFC 2661) from `off` to the datagram's `end`: a data message (T flag clear)
   * carries a PPP frame after its flags, the length when L is set, the tunnel and session ids, Ns and Nr
   * when S is set, and the offset size and its padding when O is set. Control messages carry no user data;
   * version 3 is not followed.
   */
  private l2tp(off: number, end: number): number {
    const dv = this.dv;
    if (end - off < 6) return this.no(R_UDP);
    if (this.avail(off) < 2) return this.trunc('L2TP');
    const flags = dv.getUint16(off);
    if ((flags & 0x8000) !== 0 || (flags & 0x0f) !== 2) return this.no(R_UDP);
    let p = off + 2;
    if ((flags & 0x4000) !== 0) p += 2;
    p += 4;
    if ((flags & 0x0800) !== 0) p += 4;
    if ((flags & 0x0200) !== 0) {
      if (this.avail(p) < 2) return this.trunc('L2TP');
      p += 2 + dv.getUint16(p);
    }
    if (p >= end) return this.no(R_UDP);
    return this.ppp(p);
  }

  /** GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637, version 1). */
  private gre(off: number): number {
    const dv = this.dv;
    if (this.avail(off) < 4) return this.trunc('GRE');
    const fv = dv.getUint16(off);
    const proto = dv.getUint16(off + 2);
    const version = fv & 7;
    if (version > 1 || (fv & 0x4000) !== 0) return this.no(R_NON_IP); // unknown version, source routing
    let p = off + 4;
    if (fv & 0x8000) p += 4; // checksum + reserved
    if (fv & 0x2000) p += 4; // key (PPTP: payload length + call id)
    if (fv & 0x1000) p += 4; // sequence number
    if (version === 1 && (fv & 0x0080)) p += 4; // acknowledgment number
    if (version === 0 && (proto === ERSPAN_II || proto === ERSPAN_III)) {
      // ERSPAN (mirrored Ethernet frames): type I has no header of its own (and no GRE sequence number), type II
      // an 8-byte one; type III a 12-byte one, and 8 bytes more of platform data when its O flag (last bit) is set
      if (proto === ERSPAN_II) return this.ethernet((fv & 0x1000) !== 0 ? p + 8 : p);
      if (this.avail(p) < 12) return this.trunc('ERSPAN');
      return this.ethernet(p + ((dv.getUint8(p + 11) & 1) !== 0 ? 20 : 12));
    }
    return this.ethertype(proto, p);
  }

  /** ICMP/ICMPv6 errors quote the offending IP header and at least 8 bytes after it. */
  private icmp(off: number, v6: boolean): number {
    const dv = this.dv;
    if (this.avail(off) < 8) return this.no(R_ICMP);
    const type = dv.getUint8(off);
    const isError = v6 ? type >= 1 && type <= 4 : type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
    if (!isError) return this.no(R_ICMP);
    const q = off + 8;
    let tcpOff = -1;
    const s = this.seg;
    // the quoted header carries the addresses of the segment that caused the error
    if (!v6) {
      if (this.avail(q) < 20 || dv.getUint8(q) >> 4 !== 4) return this.no(R_ICMP);
      const ihl = (dv.getUint8(q) & 15) * 4;
      if (dv.getUint8(q + 9) !== IP_TCP || ihl < 20) return this.no(R_ICMP);
      tcpOff = q + ihl;
      s.ipVersion = 4;
      s.src[0] = dv.getUint32(q + 12); s.src[1] = 0; s.src[2] = 0; s.src[3] = 0;
      s.dst[0] = dv.getUint32(q + 16); s.dst[1] = 0; s.dst[2] = 0; s.dst[3] = 0;
    } else {
      if (this.avail(q) < 40 || dv.getUint8(q) >> 4 !== 6 || dv.getUint8(q + 6) !== IP_TCP) return this.no(R_ICMP);
      tcpOff = q + 40;
      s.ipVersion = 6;
      for (let i = 0; i < 4; i++) { s.src[i] = dv.getUint32(q + 8 + 4 * i); s.dst[i] = dv.getUint32(q + 24 + 4 * i); }
    }
    s.quoted = true;
    s.icmpType = type;
    s.icmpCode = dv.getUint8(off + 1);
    const n = this.avail(tcpOff);
    s.resetTcp();
    s.captured = n > 0 ? n : 0;
    if (n >= 4) { s.srcPort = dv.getUint16(tcpOff); s.dstPort = dv.getUint16(tcpOff + 2); }
    if (n >= 8) s.seq = dv.getUint32(tcpOff + 4);
    if (n >= 12) s.ack = dv.getUint32(tcpOff + 8);
    if (n >= 14) s.flags = dv.getUint16(tcpOff + 12) & 0x1ff;
    if (n >= 16) s.window = dv.getUint16(tcpOff + 14);
    this.reason = R_ICMP_TCP;
    return DECODED_QUOTED_TCP;
  }

  // ---------------------------------------------------------------- TCP

  /** `len` = TCP bytes according to IP (header + payload), whatever was captured. */
  private tcp(off: number, len: number): number {
    const dv = this.dv;
    const s = this.seg;
    const n = Math.min(this.avail(off), len);
    s.captured = n > 0 ? n : 0;
    if (n >= 4) { s.srcPort = dv.getUint16(off); s.dstPort = dv.getUint16(off + 2); }
    if (n >= 8) s.seq = dv.getUint32(off + 4);
    if (n >= 12) s.ack = dv.getUint32(off + 8);
    if (n >= 14) {
      const w = dv.getUint16(off + 12);
      s.flags = w & 0x1ff;
      s.headerLength = (w >> 12) * 4;
    }
    if (n >= 16) s.window = dv.getUint16(off + 14);
    if (n >= 18) s.checksumField = dv.getUint16(off + 16);
    if (n >= 20) s.urgent = dv.getUint16(off + 18);
    if (n < 14) {
      this.warning = n < len ? `TCP header cut short by the snap length (${n} of at least 20 bytes captured)`
        : `TCP header cut short: the IP packet leaves ${len} bytes for it`;
      return DECODED_TCP;
    }
    const hl = s.headerLength;
    if (hl < 20) {
      this.warning = `TCP header length ${hl} is less than 20 (bogus data offset)`;
      return DECODED_TCP;
    }
    if (hl > len) {
      this.warning = `TCP header length ${hl} exceeds the ${len}-byte segment`;
      return DECODED_TCP;
    }
    s.headerValid = true;
    s.payloadLength = len - hl;
    if (n < hl) {
      this.warning = `TCP header cut short by the snap length (${n} of ${hl} bytes captured)`;
      s.optionsCut = n > 20;
    }
    if (hl > 20 && n > 20) this.options(off + 20, off + Math.min(hl, n), off + hl);
    if (this.verifyChecksums && n === len) s.checksum = this.checksumOk(off, len) ? 1 : 2;
    return DECODED_TCP;
  }

  /** Parse options in [p, capEnd); `hdrEnd` is where the header ends per its data offset. */
  private options(p: number, capEnd: number, hdrEnd: number): void {
    const dv = this.dv;
    const s = this.seg;
    while (p < capEnd) {
      const kind = dv.getUint8(p);
      if (kind === 0) break; // end of option list
      if (kind === 1) { p++; continue; } // no-operation
      if (p + 1 >= capEnd) { s.optionsCut = p + 1 < hdrEnd; break; }
      const olen = dv.getUint8(p + 1);
      if (olen < 2 || p + olen > hdrEnd) {
        s.optionsMalformed = true;
        this.warning ??= `TCP option ${kind} has an impossible length ${olen}; options after it ignored`;
        break;
      }
      if (p + olen > capEnd) { s.optionsCut = true; break; }
      switch (kind) {
        case 2: if (olen === 4) s.mss = dv.getUint16(p + 2); break;
        case 3: if (olen === 3) s.wscale = Math.min(dv.getUint8(p + 2), 14); break;
        case 4: if (olen === 2) s.sackPermitted = true; break;
        case 5: {
          const blocks = Math.min((olen - 2) >> 3, 4);
          for (let i = 0; i < blocks; i++) {
            s.sack[2 * i] = dv.getUint32(p + 2 + 8 * i);
            s.sack[2 * i + 1] = dv.getUint32(p + 6 + 8 * i);
          }
          s.sackCount = blocks;
          break;
        }
        case 8: if (olen === 10) { s.hasTimestamps = true; s.tsVal = dv.getUint32(p + 2); s.tsEcr = dv.getUint32(p + 6); } break;
        case 30:
          s.mptcp = true;
          if (olen >= 3) s.mptcpSubtypes |= 1 << (dv.getUint8(p + 2) >> 4);
          break;
        case 34: s.tfo = olen === 2 ? TFO_REQUEST : olen - 2; break;
        case 254: // RFC 6994 experimental option; 0xF989 is TCP Fast Open's ExID
          if (olen >= 4 && dv.getUint16(p + 2) === 0xf989) s.tfo = olen === 4 ? TFO_REQUEST : olen - 4;
          break;
        default: break; // unknown kinds are skipped by their length
      }
      p += olen;
    }
  }

  /** RFC 9293 §3.1 checksum over the pseudo-header and the whole segment. */
  private checksumOk(off: number, len: number): boolean {
    const dv = this.dv;
    const s = this.seg;
    let sum = 0;
    if (s.ipVersion === 4) {
      sum += (s.src[0] >>> 16) + (s.src[0] & 0xffff) + (s.dst[0] >>> 16) + (s.dst[0] & 0xffff);
    } else {
      for (let i = 0; i < 4; i++) sum += (s.src[i] >>> 16) + (s.src[i] & 0xffff) + (s.dst[i] >>> 16) + (s.dst[i] & 0xffff);
    }
    sum += IP_TCP + (len >>> 16) + (len & 0xffff);
    let i = 0;
    for (; i + 1 < len; i += 2) sum += dv.getUint16(off + i);
    if (i < len) sum += dv.getUint8(off + i) << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum === 0xffff;
  }
}
