/**
 * One full garbage collection between tracking a large capture and writing its report.
 *
 * Tracking leaves tens of megabytes of dead objects in V8's old generation (connection state that
 * lived long enough to be promoted). V8 collects them only once the old generation reaches a limit
 * it sets at two to four times the live data, and the report's own allocations then grow the heap
 * on top of them: the process peaks while it writes. Collecting once when tracking ends lets the
 * report reuse that space, for the cost of one collection (tens of milliseconds on a large capture).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
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
