/**
 * bench/agree.mjs, the check against tshark on captures of any size, run with a stand-in for
 * tshark that prints fields made from synfin's own report: it must say "agree" for a faithful copy
 * and name every frame and stream that a changed copy gets wrong.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/corpus.js';
import { FIXTURES } from './helpers/fixtures.js';
import { testDir } from './helpers/tmp.js';

const AGREE = join(ROOT, 'bench', 'agree.mjs');
const CAPTURE = join(FIXTURES, 'lossy-transfer.pcap');
// tshark's field order after frame, stream and length (see FIELDS in agree.mjs)
const FLAGS = ['retransmission', 'fast-retransmission', 'spurious-retransmission', 'out-of-order', 'previous-segment-lost',
  'acked-unseen', 'duplicate-ack', 'zero-window', 'zero-window-probe', 'zero-window-probe-ack', 'window-full',
  'window-update', 'keep-alive', 'keep-alive-ack', 'port-reuse'];

interface Report {
  flows: Array<{ id: number; packets: number; bytes: number }>;
  anomalies: Array<{ frame: number | null; kind: string; flow: number | null }>;
}

/** tshark's `-T fields` lines for a capture whose streams and flags are those of `r`. */
function fieldsOf(r: Report): string[] {
  const kinds = new Map<number, Set<string>>();
  const streamOf = new Map<number, number>();
  for (const a of r.anomalies) {
    if (a.frame === null || !FLAGS.includes(a.kind)) continue;
    const s = kinds.get(a.frame) ?? new Set<string>();
    s.add(a.kind);
    // tshark marks fast and spurious retransmissions as retransmissions too
    if (a.kind !== 'retransmission' && a.kind.endsWith('retransmission')) s.add('retransmission');
    kinds.set(a.frame, s);
    streamOf.set(a.frame, a.flow!);
  }
  const lines: string[] = [];
  const flagged = new Map<number, number>();
  for (const [frame, s] of kinds) {
    const id = streamOf.get(frame)!;
    flagged.set(id, (flagged.get(id) ?? 0) + 1);
    lines.push([frame, id, 0, ...FLAGS.map((k) => (s.has(k) ? '1' : ''))].join('\t'));
  }
  // the other frames of each stream, numbered past the capture; the first carries the stream's bytes
  let next = 1_000_000;
  for (const f of r.flows) {
    for (let k = flagged.get(f.id) ?? 0; k < f.packets; k++) {
      lines.push([next++, f.id, k === (flagged.get(f.id) ?? 0) ? f.bytes : 0, ...FLAGS.map(() => '')].join('\t'));
    }
  }
  return lines;
}

function agree(lines: string[]) {
  const dir = testDir('agree-');
  const out = join(dir, 'fields.tsv');
  writeFileSync(out, lines.join('\n') + '\n');
  const fake = join(dir, 'tshark');
  writeFileSync(fake, `#!/bin/sh\n[ "$1" = "-v" ] && exit 0\ncat "${out}"\n`);
  chmodSync(fake, 0o755);
  const p = spawnSync(process.execPath, [AGREE, CAPTURE, '--examples', '3'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
  });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

describe('bench/agree.mjs', () => {
  const report = JSON.parse(spawnSync(process.execPath, [CLI, 'analyze', '--json', '--quiet', CAPTURE], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout) as Report;
  const lines = fieldsOf(report);

  it('agrees with a faithful copy of the flags and streams', () => {
    expect(report.anomalies.some((a) => a.kind === 'fast-retransmission')).toBe(true);
    const r = agree(lines);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\| fast-retransmission \| (\d+) \| \1 \| \1 \| 1\.0000 \| 1\.0000 \|/);
    expect(r.stdout).toMatch(/streams whose frames or bytes differ: 0/);
    expect(r.stdout).toMatch(/agree on every frame and stream/);
    expect(r.status).toBe(0);
  });

  it('names the frames and streams a changed copy gets wrong', () => {
    const dupAck = report.anomalies.find((a) => a.kind === 'duplicate-ack')!.frame!;
    const changed = lines.map((l) => {
      const c = l.split('\t');
      if (Number(c[0]) === dupAck) c[3 + FLAGS.indexOf('duplicate-ack')] = ''; // tshark does not flag it
      if (Number(c[0]) === 1_000_000) c[3 + FLAGS.indexOf('keep-alive')] = '1'; // tshark flags a frame synfin does not
      if (Number(c[2]) > 0) c[2] = String(Number(c[2]) + 4); // and counts 4 more bytes in the stream
      return c.join('\t');
    });
    const r = agree(changed);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/streams whose frames or bytes differ: 1\n {2}flow 0: synfin \d+ frames (\d+) bytes, tshark \d+ frames \d+ bytes/);
    expect(r.stdout).toContain(`duplicate-ack: flagged by synfin only, e.g. frames ${dupAck}`);
    expect(r.stdout).toContain('keep-alive: flagged by tshark only, e.g. frames 1000000');
    expect(r.stdout).toMatch(/\| keep-alive \| 1 \| 0 \| 0 \| - \| 0\.0000 \|/);
    expect(r.stdout).toMatch(/synfin and tshark differ/);
  });

  it('says when tshark is missing, in one line', () => {
    const p = spawnSync(process.execPath, [AGREE, CAPTURE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(p.status).toBe(2);
    expect(p.stderr.trim()).toBe('agree: tshark is not installed (apt-get install -y tshark)');
  });
});
