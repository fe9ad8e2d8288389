import { createReadStream, fstatSync, openSync, readSync, closeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureError, type FrameSink } from './frame.js';
import { FormatParser } from './parser.js';
import { PcapParser, isPcapMagic } from './pcap.js';
import { BLOCK, PcapngParser } from './pcapng.js';
import { FileSource, StreamSource, type ByteSource } from './source.js';

/**
 * Size of one read. Synchronous reads of a megabyte or more are what makes Node fast here; larger
 * ones read no faster and only hold more memory (in the reading thread as well).
 */
export const CHUNK_BYTES = 1024 * 1024;

export interface ReadProgress {
  /** Bytes of the input file consumed so far (compressed bytes for gzip). */
  bytesRead: number;
  /** Size of the input file, or null for standard input. */
  totalBytes: number | null;
  packets: number;
}

export interface ReadOptions {
  /** Called after every chunk (about every MiB). */
  onProgress?: (p: ReadProgress) => void;
  /** Stop early (e.g. Ctrl-C in the terminal UI). */
  signal?: AbortSignal;
  chunkBytes?: number;
  /** Give the event loop a turn after every chunk, so a terminal UI can redraw and take keys while reading. */
  yieldEveryChunk?: boolean;
  /** Told the offset and length of every pcapng SHB and IDB (what re-reading a record by offset needs). */
  onHeaderBlock?: (offset: number, length: number) => void;
}

export interface ReadResult {
  file: string;
  /** Format label: pcap-le-usec, pcap-be-nsec, pcap-le-usec-modified, pcapng-le, pcapng-be, pcapng-mixed. */
  format: string;
  gzip: boolean;
  linktypes: number[];
  packets: number;
  nonPacketRecords: number;
  /** Structural damage: the file was only partly read. */
  damaged: boolean;
  /** Decompressed bytes parsed. */
  bytes: number;
  parser: FormatParser;
}

const GZIP_0 = 0x1f;
const GZIP_1 = 0x8b;

/** The first `n` bytes of `b` start like gzip. */
const isGzip = (b: Uint8Array, n: number): boolean => n >= 2 && b[0] === GZIP_0 && b[1] === GZIP_1;

/** Names capture files usually have (gzip-compressed ones too). */
const CAPTURE_NAME = ['.pcap', '.pcapng', '.cap', '.ntar', '.dmp', '.pcap.gz', '.pcapng.gz', '.cap.gz'];

/**
 * Whether `path` is named like a capture file, or starts like one (a pcap or pcapng magic number,
 * gzip, or an archive a capture is often sent in): what picks the submissions out of a directory.
 * False for what cannot be read.
 */
export function looksLikeCapture(path: string): boolean {
  const lower = path.toLowerCase();
  if (CAPTURE_NAME.some((x) => lower.endsWith(x))) return true;
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return false; }
  try {
    const b = new Uint8Array(ARCHIVE_MAGIC_BYTES);
    const n = readSync(fd, b, 0, ARCHIVE_MAGIC_BYTES, 0);
    // (an archive is a submission too: it gets no points, and the reason says how to unpack it)
    if (isGzip(b, n) || archiveOf(b, n) !== null) return true;
    if (n < 4) return false;
    const dv = new DataView(b.buffer);
    return isPcapMagic(dv.getUint32(0, true)) || dv.getUint32(0, true) === BLOCK.SHB;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function fsMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, not a capture file';
    default: return err.message ?? String(e);
  }
}

/** Archive and compression formats a capture is often sent in, by their magic numbers, and the command that unpacks each. */
const ARCHIVES: ReadonlyArray<{ name: string; magic: readonly number[]; unpack: string }> = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], unpack: 'xz -d' },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], unpack: 'bunzip2' },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], unpack: 'zstd -d' },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], unpack: 'lz4 -d' },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], unpack: 'unzip' },
  { name: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], unpack: '7z x' },
  { name: 'rar', magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], unpack: 'unrar x' },
];

/** The archive or compression format the first `n` bytes of `b` start like (other than gzip, which is read), or null. */
export function archiveOf(b: Uint8Array, n: number): { name: string; unpack: string } | null {
  for (const a of ARCHIVES) {
    if (n >= a.magic.length && a.magic.every((x, i) => b[i] === x)) return a;
  }
  return null;
}

/** The longest magic number archiveOf() compares. */
const ARCHIVE_MAGIC_BYTES = 6;

