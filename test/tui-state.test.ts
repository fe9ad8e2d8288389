/** The terminal UI's reducers, tested without React. */
import { describe, expect, it } from 'vitest';
import { STATES } from '../src/tcp/state-table.js';
import { appReducer, initialApp, topView, type AppState } from '../src/tui/app-state.js';
import type { TuiData } from '../src/tui/data.js';
import { detailReducer, initialDetail } from '../src/tui/detail-state.js';
import { wrap } from '../src/report/ladder.js';
import type { FlowTable } from '../src/tui/flow-table.js';
import { KEYMAP, actionFor, charName, helpLines, type KeyAction, type ViewKind } from '../src/tui/keymap.js';
import { initialList, listReducer, selectedFlow, type ListState } from '../src/tui/list-state.js';
import { emptyWindow, moveBy, moveTo, recount, resize, visibleRange } from '../src/tui/window.js';
import { closeWaitLeak, fixtureData } from './helpers/tui.js';
import { join } from 'node:path';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { formatEndpoint } from '../src/report/addr.js';
import { tuiData } from '../src/tui/data.js';
import { badgeName, columnOrder, orderBy } from '../src/tui/flow-table.js';
import { FIXTURES } from './helpers/fixtures.js';

const key = (action: KeyAction) => ({ type: 'key' as const, action });

/** A table of n synthetic flows: flow i has i % 7 packets and is in TIME_WAIT when i is even. */
function bigTable(n: number): FlowTable {
  const TW = STATES.indexOf('TIME_WAIT'), EST = STATES.indexOf('ESTABLISHED'), CLOSED = STATES.indexOf('CLOSED');
  const packets = new Float64Array(n).map((_, i) => i % 7);
  const none = new Set<string>();
  return {
    count: n, client: Array.from({ length: n }, (_, i) => `10.0.${i >> 8 & 255}.${i & 255}:${1024 + i % 60000}`), server: new Array(n).fill('10.9.9.9:80'),
    zeek: new Array(n).fill('SF'), badges: new Array(n).fill(''), packets, bytes: packets.map((p) => p * 100), duration: new Float64Array(n),
    findings: new Int32Array(n).map((_, i) => (i % 10 === 0 ? 1 : 0)),
    clientState: new Uint8Array(n).map((_, i) => (i % 2 === 0 ? TW : EST)), serverState: new Uint8Array(n).fill(CLOSED), assumed: new Uint8Array(n),
    kinds: () => none, facts: () => { throw new Error('not used'); },
  };
}

describe('window over a long list', () => {
  it('keeps the cursor on screen, scrolling as little as possible', () => {
    let w = recount(emptyWindow(10), 300_000);
    expect(visibleRange(w)).toEqual([0, 10]);
    w = moveBy(w, 9);
    expect(w.top).toBe(0);
    w = moveBy(w, 1);
    expect([w.cursor, w.top]).toEqual([10, 1]);
    w = moveTo(w, 299_999);
    expect(visibleRange(w)).toEqual([299_990, 300_000]);
    w = moveBy(w, 5);
    expect(w.cursor).toBe(299_999);
    w = moveTo(w, -3);
    expect([w.cursor, w.top]).toEqual([0, 0]);
  });

  it('resizes around the cursor and survives an empty list', () => {
    let w = moveTo(recount(emptyWindow(20), 100), 50);
    w = resize(w, 5);
    expect(w.cursor).toBe(50);
    expect(w.cursor - w.top).toBeLessThan(5);
    const e = recount(w, 0);
    expect([e.cursor, e.top, visibleRange(e)]).toEqual([0, 0, [0, 0]]);
  });
});

