import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../src/capture/frame.js';
import { readCapture } from '../src/capture/reader.js';
import { formatTs, unitsToTs, tsOut } from '../src/capture/time.js';
import { collect } from './helpers/collect.js';
import { concat, ether, ipv4, ng, pcapFile, tcp, tmpFile } from './helpers/pcap-writer.js';

const pkt = (seq: number) => ether(0x0800, ipv4({ payload: tcp({ seq, flags: 0x18, payload: new Uint8Array(10) }) }));

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nsec of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian ${nsec ? 'nanosecond' : 'microsecond'} records`, async () => {
        const f = tmpFile('a.pcap', pcapFile({ le, nsec }, [
          { sec: 1422527998, frac: nsec ? 578402281 : 578402, data: pkt(1) },
          { sec: 1422527999, frac: 1, data: pkt(2) },
        ]));
        const { frames, result, warnings } = await collect(f);
        expect(result.format).toBe(`pcap-${le ? 'le' : 'be'}-${nsec ? 'nsec' : 'usec'}`);
        expect(warnings).toEqual([]);
        expect(frames.map((x) => x.number)).toEqual([1, 2]);
        expect(formatTs(frames[0].tsSec, frames[0].tsNsec)).toBe(nsec ? '1422527998.578402281' : '1422527998.578402000');
        expect(frames[1].tsNsec).toBe(nsec ? 1 : 1000);
        expect(frames[0].seg?.seq).toBe(1);
        expect(frames[0].fileOffset).toBe(24);
      });
    }
  }

  it('reads the modified (Kuznetsov) variant with its 24-byte record headers', async () => {
    const f = tmpFile('m.pcap', pcapFile({ modified: true }, [{ data: pkt(7) }, { data: pkt(8) }]));
    const { frames, result } = await collect(f);
    expect(result.format).toBe('pcap-le-usec-modified');
    expect(frames.map((x) => x.seg?.seq)).toEqual([7, 8]);
  });

  it('masks the upper bits of the link type field (FCS length and flags)', async () => {
    const f = tmpFile('u.pcap', pcapFile({ rawLinktype: 0x30000001 }, [{ data: pkt(1) }]));
    const { result, frames } = await collect(f);
    expect(result.linktypes).toEqual([1]);
    expect(frames[0].kind).toBe(0);
  });

  it('a header-only file is a valid empty capture', async () => {
    const { result, frames, warnings } = await collect(tmpFile('e.pcap', pcapFile({}, [])));
    expect(frames).toEqual([]);
    expect(warnings).toEqual([]);
    expect(result.damaged).toBe(false);
  });

  it('warns once about records longer than the snaplen, and reads them', async () => {
    const f = tmpFile('s.pcap', pcapFile({ snaplen: 40 }, [{ data: pkt(1) }, { data: pkt(2) }]));
    const { frames, warnings, result } = await collect(f);
    expect(frames).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ frame: 1, offset: 24 });
    expect(warnings[0].message).toMatch(/2 record\(s\) captured more bytes than the file's snaplen of 40/);
    expect(result.damaged).toBe(false);
  });

  it('keeps original and captured lengths apart (snaplen-cut records)', async () => {
    const full = pkt(1);
    const f = tmpFile('c.pcap', pcapFile({ snaplen: 60 }, [{ data: full.subarray(0, 60), origlen: full.length }]));
    const { frames } = await collect(f);
    expect(frames[0].caplen).toBe(60);
    expect(frames[0].origlen).toBe(full.length);
    expect(frames[0].seg?.payloadLength).toBe(10); // from the IP length, not the captured bytes
  });
});

describe('damaged pcap', () => {
  const good = pcapFile({}, [{ data: pkt(1) }, { data: pkt(2) }, { data: pkt(3) }]);

  it('a file cut inside a record: earlier records read, a warning with offset and frame', async () => {
    const cut = good.subarray(0, good.length - 5);
    const { frames, warnings, result } = await collect(tmpFile('t.pcap', cut));
    expect(frames).toHaveLength(2);
    expect(result.damaged).toBe(true);
    const recordSize = 16 + pkt(1).length;
    expect(warnings[0]).toMatchObject({ frame: 3, offset: 24 + 2 * recordSize });
    expect(warnings[0].message).toMatch(/cut short in the middle of a record/);
  });

  it('a file cut inside a record header', async () => {
    const recordSize = 16 + pkt(1).length;
    const cut = good.subarray(0, 24 + recordSize + 7);
    const { frames, warnings } = await collect(tmpFile('t2.pcap', cut));
    expect(frames).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ frame: 2, offset: 24 + recordSize });
  });

  it('a file cut inside the file header', async () => {
    const { frames, warnings, result } = await collect(tmpFile('h.pcap', good.subarray(0, 10)));
    expect(frames).toHaveLength(0);
    expect(result.damaged).toBe(true);
    expect(warnings[0].message).toMatch(/inside the 24-byte pcap header/);
  });

  it('a record length over 262144 bytes ends reading at once, without buffering the rest', async () => {
    const bad = pcapFile({}, [{ data: pkt(1) }, { data: pkt(2), incl: 0x00ffffff }, { data: pkt(3) }]);
    const { frames, warnings, result } = await collect(tmpFile('b.pcap', bad));
    expect(frames).toHaveLength(1);
    expect(result.damaged).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ frame: 2, offset: 24 + 16 + pkt(1).length });
    expect(warnings[0].message).toMatch(/16777215 captured bytes, more than the 262144-byte maximum/);
  });

  it('not a capture: one error naming the file and what was found', async () => {
    const f = tmpFile('notes.pcap', new TextEncoder().encode('<!DOCTYPE html><html></html>'));
    await expect(readCapture(f, { onFrame() {}, onWarning() {} })).rejects.toThrow(CaptureError);
    await expect(readCapture(f, { onFrame() {}, onWarning() {} })).rejects.toThrow(/notes\.pcap: not a pcap or pcapng capture \(it starts with 3c 21 44 4f 43 54 59 50  "<!DOCTYP"\)/);
  });

  it('an empty file and a missing file are errors, not crashes', async () => {
    await expect(readCapture(tmpFile('z.pcap', new Uint8Array(0)), { onFrame() {}, onWarning() {} })).rejects.toThrow(/empty/);
    await expect(readCapture('/nonexistent/x.pcap', { onFrame() {}, onWarning() {} })).rejects.toThrow(/no such file/);
  });
});

describe('pcapng', () => {
  const data = pkt(5);

  it('sections with their own byte order; interface ids restart per section', async () => {
    const bytes = concat(
      ng.shb(true), ng.idb(true, 1), ng.epb(true, 0, 0, 1_000_000, data),
      ng.shb(false), ng.idb(false, 101), ng.idb(false, 1), ng.epb(false, 1, 0, 2_000_000, data), ng.epb(false, 0, 0, 3_000_000, data.subarray(14)),
      ng.shb(true), ng.idb(true, 0, { tsresol: 9 }), ng.epb(true, 0, 0, 4_000_000, concat(Uint8Array.from([2, 0, 0, 0]), data.subarray(14))),
    );
    const { frames, result, warnings } = await collect(tmpFile('m.pcapng', bytes));
    expect(warnings).toEqual([]);
    expect(result.format).toBe('pcapng-mixed');
    expect(result.linktypes).toEqual([1, 101, 0]);
    expect(frames.map((f) => [f.number, f.iface, f.linktype, f.tsSec, f.tsNsec])).toEqual([
      [1, 0, 1, 1, 0],
      [2, 2, 1, 2, 0],
      [3, 1, 101, 3, 0],
      [4, 3, 0, 0, 4_000_000],
    ]);
    expect(frames.every((f) => f.kind === 0)).toBe(true);
  });

  it('if_tsresol decimal and power of two, if_tsoffset, and 64-bit timestamps near 2^64', async () => {
    const bytes = concat(
      ng.shb(), ng.idb(true, 1, { tsresol: 0x88, tsoffset: 100 }), ng.idb(true, 1, { tsresol: 6 }),
      ng.epb(true, 0, 0, 256 * 10 + 128, data), // 10.5 s in units of 2^-8, + 100 s offset
      ng.epb(true, 1, 0xffffffff, 0xe1e04d8f, data), // 18446744073204.157839 s in µs
    );
    const { frames } = await collect(tmpFile('r.pcapng', bytes));
    expect(formatTs(frames[0].tsSec, frames[0].tsNsec)).toBe('110.500000000');
    expect(formatTs(frames[1].tsSec, frames[1].tsNsec)).toBe('18446744073204.157839000');
  });

  it('simple packet blocks take their length from the interface snaplen; obsolete packet blocks are read', async () => {
    const bytes = concat(ng.shb(), ng.idb(true, 1, { snaplen: 40 }), ng.spb(true, data.subarray(0, 40), data.length), ng.opb(true, 0, 0, 5, data));
    const { frames, result } = await collect(tmpFile('s.pcapng', bytes));
    expect(frames.map((f) => [f.caplen, f.origlen])).toEqual([[40, data.length], [data.length, data.length]]);
    expect(result.packets).toBe(2);
  });

  it('custom blocks use up a frame number but yield no packet; other blocks are skipped', async () => {
    const bytes = concat(ng.shb(), ng.idb(true, 1), ng.nrb(true), ng.custom(true), ng.epb(true, 0, 0, 0, data), ng.isb(true, 0), ng.custom(true, false), ng.epb(true, 0, 0, 0, data), ng.block(true, 0x12345, new Uint8Array(8)));
    const { frames, nonPacket, result } = await collect(tmpFile('c.pcapng', bytes));
    expect(nonPacket).toEqual([1, 3]);
    expect(frames.map((f) => f.number)).toEqual([2, 4]);
    expect(result.packets).toBe(2);
    expect(result.nonPacketRecords).toBe(2);
  });

  for (const le of [true, false]) {
    it(`interface statistics blocks give each interface's latest drop counters (${le ? 'LE' : 'BE'})`, async () => {
      const bytes = concat(ng.shb(le), ng.idb(le, 1), ng.idb(le, 1), ng.epb(le, 0, 0, 0, data),
        ng.isb(le, 1, { ifDrop: 3 }), ng.isb(le, 0), ng.isb(le, 1, { ifDrop: 7, osDrop: 2 }));
      const { result } = await collect(tmpFile(`isb-${le}.pcapng`, bytes));
      expect(result.parser.drops).toEqual([{ interface: 1, ifDrop: 7, osDrop: 2 }]);
    });
  }

  it('an interface without packets still counts among the link types', async () => {
    const bytes = concat(ng.shb(), ng.idb(true, 1), ng.idb(true, 113), ng.epb(true, 0, 0, 0, data));
    const { result } = await collect(tmpFile('i.pcapng', bytes));
    expect(result.linktypes).toEqual([1, 113]);
  });
});

