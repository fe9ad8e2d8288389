/**
 * One full garbage collection between tracking a large capture and writing its report.
 *
 * Tracking leaves tens of megabytes of dead objects in V8's old generation (connection state that
 * lived long enough to be promoted). V8 collects them only once the old generation reaches a limit
 * it sets at two to four times the live data, and the report's own allocations then grow the heap
 * on top of them: the process peaks while it writes. Collecting once when tracking ends lets the
 * report reuse that space, for the cost of one collection (tens of milliseconds on a large capture).
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Below this much heap in use a collection frees too little to matter (and tests track many small captures). */
const WORTH_COLLECTING_BYTES = 32 << 20;

let gc: (() => void) | null | undefined;

/** Collect now, if the heap is big enough for it to matter and the engine lets us. */
export function collectAfterTracking(): void {
  if (getHeapStatistics().used_heap_size < WORTH_COLLECTING_BYTES) return;
  if (gc === undefined) {
    try {
      // exposes `gc` to contexts created from now on; this process's own global is not changed
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    } catch {
      gc = null;
    }
  }
  if (typeof gc === 'function') gc();
}

/**
 * The young generation's size at which it stops growing while a large capture is tracked: two
 * semi-spaces of 4 MiB, what `node --max-semi-space-size=4` gives.
 *
 * V8 doubles the young generation (up to two semi-spaces of 16 MiB) while many objects survive a
 * scavenge, as they do while connections come and go. The larger size saves tracking no time (the
 * same on the bench capture, within run-to-run noise) but holds about 16 MB more memory. The limit
 * on the command line would bind only when synfin is started with it, so tracking holds the size
 * itself: once the young generation has grown to this size, the growth factor becomes 1.
 */
export const YOUNG_GENERATION_HOLD_BYTES = 8 << 20;

let youngHeld = false;

/**
 * Stop the young generation growing once it has reached YOUNG_GENERATION_HOLD_BYTES. Call it often
 * while tracking (it only reads the heap's statistics until then), and only after the pipe's worker
 * has started: starting a worker sets the engine's flags back to their defaults, so each new worker
 * calls for youngGenerationFlagsReset() first (the next capture of a command given several).
 */
export function holdYoungGeneration(): void {
  if (youngHeld) return;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name !== 'new_space') continue;
    if (s.space_size < YOUNG_GENERATION_HOLD_BYTES) return;
    try {
      setFlagsFromString('--semi-space-growth-factor=1');
    } catch {
      // an engine without the flag grows as it likes
    }
    youngHeld = true;
    return;
  }
}

/** A worker was started, which set the engine's flags back to their defaults: hold the young generation again. */
export function youngGenerationFlagsReset(): void {
  youngHeld = false;
}
