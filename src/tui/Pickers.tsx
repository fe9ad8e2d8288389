/** The finding groups, one group's findings, and the leak tables: lists to pick a row from. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Anomaly } from '../analysis/anomalies.js';
import { wiresharkFilterOf } from '../analysis/seq-analysis.js';
import type { FindingGroup, LeakRow } from './data.js';
import type { PickState } from './pick-state.js';
import { severityColour } from './theme.js';
import { visibleRange } from './window.js';

function rowsOf<Row>(s: PickState<Row>, line: (r: Row, selected: boolean, i: number) => ReactNode) {
  const [from, to] = visibleRange(s.win);
  const out = [];
  for (let i = from; i < to; i++) out.push(line(s.rows[i], i === s.win.cursor, i));
  return out;
}

export function FindingGroups({ s, colour }: { s: PickState<FindingGroup>; colour: boolean }) {
  const kindW = Math.max(4, ...s.rows.map((g) => g.kind.length));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{`${'SEVERITY'.padEnd(9)}${'KIND'.padEnd(kindW + 2)}${'COUNT'.padStart(10)}  WIRESHARK FILTER`}</Text>
      {s.rows.length === 0 ? <Text dimColor>no findings</Text> : rowsOf(s, (g, selected, i) => (
        <Text key={i} inverse={selected} wrap="truncate">
          <Text color={severityColour(colour, g.severity)}>{g.severity.padEnd(9)}</Text>
          {`${g.kind.padEnd(kindW + 2)}${g.count.toLocaleString('en-US').padStart(10)}  ${wiresharkFilterOf(g.kind) ?? '-'}`}
        </Text>
      ))}
    </Box>
  );
}

export function FindingList({ s, colour }: { s: PickState<Anomaly>; colour: boolean }) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{`${'FRAME'.padStart(9)} ${'FLOW'.padStart(7)}  MESSAGE`}</Text>
      {rowsOf(s, (x, selected, i) => (
        <Text key={i} inverse={selected} wrap="truncate">
          {`${String(x.frame ?? '-').padStart(9)} ${String(x.flow ?? '-').padStart(7)}  `}
          <Text color={severityColour(colour, x.severity)}>{x.message}</Text>
        </Text>
      ))}
    </Box>
  );
}

export function Leaks({ s }: { s: PickState<LeakRow> }) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">Enter on a row lists the connections behind it.</Text>
      {rowsOf(s, (r, selected, i) => (
        <Text key={i} inverse={selected} bold={r.heading && r.text.endsWith(':')} wrap="truncate">{r.text || ' '}</Text>
      ))}
    </Box>
  );
}
