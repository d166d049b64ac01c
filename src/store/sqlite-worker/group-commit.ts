/**
 * Group commit over the SQLite worker: the work of many callers shares one transaction and so one
 * fsync of the WAL (synchronous = FULL), instead of one each.
 *
 * Work is a queue of units, run one after the other in arrival order: a single statement, or a
 * logical transaction (the store's `transaction(…)`, Kysely's `db.transaction()`). A batch is one
 * physical transaction, BEGIN IMMEDIATE … COMMIT, holding every unit queued when it starts and every
 * unit queued while it runs (up to maxUnitsPerBatch); while its COMMIT is on the disk, new work
 * queues for the next batch. Single statements travel to the worker together, with the BEGIN and the
 * COMMIT, in one message.
 *
 *   - Atomic per unit. SQLite undoes a failing statement alone (its statement journal), and a logical
 *     transaction runs inside a SAVEPOINT, rolled back to on failure: a unit that fails takes nothing
 *     of the others with it, and is told at once (it wrote nothing to wait for).
 *   - Durable before it resolves. A unit's promise resolves only after the COMMIT of its batch has
 *     returned, i.e. after the fsync; reads too, so nobody acts on rows a failed commit took back.
 *   - All or nothing per batch when SQLite itself gives up the transaction (disk full, I/O error, a
 *     lock not obtained within the busy timeout): every unit of the batch fails with storeUnavailable
 *     and nothing of it is kept; the worker refuses the batch's remaining statements rather than run
 *     them in autocommit mode.
 *
 * A logical transaction holds the batch open while its code runs between statements (as it held the
 * single connection before): its statements are sent one at a time, as it issues them.
 *
 * Units run in the order they were issued, so a read sees every write issued before it. A caller that
 * waits for one write before issuing the next (a call's chain of status writes) pays a commit for each,
 * where the synchronous connection this replaces had them all done before it returned to the event loop.
 *
 * Batches start at most once per `minBatchIntervalMs` (default 20 ms); a batch after a quiet spell
 * starts at once. Without it, under a steady stream of calls the queue was nearly always empty when a
 * batch ended, so every statement of every call paid a BEGIN, a COMMIT and an fsync of its own (7
 * commits and round trips to the worker per `<Dial>`ed call at 100 calls/s). Held to one batch per
 * interval they share them: at 100 calls/s the engine's CPU per call fell by 12–13 % (its main thread
 * 6–8 %, its other threads, SQLite's and the garbage collector's, 22–24 %). 20 ms rather than 10
 * halves the commits again: at 300 calls/s SQLite's thread spent ~265 µs a call instead of ~330, and
 * the whole machine (fsync's journal work included) ~4,030 instead of ~4,300 (two pairs of holds,
 * docs/performance.md, stop 22). What it costs is up to one interval before a write issued under load
 * is durable (the call flow awaits none; a REST request that creates a call answers that much later),
 * and one interval per statement for a caller that issues them one after another while others keep
 * the store busy.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CompiledQuery, QueryResult } from 'kysely';
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { SqliteError, type SqliteWorker } from './sqlite-worker.js';
import { type StatementOutcome, type WorkerStatement, noTransactionCode } from './worker-protocol.js';

/** A logical transaction, once its SAVEPOINT is in place. */
export interface OpenTransaction {
  execute(query: CompiledQuery): Promise<QueryResult<unknown>>;
  /** Resolves once the batch holding the transaction has committed. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

type Unit =
  | { kind: 'statement'; statement: WorkerStatement; resolve(result: QueryResult<unknown>): void; reject(error: Error): void }
  | { kind: 'transaction'; resolve(transaction: OpenTransaction): void; reject(error: Error): void };

type SuccessOutcome = Exclude<StatementOutcome, { error: unknown }>;
type Settled = { ok: true; outcome: SuccessOutcome } | { ok: false; error: Error };

interface Outgoing {
  statement: WorkerStatement;
  done(settled: Settled): void;
}

/** A caller whose work is in the batch, told how it ended once the batch has. */
interface Awaiting {
  resolve(): void;
  reject(error: Error): void;
}

/** Most units in one batch, so that a steady stream of work still commits now and then. */
const maxUnitsPerBatch = 512;
const defaultMinBatchIntervalMs = 20;
const savepointName = 'dialtone_unit';

export interface GroupCommitOptions {
  /** Least time between the starts of two batches (ms); 0 starts each as soon as the last ended. */
  minBatchIntervalMs?: number;
}

function control(sql: string, opensTransaction = false): WorkerStatement {
  return { sql, parameters: [], opensTransaction };
}

// IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes, can fail
// with SQLITE_BUSY without waiting when another process writes in between, whereas IMMEDIATE waits
// out the busy timeout (on the worker's thread).
const begin = control('begin immediate', true);
const commit = control('commit');
const rollback = control('rollback');
const savepoint = control(`savepoint ${savepointName}`);
const release = control(`release ${savepointName}`);
const rollbackToSavepoint = control(`rollback to ${savepointName}`);

function queryResult(outcome: SuccessOutcome): QueryResult<unknown> {
  if ('rows' in outcome) return { rows: outcome.rows };
  return { numAffectedRows: BigInt(outcome.changes), insertId: BigInt(outcome.lastInsertRowid), rows: [] };
}

export class GroupCommitQueue {
  /** Batches committed (tests read it to see that work was grouped). */
  readonly stats = { batches: 0 };
  private readonly queue: Unit[] = [];
  private outgoing: Outgoing[] = [];
  /** Why the current batch's transaction is gone; undefined while it stands. */
  private lost: Error | undefined;
  private running: Promise<void> | undefined;
  private closed: DialtoneError | undefined;
  private readonly minBatchIntervalMs: number;
  /** performance.now() when the last batch started: real time, not the store's Clock, which tests fake. */
  private lastBatchStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly worker: SqliteWorker,
    options: GroupCommitOptions = {},
  ) {
    this.minBatchIntervalMs = options.minBatchIntervalMs ?? defaultMinBatchIntervalMs;
  }

