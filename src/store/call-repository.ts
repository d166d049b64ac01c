/**
 * Calls: one row per call leg, in the shape of Twilio's Call resource (camelCase here; the REST layer
 * names the fields). Status only moves forward (see `statusRank`), so a late "ringing" can never
 * overwrite "completed", and a call that ended stays ended.
 */
import type { Selectable } from 'kysely';
import { DialtoneError, ErrorCodes, newSid } from '../kernel/index.js';
import type { CallsTable } from './database-schema.js';
import { type Page, type PageRequest, type TimeRange, fetchPage, whereTimeRange } from './fetch-page.js';
import { NotificationRepository } from './notification-repository.js';
import { redactOptional, redactText } from './redact.js';
import type { RepositoryContext } from './repository-context.js';
import { isUniqueViolation } from './unique-violation.js';

export type CallDirection = 'inbound' | 'outbound-api' | 'outbound-dial';
export type CallStatus =
  | 'queued'
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/**
 *   queued → initiated → ringing → in-progress → completed
 *      └──────────┴──────────┴──────────┴───────→ busy | failed | no-answer | canceled
 * A status may be skipped (an inbound call starts ringing) but never revisited.
 */
const statusRank: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  failed: 4,
  'no-answer': 4,
  canceled: 4,
};

export const liveCallStatuses: readonly CallStatus[] = ['queued', 'initiated', 'ringing', 'in-progress'];

export function isTerminalCallStatus(status: CallStatus): boolean {
  return statusRank[status] === 4;
}

export interface CallRecord {
  sid: string;
  accountSid: string;
  parentCallSid: string | null;
  direction: CallDirection;
  from: string;
  to: string;
  status: CallStatus;
  /** Epoch milliseconds, like every time in the store. */
  startTime: number | null;
  answerTime: number | null;
  endTime: number | null;
  /** Whole seconds. */
  duration: number | null;
  sipCallId: string | null;
  sipResponseCode: number | null;
  answeredBy: string | null;
  forwardedFrom: string | null;
  callerName: string | null;
  apiVersion: string;
  uri: string;
  dateCreated: number;
  dateUpdated: number;
}

export interface NewCall {
  /** Generated (CA + 32 hex) when absent. */
  sid?: string;
  accountSid: string;
  parentCallSid?: string | null;
  direction: CallDirection;
  from: string;
  to: string;
  /** Default `queued`. */
  status?: CallStatus;
  startTime?: number | null;
  answerTime?: number | null;
  endTime?: number | null;
  duration?: number | null;
  sipCallId?: string | null;
  sipResponseCode?: number | null;
  answeredBy?: string | null;
  forwardedFrom?: string | null;
  callerName?: string | null;
  /** Default `2010-04-01`. */
  apiVersion?: string;
}

export type CallPatch = Partial<
  Pick<
    CallRecord,
    | 'status'
    | 'startTime'
    | 'answerTime'
    | 'endTime'
    | 'duration'
    | 'sipCallId'
    | 'sipResponseCode'
    | 'answeredBy'
    | 'callerName'
  >
>;

export interface CallFilter {
  accountSid?: string;
  to?: string;
  from?: string;
  status?: CallStatus;
  parentCallSid?: string;
  startTime?: TimeRange;
  endTime?: TimeRange;
}

export interface FailedCall {
  call: CallRecord;
  /** Status at the crash. */
  previousStatus: CallStatus;
  notificationSid: string;
}

export function callRecordFromRow(row: Selectable<CallsTable>): CallRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    parentCallSid: row.parent_call_sid,
    direction: row.direction as CallDirection,
    from: row.from_address,
    to: row.to_address,
    status: row.status as CallStatus,
    startTime: row.start_time,
    answerTime: row.answer_time,
    endTime: row.end_time,
    duration: row.duration,
    sipCallId: row.sip_call_id,
    sipResponseCode: row.sip_response_code,
    answeredBy: row.answered_by,
    forwardedFrom: row.forwarded_from,
    callerName: row.caller_name,
    apiVersion: row.api_version,
    uri: row.uri,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}

export class CallRepository {
  constructor(private readonly context: RepositoryContext) {}

