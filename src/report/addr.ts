import { isIPv4, isIPv6 } from 'node:net';

/** IPv4 dotted quad from one 32-bit word. */
export function formatIpv4(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** IPv6 text form of RFC 5952 (lower case, longest run of zero groups as ::). */
export function formatIpv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(words[i] >>> 16, words[i] & 0xffff);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatIp(version: 4 | 6, words: ArrayLike<number>): string {
  return version === 4 ? formatIpv4(words[0]) : formatIpv6(words);
}

/** ip:port, with IPv6 (whose text always holds a colon) in brackets. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * An IP address as the reports write it (IPv4 dotted, IPv6 in the RFC 5952 form formatIpv6 gives), from
 * any usual spelling: IPv6 with or without brackets, zero groups written out or not, upper or lower
 * case. Null when the text is no IP address.
 */
export function canonicalIp(text: string): string | null {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(t)) return t.split('.').map(Number).join('.');
  if (!isIPv6(t)) return null;
  // the URL parser serializes IPv6 addresses as RFC 5952 says (lower case, longest zero run as ::)
  return new URL(`http://[${t}]/`).hostname.slice(1, -1);
}