describe('damaged pcapng', () => {
  const data = pkt(5);
  const head = concat(ng.shb(), ng.idb(true, 1));

  it('an unsupported section version is a warning and the end of reading', async () => {
    const bytes = concat(head, ng.epb(true, 0, 0, 0, data), ng.shb(true, 2, 0), ng.idb(true, 1), ng.epb(true, 0, 0, 0, data));
    const { frames, warnings, result } = await collect(tmpFile('v.pcapng', bytes));
    expect(frames).toHaveLength(1);
    expect(result.damaged).toBe(true);
    expect(warnings[0]).toMatchObject({ frame: 2, offset: head.length + ng.epb(true, 0, 0, 0, data).length });
    expect(warnings[0].message).toMatch(/unsupported pcapng version 2\.0/);
  });

  it('a trailing block length that differs from the leading one', async () => {
    const epb = ng.epb(true, 0, 0, 0, data);
    const bad = ng.block(true, 6, epb.subarray(8, epb.length - 4), undefined, 999);
    const { frames, warnings } = await collect(tmpFile('t.pcapng', concat(head, epb, bad)));
    expect(frames).toHaveLength(1);
    expect(warnings[0].message).toMatch(/trailing length 999 differs from its leading length/);
    expect(warnings[0].offset).toBe(head.length + epb.length);
  });

  it('a block length that is not a multiple of 4, or absurdly large', async () => {
    const epb = ng.epb(true, 0, 0, 0, data);
    for (const len of [13, 0x7ffffff0]) {
      const bad = ng.block(true, 6, epb.subarray(8, epb.length - 4), len);
      const { frames, warnings, result } = await collect(tmpFile('l.pcapng', concat(head, epb, bad, epb)));
      expect(frames).toHaveLength(1);
      expect(result.damaged).toBe(true);
      expect(warnings[0].frame).toBe(2);
    }
  });

  it('a file cut in the middle of a block', async () => {
    const bytes = concat(head, ng.epb(true, 0, 0, 0, data), ng.epb(true, 0, 0, 0, data));
    const { frames, warnings } = await collect(tmpFile('c.pcapng', bytes.subarray(0, bytes.length - 10)));
    expect(frames).toHaveLength(1);
    expect(warnings[0].message).toMatch(/cut short in the middle of a record/);
  });

  it('a packet on an interface the section never described', async () => {
    const { frames, warnings } = await collect(tmpFile('i.pcapng', concat(head, ng.epb(true, 3, 0, 0, data))));
    expect(frames).toHaveLength(0);
    expect(warnings[0].message).toMatch(/interface 3, but the section describes only 1/);
  });

  it('a captured length larger than its block', async () => {
    const { warnings } = await collect(tmpFile('x.pcapng', concat(head, ng.epb(true, 0, 0, 0, data, undefined, data.length + 100))));
    expect(warnings[0].message).toMatch(/its block holds only/);
  });
});

