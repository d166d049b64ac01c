/**
 * Where a call's final status callback goes, kept on its row: the application that asked for the
 * `completed` event (a route's statusCallback, a REST call's StatusCallback) must hear of the call's
 * end even when the process died with the call live. Crash recovery (markLiveCallsFailed) reads it to
 * queue that last callback, CallStatus=failed. JSON text `{ url, method, params }`, null when nobody
 * asked; `params` are the parameters fixed for the call (CallSid, From, To, Direction…). It is
 * cleared when the call's `completed` callback is queued; the partial index holds only the rows still
 * carrying one (calls live now, or ended without their callback), which recovery scans at start.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.js';

export const migration002FinalCallback: Migration = {
  version: 2,
  name: 'final_callback',
  async up(db) {
    await db.schema.alterTable('calls').addColumn('final_callback', 'text').execute();
    await sql`create index calls_final_callback_pending on calls (sid) where final_callback is not null`.execute(db);
  },
};
