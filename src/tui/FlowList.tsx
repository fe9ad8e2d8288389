/** The flow list: one row per connection in the window the reducer chose, columns fitted to the width. */
import { Box, Text } from 'ink';
import { STATES, type State } from '../tcp/state-table.js';
import type { FlowTable } from './flow-table.js';
import type { ListState } from './list-state.js';
import { stateColour } from './theme.js';
import { visibleRange } from './window.js';

interface Column {
  name: string;
  sort: string;
  width: number;
  right?: boolean;
  cell: (t: FlowTable, id: number) => string;
}

const size = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
const dur = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${(s / 60).toFixed(1)}m` : s >= 1 ? `${s.toFixed(1)}s` : `${(s * 1000).toFixed(1)}ms`);

/** The columns that fit `width`, in display order; the findings column takes what is left. */
export function columnsFor(t: FlowTable, ids: Int32Array, from: number, to: number, width: number): Column[] {
  let ep = 9;
  for (let i = from; i < to; i++) ep = Math.max(ep, t.client[ids[i]].length, t.server[ids[i]].length);
  ep = Math.min(ep, 41);
  const idW = Math.max(4, String(t.count - 1).length);
  // the two endpoints give way before the two states do: the states are what this tool is for
  // (a state with the `?` of an assumed start takes one column more)
  let anyAssumed = false;
  for (let i = from; i < to && !anyAssumed; i++) if (t.assumed[ids[i]] !== 0) anyAssumed = true;
  const FINDINGS_MIN = 12, STATE_W = anyAssumed ? 12 : 11;
  // (each column takes its width and a space; the findings column what is left)
  ep = Math.max(9, Math.min(ep, Math.floor((width - FINDINGS_MIN - (idW + 1) - 2 * (STATE_W + 1)) / 2) - 1));
  const all: Array<Column & { priority: number }> = [
    { priority: 0, name: 'ID', sort: 'id', width: idW, right: true, cell: (_, id) => String(id) },
    { priority: 1, name: 'CLIENT', sort: 'client', width: ep, cell: (tt, id) => tt.client[id] },
    { priority: 1, name: 'SERVER', sort: 'server', width: ep, cell: (tt, id) => tt.server[id] },
    { priority: 5, name: 'PKTS', sort: 'packets', width: 6, right: true, cell: (tt, id) => size(tt.packets[id]) },
    { priority: 6, name: 'BYTES', sort: 'bytes', width: 6, right: true, cell: (tt, id) => size(tt.bytes[id]) },
    { priority: 7, name: 'DUR', sort: 'duration', width: 7, right: true, cell: (tt, id) => dur(tt.duration[id]) },
    { priority: 2, name: 'CLIENT ST', sort: 'client-state', width: STATE_W, cell: (tt, id) => STATES[tt.clientState[id]] + (tt.assumed[id] ? '?' : '') },
    { priority: 2, name: 'SERVER ST', sort: 'server-state', width: STATE_W, cell: (tt, id) => STATES[tt.serverState[id]] + (tt.assumed[id] ? '?' : '') },
    { priority: 8, name: 'ZEEK', sort: 'zeek', width: 6, cell: (tt, id) => tt.zeek[id] },
  ];
  let room = width - FINDINGS_MIN;
  const chosen = new Set<Column>();
  for (const c of [...all].sort((a, b) => a.priority - b.priority)) {
    if (c.width + 1 > room && c.priority > 0) continue;
    chosen.add(c);
    room -= c.width + 1;
  }
  const cols: Column[] = all.filter((c) => chosen.has(c));
  cols.push({ name: 'FINDINGS', sort: 'findings', width: Math.max(FINDINGS_MIN, room + FINDINGS_MIN - 1), cell: (tt, id) => tt.badges[id] });
  return cols;
}

/** A cell cut to its column; an endpoint (ip:port) loses the middle of its address, never its port. */
const fit = (text: string, c: Column) => {
  const port = (c.sort === 'client' || c.sort === 'server') ? text.lastIndexOf(':') : -1;
  const s = text.length <= c.width ? text
    : port > 0 && text.length - port < c.width - 2 ? text.slice(0, c.width - 1 - (text.length - port)) + '…' + text.slice(port)
    : text.slice(0, c.width - 1) + '…';
  return c.right ? s.padStart(c.width) : s.padEnd(c.width);
};

/** `noFlows`: what to say when the capture has no flow (TuiData.noFlows). */
export function FlowList({ t, s, width, colour, noFlows }: { t: FlowTable; s: ListState; width: number; colour: boolean; noFlows: string }) {
  const [from, to] = visibleRange(s.win);
  const cols = columnsFor(t, s.ids, from, to, width);
  const arrow = s.desc ? '▼' : '▲';
  const heading = cols.map((c) => fit(c.sort === s.sort ? `${c.name}${arrow}` : c.name, c)).join(' ');
  const rows = [];
  for (let i = from; i < to; i++) {
    const id = s.ids[i];
    const selected = i === s.win.cursor;
    rows.push(
      <Text key={id} inverse={selected} wrap="truncate">
        {cols.map((c, k) => {
          const text = fit(c.cell(t, id), c) + (k < cols.length - 1 ? ' ' : '');
          const st = c.sort === 'client-state' ? t.clientState[id] : c.sort === 'server-state' ? t.serverState[id] : -1;
          const colour2 = st >= 0 ? stateColour(colour, STATES[st] as State, t.zeek[id]) : c.sort === 'findings' && colour ? 'yellow' : undefined;
          return <Text key={c.name} color={colour2}>{text}</Text>;
        })}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{heading}</Text>
      {rows.length > 0 ? rows : <Text dimColor>{s.mask !== null || s.onlyAnomalies || s.onlyOpen ? 'no flow matches' : noFlows}</Text>}
    </Box>
  );
}

/** The list's state in one line: scope, filter, toggles, sort, position. */
export function listStatus(t: FlowTable, s: ListState): string {
  const parts: string[] = [];
  parts.push(`${s.ids.length === 0 ? 0 : s.win.cursor + 1}/${s.ids.length.toLocaleString('en-US')} of ${(s.scope?.ids.length ?? t.count).toLocaleString('en-US')} flows`);
  if (s.filter) parts.push(`filter: ${s.filter}`);
  if (s.onlyAnomalies) parts.push('only with findings');
  if (s.onlyOpen) parts.push('only not closed');
  parts.push(`sort: ${s.sort} ${s.desc ? '▼' : '▲'}`);
  return parts.join(' · ');
}
