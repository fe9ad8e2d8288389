import { describe, expect, it } from 'vitest';
import { Frame } from '../src/capture/frame.js';
import { DECODED_QUOTED_TCP, DECODED_TCP, Decoder, NOT_TCP, REASONS, REASON_ENCRYPTED } from '../src/decode/decoder.js';
import { ACK, FIN, PSH, SYN, TFO_REQUEST } from '../src/decode/segment.js';
import { be16, be32, concat, ether, ext6, frag6, hex, ip4, ipv4, ipv6, tcp } from './helpers/pcap-writer.js';

/** Decode one packet given as bytes on a link type; returns the decoder for inspection. */
function decode(linktype: number, bytes: Uint8Array, origlen = bytes.length, d = new Decoder()): { r: number; d: Decoder } {
  const f = new Frame();
  const buf = concat(new Uint8Array(5), bytes); // a non-zero data offset, as inside a reader's buffer
  f.buf = buf;
  f.dv = new DataView(buf.buffer);
  f.dataOffset = 5;
  f.caplen = bytes.length;
  f.origlen = origlen;
  f.linktype = linktype;
  f.number = 1;
  return { r: d.decode(f), d };
}

const seg = (o = {}) => tcp({ sport: 40000, dport: 80, seq: 1000, ack: 2000, flags: PSH | ACK, payload: new Uint8Array(30), ...o });
const v4 = (payload = seg()) => ipv4({ src: '10.1.2.3', dst: '10.9.8.7', payload });
const v6 = (payload = seg()) => ipv6({ payload });

function expectTcp(r: { r: number; d: Decoder }, depth = 1): void {
  expect(r.d.warning).toBeNull();
  expect(r.r).toBe(DECODED_TCP);
  const s = r.d.seg;
  expect([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.payloadLength]).toEqual([40000, 80, 1000, 2000, PSH | ACK, 30]);
  expect(s.ipDepth).toBe(depth);
}

describe('link layers', () => {
  it('Ethernet II', () => expectTcp(decode(1, ether(0x0800, v4()))));
  it('Ethernet with an 802.1Q tag', () => expectTcp(decode(1, ether(0x8100, concat(be16(42), be16(0x0800), v4())))));
  it('Ethernet with stacked 802.1ad + 802.1Q tags (QinQ)', () =>
    expectTcp(decode(1, ether(0x88a8, concat(be16(10), be16(0x8100), be16(20), be16(0x86dd), v6())))));
  it('Ethernet with an MPLS label stack', () =>
    expectTcp(decode(1, ether(0x8847, concat(be32((100 << 12) | 64), be32((200 << 12) | 0x100 | 64), v4())))));
  it('PPPoE session carrying PPP carrying IPv4', () =>
    expectTcp(decode(1, ether(0x8864, concat(hex('11 00 0001'), be16(2 + v4().length), be16(0x0021), v4())))));
  it('PPPoE: the session length bounds the datagram, whatever the IP length claims', () => {
    // an IPv4 total length 6 bytes longer than the PPPoE payload: Wireshark takes the PPPoE length
    const ip = ipv4({ payload: seg({ payload: new Uint8Array(0) }), totalLength: 46 });
    const r = decode(1, ether(0x8864, concat(hex('11 00 0001'), be16(2 + 40), be16(0x0021), ip, new Uint8Array(6))));
    expect(r.r).toBe(DECODED_TCP);
    expect(r.d.seg.payloadLength).toBe(0);
  });
  it('LLC/SNAP with an EtherType', () =>
    expectTcp(decode(1, concat(hex('020000000002 020000000001'), be16(100), hex('aa aa 03 000000'), be16(0x0800), v4()))));
  it('Linux cooked (SLL)', () =>
    expectTcp(decode(113, concat(hex('0000 0001 0006 020000000001 0000'), be16(0x0800), v4()))));
  it('Linux cooked v2 (SLL2)', () =>
    expectTcp(decode(276, concat(be16(0x86dd), be16(0), be32(2), be16(1), hex('04 06 020000000001 0000'), v6()))));
  it('BSD NULL with the family in little-endian (host) order', () =>
    expectTcp(decode(0, concat(hex('02000000'), v4()))));
  it('BSD NULL written big-endian, IPv6 family 30', () =>
    expectTcp(decode(0, concat(hex('0000001e'), v6()))));
  it('OpenBSD LOOP (network order)', () => expectTcp(decode(108, concat(hex('00000002'), v4()))));
  for (const lt of [101, 12, 14]) {
    it(`raw IP (${lt}), IPv4 and IPv6`, () => {
      expectTcp(decode(lt, v4()));
      expectTcp(decode(lt, v6()));
    });
  }
  it('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)', () => {
    expectTcp(decode(228, v4()));
    expectTcp(decode(229, v6()));
  });
  it('PPP (9) with address/control and a compressed protocol field', () =>
    expectTcp(decode(9, concat(hex('ff 03 21'), v4()))));

  it('counts frames it cannot place by reason, without warnings', () => {
    const unknown = decode(147, new Uint8Array(40)); // LINKTYPE_USER0
    expect(unknown.r).toBe(NOT_TCP);
    expect(REASONS[unknown.d.reason]).toBe('unsupported-link-type');
    expect(unknown.d.linktype).toBe(147);
    const arp = decode(1, ether(0x0806, new Uint8Array(28)));
    expect(REASONS[arp.d.reason]).toBe('non-ip');
    const udp = decode(1, ether(0x0800, ipv4({ proto: 17, payload: new Uint8Array(12) })));
    expect(REASONS[udp.d.reason]).toBe('udp');
    const sctp = decode(1, ether(0x0800, ipv4({ proto: 132, payload: new Uint8Array(12) })));
    expect(REASONS[sctp.d.reason]).toBe('other-ip-protocol');
    for (const x of [unknown, arp, udp, sctp]) expect(x.d.warning).toBeNull();
  });
});

