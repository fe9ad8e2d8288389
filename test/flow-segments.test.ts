import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../src/analysis/analyze.js';
import { FrameIndex } from '../src/analysis/frame-index.js';
import { flowSegments } from '../src/analysis/flow-segments.js';
import { transitionsOut } from '../src/analysis/flows.js';
import { CORPUS_DIR, CORPUS_PRESENT } from './helpers/corpus.js';
import { concat, ether, ipv4, ng, pcapFile, tcp, tmpFile } from './helpers/pcap-writer.js';
import { FIXTURES } from './helpers/fixtures.js';

const captures = (dir: string) => readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort().map((f) => join(dir, f));

/**
 * Every flow read back from its stretch of the file gives the rows of a full pass over the file, and every
 * transition the analysis of the whole file records for it, those no segment of its own carries too.
 */
async function sameRows(file: string, maxFlows = Infinity): Promise<{ readBack: number; fullPass: number }> {
  const index = new FrameIndex();
  const a = await analyzeCapture(file, { frames: index, onHeaderBlock: index.headerBlock, transitions: true });
  const tw = a.thresholds.timeWaitLen;
  let readBack = 0, fullPass = 0;
  for (let id = 0; id < Math.min(a.set.count, maxFlows); id++) {
    const fast = await flowSegments(file, id, tw, index, a.set);
    const slow = await flowSegments(file, id, tw, null, a.set);
    expect(slow.via).toBe('full-pass');
    expect(fast.rows, `${file} flow ${id}`).toEqual(slow.rows);
    expect(fast.transitions, `${file} flow ${id}`).toEqual(slow.transitions);
    expect(transitionsOut(fast.transitions, a.set.clientIndex(id)), `${file} flow ${id}`).toEqual(a.set.flow(id).transitions);
    if (fast.via === 'span') readBack++; else fullPass++;
  }
  return { readBack, fullPass };
}

