/**
 * Delivers the callback outbox. Guarantees, and how each is kept:
 * - At least once: an entry is marked delivered only after `deliver` reported success; a crash (or a
 *   failed write) between the two leaves it pending, and it is sent again.
 * - In SequenceNumber order per delivery queue (a call's status callbacks; one recording's): only the
 *   head of a queue is ever picked (OutboxRepository.heads), and at most one delivery per queue is in
 *   flight. A failing head blocks the rest of its queue — never other queues, so neither other calls
 *   nor the same call's recording callbacks — until it is delivered or abandoned.
 * - Retries with exponential back-off and jitter on the injected Clock, capped at `maxRetryDelayMs`;
 *   an entry still failing `maxAgeMs` after it was enqueued (or refused as not retryable) is
 *   abandoned with a notification on its call, which unblocks the queue's next callbacks.
 * - Survives restarts: all state is in the outbox; `start()` picks up whatever is pending.
 * - Bounded: at most `concurrency` deliveries at once.
 * One dispatcher per database: two engines dispatching the same outbox would still deliver at least
 * once, but could interleave one call's callbacks.
 */
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';
import { ErrorCodes } from '../kernel/index.js';
import type { Store } from './open-store.js';
import type { OutboxEntry } from './outbox-repository.js';
import { redactText } from './redact.js';

export type DeliveryResult =
  | { ok: true }
  | {
      ok: false;
      /** False for an answer that retrying cannot change (the entry is abandoned at once). */
      retryable: boolean;
      /** What went wrong, for the entry's last_error and the notification. */
      error?: string;
      /** The notification's code when abandoned; default 11200 (HTTP retrieval failure). */
      errorCode?: number;
      responseBody?: string;
    };

/** Sends one callback (signing it with the token of `entry.accountSid`); must not throw, but may. */
export type DeliverCallback = (entry: OutboxEntry) => Promise<DeliveryResult>;

export interface CallbackDispatcherOptions {
  store: Store;
  deliver: DeliverCallback;
  clock: Clock;
  logger: Logger;
  /** Deliveries in flight at once (each for a different call). Default 8. */
  concurrency?: number;
  /** Back-off before the first retry; doubles per attempt. Default 1 s. */
  initialRetryDelayMs?: number;
  /** Longest wait between two attempts. Default 10 minutes. */
  maxRetryDelayMs?: number;
  /** An entry failing this long after it was enqueued is abandoned. Default 24 hours. */
  maxAgeMs?: number;
  /** Pause after the database itself failed, before looking at the outbox again. Default 5 s. */
  storeRetryDelayMs?: number;
  /** [0, 1) source for jitter; injectable so tests can fix it. */
  random?: () => number;
}

export class CallbackDispatcher {
  private readonly store: Store;
  private readonly deliver: DeliverCallback;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly initialRetryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly maxAgeMs: number;
  private readonly storeRetryDelayMs: number;
  private readonly random: () => number;

