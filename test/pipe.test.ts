/**
 * The segment pipe (src/analysis/pipe.ts): a large capture is read and decoded by a worker thread.
 * Every decoded field must survive the trip through shared memory, and an analysis read through
 * the pipe must equal the same analysis read in the calling thread: stats, warnings, flows with
 * transitions, findings and aggregates, on every fixture and corpus file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as AnalyzeModule from '../src/analysis/analyze.js';
import type * as FlowsModule from '../src/analysis/flows.js';
import type * as FlowSegmentsModule from '../src/analysis/flow-segments.js';
import type * as FrameIndexModule from '../src/analysis/frame-index.js';
import type * as PrewarmModule from '../src/analysis/prewarm.js';
import { YOUNG_GENERATION_HOLD_BYTES } from '../src/analysis/heap.js';
import { SLOT_WORDS, SlotWriter, readSlot } from '../src/analysis/pipe.js';
import { captureStats } from '../src/analysis/stats.js';
import { CaptureError } from '../src/capture/frame.js';
import { Segment } from '../src/decode/segment.js';
import { StreamAssignment } from '../src/tcp/stream-assigner.js';
import { CORPUS_DIR, CORPUS_PRESENT, ROOT, corpusExpected } from './helpers/corpus.js';
import { FIXTURES, recordedFixtures } from './helpers/fixtures.js';
import { testDir } from './helpers/tmp.js';

const files = [
  ...recordedFixtures().map((f) => f.capture),
  ...readdirSync(join(FIXTURES, 'synthetic')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(FIXTURES, 'synthetic', f)),
  ...(CORPUS_PRESENT ? Object.keys(corpusExpected()).map((f) => join(CORPUS_DIR, f)) : []),
];

/** Fields the reading thread reads itself and does not send (the VLAN and link-layer checks, see LinkCheck). */
const NOT_SENT = new Set(['vlan', 'linkSrc']);

/** Every field a decoder sets that the pipe carries, as plain data. */
function fields(s: Segment): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(s) as Array<keyof Segment>) {
    if (NOT_SENT.has(k)) continue;
    const v = s[k];
    o[k] = v instanceof Uint32Array ? Array.from(v) : v;
  }
  return o;
}

/**
 * Read `file`, write every frame clock and segment into slot records (slim ones when `slim`), read them
 * back into `back`, and check that `project` sees the same on both sides. Returns the segments checked.
 */
async function roundTrip(file: string, slim: boolean, back: Segment, project: (s: Segment) => unknown): Promise<number> {
  const direct: unknown[] = [];
  const piped: unknown[] = [];
  let checked = 0;
  const out = new SlotWriter(new Int32Array(SLOT_WORDS));
  out.slim = slim;
  const replay = { clock: (sec: number, nsec: number) => piped.push(['clock', sec, nsec]), onSegment: (s: Segment) => piped.push(project(s)) };
  const flush = () => { out.writeClock(); readSlot(out.w, out.pos, back, replay); out.pos = 0; };
  await captureStats(file, {}, {
    clock(sec, nsec) { direct.push(['clock', sec, nsec]); if (out.full) flush(); out.clock(sec, nsec); },
    onSegment(s) { direct.push(project(s)); if (out.full) flush(); out.segment(s); checked++; },
  });
  flush();
  expect(piped, file).toEqual(direct);
  return checked;
}

