/** The help screen: the KEYMAP table itself, grouped by where the keys apply. */
import { Box, Text } from 'ink';
import { helpLines } from './keymap.js';

export function Help({ top, height }: { top: number; height: number }) {
  const lines = helpLines();
  const rows = Math.max(1, height - 2);
  const more = top + rows < lines.length;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">synfin keys · any other key closes this help{more || top > 0 ? ' · j/k, space, PageUp scroll' : ''}</Text>
      {lines.slice(top, top + rows).map((l, i) => <Text key={i} bold={l.heading} wrap="truncate">{l.text}</Text>)}
      <Text dimColor wrap="truncate">{more ? `↓ ${lines.length - top - rows} more` : ' '}</Text>
    </Box>
  );
}
