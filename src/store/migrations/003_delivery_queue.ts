/**
 * Which callbacks are delivered one at a time, in order: until now every callback of a call, so a
 * recording's status callbacks (numbered from 0 on their own) queued behind, or ahead of, the call's
 * status callbacks, and a recordingStatusCallback URL that kept failing held back the call's
 * `completed` for as long as it was retried (up to a day). `delivery_queue` is the CallSid for a
 * call's status callbacks and the RecordingSid for a recording's; rows written before it take their
 * CallSid, which is how they were ordered.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.js';

export const migration003DeliveryQueue: Migration = {
  version: 3,
  name: 'delivery_queue',
  async up(db) {
    await db.schema.alterTable('callback_outbox').addColumn('delivery_queue', 'text').execute();
    await sql`update callback_outbox set delivery_queue = call_sid`.execute(db);
    await db.schema.dropIndex('callback_outbox_pending').execute();
    await db.schema.createIndex('callback_outbox_pending').on('callback_outbox').columns(['status', 'delivery_queue', 'sequence_number', 'id']).execute();
  },
};
