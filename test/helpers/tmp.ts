/**
 * Temporary directories for tests, all under one directory per test run that the global setup
 * (test/helpers/global-tmp.ts) creates and removes, so no run leaves files behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh empty directory, removed when the test run ends. */
export function testDir(prefix = 'synfin-test-'): string {
  return mkdtempSync(join(process.env.SYNFIN_TEST_TMP ?? tmpdir(), prefix));
}
