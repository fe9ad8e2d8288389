import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { WIRESHARK_KINDS } from '../src/analysis/seq-analysis.js';
import { ROOT } from './helpers/corpus.js';
import { SYNTHETIC, badThirdAckCapture, dataPastFinCapture, finalAckAgainCapture, injectedRstCapture, timeWaitCapture, unseenReconnectCapture } from './helpers/synthetic.js';
import { tmpFile } from './helpers/pcap-writer.js';
import { renderAnalyze } from '../src/report/analyze.js';

const DIR = join(ROOT, 'fixtures', 'synthetic');

// SYNFIN_WRITE_SYNTHETIC=1 rewrites the committed captures (then re-run fixtures/synthetic/baseline.sh)
if (process.env.SYNFIN_WRITE_SYNTHETIC) for (const [name, make] of Object.entries(SYNTHETIC)) writeFileSync(join(DIR, `${name}.pcap`), make());

function tsharkFlags(name: string): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const line of readFileSync(join(DIR, `${name}.flags.tsv`), 'utf8').trim().split('\n').filter(Boolean)) {
    const [f, ks] = line.split('\t');
    out[Number(f)] = ks.split(',').sort();
  }
  return out;
}

describe('synthetic captures (built by test/helpers/synthetic.ts, flags checked with tshark 4.0.17)', () => {
  for (const name of Object.keys(SYNTHETIC)) {
    it(`${name}: the committed capture is what the writer builds`, () => {
      expect(Buffer.from(readFileSync(join(DIR, `${name}.pcap`))).equals(Buffer.from(SYNTHETIC[name]()))).toBe(true);
    });
  }

  it('zero-window-probe: true 1-byte probes and their ACKs, frame by frame as tshark flags them', async () => {
    const a = await analyzeCapture(join(DIR, 'zero-window-probe.pcap'));
    const ours: Record<number, string[]> = {};
    const wireshark = new Set(WIRESHARK_KINDS.map((k) => k.id));
    expect(a.anomalies.filter((x) => !wireshark.has(x.kind))).toEqual([]);
    for (const x of a.anomalies) {
      if (x.frame === null) continue;
      (ours[x.frame] ??= []).push(x.kind);
      if (x.kind === 'fast-retransmission' || x.kind === 'spurious-retransmission') ours[x.frame].push('retransmission');
    }
    for (const k of Object.keys(ours)) ours[Number(k)].sort();
    expect(ours).toEqual(tsharkFlags('zero-window-probe'));
    expect(Object.values(ours).flat()).toContain('zero-window-probe');
    expect(Object.values(ours).flat()).toContain('zero-window-probe-ack');
  });

  /** Our per-frame flags, with fast and spurious retransmissions counted as tshark counts them. */
  function ourFlags(anomalies: Array<{ frame: number | null; kind: string }>): Record<number, string[]> {
    const wireshark = new Set(WIRESHARK_KINDS.map((k) => k.id));
    const ours: Record<number, string[]> = {};
    for (const x of anomalies) {
      if (x.frame === null || !wireshark.has(x.kind)) continue;
      (ours[x.frame] ??= []).push(x.kind);
      if (x.kind === 'fast-retransmission' || x.kind === 'spurious-retransmission') ours[x.frame].push('retransmission');
    }
    for (const k of Object.keys(ours)) ours[Number(k)].sort();
    return ours;
  }

  it('filtered: half the data never captured and never re-sent is one capture-loss:filtered finding, the flags kept (§9.23)', async () => {
    const a = await analyzeCapture(join(DIR, 'filtered.pcap'));
    expect(ourFlags(a.anomalies)).toEqual(tsharkFlags('filtered'));
    const life = a.anomalies.filter((x) => !WIRESHARK_KINDS.some((k) => k.id === x.kind));
    expect(life.map((x) => [x.kind, x.variant, x.frame, x.severity])).toEqual([['capture-loss', 'filtered', 5, 'info']]);
    expect(life[0].data).toEqual({ frames: 26, flagged: 21, share: 0.808, previousSegmentLost: 10, ackedUnseen: 11 });
    expect(life[0].message).toBe('The capture appears filtered or lossy on this connection: 21 of its 26 frames (81%), the first in frame 5, ' +
      'follow or acknowledge data the capture never showed (previous-segment-lost 10, acked-unseen 11), and no retransmission filled any gap: ' +
      'those flags describe the capture, not the network.');
    // the text report counts the flags but lists the one summary instead of 21 lines
    const text = renderAnalyze(a, { color: false, limit: 1000 });
    expect(text).toMatch(/^warn +previous-segment-lost +10 /m);
    expect(text).toMatch(/^Note: 1 connection\(s\) look filtered or lossy in the capture \(capture-loss:filtered\): their 21 previous-segment-lost and acked-unseen flags/m);
    expect(text).not.toMatch(/^ +frame \d+ flow 0 warn (previous-segment-lost|acked-unseen)/m);
    expect(text).toMatch(/^ +frame 5 flow 0 info capture-loss:filtered: The capture appears filtered/m);
    expect(text).toMatch(/^0 +192\.0\.2\.1:51000 +192\.0\.2\.80:80 +0 +0 +1 /m); // ranked by what is listed: no warnings left
  });

  it('filtered-refill: once a re-sent segment fills a gap, the flags are listed one by one', async () => {
    const a = await analyzeCapture(join(DIR, 'filtered-refill.pcap'));
    expect(ourFlags(a.anomalies)).toEqual(tsharkFlags('filtered-refill'));
    expect(a.anomalies.filter((x) => x.variant === 'filtered')).toEqual([]);
    // the other gaps, acknowledged and never re-sent, are capture loss, one finding each
    expect(a.anomalies.filter((x) => x.kind === 'capture-loss').map((x) => x.frame)).toEqual([10, 12, 14, 16, 18, 20, 22, 24, 26]);
    const text = renderAnalyze(a, { color: false, limit: 1000 });
    expect(text).not.toMatch(/filtered or lossy/);
    expect(text).toMatch(/^ +frame 6 flow 0 warn previous-segment-lost: /m);
  });

  it('midstream-retransmissions: flags in the first round trip of a mid-stream connection are marked as at capture start (§9.1)', async () => {
    const a = await analyzeCapture(join(DIR, 'midstream-retransmissions.pcap'));
    expect(ourFlags(a.anomalies)).toEqual(tsharkFlags('midstream-retransmissions'));
    expect(a.set.flow(0).partial).toBe(true);
    expect(a.anomalies.map((x) => [x.kind, x.frame, x.data.captureStart ?? false])).toEqual([['retransmission', 2, true], ['retransmission', 5, false]]);
    const text = renderAnalyze(a, { color: false, limit: 1000 });
    expect(text).toMatch(/^Note: 1 of these flags \(retransmission 1\) fall in the first round trip of connections the capture joined mid-stream, /m);
    // a connection that opens with its handshake has no such round trip
    const b = await analyzeCapture(join(DIR, 'filtered-refill.pcap'));
    expect(b.anomalies.filter((x) => x.data.captureStart !== undefined)).toEqual([]);
    expect(renderAnalyze(b, { color: false, limit: 1000 })).not.toMatch(/first round trip/);
  });

  it('handshake-bad-ack: a third segment acknowledging the wrong number; an ack number without the ACK flag', async () => {
    const f = tmpFile('bad-third.pcap', badThirdAckCapture());
    const a = await analyzeCapture(f);
    const bad = a.anomalies.filter((x) => x.kind === 'handshake-bad-ack').map((x) => [x.variant, x.frame, x.severity]);
    expect(bad).toEqual([['third-ack', 3, 'error'], ['ack-without-flag', 4, 'info']]);
    expect(a.anomalies.find((x) => x.variant === 'third-ack')?.message).toMatch(/acknowledges 4017 instead of 1 \(the responder's ISN \+ 1\)/);
    expect(a.set.flow(0).finalState.server).toBe('SYN_RCVD');
  });

  it('half-open: a bare RST answering data is one half-open finding, not also a reset', async () => {
    const a = await analyzeCapture(join(DIR, 'half-open.pcap'));
    const life = a.anomalies.filter((x) => x.kind === 'half-open' || x.kind === 'reset');
    expect(life.map((x) => [x.kind, x.variant, x.frame, x.direction])).toEqual([['half-open', 'no-tcb-rst', 7, 's2c']]);
    expect(life[0].severity).toBe('error');
    expect(life[0].message).toMatch(/^Server 192\.0\.2\.80:80 answered client 192\.0\.2\.1:51000's segment with a bare RST/);
  });
});

describe('data after close, and a RST its sender contradicts', () => {
  const life = async (name: string, bytes: Uint8Array) => (await analyzeCapture(tmpFile(name, bytes))).anomalies
    .filter((x) => !WIRESHARK_KINDS.some((k) => k.id === x.kind)).map((x) => [x.kind, x.variant, x.frame, x.direction, x.states]);

  it('an injected RST: the client takes it, the server goes on sending; each finding once', async () => {
    // (the replay keeps the RST: both endpoints CLOSED; the later segments do not reopen the connection)
    const closed = { client: 'CLOSED', server: 'CLOSED' };
    expect(await life('injected-rst.pcap', injectedRstCapture())).toEqual([
      ['reset', 'abort', 5, 's2c', closed],
      ['invalid-rst', 'sender-continued', 6, 's2c', closed],
      ['data-after-close', 'after-rst', 6, 's2c', closed],
    ]);
    const a = await analyzeCapture(tmpFile('injected-rst.pcap', injectedRstCapture()));
    expect(a.anomalies.find((x) => x.variant === 'after-rst')?.message).toBe(
      'Server 192.0.2.80:80 sent 500 byte(s) of data after its RST in frame 5, which client 192.0.2.1:51000 had accepted: for client 192.0.2.1:51000 the connection was over.');
  });

  it('new data past the sender\'s own FIN', async () => {
    expect(await life('data-past-fin.pcap', dataPastFinCapture())).toEqual([
      ['data-after-close', 'after-own-fin', 6, 'c2s', { client: 'FIN_WAIT_2', server: 'CLOSE_WAIT' }],
    ]);
  });
});

describe('an ACK of a FIN that was re-sent after an earlier ACK (held until the FIN\'s sender falls silent)', () => {
  const run = async (endAtMs: number) => {
    const a = await analyzeCapture(tmpFile(`final-ack-${endAtMs}.pcap`, finalAckAgainCapture(endAtMs)));
    return { state: a.set.flow(0).finalState, life: a.anomalies.filter((x) => x.kind === 'missing-final-ack').map((x) => [x.variant, x.frame]) };
  };

  it('the capture ends before the server would have re-sent its FIN: LAST_ACK, seen-but-lost', async () => {
    expect(await run(700)).toEqual({ state: { client: 'TIME_WAIT', server: 'LAST_ACK' }, life: [['seen-but-lost', 8]] });
  });

  it('the server stays silent long enough: the held ACK arrived, CLOSED', async () => {
    expect(await run(2000)).toEqual({ state: { client: 'TIME_WAIT', server: 'CLOSED' }, life: [] });
  });
});

describe('a sequence jump of a gibibyte or more without a SYN (reference §9.18)', () => {
  it('is still previous-segment-lost, and the message offers the unseen reconnect', async () => {
    const a = await analyzeCapture(tmpFile('unseen-reconnect.pcap', unseenReconnectCapture()));
    expect(a.anomalies.filter((x) => x.kind === 'previous-segment-lost').map((x) => [x.frame, x.message])).toEqual([[6,
      "Client 192.0.2.1:51000's sequence jumps from 101 to 2000000000: 1999999899 byte(s) in between were not captured, or, a jump this large, a new connection on the same ports whose SYN the capture missed."]]);
  });
});

describe('a TIME_WAIT connection released after 5 s of silence (parked)', () => {
  const run = async (reuseAtMs: number | null, endAtMs: number) => {
    const a = await analyzeCapture(tmpFile(`tw-${reuseAtMs}-${endAtMs}.pcap`, timeWaitCapture(reuseAtMs, endAtMs)), { transitions: true });
    const flow = a.set.flow(0);
    const host = a.hosts.find((h) => h.ip === '192.0.2.1')!;
    return { flow, tw: host.timeWait, last: flow.transitions!.at(-1)! };
  };

  it('is superseded by a new connection on its 4-tuple: ABORT at the SYN, as when it is still live', async () => {
    for (const reuseAtMs of [2_000, 10_000]) { // live (2 s of silence) and parked (10 s)
      const { flow, tw, last } = await run(reuseAtMs, 20_000);
      expect(flow.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
      expect(last).toEqual({ frame: 8, endpoint: 'client', from: 'TIME_WAIT', to: 'CLOSED', event: 'ABORT', inferred: false });
      // the interval ended at the new SYN: nothing held at the end, one at the peak
      expect(tw).toEqual({ atEnd: 0, peak: 1, clientSide: 0, serverSide: 0 });
    }
  });

  it('expires at the end of a capture that outlives TIME_WAIT, and is held at the end of one that does not', async () => {
    const expired = await run(null, 70_000);
    expect(expired.flow.finalState.client).toBe('CLOSED');
    expect(expired.last).toEqual({ frame: null, endpoint: 'client', from: 'TIME_WAIT', to: 'CLOSED', event: 'TIMEOUT_TW', inferred: false });
    expect(expired.tw).toEqual({ atEnd: 0, peak: 1, clientSide: 0, serverSide: 0 });

    const held = await run(null, 30_000);
    expect(held.flow.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    expect(held.tw).toEqual({ atEnd: 1, peak: 1, clientSide: 1, serverSide: 0 });
  });
});
