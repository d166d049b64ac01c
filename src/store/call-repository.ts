/**
 * Calls: one row per call leg, in the shape of Twilio's Call resource (camelCase here; the REST layer
 * names the fields). Status only moves forward (see `statusRank`), so a late "ringing" can never
 * overwrite "completed", and a call that ended stays ended.
 */
import type { Selectable } from 'kysely';
import { DialtoneError, ErrorCodes, formatRfc2822, newSid } from '../kernel/index.js';
import { CallEventRepository, clearFinalCallback } from './call-event-repository.js';
import type { CallsTable } from './database-schema.js';
import { type Page, type PageRequest, type TimeRange, fetchPage, whereTimeRange } from './fetch-page.js';
import { NotificationRepository } from './notification-repository.js';
import type { CallbackMethod, EnqueueSignal } from './outbox-repository.js';
import { redactOptional, redactParams, redactText } from './redact.js';
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

/** The statuses a call may move to `status` from: any of lower rank, and `status` itself (built once, read per update). */
const statusesMovingTo = Object.fromEntries(
  (Object.keys(statusRank) as CallStatus[]).map((status) => [
    status,
    (Object.keys(statusRank) as CallStatus[]).filter((from) => from === status || statusRank[from] < statusRank[status]),
  ]),
) as Record<CallStatus, CallStatus[]>;

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

/**
 * The status callback a call's end is reported to (the application asked for the `completed` event),
 * kept on the row so that crash recovery can still send it. `params` are those fixed for the call
 * (CallSid, AccountSid, From, To, Direction, ApiVersion, SipCallId…); at recovery CallStatus,
 * CallDuration, Timestamp, CallbackSource and SequenceNumber are set, and `Duration` (minutes) when
 * `params` has it.
 */
export interface FinalCallback {
  url: string;
  method: CallbackMethod;
  params: Record<string, string>;
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
  finalCallback?: FinalCallback | null;
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
> & { finalCallback?: FinalCallback | null };

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
  /** The SequenceNumber of the final callback queued for it (CallStatus=failed); absent when none was asked for. */
  finalCallbackSequenceNumber?: number;
}

function finalCallbackColumn(callback: FinalCallback | null | undefined): string | null {
  // Parameters are stored as the outbox would keep them: a SIP header's password never lands on disk.
  return callback === undefined || callback === null ? null : JSON.stringify({ ...callback, params: redactParams(callback.params) });
}

/** The columns a CallRecord is read from: all but final_callback, the JSON the store's recovery reads. */
type CallRecordRow = Omit<Selectable<CallsTable>, 'final_callback'>;

