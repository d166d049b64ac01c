/**
 * The callback outbox: every status callback is written here (in the same transaction as the call
 * event it reports) before any attempt to send it, so a callback the engine has accepted survives a
 * crash, and the CallbackDispatcher delivers it at least once. Rows hold the account SID, never the
 * auth token: the token is looked up when the callback is signed, so a rotated token is honoured and
 * the database holds no secret.
 */
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { DialtoneError, ErrorCodes } from '../kernel/index.js';
import type { CallbackOutboxTable } from './database-schema.js';
import { redactParams, redactText } from './redact.js';
import type { RepositoryContext } from './repository-context.js';

export type OutboxStatus = 'pending' | 'delivered' | 'abandoned';
export type CallbackMethod = 'GET' | 'POST';

export interface NewCallback {
  callSid: string;
  /**
   * The callbacks delivered one at a time, in sequence order, whatever becomes of the others: a call's
   * status callbacks (the default, its CallSid), or one recording's (its RecordingSid). A queue whose
   * application keeps failing holds back only its own callbacks.
   */
  deliveryQueue?: string;
  /** Orders the callbacks of one delivery queue; ties fall back to the order of enqueueing. */
  sequenceNumber: number;
  /** Whose auth token signs the request (looked up at send time). */
  accountSid: string;
  url: string;
  method: CallbackMethod;
  params: Record<string, string>;
}

export interface OutboxEntry extends NewCallback {
  deliveryQueue: string;
  id: number;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface OutboxFilter {
  callSid?: string;
  status?: OutboxStatus;
}

export type EnqueueListener = (entry: OutboxEntry) => void;

function entryFromRow(row: Selectable<CallbackOutboxTable>): OutboxEntry {
  return {
    id: row.id,
    callSid: row.call_sid,
    deliveryQueue: row.delivery_queue,
    sequenceNumber: row.sequence_number,
    accountSid: row.account_sid,
    url: row.url,
    method: row.method as CallbackMethod,
    params: JSON.parse(row.params) as Record<string, string>,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
  };
}

/** In-process listeners told after an enqueue commits (the dispatcher wakes on them). */
export class EnqueueSignal {
  private readonly listeners = new Set<EnqueueListener>();

  subscribe(listener: EnqueueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(entry: OutboxEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A listener's fault must not undo or fail an enqueue that has already committed.
      }
    }
  }
}

export class OutboxRepository {
  constructor(
    private readonly context: RepositoryContext,
    private readonly signal: EnqueueSignal,
  ) {}

  async enqueue(input: NewCallback): Promise<OutboxEntry> {
    const now = this.context.clock.now();
    const values = {
      call_sid: input.callSid,
      delivery_queue: input.deliveryQueue ?? input.callSid,
      sequence_number: input.sequenceNumber,
      account_sid: input.accountSid,
      url: redactText(input.url),
      method: input.method,
      params: JSON.stringify(redactParams(input.params)),
      status: 'pending',
      attempts: 0,
      created_at: now,
      next_attempt_at: now,
      last_attempt_at: null,
      last_error: null,
      delivered_at: null,
    };
    const db = this.context.db;
    const [inserted] = await this.context.queries.rows(db, 'callback_outbox.insert', Object.values(values), () =>
      db.insertInto('callback_outbox').values(values).returning('id'),
    );
    if (inserted === undefined) throw new DialtoneError(ErrorCodes.internal, 'the outbox insert returned no id', { callSid: input.callSid });
    const entry = entryFromRow({ ...values, id: Number(inserted.id) });
    this.context.afterCommit(() => this.signal.emit(entry));
    return entry;
  }

  async get(id: number): Promise<OutboxEntry | undefined> {
    const row = await this.context.db.selectFrom('callback_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : entryFromRow(row);
  }

  /** Oldest first: per call in delivery order. For inspection and tests; the dispatcher uses `heads`. */
  async list(filter: OutboxFilter = {}): Promise<OutboxEntry[]> {
    let query = this.context.db.selectFrom('callback_outbox').selectAll();
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('call_sid').orderBy('sequence_number').orderBy('id').execute();
    return rows.map(entryFromRow);
  }

  /**
   * The first pending entry of each delivery queue (lowest sequence number, then id) — the only one of
   * that queue allowed to be sent — soonest due first. Later entries of a queue stay invisible until
   * the head is delivered or abandoned, which is what keeps a call's callbacks, and a recording's, in order.
   */
  async heads(limit: number): Promise<OutboxEntry[]> {
    const db = this.context.db;
    const rows = await this.context.queries.rows(db, 'callback_outbox.heads', ['pending', 'pending', limit], () =>
      db
        .selectFrom('callback_outbox as o')
        .selectAll('o')
        .where('o.status', '=', 'pending')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('callback_outbox as p')
                .select(sql<number>`1`.as('one'))
                .whereRef('p.delivery_queue', '=', 'o.delivery_queue')
                .where('p.status', '=', 'pending')
                .where(sql<boolean>`(p.sequence_number < o.sequence_number or (p.sequence_number = o.sequence_number and p.id < o.id))`),
            ),
          ),
        )
        .orderBy('o.next_attempt_at')
        .orderBy('o.id')
        .limit(limit),
    );
    return rows.map(entryFromRow);
  }

  /** Only a pending entry becomes delivered; false when it was not pending (already marked elsewhere). */
  async markDelivered(id: number): Promise<boolean> {
    const now = this.context.clock.now();
    const db = this.context.db;
    const result = await this.context.queries.execute(db, 'callback_outbox.delivered', ['delivered', now, now, 1, null, id, 'pending'], () =>
      db
        .updateTable('callback_outbox')
        .set((eb) => ({ status: 'delivered', delivered_at: now, last_attempt_at: now, attempts: eb('attempts', '+', 1), last_error: null }))
        .where('id', '=', id)
        .where('status', '=', 'pending'),
    );
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  /** Records a failed attempt and when to try again. */
  async markRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.context.db
      .updateTable('callback_outbox')
      .set((eb) => ({
        next_attempt_at: nextAttemptAt,
        last_attempt_at: this.context.clock.now(),
        attempts: eb('attempts', '+', 1),
        last_error: redactText(error),
      }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Gives up on an entry; the next entry of its call becomes the head. */
  async markAbandoned(id: number, error: string): Promise<void> {
    await this.context.db
      .updateTable('callback_outbox')
      .set((eb) => ({
        status: 'abandoned',
        last_attempt_at: this.context.clock.now(),
        attempts: eb('attempts', '+', 1),
        last_error: redactText(error),
      }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }
}
