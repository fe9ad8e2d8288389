/**
 * Copy an input that cannot be read again by offset (standard input, gzip) to a temporary file,
 * decompressed, so records can later be fetched from it by their offsets.
 */
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CaptureError } from './frame.js';

/** Why `path` must be spooled before it can be re-read by offset, or null when it need not be. */
export function spoolReason(path: string): string | null {
  if (path === '-') return 'standard input cannot be read twice';
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return null; } // the reader reports the error
  try {
    const b = new Uint8Array(2);
    const n = readSync(fd, b, 0, 2, 0);
    return n === 2 && b[0] === 0x1f && b[1] === 0x8b ? 'gzip data cannot be read by offset' : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export interface Spooled {
  path: string;
  /** Remove the temporary file (and its directory). */
  remove(): void;
}

/** Decompress (if gzip) and copy `path` ('-' for standard input) to a new temporary file. */
export async function spool(path: string, input: Readable | null, onBytes: (raw: number, written: number) => void, signal?: AbortSignal): Promise<Spooled> {
  const dir = mkdtempSync(join(tmpdir(), 'synfin-'));
  const out = join(dir, 'capture');
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  // removed by the caller when done, and in any case when the program exits
  process.once('exit', onExit);
  const remove = () => { process.off('exit', onExit); onExit(); };
  try {
    const src = input ?? (path === '-' ? process.stdin : createReadStream(path));
    let raw = 0, written = 0;
    let first = true;
    // sniff the first chunk: gzip is decompressed, anything else copied as is
    const it = src[Symbol.asyncIterator]();
    // a read waits for the writer of a pipe (which may never write again): an abort must not wait for it
    let stop: (() => void) | null = null;
    const aborted = new Promise<never>((_, reject) => {
      if (signal === undefined) return;
      stop = () => { src.destroy(); reject(Object.assign(new Error('the copy was stopped'), { name: 'AbortError' })); };
      if (signal.aborted) stop(); else signal.addEventListener('abort', stop, { once: true });
    });
    aborted.catch(() => {}); // observed through next() only
    const next = () => (signal === undefined ? it.next() : Promise.race([it.next(), aborted]));
    const head = await next();
    const headBuf: Buffer | null = head.done ? null : (head.value as Buffer);
    const gzip = headBuf !== null && headBuf.length >= 2 && headBuf[0] === 0x1f && headBuf[1] === 0x8b;
    async function* counted() {
      if (headBuf !== null) { raw += headBuf.length; yield headBuf; }
      for (;;) {
        const r = await next();
        if (r.done) return;
        raw += (r.value as Buffer).length;
        yield r.value as Buffer;
      }
    }
    const sink = createWriteStream(out);
    const tally = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) {
        written += c.length;
        if (first || written % (8 << 20) < c.length) { onBytes(raw, written); first = false; }
        yield c;
      }
    };
    if (gzip) await pipeline(counted, createGunzip(), tally, sink, { signal });
    else await pipeline(counted, tally, sink, { signal });
    if (stop !== null) signal?.removeEventListener('abort', stop);
    onBytes(raw, written);
    return { path: out, remove };
  } catch (e) {
    remove();
    if ((e as Error).name === 'AbortError') throw e;
    throw new CaptureError(path === '-' ? '(standard input)' : path, `could not be copied to a temporary file: ${(e as Error).message}`);
  }
}
