/**
 * Notifications: the errors and warnings the engine met while running an application (a webhook
 * that failed, markup that did not parse, a callback given up on), in the shape of Twilio's
 * Notification resource. Everything free-text is redacted before it is written.
 */
import type { Selectable } from 'kysely';
import { newSid } from '../kernel/index.js';
import type { NotificationsTable } from './database-schema.js';
import { type Page, type PageRequest, type TimeRange, fetchPage, whereTimeRange } from './fetch-page.js';
import { redactOptional, redactParams, redactText } from './redact.js';
import type { RepositoryContext } from './repository-context.js';

export type NotificationLevel = 'error' | 'warning';

export interface NotificationRecord {
  sid: string;
  accountSid: string;
  callSid: string | null;
  errorCode: number;
  logLevel: NotificationLevel;
  messageText: string;
  /** Twilio's page for Twilio's codes; null for Dialtone's own 9xxxx codes, which Twilio does not document. */
  moreInfo: string | null;
  requestUrl: string | null;
  requestMethod: string | null;
  requestVariables: Record<string, string> | null;
  responseBody: string | null;
  messageDate: number;
  apiVersion: string;
  uri: string;
  dateCreated: number;
}

export interface NewNotification {
  accountSid: string;
  callSid?: string | null;
  errorCode: number;
  logLevel: NotificationLevel;
  messageText: string;
  requestUrl?: string | null;
  requestMethod?: string | null;
  requestVariables?: Record<string, string> | null;
  responseBody?: string | null;
  /** Default: now. */
  messageDate?: number;
}

export interface NotificationFilter {
  accountSid?: string;
  callSid?: string;
  logLevel?: NotificationLevel;
  messageDate?: TimeRange;
}

const dialtoneOwnCodes = 90_000;

export function moreInfoUrl(errorCode: number): string | null {
  return errorCode >= dialtoneOwnCodes ? null : `https://www.twilio.com/docs/errors/${errorCode}`;
}

function notificationFromRow(row: Selectable<NotificationsTable>): NotificationRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    callSid: row.call_sid,
    errorCode: row.error_code,
    logLevel: row.log_level as NotificationLevel,
    messageText: row.message_text,
    moreInfo: row.more_info,
    requestUrl: row.request_url,
    requestMethod: row.request_method,
    requestVariables: row.request_variables === null ? null : (JSON.parse(row.request_variables) as Record<string, string>),
    responseBody: row.response_body,
    messageDate: row.message_date,
    apiVersion: row.api_version,
    uri: row.uri,
    dateCreated: row.date_created,
  };
}

export class NotificationRepository {
  constructor(private readonly context: RepositoryContext) {}

  async create(input: NewNotification): Promise<NotificationRecord> {
    const now = this.context.clock.now();
    const sid = newSid('NO');
    const apiVersion = '2010-04-01';
    const row: Selectable<NotificationsTable> = {
      sid,
      account_sid: input.accountSid,
      call_sid: input.callSid ?? null,
      error_code: input.errorCode,
      log_level: input.logLevel,
      message_text: redactText(input.messageText),
      more_info: moreInfoUrl(input.errorCode),
      request_url: redactOptional(input.requestUrl ?? null),
      request_method: input.requestMethod ?? null,
      request_variables: input.requestVariables == null ? null : JSON.stringify(redactParams(input.requestVariables)),
      response_body: redactOptional(input.responseBody ?? null),
      message_date: input.messageDate ?? now,
      api_version: apiVersion,
      uri: `/${apiVersion}/Accounts/${input.accountSid}/Notifications/${sid}.json`,
      date_created: now,
    };
    await this.context.db.insertInto('notifications').values(row).execute();
    return notificationFromRow(row);
  }

  async get(sid: string): Promise<NotificationRecord | undefined> {
    const row = await this.context.db.selectFrom('notifications').selectAll().where('sid', '=', sid).executeTakeFirst();
    return row === undefined ? undefined : notificationFromRow(row);
  }

  /** Newest first; see fetch-page.ts. */
  async list(filter: NotificationFilter = {}, request: PageRequest = {}): Promise<Page<NotificationRecord>> {
    let query = this.context.db.selectFrom('notifications').selectAll();
    if (filter.accountSid !== undefined) query = query.where('account_sid', '=', filter.accountSid);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.logLevel !== undefined) query = query.where('log_level', '=', filter.logLevel);
    query = whereTimeRange(query, 'message_date', filter.messageDate);
    return fetchPage(query, request, notificationFromRow);
  }
}
