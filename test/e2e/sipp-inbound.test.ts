// Inbound calls end to end with SIPp as the caller: SIPp's own verdict says the call went as a
// caller expects (our 200, then our BYE), and the application and the store say what ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { assertSippPassed, requireSipp, runSipp, sippInfo } from '../support/sipp.js';
import { AUTH_TOKEN, startTestEngine, WebhookApp } from './support/harness.js';
import { eventually } from '../support/eventually.js';

const { VoiceResponse } = twilio.twiml;
const scenarios = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

test('SIPp calls, <Say> then <Hangup> runs: SIPp gets our 200 and our BYE; call completed; status callback signed', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const app = await WebhookApp.start();
  const response = new VoiceResponse();
  response.say('Welcome to Dialtone.');
  response.hangup();
  app.on('/voice', response.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }]);
  try {
    const result = await runSipp({
      scenario: join(scenarios, 'uac-invite-200-wait-bye.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
    });
    assertSippPassed(result, 1, 'SIPp uac-invite-200-wait-bye');
    const voice = await app.waitFor('/voice');
    assert.equal(voice.params['From'], `sip:sipp@127.0.0.1`);
    assert.equal(voice.params['To'], 'sip:service@127.0.0.1');
    const stored = await eventually(() => setup.engine.store.calls.get(voice.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    const status = await app.waitFor('/status');
    assert.equal(status.params['CallStatus'], 'completed');
    assert.ok(twilio.validateRequest(AUTH_TOKEN, status.signature ?? '', status.url, status.params));
  } finally {
    await setup.close();
    await app.close();
  }
});

test('SIPp presses 1 (RFC 2833 from a pcap) during <Gather numDigits=1>: the action gets Digits=1, its <Hangup> ends the call', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  assert.ok(sippInfo()?.pcap, 'this SIPp can play pcaps');
  const app = await WebhookApp.start();
  const first = new VoiceResponse();
  first.gather({ numDigits: 1, action: '/pressed', timeout: 15 }).say('Press one.');
  app.on('/voice', first.toString());
  const second = new VoiceResponse();
  second.say('Thank you.');
  second.hangup();
  app.on('/pressed', second.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  try {
    const result = await runSipp({
      scenario: join(scenarios, 'uac-dtmf-2833-then-wait-bye.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 40_000,
      // The pause between the ACK and the digit: the <Gather> is listening by then.
      callDurationMs: 1_500,
    });
    assertSippPassed(result, 1, 'SIPp uac-dtmf-2833-then-wait-bye');
    const pressed = await app.waitFor('/pressed');
    assert.equal(pressed.params['Digits'], '1');
    const stored = await eventually(() => setup.engine.store.calls.get(pressed.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  } finally {
    await setup.close();
    await app.close();
  }
});