  /** Delivery queue → its delivery in flight; one per queue is what keeps its callbacks in order. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Ids of the deliveries that settled while heads() was being read: the answer may still show them
   * pending (read before their mark committed), so they are left out of it. The settle also pumps
   * again, and that read sees them as marked, and their calls' next heads.
   */
  private settledDuringRead: Set<number> | undefined;
  private pumping = false;
  private pumpAgain = false;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pausedUntil = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(options: CallbackDispatcherOptions) {
    this.store = options.store;
    this.deliver = options.deliver;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'callback-dispatcher' });
    this.concurrency = options.concurrency ?? 8;
    this.initialRetryDelayMs = options.initialRetryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 10 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60_000;
    this.storeRetryDelayMs = options.storeRetryDelayMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  /** Begins delivering, starting with whatever is pending from before a restart. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.unsubscribe = this.store.onEnqueue(() => this.wake());
    this.wake();
  }

  /** Deliveries currently in flight. */
  get activeDeliveries(): number {
    return this.inFlight.size;
  }

  /**
   * Stops starting deliveries and waits for those in flight to finish and be marked. Pending entries
   * stay in the outbox for the next start. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    this.unsubscribe?.();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.closing = Promise.allSettled([...this.inFlight.values()]).then(() => undefined);
    return this.closing;
  }

  /** The wait before retry number `attempt` (1 for the first retry): exponential, capped, jittered. */
  retryDelay(attempt: number): number {
    const base = Math.min(this.maxRetryDelayMs, this.initialRetryDelayMs * 2 ** Math.min(attempt - 1, 30));
    // "Equal jitter": half fixed, half random, so that callbacks failing together (the application
    // went down) spread out when it comes back, yet never retry sooner than half the back-off.
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  private wake(): void {
    if (this.closed) return;
    void this.pump();
  }

  private scheduleWake(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, at - this.clock.now()));
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        if (this.closed) break;
        if (this.clock.now() < this.pausedUntil) {
          this.scheduleWake(this.pausedUntil);
          break;
        }
        const free = this.concurrency - this.inFlight.size;
        // At capacity: the next delivery to settle pumps again.
        if (free <= 0) break;
        const settled = new Set<number>();
        this.settledDuringRead = settled;
        let heads: OutboxEntry[];
        try {
          // Heads in flight are still pending and come back too; ask for enough to fill every free slot.
          heads = await this.store.outbox.heads(this.inFlight.size + free + 1);
        } catch (error) {
          this.storeFailed('reading the outbox', error);
          continue;
        } finally {
          this.settledDuringRead = undefined;
        }
        if (this.closed) break;
        const now = this.clock.now();
        let slots = free;
        let nextDue = Number.POSITIVE_INFINITY;
        for (const entry of heads) {
          if (this.inFlight.has(entry.deliveryQueue) || settled.has(entry.id)) continue;
          if (entry.nextAttemptAt > now) {
            nextDue = Math.min(nextDue, entry.nextAttemptAt);
          } else if (slots > 0) {
            slots -= 1;
            this.begin(entry);
          }
        }
        if (nextDue !== Number.POSITIVE_INFINITY) this.scheduleWake(nextDue);
      } while (this.pumpAgain && !this.closed);
    } finally {
      this.pumping = false;
    }
  }

  private begin(entry: OutboxEntry): void {
    const task = this.attempt(entry).finally(() => {
      this.inFlight.delete(entry.deliveryQueue);
      this.settledDuringRead?.add(entry.id);
      this.wake();
    });
    this.inFlight.set(entry.deliveryQueue, task);
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    let result: DeliveryResult;
    try {
      result = await this.deliver(entry);
    } catch (error) {
      // A throwing deliver is a bug or an unexpected failure; retrying is the safe reading of it.
      result = { ok: false, retryable: true, error: (error as Error)?.message ?? String(error) };
    }
    try {
      if (result.ok) {
        await this.store.outbox.markDelivered(entry.id);
        this.logger.debug('callback delivered', { id: entry.id, callSid: entry.callSid, sequenceNumber: entry.sequenceNumber });
        return;
      }
      const now = this.clock.now();
      const error = result.error ?? 'delivery failed';
      const deadline = entry.createdAt + this.maxAgeMs;
      if (!result.retryable || now >= deadline) {
        await this.abandon(entry, result, error);
        return;
      }
      // The last try falls exactly at the deadline rather than being skipped by a long back-off.
      const nextAttemptAt = Math.min(now + this.retryDelay(entry.attempts + 1), deadline);
      await this.store.outbox.markRetry(entry.id, nextAttemptAt, error);
      this.logger.info('callback failed, will retry', {
        id: entry.id,
        callSid: entry.callSid,
        attempts: entry.attempts + 1,
        retryInMs: nextAttemptAt - now,
        error: redactText(error),
      });
    } catch (storeError) {
      // The entry stays pending as last written, so it will be sent again: a duplicate at worst,
      // which at-least-once allows; losing the callback is what it must never do.
      this.storeFailed('recording a delivery attempt', storeError);
    }
  }

  private async abandon(entry: OutboxEntry, result: Extract<DeliveryResult, { ok: false }>, error: string): Promise<void> {
    const attempts = entry.attempts + 1;
    const why = result.retryable ? `still failing after ${attempts} attempts` : 'refused';
    await this.store.transaction(async (tx) => {
      await tx.outbox.markAbandoned(entry.id, error);
      await tx.notifications.create({
        accountSid: entry.accountSid,
        callSid: entry.callSid,
        errorCode: result.errorCode ?? ErrorCodes.httpRetrievalFailure,
        logLevel: 'error',
        messageText: `status callback ${entry.sequenceNumber} ${why}, given up: ${error}`,
        requestUrl: entry.url,
        requestMethod: entry.method,
        requestVariables: entry.params,
        responseBody: result.responseBody ?? null,
      });
    });
    this.logger.warn('callback abandoned', { id: entry.id, callSid: entry.callSid, attempts, error: redactText(error) });
  }

  private storeFailed(doing: string, error: unknown): void {
    this.pausedUntil = this.clock.now() + this.storeRetryDelayMs;
    this.scheduleWake(this.pausedUntil);
    if (!this.closed) {
      this.logger.error(`callback dispatcher: database failed while ${doing}`, {
        error: redactText((error as Error)?.message ?? String(error)),
      });
    }
  }
}
