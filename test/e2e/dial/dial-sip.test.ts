/**
 * <Dial><Sip> end to end: SIPp calls the engine, the application answers with a <Dial><Sip> to a
 * second SIPp (uas-answer-200), the engine places the INVITE through createDialWiring's dialer,
 * bridges the two legs, and `timeLimit` ends the dialled leg (our BYE to the callee); the Dial action
 * gets DialCallStatus=completed and DialSipResponseCode=200, its <Hangup> ends the caller's call (our
 * BYE to the caller). Both SIPp verdicts, the status callbacks of the child leg and the store rows
 * are checked. A second test proves the media path: our own caller sends a tone, the callee is SIPp's
 * RTP echo, and the caller hears its tone back through the bridge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { assertSippPassed, requireSipp, runSipp, startSipp } from '../../support/sipp.js';
import { scenario } from '../../support/sipp.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, ownPortRange, startTestEngine, WebhookApp, type EngineSetup } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';

const { VoiceResponse } = twilio.twiml;
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

/** The engine as `dialtone start` builds it, <Dial> wiring included, on a media port range of its own. */
function startDialEngine(voiceUrl: string, statusCallback: string): Promise<EngineSetup> {
  return startTestEngine([{ match: '*', voiceUrl, statusCallback }], { media: { portRange: ownPortRange(32000) } });
}

test('SIPp → engine → <Dial><Sip> → SIPp uas-answer-200: bridged, timeLimit ends it, action gets completed/200, callbacks delivered', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const callee = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 40_000 });
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  const dial = voice.dial({ action: '/dial-action', timeLimit: 1, timeout: 20 });
  dial.sip(
    { statusCallback: app.url('/dial-status'), statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'] },
    `sip:kate@127.0.0.1:${callee.port}?X-Custom=hello`,
  );
  app.on('/voice', voice.toString());
  const after = new VoiceResponse();
  after.hangup();
  app.on('/dial-action', after.toString());
  const setup = await startDialEngine(app.url('/voice'), app.url('/status'));
  try {
    const caller = await runSipp({
      scenario: join(scenarios, 'uac-invite-200-wait-bye.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 40_000,
    });
    assertSippPassed(caller, 1, 'SIPp caller (uac-invite-200-wait-bye)');
    const calleeResult = await callee.done;
    assertSippPassed(calleeResult, 1, 'SIPp callee (uas-answer-200)');
    // The INVITE as INTERFACE.md fixes it: the URI's X- header, X-Twilio-*, From = the caller.
    const invite = calleeResult.messagesLog.slice(calleeResult.messagesLog.indexOf('INVITE sip:'));
    assert.match(invite, /^INVITE sip:kate@127\.0\.0\.1:\d+;transport=udp SIP\/2\.0/);
    assert.match(invite, /\nX-Custom: hello\r?\n/);
    assert.match(invite, new RegExp(`\\nX-Twilio-AccountSid: ${ACCOUNT_SID}\\r?\\n`));
    assert.match(invite, /\nFrom: <sip:sipp@127\.0\.0\.1>;tag=/);

    const action = await app.waitFor('/dial-action');
    assert.equal(action.params['DialCallStatus'], 'completed');
    assert.equal(action.params['DialSipResponseCode'], '200');
    assert.equal(action.params['DialBridged'], 'true');
    assert.match(action.params['DialCallSid'] ?? '', /^CA[0-9a-f]{32}$/);
    assert.match(action.params['DialSipCallId'] ?? '', /@dialtone$/);
    assert.ok(twilio.validateRequest(AUTH_TOKEN, action.signature ?? '', action.url, action.params));
    const childSid = action.params['DialCallSid']!;
    const parentSid = action.params['CallSid']!;

    // The child leg's status callbacks, through the outbox, in order and signed.
    const callbacks = [];
    for (let n = 1; n <= 4; n++) callbacks.push(await app.waitFor('/dial-status', n));
    assert.deepEqual(callbacks.map((callback) => callback.params['CallStatus']), ['initiated', 'ringing', 'in-progress', 'completed']);
    assert.deepEqual(callbacks.map((callback) => callback.params['SequenceNumber']), ['0', '1', '2', '3']);
    for (const callback of callbacks) {
      assert.equal(callback.params['CallSid'], childSid);
      assert.equal(callback.params['ParentCallSid'], parentSid);
      assert.equal(callback.params['Direction'], 'outbound-dial');
      assert.ok(twilio.validateRequest(AUTH_TOKEN, callback.signature ?? '', callback.url, callback.params));
    }
    assert.equal(callbacks[3]!.params['SipResponseCode'], '200');

    // The store: the child row under its parent, the parent completed.
    const child = await eventually(() => setup.engine.store.calls.get(childSid), (call) => call?.status === 'completed');
    assert.equal(child?.status, 'completed');
    assert.equal(child?.direction, 'outbound-dial');
    assert.equal(child?.parentCallSid, parentSid);
    assert.equal(child?.sipResponseCode, 200);
    const parent = await eventually(() => setup.engine.store.calls.get(parentSid), (call) => call?.status === 'completed');
    assert.equal(parent?.status, 'completed');
  } finally {
    await setup.close();
    await callee.stop();
    await app.close();
  }
});

test('caller → engine → <Dial><Sip> → SIPp RTP echo: the caller hears its own tone back through the bridge', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const callee = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 40_000, rtpEcho: true });
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  voice.dial({ action: '/dial-action', answerOnBridge: true }).sip(`sip:echo@127.0.0.1:${callee.port}`);
  app.on('/voice', voice.toString());
  const after = new VoiceResponse();
  after.hangup();
  app.on('/dial-action', after.toString());
  const setup = await startDialEngine(app.url('/voice'), app.url('/status'));
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered, 'answerOnBridge: the caller is answered when the callee answers');
    // A 440 Hz tone out; the same tone back once it has crossed the bridge twice (and SIPp's echo).
    await caller.sendTone(placed.port, 1_000);
    await eventually(async () => placed.heard.packets, (packets) => packets >= 25);
    assert.ok(placed.heard.packets >= 25, `the caller heard the echo (${placed.heard.packets} packets)`);
    const peak = placed.heard.samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    assert.ok(peak > 4000, `what came back is the tone (peak ${peak})`);
    // The caller hangs up: the engine ends the dialled leg (BYE to the echo), the action says completed.
    await placed.call.bye();
    const action = await app.waitFor('/dial-action');
    assert.equal(action.params['DialCallStatus'], 'completed');
    assert.equal(action.params['DialSipResponseCode'], '200');
    assertSippPassed(await callee.done, 1, 'SIPp callee (uas-echo-rtp)');
  } finally {
    await caller.close();
    await setup.close();
    await callee.stop();
    await app.close();
  }
});
