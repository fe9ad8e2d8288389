import type { StatsReport } from '../analysis/stats.js';
import { formatTsHuman } from '../capture/time.js';
import { linktypeName } from '../decode/decoder.js';

function human(ts: string | null): string {
  if (ts === null) return '-';
  const dot = ts.indexOf('.');
  const sec = Number(ts.slice(0, dot));
  const nsec = Number(ts.slice(dot + 1));
  return `${formatTsHuman(sec, nsec)}  (${ts})`;
}

/** The text form of `synfin stats` for one file. */
export function renderStats(r: StatsReport): string {
  const nd = Object.entries(r.notDecoded);
  const lines = [
    r.file,
    `  format          ${r.format}${r.gzip ? ' (gzip)' : ''}`,
    `  link types      ${r.linktypes.map((lt) => `${lt} (${linktypeName(lt)})`).join(', ') || '-'}`,
    `  frames          ${r.frames}${r.nonPacketRecords ? ` (+${r.nonPacketRecords} non-packet records numbered as frames)` : ''}`,
    `  TCP segments    ${r.tcpSegments}${r.tcpSegmentsTunnelled ? ` (${r.tcpSegmentsTunnelled} tunnelled)` : ''}`,
    `  not TCP         ${nd.length === 0 ? '0' : nd.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  first frame     ${human(r.firstTs)}`,
    `  last frame      ${human(r.lastTs)}`,
    ...(r.captureDrops.length === 0 ? [] : [`  capture drops   ${r.captureDrops.map((d) =>
      `interface ${d.interface}: ${d.ifDrop ?? '?'} by the interface, ${d.osDrop ?? '?'} by the OS`).join('; ')}`]),
    `  warnings        ${r.warnings.length + r.warningsOmitted}${r.damaged ? ' (file damaged: read up to the damage)' : ''}`,
  ];
  return lines.join('\n') + '\n';
}
