/**
 * The table of backends every store test runs against: SQLite in a temporary folder, and PostgreSQL
 * at DIALTONE_TEST_POSTGRES_URL (scripts/ci-postgres.sh starts one), each test in a schema of its own
 * so that test files running in parallel never see each other's rows.
 * Without DIALTONE_TEST_POSTGRES_URL the PostgreSQL half fails under CI=true and is skipped, loudly,
 * on a developer's machine.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { randomToken, silentLogger } from '../../../src/kernel/index.js';
import type { Clock } from '../../../src/kernel/index.js';
import { type Store, openStore } from '../../../src/store/index.js';

export type BackendName = 'sqlite' | 'postgres';

/** One empty database; `open` may be called again after a close to simulate a restart. */
export interface TestDatabase {
  readonly backend: BackendName;
  readonly url: string;
  open(clock: Clock): Promise<Store>;
  /** Removes the database; call once, after every store on it is closed. */
  dispose(): Promise<void>;
}

export const postgresUrl = process.env.DIALTONE_TEST_POSTGRES_URL;
const inCi = process.env.CI === 'true';
const postgresMissing =
  'DIALTONE_TEST_POSTGRES_URL is not set: PostgreSQL store tests NOT RUN. ' +
  'Start one with `export DIALTONE_TEST_POSTGRES_URL=$(scripts/ci-postgres.sh)`.';

async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'dialtone-store-'));
  const url = `sqlite:${join(dir, 'data', 'dialtone.db')}`;
  return {
    backend: 'sqlite',
    url,
    open: (clock) => openStore(url, { clock, logger: silentLogger }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const schema = `dialtone_test_${randomToken(6)}`;
  await withAdmin((client) => client.query(`create schema ${schema}`));
  const base = new URL(postgresUrl as string);
  base.searchParams.set('options', `-c search_path=${schema}`);
  const url = base.toString();
  return {
    backend: 'postgres',
    url,
    open: (clock) => openStore(url, { clock, logger: silentLogger, poolSize: 4 }),
    dispose: async () => {
      await withAdmin((client) => client.query(`drop schema ${schema} cascade`));
    },
  };
}

export function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  return backend === 'sqlite' ? createSqliteDatabase() : createPostgresDatabase();
}

/** A fresh empty database of `backend` and the store opened on it: what most store tests start from. */
export async function openEmptyStore(backend: BackendName, clock: Clock): Promise<{ database: TestDatabase; store: Store }> {
  const database = await createTestDatabase(backend);
  return { database, store: await database.open(clock) };
}

/** Closes the store, then drops its database. */
export async function disposeStore(database: TestDatabase, store: Store): Promise<void> {
  await store.close();
  await database.dispose();
}

/**
 * Declares `suite` once per backend, inside `describe(<backend>)`. `suite` gets a function returning
 * a fresh empty database, to be disposed by the test.
 */
export function forEachBackend(title: string, suite: (backend: BackendName) => void): void {
  describe(`${title} [sqlite]`, () => suite('sqlite'));
  if (postgresUrl !== undefined && postgresUrl !== '') {
    describe(`${title} [postgres]`, () => suite('postgres'));
  } else if (inCi) {
    test(`${title} [postgres]`, () => assert.fail(`CI=true but ${postgresMissing}`));
  } else {
    process.emitWarning(postgresMissing);
    describe(`${title} [postgres]`, { skip: postgresMissing }, () => {});
  }
}

/** Lets pending promise chains and database round trips run (for asserting that nothing happened). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 2));
}
