/**
 * IPv4 and IPv6 fragment reassembly, as Wireshark does it by default: the datagram is
 * decoded at the frame that completes it. Only the rare fragment path allocates.
 */

interface Pending {
  /** Fragment payloads by offset (copies). */
  parts: Array<{ off: number; data: Uint8Array }>;
  /** Total payload length, known once the last fragment (no More Fragments) arrived. */
  total: number;
  /** Upper-layer protocol (IPv4 protocol, or the IPv6 Next Header of the offset-0 fragment). */
  proto: number;
  /** A fragment was cut by the snap length: the datagram can never be completed. */
  broken: boolean;
}

/** Bound on datagrams waiting for fragments; the oldest is dropped beyond it. */
export const MAX_PENDING_DATAGRAMS = 4096;
/** IP datagrams are at most 65,535 bytes (IPv6 jumbograms are not fragmented). */
const MAX_DATAGRAM = 65535 + 8;

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  /** Upper-layer protocol of the datagram completed by the last add(). */
  proto = 0;

  /**
   * Add one fragment. `proto` is −1 when not known from this fragment (IPv6 non-first
   * fragments). `captured` false when the fragment's data is cut by the snaplen.
   * Returns the whole payload when this fragment completes the datagram, else null.
   */
  add(key: string, off: number, data: Uint8Array, more: boolean, proto: number, captured: boolean): Uint8Array | null {
    let p = this.pending.get(key);
    if (p === undefined) {
      if (this.pending.size >= MAX_PENDING_DATAGRAMS) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
      }
      p = { parts: [], total: -1, proto: -1, broken: false };
      this.pending.set(key, p);
    }
    if (!captured || off + data.length > MAX_DATAGRAM) p.broken = true;
    if (proto >= 0 && (off === 0 || p.proto < 0)) p.proto = proto;
    if (!more) p.total = off + data.length;
    if (!p.broken) p.parts.push({ off, data: data.slice() });
    if (p.total < 0 || p.broken) return null;
    // complete when the parts cover [0, total) without a hole
    p.parts.sort((a, b) => a.off - b.off);
    let covered = 0;
    for (const part of p.parts) {
      if (part.off > covered) return null;
      covered = Math.max(covered, part.off + part.data.length);
    }
    if (covered < p.total) return null;
    const out = new Uint8Array(p.total);
    for (const part of p.parts) {
      const n = Math.min(part.data.length, p.total - part.off);
      if (n > 0) out.set(part.data.subarray(0, n), part.off);
    }
    this.pending.delete(key);
    this.proto = p.proto;
    return out;
  }

  get size(): number {
    return this.pending.size;
  }
}