describe('flow list reducer', () => {
  it('windows 300,000 flows: one screen of rows, paging by a screen', () => {
    const t = bigTable(300_000);
    let s = initialList(t, 20);
    expect(s.ids.length).toBe(300_000);
    s = listReducer(t, s, key('page.down'));
    expect(s.win.cursor).toBe(19);
    s = listReducer(t, s, key('cursor.last'));
    expect(visibleRange(s.win)).toEqual([299_980, 300_000]);
    expect(selectedFlow(s)).toBe(299_999);
  });

  it('toggles: only with findings, only not closed (an endpoint neither CLOSED nor TIME_WAIT)', () => {
    const t = bigTable(1000);
    let s = initialList(t, 20);
    s = listReducer(t, s, key('toggle.anomalies'));
    expect(s.ids.length).toBe(100);
    s = listReducer(t, s, key('toggle.open'));
    expect(s.ids.length).toBe(0); // flows with findings are the even ones: TIME_WAIT/CLOSED
    s = listReducer(t, s, key('toggle.anomalies'));
    expect(s.ids.length).toBe(500);
    expect([...s.ids].every((id) => id % 2 === 1)).toBe(true);
  });

  it('sorts by every column in turn, numbers largest first, and keeps the cursor on its flow', () => {
    const t = bigTable(50);
    let s = initialList(t, 10);
    s = listReducer(t, s, key('cursor.down'));
    s = listReducer(t, s, key('cursor.down')); // flow 2
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      s = listReducer(t, s, key('sort.next'));
      seen.push(s.sort);
      expect(selectedFlow(s)).toBe(2);
    }
    expect(seen).toEqual(['client', 'server', 'packets', 'bytes', 'duration', 'client-state', 'server-state', 'zeek', 'findings', 'id']);
    s = listReducer(t, { ...s, sort: 'findings' }, key('sort.prev')); // zeek
    s = listReducer(t, s, key('sort.prev')); // server-state
    s = listReducer(t, s, key('sort.prev')); // client-state
    s = listReducer(t, s, key('sort.prev')); // duration
    s = listReducer(t, s, key('sort.prev')); // bytes, descending
    expect(s.sort).toBe('bytes');
    expect(Array.from(s.ids.subarray(0, 3), (id) => t.bytes[id])).toEqual([600, 600, 600]);
    s = listReducer(t, s, key('sort.reverse'));
    expect(t.bytes[s.ids[0]]).toBe(0);
    expect(s.ids[0]).toBe(0); // ties by id
  });

  it('filters with the --filter language, and shows a bad expression\'s error without changing the list', async () => {
    const d = await closeWaitLeak();
    const t = d.table;
    let s: ListState = initialList(t, 10);
    const type = (text: string) => { for (const ch of text) s = listReducer(t, s, { type: 'type', text: ch }); };
    s = listReducer(t, s, key('filter.start'));
    type('server-state:CLOSE_WAIT');
    s = listReducer(t, s, key('filter.apply'));
    expect([s.filter, s.ids.length, s.error]).toEqual(['server-state:CLOSE_WAIT', 20, null]);
    s = listReducer(t, s, key('filter.start'));
    expect(s.draft).toBe('server-state:CLOSE_WAIT');
    s = listReducer(t, s, key('filter.clear'));
    type('state:CLOSE_WAT');
    s = listReducer(t, s, key('filter.apply'));
    expect(s.error).toMatch(/unknown state CLOSE_WAT/);
    expect([s.filter, s.ids.length, s.draft]).toEqual(['server-state:CLOSE_WAIT', 20, 'state:CLOSE_WAT']);
    s = listReducer(t, s, key('filter.erase'));
    s = listReducer(t, s, key('filter.clear'));
    type('kind:close-wait-stuck !port:42282');
    s = listReducer(t, s, key('filter.apply'));
    expect(s.ids.length).toBe(19);
    s = listReducer(t, s, key('filter.start'));
    s = listReducer(t, s, key('filter.clear'));
    s = listReducer(t, s, key('filter.apply'));
    expect([s.filter, s.mask, s.ids.length]).toEqual(['', null, 20]);
  });
});

