/**
 * One record of a capture file, as the readers hand it to a consumer.
 *
 * The object is reused for every record: a consumer that keeps anything must copy it.
 * `buf`/`dv` are the reader's working buffer; the packet bytes are
 * `buf[dataOffset, dataOffset + caplen)` and stay valid only until the consumer returns.
 */
export class Frame {
  /** 1-based, in file order, exactly as Wireshark numbers frames. */
  number = 0;
  /** Timestamp: whole seconds since the epoch (may be negative or very large) … */
  tsSec = 0;
  /** … plus nanoseconds, 0 ≤ tsNsec < 1e9. */
  tsNsec = 0;
  /** Interface index within the file (pcapng: across sections, in order of appearance). */
  iface = 0;
  /** LINKTYPE_ value of the interface the frame was captured on. */
  linktype = 0;
  caplen = 0;
  origlen = 0;
  /** Byte offset of the record (or block) header in the (decompressed) capture. */
  fileOffset = 0;
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  dataOffset = 0;

  /** A view of the packet bytes (no copy). Allocates a view: not for the hot path. */
  get data(): Uint8Array {
    return this.buf.subarray(this.dataOffset, this.dataOffset + this.caplen);
  }
}

/** A recoverable problem: one line with the file, byte offset and frame number. */
export interface CaptureWarning {
  file: string;
  /** Byte offset in the (decompressed) capture where the problem starts, or null. */
  offset: number | null;
  /** Frame number the problem concerns (the next frame for a structural problem), or null. */
  frame: number | null;
  message: string;
}

/** A problem that makes the input unusable as a capture (not a capture, unreadable). */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CaptureError';
  }
}

/** Receives what a capture reader finds, in file order. */
export interface FrameSink {
  /** A packet record. `frame` is reused: copy what you keep. */
  onFrame(frame: Frame): void;
  /** A record that uses up a frame number but carries no packet (pcapng Custom Block). */
  onNonPacketRecord?(frameNumber: number, fileOffset: number): void;
  onWarning(w: CaptureWarning): void;
}
