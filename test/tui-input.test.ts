/** What synfin tui does with inputs that cannot be re-read by offset, and without a terminal. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { spool, spoolReason } from '../src/capture/spool.js';
import { CLI, ROOT } from './helpers/corpus.js';
import { FIXTURES } from './helpers/fixtures.js';
import { fixtureData } from './helpers/tui.js';

const CAPTURE = join(FIXTURES, 'close-wait-leak.pcap');

describe('spooling', () => {
  it('is needed for standard input and gzip, not for a plain capture', () => {
    expect(spoolReason('-')).toMatch(/standard input/);
    expect(spoolReason(CAPTURE)).toBeNull();
  });

  it('decompresses gzip into a temporary file that reads back by offset, and removes it', async () => {
    const original = readFileSync(CAPTURE);
    let written = 0;
    const s = await spool('-', Readable.from([gzipSync(original)]), (_raw, w) => { written = w; });
    expect(readFileSync(s.path).equals(original)).toBe(true);
    expect(written).toBe(original.length);
    const d = await fixtureData(s.path);
    const o = await d.openFlow(5);
    expect([o.via, o.rows.length, o.rows[0].frame]).toEqual(['span', 9, 48]);
    s.remove();
    expect(existsSync(s.path)).toBe(false);
  });

  it('copies a plain stream as it is', async () => {
    const original = readFileSync(CAPTURE);
    const s = await spool('-', Readable.from([original.subarray(0, 100), original.subarray(100)]), () => {});
    expect(readFileSync(s.path).equals(original)).toBe(true);
    s.remove();
  });
});

describe('synfin tui without a terminal', () => {
  it('says so in one line and exits 1', () => {
    const r = spawnSync(process.execPath, [CLI, 'tui', CAPTURE], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('synfin: error: tui needs a terminal (use synfin analyze for a report)\n');
    expect(r.stdout).toBe('');
  });

  it('synfin FILE --tui takes one file', () => {
    const r = spawnSync(process.execPath, [CLI, CAPTURE, CAPTURE, '--tui'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('synfin: error: --tui takes one file and no --json or --csv\n');
  });
});