export function callRecordFromRow(row: CallRecordRow): CallRecord {
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
  constructor(
    private readonly context: RepositoryContext,
    /** Wakes the callback dispatcher when recovery queues a final callback. */
    private readonly signal: EnqueueSignal,
  ) {}

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
      final_callback: finalCallbackColumn(input.finalCallback),
    };
    try {
      const db = this.context.db;
      await this.context.queries.rows(db, 'calls.insert', Object.values(row), () => db.insertInto('calls').values(row));
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
   * Applies `patch`: true when the call was updated, false when there is no such call. A status
   * change that would go backwards, or leave a finished call, throws callStatusTransitionInvalid and
   * changes nothing. The row is not read back: the engine writes a call's state several times a call
   * and reads none of it (`get` does).
   *
   * One statement, the forward-only rule in its WHERE: a single statement is atomic by itself, so it
   * needs no transaction of its own and travels in a batch with other writers' statements (SQLite:
   * sqlite-worker/group-commit.ts), where a read-then-write transaction would hold the batch for two
   * round trips. Only when it changed nothing is the row read, to tell the two refusals apart.
   */
  async update(sid: string, patch: CallPatch): Promise<boolean> {
    const changes: Partial<Selectable<CallsTable>> = { date_updated: this.context.clock.now() };
    if (patch.status !== undefined) changes.status = patch.status;
    if (patch.startTime !== undefined) changes.start_time = patch.startTime;
    if (patch.answerTime !== undefined) changes.answer_time = patch.answerTime;
    if (patch.endTime !== undefined) changes.end_time = patch.endTime;
    if (patch.duration !== undefined) changes.duration = patch.duration;
    if (patch.sipCallId !== undefined) changes.sip_call_id = patch.sipCallId;
    if (patch.sipResponseCode !== undefined) changes.sip_response_code = patch.sipResponseCode;
    if (patch.answeredBy !== undefined) changes.answered_by = patch.answeredBy;
    if (patch.callerName !== undefined) changes.caller_name = patch.callerName;
    if (patch.finalCallback !== undefined) changes.final_callback = finalCallbackColumn(patch.finalCallback);
    const db = this.context.db;
    const movingFrom = patch.status === undefined ? [] : statusesMovingTo[patch.status];
    const [updated] = await this.context.queries.rows(
      db,
      `calls.update ${Object.keys(changes).join(',')} from ${movingFrom.length}`,
      [...Object.values(changes), sid, ...movingFrom],
      () => {
        const query = db.updateTable('calls').set(changes).where('sid', '=', sid);
        return (movingFrom.length === 0 ? query : query.where('status', 'in', movingFrom)).returning('sid');
      },
    );
    if (updated !== undefined) return true;
    const current = await this.context.db.selectFrom('calls').select('status').where('sid', '=', sid).executeTakeFirst();
    if (current === undefined) return false;
    const from = current.status as CallStatus;
    throw new DialtoneError(ErrorCodes.callStatusTransitionInvalid, `call ${sid} cannot go from ${from} to ${patch.status}`, {
      sid,
      from,
      to: patch.status,
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
   * inflated by the downtime. Each gets a notification carrying `reason`; its events are kept. A call
   * whose application asked for its final status callback gets it, CallStatus=failed, as the next event
   * of the call and into the outbox — in the same transaction as the status, so a crash during
   * recovery leaves either both (the callback goes exactly once) or neither (the next start does it).
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
        const failed = callRecordFromRow({ ...row, ...changes });
        // Queuing the `completed` callback also clears the row's final_callback (CallEventRepository.append).
        const finalCallbackSequenceNumber =
          row.final_callback === null ? undefined : await this.queueFinalCallback(context, failed, JSON.parse(row.final_callback) as FinalCallback);
        changed.push({
          call: failed,
          previousStatus: row.status as CallStatus,
          notificationSid: notification.sid,
          ...(finalCallbackSequenceNumber === undefined ? {} : { finalCallbackSequenceNumber }),
        });
      }
      return changed;
    });
  }
  /**
   * Crash recovery's second half, run right after markLiveCallsFailed: a call that had ended when the
   * process died, but whose `completed` event was not yet written (the end is one write, its event the
   * next), still gets its final callback, with the status it ended with. A subscription is cleared in
   * the transaction that queues its call's `completed` callback, so only such missed calls still carry
   * one (a partial index holds exactly those). Returns how many callbacks were queued.
   */
  async queueMissedFinalCallbacks(): Promise<number> {
    return this.context.atomically(async (context) => {
      const pending = await context.db
        .selectFrom('calls')
        .selectAll()
        .where('final_callback', 'is not', null)
        .where('status', 'not in', [...liveCallStatuses])
        .orderBy('date_created')
        .execute();
      let queued = 0;
      for (const row of pending) {
        const completed = await context.db
          .selectFrom('call_events')
          .select('sequence_number')
          .where('call_sid', '=', row.sid)
          .where('name', '=', 'completed')
          .executeTakeFirst();
        if (completed === undefined) {
          // Clears the row's final_callback in passing (CallEventRepository.append of `completed`).
          await this.queueFinalCallback(context, callRecordFromRow(row), JSON.parse(row.final_callback!) as FinalCallback);
          queued++;
        } else {
          await clearFinalCallback(context, row.sid);
        }
      }
      return queued;
    });
  }

  /** The `completed` event of a call failed at recovery, with its status callback; returns its SequenceNumber. */
  private async queueFinalCallback(context: RepositoryContext, call: CallRecord, callback: FinalCallback): Promise<number> {
    const events = new CallEventRepository(context, this.signal);
    const sequenceNumber = await events.nextSequenceNumber(call.sid);
    const timestamp = call.endTime ?? context.clock.now();
    const seconds = call.duration ?? 0;
    const params: Record<string, string> = {
      ...callback.params,
      CallStatus: call.status,
      CallDuration: String(seconds),
      ...('Duration' in callback.params ? { Duration: String(Math.ceil(seconds / 60)) } : {}),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequenceNumber),
      Timestamp: formatRfc2822(timestamp),
    };
    await events.append(
      { callSid: call.sid, sequenceNumber, name: 'completed', timestamp, params },
      { accountSid: call.accountSid, url: callback.url, method: callback.method },
    );
    return sequenceNumber;
  }
}
