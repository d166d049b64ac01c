import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSid } from '../../../src/kernel/index.js';
import type { Store } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, disposeStore, forEachBackend, openEmptyStore } from './store-backends.js';

const account = 'AC' + 'a'.repeat(32);
const start = Date.UTC(2026, 10, 23, 9);

forEachBackend('recordings', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(start);
    ({ database, store } = await openEmptyStore(backend, clock));
  });
  afterEach(() => disposeStore(database, store));

  test('create, update to completed, get', async () => {
    const callSid = 'CA' + '1'.repeat(32);
    const created = await store.recordings.create({ accountSid: account, callSid, filePath: '/data/recordings/x.wav', source: 'RecordVerb' });
    assert.ok(isSid(created.sid, 'RE'));
    assert.deepEqual(
      [created.status, created.channels, created.track, created.startTime, created.duration, created.errorCode],
      ['in-progress', 1, 'both', start, null, null],
    );
    assert.equal(created.uri, `/2010-04-01/Accounts/${account}/Recordings/${created.sid}.json`);
    clock.advance(12_000);
    const done = await store.recordings.update(created.sid, { status: 'completed', duration: 12 });
    assert.equal(done?.status, 'completed');
    assert.equal(done?.duration, 12);
    assert.equal(done?.dateUpdated, start + 12_000);
    assert.deepEqual(await store.recordings.get(created.sid), done);
    assert.equal(await store.recordings.update('RE' + '0'.repeat(32), { status: 'failed' }), undefined);
  });

  test('list filters by call, status and DateCreated, newest first, paged', async () => {
    const callA = 'CA' + 'a'.repeat(32);
    const callB = 'CA' + 'b'.repeat(32);
    const first = await store.recordings.create({ accountSid: account, callSid: callA, filePath: 'a.wav', source: 'DialVerb', channels: 2, track: 'inbound' });
    clock.advance(60_000);
    const second = await store.recordings.create({ accountSid: account, callSid: callB, filePath: 'b.wav', source: 'OutboundAPI' });
    await store.recordings.update(second.sid, { status: 'completed', duration: 3 });
    clock.advance(60_000);
    const third = await store.recordings.create({ accountSid: account, callSid: callA, filePath: 'c.wav', source: 'RecordVerb' });
    const sids = async (filter: Parameters<Store['recordings']['list']>[0], pageSize = 50) =>
      (await store.recordings.list(filter, { pageSize })).items.map((recording) => recording.sid);
    assert.deepEqual(await sids({ accountSid: account }), [third.sid, second.sid, first.sid]);
    assert.deepEqual(await sids({ callSid: callA }), [third.sid, first.sid]);
    assert.deepEqual(await sids({ status: 'completed' }), [second.sid]);
    assert.deepEqual(await sids({ dateCreated: { gt: start, lte: start + 60_000 } }), [second.sid]);
    const page = await store.recordings.list({}, { pageSize: 2 });
    const next = await store.recordings.list({}, { pageSize: 2, pageToken: page.nextPageToken });
    assert.deepEqual(next.items.map((recording) => recording.sid), [first.sid]);
    assert.equal((await store.recordings.get(first.sid))?.channels, 2);
  });

  test('delete removes the row and hands it back so the caller can remove the file', async () => {
    const created = await store.recordings.create({ accountSid: account, filePath: '/data/recordings/y.wav', source: 'RecordVerb' });
    const deleted = await store.recordings.delete(created.sid);
    assert.equal(deleted?.filePath, '/data/recordings/y.wav');
    assert.equal(await store.recordings.get(created.sid), undefined);
    assert.equal(await store.recordings.delete(created.sid), undefined);
  });
});
