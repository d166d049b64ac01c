/**
 * The official `twilio` client, through the REST API (createApiServer) with the engine's CallControl:
 * calls.create places a real call to SIPp that runs the application's markup, calls(sid).update
 * ends it, and a To the engine cannot place is Twilio's 400 with code 21211.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { createApiServer } from '../../../src/api/index.js';
import { silentLogger } from '../../../src/kernel/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import {  } from '../../e2e/support/harness.js';
import { eventually } from '../../support/eventually.js';
import { ACCOUNT_SID, AUTH_TOKEN, accounts, startControlFixture, type ControlFixture } from './control-fixture.js';
import { DialtoneRequestClient } from '../../support/dialtone-request-client.js';

describe('the twilio client places and ends a real call through Dialtone', () => {
  let fixture: ControlFixture;
  let api: FastifyInstance;
  let client: twilio.Twilio;

  before(async () => {
    fixture = await startControlFixture();
    api = createApiServer({ store: fixture.store, accounts, control: fixture.control, publicUrl: 'http://127.0.0.1:8080', logger: silentLogger });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.server.address() as AddressInfo;
    client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new DialtoneRequestClient(`http://127.0.0.1:${port}`) });
  });
  after(async () => {
    await api.close();
    await fixture.close();
  });

  test('calls.create → the callee answers and runs the Url; calls(sid).update({ status: completed }) hangs up', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, store } = fixture;
    app.on('/client-voice', '<Response><Say>Hello</Say><Pause length="120"/></Response>');
    const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 30_000 });
    const created = await client.calls.create({
      to: `sip:bob@${sipp.address}`,
      from: '+15551230000',
      url: app.url('/client-voice'),
      statusCallback: app.url('/client-status'),
      statusCallbackEvent: ['initiated', 'answered', 'completed'],
    });
    assert.equal(created.status, 'queued');
    assert.equal(created.direction, 'outbound-api');
    const voice = await app.waitFor('/client-voice');
    assert.equal(voice.params['CallSid'], created.sid);
    assert.equal(voice.params['Direction'], 'outbound-api');
    const fetched = await client.calls(created.sid).fetch();
    assert.equal(fetched.status, 'in-progress');
    const ended = await client.calls(created.sid).update({ status: 'completed' });
    assert.equal(ended.sid, created.sid);
    assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');
    await app.waitFor('/client-status', 3);
    assert.deepEqual(app.requestsTo('/client-status').map((request) => [request.params['CallStatus'], request.params['SequenceNumber']]), [
      ['initiated', '0'],
      ['in-progress', '1'],
      ['completed', '2'],
    ]);
    const stored = await eventually(() => store.calls.get(created.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal((await client.calls(created.sid).fetch()).status, 'completed');
    // An ended call cannot be changed: Twilio's 21220.
    await assert.rejects(client.calls(created.sid).update({ status: 'completed' }), (error: unknown) => (error as { status?: number; code?: number }).status === 400 && (error as { code?: number }).code === 21220);
  });

  test('client:name and a number without a trunk are 400 with code 21211', async () => {
    for (const to of ['client:alice', '+15559876543']) {
      await assert.rejects(client.calls.create({ to, from: '+15551230000', url: fixture.app.url('/never') }), (error: unknown) => {
        const rest = error as { status?: number; code?: number };
        return rest.status === 400 && rest.code === 21211;
      });
    }
  });
});