  /** Runs one statement in the next batch; resolves with its result once that batch has committed. */
  statement(query: CompiledQuery): Promise<QueryResult<unknown>> {
    return new Promise((resolve, reject) =>
      this.push({ kind: 'statement', statement: { sql: query.sql, parameters: query.parameters, opensTransaction: false }, resolve, reject }),
    );
  }

  /** Resolves when the logical transaction's turn has come and its SAVEPOINT is in place. */
  beginTransaction(): Promise<OpenTransaction> {
    return new Promise((resolve, reject) => this.push({ kind: 'transaction', resolve, reject }));
  }

  /** Refuses new work, lets what was queued commit, then closes the worker. Idempotent. */
  async close(): Promise<void> {
    this.closed ??= new DialtoneError(ErrorCodes.storeUnavailable, 'the SQLite store is closed');
    while (this.running !== undefined) await this.running;
    await this.worker.close();
  }

  private push(unit: Unit): void {
    if (this.closed !== undefined) {
      unit.reject(this.closed);
      return;
    }
    this.queue.push(unit);
    // Started on a microtask, so that the statements issued in the same tick share the first batch.
    this.running ??= Promise.resolve().then(() => this.run());
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      // Timers count whole milliseconds from the loop's cached time and may fire a fraction early.
      for (let wait = this.nextBatchWait(); wait > 0; wait = this.nextBatchWait()) await sleep(Math.ceil(wait));
      this.lastBatchStart = performance.now();
      await this.runBatch();
    }
    this.running = undefined;
  }

  private nextBatchWait(): number {
    return this.lastBatchStart + this.minBatchIntervalMs - performance.now();
  }

  private async runBatch(): Promise<void> {
    this.lost = undefined;
    const awaiting: Awaiting[] = [];
    this.sendControl(begin);
    for (let taken = 0; taken < maxUnitsPerBatch && this.queue.length > 0 && this.lost === undefined; taken += 1) {
      const unit = this.queue.shift() as Unit;
      if (unit.kind === 'transaction') {
        await this.runTransaction(unit, awaiting);
        continue;
      }
      this.send(unit.statement, (settled) => {
        if (!settled.ok) unit.reject(settled.error);
        else awaiting.push({ resolve: () => unit.resolve(queryResult(settled.outcome)), reject: unit.reject });
      });
    }
    if (this.lost === undefined) this.sendControl(commit);
    await this.flush();
    if (this.lost !== undefined) {
      // Harmless when SQLite has already rolled back (the worker refuses it for want of a transaction).
      this.send(rollback, () => {});
      await this.flush();
      for (const unit of awaiting) unit.reject(this.lost);
      return;
    }
    this.stats.batches += 1;
    for (const unit of awaiting) unit.resolve();
  }

  private async runTransaction(unit: Extract<Unit, { kind: 'transaction' }>, awaiting: Awaiting[]): Promise<void> {
    let started = false;
    this.send(savepoint, (settled) => {
      started = settled.ok;
      if (!settled.ok) {
        this.lost ??= settled.error;
        unit.reject(settled.error);
      }
    });
    await this.flush();
    if (!started) return;

    let ended: ((commit: boolean) => void) | undefined;
    const end = new Promise<boolean>((resolve) => (ended = resolve));
    let caller: Awaiting | undefined;
    const finish = (commitIt: boolean) =>
      new Promise<void>((resolve, reject) => {
        // Kysely rolls back after a failed commit; by then there is nothing left to do.
        if (ended === undefined) return resolve();
        caller = { resolve, reject };
        ended(commitIt);
        ended = undefined;
      });
    unit.resolve({
      execute: (query) =>
        ended === undefined
          ? Promise.reject(new DialtoneError(ErrorCodes.internal, 'statement issued after its transaction ended'))
          : this.executeNow({ sql: query.sql, parameters: query.parameters, opensTransaction: false }),
      commit: () => finish(true),
      rollback: () => finish(false),
    });

    const commitIt = await end;
    const told = caller as Awaiting;
    if (this.lost !== undefined) {
      // The batch is gone, and the transaction's writes with it: a commit fails, a rollback has happened.
      if (commitIt) told.reject(this.lost);
      else told.resolve();
      return;
    }
    if (commitIt) {
      this.sendControl(release, () => awaiting.push(told), told.reject);
      return;
    }
    this.sendControl(rollbackToSavepoint);
    this.sendControl(release);
    await this.flush();
    told.resolve();
  }

  /** A statement inside a logical transaction: its caller needs the result to go on, so it goes now. */
  private executeNow(statement: WorkerStatement): Promise<QueryResult<unknown>> {
    return new Promise((resolve, reject) => {
      this.send(statement, (settled) => (settled.ok ? resolve(queryResult(settled.outcome)) : reject(settled.error)));
      void this.flush();
    });
  }

  /** BEGIN, SAVEPOINT, RELEASE…: if one of these fails, the batch cannot be trusted and is given up. */
  private sendControl(statement: WorkerStatement, onSuccess?: () => void, onFailure?: (error: Error) => void): void {
    this.send(statement, (settled) => {
      if (settled.ok) {
        onSuccess?.();
        return;
      }
      this.lost ??= settled.error;
      onFailure?.(settled.error);
    });
  }

  private send(statement: WorkerStatement, done: (settled: Settled) => void): void {
    this.outgoing.push({ statement, done });
  }

  /** Sends what is outgoing in one message and hands each outcome to its statement. Never rejects. */
  private async flush(): Promise<void> {
    const batch = this.outgoing;
    if (batch.length === 0) return;
    this.outgoing = [];
    let outcomes: StatementOutcome[];
    try {
      outcomes = await this.worker.execute(batch.map((item) => item.statement));
    } catch (error) {
      // The worker is gone (storeUnavailable): so is the transaction.
      this.lost ??= error as Error;
      for (const item of batch) item.done({ ok: false, error: this.lost });
      return;
    }
    batch.forEach((item, index) => item.done(this.settle(outcomes[index])));
  }

  private settle(outcome: StatementOutcome | undefined): Settled {
    if (outcome === undefined) {
      this.lost ??= new DialtoneError(ErrorCodes.internal, 'the SQLite worker answered fewer statements than it was sent');
      return { ok: false, error: this.lost };
    }
    if (!('error' in outcome)) return { ok: true, outcome };
    // The statement failed alone: SQLite undid it and the transaction goes on.
    if (outcome.transactionOpen && outcome.error.code !== noTransactionCode) return { ok: false, error: new SqliteError(outcome.error) };
    if (this.lost !== undefined) return { ok: false, error: this.lost };
    // This statement is what cost the transaction: it hears SQLite's own error, the rest of the batch
    // that their work was undone because of it.
    const error = new SqliteError(outcome.error);
    this.lost = new DialtoneError(
      ErrorCodes.storeUnavailable,
      `SQLite rolled back the transaction: ${outcome.error.message}`,
      { sqliteCode: outcome.error.code },
      { cause: error },
    );
    return { ok: false, error };
  }
}