describe('segment records', () => {
  it('carry every field of every segment and every frame clock, in order', async () => {
    let checked = 0;
    for (const file of files) checked += await roundTrip(file, false, new Segment(), fields);
    // the fixtures alone hold about 4,700 segments; with the corpus, over 10,000
    expect(checked).toBeGreaterThan(CORPUS_PRESENT ? 10_000 : 4_000);
  });

  it('slim ones carry every field but those connection tracking never reads, and leave those as they were', async () => {
    const NOT_SLIM = ['fileOffset', 'ipId', 'urgent', 'headerLength', 'checksumField', 'tfo', 'mptcpSubtypes', 'tsVal', 'tsEcr'];
    const back = new Segment();
    back.ipId = 4242; back.tsVal = 77;
    const project = (x: Segment) => {
      const o = fields(x);
      // (read back, the fields left out keep what the segment held)
      if (x === back) expect([x.ipId, x.tsVal]).toEqual([4242, 77]);
      for (const k of NOT_SLIM) delete o[k];
      return o;
    };
    let checked = 0;
    for (const file of files) checked += await roundTrip(file, true, back, project);
    expect(checked).toBeGreaterThan(4_000);
  });

  it('keep timestamps and file offsets beyond 32 bits, IPv6 addresses and four SACK blocks', () => {
    const s = new Segment();
    s.frame = 7; s.tsSec = 2 ** 33 + 5; s.tsNsec = 999_999_999; s.fileOffset = 5 * 2 ** 32 + 17; s.frameLen = 9000;
    s.ipVersion = 6; s.src.set([1, 0xffffffff, 3, 4]); s.dst.set([0x80000000, 6, 7, 8]);
    s.seq = 0xfffffff0; s.ack = 0x80000001; s.flags = 0x1ff; s.window = 0xffff; s.urgent = 0xffff; s.headerLength = 60;
    s.sackCount = 4; s.sack.set([1, 2, 0xffffffff, 4, 5, 6, 7, 0x80000000]);
    s.tsVal = 0xfffffffe; s.tsEcr = 1; s.ipDepth = 3; s.checksum = 2; s.checksumField = 0xffff; s.quoted = true;
    s.mss = 65535; s.wscale = 14; s.tfo = 16; s.mptcp = true; s.mptcpSubtypes = 1 << 8; s.sackPermitted = true;
    s.hasTimestamps = true; s.optionsCut = true; s.optionsMalformed = true; s.reassembled = true; s.headerValid = true;
    s.srcPort = 65535; s.dstPort = 1; s.payloadLength = 1 << 20; s.captured = 1 << 16; s.ipId = -1; s.icmpType = 255; s.icmpCode = 0;
    const out = new SlotWriter(new Int32Array(SLOT_WORDS));
    out.clock(s.tsSec, s.tsNsec);
    out.segment(s);
    out.clock(2 ** 32 - 1, 1); // a frame without a segment
    out.writeClock();
    const calls: unknown[] = [];
    const back = new Segment();
    readSlot(out.w, out.pos, back, { clock: (a, b) => calls.push([a, b]), onSegment: (x) => calls.push(fields(x)) });
    expect(calls).toEqual([[s.tsSec, s.tsNsec], fields(s), [2 ** 32 - 1, 1]]);
  });

  it('carry the Wireshark flags the reading thread computed, with their figures, and none when it did not', () => {
    const s = new Segment();
    s.frame = 3; s.seq = 1; s.srcPort = 80; s.dstPort = 9; s.captured = 20;
    s.wsFlags = 0x3ffff;
    s.wsFigures.set([0xffffffff, 0x80000000, 2, 3, 2 ** 31 - 1, 7, 6, 0xffffffff, 0, 1234567.000000125]);
    const out = new SlotWriter(new Int32Array(SLOT_WORDS));
    out.segment(s);
    s.wsFlags = 0; // computed, none set: no figures travel
    out.segment(s);
    s.wsFlags = -1; // not computed
    out.segment(s);
    const got: Array<[number, number[]]> = [];
    const back = new Segment();
    readSlot(out.w, out.pos, back, { clock: () => undefined, onSegment: (x) => got.push([x.wsFlags, Array.from(x.wsFigures)]) });
    expect(got.map((g) => g[0])).toEqual([0x3ffff, 0, -1]);
    expect(got[0][1]).toEqual([0xffffffff, 0x80000000, 2, 3, 2 ** 31 - 1, 7, 6, 0xffffffff, 0, 1234567.000000125]);
  });

  it('carry the stream the reading thread assigned, with the bases when they changed', () => {
    const s = new Segment();
    s.frame = 3; s.captured = 20;
    const a = new StreamAssignment();
    Object.assign(a, { stream: 2 ** 31 - 1, previous: -1, d: 1, reuse: 2, sameIsnSyn: true, basesChanged: true, base0: 0xffffffff, base1: 0x80000000, baseBits: 3 });
    s.assignment = a;
    const out = new SlotWriter(new Int32Array(SLOT_WORDS));
    out.segment(s);
    const b = new StreamAssignment();
    Object.assign(b, { stream: 5, previous: 5, d: 0, reuse: 0, sameIsnSyn: false, basesChanged: false, base0: 0, base1: 0, baseBits: 1 });
    s.assignment = b;
    out.segment(s);
    s.assignment = null;
    out.segment(s);
    const got: unknown[] = [];
    readSlot(out.w, out.pos, new Segment(), { clock: () => undefined, onSegment: (x) => got.push(x.assignment === null ? null : { ...x.assignment }) });
    expect(got[0]).toEqual({ ...a });
    expect(got[1]).toMatchObject({ stream: 5, previous: 5, d: 0, reuse: 0, sameIsnSyn: false, basesChanged: false, baseBits: 1 });
    expect(got[2]).toBeNull();
  });
});

// The worker runs the built JavaScript: these tests load the analysis from dist/ (built by `npm test`).
const distAnalyze = join(ROOT, 'dist', 'analysis', 'analyze.js');

async function report(mod: typeof AnalyzeModule, file: string, pipe: boolean) {
  const a = await mod.analyzeCapture(file, { transitions: true, pipe });
  return { stats: a.set.stats, flows: [...a.set.flows()], anomalies: a.anomalies, endpoints: a.endpoints, hosts: a.hosts };
}

