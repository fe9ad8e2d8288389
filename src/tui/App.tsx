/**
 * The thin hook around appReducer: keys in through KEYMAP names, terminal size in, flow reads out.
 * Everything it draws comes from the state.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer } from 'react';
import { formatEndpoint } from '../report/addr.js';
import { appReducer, initialApp, topView, type AppAction, type AppState } from './app-state.js';
import type { TuiData } from './data.js';
import { FlowDetail } from './FlowDetail.js';
import { FlowList, listStatus } from './FlowList.js';
import { Help } from './Help.js';
import { charName, keyName } from './keymap.js';
import { FindingGroups, FindingList, Leaks } from './Pickers.js';

function title(data: TuiData, s: AppState): string {
  const v = topView(s);
  switch (v.kind) {
    case 'list': return v.s.scope ? v.s.scope.title : data.headline;
    case 'detail': {
      const f = v.s.opened.flow;
      return `flow ${f.id}  client ${formatEndpoint(f.client.ip, f.client.port)} → server ${formatEndpoint(f.server.ip, f.server.port)}`;
    }
    case 'findings': case 'finding-list': case 'leaks': return v.s.title;
  }
}

const HINTS: Record<string, string> = {
  list: 'Enter ladder · / filter · s sort · a findings only · o not closed · f findings · L leaks · ? help · q quit',
  filter: 'Enter apply · Esc cancel · e.g. state:CLOSE_WAIT port:443 host:10.0.0.2 kind:retransmission !partial',
  detail: 'n/N finding · c/C state change · ←/→ scroll · ? help · q back',
  findings: 'Enter list the findings · ? help · q back',
  'finding-list': 'Enter open the flow at this frame · ? help · q back',
  leaks: 'Enter list the connections · ? help · q back',
};

function StatusBar({ data, s }: { data: TuiData; s: AppState }) {
  const v = topView(s);
  let line = '';
  let error = false;
  if (v.kind === 'list') {
    if (v.s.draft !== null) line = `/${v.s.draft}▏`;
    else line = listStatus(data.table, v.s);
    if (v.s.error !== null) { line = `${v.s.draft !== null ? `/${v.s.draft}  ` : ''}${v.s.error}`; error = true; }
  } else if (v.kind === 'detail') {
    line = v.s.note ?? `line ${v.s.win.cursor + 1} of ${v.s.lines.length}${v.s.left > 0 ? ` · scrolled ${v.s.left} columns` : ''}`;
  } else {
    line = `${v.s.rows.length === 0 ? 0 : v.s.win.cursor + 1} of ${v.s.rows.length.toLocaleString('en-US')}`;
  }
  if (s.status !== null) line = s.status;
  const hints = HINTS[v.kind === 'list' && v.s.draft !== null ? 'filter' : v.kind];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" color={error ? 'red' : undefined} inverse={!error}>{line.padEnd(s.width - 1)}</Text>
      <Text wrap="truncate" dimColor>{hints}</Text>
    </Box>
  );
}

export function App({ data, colour, width, height, onKey }: { data: TuiData; colour: boolean; width: number; height: number; onKey?: () => void }) {
  const [s, dispatch] = useReducer((st: AppState, a: AppAction) => appReducer(data, st, a), undefined, () => initialApp(data, width, height));
  const { exit } = useApp();
  const { stdout } = useStdout();

  useInput((input, key) => {
    onKey?.();
    // text that arrives in one chunk (a paste, fast typing) is one key per character
    if (input.length > 1 && !key.ctrl && !key.meta && !input.includes('\x1b')) for (const ch of input) dispatch({ type: 'key', name: charName(ch) });
    else dispatch({ type: 'key', name: keyName(input, key) });
  });

  useEffect(() => {
    const onResize = () => dispatch({ type: 'resize', width: stdout.columns || 80, height: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout]);

  useEffect(() => {
    if (s.request === null) return;
    const { id, frame } = s.request;
    data.openFlow(id).then(
      (flow) => dispatch({ type: 'opened', flow, frame }),
      (e: unknown) => dispatch({ type: 'failed', message: `flow ${id} could not be read: ${e instanceof Error ? e.message : String(e)}` }),
    );
  }, [s.request, data]);

  useEffect(() => { if (s.quit) exit(); }, [s.quit, exit]);

  if (s.help !== null) return <Help top={s.help} height={s.height} />;
  const v = topView(s);
  let body;
  switch (v.kind) {
    case 'list': body = <FlowList t={data.table} s={v.s} width={s.width} colour={colour} noFlows={data.noFlows} />; break;
    case 'detail': body = <FlowDetail s={v.s} width={s.width} colour={colour} />; break;
    case 'findings': body = <FindingGroups s={v.s} colour={colour} />; break;
    case 'finding-list': body = <FindingList s={v.s} colour={colour} />; break;
    case 'leaks': body = <Leaks s={v.s} />; break;
  }
  return (
    <Box flexDirection="column" width={s.width} height={s.height}>
      <Text bold wrap="truncate">{title(data, s)}</Text>
      <Box flexDirection="column" flexGrow={1}>{body}</Box>
      <StatusBar data={data} s={s} />
    </Box>
  );
}
