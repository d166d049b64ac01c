/**
 * The thread that holds the SQLite connection. better-sqlite3 is synchronous: on the main thread
 * every statement, and every COMMIT's fsync, would stop the event loop (and with it every call's SIP
 * and media) for as long as the disk takes. Here the main thread only posts statements and awaits
 * their outcomes.
 *
 * If the worker dies, everything waiting on it, and everything asked of it later, fails with
 * storeUnavailable, naming why it stopped.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import {
  type StatementOutcome,
  type WorkerData,
  type WorkerError,
  type WorkerReply,
  type WorkerRequest,
  type WorkerStatement,
  workerSource,
} from './worker-protocol.js';

/** Builds the worker thread; tests inject one to watch or break it. */
export type StartWorker = (source: string, data: WorkerData) => Worker;

export interface SqliteWorkerOptions {
  startWorker?: StartWorker;
}

/** Prepared statements the worker keeps, by SQL text: the store issues a few dozen shapes. */
const statementCacheSize = 256;

interface Waiting {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

const startEvalWorker: StartWorker = (source, data) => new Worker(source, { eval: true, workerData: data });

/** An error the worker reported, as the main thread sees it: message and SQLite code, like better-sqlite3's. */
export class SqliteError extends Error {
  readonly code: string | undefined;

  constructor(error: WorkerError) {
    super(error.message);
    this.name = 'SqliteError';
    this.code = error.code;
  }
}

export class SqliteWorker {
  private readonly worker: Worker;
  /** Requests sent and not yet answered, oldest first (the worker answers in order). */
  private readonly waiting: Waiting[] = [];
  private stopped: DialtoneError | undefined;
  private closing: Promise<void> | undefined;
  private closeRequested = false;

  constructor(options: SqliteWorkerOptions = {}) {
    // Resolved here, where better-sqlite3 is a dependency, so that the worker resolves nothing.
    const betterSqlite3Path = createRequire(import.meta.url).resolve('better-sqlite3');
    const data: WorkerData = { betterSqlite3Path, statementCacheSize };
    this.worker = (options.startWorker ?? startEvalWorker)(workerSource, data);
    // Referenced only while it has work: an idle store must not keep the process alive, as the
    // synchronous connection it replaces did not.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      this.waiting.shift()?.resolve(reply);
      // Kept referenced once closing: the process waits for the thread to end.
      if (this.waiting.length === 0 && !this.closeRequested) this.worker.unref();
    });
    this.worker.on('error', (error) => this.stop(`the SQLite worker failed: ${error.message}`, error));
    this.worker.on('exit', (exitCode) =>
      this.stop(this.closeRequested ? 'the SQLite store is closed' : `the SQLite worker exited (code ${exitCode})`),
    );
  }

  /** Opens the database file and applies `pragmas`; rejects with a SqliteError (its code intact). */
  async open(path: string, pragmas: readonly string[]): Promise<void> {
    const reply = await this.request({ kind: 'open', path, pragmas });
    if (reply.error !== undefined) throw new SqliteError(reply.error);
  }

  /** Runs `statements` in order in one round trip; one outcome each. */
  async execute(statements: readonly WorkerStatement[]): Promise<StatementOutcome[]> {
    const reply = await this.request({ kind: 'execute', statements });
    return reply.outcomes ?? [];
  }

  /** Closes the database and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.stopped !== undefined) return;
    this.closeRequested = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const reply = await this.request({ kind: 'close' });
    await exited;
    if (reply.error !== undefined) throw new SqliteError(reply.error);
  }

  private request(request: WorkerRequest): Promise<WorkerReply> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private stop(why: string, cause?: unknown): void {
    if (this.stopped !== undefined) return;
    this.stopped = new DialtoneError(ErrorCodes.storeUnavailable, why, {}, cause === undefined ? undefined : { cause });
    for (const waiting of this.waiting.splice(0)) waiting.reject(this.stopped);
  }
}
