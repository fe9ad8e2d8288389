import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlagList, FlagRecord, WiresharkFlags, flagAnomaly } from '../src/analysis/anomalies.js';
import { analyzeCapture, closeWaitFigures, type EndpointLeaks } from '../src/analysis/analyze.js';
import { trackCapture } from '../src/analysis/flows.js';
import { F_OUT_OF_ORDER, WIRESHARK_KINDS, wiresharkFilterOf } from '../src/analysis/seq-analysis.js';
import { CORPUS_DIR, CORPUS_PRESENT, ROOT, corpusExpected } from './helpers/corpus.js';
import { FIXTURES, recordedFixtures } from './helpers/fixtures.js';

async function flags(path: string): Promise<WiresharkFlags> {
  const hook = new WiresharkFlags();
  await trackCapture(path, { hook });
  return hook;
}

/** Our flags per frame, as tshark reports them: a fast or spurious retransmission is also a retransmission. */
function perFrame(hook: WiresharkFlags): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const r of hook.records) {
    const id = WIRESHARK_KINDS.find((k) => k.bit === r.bit)!.id;
    const list = m.get(r.frame) ?? [];
    list.push(id);
    if (id === 'fast-retransmission' || id === 'spurious-retransmission') list.push('retransmission');
    m.set(r.frame, list);
  }
  for (const [f, l] of m) m.set(f, [...new Set(l)].sort());
  return m;
}

describe.skipIf(!CORPUS_PRESENT)('Wireshark-compatible flags against tshark 4.0.17', () => {
  const expected = corpusExpected();
  for (const [name, e] of Object.entries(expected)) {
    it(`${name}: frames per flag equal tshark's`, async () => {
      const ours = (await flags(join(CORPUS_DIR, name))).tsharkCounts();
      const theirs = e.analysisFlags;
      expect(Object.fromEntries(Object.keys(theirs).map((k) => [k, ours[k]]))).toEqual(theirs);
    });
  }

  const baselines = ['http-206-zerowin-retrans.pcap', 'mix-126-streams-keepalive.pcap', 'pcapng-dsb-tls.pcapng', 'qinq-pppoe-retrans.pcap',
    'sack-fast-retrans-snaplen.pcap', 'seq-wraparound.pcap', 'lt0-null-redis-keepalive.pcap', 'rst-inject-port-reuse.pcap',
    'midstream-121-http.pcap', 'icmp-quotes-tcp-smtp.pcap'];
  for (const name of baselines) {
    it(`${name}: the same flags on the same frames (test/baselines)`, async () => {
      const want = new Map(readFileSync(join(ROOT, 'test', 'baselines', `${name}.flags.tsv`), 'utf8').trim().split('\n')
        .filter(Boolean).map((l) => { const [f, ks] = l.split('\t'); return [Number(f), ks.split(',').sort()] as const; }));
      const got = perFrame(await flags(join(CORPUS_DIR, name)));
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    });
  }
});

describe('Wireshark-compatible flags frame by frame on recorded loss and reordering (test/baselines)', () => {
  for (const name of ['lossy-transfer.pcap', 'reorder.pcap', 'rough-transfer.pcap', 'rough-path.pcap']) {
    it(`${name}: the same flags on the same frames as tshark`, async () => {
      const want = new Map(readFileSync(join(ROOT, 'test', 'baselines', `${name}.flags.tsv`), 'utf8').trim().split('\n')
        .filter(Boolean).map((l) => { const [f, ks] = l.split('\t'); return [Number(f), ks.split(',').sort()] as const; }));
      const got = perFrame(await flags(join(FIXTURES, name)));
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
      expect(want.size).toBeGreaterThan(300);
    });
  }
});

