/**
 * What every repository is built on: the query executor (the pool, or one connection inside a
 * transaction), the clock, and a way to run a unit of work atomically. The same repository classes
 * serve both `store.calls…` and `store.transaction((tx) => tx.calls…)`; only the context differs.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../kernel/index.js';
import { inTransaction, type StatementRunner } from './database-connection.js';
import type { DatabaseSchema, Dialect } from './database-schema.js';
import { QueryShapes } from './query-shapes.js';

export interface RepositoryContext {
  readonly db: Kysely<DatabaseSchema>;
  readonly dialect: Dialect;
  readonly clock: Clock;
  /** The hot statements' compiled SQL, shared by the pool and its transactions. */
  readonly queries: QueryShapes;
  /** Runs `work` in a transaction, or directly when this context already is one. */
  atomically<T>(work: (context: RepositoryContext) => Promise<T>): Promise<T>;
  /** Runs `hook` once the surrounding transaction has committed (at once outside a transaction). */
  afterCommit(hook: () => void): void;
}

export function rootContext(db: Kysely<DatabaseSchema>, dialect: Dialect, clock: Clock, runStatement?: StatementRunner): RepositoryContext {
  const queries = new QueryShapes(runStatement);
  return {
    db,
    dialect,
    clock,
    queries,
    async atomically(work) {
      const hooks: Array<() => void> = [];
      const result = await inTransaction(db, (connection) => {
        const transaction: RepositoryContext = {
          db: connection,
          dialect,
          clock,
          queries,
          atomically: (inner) => inner(transaction),
          afterCommit: (hook) => hooks.push(hook),
        };
        return work(transaction);
      });
      // Hooks (e.g. waking the dispatcher) must not see rows a rollback would have removed.
      for (const hook of hooks) hook();
      return result;
    },
    afterCommit: (hook) => hook(),
  };
}
