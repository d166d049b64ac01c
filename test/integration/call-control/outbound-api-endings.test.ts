/**
 * The other ways an outbound-api call ends: the callee's BYE while the document runs, our ring
 * timeout (CANCEL → no-answer), Status=completed on a ringing call (CANCEL → canceled) and on an
 * answered one (BYE → completed), Status=canceled refused once answered, and digest credentials
 * from SipAuthUsername/SipAuthPassword.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSippPassed, requireSipp, scenario, startSipp, type RunningSipp, type SippOptions } from '../../support/sipp.js';
import {  } from '../../e2e/support/harness.js';
import { eventually } from '../../support/eventually.js';
import type { TrunkConfig } from '../../../src/config/index.js';
import { callRequest, startControlFixture, type ControlFixture, type DialerKind } from './control-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));

function uas(path: string, extra: Partial<SippOptions> = {}): Promise<RunningSipp> {
  return startSipp({ scenario: path, transport: 'u1', calls: 1, timeoutMs: 30_000, ...extra });
}

for (const dialer of ['ua', 'dial-wiring'] as const satisfies readonly DialerKind[])
describe(`outbound-api calls: how they end (dialer: ${dialer})`, () => {
  let fixture: ControlFixture;
  /** The trunks the engine sees; a test points the default one at its SIPp. */
  const trunks: TrunkConfig[] = [];

  before(async () => {
    fixture = await startControlFixture({ trunks, dialer });
  });
  after(async () => {
    await fixture.close();
  });

  test("the callee's BYE interrupts the running document and ends the call completed", { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/bye-wait', '<Response><Pause length="120"/><Say>never</Say></Response>');
    const sipp = await uas(join(here, 'scenarios', 'uas-answer-then-bye.xml'), { callDurationMs: 300 });
    const record = await control.createCall(callRequest({ to: `sip:hangs-up@${sipp.address}`, url: app.url('/bye-wait'), statusCallback: app.url('/bye-status') }));
    assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-then-bye (it needs the 200 to its BYE)');
    const completed = await app.waitFor('/bye-status');
    assert.equal(completed.params['CallStatus'], 'completed');
    assert.equal(completed.params['SipResponseCode'], '200');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal(app.requestsTo('/bye-wait').length, 1);
    assert.equal(fixture.liveCalls.get(record.sid), undefined);
  });

  test('Timeout: the callee rings past it, we CANCEL, the call ends no-answer', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    const sipp = await uas(scenario('uas-no-answer'));
    const record = await control.createCall(callRequest({ to: `sip:slow@${sipp.address}`, url: app.url('/slow-voice'), statusCallback: app.url('/slow-status'), timeout: 1 }));
    assertSippPassed(await sipp.done, 1, 'SIPp uas-no-answer (it needs our CANCEL)');
    const completed = await app.waitFor('/slow-status');
    assert.equal(completed.params['CallStatus'], 'no-answer');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'no-answer');
    assert.equal(stored?.status, 'no-answer');
    assert.equal(app.requestsTo('/slow-voice').length, 0);
  });

  test('Status=completed on a ringing call cancels it (canceled)', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    const sipp = await uas(scenario('uas-no-answer'));
    const record = await control.createCall(
      callRequest({ to: `sip:ringing@${sipp.address}`, url: app.url('/ring-voice'), statusCallback: app.url('/ring-status'), statusCallbackEvents: ['ringing', 'completed'] }),
    );
    await app.waitFor('/ring-status');
    const updated = await control.updateCall(record.sid, { kind: 'end', status: 'completed' });
    assert.ok(typeof updated === 'object');
    assertSippPassed(await sipp.done, 1, 'SIPp uas-no-answer (it needs our CANCEL)');
    const completed = await app.waitFor('/ring-status', 2);
    assert.equal(completed.params['CallStatus'], 'canceled');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'canceled');
    assert.equal(stored?.status, 'canceled');
  });

  test('Status=canceled on an answered call is not-live; Status=completed hangs it up', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/answered-wait', '<Response><Pause length="120"/></Response>');
    const sipp = await uas(scenario('uas-answer-200'));
    const record = await control.createCall(callRequest({ to: `sip:answered@${sipp.address}`, url: app.url('/answered-wait') }));
    await app.waitFor('/answered-wait');
    assert.equal(await control.updateCall(record.sid, { kind: 'end', status: 'canceled' }), 'not-live');
    const updated = await control.updateCall(record.sid, { kind: 'end', status: 'completed' });
    assert.ok(typeof updated === 'object');
    assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    // Twilio's default StatusCallbackEvent is completed alone; without a StatusCallback the event is still kept.
    const events = await eventually(() => store.calls.get(record.sid).then(() => store.callEvents.list(record.sid)), (list) => list.length === 1);
    assert.deepEqual(events.map((event) => event.name), ['completed']);
    // The document (a 120 s <Pause>) stopped with the hang-up: the call is no longer running.
    assert.equal(await eventually(async () => fixture.control.size, (size) => size === 0), 0);
  });

  test('a phone number goes out through the default trunk: Request-URI number@trunk, the call runs and completes', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/trunk-voice', '<Response><Say>Hello</Say></Response>');
    const sipp = await uas(scenario('uas-answer-200'));
    trunks.splice(0, trunks.length, { name: 'default', uri: `sip:${sipp.address}` });
    const record = await control.createCall(callRequest({ to: '+15559876543', url: app.url('/trunk-voice') }));
    assert.equal(record.to, '+15559876543');
    const voice = await app.waitFor('/trunk-voice');
    assert.equal(voice.params['To'], '+15559876543');
    const result = await sipp.done;
    assertSippPassed(result, 1, 'SIPp uas-answer-200 as the trunk (it needs our BYE: the document ran out)');
    // The number as the user part of the trunk's URI (a dialer may spell out ;transport=udp).
    assert.match(result.messagesLog, new RegExp(`INVITE sip:\\+15559876543@${sipp.address.replace(/\./g, '\\.')}(;[^ ]*)? SIP/2\\.0`));
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  });

  test('SipAuthUsername/SipAuthPassword answer a 401 digest challenge', { timeout: 60_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const { app, control, store } = fixture;
    app.on('/auth-voice', '<Response><Hangup/></Response>');
    const sipp = await uas(scenario('uas-401-challenge'), { authUser: 'alice', authPassword: 'hunter2' });
    const record = await control.createCall(
      callRequest({ to: `sip:pbx@${sipp.address}`, url: app.url('/auth-voice'), sipAuthUsername: 'alice', sipAuthPassword: 'hunter2' }),
    );
    const result = await sipp.done;
    assertSippPassed(result, 1, 'SIPp uas-401-challenge (it verifies our Authorization)');
    assert.match(result.messagesLog, /Authorization: Digest username="alice"/);
    const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal(JSON.stringify(stored).includes('hunter2'), false, 'the password is not stored');
  });
});
