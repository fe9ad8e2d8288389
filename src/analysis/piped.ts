/**
 * The main-thread side of the segment pipe (see pipe.ts): starts the reading worker and replays
 * its slots into the consumer as they arrive.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CaptureError } from '../capture/frame.js';
import type { ReadOptions } from '../capture/reader.js';
import type { DecoderOptions } from '../decode/decoder.js';
import { Segment } from '../decode/segment.js';
import { holdYoungGeneration, youngGenerationFlagsReset } from './heap.js';
import { SLOTS, SLOT_WORDS, readSlot, slotViews } from './pipe.js';
import { WORKER, takeWarmWorker, worthPiping } from './prewarm.js';
import type { SegmentConsumer, StatsReport } from './stats.js';

/** What the worker is started with. */
export interface PipeData {
  path: string;
  /**
   * wireshark: compute the Wireshark flags on the reading thread (see FlagComputer); headerBlocks:
   * post the offset and length of every pcapng section and interface block (see ReadOptions.onHeaderBlock);
   * slim: write slim records, for a consumer that only tracks connections (see SlotWriter.slim).
   */
  options: DecoderOptions & { chunkBytes?: number; wireshark?: boolean; headerBlocks?: boolean; slim?: boolean };
  /** SLOTS words: 1 while a slot is full (written by the worker, replayed by the main thread). */
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
}

export type PipeMessage =
  | { t: 'slot'; slot: number; words: number; bytesRead: number; packets: number }
  | { t: 'header'; offset: number; length: number }
  | { t: 'done'; stats: StatsReport }
  | { t: 'capture-error'; file: string; message: string }
  | { t: 'error'; message: string };

/**
 * Whether `path` is read through the pipe: not standard input, worth it (see worthPiping: a large
 * regular file, two CPUs; `opts.pipe` true skips that test), and the built worker script is present.
 * (Through the pipe, the event loop turns between slots, as `yieldEveryChunk` asks; a signal stops
 * the worker; header blocks come back by message.)
 */
export function usePipe(path: string, opts: ReadOptions & { pipe?: boolean }): boolean {
  const force = opts.pipe;
  if (force === false || path === '-') return false;
  if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return false;
  if (force === true) return true;
  return worthPiping(path); // (false for a file that cannot be opened: the reader reports why)
}

/** captureStats, with reading and decoding in a worker thread. Same result, same consumer calls, same errors. */
export function captureStatsPiped(
  path: string,
  opts: ReadOptions & DecoderOptions & { wireshark?: boolean; slim?: boolean },
  consumer: SegmentConsumer,
): Promise<StatsReport> {
  const control = new SharedArrayBuffer(SLOTS * 4);
  const slotsBuf = new SharedArrayBuffer(SLOTS * SLOT_WORDS * 4);
  const ctl = new Int32Array(control);
  const slots = slotViews(slotsBuf);
  const data: PipeData = {
    path,
    options: { verifyChecksums: opts.verifyChecksums, chunkBytes: opts.chunkBytes, wireshark: opts.wireshark, headerBlocks: opts.onHeaderBlock !== undefined, slim: opts.slim },
    control,
    slots: slotsBuf,
  };
  const total = (() => { try { return statSync(path).size; } catch { return null; } })();
  const seg = new Segment();
  return new Promise<StatsReport>((resolve, reject) => {
    const warm = takeWarmWorker();
    if (warm !== null) warm.postMessage(data);
    const worker = warm ?? new Worker(WORKER, { workerData: data, stdout: false, stderr: false });
    youngGenerationFlagsReset();
    let settled = false;
    let lastBytes = -1;
    const signal = opts.signal;
    const stop = (): void => {
      const e = new Error('reading was stopped');
      e.name = 'AbortError';
      fail(e);
    };
    /** Settle once: false if already settled. The worker is done with either way. */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', stop);
      void worker.terminate();
      return true;
    };
    const fail = (e: unknown): void => {
      if (settle()) reject(e);
    };
    signal?.addEventListener('abort', stop);
    worker.on('message', (m: PipeMessage) => {
      if (settled) return;
      try {
        if (m.t === 'slot') {
          readSlot(slots[m.slot], m.words, seg, consumer);
          Atomics.store(ctl, m.slot, 0);
          Atomics.notify(ctl, m.slot);
          holdYoungGeneration();
          if (m.bytesRead !== lastBytes && opts.onProgress) {
            lastBytes = m.bytesRead;
            opts.onProgress({ bytesRead: m.bytesRead, totalBytes: total, packets: m.packets });
          }
        } else if (m.t === 'header') {
          opts.onHeaderBlock?.(m.offset, m.length);
        } else if (m.t === 'done') {
          if (settle()) resolve(m.stats);
        } else if (m.t === 'capture-error') {
          const prefix = `${m.file}: `;
          fail(new CaptureError(m.file, m.message.startsWith(prefix) ? m.message.slice(prefix.length) : m.message));
        } else {
          fail(new Error(`reading thread failed: ${m.message}`));
        }
      } catch (e) {
        fail(e);
      }
    });
    if (signal?.aborted) stop();
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`reading thread stopped (exit code ${code})`)));
  });
}
