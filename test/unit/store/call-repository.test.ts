import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialtoneError, ErrorCodes, isSid } from '../../../src/kernel/index.js';
import type { CallRecord, NewCall, Store } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, disposeStore, forEachBackend, openEmptyStore } from './store-backends.js';

const account = 'AC' + 'a'.repeat(32);
const otherAccount = 'AC' + 'b'.repeat(32);
const day = 24 * 60 * 60_000;
const midnight = Date.UTC(2026, 10, 23);

forEachBackend('calls', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(midnight);
    ({ database, store } = await openEmptyStore(backend, clock));
  });
  afterEach(() => disposeStore(database, store));

  const inbound = (overrides: Partial<NewCall> = {}): NewCall => ({
    accountSid: account,
    direction: 'inbound',
    from: 'sip:alice@example.com',
    to: '+15551230000',
    ...overrides,
  });

  test('create fills in the sid, status, API version and uri; get returns the same record', async () => {
    const created = await store.calls.create(inbound({ sipCallId: 'abc@host', callerName: 'Alice' }));
    assert.ok(isSid(created.sid, 'CA'));
    assert.equal(created.status, 'queued');
    assert.equal(created.apiVersion, '2010-04-01');
    assert.equal(created.uri, `/2010-04-01/Accounts/${account}/Calls/${created.sid}.json`);
    assert.equal(created.dateCreated, midnight);
    assert.equal(created.parentCallSid, null);
    assert.deepEqual(await store.calls.get(created.sid), created);
    assert.equal(await store.calls.get('CA' + '0'.repeat(32)), undefined);
  });

  test('a sid given twice is a conflict, not a second row', async () => {
    const sid = 'CA' + '1'.repeat(32);
    await store.calls.create(inbound({ sid }));
    await assert.rejects(store.calls.create(inbound({ sid })), (error: unknown) => {
      assert.ok(error instanceof DialtoneError);
      assert.equal(error.code, ErrorCodes.storeConflict);
      return true;
    });
  });

  test('status moves forward through its transitions and a finished call stays finished', async () => {
    const call = await store.calls.create(inbound());
    clock.advance(1_000);
    assert.equal(await store.calls.update(call.sid, { status: 'ringing', startTime: clock.now() }), true);
    const ringing = await store.calls.get(call.sid);
    assert.equal(ringing?.status, 'ringing');
    assert.equal(ringing?.dateUpdated, midnight + 1_000);
    clock.advance(2_000);
    await store.calls.update(call.sid, { status: 'in-progress', answerTime: clock.now(), answeredBy: 'human' });
    clock.advance(30_000);
    await store.calls.update(call.sid, { status: 'completed', endTime: clock.now(), duration: 30, sipResponseCode: 200 });
    const done = await store.calls.get(call.sid);
    assert.deepEqual(
      [done?.status, done?.startTime, done?.answerTime, done?.endTime, done?.duration, done?.sipResponseCode, done?.answeredBy],
      ['completed', midnight + 1_000, midnight + 3_000, midnight + 33_000, 30, 200, 'human'],
    );
    for (const status of ['ringing', 'failed', 'queued'] as const) {
      await assert.rejects(store.calls.update(call.sid, { status, duration: 99 }), (error: unknown) => {
        assert.ok(error instanceof DialtoneError);
        assert.equal(error.code, ErrorCodes.callStatusTransitionInvalid);
        return true;
      });
    }
    // A refused patch changes nothing, not even its other fields.
    assert.deepEqual(await store.calls.get(call.sid), done);
    // The same status again is not a transition: other fields may still be corrected.
    assert.equal(await store.calls.update(call.sid, { status: 'completed', duration: 31 }), true);
    assert.equal((await store.calls.get(call.sid))?.duration, 31);
    assert.equal(await store.calls.update('CA' + '0'.repeat(32), { status: 'ringing' }), false);
  });

  test('a status may be skipped (queued straight to busy)', async () => {
    const call = await store.calls.create(inbound());
    assert.equal(await store.calls.update(call.sid, { status: 'busy', sipResponseCode: 486 }), true);
    assert.equal((await store.calls.get(call.sid))?.status, 'busy');
  });

  test('list filters by account, To, From, Status, ParentCallSid, StartTime and EndTime', async () => {
    const parent = await store.calls.create(inbound({ startTime: midnight + 1_000 }));
    clock.advance(1);
    const child = await store.calls.create({
      accountSid: account,
      direction: 'outbound-dial',
      parentCallSid: parent.sid,
      from: '+15551230000',
      to: 'sip:bob@pbx.example.com',
      startTime: midnight + day + 5_000,
    });
    await store.calls.update(child.sid, { status: 'completed', endTime: midnight + day + 9_000 });
    clock.advance(1);
    const foreign = await store.calls.create(inbound({ accountSid: otherAccount }));
    const sids = async (filter: Parameters<Store['calls']['list']>[0]) =>
      (await store.calls.list(filter)).items.map((call: CallRecord) => call.sid);

    assert.deepEqual(await sids({}), [foreign.sid, child.sid, parent.sid]);
    assert.deepEqual(await sids({ accountSid: account }), [child.sid, parent.sid]);
    assert.deepEqual(await sids({ accountSid: account, to: 'sip:bob@pbx.example.com' }), [child.sid]);
    assert.deepEqual(await sids({ accountSid: account, from: 'sip:alice@example.com' }), [parent.sid]);
    assert.deepEqual(await sids({ accountSid: account, status: 'completed' }), [child.sid]);
    assert.deepEqual(await sids({ status: 'queued' }), [foreign.sid, parent.sid]);
    assert.deepEqual(await sids({ parentCallSid: parent.sid }), [child.sid]);
    // Twilio's StartTime=YYYY-MM-DD (that day), StartTime>= and StartTime<= map to ranges.
    assert.deepEqual(await sids({ startTime: { gte: midnight, lt: midnight + day } }), [parent.sid]);
    assert.deepEqual(await sids({ startTime: { gte: midnight + day } }), [child.sid]);
    assert.deepEqual(await sids({ startTime: { lte: midnight + day } }), [parent.sid]);
    assert.deepEqual(await sids({ endTime: { gt: midnight + day } }), [child.sid]);
    assert.deepEqual(await sids({ endTime: { lt: midnight } }), []);
  });

  test('pages newest first by token forwards and back, and by page number', async () => {
    const created: CallRecord[] = [];
    for (let i = 0; i < 7; i += 1) {
      // Two calls share each millisecond, so the sid tie-break is exercised.
      if (i % 2 === 0) clock.advance(10);
      created.push(await store.calls.create(inbound()));
    }
    const all = created
      .sort((a, b) => b.dateCreated - a.dateCreated || (a.sid < b.sid ? 1 : -1))
      .map((call) => call.sid);
    assert.deepEqual((await store.calls.list({}, { pageSize: 1000 })).items.map((call) => call.sid), all);

    const first = await store.calls.list({}, { pageSize: 3 });
    assert.deepEqual(first.items.map((call) => call.sid), all.slice(0, 3));
    assert.equal(first.page, 0);
    assert.equal(first.previousPageToken, undefined);
    assert.ok(first.nextPageToken);

    // Rows created while a client pages do not shift the pages it has not read yet.
    clock.advance(10);
    await store.calls.create(inbound());

    const second = await store.calls.list({}, { pageSize: 3, pageToken: first.nextPageToken });
    assert.deepEqual(second.items.map((call) => call.sid), all.slice(3, 6));
    assert.equal(second.page, 1);
    const third = await store.calls.list({}, { pageSize: 3, pageToken: second.nextPageToken });
    assert.deepEqual(third.items.map((call) => call.sid), all.slice(6));
    assert.equal(third.nextPageToken, undefined);
    assert.equal(third.page, 2);

    const back = await store.calls.list({}, { pageSize: 3, pageToken: third.previousPageToken });
    assert.deepEqual(back.items.map((call) => call.sid), all.slice(3, 6));
    assert.equal(back.page, 1);

    const legacy = await store.calls.list({}, { pageSize: 3, page: 1 });
    assert.equal(legacy.page, 1);
    assert.equal(legacy.items.length, 3);
    assert.ok(legacy.previousPageToken);

    await assert.rejects(store.calls.list({}, { pageToken: 'not-a-token' }), (error: unknown) => {
      assert.ok(error instanceof DialtoneError);
      assert.equal(error.code, ErrorCodes.storePageTokenInvalid);
      return true;
    });
    await assert.rejects(store.calls.list({}, { pageSize: 1001 }), DialtoneError);
  });

  test('a SIP URI password in To or From is not stored', async () => {
    const call = await store.calls.create(
      inbound({ to: 'sip:bob:hunter2@pbx.example.com', forwardedFrom: 'sip:carol:s3cret@example.com' }),
    );
    const stored = await store.calls.get(call.sid);
    assert.equal(stored?.to, 'sip:bob:[redacted]@pbx.example.com');
    assert.equal(stored?.forwardedFrom, 'sip:carol:[redacted]@example.com');
    assert.doesNotMatch(JSON.stringify(stored), /hunter2|s3cret/);
  });

  test('markLiveCallsFailed fails every live call at its last sign of life, keeps its events, and notes why', async () => {
    const answered = await store.calls.create(inbound());
    await store.calls.update(answered.sid, { status: 'in-progress', answerTime: midnight });
    const ringing = await store.calls.create(inbound());
    await store.calls.update(ringing.sid, { status: 'ringing' });
    const finished = await store.calls.create(inbound());
    await store.calls.update(finished.sid, { status: 'completed', endTime: midnight });
    clock.advance(42_000);
    for (const [sequenceNumber, name] of ['initiated', 'answered'].entries()) {
      await store.callEvents.append({
        callSid: answered.sid,
        sequenceNumber,
        name,
        timestamp: clock.now(),
        params: { CallStatus: name, SequenceNumber: String(sequenceNumber) },
      });
    }
    // The restart comes an hour later; the call's end is when it was last heard of, not now.
    clock.advance(3_600_000);
    const changed = await store.calls.markLiveCallsFailed('engine restarted');
    assert.deepEqual(
      changed.map((entry) => [entry.call.sid, entry.previousStatus, entry.call.status]).sort(),
      [
        [answered.sid, 'in-progress', 'failed'],
        [ringing.sid, 'ringing', 'failed'],
      ].sort(),
    );
    const failed = await store.calls.get(answered.sid);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.endTime, midnight + 42_000);
    assert.equal(failed?.duration, 42);
    assert.equal((await store.calls.get(ringing.sid))?.duration, 0);
    assert.equal((await store.calls.get(finished.sid))?.status, 'completed');
    assert.deepEqual(
      (await store.callEvents.list(answered.sid)).map((event) => event.name),
      ['initiated', 'answered'],
    );
    const notes = await store.notifications.list({ callSid: answered.sid });
    assert.equal(notes.items.length, 1);
    assert.equal(notes.items[0]?.errorCode, ErrorCodes.callInterruptedByRestart);
    assert.match(notes.items[0]?.messageText ?? '', /engine restarted/);
    assert.deepEqual(await store.calls.markLiveCallsFailed('again'), []);
  });
});
