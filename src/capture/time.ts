/**
 * Timestamps are whole seconds plus nanoseconds, never a float (which loses
 * nanoseconds) or a JS Date (milliseconds). Seconds are a JS number: exact up to
 * 2^53, which covers even a 64-bit microsecond counter (1.8e13 s).
 */

const NS_PER_S = 1_000_000_000;
const TWO_32 = 4294967296;
/** Below this high word, high·2^32 + low is an exact double. */
const EXACT_HIGH_LIMIT = 1 << 21;

/** Decimal string of seconds with 9 fractional digits, e.g. "1422527998.578402281". */
export function formatTs(sec: number, nsec: number): string {
  let s = sec;
  let n = nsec;
  if (s < 0 && n > 0) {
    // −1.25 s is stored as sec −2, nsec 750000000
    s = s + 1;
    n = NS_PER_S - n;
    const frac = String(n).padStart(9, '0');
    return `${s === 0 ? '-0' : String(s)}.${frac}`;
  }
  return `${s}.${String(n).padStart(9, '0')}`;
}

/** The UTC date and time of whole second `sec`, "2015-01-29 10:39:58"; null outside the calendar's range. */
export function utcDateTime(sec: number): string | null {
  const ms = sec * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Human form in UTC with nanoseconds, e.g. "2015-01-29 10:39:58.578402281 UTC". */
export function formatTsHuman(sec: number, nsec: number): string {
  const dt = utcDateTime(sec);
  if (dt === null) return `${formatTs(sec, nsec)} s (outside the calendar range)`;
  return `${dt}.${String(nsec).padStart(9, '0')} UTC`;
}

/** Compare two timestamps: negative, zero or positive. */
export function compareTs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}

/** b − a in seconds as a float (for durations and rates, where ns precision is not needed). */
export function diffSeconds(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return bSec - aSec + (bNsec - aNsec) / NS_PER_S;
}

/** Scratch result of {@link unitsToTs}: avoids allocating per packet. */
export const tsOut = { sec: 0, nsec: 0 };

/**
 * Convert a pcapng 64-bit timestamp (high and low 32-bit words) counted in units of
 * 10^-exp s (pow2 = false) or 2^-exp s (pow2 = true) to seconds + nanoseconds in {@link tsOut}.
 */
export function unitsToTs(high: number, low: number, exp: number, pow2: boolean): void {
  if (high < EXACT_HIGH_LIMIT) {
    const v = high * TWO_32 + low;
    if (!pow2 && exp <= 9) {
      const div = POW10[exp];
      let sec = Math.floor(v / div);
      let rem = v - sec * div;
      if (rem < 0) { sec -= 1; rem += div; } else if (rem >= div) { sec += 1; rem -= div; }
      tsOut.sec = sec;
      tsOut.nsec = rem * POW10[9 - exp];
      return;
    }
    if (pow2 && exp <= 23) {
      const div = 2 ** exp;
      const sec = Math.floor(v / div);
      const rem = v - sec * div;
      tsOut.sec = sec;
      tsOut.nsec = Math.floor((rem * NS_PER_S) / div);
      return;
    }
  }
  unitsToTsBig(high, low, exp, pow2);
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

function unitsToTsBig(high: number, low: number, exp: number, pow2: boolean): void {
  const v = (BigInt(high) << 32n) | BigInt(low);
  const div = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  const sec = v / div;
  const rem = v % div;
  tsOut.sec = Number(sec);
  tsOut.nsec = Number((rem * 1_000_000_000n) / div);
}
