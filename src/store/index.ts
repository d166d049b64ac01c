/**
 * The store: calls, call events, recordings, notifications and the callback outbox, in SQLite or
 * PostgreSQL. Other modules reach it only through this file.
 */
export { openStore, type Store, type StoreRepositories, type OpenStoreOptions } from './open-store.js';
export {
  CallRepository,
  type CallRecord,
  type NewCall,
  type CallPatch,
  type CallFilter,
  type CallDirection,
  type CallStatus,
  type FailedCall,
  type FinalCallback,
  liveCallStatuses,
  isTerminalCallStatus,
} from './call-repository.js';
export { CallEventRepository, type CallEvent, type EventCallback } from './call-event-repository.js';
export {
  RecordingRepository,
  type RecordingRecord,
  type NewRecording,
  type RecordingPatch,
  type RecordingFilter,
  type RecordingStatus,
  type RecordingSource,
  type RecordingTrack,
} from './recording-repository.js';
export {
  NotificationRepository,
  type NotificationRecord,
  type NewNotification,
  type NotificationFilter,
  type NotificationLevel,
  moreInfoUrl,
} from './notification-repository.js';
export {
  OutboxRepository,
  type OutboxEntry,
  type NewCallback,
  type OutboxFilter,
  type OutboxStatus,
  type CallbackMethod,
} from './outbox-repository.js';
export {
  CallbackDispatcher,
  type CallbackDispatcherOptions,
  type DeliverCallback,
  type DeliveryResult,
} from './callback-dispatcher.js';
export { type Page, type PageRequest, type TimeRange, defaultPageSize, maxPageSize } from './fetch-page.js';
export { redactText, redactParams, redactedMark } from './redact.js';
export { parseDatabaseUrl, type DatabaseLocation } from './database-connection.js';
export type { Dialect } from './database-schema.js';
export { loadOrCreateDefaultAccount, defaultAccountFile, type StoredAccount } from './default-account.js';