describe('IP', () => {
  it('IPv4 with options: the TCP header starts after them', () => {
    const p = ipv4({ options: hex('07 07 04 00000000 94040000'), payload: seg() });
    expectTcp(decode(101, p));
  });

  it('ignores an Ethernet trailer after the IP datagram', () => {
    const r = decode(1, concat(ether(0x0800, v4()), hex('deadbeef cafe')));
    expectTcp(r);
  });

  it('IPv4 total length 0 (TSO) takes the frame length', () => {
    const r = decode(101, ipv4({ totalLength: 0, payload: seg() }));
    expectTcp(r);
  });

  it('IPv6 extension header chain: hop-by-hop, routing, destination options, atomic fragment', () => {
    const payload = concat(ext6(43), ext6(60), ext6(44), frag6(6, 0, false, 7), seg());
    expectTcp(decode(229, ipv6({ nh: 0, payload })));
  });

  it('garbage IP headers are per-frame warnings, not errors', () => {
    const bad = decode(101, hex('45000010 0000 0000 4006 0000 0a000001 0a000002'));
    expect(bad.r).toBe(NOT_TCP);
    expect(REASONS[bad.d.reason]).toBe('malformed');
    expect(bad.d.warning).toMatch(/IPv4 total length 16 is less than its header length 20/);
    const ihl = decode(101, hex('43000028 0000 0000 4006 0000 0a000001 0a000002'));
    expect(ihl.d.warning).toMatch(/IPv4 header length 12 is less than 20/);
    const ver = decode(1, ether(0x0800, v6()));
    expect(ver.d.warning).toMatch(/IPv4 header has version 6/);
  });

  it('a link or IP header cut by the snaplen', () => {
    const r = decode(1, ether(0x0800, v4()).subarray(0, 30), 100);
    expect(REASONS[r.d.reason]).toBe('truncated');
    expect(r.d.warning).toBe('IPv4 header cut short by the snap length');
  });

  it('a header the packet itself ends inside (nothing cut by the snaplen) says so', () => {
    const r = decode(1, ether(0x0800, v4()).subarray(0, 30));
    expect(REASONS[r.d.reason]).toBe('truncated');
    expect(r.d.warning).toBe('IPv4 header cut short: the packet ends inside it');
  });
});

