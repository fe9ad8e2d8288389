import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Where capture bytes come from. `read` fills `buf[off, off+len)` with as many bytes as are
 * available now (at least 1) and returns the count; 0 means the end of the input.
 */
export interface ByteSource {
  read(buf: Uint8Array, off: number, len: number): number | Promise<number>;
  close(): void;
  /** Bytes consumed from the underlying file so far (compressed bytes for gzip). */
  readonly rawBytesRead: number;
}

/** A regular file, read with large synchronous reads (the fastest path in Node). */
export class FileSource implements ByteSource {
  private pos = 0;
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  static open(path: string): FileSource {
    return new FileSource(openSync(path, 'r'));
  }
  get rawBytesRead(): number {
    return this.pos;
  }
  read(buf: Uint8Array, off: number, len: number): number {
    const n = readSync(this.fd, buf, off, len, this.pos);
    this.pos += n;
    return n;
  }
  /** Read at an absolute position without moving the stream position. */
  pread(buf: Uint8Array, off: number, len: number, position: number): number {
    return readSync(this.fd, buf, off, len, position);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Any Node readable stream (standard input, a gunzip transform). */
export class StreamSource implements ByteSource {
  private readonly it: AsyncIterator<Buffer | Uint8Array>;
  private chunk: Uint8Array | null = null;
  private chunkPos = 0;
  private done = false;
  rawBytesRead = 0;
  constructor(
    private readonly stream: Readable,
    private readonly countRaw?: () => number,
  ) {
    this.it = stream[Symbol.asyncIterator]();
  }
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      if (this.chunk === null) {
        if (this.done) break;
        // wait only when nothing has been copied yet; otherwise hand over what we have
        if (n > 0 && this.stream.readableLength === 0) break;
        const r = await this.it.next();
        if (r.done) { this.done = true; break; }
        this.chunk = r.value;
        this.chunkPos = 0;
      }
      const c = this.chunk;
      const take = Math.min(len - n, c.length - this.chunkPos);
      buf.set(c.subarray(this.chunkPos, this.chunkPos + take), off + n);
      n += take;
      this.chunkPos += take;
      if (this.chunkPos === c.length) this.chunk = null;
    }
    if (this.countRaw) this.rawBytesRead = this.countRaw();
    return n;
  }
  close(): void {
    this.stream.destroy();
  }
}
