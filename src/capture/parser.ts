import { Frame, type FrameSink } from './frame.js';

/** One interface's drop counters (the latest statistics block's, which are cumulative); null when not recorded. */
export interface InterfaceDrops {
  /** Interface index within the file (pcapng: across sections, in order of appearance). */
  interface: number;
  /** isb_ifdrop: dropped by the interface (no buffer space). */
  ifDrop: number | null;
  /** isb_osdrop: dropped by the operating system. */
  osDrop: number | null;
}

/** Wireshark's limit on one packet's captured length (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const MAX_PACKET_BYTES = 262_144;

/**
 * What every format parser shares: the reused frame, frame numbering, the list of
 * link types in order of first appearance, and the two kinds of problems — a warning that
 * lets reading go on, and corruption that ends it (never resync, never buffer the rest).
 */
export abstract class FormatParser {
  readonly frame = new Frame();
  /** Frame numbers handed out so far (packets and non-packet records). */
  records = 0;
  packets = 0;
  nonPacketRecords = 0;
  /** LINKTYPE values, one per pcap header or IDB, de-duplicated, in order of first appearance. */
  readonly linktypes: number[] = [];
  /** Bytes needed from the returned position before parse() can make progress. */
  need = 0;
  /** Reading ended early because the structure is broken or unsupported. */
  stopped = false;
  /** The file was damaged but partly read (exit status 2). */
  damaged = false;
  /** Packets the capturing interface or OS dropped, per interface, from pcapng interface statistics. */
  readonly drops: InterfaceDrops[] = [];
  /** Told the offset and length of every block a later packet block depends on (pcapng SHB and IDB). */
  onHeaderBlock: ((offset: number, length: number) => void) | null = null;

  constructor(
    readonly file: string,
    protected readonly sink: FrameSink,
  ) {}

  /** The format label of expected.json (`pcap-le-usec`, `pcapng-mixed`, …). */
  abstract get format(): string;

  /**
   * Parse every complete record in buf[pos, end). `base` is the file offset of buf[0].
   * Returns the position of the first byte not consumed; sets `need` when it stops for lack
   * of bytes, or `stopped` when the rest of the file cannot be trusted.
   */
  abstract parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number;

  /** The input ended with `left` unconsumed bytes at file offset `offset`. */
  finish(left: number, offset: number): void {
    if (left > 0 && !this.stopped) {
      this.corrupt(offset, `the file is cut short in the middle of a record (${left} of ${this.need} bytes present)`);
    }
  }

  protected addLinktype(lt: number): void {
    if (!this.linktypes.includes(lt)) this.linktypes.push(lt);
  }

  warn(offset: number | null, frame: number | null, message: string): void {
    this.sink.onWarning({ file: this.file, offset, frame, message });
  }

  /** A structural error: warn with the next frame number and stop reading this file. */
  protected corrupt(offset: number, message: string): void {
    this.warn(offset, this.records + 1, `${message}; stopped reading`);
    this.stopped = true;
    this.damaged = true;
  }
}
