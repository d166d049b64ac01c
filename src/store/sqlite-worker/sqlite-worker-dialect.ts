/**
 * Kysely's SQLite dialect with the connection in a worker thread and group commit (group-commit.ts)
 * in place of its one-connection mutex. Query building, compiling and introspection are Kysely's own
 * SQLite classes; only the driver differs.
 *
 * Outside a transaction every query is one unit of a batch; inside `db.transaction().execute(…)` the
 * queries go to that transaction's SAVEPOINT. Kysely's commit resolves once the batch is durable.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import type { GroupCommitQueue, OpenTransaction } from './group-commit.js';

/** One user of the queue: Kysely takes one per query, or one for a whole transaction. */
class WorkerConnection implements DatabaseConnection {
  transaction: OpenTransaction | undefined;

  constructor(private readonly queue: GroupCommitQueue) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.transaction === undefined ? this.queue.statement(query) : this.transaction.execute(query);
    return result as Promise<QueryResult<R>>;
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new DialtoneError(ErrorCodes.internal, 'the SQLite worker driver does not stream queries');
  }
}

function transactionOf(connection: DatabaseConnection): OpenTransaction {
  const transaction = (connection as WorkerConnection).transaction;
  if (transaction === undefined) throw new DialtoneError(ErrorCodes.internal, 'no transaction is open on this connection');
  return transaction;
}

class WorkerDriver implements Driver {
  constructor(private readonly queue: GroupCommitQueue) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new WorkerConnection(this.queue);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as WorkerConnection).transaction = await this.queue.beginTransaction();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const transaction = transactionOf(connection);
    (connection as WorkerConnection).transaction = undefined;
    await transaction.commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Kysely rolls back after a commit that failed; the transaction has then already ended.
    const transaction = (connection as WorkerConnection).transaction;
    (connection as WorkerConnection).transaction = undefined;
    await transaction?.rollback();
  }

  async releaseConnection(): Promise<void> {}

  destroy(): Promise<void> {
    return this.queue.close();
  }
}

export class SqliteWorkerDialect implements Dialect {
  constructor(private readonly queue: GroupCommitQueue) {}

  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }

  createDriver(): Driver {
    return new WorkerDriver(this.queue);
  }

  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}
