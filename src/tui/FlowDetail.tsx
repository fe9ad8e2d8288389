/** One flow: its figures (a side panel when the terminal is wide, else a header) and the scrolling ladder. */
import { Box, Text } from 'ink';
import type { FlowReport } from '../analysis/flows.js';
import { formatEndpoint } from '../report/addr.js';
import type { DetailState } from './detail-state.js';
import { GUTTER, SIDE_PANEL_MIN_WIDTH, SIDE_PANEL_WIDTH, ladderBoxWidth } from './layout.js';
import { severityColour, stateColour } from './theme.js';
import { visibleRange } from './window.js';


const ms = (s: number | null) => (s === null ? '-' : s < 1 ? `${(s * 1000).toFixed(3)} ms` : `${s.toFixed(3)} s`);
const n = (x: number) => x.toLocaleString('en-US');

/** A handshake option: yes or no when both SYNs were captured whole, else unknown (a capture that starts mid-connection). */
const optionWord = (f: FlowReport, on: boolean): string => (f.options.windowScaling === 'unknown' && !on ? 'unknown' : on ? 'yes' : 'no');

/** The connection's figures for the side panel: RTT, MSS, window scale, bytes each way, who closed first. */
export function figures(f: FlowReport): string[] {
  const o = f.options;
  return [
    `RTT      ${ms(f.handshake.rtt)}`,
    `MSS      ${o.mss.client ?? '-'} / ${o.mss.server ?? '-'}`,
    `wscale   ${o.windowScale ? `${o.windowScale.client} / ${o.windowScale.server}` : o.windowScaling === 'unknown' ? 'unknown (no handshake)' : 'not negotiated'}`,
    `SACK     ${optionWord(f, o.sackPermitted)}, timestamps ${optionWord(f, o.timestamps)}`,
    `c→s      ${n(f.c2s.packets)} pkts, ${n(f.c2s.payloadBytes)} B`,
    `s→c      ${n(f.s2c.packets)} pkts, ${n(f.s2c.payloadBytes)} B`,
    `closer   ${f.closedBy ?? 'nobody (no FIN)'}`,
    `zeek     ${f.connState} ${f.history}`,
    `duration ${ms(f.duration)}`,
    // (analyze's classes, one a line: the panel is narrow)
    ...(f.classes ?? []).map((c, i) => `${i === 0 ? 'class   ' : '        '} ${c}`),
  ];
}

/** The figures as three lines for a narrow terminal. */
export function figureLines(f: FlowReport): string[] {
  const o = f.options;
  return [
    `RTT ${ms(f.handshake.rtt)} · MSS ${o.mss.client ?? '-'}/${o.mss.server ?? '-'} · wscale ${o.windowScale ? `${o.windowScale.client}/${o.windowScale.server}` : o.windowScaling === 'unknown' ? 'unknown' : 'none'} · SACK ${optionWord(f, o.sackPermitted)} · ${f.closedBy === 'simultaneous' ? 'closed simultaneously' : `closed first by ${f.closedBy ?? 'nobody'}`}`,
    `c→s ${n(f.c2s.packets)} pkts ${n(f.c2s.payloadBytes)} B data · s→c ${n(f.s2c.packets)} pkts ${n(f.s2c.payloadBytes)} B data · zeek ${f.connState} ${f.history}`,
  ];
}

export function FlowDetail({ s, width, colour }: { s: DetailState; width: number; colour: boolean }) {
  const f = s.opened.flow;
  const side = width >= SIDE_PANEL_MIN_WIDTH;
  const ladderW = ladderBoxWidth(width) - GUTTER;
  const [from, to] = visibleRange(s.win);
  const body = [];
  for (let i = from; i < to; i++) {
    const l = s.lines[i];
    const text = l.text.slice(s.left, s.left + ladderW);
    const gutter = l.change ? '◆ ' : '  ';
    body.push(
      <Text key={i} wrap="truncate" inverse={i === s.win.cursor} color={l.severity ? severityColour(colour, l.severity) : undefined}>
        {gutter}{text}
      </Text>,
    );
  }
  const found = `${s.opened.findings.length} finding${s.opened.findings.length === 1 ? '' : 's'} · read in ${s.opened.ms.toFixed(0)} ms`;
  const states = (
    <Text wrap="truncate">
      final: client <Text color={stateColour(colour, f.finalState.client, f.connState)}>{f.finalState.client}</Text>
      {' '}server <Text color={stateColour(colour, f.finalState.server, f.connState)}>{f.finalState.server}</Text>
      {side || f.classes === undefined || f.classes.length === 0 ? '' : ` (${f.classes.join(', ')})`}
      {` · ${s.opened.findings.length} finding${s.opened.findings.length === 1 ? '' : 's'} · read ${s.opened.via === 'span' ? 'back' : 'in a full pass'} in ${s.opened.ms.toFixed(0)} ms`}
    </Text>
  );
  const ladder = <Box flexDirection="column" width={ladderBoxWidth(width)}>{body}</Box>;
  if (side) {
    return (
      <Box flexDirection="row">
        {ladder}
        <Box flexDirection="column" width={SIDE_PANEL_WIDTH} marginLeft={1} borderStyle="single" borderTop={false} borderBottom={false} borderRight={false} paddingLeft={1}>
          <Text bold wrap="truncate">{formatEndpoint(f.client.ip, f.client.port)}</Text>
          <Text bold wrap="truncate">→ {formatEndpoint(f.server.ip, f.server.port)}</Text>
          <Text wrap="truncate">client   <Text color={stateColour(colour, f.finalState.client, f.connState)}>{f.finalState.client}</Text></Text>
          <Text wrap="truncate">server   <Text color={stateColour(colour, f.finalState.server, f.connState)}>{f.finalState.server}</Text></Text>
          {figures(f).map((line) => <Text key={line} wrap="truncate">{line}</Text>)}
          <Text wrap="truncate">{found}</Text>
        </Box>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      {figureLines(f).map((line) => <Text key={line} wrap="truncate">{line}</Text>)}
      {states}
      {ladder}
    </Box>
  );
}
