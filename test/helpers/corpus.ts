import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared corpus sits beside the project; tests that need it are skipped when it is absent. */
export const CORPUS_DIR = resolve(ROOT, '..', 'shared', 'corpus');
export const CORPUS_PRESENT = existsSync(join(CORPUS_DIR, 'expected.json'));

export interface Expected {
  sha256: string;
  format: string;
  linktypes: number[];
  packets: number;
  nonPacketRecords: number;
  tcpStreams: number;
  tcpSegments: number;
  framesWithTcp: number;
  tcpSegmentsTunnelled: number;
  analysisFlags: Record<string, number>;
  tsharkExit: number;
  tsharkError: string | null;
}

export function corpusExpected(): Record<string, Expected> {
  if (!CORPUS_PRESENT) return {};
  return (JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as { files: Record<string, Expected> }).files;
}

export const CLI = join(ROOT, 'dist', 'cli.js');
