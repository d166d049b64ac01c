/**
 * Crash recovery and the final status callback (issue 7): a call live when the process died is marked
 * failed at the next start, and the application that subscribed to its end (a route's statusCallback,
 * a REST call's StatusCallback with `completed`) gets that last callback — CallStatus=failed, the
 * call's next SequenceNumber, CallDuration, Timestamp — through the outbox, exactly once, even when
 * the engine dies again during recovery.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { formatRfc2822 } from '../../../src/kernel/index.js';
import { type FinalCallback, type Store, parseDatabaseUrl } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, disposeStore, forEachBackend, openEmptyStore } from './store-backends.js';

const account = 'AC' + 'c'.repeat(32);
const midnight = Date.UTC(2026, 10, 23);
const statusUrl = 'https://app.example.com/status';

/** Runs SQL on the database behind the store's back: what a test needs to make a recovery fail. */
async function rawExec(database: TestDatabase, statements: string[]): Promise<void> {
  const location = parseDatabaseUrl(database.url);
  if (location.dialect === 'sqlite') {
    const connection = new Database(location.path);
    try {
      for (const statement of statements) connection.exec(statement);
    } finally {
      connection.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The outbox refuses every insert until `allowOutbox` drops the trigger: the disk "fails" mid-recovery. */
function refuseOutbox(database: TestDatabase): Promise<void> {
  return rawExec(
    database,
    database.backend === 'sqlite'
      ? ["create trigger refuse_outbox before insert on callback_outbox begin select raise(abort, 'the disk went away'); end"]
      : [
          "create function refuse_outbox() returns trigger language plpgsql as $$ begin raise exception 'the disk went away'; end $$",
          'create trigger refuse_outbox before insert on callback_outbox for each row execute function refuse_outbox()',
        ],
  );
}

function allowOutbox(database: TestDatabase): Promise<void> {
  return rawExec(
    database,
    database.backend === 'sqlite' ? ['drop trigger refuse_outbox'] : ['drop trigger refuse_outbox on callback_outbox', 'drop function refuse_outbox()'],
  );
}

forEachBackend('crash recovery: the final status callback', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(midnight);
    ({ database, store } = await openEmptyStore(backend, clock));
  });
  afterEach(() => disposeStore(database, store));

  const fixed: FinalCallback = {
    url: statusUrl,
    method: 'POST',
    params: { CallSid: '', AccountSid: account, From: '+15551230000', To: 'sip:bob@example.com', Direction: 'outbound-api', ApiVersion: '2010-04-01' },
  };

  /** An answered outbound-api call that told the application of initiated (0) and answered (1). */
  async function answeredCallWithCallbacks(): Promise<string> {
    const call = await store.calls.create({ accountSid: account, direction: 'outbound-api', from: '+15551230000', to: 'sip:bob@example.com' });
    await store.calls.update(call.sid, { status: 'initiated', startTime: clock.now(), finalCallback: { ...fixed, params: { ...fixed.params, CallSid: call.sid } } });
    clock.advance(2_000);
    await store.calls.update(call.sid, { status: 'in-progress', answerTime: clock.now() });
    for (const [sequenceNumber, name] of ['initiated', 'answered'].entries()) {
      await store.callEvents.append(
        { callSid: call.sid, sequenceNumber, name, timestamp: clock.now(), params: { CallSid: call.sid, SequenceNumber: String(sequenceNumber) } },
        { accountSid: account, url: statusUrl, method: 'POST' },
      );
    }
    // Last heard of 65 s after the answer; the restart comes an hour later.
    clock.advance(65_000);
    await store.calls.update(call.sid, { sipResponseCode: 200 });
    clock.advance(3_600_000);
    return call.sid;
  }

  test('a live call whose application asked for `completed` gets it, CallStatus=failed, as its next event', async () => {
    const subscribed = await answeredCallWithCallbacks();
    // An inbound call whose route has no statusCallback: failed, no callback, its events untouched.
    const unsubscribed = await store.calls.create({ accountSid: account, direction: 'inbound', from: 'sip:alice@example.com', to: '+15551230000', status: 'ringing' });

    const failed = await store.calls.markLiveCallsFailed('engine restarted');
    assert.deepEqual(
      failed.map((entry) => [entry.call.sid, entry.finalCallbackSequenceNumber]).sort(),
      [
        [subscribed, 2],
        [unsubscribed.sid, undefined],
      ].sort(),
    );

    const events = await store.callEvents.list(subscribed);
    assert.deepEqual(events.map((event) => [event.sequenceNumber, event.name]), [[0, 'initiated'], [1, 'answered'], [2, 'completed']]);
    const outbox = await store.outbox.list({ callSid: subscribed });
    assert.deepEqual(outbox.map((entry) => entry.sequenceNumber), [0, 1, 2]);
    const final = outbox[2]!;
    assert.equal(final.url, statusUrl);
    assert.equal(final.method, 'POST');
    assert.equal(final.accountSid, account);
    assert.equal(final.status, 'pending');
    const lastHeard = midnight + 2_000 + 65_000;
    assert.deepEqual(final.params, {
      CallSid: subscribed,
      AccountSid: account,
      From: '+15551230000',
      To: 'sip:bob@example.com',
      Direction: 'outbound-api',
      ApiVersion: '2010-04-01',
      CallStatus: 'failed',
      CallDuration: '65',
      CallbackSource: 'call-progress-events',
      SequenceNumber: '2',
      Timestamp: formatRfc2822(lastHeard),
    });
    assert.deepEqual(await store.callEvents.list(unsubscribed.sid), []);
    assert.deepEqual(await store.outbox.list({ callSid: unsubscribed.sid }), []);
  });

  test('an inbound route subscription carries Duration in minutes, recomputed for the failed call', async () => {
    const call = await store.calls.create({
      accountSid: account,
      direction: 'inbound',
      from: 'sip:alice@example.com',
      to: '+15551230000',
      status: 'ringing',
      finalCallback: { url: statusUrl, method: 'GET', params: { AccountSid: account, Direction: 'inbound', Duration: '0' } },
    });
    await store.calls.update(call.sid, { status: 'in-progress', answerTime: clock.now() });
    clock.advance(61_000);
    await store.calls.update(call.sid, { callerName: 'Alice' });
    await store.calls.markLiveCallsFailed('engine restarted');
    const [final] = await store.outbox.list({ callSid: call.sid });
    assert.equal(final?.method, 'GET');
    assert.equal(final?.params['SequenceNumber'], '0');
    assert.equal(final?.params['CallDuration'], '61');
    assert.equal(final?.params['Duration'], '2');
  });

  test('a crash during recovery leaves the call live and nothing queued; the next start sends the callback exactly once', async () => {
    const sid = await answeredCallWithCallbacks();
    // The engine "dies" while queueing the callback: the outbox insert fails inside the recovery.
    await refuseOutbox(database);
    await assert.rejects(store.calls.markLiveCallsFailed('first restart'));
    assert.equal((await store.calls.get(sid))?.status, 'in-progress', 'the failed status went with the callback');
    assert.deepEqual((await store.callEvents.list(sid)).map((event) => event.name), ['initiated', 'answered']);
    assert.deepEqual((await store.notifications.list({ callSid: sid })).items, []);
    await allowOutbox(database);

    // The next start: recovery succeeds, and one more start after that queues nothing again.
    await store.close();
    store = await database.open(clock);
    assert.equal((await store.calls.markLiveCallsFailed('second restart')).length, 1);
    await store.close();
    store = await database.open(clock);
    assert.deepEqual(await store.calls.markLiveCallsFailed('third restart'), []);

    const finals = (await store.outbox.list({ callSid: sid })).filter((entry) => entry.params['CallStatus'] === 'failed');
    assert.deepEqual(finals.map((entry) => entry.sequenceNumber), [2]);
    assert.equal((await store.calls.get(sid))?.status, 'failed');
  });

  test('a call that ended just before the crash, before its completed callback was written, gets it with its own status; one whose callback went out gets nothing more', async () => {
    // Ended: its status was written, then the process died before its `completed` event.
    const missed = await answeredCallWithCallbacks();
    await store.calls.update(missed, { status: 'completed', endTime: clock.now(), duration: 65 });
    // Ended and its completed callback queued as usual: the subscription is spent.
    const delivered = await answeredCallWithCallbacks();
    await store.calls.update(delivered, { status: 'completed', endTime: clock.now(), duration: 65 });
    await store.callEvents.append(
      { callSid: delivered, sequenceNumber: 2, name: 'completed', timestamp: clock.now(), params: { CallSid: delivered, CallStatus: 'completed' } },
      { accountSid: account, url: statusUrl, method: 'POST' },
    );

    assert.deepEqual(await store.calls.markLiveCallsFailed('engine restarted'), []);
    assert.equal(await store.calls.queueMissedFinalCallbacks(), 1);
    const final = (await store.outbox.list({ callSid: missed }))[2];
    assert.equal(final?.params['CallStatus'], 'completed', 'the status the call ended with, not failed');
    assert.equal(final?.params['SequenceNumber'], '2');
    assert.equal(final?.params['CallDuration'], '65');
    assert.deepEqual((await store.outbox.list({ callSid: delivered })).map((entry) => entry.sequenceNumber), [0, 1, 2]);

    // The next start owes nothing.
    await store.close();
    store = await database.open(clock);
    assert.equal(await store.calls.queueMissedFinalCallbacks(), 0);
    assert.equal((await store.outbox.list({ callSid: missed })).length, 3);
  });
});
