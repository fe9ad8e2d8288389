import { describe, expect, it } from 'vitest';
import { captureStats } from '../src/analysis/stats.js';
import { recordedFixtures } from './helpers/fixtures.js';

const fixtures = recordedFixtures();

describe('captures recorded from real Linux TCP stacks (fixtures/)', () => {
  it('the recorder produced the formats the reader must handle', () => {
    const formats = new Set(fixtures.map((f) => f.truth.format));
    expect(formats).toContain('pcap-le-usec');
    expect(formats).toContain('pcap-le-nsec');
    expect(formats).toContain('pcapng-le');
  });

  for (const { truth, capture } of fixtures) {
    it(`${truth.scenario}: frames and TCP segments equal tshark's`, async () => {
      const r = await captureStats(capture);
      expect(r.format).toBe(truth.format);
      expect(r.linktypes).toEqual(truth.linktypes);
      expect(r.frames).toBe(truth.tshark.packets);
      expect(r.tcpSegments).toBe(truth.tshark.tcpSegments);
      // dumpcap interleaves interfaces, so time may step back between them; nothing else is expected
      expect(r.warnings.filter((w) => !/timestamps go backwards/.test(w.message))).toEqual([]);
      expect(r.damaged).toBe(false);
    });
  }
});
