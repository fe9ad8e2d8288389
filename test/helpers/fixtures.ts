import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './corpus.js';

export const FIXTURES = join(ROOT, 'fixtures');

/** What the recorder stored beside each capture (fixtures/record/truth.py). */
export interface Truth {
  scenario: string;
  description: string;
  format: string;
  linktypes: number[];
  tshark: {
    packets: number;
    tcpSegments: number;
    tcpStreams: number;
    streams: Array<{ stream: number; frames: number; bytes: number }>;
    analysisFlags: Record<string, number>;
  };
  ss: Record<string, Array<{ state: string; local: string; peer: string }>>;
}

/** Every recorded scenario: its truth and the path of its capture. */
export function recordedFixtures(): Array<{ truth: Truth; capture: string }> {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.truth.json'))
    .sort()
    .map((f) => {
      const truth = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Truth;
      const base = f.slice(0, -'.truth.json'.length);
      const capture = [`${base}.pcap`, `${base}.pcapng`, `${base}.pcap.gz`].map((c) => join(FIXTURES, c)).find(existsSync);
      if (!capture) throw new Error(`no capture beside ${f}`);
      return { truth, capture };
    });
}
