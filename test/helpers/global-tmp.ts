/** Vitest global setup: the run's temporary directory (see tmp.ts), removed at teardown. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'synfin-tests-'));
  process.env.SYNFIN_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
