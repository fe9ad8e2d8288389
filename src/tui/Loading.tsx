/** The loading screen: a progress bar with bytes, packets per second and flows so far. */
import { Box, Text } from 'ink';

export interface LoadProgress {
  /** What is happening: reading the capture, or spooling input that cannot be re-read by offset. */
  phase: string;
  bytesRead: number;
  totalBytes: number | null;
  packets: number;
  flows: number;
  elapsedMs: number;
  /** Why the input is first copied to a temporary file, or null. */
  spool: string | null;
}

const mb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

export function progressLine(p: LoadProgress, width: number): { bar: string; figures: string } {
  const barW = Math.max(10, Math.min(60, width - 10));
  const frac = p.totalBytes ? Math.min(1, p.bytesRead / p.totalBytes) : null;
  const filled = frac === null ? 0 : Math.round(frac * barW);
  const bar = frac === null ? `[${'·'.repeat(barW)}]` : `[${'█'.repeat(filled)}${'·'.repeat(barW - filled)}] ${Math.floor(frac * 100)}%`;
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.packets / secs : 0;
  const figures = `${mb(p.bytesRead)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''} · ${p.packets.toLocaleString('en-US')} packets · ${(rate / 1e6).toFixed(2)} M packets/s · ${p.flows.toLocaleString('en-US')} flows`;
  return { bar, figures };
}

export function Loading({ file, p, width }: { file: string; p: LoadProgress; width: number }) {
  const { bar, figures } = progressLine(p, width);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">synfin: {p.phase} {file}</Text>
      {p.spool !== null ? <Text wrap="truncate">{p.spool}</Text> : null}
      <Text wrap="truncate">{bar}</Text>
      <Text wrap="truncate">{figures}</Text>
      <Text dimColor wrap="truncate">Ctrl-C stops</Text>
    </Box>
  );
}