describe('a spurious retransmission names the acknowledgment that already covered it', () => {
  it('rough-transfer.pcap frame 27: the client acknowledged 5793 in frame 24 (and again in 26) before the server re-sent 2897–4345', async () => {
    const a = await analyzeCapture(join(FIXTURES, 'rough-transfer.pcap'));
    const x = a.anomalies.find((y) => y.frame === 27 && y.kind === 'spurious-retransmission')!;
    expect(x.message).toBe('Server 10.77.0.2:8080 re-sent 1448 byte(s) at relative seq 2897 that client 10.77.0.1:39776 had already acknowledged (ack 5793, first in frame 24).');
    expect(x.data).toMatchObject({ relSeq: 2897, len: 1448, ackedUpTo: 5793, ackFrame: 24 });
  });

  it.skipIf(!CORPUS_PRESENT)('cip-span-duplicates.pcap frame 1606, both lost-segment and spurious as in tshark: each message keeps its own figures', async () => {
    const a = await analyzeCapture(join(CORPUS_DIR, 'cip-span-duplicates.pcap'));
    const at = a.anomalies.filter((y) => y.frame === 1606).map((y) => [y.kind, y.message]);
    expect(at).toContainEqual(['previous-segment-lost', "Server 10.200.1.18:2430's sequence jumps from 22447 to 22563: 116 byte(s) in between were not captured."]);
    expect(at).toContainEqual(['spurious-retransmission', 'Server 10.200.1.18:2430 re-sent 58 byte(s) at relative seq 22563 that client 10.50.1.54:44818 had already acknowledged (ack 22621, first in frame 1604).']);
  });
});

