import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ApiFixture, accountSid, auth, openApiFixture, otherAccountSid, seedCalls } from './api-fixture.js';

const base = `/2010-04-01/Accounts/${accountSid}`;

describe('Notifications', () => {
  let fixture: ApiFixture;
  beforeEach(async () => {
    fixture = await openApiFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  test('list (with Log and MessageDate filters, per call) and fetch', async () => {
    const [call] = await seedCalls(fixture, 1);
    const error = await fixture.store.notifications.create({
      accountSid,
      callSid: call?.sid ?? null,
      errorCode: 11200,
      logLevel: 'error',
      messageText: 'HTTP retrieval failure',
      requestUrl: 'http://app.test/voice',
      requestMethod: 'POST',
      requestVariables: { CallSid: call?.sid ?? '', SipAuthPassword: 'hunter2' },
      responseBody: 'oops',
    });
    fixture.clock.advance(1000);
    const warning = await fixture.store.notifications.create({ accountSid, errorCode: 12200, logLevel: 'warning', messageText: 'Schema validation warning' });
    await fixture.store.notifications.create({ accountSid: otherAccountSid, errorCode: 11200, logLevel: 'error', messageText: 'not yours' });

    const list = async (path: string) => {
      const response = await fixture.app.inject({ url: path, headers: auth });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const all = await list(`${base}/Notifications.json`);
    assert.deepEqual(all.notifications.map((n: { sid: string }) => n.sid), [warning.sid, error.sid]);
    const [, first] = all.notifications;
    assert.equal(first.error_code, '11200');
    assert.equal(first.log, '0');
    assert.equal(first.more_info, 'https://www.twilio.com/docs/errors/11200');
    assert.equal(first.call_sid, call?.sid);
    assert.equal(first.request_url, 'http://app.test/voice');
    assert.equal(first.request_method, 'POST');
    assert.equal(first.message_text, 'HTTP retrieval failure');
    assert.equal(first.message_date, 'Mon, 23 Nov 2026 09:30:01 +0000');
    assert.ok(!JSON.stringify(all).includes('hunter2'));
    assert.deepEqual((await list(`${base}/Notifications.json?Log=1`)).notifications.map((n: { sid: string }) => n.sid), [warning.sid]);
    assert.equal((await list(`${base}/Notifications.json?MessageDate=2026-11-22`)).notifications.length, 0);
    assert.deepEqual((await list(`${base}/Calls/${call?.sid}/Notifications.json`)).notifications.map((n: { sid: string }) => n.sid), [error.sid]);

    const fetched = await fixture.app.inject({ url: `${base}/Notifications/${warning.sid}.json`, headers: auth });
    assert.equal(fetched.statusCode, 200);
    assert.equal(fetched.json().log, '1');
    assert.equal(fetched.json().uri, `${base}/Notifications/${warning.sid}.json`);
    assert.equal((await fixture.app.inject({ url: `${base}/Notifications/NO${'0'.repeat(32)}.json`, headers: auth })).statusCode, 404);
    const bad = await fixture.app.inject({ url: `${base}/Notifications.json?Log=2`, headers: auth });
    assert.equal(bad.statusCode, 400);
  });
});
