import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiPrefixes } from '../../../src/api/index.js';
import { type ApiFixture, accountSid, auth, authToken, basic, formHeaders, openApiFixture, otherAccountSid, otherAuthToken, seedCalls } from './api-fixture.js';

const authenticateBody = {
  code: 20003,
  message: 'Authenticate',
  more_info: 'https://www.twilio.com/docs/errors/20003',
  status: 401,
};

describe('authentication, aliases and errors', () => {
  let fixture: ApiFixture;
  beforeEach(async () => {
    fixture = await openApiFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  test('no, malformed or wrong credentials are 401 20003 with a Basic challenge', async () => {
    const url = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
    for (const authorization of [
      undefined,
      'Bearer x',
      basic(accountSid, authToken + 'x'),
      basic(accountSid, ''),
      basic(accountSid, otherAuthToken),
      basic('AC' + '9'.repeat(32), authToken),
    ]) {
      const response = await fixture.app.inject({ url, headers: authorization === undefined ? {} : { authorization } });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.deepEqual(response.json(), authenticateBody);
      assert.match(response.headers['www-authenticate'] as string, /^Basic realm=/);
    }
  });

  test("valid credentials of another account do not open this account's paths", async () => {
    const [call] = await seedCalls(fixture, 1);
    const headers = { authorization: basic(otherAccountSid, otherAuthToken) };
    for (const url of [`/2010-04-01/Accounts/${accountSid}/Calls.json`, `/2010-04-01/Accounts/${accountSid}/Calls/${call?.sid}.json`]) {
      const response = await fixture.app.inject({ url, headers });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(response.json(), authenticateBody);
    }
    // Its own path answers, without the other account's calls.
    const own = await fixture.app.inject({ url: `/2010-04-01/Accounts/${otherAccountSid}/Calls.json`, headers });
    assert.equal(own.statusCode, 200);
    assert.deepEqual(own.json().calls, []);
    // And a POST is refused before anything reaches the engine.
    const post = await fixture.app.inject({
      method: 'POST',
      url: `/2010-04-01/Accounts/${accountSid}/Calls.json`,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'To=sip%3Aa%40b&From=x&Url=http%3A%2F%2Fa.test%2F',
    });
    assert.equal(post.statusCode, 401);
    assert.equal(fixture.control.created.length, 0);
  });

  test('the SignalWire and RestComm aliases answer the same, with URIs on their own base', async () => {
    await seedCalls(fixture, 3);
    assert.deepEqual([...apiPrefixes], ['/2010-04-01', '/api/laml/2010-04-01', '/restcomm/2012-04-24']);
    for (const prefix of apiPrefixes) {
      const list = await fixture.app.inject({ url: `${prefix}/Accounts/${accountSid}/Calls.json?PageSize=2`, headers: auth });
      assert.equal(list.statusCode, 200, prefix);
      const body = list.json();
      assert.equal(body.calls.length, 2);
      assert.ok(body.next_page_uri.startsWith(`${prefix}/Accounts/${accountSid}/Calls.json?`), body.next_page_uri);
      assert.ok(body.calls[0].uri.startsWith(`${prefix}/Accounts/`));
      const fetched = await fixture.app.inject({ url: body.calls[0].uri, headers: auth });
      assert.equal(fetched.statusCode, 200);
      const next = await fixture.app.inject({ url: body.next_page_uri, headers: auth });
      assert.equal(next.json().calls.length, 1);
      const unauthenticated = await fixture.app.inject({ url: `${prefix}/Accounts/${accountSid}/Calls.json` });
      assert.equal(unauthenticated.statusCode, 401);
    }
    for (const prefix of apiPrefixes) {
      const created = await fixture.app.inject({
        method: 'POST',
        url: `${prefix}/Accounts/${accountSid}/Calls.json`,
        headers: formHeaders,
        payload: 'To=client%3Aalice&From=%2B15551230000&Twiml=%3CResponse%2F%3E',
      });
      assert.equal(created.statusCode, 201);
      assert.ok(created.json().uri.startsWith(`${prefix}/Accounts/${accountSid}/Calls/CA`));
    }
    assert.equal(fixture.control.created.length, apiPrefixes.length);
  });

  test('a method a resource does not take is 405 20004; an unknown path 404 20404', async () => {
    const response = await fixture.app.inject({ method: 'DELETE', url: `/2010-04-01/Accounts/${accountSid}/Calls.json`, headers: auth });
    assert.equal(response.statusCode, 405);
    assert.deepEqual(response.json(), { code: 20004, message: 'Method not allowed', more_info: 'https://www.twilio.com/docs/errors/20004', status: 405 });
    const put = await fixture.app.inject({ method: 'PUT', url: `/2010-04-01/Accounts/${accountSid}/Recordings.json`, headers: auth });
    assert.equal(put.statusCode, 405);
    const unknown = await fixture.app.inject({ url: `/2010-04-01/Accounts/${accountSid}/Queues.json?x=1`, headers: auth });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), {
      code: 20404,
      message: `The requested resource /2010-04-01/Accounts/${accountSid}/Queues.json was not found`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
  });

  test('HEAD works where GET does', async () => {
    const response = await fixture.app.inject({ method: 'HEAD', url: `/2010-04-01/Accounts/${accountSid}/Calls.json`, headers: auth });
    assert.equal(response.statusCode, 200);
  });

  test('a body that is not a form or JSON is 415 with a Twilio body', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: `/2010-04-01/Accounts/${accountSid}/Calls.json`,
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'To=x',
    });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().status, 415);
    assert.equal(typeof response.json().code, 'number');
  });

  test('a JSON object body is read like a form; a body over the limit is 413', async () => {
    const url = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
    const json = await fixture.app.inject({
      method: 'POST',
      url,
      headers: auth,
      payload: { To: 'sip:bob@example.com', From: '+15551230000', Url: 'http://a.test/voice', StatusCallbackEvent: ['ringing', 'completed'] },
    });
    assert.equal(json.statusCode, 201, json.body);
    assert.deepEqual(fixture.control.created[0]?.statusCallbackEvents, ['ringing', 'completed']);
    const large = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: 'Twiml=' + 'x'.repeat(1024 * 1024 + 1) });
    assert.equal(large.statusCode, 413);
    assert.equal(large.json().status, 413);
  });
});
