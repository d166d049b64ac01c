import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, createJsonLogger, silentLogger } from '../../../src/kernel/index.js';
import {
  CallbackDispatcher,
  type CallbackDispatcherOptions,
  type DeliveryResult,
  type OutboxEntry,
  type Store,
} from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, createTestDatabase, forEachBackend, settle } from './store-backends.js';
import { until } from '../../support/eventually.js';

const account = 'AC' + 'a'.repeat(32);
const statusUrl = 'http://127.0.0.1:3000/status';

/** The application end of the callbacks: records every attempt, fails the ones `failing` picks. */
class FakeApplication {
  readonly attempts: Array<{ callSid: string; sequenceNumber: number; at: number }> = [];
  readonly received: OutboxEntry[] = [];
  failing: (entry: OutboxEntry) => DeliveryResult | undefined = () => undefined;
  active = 0;
  maxActive = 0;
  gate: Promise<void> | undefined;

  constructor(private readonly clock: FakeClock) {}

  readonly deliver = async (entry: OutboxEntry): Promise<DeliveryResult> => {
    this.attempts.push({ callSid: entry.callSid, sequenceNumber: entry.sequenceNumber, at: this.clock.now() });
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.gate !== undefined) await this.gate;
      const failure = this.failing(entry);
      if (failure !== undefined) return failure;
      this.received.push(entry);
      return { ok: true };
    } finally {
      this.active -= 1;
    }
  };

  sequence(callSid: string): number[] {
    return this.received.filter((entry) => entry.callSid === callSid).map((entry) => entry.sequenceNumber);
  }
}

const down: DeliveryResult = { ok: false, retryable: true, error: 'HTTP 503 from application' };

