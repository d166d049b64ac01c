import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a test or suite context offers for clean-up: node:test's `TestContext` and `SuiteContext` both do. */
interface CleansUp {
  after(fn: () => Promise<void>): void;
}

/**
 * A fresh directory under the system's temporary one, removed with everything in it when `context`
 * ends, whether the test passed or not: runs of the suite would otherwise pile data folders up in /tmp.
 */
export async function scratchDirectory(context: CleansUp, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dialtone-${prefix}-`));
  context.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
