/**
 * The store: one database (SQLite by default, PostgreSQL when `database` says so), migrated at open,
 * seen through typed repositories. The same code serves both dialects through Kysely; the dialect
 * only matters when connecting, migrating and beginning transactions.
 */
import type { Clock, Logger } from '../kernel/index.js';
import { CallEventRepository } from './call-event-repository.js';
import { CallRepository } from './call-repository.js';
import { connectDatabase } from './database-connection.js';
import type { Dialect } from './database-schema.js';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { NotificationRepository } from './notification-repository.js';
import { EnqueueSignal, type OutboxEntry, OutboxRepository } from './outbox-repository.js';
import { RecordingRepository } from './recording-repository.js';
import { type RepositoryContext, rootContext } from './repository-context.js';

export interface StoreRepositories {
  readonly calls: CallRepository;
  readonly callEvents: CallEventRepository;
  readonly recordings: RecordingRepository;
  readonly notifications: NotificationRepository;
  readonly outbox: OutboxRepository;
}

export interface Store extends StoreRepositories {
  readonly dialect: Dialect;
  /** Versions applied by this open (empty when the schema was current). */
  readonly migrationsApplied: readonly number[];
  /**
   * Runs `work` in one transaction; repositories on `tx` see and write inside it. Use only `tx`
   * inside: SQLite has one connection, so a call on the store itself would wait for the transaction.
   */
  transaction<T>(work: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  /** Calls `listener` after each enqueue commits, in this process. Returns the unsubscribe function. */
  onEnqueue(listener: (entry: OutboxEntry) => void): () => void;
  /** Closes the connection(s). Idempotent. Close a CallbackDispatcher using this store first. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  clock: Clock;
  logger: Logger;
  /** SQLite: how long to wait for another process's write lock. Default 10 s. */
  busyTimeoutMs?: number;
  /** PostgreSQL: connection pool size. Default 10. */
  poolSize?: number;
}

function repositories(context: RepositoryContext, signal: EnqueueSignal): StoreRepositories {
  return {
    calls: new CallRepository(context, signal),
    callEvents: new CallEventRepository(context, signal),
    recordings: new RecordingRepository(context),
    notifications: new NotificationRepository(context),
    outbox: new OutboxRepository(context, signal),
  };
}

/** Opens `databaseUrl` (`sqlite:PATH` or `postgres://…`) and brings its schema up to date. */
export async function openStore(databaseUrl: string, options: OpenStoreOptions): Promise<Store> {
  const logger = options.logger.child({ component: 'store' });
  const { db, dialect, runStatement } = await connectDatabase(databaseUrl, {
    logger,
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  let migrationsApplied: number[];
  try {
    migrationsApplied = await migrate(db, dialect, migrations, { clock: options.clock, logger });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const signal = new EnqueueSignal();
  const context = rootContext(db, dialect, options.clock, runStatement);
  let closing: Promise<void> | undefined;
  return {
    ...repositories(context, signal),
    dialect,
    migrationsApplied,
    transaction: (work) => context.atomically((tx) => work(repositories(tx, signal))),
    onEnqueue: (listener) => signal.subscribe(listener),
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}
