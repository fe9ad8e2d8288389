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
const CHUNK = 1024 * 1024;
/** A packet record and its headers, options included, is far smaller. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/**
 * Passes frames on with the frame numbers of the full read: a read that starts at the record of
 * frame `first` numbers the records from there 1, 2, … (non-packet records included, as in the
 * full read).
 */
class Renumber implements FrameSink {
  /** Added to the parser's number. */
  shift = 0;
  constructor(private readonly sink: FrameSink) {}
  onFrame(f: Frame): void {
    f.number += this.shift;
    this.sink.onFrame(f);
  }
  onWarning(): void {}
}

/** A run of consecutive records: from the one at `from` (frame `firstFrame`) through the one at `to`. */
export interface RecordSpan {
  from: number;
  to: number;
  firstFrame: number;
}

/**
 * Feed `sink` every record of `span` in file order, through the same format parsers as a full
 * read, so the frames handed on are exactly those of a full read. `headerBlocks` are the pcapng
 * section and interface blocks as (offset, length) pairs (ignored for pcap). Returns false when
 * the records could not be read back (the caller then reads the whole file).
 */
export function readRecordSpan(path: string, span: RecordSpan, headerBlocks: readonly number[], sink: FrameSink): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CaptureError(path, (e as Error).message);
  }
  try {
    let buf = new Uint8Array(CHUNK);
    let dv = new DataView(buf.buffer);
    /** Read `len` bytes at file offset `at` into buf[keep…], keeping buf[0, keep). */
    const read = (at: number, len: number, keep = 0): number => {
      if (keep + len > buf.length) {
        const b = new Uint8Array(keep + len);
        b.set(buf.subarray(0, keep));
        buf = b; dv = new DataView(buf.buffer);
      }
      return readSync(fd, buf, keep, len, at);
    };
    if (read(0, 4) < 4) return false;
    const magic = dv.getUint32(0, true);
    const renumber = new Renumber(sink);
    let parser: FormatParser;
    /** Length of the record whose first bytes are at buf[0], which is at file offset `at`. */
    let recordLength: (at: number) => number;
    /** Feed the parser the header blocks before `at` (pcapng). */
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
      // each section's byte order, from its header block: (offset, little-endian) pairs
      const sections: Array<[number, boolean]> = [];
      for (let h = 0; h < headerBlocks.length; h += 2) {
        if (read(headerBlocks[h], 12) < 12) return false;
        if (dv.getUint32(0, true) === BLOCK.SHB) sections.push([headerBlocks[h], dv.getUint32(8, true) === 0x1a2b3c4d]);
      }
      before = (at: number): boolean => {
        for (let h = 0; h < headerBlocks.length && headerBlocks[h] < at; h += 2) {
          const off = headerBlocks[h], len = headerBlocks[h + 1];
          if (read(off, len) < len || p.parse(buf, dv, 0, len, off) !== len) return false;
        }
        return true;
      };
      recordLength = (at: number): number => {
        let le = true;
        for (const [off, l] of sections) if (off < at) le = l;
        return dv.getUint32(4, le);
      };
    } else {
      return false;
    }
    // the span: from its first record to the end of its last, parsed in chunks as a full read parses them
    if (!before(span.from) || read(span.to, 16) < 12) return false;
    const last = recordLength(span.to);
    // (the offsets come from reading this file; a length out of bounds means it has changed since)
    if (last < 12 || last > MAX_RECORD_BYTES) return false;
    const end = span.to + last;
    renumber.shift = span.firstFrame - 1 - parser.records;
    let at = span.from, left = 0;
    while (at < end) {
      const n = read(at, Math.min(CHUNK, end - at), left);
      if (n <= 0) return false;
      at += n;
      const used = parser.parse(buf, dv, 0, left + n, at - left - n);
      if (parser.stopped) return false;
      left = left + n - used;
      if (left > 0) buf.copyWithin(0, used, used + left);
    }
    return left === 0;
  } finally {
    closeSync(fd);
  }
}
