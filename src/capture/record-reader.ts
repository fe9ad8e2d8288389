/**
 * Read chosen records of an uncompressed capture file by their byte offsets, through the same
 * format parsers as a full read, so the frames handed on are exactly those of a full read.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CaptureError, type Frame, type FrameSink } from './frame.js';
import type { FormatParser } from './parser.js';
import { PcapParser, isPcapMagic, PCAP_MAGIC } from './pcap.js';
import { BLOCK, PcapngParser } from './pcapng.js';

const PCAP_FILE_HEADER = 24;
const WINDOW = 4096;

/** Passes frames on with the frame numbers of the full read (a partial read numbers them 1, 2, …). */
class Renumber implements FrameSink {
  i = 0;
  constructor(private readonly frames: Int32Array, private readonly sink: FrameSink) {}
  onFrame(f: Frame): void {
    f.number = this.frames[this.i++];
    this.sink.onFrame(f);
  }
  onWarning(): void {}
}

/**
 * Feed `sink` the records at `offsets` (ascending), numbered `frames`. `headerBlocks` are the pcapng
 * section and interface blocks as (offset, length) pairs (ignored for pcap). Returns false when a
 * record could not be read back as one frame (the caller then reads the whole file).
 */
export function readRecordsAt(path: string, offsets: Float64Array, frames: Int32Array, headerBlocks: readonly number[], sink: FrameSink): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CaptureError(path, (e as Error).message);
  }
  try {
    let buf = new Uint8Array(WINDOW);
    let dv = new DataView(buf.buffer);
    const read = (offset: number, len: number): number => {
      if (len > buf.length) { buf = new Uint8Array(len); dv = new DataView(buf.buffer); }
      return readSync(fd, buf, 0, len, offset);
    };
    if (read(0, 4) < 4) return false;
    const magic = dv.getUint32(0, true);
    const renumber = new Renumber(frames, sink);
    let parser: FormatParser;
    /** Length of the record whose first bytes are in buf. */
    let recordLength: () => number;
    /** Called before reading the record at `at` (pcapng: feed the header blocks before it). */
    let before: (at: number) => boolean = () => true;
    if (isPcapMagic(magic)) {
      parser = new PcapParser(path, renumber);
      const le = magic === PCAP_MAGIC.usecLE || magic === PCAP_MAGIC.nsecLE || magic === PCAP_MAGIC.modLE;
      const hdr = magic === PCAP_MAGIC.modLE || magic === PCAP_MAGIC.modBE ? 24 : 16;
      if (read(0, PCAP_FILE_HEADER) < PCAP_FILE_HEADER || parser.parse(buf, dv, 0, PCAP_FILE_HEADER, 0) !== PCAP_FILE_HEADER) return false;
      recordLength = () => hdr + dv.getUint32(8, le);
    } else if (magic === BLOCK.SHB) {
      const p = new PcapngParser(path, renumber);
      parser = p;
      let h = 0;
      let le = true;
      // the section and interface blocks before `at`, fed in file order
      before = (at: number): boolean => {
        for (; h < headerBlocks.length && headerBlocks[h] < at; h += 2) {
          const off = headerBlocks[h], len = headerBlocks[h + 1];
          if (read(off, len) < len) return false;
          if (dv.getUint32(0, true) === BLOCK.SHB) le = dv.getUint32(8, true) === 0x1a2b3c4d;
          if (p.parse(buf, dv, 0, len, off) !== len) return false;
        }
        return true;
      };
      recordLength = () => dv.getUint32(4, le);
    } else {
      return false;
    }
    for (let j = 0; j < offsets.length; j++) {
      const at = offsets[j];
      if (!before(at) || read(at, WINDOW) < 8) return false;
      const len = recordLength();
      if (len > WINDOW && read(at, len) < len) return false;
      if (parser.parse(buf, dv, 0, len, at) !== len || parser.stopped || renumber.i !== j + 1) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
