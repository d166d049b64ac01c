import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultAccountFile, loadOrCreateDefaultAccount } from '../../../src/store/default-account.js';
import { isSid } from '../../../src/kernel/index.js';
import { scratchDirectory } from '../../support/scratch-directory.js';

test('the default account is created once, kept private in the data folder, and reused', async (t) => {
  const dir = join(await scratchDirectory(t, 'account'), 'data');
  const first = await loadOrCreateDefaultAccount(dir);
  assert.equal(first.created, true);
  assert.ok(isSid(first.account.sid, 'AC'));
  assert.equal(first.account.authToken.length, 32);
  assert.equal((await stat(join(dir, defaultAccountFile))).mode & 0o777, 0o600);
  const second = await loadOrCreateDefaultAccount(dir);
  assert.equal(second.created, false);
  assert.deepEqual(second.account, first.account);
});

test('a damaged account file is reported, not silently replaced', async (t) => {
  const dir = await scratchDirectory(t, 'account');
  await writeFile(join(dir, defaultAccountFile), '{"sid":"nope"}');
  await assert.rejects(loadOrCreateDefaultAccount(dir), /not a valid default account/);
});