describe('IEEE 802.11 (what tshark 4.0.17 makes of the same frames)', () => {
  const snap = (payload = v4()) => concat(hex('aaaa03 000000 0800'), payload);
  const addrs = hex('020000000001 020000000002 020000000003');
  /** A data frame: subtype, flags, then the extra header bytes (fourth address, QoS, HT control) and the body. */
  const data = (subtype: number, flags: number, ...rest: Uint8Array[]) =>
    concat(Uint8Array.from([(subtype << 4) | 0x08, flags]), hex('0000'), addrs, hex('1000'), ...rest);
  /** A radiotap header of 18 bytes: version, pad, length, present bitmap (TSFT, Flags, Rate), TSFT, Flags, Rate. */
  const radiotap = (flags: number) => concat(hex('00 00 1200 07000000'), new Uint8Array(8), Uint8Array.from([flags, 2]));
  it('data frames: plain, between two distribution systems, QoS, QoS with HT control', () => {
    expectTcp(decode(105, data(0, 0x02, snap())));
    expectTcp(decode(105, data(0, 0x03, hex('020000000004'), snap())));
    expectTcp(decode(127, concat(radiotap(0), data(8, 0x01, hex('0000'), snap()))));
    expectTcp(decode(127, concat(radiotap(0), data(8, 0x81, hex('0000 00000000'), snap()))));
  });
  it('radiotap: the MAC header padded to 4 bytes when its Flags say so; a trailing FCS is no part of the packet', () => {
    expectTcp(decode(127, concat(radiotap(0x20), data(8, 0x01, hex('0000'), hex('0000'), snap()))));
    expectTcp(decode(127, concat(radiotap(0x10), data(0, 0x02, snap(), hex('deadbeef')))));
  });
  it('encrypted bodies, null data, A-MSDUs and management frames are not TCP, and not errors', () => {
    for (const frame of [data(4, 0x01), data(8, 0x02, hex('8000'), snap()), hex('8000 0000 ffffffffffff 020000000002 020000000002 1000')]) {
      const r = decode(105, frame);
      expect([r.r, REASONS[r.d.reason], r.d.warning]).toEqual([NOT_TCP, 'non-ip', null]);
    }
    const protectedFrame = decode(105, data(0, 0x41, snap()));
    expect([protectedFrame.r, REASONS[protectedFrame.d.reason], protectedFrame.d.warning]).toEqual([NOT_TCP, 'encrypted', null]);
  });
  it('IPsec ESP is counted as encrypted', () => {
    const esp = decode(1, ether(0x0800, ipv4({ proto: 50, payload: new Uint8Array(40) })));
    expect([esp.r, REASONS[esp.d.reason], esp.d.warning]).toEqual([NOT_TCP, 'encrypted', null]);
    expect(esp.d.reason).toBe(REASON_ENCRYPTED);
  });
  it('a radiotap header longer than the frame, or with a length under 8', () => {
    expect(decode(127, hex('00 00 4000 00000000 0000')).d.warning).toMatch(/radiotap header cut short/);
    expect(decode(127, hex('00 00 0400 00000000 0000')).d.warning).toBe('radiotap header length 4 is less than 8');
  });
});

describe('Linux NFLOG, PKTAP and PPI (what tshark 4.0.17 makes of the same frames)', () => {
  /** An NFLOG attribute: length (with its 4-byte header) and type, little-endian unless `be`, padded to 4 bytes. */
  const tlv = (type: number, value: Uint8Array, be = false) => {
    const n = 4 + value.length;
    const h = be ? concat(be16(n), be16(type)) : Uint8Array.from([n & 255, n >> 8, type & 255, type >> 8]);
    return concat(h, value, new Uint8Array((4 - (n % 4)) % 4));
  };
  it('NFLOG: the packet is the payload attribute, after the others, in either byte order', () => {
    const others = concat(tlv(1, hex('0800 03 00')), tlv(10, new TextEncoder().encode('drop\0')));
    expectTcp(decode(239, concat(hex('02 00 0005'), others, tlv(9, v4()))));
    expectTcp(decode(239, concat(hex('0a 00 0005'), tlv(10, hex('00'), true), tlv(9, v6(), true))));
  });
  it('NFLOG without a payload attribute is not IP; an attribute longer than the frame is a warning', () => {
    const none = decode(239, concat(hex('02 00 0005'), tlv(10, hex('00'))));
    expect([REASONS[none.d.reason], none.d.warning]).toEqual(['non-ip', null]);
    expect(decode(239, concat(hex('02 00 0005'), hex('ff7f 0900'), v4())).d.warning).toMatch(/NFLOG attribute length \d+ does not fit the frame/);
  });
  it('Apple PKTAP: its length, then a frame of the link type it names', () => {
    const header = concat(hex('6c000000 01000000 01000000'), new Uint8Array(96)); // length 108, type, DLT_EN10MB
    expectTcp(decode(258, concat(header, ether(0x0800, v4()))));
    expect(decode(258, hex('08000000 01000000 01000000')).d.warning).toBe('PKTAP header length 8 is less than 12');
  });
  it('PPI: its length, then a frame of the link type it names', () => {
    expectTcp(decode(192, concat(hex('00 00 0800 01000000'), ether(0x0800, v4()))));
    expectTcp(decode(192, concat(hex('00 00 0c00 69000000 00000000'), Uint8Array.from([0x08, 0x02]), hex('0000'),
      hex('020000000001 020000000002 020000000003 1000'), hex('aaaa03 000000 0800'), v4())));
  });
});

