/**
 * The segment pipe's worker (see pipe.ts), started before it is needed. Booting a worker and
 * loading its modules takes about a tenth of a second, as long as the main thread takes to load
 * its own; started first thing, the worker is ready when tracking begins instead of after.
 * Imports nothing of the program, so the entry point can start it before loading the rest.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Below this size a capture is read in the calling thread (see usePipe): starting a worker costs a
 * few tens of milliseconds, about what reading 30 MB costs.
 */
export const PIPE_MIN_BYTES = 32 << 20;

export const WORKER = new URL('./pipe-worker.js', import.meta.url);

/** The commands whose files go through the pipe; `synfin FILE` is analyze. */
const PIPED_COMMANDS = new Set(['analyze', 'flows', 'flow', 'leaks', 'tui']);
const OTHER_COMMANDS = new Set(['stats', 'grade', 'states', 'help']);

let warm: Worker | null = null;

/**
 * Start the pipe's worker now when the command line `args` (without node and the script) will
 * read a capture through the pipe: a tracking command with a regular file of PIPE_MIN_BYTES or
 * more on a machine with two CPUs or more. A guess from the raw arguments: a worker nobody takes
 * only waits, and does not keep the process alive.
 */
export function prewarmPipe(args: readonly string[]): void {
  if (warm !== null || args.length === 0) return;
  if (OTHER_COMMANDS.has(args[0])) return;
  const rest = PIPED_COMMANDS.has(args[0]) ? args.slice(1) : args;
  if (!rest.some((a) => !a.startsWith('-') && worthPiping(a))) return;
  try {
    const w = new Worker(WORKER, { workerData: null, stdout: false, stderr: false });
    w.unref();
    w.on('error', () => { if (warm === w) warm = null; });
    w.on('exit', () => { if (warm === w) warm = null; });
    warm = w;
  } catch {
    // the pipe starts its own worker when it needs one
  }
}

/**
 * Whether reading `path` in a worker pays: a regular file of PIPE_MIN_BYTES or more, on a machine with
 * two CPUs or more (with one, the threads would take turns, and the copying through the slots would
 * only add time). False for a path that cannot be read.
 */
export function worthPiping(path: string): boolean {
  if (availableParallelism() < 2) return false;
  try {
    const st = statSync(path);
    return st.isFile() && st.size >= PIPE_MIN_BYTES;
  } catch {
    return false;
  }
}

/** The worker prewarmPipe started, if it is still waiting; the caller owns it from now on. */
export function takeWarmWorker(): Worker | null {
  const w = warm;
  warm = null;
  if (w !== null) {
    w.removeAllListeners();
    w.ref();
  }
  return w;
}