describe('flow detail reducer', () => {
  it('opens on the finding, jumps between findings and state changes, and redraws for a new width', async () => {
    const d = await closeWaitLeak();
    const o = await d.openFlow(3);
    expect(o.via).toBe('span');
    let s = initialDetail(o, 100, 15);
    // (the view's header names the flow: the ladder starts at its window-scale line, without its own title)
    expect(s.lines[0].text).toMatch(/^window scale: /);
    const line = () => s.lines[s.win.cursor];
    expect(line().first).toBe(true);
    expect(line().text).toMatch(/warn close-wait-stuck: Server 10\.77\.0\.2:8080 received/);
    expect(line().frame).toBe(37);
    s = detailReducer(s, key('finding.next'));
    expect(s.note).toBe('no next finding');
    s = detailReducer(s, key('cursor.first'));
    const frames: Array<number | null> = [];
    for (let i = 0; i < 10; i++) { s = detailReducer(s, key('change.next')); if (s.note) break; frames.push(line().frame); }
    expect(frames).toEqual([30, 31, 32, 37, 38]); // SYN, SYN+ACK, ACK, FIN, the ACK of the FIN
    expect(s.note).toBe('no next state change');
    s = detailReducer(s, key('change.prev'));
    expect(line().frame).toBe(37);
    s = detailReducer(s, { type: 'resize', width: 78, height: 15 });
    expect(line().frame).toBe(37);
    expect(s.lines.every((l) => l.severity === null || l.text.length <= 78)).toBe(true);
    // scrolling right stops where the widest line ends
    const widest = Math.max(...s.lines.map((l) => l.text.length));
    s = detailReducer(s, key('scroll.right'));
    expect(s.left).toBe(Math.min(8, Math.max(0, widest - 78)));
    for (let i = 0; i < 100; i++) s = detailReducer(s, key('scroll.right'));
    expect(s.left).toBe(Math.max(0, widest - 78));
    s = detailReducer({ ...s, width: 40 }, key('scroll.right'));
    expect(s.left).toBeGreaterThan(0);
    expect(s.left).toBeLessThanOrEqual(widest - 40);
  });

  it('wraps a finding\'s sentence on word boundaries', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('the view stack', () => {
  const press = (d: TuiData, s: AppState, ...names: string[]) => names.reduce((st, name) => appReducer(d, st, { type: 'key', name }), s);

  it('Enter asks for the flow, which opens over the list; q goes back, q on the list quits', async () => {
    const d = await closeWaitLeak();
    let s = press(d, initialApp(d, 80, 24), 'j', 'enter');
    expect(s.request).toEqual({ id: 1, frame: null });
    expect(press(d, s, 'j').request).toEqual(s.request); // keys wait while the flow is read
    s = appReducer(d, s, { type: 'opened', flow: await d.openFlow(1), frame: null });
    expect([topView(s).kind, s.request]).toEqual(['detail', null]);
    s = press(d, s, '?');
    expect(s.help).toBe(0);
    s = press(d, s, 'j');
    expect(s.help).toBe(1);
    s = press(d, s, 'x');
    expect([s.help, topView(s).kind]).toEqual([null, 'detail']);
    s = press(d, s, 'q');
    expect([topView(s).kind, s.quit]).toEqual(['list', false]);
    expect(press(d, s, 'esc').quit).toBe(false);
    expect(press(d, s, 'q').quit).toBe(true);
    expect(press(d, press(d, s, 'f'), 'C-c').quit).toBe(true);
  });

  it('findings: groups, then a group\'s findings, then the flow at the finding\'s frame', async () => {
    const d = await closeWaitLeak();
    let s = press(d, initialApp(d, 80, 24), 'f');
    const v = topView(s);
    expect(v.kind === 'findings' && v.s.rows).toEqual([{ severity: 'warn', kind: 'close-wait-stuck', count: 19 }]);
    s = press(d, s, 'enter', 'j', 'j', 'enter');
    expect(s.request).toEqual({ id: 2, frame: 28 });
  });

  it('leaks: Enter on a table row lists the connections behind it; a heading says there are none', async () => {
    const d = await closeWaitLeak();
    let s = press(d, initialApp(d, 80, 24), 'L');
    const v = topView(s);
    expect(v.kind === 'leaks' && v.s.rows[v.s.win.cursor].text).toMatch(/^10\.77\.0\.2:8080\s+20\s+20\s+19/);
    s = press(d, s, 'enter');
    const list = topView(s);
    expect(list.kind === 'list' && [list.s.scope?.title, list.s.ids.length]).toEqual(['20 connections in CLOSE_WAIT at 10.77.0.2:8080', 20]);
    s = press(d, s, 'q', 'k', 'enter');
    expect(s.status).toMatch(/no connections behind this line/);
  });

  it('resizing reaches every view on the stack', async () => {
    const d = await fixtureData('lossy-transfer.pcap');
    let s = press(d, initialApp(d, 80, 24), 'enter');
    s = appReducer(d, s, { type: 'opened', flow: await d.openFlow(0), frame: 112 });
    s = appReducer(d, s, { type: 'resize', width: 150, height: 50 });
    const [list, detail] = s.stack;
    expect(list.kind === 'list' && list.s.win.height).toBe(46);
    expect(detail.kind === 'detail' && [detail.s.win.height, detail.s.width]).toEqual([46, 150 - 34 - 1 - 2]);
  });
});

describe('KEYMAP', () => {
  const views: ViewKind[] = ['list', 'detail', 'findings', 'finding-list', 'leaks', 'filter'];

  it('binds each key once per view', () => {
    for (const v of views) {
      const keys = KEYMAP.filter((b) => b.views.includes(v)).flatMap((b) => b.keys);
      expect(new Set(keys).size, v).toBe(keys.length);
    }
  });

  it('is what the help screen lists', () => {
    const text = helpLines().map((l) => l.text).join('\n');
    for (const b of KEYMAP) expect(text).toContain(b.help);
    expect(actionFor('list', '/')).toBe('filter.start');
    expect(actionFor('filter', 'q')).toBeUndefined(); // typed into the filter
  });

  it('names the characters of a chunk of typed text', () => {
    expect(['\r', '\x7f', '\x15', '\x1b', 'a'].map(charName)).toEqual(['enter', 'backspace', 'C-u', 'esc', 'a']);
  });
});

describe('flow table', () => {
  it('orders ids by a column stably, negative numbers and −0 included', () => {
    const keys = [3, -1, 0, -0, 2.5, -1e300, 1e300, 3, -0.5, 0, 4294967296, 4294967295];
    const expected = keys.map((_, i) => i).sort((x, y) => keys[x] - keys[y] || x - y);
    expect([...orderBy(keys)]).toEqual(expected);
    expect([...orderBy(new Uint8Array([2, 1, 2, 0, 1]))]).toEqual([3, 1, 4, 0, 2]);
    expect([...orderBy([])]).toEqual([]);
  });

  it('orders 100,000 pseudo-random keys as a comparison sort does', () => {
    let x = 12345;
    const keys = Float64Array.from({ length: 100_000 }, () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x % 2000) - 1000 + (x % 7) / 8; });
    const ids = Array.from(keys, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
    expect(orderBy(keys)).toEqual(Int32Array.from(ids));
  });

  // the table as a plain build from every flow report and every finding makes it
  for (const name of ['lossy-many.pcap', 'close-wait-leak.pcap', 'port-reuse.pcap', 'abort-storm.pcap', 'zero-window.pcap']) {
    it(`holds what the flow reports and findings of ${name} say, and sorts its columns as string and number comparisons do`, async () => {
      const path = join(FIXTURES, name);
      const a = await analyzeCapture(path, { thresholds: { closeWaitThreshold: 0.01 } });
      const t = tuiData(name, path, a, null).table;
      const flows = [...a.set.flows()];
      expect(t.count).toBe(flows.length);
      const perFlow = new Map<number, Map<string, { n: number; rank: number }>>();
      const RANK = { error: 0, warn: 1, note: 2, info: 3 };
      for (const x of a.eachAnomaly()) {
        if (x.flow === null) continue;
        const m = perFlow.get(x.flow) ?? new Map<string, { n: number; rank: number }>();
        perFlow.set(x.flow, m);
        const e = m.get(x.kind);
        if (e) e.n++; else m.set(x.kind, { n: 1, rank: RANK[x.severity] });
      }
      for (const f of flows) {
        const i = f.id;
        expect(t.client[i]).toBe(formatEndpoint(f.client.ip, f.client.port));
        expect(t.server[i]).toBe(formatEndpoint(f.server.ip, f.server.port));
        expect([t.zeek[i], t.packets[i], t.bytes[i], t.duration[i]]).toEqual([f.connState, f.packets, f.bytes, f.duration]);
        expect([STATES[t.clientState[i]], STATES[t.serverState[i]]]).toEqual([f.finalState.client, f.finalState.server]);
        const m = perFlow.get(i) ?? new Map<string, { n: number; rank: number }>();
        const badges = [...m].sort((x, y) => x[1].rank - y[1].rank || y[1].n - x[1].n)
          .map(([k, e]) => (e.n > 1 ? `${badgeName(k)}×${e.n}` : badgeName(k))).join(' ');
        expect(t.badges[i]).toBe(badges);
        expect(t.findings[i]).toBe([...m.values()].reduce((n, e) => n + e.n, 0));
        expect([...t.kinds(i)].sort()).toEqual([...m.keys()].sort());
        expect(t.facts(i).classes).toEqual(f.classes ?? []);
      }
      const ids = flows.map((f) => f.id);
      const byString = (col: readonly string[]) => [...ids].sort((x, y) => (col[x] < col[y] ? -1 : col[x] > col[y] ? 1 : 0) || x - y);
      const byNumber = (col: ArrayLike<number>) => [...ids].sort((x, y) => col[x] - col[y] || x - y);
      expect([...columnOrder(t, 'client')]).toEqual(byString(t.client));
      expect([...columnOrder(t, 'server')]).toEqual(byString(t.server));
      expect([...columnOrder(t, 'zeek')]).toEqual(byString(t.zeek));
      expect([...columnOrder(t, 'packets')]).toEqual(byNumber(t.packets));
      expect([...columnOrder(t, 'duration')]).toEqual(byNumber(t.duration));
      expect([...columnOrder(t, 'findings')]).toEqual(byNumber(t.findings));
      expect([...columnOrder(t, 'server-state')]).toEqual(byNumber(t.serverState));
    });
  }
});

describe('what the headline tells', () => {
  it('a damaged capture says so while it is browsed, not only after quitting', async () => {
    const { readFileSync } = await import('node:fs');
    const { tmpFile } = await import('./helpers/pcap-writer.js');
    const whole = readFileSync(join(FIXTURES, 'http-close-client-first.pcap'));
    const cut = await fixtureData(tmpFile('cut-for-tui.pcap', whole.subarray(0, 700)));
    expect(cut.headline).toMatch(/ · file damaged: read up to the damage \(the warning follows on quitting\)$/);
    expect((await fixtureData('http-close-client-first.pcap')).headline).not.toMatch(/damaged/);
  });
});