describe('tunnels', () => {
  it('GRE (version 0, with key and sequence) carrying IPv4', () => {
    const gre = concat(hex('3000 0800 0000002a 00000001'), v4());
    expectTcp(decode(1, ether(0x0800, ipv4({ proto: 47, payload: gre }))), 2);
  });
  it('PPTP enhanced GRE (version 1) carrying PPP carrying IPv4', () => {
    const gre = concat(hex('3081 880b 0030 0001 00000005 00000004'), hex('ff 03 0021'), v4());
    expectTcp(decode(1, ether(0x0800, ipv4({ proto: 47, payload: gre }))), 2);
  });
  it('IPv4 in IPv6', () => expectTcp(decode(1, ether(0x86dd, ipv6({ nh: 4, payload: v4() }))), 2));
  it('IPv6 in IPv4', () => expectTcp(decode(101, ipv4({ proto: 41, payload: v6() })), 2));
  it('VXLAN carrying Ethernet carrying IPv4', () => {
    const vx = concat(be16(5555), be16(4789), be16(0), be16(0), hex('08000000 00000100'), ether(0x0800, v4()));
    expectTcp(decode(1, ether(0x0800, ipv4({ proto: 17, payload: vx }))), 2);
  });
  // (what tshark 4.0.17 makes of the same datagrams: these tunnels' inner TCP is counted, the DNS one is DNS)
  const udp = (sport: number, dport: number, payload: Uint8Array) => concat(be16(sport), be16(dport), be16(8 + payload.length), be16(0), payload);
  const overUdp = (sport: number, dport: number, payload: Uint8Array) => ether(0x0800, ipv4({ proto: 17, payload: udp(sport, dport, payload) }));
  it('VXLAN without the I flag, and from its port, as Wireshark takes it', () => {
    expectTcp(decode(1, overUdp(5555, 4789, concat(hex('00000000 00000100'), ether(0x0800, v4())))), 2);
    expectTcp(decode(1, overUdp(4789, 50000, concat(hex('08000000 00000100'), ether(0x0800, v4())))), 2);
  });
  it('Geneve carrying Ethernet, past its options', () => {
    const options = hex('0102 80 01 00000001'); // class, type, length 1 (4 bytes), data
    expectTcp(decode(1, overUdp(50000, 6081, concat(hex('02 00 6558 00123400'), options, ether(0x0800, v4())))), 2);
  });
  it('Geneve carrying IPv4 and IPv6 directly, either port', () => {
    expectTcp(decode(1, overUdp(50000, 6081, concat(hex('00 00 0800 00123400'), v4()))), 2);
    expectTcp(decode(1, overUdp(6081, 50000, concat(hex('00 00 86dd 00123400'), v6()))), 2);
  });
  it('a tunnel port facing a service port below 1024 is that service (DNS here), as in Wireshark', () => {
    const r = decode(1, overUdp(53, 6081, concat(hex('00 00 0800 00123400'), v4())));
    expect(r.r).toBe(NOT_TCP);
    expect(REASONS[r.d.reason]).toBe('udp');
    expect(r.d.warning).toBeNull();
  });
  it('Geneve options longer than the datagram: not followed; cut by the snap length: said so', () => {
    const long = decode(1, overUdp(50000, 6081, hex('03 00 6558 00123400 00000000 00000000')));
    expect([REASONS[long.d.reason], long.d.warning]).toEqual(['udp', null]);
    const bytes = overUdp(50000, 6081, concat(hex('02 00 6558 00123400 0102800100000001'), ether(0x0800, v4())));
    const cut = decode(1, bytes.subarray(0, 14 + 20 + 8 + 12), bytes.length);
    expect(REASONS[cut.d.reason]).toBe('truncated');
    expect(cut.d.warning).toMatch(/Geneve header cut short/);
  });
  it('ERSPAN types I, II and III (with and without its platform sub-header) carrying Ethernet', () => {
    const mirrored = ether(0x0800, v4());
    const overGre = (gre: Uint8Array) => ether(0x0800, ipv4({ proto: 47, payload: gre }));
    expectTcp(decode(1, overGre(concat(hex('0000 88be'), mirrored))), 2);
    expectTcp(decode(1, overGre(concat(hex('1000 88be 00000007 1000 0005 00000000'), mirrored))), 2);
    expectTcp(decode(1, overGre(concat(hex('1000 22eb 00000008 2000 0005 0001e240 0000 0000'), mirrored))), 2);
    expectTcp(decode(1, overGre(concat(hex('1000 22eb 00000009 2000 0005 0001e240 0000 0001 0000000000000000'), mirrored))), 2);
  });
  /** A GTP-U message: flags, type, the length of what follows the 8-byte header (or `length`), TEID 0x1234, then `rest`. */
  const gtp = (flags: number, type: number, rest: Uint8Array, length = rest.length) =>
    concat(Uint8Array.from([flags, type]), be16(length), be32(0x1234), rest);
  it('GTP-U carrying IPv4 and IPv6, past its optional fields and extension headers', () => {
    expectTcp(decode(1, overUdp(2152, 2152, gtp(0x30, 255, v4()))), 2);
    expectTcp(decode(1, overUdp(40000, 2152, gtp(0x32, 255, concat(hex('0005 00 00'), v6())))), 2);
    // E flag: a PDU session container (4 bytes), then a second extension header of 8 bytes, then none
    expectTcp(decode(1, overUdp(2152, 2152, gtp(0x34, 255, concat(hex('0000 00 85 01 10 01 c0 02 000000000000 00'), v4())))), 2);
  });
  it('GTP-U ends where its length field says, as in Wireshark', () => {
    const empty = decode(1, overUdp(2152, 2152, gtp(0x30, 255, v4(), 0)));
    expect([REASONS[empty.d.reason], empty.d.warning]).toEqual(['udp', null]);
    // (the rest of the datagram is not the message's: a segment reaching into it is cut short, not decoded)
    const short = decode(1, overUdp(2152, 2152, gtp(0x30, 255, concat(v4(), new Uint8Array(10)), 10)));
    expect([short.r, short.d.warning]).toEqual([NOT_TCP, 'GTP-U message leaves 10 bytes for an IPv4 header']);
    const cut = decode(1, overUdp(2152, 2152, gtp(0x30, 255, concat(v4(), new Uint8Array(10)), 30)));
    expect(cut.d.warning).toBe('TCP header cut short: the IP packet leaves 10 bytes for it');
    expectTcp(decode(1, overUdp(2152, 2152, concat(gtp(0x30, 255, v4()), new Uint8Array(10)))), 2);
  });
  it('GTP-U messages without user data, and an extension chain running past the message, are not followed', () => {
    const echo = decode(1, overUdp(2152, 2152, gtp(0x32, 1, hex('0001 00 00'))));
    expect([REASONS[echo.d.reason], echo.d.warning]).toEqual(['udp', null]);
    const runaway = decode(1, overUdp(2152, 2152, gtp(0x34, 255, hex('0000 00 85 09 10 01 00'))));
    expect([REASONS[runaway.d.reason], runaway.d.warning]).toEqual(['udp', null]);
    const ethernetPdu = decode(1, overUdp(2152, 2152, gtp(0x30, 255, ether(0x0800, v4()))));
    expect([ethernetPdu.r, ethernetPdu.d.warning]).toEqual([NOT_TCP, null]);
  });
  it('L2TP version 2 data messages carrying PPP, with or without their optional fields', () => {
    const ppp = concat(hex('ff03 0021'), v4());
    expectTcp(decode(1, overUdp(1701, 1701, concat(hex('0002 0007 0009'), ppp))), 2);
    expectTcp(decode(1, overUdp(1701, 1701, concat(hex('4002'), be16(8 + ppp.length), hex('0007 0009'), ppp))), 2);
    expectTcp(decode(1, overUdp(1701, 1701, concat(hex('0802 0007 0009 0001 0002'), ppp))), 2);
    expectTcp(decode(1, overUdp(1701, 1701, concat(hex('0202 0007 0009 0002 0000'), ppp))), 2);
    expectTcp(decode(1, overUdp(1701, 1701, concat(hex('0002 0007 0009 0021'), v4()))), 2);
  });
  it('L2TP control messages and version 3 are not followed', () => {
    for (const msg of [hex('c802 000c 0007 0009 00000000'), concat(hex('0003 0007 0009 ff03 0021'), v4())]) {
      const r = decode(1, overUdp(1701, 1701, msg));
      expect([REASONS[r.d.reason], r.d.warning]).toEqual(['udp', null]);
    }
  });
  it('an Ethernet pseudowire inside MPLS, with or without a control word, as Wireshark tells them apart', () => {
    const labels = concat(be32((100 << 12) | 64), be32((200 << 12) | 0x100 | 64));
    const frame = concat(hex('001b213a4b5c 005056aabbcc 0800'), v4()); // (the destination's first nibble is 0, like a control word's)
    expectTcp(decode(1, ether(0x8847, concat(labels, frame))));
    expectTcp(decode(1, ether(0x8847, concat(labels, hex('00000000'), frame))));
    expectTcp(decode(1, ether(0x8847, concat(labels, hex('00000000'), ether(0x0800, v4())))));
    // (a first nibble other than 0, 4 and 6 is no pseudowire Wireshark would try)
    expect(REASONS[decode(1, ether(0x8847, concat(labels, hex('a0b1c2d3e4f5 005056aabbcc 0800'), v4()))).d.reason]).toBe('non-ip');
  });
  it('takes the innermost addresses', () => {
    const r = decode(1, ether(0x86dd, ipv6({ nh: 4, payload: v4() })));
    expect(r.d.seg.ipVersion).toBe(4);
    expect(r.d.seg.src[0]).toBe(ip4('10.1.2.3'));
  });
});