function describeStart(buf: Uint8Array, n: number): string {
  if (n === 0) return 'the file is empty (0 bytes), not a capture';
  const archive = archiveOf(buf, n);
  if (archive !== null) {
    return archive.name === 'zip' || archive.name === '7z' || archive.name === 'rar'
      ? `a ${archive.name} archive, not a capture: extract the capture from it first (${archive.unpack})`
      : `compressed with ${archive.name}, which synfin does not read: decompress it first (${archive.unpack})`;
  }
  const k = Math.min(n, 8);
  const hex = Array.from(buf.subarray(0, k), (b) => b.toString(16).padStart(2, '0')).join(' ');
  let text = '';
  for (let i = 0; i < k; i++) {
    const b = buf[i];
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return `not a pcap or pcapng capture (it starts with ${hex}  "${text}")`;
}

function sniff(file: string, buf: Uint8Array, n: number, sink: FrameSink): FormatParser {
  if (n >= 4) {
    const m = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
    if (isPcapMagic(m)) return new PcapParser(file, sink);
    if (m === BLOCK.SHB) return new PcapngParser(file, sink);
  }
  throw new CaptureError(file, describeStart(buf, n));
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Buffer>): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

async function openSource(path: string): Promise<{ source: ByteSource; gzip: boolean; total: number | null }> {
  if (path === '-') {
    const it = (process.stdin as Readable)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await it.next();
    if (first.done) return { source: new StreamSource(Readable.from([])), gzip: false, total: null };
    const head = first.value;
    const all = Readable.from(prepend(head, it), { objectMode: false });
    let raw = 0;
    all.on('data', (c: Uint8Array) => { raw += c.length; });
    if (isGzip(head, head.length)) {
      return { source: new StreamSource(all.pipe(createGunzip({ chunkSize: 1 << 20 })), () => raw), gzip: true, total: null };
    }
    return { source: new StreamSource(all, () => raw), gzip: false, total: null };
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CaptureError(path, fsMessage(e));
  }
  let size: number;
  const magic = new Uint8Array(2);
  let got: number;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
    got = readSync(fd, magic, 0, 2, 0);
  } catch (e) {
    closeSync(fd);
    throw new CaptureError(path, fsMessage(e));
  }
  if (isGzip(magic, got)) {
    const raw = createReadStream('', { fd, highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    return { source: new StreamSource(raw.pipe(gunzip), () => raw.bytesRead), gzip: true, total: size };
  }
  return { source: new FileSource(fd), gzip: false, total: size };
}

/**
 * Stream a capture file (or '-' for standard input) through `sink`, record by record.
 * Memory is one chunk plus at most one record, whatever the file size.
 * Throws CaptureError when the input is unreadable or not a capture; structural damage
 * later in the file becomes a warning and `damaged: true`.
 */
export async function readCapture(path: string, sink: FrameSink, opts: ReadOptions = {}): Promise<ReadResult> {
  const file = path === '-' ? '(standard input)' : path;
  const { source, gzip, total } = await openSource(path);
  let buf = new Uint8Array(opts.chunkBytes ?? CHUNK_BYTES);
  let dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let filled = 0;
  let base = 0; // file offset of buf[0]
  let parser: FormatParser | null = null;
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      if (filled === buf.length) {
        // a record larger than the buffer: grow to fit it (bounded by the parsers' limits)
        const need = parser ? parser.need : buf.length * 2;
        const bigger = new Uint8Array(Math.max(need, buf.length) + (opts.chunkBytes ?? CHUNK_BYTES));
        bigger.set(buf.subarray(0, filled));
        buf = bigger;
        dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      let n: number;
      let readError: string | null = null;
      try {
        n = await source.read(buf, filled, buf.length - filled);
      } catch (e) {
        n = 0;
        readError = gzip ? `gzip data is cut short or corrupt (${(e as Error).message})` : fsMessage(e);
      }
      const eof = n === 0;
      filled += n;
      if (parser === null) {
        if (!eof && filled < 4) continue;
        if (readError !== null && filled < 4) throw new CaptureError(file, readError);
        parser = sniff(file, buf, filled, sink);
        if (opts.onHeaderBlock) parser.onHeaderBlock = opts.onHeaderBlock;
      }
      const pos = parser.parse(buf, dv, 0, filled, base);
      if (parser.stopped) break;
      if (eof) {
        if (readError !== null) {
          parser.warn(base + filled, parser.records + 1, `${readError}${gzip ? ' at this offset of the decompressed data' : ''}; stopped reading`);
          parser.damaged = true;
          parser.stopped = true;
        }
        parser.finish(filled - pos, base + pos);
        break;
      }
      if (pos > 0) {
        buf.copyWithin(0, pos, filled);
        filled -= pos;
        base += pos;
      }
      opts.onProgress?.({ bytesRead: source.rawBytesRead, totalBytes: total, packets: parser.packets });
      if (opts.yieldEveryChunk) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    source.close();
  }
  if (parser === null) throw new CaptureError(file, 'reading was cancelled before the format was known');
  return {
    file,
    format: parser.format,
    gzip,
    linktypes: parser.linktypes,
    packets: parser.packets,
    nonPacketRecords: parser.nonPacketRecords,
    damaged: parser.damaged,
    bytes: base + filled,
    parser,
  };
}
