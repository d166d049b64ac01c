/**
 * The SQLite connection in a worker thread with group commit (src/store/sqlite-worker): many callers
 * share one transaction and one fsync, yet each unit stays atomic and durable before it resolves.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { DialtoneError, ErrorCodes } from '../../../src/kernel/index.js';
import { type GroupCommitOptions, GroupCommitQueue } from '../../../src/store/sqlite-worker/group-commit.js';
import { SqliteWorkerDialect } from '../../../src/store/sqlite-worker/sqlite-worker-dialect.js';
import { SqliteError, SqliteWorker, type StartWorker } from '../../../src/store/sqlite-worker/sqlite-worker.js';

interface TestSchema {
  items: { name: string };
}

interface Opened {
  db: Kysely<TestSchema>;
  queue: GroupCommitQueue;
  /** The worker thread, for the tests that stop it. */
  thread: () => Worker;
}

let dir: string;
let path: string;
let opened: Opened[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dialtone-sqlite-worker-'));
  path = join(dir, 'test.db');
  opened = [];
});

afterEach(async () => {
  for (const { db } of opened) await db.destroy().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function open(options: GroupCommitOptions = {}): Promise<Opened> {
  let thread: Worker | undefined;
  const startWorker: StartWorker = (source, data) => (thread = new Worker(source, { eval: true, workerData: data }));
  const worker = new SqliteWorker({ startWorker });
  await worker.open(path, ['journal_mode = WAL', 'synchronous = FULL']);
  const queue = new GroupCommitQueue(worker, options);
  const db = new Kysely<TestSchema>({ dialect: new SqliteWorkerDialect(queue) });
  await sql`create table if not exists items (name text primary key)`.execute(db);
  const result = { db, queue, thread: () => thread as Worker };
  opened.push(result);
  return result;
}

/** What another connection sees: committed rows only. */
function committedNames(): string[] {
  const other = new BetterSqlite3(path, { readonly: true });
  try {
    return (other.prepare('select name from items order by name').all() as Array<{ name: string }>).map((row) => row.name);
  } finally {
    other.close();
  }
}

const insert = (db: Kysely<TestSchema>, name: string) => db.insertInto('items').values({ name }).execute();

test('statements issued together share one commit, and each resolves with its own result', async () => {
  const { db, queue } = await open();
  const before = queue.stats.batches;
  const names = Array.from({ length: 50 }, (_unused, index) => `item-${String(index).padStart(2, '0')}`);
  const results = await Promise.all(names.map((name) => db.insertInto('items').values({ name }).executeTakeFirst()));
  assert.deepEqual(
    results.map((result) => result.numInsertedOrUpdatedRows),
    names.map(() => 1n),
  );
  assert.equal(queue.stats.batches - before, 1, 'one transaction, one fsync, for all fifty');
  assert.deepEqual(committedNames(), names);
});

test('under a steady stream of writes, batches start at most once per interval and share the commits', async () => {
  const { db, queue } = await open({ minBatchIntervalMs: 10 });
  await insert(db, 'warm');
  const before = queue.stats.batches;
  const started = performance.now();
  // One write every millisecond or so for 60 ms, each from its own caller: without the interval,
  // nearly every one found the queue empty and paid a commit of its own.
  const writes: Array<Promise<unknown>> = [];
  await new Promise<void>((resolve) => {
    let issued = 0;
    const timer = setInterval(() => {
      writes.push(insert(db, `stream-${String(issued).padStart(2, '0')}`));
      if (++issued === 60) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(writes);
  const elapsedMs = performance.now() - started;
  const batches = queue.stats.batches - before;
  assert.ok(batches <= Math.floor(elapsedMs / 10) + 1, `${batches} batches in ${elapsedMs.toFixed(0)} ms: more than one per 10 ms`);
  assert.equal(committedNames().length, 61);
});

test('a write after a quiet spell starts at once; one right behind a batch waits out the interval', async () => {
  const { db } = await open({ minBatchIntervalMs: 300 });
  await insert(db, 'first');
  await sleep(350);
  let at = performance.now();
  await insert(db, 'after-quiet');
  const quietMs = performance.now() - at;
  at = performance.now();
  await insert(db, 'right-behind');
  const behindMs = performance.now() - at;
  assert.ok(quietMs < 250, `the write after a quiet spell waited ${quietMs.toFixed(0)} ms`);
  assert.ok(behindMs >= 300 - quietMs - 5, `the write right behind a batch waited only ${behindMs.toFixed(0)} ms`);
  assert.deepEqual(committedNames(), ['after-quiet', 'first', 'right-behind']);
});

test('a failing unit undoes only itself: statement and transaction failures leave the rest of the batch', async () => {
  const { db, queue } = await open();
  await insert(db, 'taken');
  const before = queue.stats.batches;
  const outcomes = await Promise.allSettled([
    insert(db, 'first'),
    db.transaction().execute(async (tx) => {
      await insert(tx, 'undone-1');
      await insert(tx, 'undone-2');
      throw new Error('the application changed its mind');
    }),
    insert(db, 'taken'),
    db.transaction().execute(async (tx) => {
      await insert(tx, 'kept-1');
      // A statement failing inside a transaction is undone alone; the transaction may carry on.
      await assert.rejects(insert(tx, 'taken'), (error: unknown) => error instanceof SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
      await insert(tx, 'kept-2');
    }),
    insert(db, 'last'),
  ]);
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
  );
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /changed its mind/);
  assert.equal(((outcomes[2] as PromiseRejectedResult).reason as SqliteError).code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.equal(queue.stats.batches - before, 1, 'all five units ran in one batch');
  assert.deepEqual(committedNames(), ['first', 'kept-1', 'kept-2', 'last', 'taken']);
});

test('a write resolves only once it is committed, and the connection syncs every commit (FULL)', async () => {
  const { db } = await open();
  const [synchronous] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows;
  assert.equal(synchronous?.synchronous, 2, 'synchronous = FULL');
  const seenAtResolution: string[][] = [];
  await Promise.all(
    ['a', 'b', 'c'].map((name) => insert(db, name).then(() => seenAtResolution.push(committedNames()))),
  );
  await db.transaction().execute((tx) => insert(tx, 'd'));
  seenAtResolution.push(committedNames());
  for (const seen of seenAtResolution.slice(0, 3)) assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.deepEqual(seenAtResolution[3], ['a', 'b', 'c', 'd']);
});

test('work runs in the order it was issued: a read issued after a write sees it', async () => {
  const { db } = await open();
  const write = insert(db, 'first');
  const read = db.selectFrom('items').select('name').execute();
  assert.deepEqual(await read, [{ name: 'first' }]);
  await write;
});

test('when SQLite rolls the whole transaction back, every unit of the batch fails and none runs on in autocommit', async () => {
  const { db } = await open();
  await sql`create trigger refuse_boom before insert on items when new.name = 'boom' begin select raise(rollback, 'boom refused'); end`.execute(db);
  const outcomes = await Promise.allSettled([insert(db, 'before'), insert(db, 'boom'), insert(db, 'after')]);
  const [before, boom, after] = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason as Error);
  assert.ok(boom instanceof SqliteError && /boom refused/.test(boom.message), 'the statement at fault hears SQLite');
  for (const other of [before, after]) {
    assert.ok(other instanceof DialtoneError, String(other));
    assert.equal(other.code, ErrorCodes.storeUnavailable);
  }
  assert.deepEqual(committedNames(), []);
  await insert(db, 'next');
  assert.deepEqual(committedNames(), ['next'], 'the next batch is unaffected');
});

test('a worker that dies fails what it held and everything after with storeUnavailable', async () => {
  const { db, thread } = await open();
  await insert(db, 'kept');
  const inFlight = insert(db, 'lost');
  await thread().terminate();
  const isUnavailable = (error: unknown) => error instanceof DialtoneError && error.code === ErrorCodes.storeUnavailable && /SQLite worker/.test(error.message);
  await assert.rejects(inFlight, isUnavailable);
  await assert.rejects(insert(db, 'later'), isUnavailable);
  await assert.rejects(db.transaction().execute((tx) => insert(tx, 'later')), isUnavailable);
  await db.destroy();
  assert.deepEqual(committedNames(), ['kept']);
});

test('a closed store refuses work with storeUnavailable after committing what was queued', async () => {
  const { db, queue } = await open();
  // Straight to the queue: Kysely itself takes a few ticks before a query reaches it.
  const queued = queue.statement(db.insertInto('items').values({ name: 'queued' }).compile());
  await queue.close();
  await queued;
  await assert.rejects(queue.statement(sql`select 1`.compile(db)), (error: unknown) => error instanceof DialtoneError && error.code === ErrorCodes.storeUnavailable);
  assert.deepEqual(committedNames(), ['queued']);
});
