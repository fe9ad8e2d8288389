const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parse a duration such as `500ms`, `10s`, `2m`, `1h` or a plain number of seconds. Returns seconds, or null. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  let i = 0;
  while (i < t.length && ((t[i] >= '0' && t[i] <= '9') || t[i] === '.')) i++;
  if (i === 0) return null;
  const n = Number(t.slice(0, i));
  const unit = t.slice(i) || 's';
  const mul = UNITS[unit];
  if (!Number.isFinite(n) || mul === undefined) return null;
  return n * mul;
}

/**
 * A duration in seconds for people: milliseconds below a second (a threshold can be `10ms`), then
 * seconds, minutes from two, hours from two, days from two (a CLOSE_WAIT leak can be days old);
 * '-' for none.
 */
export function formatDuration(x: number | null): string {
  if (x === null) return '-';
  if (x < 1) return `${+(x * 1000).toFixed(1)} ms`;
  if (x < 120) return `${x.toFixed(1)} s`;
  if (x < 7200) return `${(x / 60).toFixed(1)} min`;
  if (x < 172800) return `${(x / 3600).toFixed(1)} h`;
  return `${(x / 86400).toFixed(1)} d`;
}
