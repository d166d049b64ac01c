/**
 * The official `twilio` npm client, unchanged but for an HTTP client that sends its requests to a
 * listening Dialtone REST API instead of https://api.twilio.com.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import twilio from 'twilio';
import { type ApiFixture, accountSid, authToken, openApiFixture, seedCalls } from '../../unit/api/api-fixture.js';
import { DialtoneRequestClient } from '../../support/dialtone-request-client.js';

describe('the official twilio client against Dialtone', () => {
  let fixture: ApiFixture;
  let client: twilio.Twilio;
  let http: DialtoneRequestClient;

  before(async () => {
    fixture = await openApiFixture();
    await fixture.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = fixture.app.server.address() as AddressInfo;
    http = new DialtoneRequestClient(`http://127.0.0.1:${port}`);
    client = twilio(accountSid, authToken, { httpClient: http });
  });
  after(async () => {
    await fixture.close();
  });

  test('calls.create, fetch, update(status: completed), list', async () => {
    const created = await client.calls.create({
      to: 'sip:alice@127.0.0.1',
      from: '+15551230000',
      url: 'http://127.0.0.1:3000/voice',
      statusCallback: 'http://127.0.0.1:3000/status',
      statusCallbackEvent: ['initiated', 'completed'],
      sipAuthUsername: 'alice',
      sipAuthPassword: 'hunter2',
    });
    assert.match(created.sid, /^CA[0-9a-f]{32}$/);
    assert.equal(created.status, 'queued');
    assert.equal(created.direction, 'outbound-api');
    assert.equal(created.accountSid, accountSid);
    assert.ok(created.dateCreated instanceof Date && !Number.isNaN(created.dateCreated.getTime()));
    assert.equal(created.startTime, null);
    const request = fixture.control.created[0];
    assert.deepEqual(
      [request?.to, request?.url, request?.statusCallbackEvents, request?.sipAuthUsername, request?.sipAuthPassword],
      ['sip:alice@127.0.0.1', 'http://127.0.0.1:3000/voice', ['initiated', 'completed'], 'alice', 'hunter2'],
    );

    const fetched = await client.calls(created.sid).fetch();
    assert.equal(fetched.sid, created.sid);
    assert.equal(fetched.to, 'sip:alice@127.0.0.1');

    await fixture.store.calls.update(created.sid, { status: 'in-progress', startTime: fixture.clock.now() });
    const ended = await client.calls(created.sid).update({ status: 'completed' });
    assert.equal(ended.status, 'completed');
    assert.deepEqual(fixture.control.updates.at(-1), { sid: created.sid, update: { kind: 'end', status: 'completed' } });

    const listed = await client.calls.list();
    assert.deepEqual(listed.map((call) => call.sid), [created.sid]);
    assert.ok(http.seen.every((line) => line.includes(`/2010-04-01/Accounts/${accountSid}/`)), http.seen.join('\n'));
  });

  test("errors reach the application as twilio's RestException with Twilio's code", async () => {
    await assert.rejects(client.calls.create({ to: 'sip:alice@127.0.0.1', from: '+15551230000' }), (error: unknown) => {
      const rest = error as { status?: number; code?: number; moreInfo?: string };
      return rest.status === 400 && rest.code === 21205 && rest.moreInfo === 'https://www.twilio.com/docs/errors/21205';
    });
    await assert.rejects(client.calls('CA' + '0'.repeat(32)).fetch(), (error: unknown) => (error as { status?: number; code?: number }).status === 404 && (error as { code?: number }).code === 20404);
    const wrong = twilio(accountSid, 'not-the-token', { httpClient: http });
    await assert.rejects(wrong.calls.list(), (error: unknown) => (error as { status?: number; code?: number }).status === 401 && (error as { code?: number }).code === 20003);
  });

  test('paging: each() and list({ limit }) walk next_page_uri across pages, with filters', async () => {
    const seeded = await seedCalls(fixture, 7, (index) => ({ to: `sip:page${index % 2}@example.com`, from: '+15550000000' }));
    const expected = seeded.reverse().map((call) => call.sid);
    const before = http.seen.length;
    const all: string[] = [];
    await client.calls.each({ from: '+15550000000', pageSize: 2 }, (call) => {
      all.push(call.sid);
    });
    assert.deepEqual(all, expected);
    const pages = http.seen.slice(before);
    assert.equal(pages.length, 4, pages.join('\n'));
    assert.ok(pages.slice(1).every((line) => line.includes('PageToken=') && line.includes('From=%2B15550000000')), pages.join('\n'));

    const limited = await client.calls.list({ from: '+15550000000', limit: 5, pageSize: 2 });
    assert.deepEqual(limited.map((call) => call.sid), expected.slice(0, 5));
    const filtered = await client.calls.list({ to: 'sip:page0@example.com', from: '+15550000000' });
    assert.equal(filtered.length, 4);
    const page = await client.calls.page({ from: '+15550000000', pageSize: 3 });
    assert.equal(page.instances.length, 3);
    const second = await page.nextPage();
    assert.ok(second !== undefined);
    assert.deepEqual(second.instances.map((call) => call.sid), expected.slice(3, 6));
    const back = await second.previousPage();
    assert.deepEqual(back?.instances.map((call) => call.sid), expected.slice(0, 3));
    const after = await client.calls.list({ from: '+15550000000', startTimeAfter: new Date(Date.UTC(2026, 0, 1)) });
    assert.equal(after.length, 0, 'seeded calls have no start time');
  });

  test('recordings.list, fetch, remove; notifications.list', async () => {
    const [call] = await seedCalls(fixture, 1);
    const filePath = join(fixture.dir, 'client.wav');
    await writeFile(filePath, Buffer.from('RIFF0000WAVE'));
    const recording = await fixture.store.recordings.create({ accountSid, callSid: call?.sid ?? null, filePath, source: 'OutboundAPI' });
    await fixture.store.recordings.update(recording.sid, { status: 'completed', duration: 4 });
    await fixture.store.notifications.create({ accountSid, callSid: call?.sid ?? null, errorCode: 11200, logLevel: 'error', messageText: 'HTTP retrieval failure' });

    const recordings = await client.recordings.list();
    assert.deepEqual(recordings.map((r) => [r.sid, r.callSid, r.duration, r.status, r.channels]), [[recording.sid, call?.sid, '4', 'completed', 1]]);
    assert.match(recordings[0]?.mediaUrl ?? '', new RegExp(`/Recordings/${recording.sid}$`));
    const byCall = await client.calls(call?.sid ?? '').recordings.list();
    assert.equal(byCall.length, 1);
    const fetched = await client.recordings(recording.sid).fetch();
    assert.equal(fetched.source, 'OutboundAPI');
    assert.equal(await client.recordings(recording.sid).remove(), true);
    assert.equal(existsSync(filePath), false);
    assert.deepEqual(await client.recordings.list(), []);

    const notifications = await client.notifications.list();
    assert.equal(notifications.length, 1);
    assert.equal(notifications[0]?.errorCode, '11200');
    assert.equal(notifications[0]?.log, '0');
    assert.equal(notifications[0]?.callSid, call?.sid);
    assert.ok(notifications[0]?.messageDate instanceof Date);
  });
});