forEachBackend('callback dispatcher', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;
  let app: FakeApplication;
  const dispatchers: CallbackDispatcher[] = [];

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
    database = await createTestDatabase(backend);
    store = await database.open(clock);
    app = new FakeApplication(clock);
  });
  afterEach(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.close();
    await store.close();
    await database.dispose();
  });

  function dispatcher(options: Partial<CallbackDispatcherOptions> = {}): CallbackDispatcher {
    const created = new CallbackDispatcher({
      store,
      deliver: app.deliver,
      clock,
      logger: process.env.DEBUG_DISPATCH ? createJsonLogger('debug') : silentLogger,
      // No jitter: random() = 1 makes every back-off exactly its base, so the schedule is checkable.
      random: () => 1,
      ...options,
    });
    dispatchers.push(created);
    return created;
  }

  /**
   * Waits until a failed attempt has been recorded and its retry put on the clock, so that advancing
   * the clock cannot overtake the dispatcher writing the back-off.
   */
  async function retryScheduled(): Promise<void> {
    await until(() => clock.pending() > 0, 'a retry on the clock');
  }

  async function newCall(): Promise<string> {
    return (await store.calls.create({ accountSid: account, direction: 'inbound', from: 'a', to: 'b' })).sid;
  }

  async function statusEvent(callSid: string, sequenceNumber: number, name = `event-${sequenceNumber}`): Promise<OutboxEntry> {
    const { outbox } = await store.callEvents.append(
      { callSid, sequenceNumber, name, timestamp: clock.now(), params: { CallSid: callSid, CallStatus: name, SequenceNumber: String(sequenceNumber) } },
      { accountSid: account, url: statusUrl, method: 'POST' },
    );
    assert.ok(outbox);
    return outbox;
  }

  test('a call event and its callback are written together, the callback carrying the account, not a token', async () => {
    const call = await newCall();
    const entry = await statusEvent(call, 0, 'initiated');
    assert.deepEqual(
      [entry.status, entry.attempts, entry.accountSid, entry.url, entry.method, entry.params.CallStatus],
      ['pending', 0, account, statusUrl, 'POST', 'initiated'],
    );
    assert.deepEqual(await store.outbox.list({ callSid: call }), [entry]);
    assert.equal((await store.callEvents.nextSequenceNumber(call)), 1);
    // A number already used is refused, and neither the event nor a callback is written twice.
    await assert.rejects(statusEvent(call, 0), (error: unknown) => (error as { code?: number }).code === ErrorCodes.storeConflict);
    assert.equal((await store.outbox.list({ callSid: call })).length, 1);
    assert.equal((await store.callEvents.list(call)).length, 1);
  });

  test('the outbox stores no password, whether in the URL or the parameters', async () => {
    const entry = await store.outbox.enqueue({
      callSid: 'CA' + 'e'.repeat(32),
      sequenceNumber: 0,
      accountSid: account,
      url: 'https://user:pw-url@app.example.com/status?Password=pw-query',
      method: 'GET',
      params: { SipAuthPassword: 'pw-param', To: 'sip:bob:pw-uri@pbx' },
    });
    const stored = await store.outbox.get(entry.id);
    assert.doesNotMatch(JSON.stringify(stored), /pw-/);
    assert.equal(stored?.url, 'https://user:[redacted]@app.example.com/status?Password=[redacted]');
  });

  test('a callback enqueued in a transaction that rolls back is neither kept nor sent', async () => {
    dispatcher().start();
    const call = await newCall();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.outbox.enqueue({ callSid: call, sequenceNumber: 0, accountSid: account, url: statusUrl, method: 'POST', params: {} });
        throw new Error('the rest of the unit of work failed');
      }),
      /rest of the unit/,
    );
    await store.transaction(async (tx) => {
      await tx.outbox.enqueue({ callSid: call, sequenceNumber: 1, accountSid: account, url: statusUrl, method: 'POST', params: {} });
    });
    await until(() => app.received.length === 1, 'the committed callback');
    await settle();
    assert.deepEqual(app.attempts.map((attempt) => attempt.sequenceNumber), [1]);
    assert.deepEqual((await store.outbox.list({ callSid: call })).map((entry) => entry.sequenceNumber), [1]);
  });

  test("one call's callbacks arrive in SequenceNumber order; a failing head holds back the rest, with back-off", async () => {
    const call = await newCall();
    // Enqueued out of order on purpose: order comes from SequenceNumber, not from arrival.
    await statusEvent(call, 1);
    await statusEvent(call, 0);
    await statusEvent(call, 2);
    app.failing = () => down;
    dispatcher({ initialRetryDelayMs: 1_000 }).start();
    await until(() => app.attempts.length === 1, 'first attempt');
    assert.deepEqual(app.attempts[0], { callSid: call, sequenceNumber: 0, at: clock.now() });

    await retryScheduled();
    clock.advance(999);
    await settle();
    assert.equal(app.attempts.length, 1, 'no retry before the back-off has passed');
    clock.advance(1);
    await until(() => app.attempts.length === 2, 'second attempt after 1 s');
    await retryScheduled();
    clock.advance(1_999);
    await settle();
    assert.equal(app.attempts.length, 2, 'the second back-off is twice the first');
    app.failing = () => undefined;
    clock.advance(1);
    await until(() => app.received.length === 3, 'all three delivered');
    assert.deepEqual(app.sequence(call), [0, 1, 2]);
    assert.deepEqual(app.attempts.map((attempt) => attempt.sequenceNumber), [0, 0, 0, 1, 2]);
    // Closing waits for the last mark to be written, so the rows below are final.
    await dispatchers[0]?.close();
    assert.deepEqual(
      (await store.outbox.list({ callSid: call })).map((row) => [row.sequenceNumber, row.status]),
      [
        [0, 'delivered'],
        [1, 'delivered'],
        [2, 'delivered'],
      ],
    );
    assert.equal((await store.outbox.list({ callSid: call }))[0]?.attempts, 3);
  });

  test('a call whose application is down does not hold up the callbacks of another call', async () => {
    const stuck = await newCall();
    const fine = await newCall();
    app.failing = (entry) => (entry.callSid === stuck ? down : undefined);
    dispatcher().start();
    await statusEvent(stuck, 0);
    await statusEvent(stuck, 1);
    for (let sequenceNumber = 0; sequenceNumber < 3; sequenceNumber += 1) await statusEvent(fine, sequenceNumber);
    await until(() => app.sequence(fine).length === 3, 'the healthy call delivered');
    assert.deepEqual(app.sequence(fine), [0, 1, 2]);
    assert.deepEqual(app.sequence(stuck), []);
    assert.ok(app.attempts.filter((attempt) => attempt.callSid === stuck).every((attempt) => attempt.sequenceNumber === 0));
    await retryScheduled();
    app.failing = () => undefined;
    clock.advance(60_000);
    await until(() => app.sequence(stuck).length === 2, 'the stuck call delivered once the application is back');
    assert.deepEqual(app.sequence(stuck), [0, 1]);
  });

  test("a recording's callbacks are their own queue: a failing recordingStatusCallback does not hold back the call's", async () => {
    const call = await newCall();
    const recordingSid = 'RE' + 'd'.repeat(32);
    const recordingUrl = 'http://127.0.0.1:3000/recording';
    const recordingCallback = (sequenceNumber: number, status: string) =>
      store.outbox.enqueue({
        callSid: call,
        deliveryQueue: recordingSid,
        sequenceNumber,
        accountSid: account,
        url: recordingUrl,
        method: 'POST',
        params: { CallSid: call, RecordingSid: recordingSid, RecordingStatus: status },
      });
    // Numbered from 0 like the call's own events, and enqueued between them.
    await statusEvent(call, 0, 'initiated');
    await recordingCallback(0, 'in-progress');
    await statusEvent(call, 1, 'answered');
    await recordingCallback(1, 'completed');
    await statusEvent(call, 2, 'completed');
    app.failing = (entry) => (entry.url === recordingUrl ? down : undefined);
    dispatcher().start();
    await until(() => app.sequence(call).length === 3, "the call's status callbacks delivered");
    assert.deepEqual(
      app.received.map((entry) => entry.params.CallStatus),
      ['initiated', 'answered', 'completed'],
    );
    // The recording's queue is held at its head, and keeps its own order once its URL answers.
    assert.equal(app.received.filter((entry) => entry.deliveryQueue === recordingSid).length, 0);
    await retryScheduled();
    app.failing = () => undefined;
    clock.advance(60_000);
    await until(() => app.received.length === 5, "the recording's callbacks delivered once its application is back");
    assert.deepEqual(
      app.received.filter((entry) => entry.deliveryQueue === recordingSid).map((entry) => entry.params.RecordingStatus),
      ['in-progress', 'completed'],
    );
  });

  test('a callback that settles while the dispatcher reads the outbox is not sent again from that read', async () => {
    const first = await newCall();
    const second = await newCall();
    const head = await statusEvent(first, 0);
    await statusEvent(first, 1);
    // One read of the outbox is held after it ran, and the first delivery settles meanwhile: the
    // read's answer still shows that callback pending.
    let holdNextRead = false;
    let releaseRead: (() => void) | undefined;
    const outbox = Object.assign(Object.create(store.outbox) as typeof store.outbox, {
      heads: async (limit: number) => {
        const rows = await store.outbox.heads(limit);
        if (holdNextRead) {
          holdNextRead = false;
          await new Promise<void>((resolve) => (releaseRead = resolve));
        }
        return rows;
      },
    });
    let releaseDelivery: () => void = () => {};
    app.gate = new Promise((resolve) => (releaseDelivery = resolve));
    const running = dispatcher({ store: { ...store, outbox } });
    running.start();
    await until(() => app.active === 1, 'the first delivery under way');
    holdNextRead = true;
    await statusEvent(second, 0);
    await until(() => releaseRead !== undefined, 'a read of the outbox held');
    releaseDelivery();
    await until(() => running.activeDeliveries === 0, 'the first delivery marked');
    (releaseRead as () => void)();
    await until(() => app.received.length === 3, 'every callback delivered');
    await settle();
    assert.deepEqual(
      app.attempts.filter((attempt) => attempt.callSid === first).map((attempt) => attempt.sequenceNumber),
      [0, 1],
      `callback ${head.id} went out once`,
    );
    assert.deepEqual(app.sequence(second), [0]);
  });

  test('callbacks still pending when the engine stops are delivered, in order, after it starts again', async () => {
    const call = await newCall();
    app.failing = () => down;
    const before = dispatcher();
    before.start();
    await statusEvent(call, 0);
    await until(() => app.attempts.length === 1, 'a failed attempt before the stop');
    await statusEvent(call, 1);
    await before.close();
    await store.close();

    // A new process: new store on the same database, new dispatcher, the application back up.
    clock.advance(3_600_000);
    store = await database.open(clock);
    app.failing = () => undefined;
    dispatcher().start();
    await until(() => app.received.length === 2, 'pending callbacks delivered after the restart');
    assert.deepEqual(app.sequence(call), [0, 1]);
  });

  test('a callback sent but not yet marked when the process dies is sent again (at least once)', async () => {
    const call = await newCall();
    const entry = await statusEvent(call, 0);
    let died = false;
    const crashing = new CallbackDispatcher({
      store,
      clock,
      logger: silentLogger,
      deliver: async (sent) => {
        app.received.push(sent);
        // The application has it; the process dies before the outbox row is marked delivered.
        await store.close();
        died = true;
        return { ok: true };
      },
    });
    crashing.start();
    await until(() => died, 'the send before the crash');
    await crashing.close();

    store = await database.open(clock);
    assert.equal((await store.outbox.get(entry.id))?.status, 'pending');
    dispatcher().start();
    await until(() => app.received.length === 2, 'the resend after the restart');
    assert.deepEqual(app.received.map((sent) => sent.id), [entry.id, entry.id]);
    await dispatchers[0]?.close();
    assert.equal((await store.outbox.get(entry.id))?.status, 'delivered');
  });

  test('a callback still failing at maxAge is abandoned with a notification, and the next one of its call goes out', async () => {
    const call = await newCall();
    const start = clock.now();
    await store.callEvents.append(
      { callSid: call, sequenceNumber: 0, name: 'ringing', timestamp: start, params: { CallStatus: 'ringing', SipAuthPassword: 'hunter2' } },
      { accountSid: account, url: statusUrl, method: 'POST' },
    );
    await statusEvent(call, 1);
    app.failing = (entry) => (entry.sequenceNumber === 0 ? down : undefined);
    dispatcher({ initialRetryDelayMs: 1_000, maxRetryDelayMs: 4_000, maxAgeMs: 14_000 }).start();
    // Back-off 1 s, 2 s, 4 s, then capped at 4 s; the last try is moved to the deadline (14 s).
    const schedule = [0, 1_000, 3_000, 7_000, 11_000, 14_000];
    const headAttempts = () => app.attempts.filter((attempt) => attempt.sequenceNumber === 0);
    await until(() => headAttempts().length === 1, 'attempt 1');
    for (let i = 1; i < schedule.length; i += 1) {
      await retryScheduled();
      clock.advance((schedule[i] as number) - (schedule[i - 1] as number));
      await until(() => headAttempts().length === i + 1, `attempt ${i + 1}`);
    }
    await until(() => app.received.length === 1, 'the next callback of the call, once the head is abandoned');
    assert.deepEqual(headAttempts().map((attempt) => attempt.at - start), schedule);
    assert.deepEqual(app.sequence(call), [1]);
    const [abandoned] = await store.outbox.list({ callSid: call, status: 'abandoned' });
    assert.equal(abandoned?.sequenceNumber, 0);
    assert.equal(abandoned?.attempts, 6);
    assert.equal(abandoned?.lastError, 'HTTP 503 from application');
    const notes = (await store.notifications.list({ callSid: call })).items;
    assert.equal(notes.length, 1);
    assert.deepEqual(
      [notes[0]?.errorCode, notes[0]?.logLevel, notes[0]?.requestUrl, notes[0]?.requestMethod, notes[0]?.requestVariables?.SipAuthPassword],
      [ErrorCodes.httpRetrievalFailure, 'error', statusUrl, 'POST', '[redacted]'],
    );
    assert.match(notes[0]?.messageText ?? '', /after 6 attempts/);
  });

  test('a refusal that retrying cannot change is abandoned at once with its own code', async () => {
    const call = await newCall();
    await statusEvent(call, 0);
    await statusEvent(call, 1);
    app.failing = (entry) =>
      entry.sequenceNumber === 0 ? { ok: false, retryable: false, error: 'HTTP 410', errorCode: 11205, responseBody: 'gone' } : undefined;
    dispatcher().start();
    await until(() => app.received.length === 1, 'the next callback after the refusal');
    assert.equal(app.attempts.length, 2);
    const [note] = (await store.notifications.list({ callSid: call })).items;
    assert.equal(note?.errorCode, 11205);
    assert.equal(note?.responseBody, 'gone');
  });

  test('at most `concurrency` deliveries run at once, and close() waits for them', async () => {
    let open: () => void = () => {};
    app.gate = new Promise((resolve) => {
      open = resolve;
    });
    const calls: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const call = await newCall();
      calls.push(call);
      await statusEvent(call, 0);
    }
    const bounded = dispatcher({ concurrency: 2 });
    bounded.start();
    await until(() => app.active === 2, 'two deliveries in flight');
    await settle();
    assert.equal(app.maxActive, 2);
    assert.equal(bounded.activeDeliveries, 2);
    open();
    await until(() => app.received.length === 5, 'all five delivered');
    assert.equal(app.maxActive, 2);

    app.gate = new Promise((resolve) => {
      open = resolve;
    });
    await statusEvent(calls[0] as string, 1);
    await until(() => app.active === 1, 'a delivery in flight');
    let closed = false;
    const closing = bounded.close().then(() => {
      closed = true;
    });
    await settle();
    assert.equal(closed, false, 'close waits for the delivery in flight');
    open();
    await closing;
    await statusEvent(calls[1] as string, 1);
    await settle();
    assert.equal(app.received.length, 6, 'nothing is sent after close');
    assert.equal((await store.outbox.list({ status: 'pending' })).length, 1);
  });

  test('retryDelay doubles up to the cap and jitters between half and all of it', () => {
    const fixed = (random: number) =>
      new CallbackDispatcher({ store, deliver: app.deliver, clock, logger: silentLogger, random: () => random, initialRetryDelayMs: 1_000, maxRetryDelayMs: 600_000 });
    assert.deepEqual([1, 2, 3, 4, 10, 11, 50].map((attempt) => fixed(1).retryDelay(attempt)), [1_000, 2_000, 4_000, 8_000, 512_000, 600_000, 600_000]);
    assert.deepEqual([1, 2, 50].map((attempt) => fixed(0).retryDelay(attempt)), [500, 1_000, 300_000]);
  });
});
