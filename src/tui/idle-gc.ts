/**
 * A full garbage collection once the user pauses. The analysis keeps a large live heap, and V8
 * lets garbage grow in proportion to it before collecting: drawing frames would otherwise push
 * the terminal UI's memory to about twice what `synfin analyze` needs. Collecting while nobody
 * is typing costs no key press any latency.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Quiet time after the last key before collecting. */
export const IDLE_GC_AFTER_MS = 700;

/** Returns a function to call on every key press; a no-op where gc cannot be reached. */
export function idleCollector(): () => void {
  let gc: (() => void) | null = null;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
  const collect = gc;
  let timer: NodeJS.Timeout | null = null;
  return () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; collect(); }, IDLE_GC_AFTER_MS);
    timer.unref();
  };
}
