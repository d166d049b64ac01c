/**
 * Call events: the status-callback history of each call (initiated, ringing, answered, completed…),
 * numbered per call from 0 like Twilio's SequenceNumber. Kept apart from the outbox because it is the
 * record of what happened — it stays when a callback is delivered, abandoned or never asked for — and
 * because a call live at a crash keeps its events up to then.
 */
import type { Selectable } from 'kysely';
import { DialtoneError, ErrorCodes } from '../kernel/index.js';
import type { CallEventsTable } from './database-schema.js';
import { type CallbackMethod, type EnqueueSignal, type OutboxEntry, OutboxRepository } from './outbox-repository.js';
import { redactParams } from './redact.js';
import type { RepositoryContext } from './repository-context.js';
import { isUniqueViolation } from './unique-violation.js';

export interface CallEvent {
  callSid: string;
  sequenceNumber: number;
  /** e.g. initiated, ringing, answered, completed. */
  name: string;
  timestamp: number;
  params: Record<string, string>;
}

/** Where to send the event as a status callback; its parameters are the event's. */
export interface EventCallback {
  accountSid: string;
  url: string;
  method: CallbackMethod;
}

function eventFromRow(row: Selectable<CallEventsTable>): CallEvent {
  return {
    callSid: row.call_sid,
    sequenceNumber: row.sequence_number,
    name: row.name,
    timestamp: row.timestamp,
    params: JSON.parse(row.params) as Record<string, string>,
  };
}

/** Crash recovery no longer owes the call its final callback (migration 002). */
export async function clearFinalCallback(context: RepositoryContext, callSid: string): Promise<void> {
  const db = context.db;
  await context.queries.execute(db, 'calls.final_callback.clear', [null, callSid], () =>
    db.updateTable('calls').set({ final_callback: null }).where('sid', '=', callSid).where('final_callback', 'is not', null),
  );
}

async function insertEvent(context: RepositoryContext, event: CallEvent): Promise<void> {
  try {
    const row = {
      call_sid: event.callSid,
      sequence_number: event.sequenceNumber,
      name: event.name,
      timestamp: event.timestamp,
      params: JSON.stringify(event.params),
    };
    const db = context.db;
    await context.queries.rows(db, 'call_events.insert', Object.values(row), () => db.insertInto('call_events').values(row));
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DialtoneError(
        ErrorCodes.storeConflict,
        `call ${event.callSid} already has event ${event.sequenceNumber}`,
        { callSid: event.callSid, sequenceNumber: event.sequenceNumber },
        { cause: error },
      );
    }
    throw error;
  }
}

export class CallEventRepository {
  constructor(
    private readonly context: RepositoryContext,
    private readonly signal: EnqueueSignal,
  ) {}

  /**
   * Records an event and, when `callback` is given, enqueues it as a status callback in the same
   * transaction: the event and its callback are both kept or both lost, never one without the other.
   * The caller numbers events (it also puts SequenceNumber in the parameters); a number already used
   * for the call is refused with storeConflict.
   */
  async append(event: CallEvent, callback?: EventCallback): Promise<{ event: CallEvent; outbox?: OutboxEntry }> {
    const stored: CallEvent = { ...event, params: redactParams(event.params) };
    // Without a callback it is one statement, atomic by itself: no transaction to hold a batch open.
    if (callback === undefined) {
      await insertEvent(this.context, stored);
      return { event: stored };
    }
    return this.context.atomically(async (context) => {
      await insertEvent(context, stored);
      const outbox = await new OutboxRepository(context, this.signal).enqueue({
        callSid: event.callSid,
        sequenceNumber: event.sequenceNumber,
        accountSid: callback.accountSid,
        url: callback.url,
        method: callback.method,
        params: stored.params,
      });
      // The call's final callback is now queued: crash recovery no longer owes it (migration 002).
      if (event.name === 'completed') {
        await clearFinalCallback(context, event.callSid);
      }
      return { event: stored, outbox };
    });
  }

  /** A call's events in sequence order. */
  async list(callSid: string): Promise<CallEvent[]> {
    const rows = await this.context.db
      .selectFrom('call_events')
      .selectAll()
      .where('call_sid', '=', callSid)
      .orderBy('sequence_number')
      .execute();
    return rows.map(eventFromRow);
  }

  /** The number the next event of this call should carry (0 for a call with none yet). */
  async nextSequenceNumber(callSid: string): Promise<number> {
    const db = this.context.db;
    const [row] = await this.context.queries.rows(db, 'call_events.last', [callSid], () =>
      db
        .selectFrom('call_events')
        .select((eb) => eb.fn.max('sequence_number').as('last'))
        .where('call_sid', '=', callSid),
    );
    return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1;
  }
}
