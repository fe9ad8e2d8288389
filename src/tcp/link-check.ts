/**
 * VLAN and link-layer consistency of each 4-tuple (reference §9.19).
 *
 * Wireshark numbers streams by the IP 4-tuple alone, and synfin follows it: frames of one 4-tuple on
 * two VLANs share a stream, although they may be different connections (overlapping address spaces)
 * or the same frames seen twice (a trunk port that carries them in and out again). Frames of one
 * direction from two link-layer sources show a capture that merges several links or interfaces. Both
 * are noted per 4-tuple, and summarized as one warning of each kind per capture.
 */
import type { CaptureWarning } from '../capture/frame.js';
import type { Segment } from '../decode/segment.js';

/** A 48-bit link-layer address as text (aa:bb:cc:dd:ee:ff). */
export function formatLinkAddress(v: number): string {
  const hi = Math.floor(v / 4294967296), lo = v >>> 0;
  const b = [hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

const formatVlan = (v: number): string => (v < 0 ? 'no VLAN tag' : v < 4096 ? `VLAN ${v}` : `VLANs ${Math.floor(v / 4096)}/${v % 4096}`);

/** The first 4-tuple found mixing two values, and how many do. */
interface Mix {
  count: number;
  frame: number;
  first: number;
  then: number;
}

export class LinkCheck {
  /** Per tuple: VLAN + 2 of its first frame (0: none seen yet; 1: untagged). */
  private vlan = new Int32Array(1024);
  /** Per tuple and direction (2 × tuple + d): link source + 2 of its first frame (0: none seen yet; 1: none). */
  private link = new Float64Array(2048);
  /** Per tuple: bit 0 VLAN mix counted, bit 1 link mix counted. */
  private noted = new Uint8Array(1024);
  private readonly vlanMix: Mix = { count: 0, frame: 0, first: 0, then: 0 };
  private readonly linkMix: Mix = { count: 0, frame: 0, first: 0, then: 0 };

  /**
   * Check one segment of tuple `tuple`, sent from its lower endpoint when `srcIsFirst` (TupleIndex says which).
   * ICMP-quoted headers are not checked: their frame comes from whoever sent the error.
   */
  check(seg: Segment, tuple: number, srcIsFirst: boolean): void {
    if (seg.quoted) return;
    if (tuple >= this.noted.length) this.grow(tuple);
    const v = seg.vlan + 2;
    const known = this.vlan[tuple];
    if (known === 0) this.vlan[tuple] = v;
    else if (known !== v && (this.noted[tuple] & 1) === 0) { this.noted[tuple] |= 1; this.note(this.vlanMix, seg.frame, known - 2, v - 2); }
    const k = 2 * tuple + (srcIsFirst ? 0 : 1);
    const l = seg.linkSrc + 2;
    const knownLink = this.link[k];
    if (knownLink === 0) this.link[k] = l;
    else if (knownLink !== l && (this.noted[tuple] & 2) === 0) { this.noted[tuple] |= 2; this.note(this.linkMix, seg.frame, knownLink - 2, l - 2); }
  }

  private note(m: Mix, frame: number, first: number, then: number): void {
    if (m.count++ === 0) { m.frame = frame; m.first = first; m.then = then; }
  }

  private grow(tuple: number): void {
    let n = this.noted.length;
    while (n <= tuple) n *= 2;
    const vlan = new Int32Array(n), link = new Float64Array(2 * n), noted = new Uint8Array(n);
    vlan.set(this.vlan); link.set(this.link); noted.set(this.noted);
    this.vlan = vlan; this.link = link; this.noted = noted;
  }

  /** One warning per kind of mix found in `file`. */
  warnings(file: string): CaptureWarning[] {
    const out: CaptureWarning[] = [];
    const v = this.vlanMix, l = this.linkMix;
    if (v.count > 0) {
      out.push({
        file, offset: null, frame: v.frame,
        message: `${v.count} TCP 4-tuple(s) carry frames of more than one VLAN, the first with ${formatVlan(v.first)} then ${formatVlan(v.then)} at frame ${v.frame}: ` +
          'streams are numbered without the VLAN, as in Wireshark, so each shares one stream; if they are different connections, or the same frames ' +
          'seen on two VLANs, analyze one VLAN at a time (tcpdump -r FILE -w OUT vlan ID)',
      });
    }
    if (l.count > 0) {
      const name = (x: number) => (x < 0 ? 'none' : formatLinkAddress(x));
      out.push({
        file, offset: null, frame: l.frame,
        message: `${l.count} TCP 4-tuple(s) have frames of one direction from two link-layer sources, the first ${name(l.first)} then ${name(l.then)} at frame ${l.frame}: ` +
          'the capture merges several links or interfaces, so some frames may appear twice and inflate retransmissions and duplicate ACKs',
      });
    }
    return out;
  }
}