  async create(input: NewCall): Promise<CallRecord> {
    const now = this.context.clock.now();
    const sid = input.sid ?? newSid('CA');
    const apiVersion = input.apiVersion ?? '2010-04-01';
    const row: Selectable<CallsTable> = {
      sid,
      account_sid: input.accountSid,
      parent_call_sid: input.parentCallSid ?? null,
      direction: input.direction,
      // A To of sip:user:password@host must not keep its password in the call log.
      from_address: redactText(input.from),
      to_address: redactText(input.to),
      status: input.status ?? 'queued',
      start_time: input.startTime ?? null,
      answer_time: input.answerTime ?? null,
      end_time: input.endTime ?? null,
      duration: input.duration ?? null,
      sip_call_id: input.sipCallId ?? null,
      sip_response_code: input.sipResponseCode ?? null,
      answered_by: input.answeredBy ?? null,
      forwarded_from: redactOptional(input.forwardedFrom ?? null),
      caller_name: input.callerName ?? null,
      api_version: apiVersion,
      uri: `/${apiVersion}/Accounts/${input.accountSid}/Calls/${sid}.json`,
      date_created: now,
      date_updated: now,
    };
    try {
      await this.context.db.insertInto('calls').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DialtoneError(ErrorCodes.storeConflict, `call ${sid} already exists`, { sid }, { cause: error });
      }
      throw error;
    }
    return callRecordFromRow(row);
  }

  async get(sid: string): Promise<CallRecord | undefined> {
    const row = await this.context.db.selectFrom('calls').selectAll().where('sid', '=', sid).executeTakeFirst();
    return row === undefined ? undefined : callRecordFromRow(row);
  }

  /**
   * Applies `patch`; undefined when there is no such call. A status change that would go backwards,
   * or leave a finished call, throws callStatusTransitionInvalid and changes nothing.
   */
  async update(sid: string, patch: CallPatch): Promise<CallRecord | undefined> {
    return this.context.atomically(async (context) => {
      const current = await context.db.selectFrom('calls').selectAll().where('sid', '=', sid).executeTakeFirst();
      if (current === undefined) return undefined;
      const from = current.status as CallStatus;
      if (patch.status !== undefined && patch.status !== from && statusRank[patch.status] <= statusRank[from]) {
        throw new DialtoneError(ErrorCodes.callStatusTransitionInvalid, `call ${sid} cannot go from ${from} to ${patch.status}`, {
          sid,
          from,
          to: patch.status,
        });
      }
      const changes: Partial<Selectable<CallsTable>> = { date_updated: context.clock.now() };
      if (patch.status !== undefined) changes.status = patch.status;
      if (patch.startTime !== undefined) changes.start_time = patch.startTime;
      if (patch.answerTime !== undefined) changes.answer_time = patch.answerTime;
      if (patch.endTime !== undefined) changes.end_time = patch.endTime;
      if (patch.duration !== undefined) changes.duration = patch.duration;
      if (patch.sipCallId !== undefined) changes.sip_call_id = patch.sipCallId;
      if (patch.sipResponseCode !== undefined) changes.sip_response_code = patch.sipResponseCode;
      if (patch.answeredBy !== undefined) changes.answered_by = patch.answeredBy;
      if (patch.callerName !== undefined) changes.caller_name = patch.callerName;
      await context.db.updateTable('calls').set(changes).where('sid', '=', sid).execute();
      return callRecordFromRow({ ...current, ...changes });
    });
  }

  /** Newest first (date_created, then sid); see fetch-page.ts for the two paging modes. */
  async list(filter: CallFilter = {}, request: PageRequest = {}): Promise<Page<CallRecord>> {
    let query = this.context.db.selectFrom('calls').selectAll();
    if (filter.accountSid !== undefined) query = query.where('account_sid', '=', filter.accountSid);
    if (filter.to !== undefined) query = query.where('to_address', '=', filter.to);
    if (filter.from !== undefined) query = query.where('from_address', '=', filter.from);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.parentCallSid !== undefined) query = query.where('parent_call_sid', '=', filter.parentCallSid);
    query = whereTimeRange(query, 'start_time', filter.startTime);
    query = whereTimeRange(query, 'end_time', filter.endTime);
    return fetchPage(query, request, callRecordFromRow);
  }

  /**
   * Crash recovery, run once at start before any call is taken: every call still live in the database
   * belonged to a process that is gone, so it is marked failed. Its end is the last moment anything
   * was heard of it (its last update or last event), not the restart time, so durations are not
   * inflated by the downtime. Each gets a notification carrying `reason`; its events are untouched.
   */
  async markLiveCallsFailed(reason: string): Promise<FailedCall[]> {
    return this.context.atomically(async (context) => {
      const live = await context.db
        .selectFrom('calls')
        .selectAll()
        .where('status', 'in', [...liveCallStatuses])
        .orderBy('date_created')
        .execute();
      const now = context.clock.now();
      const changed: FailedCall[] = [];
      for (const row of live) {
        const lastEvent = await context.db
          .selectFrom('call_events')
          .select((eb) => eb.fn.max('timestamp').as('last'))
          .where('call_sid', '=', row.sid)
          .executeTakeFirst();
        const endTime = Math.max(row.date_updated, Number(lastEvent?.last ?? 0));
        const duration = row.answer_time === null ? 0 : Math.max(0, Math.floor((endTime - row.answer_time) / 1000));
        const changes = { status: 'failed', end_time: endTime, duration, date_updated: now };
        await context.db.updateTable('calls').set(changes).where('sid', '=', row.sid).execute();
        const notification = await new NotificationRepository(context).create({
          accountSid: row.account_sid,
          callSid: row.sid,
          errorCode: ErrorCodes.callInterruptedByRestart,
          logLevel: 'error',
          messageText: `call was ${row.status} when the engine stopped; marked failed at restart: ${reason}`,
        });
        changed.push({
          call: callRecordFromRow({ ...row, ...changes }),
          previousStatus: row.status as CallStatus,
          notificationSid: notification.sid,
        });
      }
      return changed;
    });
  }
}