describe('IP fragment reassembly', () => {
  const whole = seg({ payload: new Uint8Array(100).map((_, i) => i) });
  const parts = [whole.subarray(0, 48), whole.subarray(48, 96), whole.subarray(96)];

  it('IPv4: decoded at the completing fragment, whatever the arrival order', () => {
    const d = new Decoder();
    const frag = (i: number, mf: boolean) => ether(0x0800, ipv4({ id: 77, mf, fragOffset: i * 48, payload: parts[i] }));
    const a = decode(1, frag(0, true), undefined, d);
    expect(REASONS[a.d.reason]).toBe('ip-fragment');
    const c = decode(1, frag(2, false), undefined, d);
    expect(c.r).toBe(NOT_TCP);
    const b = decode(1, frag(1, true), undefined, d);
    expect(b.r).toBe(DECODED_TCP);
    expect(b.d.seg.reassembled).toBe(true);
    expect(b.d.seg.payloadLength).toBe(100);
    expect(b.d.seg.seq).toBe(1000);
  });

  it('IPv6: the next header comes from the first fragment', () => {
    const d = new Decoder();
    const f = (i: number, more: boolean) => ipv6({ nh: 44, payload: concat(frag6(i === 0 ? 6 : 17, i * 48, more, 9), parts[i]) });
    expect(decode(229, f(1, true), undefined, d).r).toBe(NOT_TCP);
    expect(decode(229, f(0, true), undefined, d).r).toBe(NOT_TCP);
    const last = decode(229, f(2, false), undefined, d);
    expect(last.r).toBe(DECODED_TCP);
    expect(last.d.seg.payloadLength).toBe(100);
  });

  it('a fragment cut by the snaplen never completes a datagram', () => {
    const d = new Decoder();
    const first = ether(0x0800, ipv4({ id: 5, mf: true, payload: parts[0] }));
    decode(1, first.subarray(0, 40), first.length, d);
    decode(1, ether(0x0800, ipv4({ id: 5, mf: true, fragOffset: 48, payload: parts[1] })), undefined, d);
    const r = decode(1, ether(0x0800, ipv4({ id: 5, fragOffset: 96, payload: parts[2] })), undefined, d);
    expect(r.r).toBe(NOT_TCP);
  });
});

