/** The terminal UI's views on small fixtures, rendered by ink-testing-library (a 100-column terminal). */
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { describe, expect, it } from 'vitest';
import { App } from '../src/tui/App.js';
import { initialDetail } from '../src/tui/detail-state.js';
import { FlowDetail } from '../src/tui/FlowDetail.js';
import { FlowList } from '../src/tui/FlowList.js';
import { Help } from '../src/tui/Help.js';
import { initialPick } from '../src/tui/pick-state.js';
import { FindingGroups } from '../src/tui/Pickers.js';
import { KEYMAP } from '../src/tui/keymap.js';
import { initialList } from '../src/tui/list-state.js';
import { protectedWifiCapture, tmpFile } from './helpers/pcap-writer.js';
import { closeWaitLeak, fixtureData } from './helpers/tui.js';

const COLOUR_CODE = /\x1b\[(3[0-7]|9[0-7]|38;)/;

/** Wait until the last frame satisfies `test` (Ink draws asynchronously). */
async function until(frame: () => string | undefined, test: (f: string) => boolean, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (test(f)) return f;
    if (Date.now() > end) throw new Error(`timed out; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FlowList', () => {
  it('draws the rows of the window with states and finding badges, fitted to 80 columns', async () => {
    const d = await closeWaitLeak();
    const s = initialList(d.table, 5);
    const { lastFrame } = render(h(FlowList, { t: d.table, s, width: 80, colour: false, noFlows: d.noFlows }));
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(6); // heading + the 5 rows of the window
    expect(lines[0]).toMatch(/^\s+ID▲ CLIENT\s+SERVER\s+.*CLIENT ST\s+SERVER ST\s+FINDINGS/);
    expect(lines[1]).toMatch(/^\s+0 10\.77\.0\.1:42122 10\.77\.0\.2:8080 .*FIN_WAIT_2\s+CLOSE_WAIT\s+closewait/);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lastFrame()).not.toMatch(COLOUR_CODE);
  });

  it('on a narrow terminal the endpoints give way, keeping their ports, before the states do', async () => {
    const d = await fixtureData('ipv6-close-server-first.pcapng');
    const { lastFrame } = render(h(FlowList, { t: d.table, s: initialList(d.table, 5), width: 64, colour: false, noFlows: d.noFlows }));
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/CLIENT ST\s+SERVER ST\s+FINDINGS/);
    expect(lines[1]).toMatch(/^\s+0 \[fd…:\d+ \[fd7…:8080 CLOSED\s+TIME_WAIT/);
    expect(lines.every((l) => l.length <= 64)).toBe(true);
  });

  it('marks the states of a flow joined mid-connection as assumed, as synfin flows does', async () => {
    const d = await fixtureData('midstream.pcap');
    const { lastFrame } = render(h(FlowList, { t: d.table, s: initialList(d.table, 5), width: 100, colour: false, noFlows: d.noFlows }));
    expect(lastFrame()).toMatch(/TIME_WAIT\?\s+CLOSED\?/);
  });

  it('shows every column on a wide terminal', async () => {
    const d = await fixtureData('lossy-transfer.pcap');
    const { lastFrame } = render(h(FlowList, { t: d.table, s: initialList(d.table, 5), width: 100, colour: false, noFlows: d.noFlows }));
    expect(lastFrame()).toMatch(/PKTS\s+BYTES\s+DUR/);
    expect(lastFrame()).toMatch(/TIME_WAIT\s+CLOSED\s+dupack×14 retx×/); // most severe kinds first
  });
});

describe('FindingGroups', () => {
  it('lists each kind with its count and, for the kinds Wireshark flags, the display filter that shows them', async () => {
    const d = await fixtureData('lossy-transfer.pcap');
    const s = initialPick('Findings by severity and kind', d.groups, 10);
    const { lastFrame } = render(h(FindingGroups, { s, colour: false }));
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+KIND\s+COUNT {2}WIRESHARK FILTER$/);
    expect(lines).toContainEqual(expect.stringMatching(/^note\s+duplicate-ack\s+14 {2}tcp\.analysis\.duplicate_ack$/));
    expect(lines).toContainEqual(expect.stringMatching(/^info\s+window-update\s+433 {2}tcp\.analysis\.window_update$/));
  });
});

describe('FlowDetail', () => {
  it('draws the ladder with the finding under its frame, and the figures above it', async () => {
    const d = await closeWaitLeak();
    const s = initialDetail(await d.openFlow(0), 98, 30);
    const { lastFrame } = render(h(FlowDetail, { s, width: 100, colour: false }));
    const f = lastFrame()!;
    expect(f).toMatch(/RTT 0\.025 ms · MSS 1460\/1460 · wscale 10\/10 · SACK yes · closed first by client/);
    expect(f).toMatch(/◆\s+10  FIN_WAIT_1\s+─+ FA seq=301 ack=1068 len=0 win=67584 ─+▶ CLOSE_WAIT\*/);
    expect(f).toMatch(/\n\s+▲ warn close-wait-stuck: Server 10\.77\.0\.2:8080 received client 10\.77\.0\.1:42122's FIN in/);
    expect(f).toMatch(/final: client FIN_WAIT_2 server CLOSE_WAIT · 1 finding · read back/);
  });

  it('puts the figures in a side panel on a wide terminal', async () => {
    const d = await closeWaitLeak();
    const s = initialDetail(await d.openFlow(0), 140 - 35 - 2, 30);
    const { lastFrame } = render(h(FlowDetail, { s, width: 140, colour: false }));
    const f = lastFrame()!;
    expect(f).toMatch(/│ 10\.77\.0\.1:42122/);
    expect(f).toMatch(/│ MSS      1460 \/ 1460/);
    expect(f).toMatch(/│ closer   client/);
    expect(f).not.toMatch(/^RTT .* · MSS/m); // not above the ladder
  });

  it('writes, marked as a state change, what ended a state off the flow\'s own segments', async () => {
    const d = await fixtureData('port-reuse.pcap');
    const s = initialDetail(await d.openFlow(0), 98, 30);
    const f = render(h(FlowDetail, { s, width: 100, colour: false })).lastFrame()!;
    // (the line is cut at the terminal's width)
    expect(f).toMatch(/◆\s+· client TIME_WAIT → CLOSED on ABORT at frame 13 \(flow 1 starts there\): the connection is/);
    expect(f).toMatch(/read back in/);
    // and the TIME_WAIT timer, from the end of the capture the analysis used
    const short = await fixtureData('missing-final-ack.pcap', { timeWaitLen: 0.5 });
    const g = render(h(FlowDetail, { s: initialDetail(await short.openFlow(0), 98, 40), width: 100, colour: false })).lastFrame()!;
    expect(g).toMatch(/· client TIME_WAIT → CLOSED on TIMEOUT_TW: the TIME_WAIT timer expires/);
  });

  it('names the connection\'s classes, one a line in the side panel', async () => {
    const d = await fixtureData('simultaneous-close.pcap');
    const flow = await d.openFlow(0);
    const wide = render(h(FlowDetail, { s: initialDetail(flow, 140 - 35 - 2, 30), width: 140, colour: false })).lastFrame()!;
    // (the test terminal is 100 columns: the panel's lines are cut)
    expect(wide).toMatch(/│ class    closed-grace/);
    expect(wide).toMatch(/│ {10}simultaneous-/);
    const narrow = render(h(FlowDetail, { s: initialDetail(flow, 98, 30), width: 100, colour: false })).lastFrame()!;
    expect(narrow).toMatch(/^final: client TIME_WAIT server TIME_WAIT \(closed-graceful, simultaneous-close\) · 0 findings/m);
  });
});

describe('Help', () => {
  it('is the KEYMAP table', () => {
    const { lastFrame } = render(h(Help, { top: 0, height: 60 }));
    for (const b of KEYMAP) expect(lastFrame()).toContain(b.help.slice(0, 40));
    expect(lastFrame()).toMatch(/\/\s+filter flows: state:CLOSE_WAIT/);
  });

  it('scrolls when the terminal is short', () => {
    const { lastFrame } = render(h(Help, { top: 0, height: 12 }));
    expect(lastFrame()).toMatch(/↓ \d+ more/);
    expect(lastFrame()!.split('\n')).toHaveLength(12);
  });
});

describe('App', () => {
  it('says why a capture shows no flow: no TCP at all, or encrypted frames', async () => {
    const plain = await fixtureData('no-tcp.pcap');
    const a = render(h(App, { data: plain, colour: false, width: 100, height: 20 }));
    const f1 = await until(a.lastFrame, (f) => f.includes('no TCP flows in this capture'));
    expect(f1).not.toMatch(/encrypted/);
    a.unmount();
    const wpa = await fixtureData(tmpFile('wpa.pcap', protectedWifiCapture(3)));
    const b = render(h(App, { data: wpa, colour: false, width: 100, height: 20 }));
    await until(b.lastFrame, (f) => f.includes('no TCP flows in this capture: 3 frames are encrypted (IPsec ESP, or 802.11 with the protected flag)'));
    b.unmount();
  });

  it('opens a flow with Enter, jumps to its finding with n, and goes back with q', async () => {
    const d = await closeWaitLeak();
    const { lastFrame, stdin, unmount } = render(h(App, { data: d, colour: false, width: 100, height: 30 }));
    await until(lastFrame, (f) => f.includes('1/20 of 20 flows'));
    stdin.write('j');
    await until(lastFrame, (f) => f.includes('2/20 of 20 flows'));
    stdin.write('\r');
    const detail = await until(lastFrame, (f) => f.includes('flow 1  client 10.77.0.1:42130 → server 10.77.0.2:8080'));
    expect(detail).toMatch(/▲ warn close-wait-stuck/);
    stdin.write('g');
    await until(lastFrame, (f) => f.includes('line 1 of'));
    stdin.write('n');
    await until(lastFrame, (f) => /line 1[0-9] of/.test(f));
    stdin.write('q');
    await until(lastFrame, (f) => f.includes('2/20 of 20 flows'));
    unmount();
  });

  it('says why a filter is refused, in the status line', async () => {
    const d = await closeWaitLeak();
    const { lastFrame, stdin, unmount } = render(h(App, { data: d, colour: false, width: 100, height: 30 }));
    await until(lastFrame, (f) => f.includes('of 20 flows'));
    stdin.write('/');
    await until(lastFrame, (f) => f.includes('/▏'));
    stdin.write('port:http');
    stdin.write('\r');
    await until(lastFrame, (f) => f.includes('port:http: expected a port number'));
    unmount();
  });
});

describe('Boundary', () => {
  it('turns an error while drawing into one line, never a stack trace', async () => {
    const { Boundary } = await import('../src/tui/run.js');
    const errors: Error[] = [];
    const Broken = () => { throw new Error('bad row'); };
    const { lastFrame } = render(h(Boundary, { onError: (e: Error) => { errors.push(e); }, children: h(Broken) }));
    await until(lastFrame, (f) => f.includes('synfin: internal error'));
    expect(lastFrame()).toBe('synfin: internal error');
    expect(errors.map((e) => e.message)).toEqual(['bad row']);
  });
});
