import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DialtoneError, ErrorCodes, silentLogger } from '../../../src/kernel/index.js';
import { openStore, parseDatabaseUrl } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';

test('the database setting names SQLite files, memory, or PostgreSQL', () => {
  assert.deepEqual(parseDatabaseUrl('sqlite:./data/dialtone.db'), { dialect: 'sqlite', path: './data/dialtone.db' });
  assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/dialtone/x.db'), { dialect: 'sqlite', path: '/var/lib/dialtone/x.db' });
  assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
  assert.deepEqual(parseDatabaseUrl('postgres://u@h/db'), { dialect: 'postgres', url: 'postgres://u@h/db' });
  assert.deepEqual(parseDatabaseUrl('postgresql://u@h/db'), { dialect: 'postgres', url: 'postgresql://u@h/db' });
  for (const bad of ['mysql://h/db', 'sqlite:', './dialtone.db']) {
    assert.throws(() => parseDatabaseUrl(bad), (error: unknown) => error instanceof DialtoneError && error.code === ErrorCodes.configInvalid);
  }
});

test('an unreachable PostgreSQL is reported without the password from the URL', async () => {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  await assert.rejects(
    openStore('postgres://dialtone:sekrit@127.0.0.1:1/dialtone', { clock: new FakeClock(), logger: silentLogger }),
    (error: unknown) => {
      assert.ok(error instanceof DialtoneError);
      assert.equal(error.code, ErrorCodes.storeUnavailable);
      assert.match(error.message, /127\.0\.0\.1:1\/dialtone/);
      assert.doesNotMatch(error.message, /sekrit/);
      return true;
    },
  );
});

test('an in-memory SQLite store opens, migrates and works', async () => {
  const store = await openStore('sqlite::memory:', { clock: new FakeClock(), logger: silentLogger });
  assert.equal(store.dialect, 'sqlite');
  const call = await store.calls.create({ accountSid: 'AC' + 'a'.repeat(32), direction: 'outbound-api', from: 'a', to: 'b' });
  assert.equal((await store.calls.get(call.sid))?.direction, 'outbound-api');
  await store.close();
});
