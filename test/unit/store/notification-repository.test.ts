import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isSid } from '../../../src/kernel/index.js';
import type { Store } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type TestDatabase, disposeStore, forEachBackend, openEmptyStore } from './store-backends.js';

const account = 'AC' + 'a'.repeat(32);
const callSid = 'CA' + 'c'.repeat(32);
const start = Date.UTC(2026, 10, 23, 9);

forEachBackend('notifications', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(start);
    ({ database, store } = await openEmptyStore(backend, clock));
  });
  afterEach(() => disposeStore(database, store));

  test('create keeps the request and response, links Twilio codes to their page, and get returns it', async () => {
    const created = await store.notifications.create({
      accountSid: account,
      callSid,
      errorCode: ErrorCodes.httpRetrievalFailure,
      logLevel: 'error',
      messageText: 'HTTP 500 from http://app/voice',
      requestUrl: 'http://app/voice',
      requestMethod: 'POST',
      requestVariables: { CallSid: callSid, From: '+15551230000' },
      responseBody: 'oops',
    });
    assert.ok(isSid(created.sid, 'NO'));
    assert.equal(created.moreInfo, 'https://www.twilio.com/docs/errors/11200');
    assert.equal(created.messageDate, start);
    assert.equal(created.uri, `/2010-04-01/Accounts/${account}/Notifications/${created.sid}.json`);
    assert.deepEqual(await store.notifications.get(created.sid), created);
    const own = await store.notifications.create({ accountSid: account, errorCode: ErrorCodes.internal, logLevel: 'warning', messageText: 'x' });
    // Twilio does not document Dialtone's own codes; no link is better than a broken one.
    assert.equal(own.moreInfo, null);
    assert.equal(own.callSid, null);
    assert.equal(own.requestVariables, null);
  });

  test('list filters by call, log level and MessageDate', async () => {
    const error = await store.notifications.create({ accountSid: account, callSid, errorCode: 11200, logLevel: 'error', messageText: 'a' });
    clock.advance(1_000);
    const warning = await store.notifications.create({
      accountSid: account,
      errorCode: 12200,
      logLevel: 'warning',
      messageText: 'b',
      messageDate: start - 24 * 60 * 60_000,
    });
    const sids = async (filter: Parameters<Store['notifications']['list']>[0]) =>
      (await store.notifications.list(filter)).items.map((notification) => notification.sid);
    assert.deepEqual(await sids({ accountSid: account }), [warning.sid, error.sid]);
    assert.deepEqual(await sids({ logLevel: 'error' }), [error.sid]);
    assert.deepEqual(await sids({ logLevel: 'warning' }), [warning.sid]);
    assert.deepEqual(await sids({ callSid }), [error.sid]);
    assert.deepEqual(await sids({ messageDate: { gte: start } }), [error.sid]);
    assert.deepEqual(await sids({ messageDate: { lt: start } }), [warning.sid]);
    assert.deepEqual(await sids({ accountSid: 'AC' + 'f'.repeat(32) }), []);
  });

  test('no password reaches a notification, whichever field carries it', async () => {
    const created = await store.notifications.create({
      accountSid: account,
      callSid,
      errorCode: 12100,
      logLevel: 'error',
      messageText: 'could not dial <Sip username="u" password="pw-markup">sip:bob:pw-uri@pbx</Sip>',
      requestUrl: 'https://user:pw-url@app.example.com/voice',
      requestMethod: 'POST',
      requestVariables: { SipAuthUsername: 'u', SipAuthPassword: 'pw-api', To: 'sip:bob:pw-param@pbx' },
      responseBody: '<Response><Dial><Sip password=\'pw-body\'>sip:x@y</Sip></Dial></Response>',
    });
    const stored = JSON.stringify(await store.notifications.get(created.sid));
    assert.doesNotMatch(stored, /pw-/);
    assert.equal(created.requestVariables?.SipAuthPassword, '[redacted]');
    assert.equal(created.requestVariables?.SipAuthUsername, 'u');
  });
});
