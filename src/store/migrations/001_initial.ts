/**
 * The first schema: calls and their status-callback events, recordings, notifications and the
 * callback outbox. Times are BIGINT epoch milliseconds; parameter sets are JSON text (not jsonb) so
 * that both dialects store and return exactly the same bytes.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.js';

export const migration001Initial: Migration = {
  version: 1,
  name: 'initial',
  async up(db, dialect) {
    await db.schema
      .createTable('calls')
      .addColumn('sid', 'text', (c) => c.primaryKey())
      .addColumn('account_sid', 'text', (c) => c.notNull())
      .addColumn('parent_call_sid', 'text')
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('from_address', 'text', (c) => c.notNull())
      .addColumn('to_address', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('start_time', 'bigint')
      .addColumn('answer_time', 'bigint')
      .addColumn('end_time', 'bigint')
      .addColumn('duration', 'integer')
      .addColumn('sip_call_id', 'text')
      .addColumn('sip_response_code', 'integer')
      .addColumn('answered_by', 'text')
      .addColumn('forwarded_from', 'text')
      .addColumn('caller_name', 'text')
      .addColumn('api_version', 'text', (c) => c.notNull())
      .addColumn('uri', 'text', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .execute();
    // Lists are per account, newest first, keyset-paged on (date_created, sid).
    await db.schema.createIndex('calls_account_created').on('calls').columns(['account_sid', 'date_created', 'sid']).execute();
    await db.schema.createIndex('calls_parent').on('calls').column('parent_call_sid').execute();
    // markLiveCallsFailed scans by status at every start.
    await db.schema.createIndex('calls_status').on('calls').column('status').execute();

    await db.schema
      .createTable('call_events')
      .addColumn('call_sid', 'text', (c) => c.notNull().references('calls.sid'))
      .addColumn('sequence_number', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('call_events_pk', ['call_sid', 'sequence_number'])
      .execute();

    await db.schema
      .createTable('recordings')
      .addColumn('sid', 'text', (c) => c.primaryKey())
      .addColumn('account_sid', 'text', (c) => c.notNull())
      .addColumn('call_sid', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('channels', 'integer', (c) => c.notNull())
      .addColumn('duration', 'integer')
      .addColumn('file_path', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('track', 'text', (c) => c.notNull())
      .addColumn('start_time', 'bigint', (c) => c.notNull())
      .addColumn('error_code', 'integer')
      .addColumn('api_version', 'text', (c) => c.notNull())
      .addColumn('uri', 'text', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('recordings_account_created')
      .on('recordings')
      .columns(['account_sid', 'date_created', 'sid'])
      .execute();
    await db.schema.createIndex('recordings_call').on('recordings').column('call_sid').execute();

    await db.schema
      .createTable('notifications')
      .addColumn('sid', 'text', (c) => c.primaryKey())
      .addColumn('account_sid', 'text', (c) => c.notNull())
      .addColumn('call_sid', 'text')
      .addColumn('error_code', 'integer', (c) => c.notNull())
      .addColumn('log_level', 'text', (c) => c.notNull())
      .addColumn('message_text', 'text', (c) => c.notNull())
      .addColumn('more_info', 'text')
      .addColumn('request_url', 'text')
      .addColumn('request_method', 'text')
      .addColumn('request_variables', 'text')
      .addColumn('response_body', 'text')
      .addColumn('message_date', 'bigint', (c) => c.notNull())
      .addColumn('api_version', 'text', (c) => c.notNull())
      .addColumn('uri', 'text', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('notifications_account_created')
      .on('notifications')
      .columns(['account_sid', 'date_created', 'sid'])
      .execute();
    await db.schema.createIndex('notifications_call').on('notifications').column('call_sid').execute();

    await db.schema
      .createTable('callback_outbox')
      .addColumn('id', dialect === 'postgres' ? sql`bigserial` : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('call_sid', 'text', (c) => c.notNull())
      .addColumn('sequence_number', 'integer', (c) => c.notNull())
      .addColumn('account_sid', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('last_attempt_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'bigint')
      .execute();
    // The dispatcher asks for the head (lowest sequence number, then id) of each call's pending queue.
    await db.schema
      .createIndex('callback_outbox_pending')
      .on('callback_outbox')
      .columns(['status', 'call_sid', 'sequence_number', 'id'])
      .execute();
  },
};