describe('analysis through the reading thread', () => {
  for (const file of files) {
    it(file.slice(file.lastIndexOf('/') + 1), async () => {
      const mod = (await import(distAnalyze)) as typeof AnalyzeModule;
      expect(await report(mod, file, true)).toEqual(await report(mod, file, false));
    });
  }

  it('flows: tracking alone, from slim records, equals tracking in the calling thread on every file', async () => {
    const mod = (await import(join(ROOT, 'dist', 'analysis', 'flows.js'))) as typeof FlowsModule;
    for (const file of files) {
      const piped = await mod.flowsReport(file, { transitions: true, pipe: true });
      expect(piped, file).toEqual(await mod.flowsReport(file, { transitions: true, pipe: false }));
    }
  });

  it('computes the Wireshark flags on the reading thread for a hook that takes them, and only then', async () => {
    const flows = (await import(join(ROOT, 'dist', 'analysis', 'flows.js'))) as typeof FlowsModule;
    const file = join(FIXTURES, 'lossy-transfer.pcap');
    const seen = async (readerFlags: boolean, pipe: boolean): Promise<number[]> => {
      const got: number[] = [];
      const hook = { readerFlags, segment: (_st: unknown, _d: 0 | 1, seg: Segment) => { got.push(seg.wsFlags); }, replayed: () => undefined };
      await flows.trackCapture(file, { hook, pipe });
      return got;
    };
    const computed = await seen(true, true);
    expect(computed).toHaveLength(2111);
    expect(computed.every((f) => f >= 0)).toBe(true);
    expect(computed.filter((f) => f !== 0).length).toBeGreaterThan(400); // 456 findings, most of them window updates
    expect((await seen(false, true)).every((f) => f === -1)).toBe(true); // flows: the reading thread does no analysis
    expect((await seen(true, false)).every((f) => f === -1)).toBe(true); // read in the calling thread: the hook computes them
  });

  it('assigns every header its stream on the reading thread along with the flags, as the tracker would', async () => {
    const flows = (await import(join(ROOT, 'dist', 'analysis', 'flows.js'))) as typeof FlowsModule;
    for (const name of ['port-reuse.pcap', 'lossy-transfer.pcap']) {
      const file = join(FIXTURES, name);
      const ids = async (readerFlags: boolean): Promise<Array<[number, number | null]>> => {
        const got: Array<[number, number | null]> = [];
        const hook = { readerFlags, segment: (st: { id: number }, _d: 0 | 1, seg: Segment) => { got.push([st.id, seg.assignment?.stream ?? null]); }, replayed: () => undefined };
        await flows.trackCapture(file, { hook, pipe: true });
        return got;
      };
      const assigned = await ids(true);
      expect(assigned.length, name).toBeGreaterThan(0);
      expect(assigned.every(([id, a]) => id === a), name).toBe(true);
      expect((await ids(false)).every(([, a]) => a === null), name).toBe(true); // flows: the tracker numbers them
    }
  });

  it('serves the terminal UI: header blocks by message, the same flows read back, and a signal that stops it', async () => {
    const mod = (await import(distAnalyze)) as typeof AnalyzeModule;
    const { FrameIndex } = (await import(join(ROOT, 'dist', 'analysis', 'frame-index.js'))) as typeof FrameIndexModule;
    const { flowSegments } = (await import(join(ROOT, 'dist', 'analysis', 'flow-segments.js'))) as typeof FlowSegmentsModule;
    const file = join(FIXTURES, 'dumpcap-two-interfaces.pcapng');
    const load = async (pipe: boolean) => {
      const index = new FrameIndex();
      const progress: number[] = [];
      const a = await mod.analyzeCapture(file, {
        pipe, frames: index, onHeaderBlock: index.headerBlock, yieldEveryChunk: true, signal: new AbortController().signal,
        onProgress: (p) => progress.push(p.bytesRead),
      });
      return { a, index, progress };
    };
    const piped = await load(true), here = await load(false);
    expect(piped.index.headerBlocks).toEqual(here.index.headerBlocks);
    expect(piped.index.headerBlocks).toHaveLength(2 * 3); // one SHB, two IDBs
    expect(piped.progress.length).toBeGreaterThan(0);
    for (let id = 0; id < here.a.set.count; id++) {
      const x = await flowSegments(file, id, 60, piped.index, piped.a.set);
      expect(x.via).toBe('span');
      expect(x).toEqual(await flowSegments(file, id, 60, here.index, here.a.set));
    }
    // Ctrl-C while loading: the worker stops and the load fails as the UI expects
    const stop = new AbortController();
    stop.abort();
    await expect(mod.analyzeCapture(file, { pipe: true, signal: stop.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports a file that is not a capture exactly as the calling thread does', async () => {
    const mod = (await import(distAnalyze)) as typeof AnalyzeModule;
    const bad = join(ROOT, 'dist', 'pipe-test-not-a-capture.txt');
    writeFileSync(bad, 'this is not a capture file, just some text long enough to sniff\n'.repeat(20));
    const errs: unknown[] = [];
    for (const pipe of [true, false]) await mod.analyzeCapture(bad, { pipe }).catch((e: unknown) => errs.push(e));
    expect(errs).toHaveLength(2);
    expect((errs[0] as Error).name).toBe('CaptureError');
    expect((errs[0] as CaptureError).message).toBe((errs[1] as CaptureError).message);
    expect((errs[0] as CaptureError).file).toBe((errs[1] as CaptureError).file);
  });
});

describe('the reading worker started ahead of need (prewarm.ts)', () => {
  // a sparse file: large by its size, which is all the guess looks at, and no disk space
  // (under the run's directory, removed when the run ends even if a filter skips these tests)
  const dir = testDir('synfin-prewarm-');
  const large = join(dir, 'large.pcap');
  writeFileSync(large, '');
  truncateSync(large, 40 << 20);
  const distPrewarm = join(ROOT, 'dist', 'analysis', 'prewarm.js');

  it('starts for the tracking commands on a large file, and not for other commands or small files', async () => {
    const m = (await import(distPrewarm)) as typeof PrewarmModule;
    const started = (args: string[]): boolean => {
      m.prewarmPipe(args);
      const w = m.takeWarmWorker();
      void w?.terminate();
      return w !== null;
    };
    expect([['flows', large], [large], ['analyze', '--json', large], ['leaks', '-q', large], ['flow', large, '3'], ['tui', large], ['analyze', '--tui', large]].map(started))
      .toEqual([true, true, true, true, true, true, true]);
    expect([['stats', large], ['grade', large], ['flows', files[0]], ['flows', join(dir, 'absent.pcap')], []].map(started))
      .toEqual([false, false, false, false, false]);
  });

  it('reads the capture it is then given exactly as the calling thread does', async () => {
    const m = (await import(distPrewarm)) as typeof PrewarmModule;
    const mod = (await import(distAnalyze)) as typeof AnalyzeModule;
    const file = files[0];
    m.prewarmPipe(['analyze', large]);
    const piped = await report(mod, file, true);
    expect(m.takeWarmWorker()).toBeNull(); // the pipe took it
    expect(piped).toEqual(await report(mod, file, false));
  });

  it('never keeps the process alive when nothing takes it', () => {
    // (a script file: workers inherit node's flags, and --input-type would stop the worker at once)
    const script = join(dir, 'prewarm-only.mjs');
    writeFileSync(script, `const m = await import(${JSON.stringify(pathToFileURL(distPrewarm).href)});
m.prewarmPipe(['flows', ${JSON.stringify(large)}]);
// the worker must still be waiting when the script ends
setTimeout(() => {
  const w = m.takeWarmWorker();
  if (w === null) process.exitCode = 9;
  else void w.terminate().then(() => m.prewarmPipe(['flows', ${JSON.stringify(large)}]));
}, 300);
`);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
  });
});

describe('the young generation while tracking', () => {
  const distHeap = join(ROOT, 'dist', 'analysis', 'heap.js');
  const dir = testDir('synfin-young-');

  /** Largest young generation (MiB) of a child that starts a worker, then allocates with `hold` called as the pipe calls it. */
  function youngPeak(hold: boolean): number {
    const script = join(dir, `young-${hold}.mjs`);
    writeFileSync(script, `import { getHeapSpaceStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
const { holdYoungGeneration, youngGenerationFlagsReset } = await import(${JSON.stringify(pathToFileURL(distHeap).href)});
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let peak = 0;
const live = [];
// two captures in a row, each with its own worker (which sets the engine's flags back to their defaults);
// between them, as between two captures, the young objects of the first are gone
for (let capture = 0; capture < 2; capture++) {
  live.length = 0;
  const w = new Worker('setTimeout(() => {}, 50)', { eval: true });
  await new Promise((r) => w.once('online', r));
  ${hold ? 'youngGenerationFlagsReset();' : ''}
  for (let i = 0; i < 1e7; i++) {
    live.push({ i });
    if (live.length > 1e5) live.length = 0;
    if ((i & 0x3fff) === 0) { ${hold ? 'holdYoungGeneration(); ' : ''}peak = Math.max(peak, young()); }
  }
}
console.log(peak >> 20);
`);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    return Number(r.stdout.trim());
  }

  it('stops growing at the held size, where the engine alone lets it double twice more', () => {
    expect(youngPeak(false)).toBeGreaterThan(YOUNG_GENERATION_HOLD_BYTES >> 20);
    expect(youngPeak(true)).toBe(YOUNG_GENERATION_HOLD_BYTES >> 20);
  });
});
