/**
 * `createCall` places a real outbound SIP call (SIPp is the called party), runs the application's
 * markup on the callee once it answers, and reports the call's progress as status callbacks;
 * `updateCall` cancels a ringing call and redirects an answered one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import type { CallControl } from '../../../src/api/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp, type RunningSipp } from '../../support/sipp.js';
import {  } from '../../e2e/support/harness.js';
import { eventually } from '../../support/eventually.js';
import { ACCOUNT_SID, AUTH_TOKEN, callRequest, startControlFixture, type ControlFixture, type DialerKind } from './control-fixture.js';

const rfc2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

function uas(name: string): Promise<RunningSipp> {
  return startSipp({ scenario: scenario(name), transport: 'u1', calls: 1, timeoutMs: 30_000 });
}

for (const dialer of ['ua', 'dial-wiring'] as const satisfies readonly DialerKind[])
describe(`outbound-api calls through CallControl (dialer: ${dialer})`, () => {
  let fixture: ControlFixture;

  before(async () => {
    fixture = await startControlFixture({ dialer });
  });
  after(async () => {
    await fixture.close();
  });

  test('is a CallControl as the REST API declares it', () => {
    const control: CallControl = fixture.control;
    assert.equal(typeof control.createCall, 'function');
  });

  test('answered: the Url runs on the callee (Direction=outbound-api, signed), the call ends completed, callbacks initiated → ringing → answered → completed', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/voice', '<Response><Say>Hello</Say><Hangup/></Response>');
    const sipp = await uas('uas-answer-200');
    const record = await control.createCall(
      callRequest({
        to: `sip:bob@${sipp.address}`,
        url: app.url('/voice'),
        statusCallback: app.url('/status'),
        statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
      }),
    );
    assert.match(record.sid, /^CA[0-9a-f]{32}$/);
    assert.equal(record.status, 'queued');
    assert.equal(record.direction, 'outbound-api');
    assert.equal(record.to, `sip:bob@${sipp.address}`);

    const voice = await app.waitFor('/voice');
    assert.equal(voice.params['Direction'], 'outbound-api');
    assert.equal(voice.params['CallSid'], record.sid);
    assert.equal(voice.params['AccountSid'], ACCOUNT_SID);
    assert.equal(voice.params['CallStatus'], 'in-progress');
    assert.equal(voice.params['From'], '+15551230000');
    assert.equal(voice.params['To'], `sip:bob@${sipp.address}`);
    assert.equal(voice.params['ApiVersion'], '2010-04-01');
    assert.ok(voice.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, voice.signature, voice.url, voice.params), 'X-Twilio-Signature validates');

    const result = await sipp.done;
    assertSippPassed(result, 1, 'SIPp uas-answer-200 (it needs our BYE)');
    assert.match(result.messagesLog, new RegExp(`X-Twilio-CallSid: ${record.sid}`));
    assert.match(result.messagesLog, new RegExp(`X-Twilio-AccountSid: ${ACCOUNT_SID}`));
    assert.match(result.messagesLog, /From: <sip:\+15551230000@/);

    await app.waitFor('/status', 4);
    const callbacks = app.requestsTo('/status');
    assert.deepEqual(callbacks.map((request) => request.params['CallStatus']), ['initiated', 'ringing', 'in-progress', 'completed']);
    assert.deepEqual(callbacks.map((request) => request.params['SequenceNumber']), ['0', '1', '2', '3']);
    for (const callback of callbacks) {
      assert.equal(callback.params['CallSid'], record.sid);
      assert.equal(callback.params['Direction'], 'outbound-api');
      assert.equal(callback.params['CallbackSource'], 'call-progress-events');
      assert.match(callback.params['Timestamp'] ?? '', rfc2822);
      assert.ok(callback.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, callback.signature, callback.url, callback.params));
    }
    const completed = callbacks[3]!;
    assert.equal(completed.params['SipResponseCode'], '200');
    assert.match(completed.params['CallDuration'] ?? '', /^\d+$/);

    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal(stored?.direction, 'outbound-api');
    assert.equal(stored?.sipResponseCode, 200);
    assert.ok(stored?.answerTime !== null && stored?.endTime !== null && stored?.startTime !== null);
    assert.ok(stored?.sipCallId);
    const events = await store.callEvents.list(record.sid);
    assert.deepEqual(events.map((event) => event.name), ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(fixture.liveCalls.get(record.sid), undefined, 'the ended call left the live registry');
    assert.equal(await control.updateCall(record.sid, { kind: 'end', status: 'completed' }), 'not-live');
  });

  test('busy: a 486 ends the call busy with SipResponseCode 486; the application is never asked for markup', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/busy-voice', '<Response><Say>never</Say></Response>');
    const sipp = await uas('uas-busy-486');
    const record = await control.createCall(callRequest({ to: `sip:busy@${sipp.address}`, url: app.url('/busy-voice'), statusCallback: app.url('/busy-status') }));
    assertSippPassed(await sipp.done, 1, 'SIPp uas-busy-486');
    const callback = await app.waitFor('/busy-status');
    assert.equal(callback.params['CallStatus'], 'busy');
    assert.equal(callback.params['SipResponseCode'], '486');
    assert.equal(callback.params['SequenceNumber'], '0');
    assert.equal(callback.params['CallDuration'], '0');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'busy');
    assert.equal(stored?.status, 'busy');
    assert.equal(stored?.sipResponseCode, 486);
    assert.equal(app.requestsTo('/busy-voice').length, 0);
  });

  test('updateCall Status=canceled on a ringing call sends CANCEL: the call ends canceled', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    const sipp = await uas('uas-no-answer');
    const record = await control.createCall(
      callRequest({
        to: `sip:nobody@${sipp.address}`,
        url: app.url('/cancel-voice'),
        statusCallback: app.url('/cancel-status'),
        statusCallbackEvents: ['ringing', 'completed'],
      }),
    );
    const ringing = await app.waitFor('/cancel-status');
    assert.equal(ringing.params['CallStatus'], 'ringing');
    const updated = await control.updateCall(record.sid, { kind: 'end', status: 'canceled' });
    assert.ok(typeof updated === 'object' && updated.sid === record.sid);
    assertSippPassed(await sipp.done, 1, 'SIPp uas-no-answer (it needs our CANCEL and the ACK of its 487)');
    const completed = await app.waitFor('/cancel-status', 2);
    assert.equal(completed.params['CallStatus'], 'canceled');
    assert.equal(completed.params['SequenceNumber'], '1');
    assert.equal(completed.params['SipResponseCode'], '487');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'canceled');
    assert.equal(stored?.status, 'canceled');
    assert.equal(app.requestsTo('/cancel-voice').length, 0);
  });

  test('updateCall Url on an answered call interrupts the running verb and runs the new document', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/long', '<Response><Say>Please hold</Say><Pause length="120"/><Say>never reached</Say></Response>');
    app.on('/next', '<Response><Say>Moved</Say><Hangup/></Response>');
    const sipp = await uas('uas-answer-200');
    const record = await control.createCall(callRequest({ to: `sip:hold@${sipp.address}`, url: app.url('/long'), statusCallback: app.url('/redirect-status') }));
    await app.waitFor('/long');
    const updated = await control.updateCall(record.sid, { kind: 'redirect', url: app.url('/next'), method: 'POST' });
    assert.ok(typeof updated === 'object' && updated.status === 'in-progress');
    const next = await app.waitFor('/next');
    assert.equal(next.params['CallSid'], record.sid);
    assert.equal(next.params['CallStatus'], 'in-progress');
    assert.equal(next.params['Direction'], 'outbound-api');
    assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');
    const completed = await app.waitFor('/redirect-status');
    assert.equal(completed.params['CallStatus'], 'completed');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  });

  test('updateCall Twiml on an answered call runs that markup; unknown SIDs are not-found', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/wait', '<Response><Pause length="120"/></Response>');
    const sipp = await uas('uas-answer-200');
    const record = await control.createCall(callRequest({ to: `sip:twiml@${sipp.address}`, url: app.url('/wait') }));
    await app.waitFor('/wait');
    const updated = await control.updateCall(record.sid, { kind: 'twiml', twiml: '<Response><Say>Bye</Say><Hangup/></Response>' });
    assert.ok(typeof updated === 'object');
    assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal(await control.updateCall('CA' + '0'.repeat(32), { kind: 'end', status: 'completed' }), 'not-found');
  });
});
