/**
 * The tables as Kysely sees them (snake_case, one interface per table). Repositories map these rows to
 * the camelCase records they export; nothing outside src/store sees a column name. Times are integer
 * milliseconds since the epoch (the Clock's `now()`), stored as BIGINT so that comparisons, ordering
 * and paging work the same way in SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface CallsTable {
  sid: string;
  account_sid: string;
  parent_call_sid: string | null;
  direction: string;
  from_address: string;
  to_address: string;
  status: string;
  start_time: number | null;
  answer_time: number | null;
  end_time: number | null;
  duration: number | null;
  sip_call_id: string | null;
  sip_response_code: number | null;
  answered_by: string | null;
  forwarded_from: string | null;
  caller_name: string | null;
  api_version: string;
  uri: string;
  date_created: number;
  date_updated: number;
  /** Migration 002: JSON `{ url, method, params }` of the final status callback, or null. */
  final_callback: string | null;
}

export interface CallEventsTable {
  call_sid: string;
  sequence_number: number;
  name: string;
  timestamp: number;
  /** JSON object of string values, redacted before it is written. */
  params: string;
}

export interface RecordingsTable {
  sid: string;
  account_sid: string;
  call_sid: string | null;
  status: string;
  channels: number;
  duration: number | null;
  file_path: string;
  source: string;
  track: string;
  start_time: number;
  error_code: number | null;
  api_version: string;
  uri: string;
  date_created: number;
  date_updated: number;
}

export interface NotificationsTable {
  sid: string;
  account_sid: string;
  call_sid: string | null;
  error_code: number;
  log_level: string;
  message_text: string;
  more_info: string | null;
  request_url: string | null;
  request_method: string | null;
  /** JSON object of string values, redacted before it is written. */
  request_variables: string | null;
  response_body: string | null;
  message_date: number;
  api_version: string;
  uri: string;
  date_created: number;
}

export interface CallbackOutboxTable {
  id: Generated<number>;
  call_sid: string;
  /** The callbacks delivered one at a time in sequence order: the CallSid, or a recording's RecordingSid (migration 003). */
  delivery_queue: string;
  sequence_number: number;
  account_sid: string;
  url: string;
  method: string;
  /** JSON object of string values, redacted before it is written. */
  params: string;
  status: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export interface DatabaseSchema {
  schema_migrations: SchemaMigrationsTable;
  calls: CallsTable;
  call_events: CallEventsTable;
  recordings: RecordingsTable;
  notifications: NotificationsTable;
  callback_outbox: CallbackOutboxTable;
}

export type Dialect = 'sqlite' | 'postgres';
