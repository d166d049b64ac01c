import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { DialtoneError, ErrorCodes, silentLogger } from '../../../src/kernel/index.js';
import { connectDatabase } from '../../../src/store/database-connection.js';
import { migrate } from '../../../src/store/migrate.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, createTestDatabase, forEachBackend } from './store-backends.js';

forEachBackend('migrations', (backend) => {
  let database: TestDatabase;
  const clock = new FakeClock();

  beforeEach(async () => {
    database = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await database.dispose();
  });

  test('an empty database gets every migration; reopening applies none and keeps the data', async () => {
    const first = await database.open(clock);
    assert.equal(first.dialect, backend);
    assert.deepEqual(first.migrationsApplied, migrations.map((migration) => migration.version));
    const call = await first.calls.create({ accountSid: 'AC' + 'a'.repeat(32), direction: 'inbound', from: 'a', to: 'b' });
    await first.close();
    await first.close();

    if (backend === 'sqlite') {
      // WAL is a property of the file, so another connection sees what the store set.
      const raw = new BetterSqlite3(database.url.slice('sqlite:'.length), { readonly: true });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      raw.close();
    }
    const second = await database.open(clock);
    assert.deepEqual(second.migrationsApplied, []);
    assert.equal((await second.calls.get(call.sid))?.sid, call.sid);
    await second.close();
  });

  test('callbacks pending in a version 2 database keep their call as their delivery queue (migration 3)', async () => {
    const before = await connectDatabase(database.url, { logger: silentLogger });
    await migrate(before.db, before.dialect, migrations.slice(0, 2), { clock, logger: silentLogger });
    const callSid = 'CA' + 'b'.repeat(32);
    const pending = (sequenceNumber: number) => ({
      call_sid: callSid,
      sequence_number: sequenceNumber,
      account_sid: 'AC' + 'a'.repeat(32),
      url: 'http://127.0.0.1:3000/status',
      method: 'POST',
      params: '{}',
      status: 'pending',
      attempts: 0,
      created_at: 0,
      next_attempt_at: 0,
    });
    // Written as version 2 knew the table: without delivery_queue.
    await (before.db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto('callback_outbox').values([pending(0), pending(1)]).execute();
    await before.db.destroy();

    const store = await database.open(clock);
    assert.deepEqual(store.migrationsApplied, [3]);
    assert.deepEqual(
      (await store.outbox.list({ callSid })).map((entry) => [entry.sequenceNumber, entry.deliveryQueue]),
      [
        [0, callSid],
        [1, callSid],
      ],
    );
    // Still one queue: only the first is a head.
    assert.deepEqual((await store.outbox.heads(10)).map((entry) => entry.sequenceNumber), [0]);
    await store.close();
  });

  test('a database written by a newer Dialtone is refused, not migrated', async () => {
    const store = await database.open(clock);
    await store.close();
    // Pretend a later release recorded a version this code does not know.
    const future = "insert into schema_migrations (version, name, applied_at) values (99, 'future', 0)";
    if (backend === 'sqlite') {
      const raw = new BetterSqlite3(database.url.slice('sqlite:'.length));
      raw.prepare(future).run();
      raw.close();
    } else {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query(future);
      await client.end();
    }
    await assert.rejects(database.open(clock), (error: unknown) => {
      assert.ok(error instanceof DialtoneError);
      assert.equal(error.code, ErrorCodes.storeMigrationFailed);
      assert.match(error.message, /newer/);
      return true;
    });
  });
});
