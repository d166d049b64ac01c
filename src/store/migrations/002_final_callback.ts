/**
 * Where a call's final status callback goes, kept on its row: the application that asked for the
 * `completed` event (a route's statusCallback, a REST call's StatusCallback) must hear of the call's
 * end even when the process died with the call live. Crash recovery (markLiveCallsFailed) reads it to
 * queue that last callback, CallStatus=failed. JSON text `{ url, method, params }`, null when nobody
 * asked; `params` are the parameters fixed for the call (CallSid, From, To, Direction…).
 */
import type { Migration } from './migration.js';

export const migration002FinalCallback: Migration = {
  version: 2,
  name: 'final_callback',
  async up(db) {
    await db.schema.alterTable('calls').addColumn('final_callback', 'text').execute();
  },
};
