/**
 * Call screening end to end (issue 6: "Screening url/method on a noun: after that callee answers and
 * before bridging, the callee leg fetches and runs that document (SipCallId and SipHeader_<name> from
 * the 200 added) while the caller keeps hearing ringback; <Dial> inside it is error 13201; when it
 * hangs up or the callee hangs up, the call is not bridged and the Dial goes on as not answered").
 *
 * The engine is the one `dialtone start` builds (main.ts passes createCallScreening into the <Dial>
 * wiring). The caller is the harness's UserAgent; the screened callee is either the demo's built-in
 * phone (it hears the prompt and presses 1 as RFC 4733) or SIPp's uas-answer-200.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import twilio from 'twilio';
import { DemoPhone, type PhoneCall } from '../../../src/cli/demo/demo-phone.js';
import { SipLadder } from '../../../src/cli/demo/sip-ladder.js';
import type { IncomingCall } from '../../../src/sip/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, sleep, startTestEngine, WebhookApp } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';

const hangupDocument = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';

/** Polls a condition the phone's own events change (no timing is asserted). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

test('screening accepted: the callee hears the <Gather> prompt, presses 1, and is bridged with the caller', { timeout: 60_000 }, async () => {
  const callee = await DemoPhone.start('kate', new SipLadder());
  const app = await WebhookApp.start();
  app.on('/voice', `<Response><Dial action="/after" timeLimit="2"><Sip url="/screen">${callee.uri}</Sip></Dial></Response>`);
  app.on('/screen', '<Response><Gather numDigits="1" action="/accept"><Say>Press 1</Say></Gather><Hangup/></Response>');
  app.on('/accept', '<Response></Response>');
  app.on('/after', hangupDocument);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  let answered: PhoneCall | undefined;
  const pressed = new Promise<void>((resolve, reject) => {
    callee.ua.onIncomingCall((incoming: IncomingCall) => {
      void (async () => {
        answered = await callee.answer(incoming, 0, [{ name: 'X-Screen-Test', value: 'hello' }]);
        // The screening prompt reaching the callee means the <Gather> listens.
        await until(() => answered!.packetsReceived > 0);
        await callee.press(answered.port, '1');
        resolve();
      })().catch(reject);
    });
  });
  try {
    const placed = await caller.call(setup.sipPort);
    assert.equal(placed.answered, true);
    await pressed;
    const screen = await app.waitFor('/screen');
    const accept = await app.waitFor('/accept');
    // Seed 003: "The current caller continues to hear ringing while the TwiML document executes on the
    // other end": nothing else plays to the caller before the bridge (no <Say> in /voice).
    assert.ok(placed.answered && placed.heard.packets > 0, 'the caller heard no ringback during the screening');
    const after = await app.waitFor('/after');
    // Seed 003 "Call Screening HTTP parameters": the leg's voice parameters, SipCallId, SipHeader_<name> of the 200.
    assert.equal(screen.params['CallSid'], after.params['DialCallSid']);
    assert.equal(screen.params['ParentCallSid'], after.params['CallSid']);
    assert.equal(screen.params['Direction'], 'outbound-dial');
    assert.equal(screen.params['CallStatus'], 'in-progress');
    assert.equal(screen.params['SipCallId'], answered!.call.callId);
    assert.equal(screen.params['SipHeader_X-Screen-Test'], 'hello');
    assert.equal(screen.params['AccountSid'], ACCOUNT_SID);
    assert.ok(twilio.validateRequest(AUTH_TOKEN, screen.signature ?? '', screen.url, screen.params));
    // The <Gather> action of the screening document runs on the callee's leg too.
    assert.equal(accept.params['Digits'], '1');
    assert.equal(accept.params['CallSid'], screen.params['CallSid']);
    assert.equal(accept.params['SipCallId'], answered!.call.callId);
    // The document ran out: connected, and timeLimit ended the bridge.
    assert.equal(after.params['DialCallStatus'], 'completed');
    assert.equal(after.params['DialBridged'], 'true');
    if (placed.answered) await placed.ended;
    await answered!.call.ended;
  } finally {
    await caller.close();
    await setup.close();
    await callee.close();
    await app.close();
  }
});

test('screening <Hangup/>: SIPp callee answered, not bridged, gets our BYE; the Dial goes on as answered-not-bridged', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 40_000 });
  const app = await WebhookApp.start();
  app.on('/voice', `<Response><Dial action="/after"><Sip url="/screen">sip:kate@127.0.0.1:${sipp.port}</Sip></Dial></Response>`);
  app.on('/screen', hangupDocument);
  app.on('/after', hangupDocument);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.equal(placed.answered, true);
    const screen = await app.waitFor('/screen');
    const after = await app.waitFor('/after');
    assert.match(screen.params['SipCallId'] ?? '', /@dialtone$/);
    assert.equal(after.params['DialBridged'], 'false');
    // INTERFACE.md: "2xx → completed (or answered when not bridged)".
    assert.equal(after.params['DialCallStatus'], 'answered');
    assert.equal(after.params['DialCallSid'], screen.params['CallSid']);
    assertSippPassed(await sipp.done, 1, 'SIPp callee (uas-answer-200)');
    if (placed.answered) await placed.ended;
  } finally {
    await caller.close();
    await setup.close();
    await sipp.stop();
    await app.close();
  }
});

test('<Dial> inside the screening document: notification 13201, the callee is not bridged', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 40_000 });
  const app = await WebhookApp.start();
  app.on('/voice', `<Response><Dial action="/after"><Sip url="/screen">sip:kate@127.0.0.1:${sipp.port}</Sip></Dial></Response>`);
  app.on('/screen', '<Response><Dial><Sip>sip:nobody@127.0.0.1:9</Sip></Dial></Response>');
  app.on('/after', hangupDocument);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.equal(placed.answered, true);
    const after = await app.waitFor('/after');
    assert.equal(after.params['DialBridged'], 'false');
    assert.equal(after.params['DialCallStatus'], 'answered');
    const child = after.params['DialCallSid']!;
    const notifications = await eventually(
      () => setup.engine.store.notifications.list({ callSid: child }),
      (page) => page.items.some((item) => item.errorCode === 13201),
    );
    assert.ok(notifications.items.some((item) => item.errorCode === 13201), JSON.stringify(notifications.items));
    assertSippPassed(await sipp.done, 1, 'SIPp callee (uas-answer-200)');
    if (placed.answered) await placed.ended;
  } finally {
    await caller.close();
    await setup.close();
    await sipp.stop();
    await app.close();
  }
});

test('the callee hangs up during the screening: not bridged, the Dial goes on', { timeout: 60_000 }, async () => {
  const callee = await DemoPhone.start('kate', new SipLadder());
  const app = await WebhookApp.start();
  app.on('/voice', `<Response><Dial action="/after"><Sip url="/screen">${callee.uri}</Sip></Dial></Response>`);
  app.on('/screen', '<Response><Gather numDigits="1" action="/accept" timeout="30"><Say>Press 1</Say></Gather><Hangup/></Response>');
  app.on('/after', hangupDocument);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  callee.ua.onIncomingCall((incoming: IncomingCall) => {
    void (async () => {
      const answered = await callee.answer(incoming, 0);
      await until(() => answered.packetsReceived > 0);
      await answered.call.bye();
    })();
  });
  try {
    const placed = await caller.call(setup.sipPort);
    assert.equal(placed.answered, true);
    const after = await app.waitFor('/after');
    assert.equal(after.params['DialBridged'], 'false');
    assert.equal(after.params['DialCallStatus'], 'answered');
    assert.equal(app.requestsTo('/accept').length, 0);
    if (placed.answered) await placed.ended;
  } finally {
    await caller.close();
    await setup.close();
    await callee.close();
    await app.close();
  }
});
