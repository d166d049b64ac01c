import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialtoneError, type Logger, isSid } from '../../../src/kernel/index.js';
import {
  type ApiFixture,
  accountSid,
  auth,
  formHeaders,
  openApiFixture,
  otherAccountSid,
  seedCalls,
  start,
} from './api-fixture.js';

const calls = `/2010-04-01/Accounts/${accountSid}/Calls`;

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (message, fields) => void lines.push(JSON.stringify({ message, ...fields })),
    info: (message, fields) => void lines.push(JSON.stringify({ message, ...fields })),
    warn: (message, fields) => void lines.push(JSON.stringify({ message, ...fields })),
    error: (message, fields) => void lines.push(JSON.stringify({ message, ...fields })),
    child: () => logger,
  };
  return logger;
}

describe('Calls', () => {
  let fixture: ApiFixture;
  const logLines: string[] = [];
  beforeEach(async () => {
    logLines.length = 0;
    fixture = await openApiFixture({ logger: capturingLogger(logLines) });
  });
  afterEach(async () => {
    await fixture.close();
  });

  test('POST /Calls.json asks the engine for the call and answers 201 with the queued call', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: `${calls}.json`,
      headers: formHeaders,
      payload:
        'To=sip%3Aalice%40127.0.0.1&From=%2B15551230000&Url=http%3A%2F%2Fapp.test%2Fvoice&StatusCallback=http%3A%2F%2Fapp.test%2Fstatus' +
        '&StatusCallbackEvent=initiated&StatusCallbackEvent=answered&SipAuthUsername=alice&SipAuthPassword=hunter2&Timeout=20',
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = response.json();
    assert.ok(isSid(body.sid, 'CA'));
    assert.equal(body.account_sid, accountSid);
    assert.equal(body.to, 'sip:alice@127.0.0.1');
    assert.equal(body.from, '+15551230000');
    assert.equal(body.status, 'queued');
    assert.equal(body.direction, 'outbound-api');
    assert.equal(body.api_version, '2010-04-01');
    assert.equal(body.start_time, null);
    assert.equal(body.date_created, 'Mon, 23 Nov 2026 09:30:00 +0000');
    assert.equal(body.uri, `${calls}/${body.sid}.json`);
    assert.equal(fixture.control.created.length, 1);
    assert.deepEqual(fixture.control.created[0]?.statusCallbackEvents, ['initiated', 'answered']);
    assert.equal(fixture.control.created[0]?.sipAuthPassword, 'hunter2', 'the engine gets the password');
    assert.equal(fixture.control.created[0]?.timeout, 20);
    assert.ok(!response.body.includes('hunter2'), 'never echoed');
    assert.ok(logLines.length > 0);
    assert.ok(!logLines.join('\n').includes('hunter2'), 'never logged');
    assert.equal((await fixture.store.calls.get(body.sid))?.status, 'queued');
  });

  test("a missing To is Twilio's 400 21201 with its error body", async () => {
    const response = await fixture.app.inject({ method: 'POST', url: `${calls}.json`, headers: formHeaders, payload: 'From=%2B15551230000&Url=http%3A%2F%2Fa.test%2F' });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      code: 21201,
      message: "No 'To' number is specified",
      more_info: 'https://www.twilio.com/docs/errors/21201',
      status: 400,
    });
    assert.equal(fixture.control.created.length, 0);
  });

  test("the engine's refusal with a Twilio code is a 400 with that code; anything else a 500 20500", async () => {
    const payload = 'To=%2B4420&From=%2B15551230000&Url=http%3A%2F%2Fa.test%2F';
    fixture.control.createError = new DialtoneError(21211, "No trunk can reach 'To' +4420");
    let response = await fixture.app.inject({ method: 'POST', url: `${calls}.json`, headers: formHeaders, payload });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 21211);
    fixture.control.createError = new Error('database on fire');
    response = await fixture.app.inject({ method: 'POST', url: `${calls}.json`, headers: formHeaders, payload });
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 });
  });

  test('GET /Calls/{Sid}.json fetches a call of this account only', async () => {
    const [mine] = await seedCalls(fixture, 1);
    const theirs = await fixture.store.calls.create({ accountSid: otherAccountSid, direction: 'inbound', from: 'a', to: 'b' });
    const response = await fixture.app.inject({ url: `${calls}/${mine?.sid}.json`, headers: auth });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().sid, mine?.sid);
    assert.equal(response.json().direction, 'inbound');
    for (const sid of [theirs.sid, 'CA' + '0'.repeat(32)]) {
      const missing = await fixture.app.inject({ url: `${calls}/${sid}.json`, headers: auth });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), {
        code: 20404,
        message: `The requested resource ${calls}/${sid}.json was not found`,
        more_info: 'https://www.twilio.com/docs/errors/20404',
        status: 404,
      });
    }
    assert.equal((await fixture.app.inject({ url: `${calls}/${mine?.sid}.xml`, headers: auth })).statusCode, 404);
  });

  test('GET /Calls.json filters by To, From, Status, ParentCallSid, StartTime and EndTime', async () => {
    const seeded = await seedCalls(fixture, 4, (index) => ({
      to: index % 2 === 0 ? 'sip:even@example.com' : 'sip:odd@example.com',
      status: index === 3 ? 'in-progress' : 'queued',
      startTime: start + index * 86_400_000,
      endTime: index === 0 ? start + 5000 : null,
      parentCallSid: index === 2 ? 'CA' + 'e'.repeat(32) : null,
    }));
    const sids = async (query: string) => {
      const response = await fixture.app.inject({ url: `${calls}.json?${query}`, headers: auth });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json().calls as Array<{ sid: string }>).map((call) => call.sid);
    };
    const [c0, c1, c2, c3] = seeded.map((call) => call.sid);
    assert.deepEqual(await sids(''), [c3, c2, c1, c0], 'newest first');
    assert.deepEqual(await sids('To=sip%3Aeven%40example.com'), [c2, c0]);
    assert.deepEqual(await sids('From=%2B15551230000&Status=in-progress'), [c3]);
    assert.deepEqual(await sids(`ParentCallSid=CA${'e'.repeat(32)}`), [c2]);
    assert.deepEqual(await sids('StartTime=2026-11-24'), [c1]);
    // `<=D` is "on or before midnight of D", as Twilio documents it.
    assert.deepEqual(await sids('StartTime>=2026-11-24&StartTime<=2026-11-25'), [c1]);
    assert.deepEqual(await sids('StartTime>=2026-11-24&StartTime<=2026-11-26'), [c2, c1]);
    assert.deepEqual(await sids('StartTime%3E=2026-11-25T00:00:00Z'), [c3, c2]);
    assert.deepEqual(await sids('EndTime=2026-11-23'), [c0]);
    const bad = await fixture.app.inject({ url: `${calls}.json?StartTime=soon`, headers: auth });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 20001);
  });

  test('paging: next_page_uri walks every page once, previous_page_uri walks back, filters kept', async () => {
    const seeded = await seedCalls(fixture, 7, (index) => ({ to: index === 6 ? 'sip:other@x' : 'sip:same@x' }));
    const expected = seeded.slice(0, 6).reverse().map((call) => call.sid);
    let uri: string | null = `${calls}.json?To=sip%3Asame%40x&PageSize=2`;
    const pages: Array<{ sids: string[]; uri: string; page: number; start: number; end: number; previous: string | null }> = [];
    while (uri !== null) {
      const current: string = uri;
      const response = await fixture.app.inject({ url: current, headers: auth });
      assert.equal(response.statusCode, 200, response.body);
      const body: { [key: string]: any } = response.json();
      assert.equal(body.page_size, 2);
      assert.equal(body.first_page_uri, `${calls}.json?To=sip%3Asame%40x&PageSize=2&Page=0`);
      pages.push({ sids: body.calls.map((call: { sid: string }) => call.sid), uri: body.uri, page: body.page, start: body.start, end: body.end, previous: body.previous_page_uri });
      if (body.next_page_uri !== null) assert.match(body.next_page_uri, /^\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Calls\.json\?To=sip%3Asame%40x&PageSize=2&Page=\d&PageToken=/);
      uri = body.next_page_uri as string | null;
    }
    assert.deepEqual(pages.flatMap((page) => page.sids), expected);
    assert.deepEqual(pages.map((page) => [page.page, page.start, page.end]), [[0, 0, 1], [1, 2, 3], [2, 4, 5]]);
    assert.equal(pages[0]?.previous, null);
    // Back from the last page.
    const back = await fixture.app.inject({ url: pages[2]?.previous ?? '', headers: auth });
    assert.equal(back.json().page, 1);
    assert.deepEqual(back.json().calls.map((call: { sid: string }) => call.sid), pages[1]?.sids);
    // `uri` reproduces the page it names.
    const again = await fixture.app.inject({ url: pages[1]?.uri ?? '', headers: auth });
    assert.deepEqual(again.json().calls.map((call: { sid: string }) => call.sid), pages[1]?.sids);
    // Page=N without a token, as clients that count pages send it.
    const byNumber = await fixture.app.inject({ url: `${calls}.json?To=sip%3Asame%40x&PageSize=2&Page=2`, headers: auth });
    assert.deepEqual(byNumber.json().calls.map((call: { sid: string }) => call.sid), pages[2]?.sids);
    assert.equal(byNumber.json().start, 4);
    // Bad paging parameters.
    for (const query of ['PageSize=0', 'PageSize=1001', 'PageToken=garbage']) {
      const bad = await fixture.app.inject({ url: `${calls}.json?${query}`, headers: auth });
      assert.equal(bad.statusCode, 400, query);
      assert.equal(bad.json().code, 20001, query);
    }
  });

  test('POST /Calls/{Sid}.json Status=completed hangs up through the engine', async () => {
    const [call] = await seedCalls(fixture, 1, () => ({ status: 'in-progress' }));
    const sid = call?.sid ?? '';
    const response = await fixture.app.inject({ method: 'POST', url: `${calls}/${sid}.json`, headers: formHeaders, payload: 'Status=completed' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().status, 'completed');
    assert.deepEqual(fixture.control.updates, [{ sid, update: { kind: 'end', status: 'completed' } }]);
    // Now it has ended: any further update is 21220.
    const again = await fixture.app.inject({ method: 'POST', url: `${calls}/${sid}.json`, headers: formHeaders, payload: 'Url=http%3A%2F%2Fa.test%2Fnext' });
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), {
      code: 21220,
      message: 'Call is not in-progress. Cannot redirect.',
      more_info: 'https://www.twilio.com/docs/errors/21220',
      status: 400,
    });
    assert.equal(fixture.control.updates.length, 1);
  });

  test('POST /Calls/{Sid}.json redirects with Url/Method or Twiml; not-live and not-found answers are 21220', async () => {
    const [call] = await seedCalls(fixture, 1, () => ({ status: 'ringing' }));
    const url = `${calls}/${call?.sid}.json`;
    let response = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: 'Url=http%3A%2F%2Fa.test%2Fnext&Method=GET' });
    assert.equal(response.statusCode, 200);
    response = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: 'Twiml=%3CResponse%2F%3E' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(fixture.control.updates.map((entry) => entry.update), [
      { kind: 'redirect', url: 'http://a.test/next', method: 'GET' },
      { kind: 'twiml', twiml: '<Response/>' },
    ]);
    for (const answer of ['not-live', 'not-found'] as const) {
      fixture.control.answer = answer;
      response = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: 'Status=canceled' });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().code, 21220);
    }
    // Nothing to change: the call as it is.
    response = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: '' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().status, 'ringing');
    response = await fixture.app.inject({ method: 'POST', url, headers: formHeaders, payload: 'Status=busy' });
    assert.equal(response.json().code, 20001);
    response = await fixture.app.inject({ method: 'POST', url: `${calls}/CA${'0'.repeat(32)}.json`, headers: formHeaders, payload: 'Status=completed' });
    assert.equal(response.statusCode, 404);
  });
});
