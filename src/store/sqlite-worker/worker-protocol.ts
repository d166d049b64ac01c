/**
 * What the main thread and the SQLite worker say to each other. The worker answers requests in the
 * order it got them, one reply per request, so replies need no ids.
 */

import { nameThreadStatement, ThreadNames } from '../../kernel/index.js';

/** One SQL statement for the worker to run. */
export interface WorkerStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /**
   * True only for the BEGIN of a batch. The worker runs a statement only when the connection's
   * transaction state is the one the statement expects (BEGIN: none open; anything else: one open),
   * so that after SQLite rolled a batch back on its own, the rest of the batch can never run in
   * autocommit mode, each statement committing by itself.
   */
  readonly opensTransaction: boolean;
}

/** An error as it crosses the thread boundary (a structured clone keeps no `code`). */
export interface WorkerError {
  readonly message: string;
  /** SQLite's extended result code name (SQLITE_CONSTRAINT_UNIQUE…), or noTransactionCode. */
  readonly code: string | undefined;
}

/** The code of a statement the worker refused because the batch's transaction was gone. */
export const noTransactionCode = 'DIALTONE_NO_TRANSACTION';

export type StatementOutcome =
  /** A statement returning rows (SELECT, or … RETURNING). */
  | { readonly rows: unknown[] }
  | { readonly changes: number; readonly lastInsertRowid: number | bigint }
  /** `transactionOpen` false: SQLite rolled the whole transaction back (or none was ever open). */
  | { readonly error: WorkerError; readonly transactionOpen: boolean };

export type WorkerRequest =
  | {
      readonly kind: 'open';
      readonly path: string;
      /** Run in order right after opening, e.g. `journal_mode = WAL`. */
      readonly pragmas: readonly string[];
    }
  | { readonly kind: 'execute'; readonly statements: readonly WorkerStatement[] }
  | { readonly kind: 'close' };

export interface WorkerReply {
  /** The open or close failed. */
  readonly error?: WorkerError;
  /** For `execute`: one outcome per statement, in order. */
  readonly outcomes?: StatementOutcome[];
}

export interface WorkerData {
  /** Where better-sqlite3 lives, resolved by the main thread (the worker resolves no modules). */
  readonly betterSqlite3Path: string;
  /** Prepared statements kept, by SQL text; the least recently used one goes first. */
  readonly statementCacheSize: number;
}

/**
 * The worker's program, plain JavaScript evaluated by the Worker, like the speech engine's: a separate
 * .ts entry file would not run under the TypeScript test loader on Node 20 (workers do not inherit its
 * hooks), and tsc does not copy a .js one into dist. It keeps to the types above. Everything here is
 * synchronous: one request runs to its end before the next is read, so a COMMIT's fsync blocks this
 * thread only, and requests arriving meanwhile wait in the port.
 */
export const workerSource = `
'use strict';
${nameThreadStatement(ThreadNames.sqlite)}
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3Path);
const noTransactionCode = ${JSON.stringify(noTransactionCode)};
let db;
const statements = new Map();

function describe(error) {
  return { message: String((error && error.message) || error), code: error && typeof error.code === 'string' ? error.code : undefined };
}

function prepare(sql) {
  let statement = statements.get(sql);
  if (statement !== undefined) {
    statements.delete(sql);
  } else {
    statement = db.prepare(sql);
    if (statements.size >= workerData.statementCacheSize) statements.delete(statements.keys().next().value);
  }
  statements.set(sql, statement);
  return statement;
}

function run(statement) {
  if (statement.opensTransaction === db.inTransaction) {
    const message = statement.opensTransaction ? 'a transaction is already open' : 'the transaction was rolled back by an earlier error';
    return { error: { message, code: noTransactionCode }, transactionOpen: db.inTransaction };
  }
  try {
    const prepared = prepare(statement.sql);
    if (prepared.reader) return { rows: prepared.all(statement.parameters) };
    const { changes, lastInsertRowid } = prepared.run(statement.parameters);
    return { changes, lastInsertRowid };
  } catch (error) {
    return { error: describe(error), transactionOpen: db.inTransaction };
  }
}

function open(request) {
  const database = new Database(request.path);
  try {
    for (const pragma of request.pragmas) database.pragma(pragma);
  } catch (error) {
    database.close();
    throw error;
  }
  db = database;
}

parentPort.on('message', (request) => {
  switch (request.kind) {
    case 'open':
      try {
        open(request);
        parentPort.postMessage({});
      } catch (error) {
        parentPort.postMessage({ error: describe(error) });
      }
      return;
    case 'execute':
      parentPort.postMessage({ outcomes: request.statements.map(run) });
      return;
    case 'close':
      try {
        statements.clear();
        if (db !== undefined) db.close();
        db = undefined;
        parentPort.postMessage({});
      } catch (error) {
        parentPort.postMessage({ error: describe(error) });
      }
      parentPort.close();
      return;
  }
});
`;
