/**
 * Sequence-number arithmetic, RFC 9293 §3.4: the sequence space is modulo 2^32 and
 * comparisons use the signed 32-bit difference. Nothing else in synfin compares or
 * subtracts raw sequence numbers.
 */

/** a + n (mod 2^32), as an unsigned 32-bit number. */
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
/** Signed a − b: negative when a is before b in sequence space. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
/** Distance from base to a, as an unsigned 32-bit number (a relative sequence number). */
export const seqRel = (a: number, base: number): number => (a - base) >>> 0;
