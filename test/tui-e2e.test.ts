/**
 * `synfin tui` in a real terminal: tmux runs it at 80×24 on a recorded fixture; keys are sent
 * as a person would type them and the screen is read back with capture-pane after each step.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/corpus.js';
import { testDir } from './helpers/tmp.js';

const TMUX = spawnSync('tmux', ['-V']).status === 0;
if (!TMUX) console.warn('tui-e2e: tmux is not installed, so the terminal test is skipped (apt-get install tmux)');

const SOCKET = `synfin-e2e-${process.pid}`;
const SESSION = 'tui';
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);
const text = (t: string) => tmux('send-keys', '-t', SESSION, '-l', t);

/** Poll the pane until `test` holds (never a fixed sleep); fail with the last screen. */
async function waitFor(test: (s: string) => boolean, what: string, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (test(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`waiting for ${what}; the screen was:\n${s}`);
}

describe.skipIf(!TMUX)('synfin tui in tmux (80×24)', () => {
  let dir = '';
  let socketPath = '';
  beforeAll(() => {
    dir = testDir('synfin-e2e-');
    // the shell records the exit status and the terminal modes after synfin returns
    const script = `node ${CLI} tui --close-wait-threshold 10ms fixtures/close-wait-leak.pcap; echo $? > ${dir}/status; ` +
      `stty -a > ${dir}/stty; echo DONE; sleep 60`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', ROOT, script);
    socketPath = tmux('display-message', '-p', '-t', SESSION, '#{socket_path}').trim();
  });
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    if (socketPath !== '') rmSync(socketPath, { force: true }); // tmux leaves its socket file behind
  });

  it('filters, opens a flow, jumps to a finding, shows help, and quits restoring the terminal', async () => {
    let s = await waitFor((x) => x.includes('1/20 of 20 flows'), 'the flow list');
    expect(s).toMatch(/ID▲ CLIENT\s+SERVER/);
    expect(s.split('\n')[2]).toMatch(/^\s+0 10\.77\.0\.1:42122 10\.77\.0\.2:8080 .*FIN_WAIT_2\s+CLOSE_WAIT\s+closewait/);

    // a mistyped filter is refused with the reason, then the right one applies
    keys('/');
    text('state:CLOSE_WAT');
    keys('Enter');
    await waitFor((x) => x.includes('unknown state CLOSE_WAT'), 'the filter error');
    keys('C-u');
    text('state:CLOSE_WAIT kind:close-wait-stuck');
    keys('Enter');
    s = await waitFor((x) => x.includes('1/19 of 20 flows · filter: state:CLOSE_WAIT kind:close-wait-stuck'), 'the filtered list');
    expect(s).not.toMatch(/^\s+19 10\.77/m); // flow 19's CLOSE_WAIT is younger than the threshold

    // open flow 2: its ladder, then the finding at its frame
    keys('j', 'j', 'Enter');
    s = await waitFor((x) => x.includes('flow 2  client 10.77.0.1:42136 → server 10.77.0.2:8080'), 'the ladder');
    expect(s).toMatch(/◆\s+21  SYN_SENT\s+─+ S seq=0 len=0 win=64240 ─+▶ SYN_RCVD\*/);
    keys('g');
    await waitFor((x) => x.includes('line 1 of'), 'the top of the ladder');
    keys('n');
    s = await waitFor((x) => /^\s+▲ warn close-wait-stuck: Server 10\.77\.0\.2:8080 received/m.test(x) && !x.includes('line 1 of'), 'the finding');
    expect(s).toMatch(/◆\s+28  FIN_WAIT_1 .* CLOSE_WAIT\*/);
    keys('n');
    await waitFor((x) => x.includes('no next finding'), 'no next finding');

    // help, from the key table
    keys('?');
    s = await waitFor((x) => x.includes('synfin keys'), 'the help');
    expect(s).toMatch(/\/\s+filter flows: state:CLOSE_WAIT/);
    keys('Escape');
    await waitFor((x) => x.includes('flow 2  client'), 'the ladder again');

    // q: back to the list, q: quit
    keys('q');
    await waitFor((x) => x.includes('of 20 flows'), 'the list again');
    keys('q');
    await waitFor((x) => x.includes('DONE'), 'the shell after synfin');
    expect(readFileSync(join(dir, 'status'), 'utf8').trim()).toBe('0');
    // the terminal is back: cooked mode with echo, the cursor shown, the alternate screen left
    const stty = readFileSync(join(dir, 'stty'), 'utf8');
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/);
    expect(tmux('display-message', '-p', '-t', SESSION, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
    expect(screen()).not.toContain('of 20 flows');
  }, 60_000);

  it('Ctrl-C stops the copy of standard input while the writer is still silent, and restores the terminal', async () => {
    // the capture arrives on a pipe whose writer stays open: the copy waits for data that never comes
    const STDIN_SESSION = 'stdin';
    const script = `(cat fixtures/close-wait-leak.pcap; sleep 60) | (node ${CLI} tui -; echo $? > ${dir}/status2; stty -a < /dev/tty > ${dir}/stty2; echo STOPPED; sleep 60)`;
    tmux('new-session', '-d', '-s', STDIN_SESSION, '-x', '80', '-y', '24', '-c', ROOT, script);
    const view = () => tmux('capture-pane', '-p', '-t', STDIN_SESSION);
    const end = async (test: (s: string) => boolean, what: string) => {
      const until = Date.now() + 10_000;
      let s = '';
      while (Date.now() < until) { s = view(); if (test(s)) return s; await new Promise((r) => setTimeout(r, 25)); }
      throw new Error(`waiting for ${what}; the screen was:\n${s}`);
    };
    await end((x) => x.includes('standard input cannot be read twice') && x.includes('Ctrl-C stops'), 'the copying screen');
    tmux('send-keys', '-t', STDIN_SESSION, 'C-c');
    const s = await end((x) => x.includes('STOPPED'), 'synfin to stop');
    expect(s).toContain('synfin: stopped while reading');
    expect(readFileSync(join(dir, 'status2'), 'utf8').trim()).toBe('130');
    const stty = readFileSync(join(dir, 'stty2'), 'utf8');
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/);
    expect(tmux('display-message', '-p', '-t', STDIN_SESSION, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
  }, 30_000);
});
