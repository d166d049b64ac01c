import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineNodeFlags, missingEngineNodeFlags } from '../../../src/cli/engine-node-flags.js';

const root = join(import.meta.dirname, '..', '..', '..');

test('every launcher of the engine passes its Node flags: the #! line of bin/dialtone.mjs and npm start', () => {
  const shebang = readFileSync(join(root, 'bin', 'dialtone.mjs'), 'utf8').split('\n')[0]!;
  assert.match(shebang, /^#!\/usr\/bin\/env -S node( |$)/, 'env -S: the line carries arguments for node');
  const startScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
  for (const flag of engineNodeFlags) {
    assert.ok(shebang.split(' ').includes(flag), `${flag} in ${shebang}`);
    assert.ok(startScript.split(' ').includes(flag), `${flag} in npm start: ${startScript}`);
  }
});

test('a flag counts as given on the command line or in NODE_OPTIONS, with whatever value was chosen', () => {
  assert.deepEqual(missingEngineNodeFlags([], undefined), ['--v8-pool-size=0']);
  assert.deepEqual(missingEngineNodeFlags(['--import', 'x.mjs'], '--max-old-space-size=512'), ['--v8-pool-size=0']);
  assert.deepEqual(missingEngineNodeFlags(['--v8-pool-size=0'], undefined), []);
  assert.deepEqual(missingEngineNodeFlags(['--v8-pool-size=3'], undefined), []);
  assert.deepEqual(missingEngineNodeFlags([], '--max-old-space-size=512 --v8-pool-size=2'), []);
});
