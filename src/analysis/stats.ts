import type { CaptureWarning, Frame, FrameSink } from '../capture/frame.js';
import type { InterfaceDrops } from '../capture/parser.js';
import { readCapture, type ReadOptions } from '../capture/reader.js';
import { compareTs, formatTs } from '../capture/time.js';
import { DECODED_QUOTED_TCP, DECODED_TCP, Decoder, ENCRYPTED_FRAMES, REASONS, REASON_ENCRYPTED, REASON_UNSUPPORTED_LINK_TYPE, type DecoderOptions } from '../decode/decoder.js';
import type { Segment } from '../decode/segment.js';

/** A consumer of decoded segments (the tracker), called in file order. */
export interface SegmentConsumer {
  /** Every frame's timestamp, TCP or not (the capture clock). */
  clock(sec: number, nsec: number): void;
  /** A TCP segment, or a TCP header quoted in an ICMP error (`seg.quoted`). */
  onSegment(seg: Segment): void;
}

/** Per-frame warnings kept per file; the rest are counted. Structural warnings are always kept. */
export const MAX_FRAME_WARNINGS = 1000;

/** What `synfin stats` reports for one file (the JSON contract's first fields). */
export interface StatsReport {
  file: string;
  format: string;
  gzip: boolean;
  linktypes: number[];
  /** Packet records (pcapng Custom Blocks use a frame number but are not counted here). */
  frames: number;
  nonPacketRecords: number;
  tcpSegments: number;
  tcpSegmentsTunnelled: number;
  /** What Wireshark's display filter `tcp` matches: segments plus TCP headers quoted in ICMP errors. */
  framesWithTcp: number;
  notDecoded: Record<string, number>;
  /** Timestamps of the first and last frame in file order, and the extremes. Decimal seconds. */
  firstTs: string | null;
  lastTs: string | null;
  minTs: string | null;
  maxTs: string | null;
  /** Bytes of capture data read (decompressed). */
  bytes: number;
  damaged: boolean;
  /** Drop counters the capture recorded (pcapng interface statistics), per interface; empty when none. */
  captureDrops: InterfaceDrops[];
  warnings: CaptureWarning[];
  warningsOmitted: number;
}

/** Counts frames and segments while a capture streams past. */
export class StatsCollector implements FrameSink {
  readonly decoder: Decoder;
  frames = 0;
  tcpSegments = 0;
  tunnelled = 0;
  quoted = 0;
  readonly notDecoded = new Float64Array(REASONS.length);
  readonly unsupportedLinktypes = new Map<number, number>();
  readonly warnings: CaptureWarning[] = [];
  warningsOmitted = 0;
  private frameWarnings = 0;
  private outOfOrder = 0;
  private firstOutOfOrder = 0;
  firstSec = 0; firstNsec = 0; lastSec = 0; lastNsec = 0;
  minSec = 0; minNsec = 0; maxSec = 0; maxNsec = 0;

  constructor(
    readonly file: string,
    decoderOptions: DecoderOptions = {},
    private readonly consumer: SegmentConsumer | null = null,
  ) {
    this.decoder = new Decoder(decoderOptions);
  }

