import type { StreamAssignment } from '../tcp/stream-assigner.js';

/** TCP control bits, as in the 9 low bits of header bytes 12–13 (RFC 9293 §3.1, RFC 3168, RFC 3540). */
export const FIN = 0x001;
export const SYN = 0x002;
export const RST = 0x004;
export const PSH = 0x008;
export const ACK = 0x010;
export const URG = 0x020;
export const ECE = 0x040;
export const CWR = 0x080;
export const AE = 0x100;

const FLAG_LETTERS: ReadonlyArray<[number, string]> = [
  [SYN, 'S'], [FIN, 'F'], [RST, 'R'], [PSH, 'P'], [ACK, 'A'], [URG, 'U'], [ECE, 'E'], [CWR, 'C'], [AE, 'N'],
];

/** Flags as tcpdump-style letters, e.g. "SA" for SYN+ACK. */
export function flagLetters(flags: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_LETTERS) if (flags & bit) s += ch;
  return s === '' ? '.' : s;
}

/** The TCP Fast Open option is absent. */
export const TFO_NONE = -1;
/** The TCP Fast Open option asks for a cookie (empty cookie). */
export const TFO_REQUEST = 0;

/** How many figures a segment carries with Wireshark flags computed by the reading thread, and which one is a float. */
export const WS_FIGURES = 10;
export const WS_DELTA = WS_FIGURES - 1;

/**
 * What one TCP header means, decoded in place. One instance is reused for every
 * packet: `reset()` clears every field, options included, before each decode.
 * Fields beyond `captured` bytes of the header keep their reset values.
 */
export class Segment {
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  /** Original length of the whole frame, link header included. */
  frameLen = 0;
  fileOffset = 0;

  ipVersion: 4 | 6 = 4;
  /** Addresses as 32-bit words; IPv4 uses word 0 only. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** IPv4 identification of the innermost IPv4 header, or −1 (IPv6). */
  ipId = -1;
  /** Number of IP headers in front of the TCP header (2 or more: tunnelled). */
  ipDepth = 0;
  /** The segment was reassembled from IP fragments. */
  reassembled = false;
  /** The header is quoted inside an ICMP error, not a segment on the wire. */
  quoted = false;
  /** For a quoted header: the ICMP (ipVersion 4) or ICMPv6 (6) error's type and code; −1 otherwise. */
  icmpType = -1;
  icmpCode = -1;

  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  urgent = 0;
  /** Data offset × 4 as written in the header (may be bogus, see headerValid). */
  headerLength = 0;
  /** TCP payload bytes, from the IP length fields (not the captured length). */
  payloadLength = 0;
  /** TCP bytes present in the capture (header and payload). */
  captured = 0;
  /** The header length is plausible (20 ≤ hl ≤ segment length). */
  headerValid = false;
  /** Checksum: 0 not checked, 1 good, 2 bad. */
  checksum = 0;
  /** The checksum field as captured (−1 when not captured). */
  checksumField = -1;

  // options (RFC 9293 §3.2, RFC 7323, RFC 2018, RFC 7413, RFC 8684)
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  sackCount = 0;
  /** Left/right edges of up to 4 SACK blocks: [l0, r0, l1, r1, …]. */
  readonly sack = new Uint32Array(8);
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;
  /** TCP Fast Open: TFO_NONE, TFO_REQUEST, or the cookie length in bytes. */
  tfo = TFO_NONE;
  mptcp = false;
  /** MPTCP option subtypes on this segment, as a bit mask (1 << subtype; RFC 8684 §3). */
  mptcpSubtypes = 0;
  /** Option parsing stopped at an option whose length is impossible. */
  optionsMalformed = false;
  /** The options were cut by the snap length. */
  optionsCut = false;

  /**
   * The number of the segment's 4-tuple in order of first appearance (see TupleIndex), when the
   * reading thread of the segment pipe computed it; −1 otherwise, and the tracker looks it up.
   */
  tuple = -1;

  /**
   * The Wireshark flags of this header when the reading thread of the segment pipe computed them
   * (for `analyze`; see FlagComputer), −1 otherwise. With flags set, `wsFigures` holds the figures
   * behind them: WS_FIGURES values, 32-bit ones, then WS_DELTA (seconds).
   */
  wsFlags = -1;
  readonly wsFigures = new Float64Array(WS_FIGURES);
  /** The header's stream, when the reading thread of the segment pipe assigned it (see StreamAssigner); null otherwise. */
  assignment: StreamAssignment | null = null;

  /** The frame's 802.1Q VLAN id (with QinQ, outer × 4096 + inner), −1 when untagged. */
  vlan = -1;
  /** The frame's link-layer source address (Ethernet, or the first 6 bytes of a Linux cooked one) as a 48-bit number, −1 when none. */
  linkSrc = -1;

  reset(): void {
    this.tuple = -1;
    this.wsFlags = -1;
    this.assignment = null;
    this.ipDepth = 0;
    this.ipId = -1;
    this.reassembled = false;
    this.quoted = false;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.vlan = -1;
    this.linkSrc = -1;
    // src/dst need no clearing: every IP decode writes all four words of both
    this.resetTcp();
  }

  resetTcp(): void {
    this.srcPort = 0; this.dstPort = 0; this.seq = 0; this.ack = 0; this.flags = 0; this.window = 0;
    this.urgent = 0; this.headerLength = 0; this.payloadLength = 0; this.captured = 0;
    this.headerValid = false; this.checksum = 0; this.checksumField = -1;
    this.mss = -1; this.wscale = -1; this.sackPermitted = false;
    // only the blocks last written can be non-zero
    for (let i = 2 * this.sackCount - 1; i >= 0; i--) this.sack[i] = 0;
    this.sackCount = 0;
    this.hasTimestamps = false; this.tsVal = 0; this.tsEcr = 0; this.tfo = TFO_NONE; this.mptcp = false; this.mptcpSubtypes = 0;
    this.optionsMalformed = false; this.optionsCut = false;
  }

  /** At least the first 16 header bytes (ports through window) are present: the segment can join a stream. */
  get hasStreamFields(): boolean {
    return this.captured >= 16;
  }

  /** The whole header (options included) is present; a cut header still counts, but Wireshark shows no flags on it. */
  get headerComplete(): boolean {
    return this.headerValid && this.captured >= this.headerLength;
  }

  /** seq, ack, flags and window are present. */
  get fixedHeaderCaptured(): boolean {
    return this.captured >= 20;
  }
}
