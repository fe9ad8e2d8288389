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