describe('streaming', () => {
  const records = Array.from({ length: 300 }, (_, i) => ({ sec: 1000 + i, data: pkt(i) }));
  const file = pcapFile({}, records);

  it('gives the same frames whatever the chunk size (records straddle chunk boundaries)', async () => {
    const f = tmpFile('big.pcap', file);
    const whole = await collect(f);
    for (const chunkBytes of [7, 64, 1000]) {
      const small = await collect(f, { chunkBytes });
      expect(small.frames.map((x) => [x.number, x.tsSec, x.seg?.seq])).toEqual(whole.frames.map((x) => [x.number, x.tsSec, x.seg?.seq]));
      expect(small.warnings).toEqual([]);
    }
  });

  it('grows its buffer for a block larger than one chunk, then shrinks back to chunk-sized reads', async () => {
    const big = ng.block(true, 0x0000000a, new Uint8Array(100_000)); // a decryption secrets block
    const bytes = concat(ng.shb(), ng.idb(true, 1), big, ng.epb(true, 0, 0, 0, pkt(1)));
    const { frames, warnings } = await collect(tmpFile('g.pcapng', bytes), { chunkBytes: 4096 });
    expect(warnings).toEqual([]);
    expect(frames).toHaveLength(1);
  });

  it('reads gzip-compressed captures, detected by magic bytes not by name', async () => {
    const f = tmpFile('capture.bin', gzipSync(file));
    const { frames, result } = await collect(f);
    expect(result.gzip).toBe(true);
    expect(frames).toHaveLength(300);
  });

  it('a truncated gzip stream: frames before the cut are kept, with a warning', async () => {
    const gz = gzipSync(file);
    const { frames, warnings, result } = await collect(tmpFile('cut.pcap.gz', gz.subarray(0, gz.length - 100)));
    expect(result.damaged).toBe(true);
    expect(frames.length).toBeGreaterThan(100);
    expect(warnings.some((w) => /gzip data is cut short or corrupt/.test(w.message))).toBe(true);
  });
});

describe('timestamps', () => {
  it('converts 64-bit unit counts exactly, beyond 2^53 too', () => {
    unitsToTs(0xffffffff, 0xffffffff, 6, false);
    expect([tsOut.sec, tsOut.nsec]).toEqual([18446744073709, 551615000]);
    unitsToTs(0, 1_000_000_001, 9, false);
    expect([tsOut.sec, tsOut.nsec]).toEqual([1, 1]);
    unitsToTs(0xffffffff, 0xffffffff, 9, false);
    expect([tsOut.sec, tsOut.nsec]).toEqual([18446744073, 709551615]);
    unitsToTs(0, 3, 1, true); // 3 half-seconds
    expect([tsOut.sec, tsOut.nsec]).toEqual([1, 500000000]);
    unitsToTs(1, 0, 30, true);
    expect([tsOut.sec, tsOut.nsec]).toEqual([4, 0]);
  });

  it('formats seconds and nanoseconds as a decimal string', () => {
    expect(formatTs(1422527998, 578402281)).toBe('1422527998.578402281');
    expect(formatTs(0, 5)).toBe('0.000000005');
    expect(formatTs(-2, 750000000)).toBe('-1.250000000');
  });
});
