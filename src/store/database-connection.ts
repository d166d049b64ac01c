/**
 * Turns the `database` setting into a Kysely instance: `sqlite:PATH` (better-sqlite3, one connection,
 * held by a worker thread, with group commit: sqlite-worker/) or `postgres://…` (a pg Pool).
 * Everything dialect-specific about connecting lives here.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type CompiledQuery, Kysely, PostgresDialect, type QueryResult, sql } from 'kysely';
import pg from 'pg';
import { DialtoneError, ErrorCodes, type Logger } from '../kernel/index.js';
import type { DatabaseSchema, Dialect } from './database-schema.js';
import { GroupCommitQueue } from './sqlite-worker/group-commit.js';
import { SqliteWorker } from './sqlite-worker/sqlite-worker.js';
import { SqliteWorkerDialect } from './sqlite-worker/sqlite-worker-dialect.js';

export interface DatabaseConnection {
  readonly db: Kysely<DatabaseSchema>;
  readonly dialect: Dialect;
  /**
   * Runs one compiled statement outside any transaction straight on the driver, where the dialect has
   * such a path (SQLite's group-commit queue): the same statement Kysely's executor would pass on,
   * without its per-query connection object and chain of promises.
   */
  readonly runStatement?: StatementRunner;
}

export type StatementRunner = (query: CompiledQuery) => Promise<QueryResult<unknown>>;

export interface ConnectOptions {
  logger: Logger;
  /** SQLite: how long a writer waits for another process's lock before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number;
  /** PostgreSQL: pool size. */
  poolSize?: number;
}

export type DatabaseLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/** `sqlite:./data/dialtone.db`, `sqlite:///abs/file.db`, `sqlite::memory:`, `postgres(ql)://…`. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { dialect: 'postgres', url: databaseUrl };
  if (databaseUrl.startsWith('sqlite:')) {
    let path = databaseUrl.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path.length > 0) return { dialect: 'sqlite', path };
  }
  throw new DialtoneError(ErrorCodes.configInvalid, 'database: expected "sqlite:PATH" or "postgres://…"', {
    key: 'database',
  });
}

// PostgreSQL returns BIGINT (epoch milliseconds, counts) as strings because they may exceed 2^53;
// ours never do (milliseconds reach 2^53 in the year 287396), so they are read as numbers.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export async function connectDatabase(databaseUrl: string, options: ConnectOptions): Promise<DatabaseConnection> {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.dialect === 'sqlite') return connectSqlite(location.path, options);
  return connectPostgres(location.url, options);
}

async function connectSqlite(path: string, options: ConnectOptions): Promise<DatabaseConnection> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  const giveUpAt = Date.now() + busyTimeoutMs;
  const worker = new SqliteWorker();
  for (let attempt = 0; ; attempt++) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      await worker.open(path, sqlitePragmas(busyTimeoutMs));
      const queue = new GroupCommitQueue(worker);
      return {
        db: new Kysely<DatabaseSchema>({ dialect: new SqliteWorkerDialect(queue) }),
        dialect: 'sqlite',
        runStatement: (query) => queue.statement(query),
      };
    } catch (error) {
      // Switching a new file to WAL, or recovering another process's WAL, can answer SQLITE_BUSY at
      // once without consulting the busy handler (two engines starting on one empty file); waiting
      // and opening again is what the busy timeout would have done.
      if (isSqliteBusy(error) && Date.now() < giveUpAt) {
        await delay(Math.min(200, 10 * 2 ** attempt));
        continue;
      }
      await worker.close().catch(() => {});
      throw new DialtoneError(ErrorCodes.storeUnavailable, `cannot open SQLite database ${path}: ${(error as Error).message}`, { path }, { cause: error });
    }
  }
}

/** Applied in order when the connection opens. */
function sqlitePragmas(busyTimeoutMs: number): string[] {
  return [
    // First, so that the pragmas below already wait for a lock held by another process.
    `busy_timeout = ${busyTimeoutMs}`,
    // WAL: readers (REST lists) never block the writer (the call engine), and a commit is one append.
    'journal_mode = WAL',
    // FULL, not NORMAL: with NORMAL a committed transaction survives a killed process but not a power
    // cut, and the outbox promises at-least-once delivery of callbacks the engine has accepted. FULL
    // costs one fsync of the WAL per commit, paid on the worker's thread and shared by every write
    // that arrived while the previous commit was on the disk (group commit, sqlite-worker/).
    'synchronous = FULL',
    'foreign_keys = ON',
  ];
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_RECOVERY';
}

async function connectPostgres(url: string, options: ConnectOptions): Promise<DatabaseConnection> {
  const pool = new pg.Pool({ connectionString: url, types: pgTypes, max: options.poolSize ?? 10 });
  // An idle client losing its server would otherwise be an unhandled 'error' event and end the process.
  pool.on('error', (error) => options.logger.warn('postgres idle client error', { error: error.message }));
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    // The URL may carry a password; only host and database go into the message.
    const parsed = new URL(url);
    throw new DialtoneError(
      ErrorCodes.storeUnavailable,
      `cannot connect to PostgreSQL at ${parsed.host}${parsed.pathname}: ${(error as Error).message}`,
      { host: parsed.host },
      { cause: error },
    );
  }
  return { db, dialect: 'postgres' };
}

/**
 * Runs `work` in one transaction on one connection. On SQLite the transaction is a SAVEPOINT inside the
 * worker's current batch (BEGIN IMMEDIATE … COMMIT, sqlite-worker/group-commit.ts), and this resolves
 * once that batch has committed.
 */
export function inTransaction<T>(
  db: Kysely<DatabaseSchema>,
  work: (connection: Kysely<DatabaseSchema>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(work);
}