describe.skipIf(!CORPUS_PRESENT)('the Wireshark filter of each kind', () => {
  const fieldOf = new Map(WIRESHARK_KINDS.map((k) => [k.id, k.field]));
  /** Whether a frame carrying these tshark fields passes a filter of terms joined by `&&`, each `field` or `!field`. */
  const passes = (filter: string, fields: ReadonlySet<string>) => filter.split(' && ').every((t) => (t.startsWith('!') ? !fields.has(t.slice(1)) : fields.has(t)));

  it('selects, on tshark\'s own flags of each frame, exactly the frames synfin gives that kind (test/baselines)', async () => {
    let checked = 0;
    for (const name of ['http-206-zerowin-retrans.pcap', 'mix-126-streams-keepalive.pcap', 'sack-fast-retrans-snaplen.pcap', 'rst-inject-port-reuse.pcap', 'qinq-pppoe-retrans.pcap']) {
      const tshark = readFileSync(join(ROOT, 'test', 'baselines', `${name}.flags.tsv`), 'utf8').trim().split('\n').filter(Boolean)
        .map((l) => { const [f, ids] = l.split('\t'); return [Number(f), new Set(ids.split(',').map((id) => fieldOf.get(id)!))] as const; });
      const R = (await flags(join(CORPUS_DIR, name))).records;
      for (const k of WIRESHARK_KINDS) {
        const filter = wiresharkFilterOf(k.id)!;
        const want: number[] = [];
        for (let n = 0; n < R.length; n++) if (R.bit(n) === k.bit) want.push(R.frame(n));
        want.sort((x, y) => x - y);
        const got = tshark.filter(([, fields]) => passes(filter, fields)).map(([f]) => f);
        expect(got, `${name} ${k.id}: ${filter}`).toEqual(want);
        checked += want.length;
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(wiresharkFilterOf('close-wait-stuck')).toBeNull();
  });
});

describe.skipIf(!CORPUS_PRESENT)('duplicate-frame against the frames tshark shows twice', () => {
  for (const name of ['cip-span-duplicates.pcap', 'pcap-be-usec-pptp-gre.pcap']) {
    it(`${name}: every copy within 1 ms, and nothing else (test/baselines)`, async () => {
      const want = readFileSync(join(ROOT, 'test', 'baselines', `${name}.dups.tsv`), 'utf8').trim().split('\n').filter(Boolean).map(Number);
      const a = await analyzeCapture(join(CORPUS_DIR, name));
      const got = a.anomalies.filter((x) => x.kind === 'duplicate-frame').map((x) => x.frame);
      expect(got).toEqual(want);
      expect(want.length).toBeGreaterThan(0);
    });
  }
});

describe.skipIf(!CORPUS_PRESENT)('invalid-rst: RSTs their receiver must ignore', () => {
  const rsts = async (name: string) => (await analyzeCapture(join(CORPUS_DIR, name))).anomalies
    .filter((x) => x.kind === 'invalid-rst' || x.kind === 'reset').map((x) => [x.frame, x.kind, x.variant]);

  it('rst-inject-port-reuse.pcap: an injected RST+ACK acknowledging the SYN itself, not ISN + 1', async () => {
    // frame 2 acks 1569339004, the SYN's own sequence number; the server's RST of frame 7 is a real abort
    expect(await rsts('rst-inject-port-reuse.pcap')).toEqual([[2, 'invalid-rst', 'unacceptable-ack'], [7, 'reset', 'abort']]);
  });

  it('pcapng-dsb-tls.pcapng: two RSTs at the FIN\'s own sequence number, after the server acknowledged the FIN', async () => {
    // the client's FIN took seq 911, the server acknowledged 912 (frame 273): RSTs at 911 answer server segments sent before
    // that FIN arrived (they ack 911), and are ignored; the one at 912 ends it
    expect(await rsts('pcapng-dsb-tls.pcapng')).toEqual([[274, 'invalid-rst', 'crossed-fin'], [275, 'invalid-rst', 'crossed-fin'], [276, 'reset', 'after-fin']]);
  });
});

describe('Wireshark-compatible flags on the recorded scenarios', () => {
  for (const { truth, capture } of recordedFixtures()) {
    it(`${truth.scenario}: frames per flag equal tshark's`, async () => {
      const ours = (await flags(capture)).tsharkCounts();
      expect(Object.fromEntries(Object.keys(truth.tshark.analysisFlags).map((k) => [k, ours[k]]))).toEqual(truth.tshark.analysisFlags);
    });
  }
});

describe('flag records', () => {
  const record = (fields: Partial<FlagRecord>): FlagRecord => Object.assign(new FlagRecord(), fields);

  it('say how long after the newest segment an out-of-order one came: microseconds below a millisecond', () => {
    const name = (i: 0 | 1) => (i === 0 ? 'client 10.0.0.1:5000' : 'server 10.0.0.2:80');
    const say = (delta: number) => flagAnomaly(record({ bit: F_OUT_OF_ORDER, frame: 9, from: 1, relSeq: 100, relNext: 300, len: 100, delta }), 0, name).message;
    expect(say(0.0277)).toBe('Server 10.0.0.2:80\'s segment at relative seq 100 arrived 27.7 ms after a later one (relative seq up to 300), too soon to be a retransmission.');
    expect(say(0.0000123)).toMatch(/ arrived 12 µs after a later one /);
    expect(say(0)).toMatch(/ arrived 0 µs after /);
    expect(say(0.001)).toMatch(/ arrived 1\.0 ms after /);
  });

  it('keep every field, unsigned 32-bit numbers and the packed states, sender and TCP flags included', () => {
    const list = new FlagList();
    const high = record({
      bit: 1 << 17, frame: 2 ** 31 - 1, stream: 123_456, from: 1, s0: 10 + 16, s1: 7, len: 65_535,
      relSeq: 0xffffffff, relAck: 0x80000000, relNext: 0xfffffffe, nextFrame: 99, dupNum: 3, dupFrame: 98,
      window: 0xffff, prevWindow: 0xffffffff, peerWindow: 0x80000001, delta: Infinity, flags: 0xfff,
    });
    const low = record({ bit: 1, frame: 1, stream: 0, from: 0, s0: 0, s1: 26, delta: 0.000001, flags: 0x010 });
    list.push(high);
    list.push(low);
    expect(list.length).toBe(2);
    expect(list.get(0)).toEqual(high);
    expect(list.get(1)).toEqual(low);
    expect([list.bit(0), list.frame(0), list.stream(0)]).toEqual([1 << 17, 2 ** 31 - 1, 123_456]);
  });

  it('move to the spool file past the resident chunks, and read back the same, in order and out of it', () => {
    const list = new FlagList({ chunkRecords: 8, residentChunks: 2 });
    const n = 8 * 7 + 3;
    const make = (k: number) => record({
      bit: 1 << (k % 18), frame: 1000 + k, stream: k >> 2, from: (k & 1) as 0 | 1, s0: k % 27, s1: (k * 7) % 27,
      len: k * 13, relSeq: (0xffffff00 + k) >>> 0, relAck: k * 1009, delta: k / 7, flags: k & 0xfff,
    });
    for (let k = 0; k < n; k++) list.push(make(k));
    expect(list.spooled).toBe(true);
    expect(list.length).toBe(n);
    expect([...list]).toEqual(Array.from({ length: n }, (_, k) => make(k)));
    // the readers interleave (the record and the next one's frame) and sometimes jump back
    for (const k of [58, 0, 57, 9, 8, 17, 1, 40, 2, 58]) {
      expect(list.get(k)).toEqual(make(k));
      expect([list.bit(k), list.frame(k), list.stream(k)]).toEqual([1 << (k % 18), 1000 + k, k >> 2]);
    }
  });

  it('stay in memory while they fit', () => {
    const list = new FlagList({ chunkRecords: 8, residentChunks: 2 });
    for (let k = 0; k < 16; k++) list.push(record({ frame: k + 1 }));
    expect(list.spooled).toBe(false);
    list.push(record({ frame: 17 }));
    expect(list.spooled).toBe(true);
    expect(Array.from({ length: 17 }, (_, k) => list.frame(k))).toEqual(Array.from({ length: 17 }, (_, k) => k + 1));
  });

  it('give each finding both endpoints\' states and its figures (a retransmitted FIN in LAST_ACK)', async () => {
    const a = await analyzeCapture(join(FIXTURES, 'missing-final-ack.pcap'));
    const retransmissions = a.anomalies.filter((x) => x.kind === 'retransmission');
    expect(retransmissions.map((x) => x.frame)).toEqual([16, 17, 18, 19, 20]);
    for (const x of retransmissions) {
      expect(x.direction).toBe('s2c');
      expect(x.states).toEqual({ client: 'TIME_WAIT', server: 'LAST_ACK' });
      expect(x.data).toEqual({ relSeq: 3068, len: 0, highestSeq: 3069, highestFrame: 15 });
    }
  });
});

describe('collectAfterTracking', () => {
  it('frees the garbage tracking left behind, without exposing gc to the program', async () => {
    const { getHeapStatistics } = await import('node:v8');
    const { collectAfterTracking } = await import('../src/analysis/heap.js');
    let junk: Array<{ k: number; v: number[] }> | null = [];
    for (let k = 0; k < 600_000; k++) junk.push({ k, v: [k, k + 1] });
    const before = getHeapStatistics().used_heap_size;
    expect(before).toBeGreaterThan(48 << 20);
    junk = null;
    collectAfterTracking();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - (32 << 20));
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});

describe('CLOSE_WAIT figures', () => {
  it('takes the ages of 300,000 stuck connections (a real leak), not only as many as fit in a call\'s arguments', () => {
    const ages = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_000 / 10);
    const cw: EndpointLeaks['closeWait'] = { count: 0, atEnd: 0, unseen: 0, oldestAge: null, oldestSince: null, minAge: null, medianAge: null, maxAge: null, share: 0, peers: [] };
    closeWaitFigures(cw, ages, new Map([['10.0.0.9', 200_000], ['10.0.0.8', 100_000]]), 600_000);
    expect(cw).toMatchObject({ count: 300_000, oldestAge: 29999.9, maxAge: 29999.9, share: 0.5, peers: ['10.0.0.9', '10.0.0.8'] });
    expect(cw.medianAge).toBeCloseTo(15000, 0);
  });
});