describe('reading one flow again from its stretch of the file', () => {
  it('gives the same ladder rows as a full pass, for every flow of every fixture', async () => {
    let fullPass = 0;
    for (const file of [...captures(FIXTURES), ...captures(join(FIXTURES, 'synthetic'))]) fullPass += (await sameRows(file)).fullPass;
    expect(fullPass).toBe(0); // no fixture has IP fragments: every flow is read back
  });

  it.skipIf(!CORPUS_PRESENT)('gives the same rows on the shared corpus (IP fragments fall back to a full pass)', async () => {
    let fullPass = 0;
    for (const file of captures(CORPUS_DIR)) {
      try { fullPass += (await sameRows(file, 40)).fullPass; } catch (e) { if ((e as Error).name !== 'CaptureError') throw e; }
    }
    expect(fullPass).toBeGreaterThan(0);
  }, 300_000);

  it('reads back a flow whose records span pcapng sections of either byte order, numbered as in a full read', async () => {
    const seg = (c2s: boolean, sport: number, flags: number, seq: number, ack: number) => ether(0x0800, ipv4({
      src: c2s ? '10.0.0.1' : '10.0.0.2', dst: c2s ? '10.0.0.2' : '10.0.0.1',
      payload: tcp(c2s ? { sport, dport: 80, flags, seq, ack } : { sport: 80, dport: sport, flags, seq, ack }),
    }));
    const SYN = 0x02, ACK = 0x10;
    const file = tmpFile('sections.pcapng', concat(
      ng.shb(true), ng.idb(true, 1),
      ng.epb(true, 0, 0, 1_000_000, seg(true, 40000, SYN, 100, 0)), // frame 1: flow 0
      ng.epb(true, 0, 0, 1_000_100, seg(true, 40001, SYN, 500, 0)), // frame 2: flow 1
      ng.custom(true), // frame 3: a record without a packet still takes a frame number
      ng.shb(false), ng.idb(false, 101), ng.idb(false, 1), // a big-endian section; Ethernet is interface 1
      ng.epb(false, 1, 0, 1_000_200, seg(false, 40000, SYN | ACK, 900, 101)), // frame 4
      ng.epb(false, 1, 0, 1_000_300, seg(false, 40001, SYN | ACK, 700, 501)), // frame 5
      ng.isb(false, 1),
      ng.epb(false, 1, 0, 1_000_400, seg(true, 40000, ACK, 101, 901)), // frame 6
      ng.shb(true), ng.idb(true, 1),
      ng.epb(true, 0, 0, 1_000_500, seg(true, 40001, ACK, 501, 701)), // frame 7
      ng.epb(true, 0, 0, 1_000_600, seg(true, 40000, SYN, 5000, 0)), // frame 8: a new connection on flow 0's ports
    ));
    const index = new FrameIndex();
    const a = await analyzeCapture(file, { frames: index, onHeaderBlock: index.headerBlock, transitions: true });
    expect(a.set.count).toBe(3);
    for (const [id, frames] of [[0, [1, 4, 6]], [1, [2, 5, 7]]] as const) {
      const back = await flowSegments(file, id, 60, index, a.set);
      expect(back.via).toBe('span');
      expect(back.rows.map((r) => r.frame)).toEqual(frames);
      expect(back.rows.at(-1)!.states.map((x) => x.state)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
      expect(back.rows).toEqual((await flowSegments(file, id, 60, null, a.set)).rows);
      expect(transitionsOut(back.transitions, a.set.clientIndex(id))).toEqual(a.set.flow(id).transitions);
    }
    // flow 0 ends at frame 8, a record of flow 2 read after its stretch
    expect(a.set.flow(0).transitions!.slice(-2).map((t) => `${t.frame} ${t.endpoint} ${t.event}`)).toEqual(['8 client ABORT', '8 server ABORT']);
  });

  it('starts the clock where the whole file had it: a frame before the flow whose timestamp runs ahead', async () => {
    // frame 1, of another connection, is dated 100 s later than the rest (timestamps that go backwards,
    // as a merged or multi-interface capture has them); by its clock, flow 1 is over and released by the
    // time its server re-sends its FIN, a late segment that changes nothing
    const seg = (c2s: boolean, sport: number, flags: number, seq: number, ack: number) => ether(0x0800, ipv4({
      src: c2s ? '10.0.0.1' : '10.0.0.2', dst: c2s ? '10.0.0.2' : '10.0.0.1',
      payload: tcp(c2s ? { sport, dport: 80, flags, seq, ack } : { sport: 80, dport: sport, flags, seq, ack }),
    }));
    const SYN = 0x02, ACK = 0x10, FIN = 0x01;
    const at = (ms: number, data: Uint8Array) => ({ sec: 1_700_000_000, frac: ms * 1000, data });
    const file = tmpFile('clock-ahead.pcap', pcapFile({}, [
      { sec: 1_700_000_100, data: seg(true, 50000, SYN, 1, 0) },
      at(1, seg(true, 40000, SYN, 100, 0)), at(2, seg(false, 40000, SYN | ACK, 900, 101)), at(3, seg(true, 40000, ACK, 101, 901)),
      at(4, seg(true, 40000, FIN | ACK, 101, 901)), at(5, seg(false, 40000, ACK, 901, 102)),
      at(6, seg(false, 40000, FIN | ACK, 901, 102)), at(7, seg(true, 40000, ACK, 102, 902)),
      at(900, seg(false, 40000, FIN | ACK, 901, 102)), // frame 9: the server's FIN again
    ]));
    const index = new FrameIndex();
    const a = await analyzeCapture(file, { frames: index, onHeaderBlock: index.headerBlock, transitions: true });
    const back = await flowSegments(file, 1, 60, index, a.set);
    expect(back.via).toBe('span');
    expect(back.rows).toEqual((await flowSegments(file, 1, 60, null, a.set)).rows);
    expect(transitionsOut(back.transitions, a.set.clientIndex(1))).toEqual(a.set.flow(1).transitions);
    const late = back.rows.at(-1)!;
    expect([late.frame, late.transitions]).toEqual([9, []]);
    // (and by the end of the capture, 100 s on, the client's TIME_WAIT has run out)
    expect(a.set.flow(1).transitions!.at(-1)).toMatchObject({ frame: null, endpoint: 'client', event: 'TIMEOUT_TW' });
  });

  it('passes over a header cut too short for a stream, as the analysis does', async () => {
    const seg = (c2s: boolean, flags: number, seq: number, ack: number) => ether(0x0800, ipv4({
      src: c2s ? '10.0.0.1' : '10.0.0.2', dst: c2s ? '10.0.0.2' : '10.0.0.1',
      payload: tcp(c2s ? { sport: 40000, dport: 80, flags, seq, ack } : { sport: 80, dport: 40000, flags, seq, ack }),
    }));
    const SYN = 0x02, ACK = 0x10;
    const cut = seg(true, ACK, 101, 901);
    const file = tmpFile('cut-header.pcap', pcapFile({ snaplen: 46 }, [
      { data: seg(true, SYN, 100, 0) }, { data: seg(false, SYN | ACK, 900, 101) },
      { data: cut.subarray(0, 14 + 20 + 12), origlen: cut.length }, // 12 TCP bytes: no stream (reference §2.1)
      { data: seg(true, ACK, 101, 901) },
    ]));
    const index = new FrameIndex();
    const a = await analyzeCapture(file, { frames: index, onHeaderBlock: index.headerBlock });
    expect(index.records(0)).toMatchObject({ firstFrame: 1, lastFrame: 4, count: 3 });
    const back = await flowSegments(file, 0, 60, index, a.set);
    expect(back.via).toBe('span');
    expect(back.rows.map((r) => r.frame)).toEqual([1, 2, 4]);
  });

  it('keeps a few numbers per flow, nothing per packet', async () => {
    const sizeFor = async (name: string) => {
      const index = new FrameIndex();
      await analyzeCapture(join(FIXTURES, name), { frames: index, onHeaderBlock: index.headerBlock });
      return index;
    };
    const small = await sizeFor('http-close-client-first.pcap'); // 1 flow, 14 segments
    const long = await sizeFor('lossy-transfer.pcap'); // 1 flow, over 2,000 segments
    expect(long.size).toBeGreaterThan(100 * small.size);
    expect(long.bytes).toBe(small.bytes);
    expect(long.records(0)).toMatchObject({ firstFrame: 3, count: long.size, reassembled: false });
    expect(long.records(1)).toBeNull();
  });

  it('records the pcapng section and interface blocks', async () => {
    const index = new FrameIndex();
    await analyzeCapture(join(FIXTURES, 'dumpcap-two-interfaces.pcapng'), { frames: index, onHeaderBlock: index.headerBlock });
    expect(index.headerBlocks.length).toBe(2 * 3); // one SHB, two IDBs
    expect(index.headerBlocks[0]).toBe(0);
  });
});