  onFrame(f: Frame): void {
    const sec = f.tsSec, nsec = f.tsNsec;
    if (this.frames++ === 0) {
      this.firstSec = this.minSec = this.maxSec = sec;
      this.firstNsec = this.minNsec = this.maxNsec = nsec;
    } else {
      if (compareTs(sec, nsec, this.lastSec, this.lastNsec) < 0 && this.outOfOrder++ === 0) this.firstOutOfOrder = f.number;
      if (compareTs(sec, nsec, this.minSec, this.minNsec) < 0) { this.minSec = sec; this.minNsec = nsec; }
      if (compareTs(sec, nsec, this.maxSec, this.maxNsec) > 0) { this.maxSec = sec; this.maxNsec = nsec; }
    }
    this.lastSec = sec;
    this.lastNsec = nsec;
    const d = this.decoder;
    const r = d.decode(f);
    const consumer = this.consumer;
    if (consumer !== null) consumer.clock(sec, nsec);
    if (r === DECODED_TCP) {
      this.tcpSegments++;
      if (d.seg.ipDepth >= 2) this.tunnelled++;
      if (consumer !== null) consumer.onSegment(d.seg);
    } else {
      if (r === DECODED_QUOTED_TCP) {
        this.quoted++;
        if (consumer !== null) consumer.onSegment(d.seg);
      }
      this.notDecoded[d.reason]++;
      if (d.reason === REASON_UNSUPPORTED_LINK_TYPE) this.unsupportedLinktypes.set(d.linktype, (this.unsupportedLinktypes.get(d.linktype) ?? 0) + 1);
    }
    if (d.warning !== null) this.frameWarning(f.fileOffset, f.number, d.warning);
  }

  private frameWarning(offset: number, frame: number, message: string): void {
    if (this.frameWarnings++ < MAX_FRAME_WARNINGS) this.warnings.push({ file: this.file, offset, frame, message });
    else this.warningsOmitted++;
  }

  onWarning(w: CaptureWarning): void {
    this.warnings.push(w);
  }

  /** Warnings that need the whole file (timestamps out of order; nothing but encrypted traffic). Call once at the end. */
  finish(): void {
    if (this.outOfOrder > 0) {
      this.warnings.push({
        file: this.file, offset: null, frame: this.firstOutOfOrder,
        message: `timestamps go backwards ${this.outOfOrder} time(s) in file order, first at frame ${this.firstOutOfOrder}; frames are analyzed in file order`,
      });
    }
    const encrypted = this.notDecoded[REASON_ENCRYPTED];
    if (encrypted > 0 && this.tcpSegments === 0) {
      this.warnings.push({
        file: this.file, offset: null, frame: null,
        message: `no TCP segment can be read: ${encrypted} frame(s) are encrypted (${ENCRYPTED_FRAMES}); capture before encryption or after decryption`,
      });
    }
  }

  notDecodedRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    REASONS.forEach((name, i) => {
      if (i === REASON_UNSUPPORTED_LINK_TYPE) return; // listed per link type below
      if (this.notDecoded[i] > 0) out[name] = this.notDecoded[i];
    });
    for (const [lt, n] of this.unsupportedLinktypes) out[`link-type-${lt}`] = n;
    return out;
  }
}

/** Read one capture and count what it holds. Throws CaptureError when it is not a capture. */
export async function captureStats(
  path: string,
  opts: ReadOptions & DecoderOptions = {},
  consumer: SegmentConsumer | null = null,
): Promise<StatsReport> {
  const file = path === '-' ? '(standard input)' : path;
  const c = new StatsCollector(file, opts, consumer);
  const r = await readCapture(path, c, opts);
  c.finish();
  const any = c.frames > 0;
  return {
    file: r.file,
    format: r.format,
    gzip: r.gzip,
    linktypes: r.linktypes,
    frames: r.packets,
    nonPacketRecords: r.nonPacketRecords,
    tcpSegments: c.tcpSegments,
    tcpSegmentsTunnelled: c.tunnelled,
    framesWithTcp: c.tcpSegments + c.quoted,
    notDecoded: c.notDecodedRecord(),
    firstTs: any ? formatTs(c.firstSec, c.firstNsec) : null,
    lastTs: any ? formatTs(c.lastSec, c.lastNsec) : null,
    minTs: any ? formatTs(c.minSec, c.minNsec) : null,
    maxTs: any ? formatTs(c.maxSec, c.maxNsec) : null,
    bytes: r.bytes,
    damaged: r.damaged,
    captureDrops: r.parser.drops,
    warnings: c.warnings,
    warningsOmitted: c.warningsOmitted,
  };
}