describe('TCP header', () => {
  // tcpdump: 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240,
  //          options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]
  const synOptions = hex('020405b4 0402 080a 00000001 00000000 01 030307');

  it('decodes MSS, SACK-permitted, timestamps and window scale', () => {
    const s = decode(101, ipv4({ payload: tcp({ flags: SYN, options: synOptions }) })).d.seg;
    expect([s.mss, s.sackPermitted, s.hasTimestamps, s.tsVal, s.tsEcr, s.wscale, s.headerLength]).toEqual([1460, true, true, 1, 0, 7, 40]);
  });

  it('decoding a packet with options, then one without, leaks nothing from the first', () => {
    const d = new Decoder();
    // 36 option bytes: mss, sackOK, TS, nop, wscale, one SACK block, MPTCP, TFO cookie request
    const rich = tcp({ flags: SYN, options: concat(synOptions, hex('050a 00000010 00000020'), hex('1e04 0000'), hex('2202')) });
    decode(101, ipv4({ payload: rich }), undefined, d);
    expect([d.seg.sackCount, d.seg.tfo, d.seg.wscale]).toEqual([1, TFO_REQUEST, 7]);
    expect(d.seg.mptcp).toBe(true);
    decode(101, ipv4({ payload: tcp({ flags: ACK }) }), undefined, d);
    const s = d.seg;
    expect([s.mss, s.wscale, s.sackPermitted, s.sackCount, s.hasTimestamps, s.tsVal, s.tfo, s.mptcp, s.optionsMalformed]).toEqual([-1, -1, false, 0, false, 0, -1, false, false]);
    expect([...s.sack]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('SACK blocks', () => {
    const s = decode(101, ipv4({ payload: tcp({ options: hex('0101 050a 00000064 000000c8') }) })).d.seg;
    expect(s.sackCount).toBe(1);
    expect([s.sack[0], s.sack[1]]).toEqual([100, 200]);
  });

  it('TCP Fast Open: kind 34 cookie and request, experimental kind 254 with ExID 0xF989', () => {
    expect(decode(101, ipv4({ payload: tcp({ flags: SYN, options: hex('220a 0102030405060708') }) })).d.seg.tfo).toBe(8);
    expect(decode(101, ipv4({ payload: tcp({ flags: SYN, options: hex('2202') }) })).d.seg.tfo).toBe(TFO_REQUEST);
    expect(decode(101, ipv4({ payload: tcp({ flags: SYN, options: hex('fe0c f989 0102030405060708') }) })).d.seg.tfo).toBe(8);
    expect(decode(101, ipv4({ payload: tcp({ flags: SYN, options: hex('fe0c 1234 0102030405060708') }) })).d.seg.tfo).toBe(-1);
  });

  it('unknown option kinds are skipped by their length', () => {
    const s = decode(101, ipv4({ payload: tcp({ options: hex('4506 00000000 020405b4') }) })).d.seg;
    expect(s.mss).toBe(1460);
  });

  it('a malformed option length stops option parsing but not the segment', () => {
    const r = decode(101, ipv4({ payload: tcp({ flags: SYN, options: hex('020405b4 0801 0000 030307') , payload: new Uint8Array(4) }) }));
    expect(r.r).toBe(DECODED_TCP);
    expect(r.d.seg.mss).toBe(1460);
    expect(r.d.seg.wscale).toBe(-1);
    expect(r.d.seg.optionsMalformed).toBe(true);
    expect(r.d.seg.payloadLength).toBe(4);
    expect(r.d.warning).toMatch(/TCP option 8 has an impossible length 1/);
  });

  it('an option running past the header end is malformed', () => {
    const r = decode(101, ipv4({ payload: tcp({ options: hex('0101 0208 05b4') }) }));
    expect(r.d.seg.optionsMalformed).toBe(true);
  });

  it('a header cut by the snaplen is still a segment; options inside the captured bytes count', () => {
    const p = ipv4({ payload: tcp({ flags: SYN, options: concat(hex('030307 01'), synOptions) }) });
    const cut = decode(101, p.subarray(0, 20 + 28), p.length);
    expect(cut.r).toBe(DECODED_TCP);
    expect(cut.d.warning).toMatch(/TCP header cut short by the snap length \(28 of 44 bytes captured\)/);
    expect(cut.d.seg.wscale).toBe(7);
    expect(cut.d.seg.optionsCut).toBe(true);
    expect(cut.d.seg.payloadLength).toBe(0);
  });

  it('fewer than 16 captured TCP bytes: a segment without stream fields', () => {
    const p = ipv4({ payload: seg() });
    const r = decode(101, p.subarray(0, 30), p.length);
    expect(r.r).toBe(DECODED_TCP);
    expect(r.d.seg.hasStreamFields).toBe(false);
    expect(r.d.seg.srcPort).toBe(40000);
    expect(r.d.warning).toMatch(/10 of at least 20 bytes/);
  });

  it('a bogus data offset is a warning; the segment keeps its ports', () => {
    const r = decode(101, ipv4({ payload: tcp({ dataOffset: 0, flags: 0x1ff }) }));
    expect(r.r).toBe(DECODED_TCP);
    expect(r.d.seg.headerValid).toBe(false);
    expect(r.d.seg.flags).toBe(0x1ff);
    expect(r.d.warning).toMatch(/TCP header length 0 is less than 20/);
  });

  it('payload length comes from the IP length, not the captured bytes', () => {
    const p = ipv4({ payload: seg({ payload: new Uint8Array(1400) }) });
    const r = decode(101, p.subarray(0, 60), p.length);
    expect(r.d.seg.payloadLength).toBe(1400);
    expect(r.d.warning).toBeNull();
  });

  it('verifies checksums only when asked', () => {
    // a real SYN (tcpdump -x): 10.0.0.1.40000 > 10.0.0.2.80 [S] seq 1000 win 65535, checksum computed below
    const t = tcp({ flags: SYN, seq: 1000, ack: 0 });
    let sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + t.length;
    for (let i = 0; i < t.length; i += 2) sum += (t[i] << 8) | t[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const ck = ~sum & 0xffff;
    t[16] = ck >> 8; t[17] = ck & 0xff;
    const p = ipv4({ payload: t });
    expect(decode(101, p).d.seg.checksum).toBe(0);
    expect(decode(101, p, undefined, new Decoder({ verifyChecksums: true })).d.seg.checksum).toBe(1);
    t[17] ^= 1;
    expect(decode(101, ipv4({ payload: t }), undefined, new Decoder({ verifyChecksums: true })).d.seg.checksum).toBe(2);
  });
});

describe('ICMP errors quoting TCP', () => {
  it('are not TCP segments, but are recognized as quoting one', () => {
    const quoted = ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: seg().subarray(0, 8) });
    const icmp = concat(hex('03 04 0000 0000 05dc'), quoted);
    const r = decode(1, ether(0x0800, ipv4({ proto: 1, payload: icmp })));
    expect(r.r).toBe(DECODED_QUOTED_TCP);
    expect(r.d.seg.quoted).toBe(true);
    expect([r.d.seg.srcPort, r.d.seg.dstPort, r.d.seg.seq]).toEqual([40000, 80, 1000]);
    expect([r.d.seg.src[0], r.d.seg.dst[0]]).toEqual([ip4('10.0.0.2'), ip4('10.0.0.1')]); // the quoted packet's addresses
  });
  it('an ICMP echo is just ICMP', () => {
    const r = decode(1, ether(0x0800, ipv4({ proto: 1, payload: hex('0800 0000 0001 0001 6162') })));
    expect(REASONS[r.d.reason]).toBe('icmp');
  });
  it('ICMPv6 destination unreachable quoting TCP', () => {
    const icmp6 = concat(hex('01 04 0000 00000000'), ipv6({ payload: seg().subarray(0, 8), payloadLength: 50 }));
    const r = decode(229, ipv6({ nh: 58, payload: icmp6 }));
    expect(r.r).toBe(DECODED_QUOTED_TCP);
  });
});

describe('flags', () => {
  it('all nine bits', () => {
    const s = decode(101, ipv4({ payload: tcp({ flags: 0x1ff }) })).d.seg;
    expect(s.flags).toBe(0x1ff);
    expect(s.flags & (FIN | SYN)).toBe(FIN | SYN);
  });
});
