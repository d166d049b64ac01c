/**
 * `<Dial hangupOnStar="true">` end to end (Twilio: "lets the calling party hang up on the called party
 * by pressing the '*' key … the calling party stays on the call and continues with the next verb or
 * the action"). Our caller calls the engine, the application dials the demo's built-in phone, the
 * two are bridged (the callee's tone reaches the caller), then the caller sends '*' as RFC 4733
 * (event 10). The callee gets our BYE; the caller's call stays up and goes on — with the action
 * (DialCallStatus completed), or without one with the verbs after the <Dial> — and that <Say>
 * reaches the caller before the <Hangup>.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoPhone, type PhoneCall } from '../../../src/cli/demo/demo-phone.js';
import { SipLadder } from '../../../src/cli/demo/sip-ladder.js';
import type { IncomingCall } from '../../../src/sip/index.js';
import { Caller, startTestEngine, WebhookApp, within } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { CALLEE_HZ, toneShare } from './support.js';

interface Flow {
  /** The application's first document (its <Dial> to `uri`). */
  voice: (uri: string) => string;
  /** Where the caller goes on: the Dial action's document, or the verbs after the <Dial>. */
  action?: string;
}

async function hangUpOnStar(flow: Flow): Promise<void> {
  const callee = await DemoPhone.start('kate', new SipLadder());
  const app = await WebhookApp.start();
  app.on('/voice', flow.voice(callee.uri));
  if (flow.action !== undefined) app.on('/after', flow.action);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  const answered = new Promise<PhoneCall>((resolve, reject) => {
    callee.ua.onIncomingCall((incoming: IncomingCall) => void callee.answer(incoming, 0).then(resolve, reject));
  });
  try {
    const placed = await within(caller.call(setup.sipPort), 10_000, 'the engine to answer the caller');
    assert.ok(placed.answered);
    const phone = await within(answered, 15_000, 'the callee to answer');
    callee.sendTone(phone.port, CALLEE_HZ);
    // Bridged: the callee's tone reaches the caller.
    const bridged = await within(
      eventually(async () => toneShare(placed.heard.samples.slice(-1600), CALLEE_HZ), (share) => share > 0.3),
      10_000,
      'the callee’s audio to reach the caller',
    );
    assert.ok(bridged > 0.3, `the caller hears the callee’s ${CALLEE_HZ} Hz (share ${bridged.toFixed(2)})`);

    await caller.sendDigits(placed.port, '*');
    const calleeEnd = await within(phone.call.ended, 10_000, 'the engine’s BYE to the callee');
    assert.equal(calleeEnd.by, 'remote', 'the engine hung up on the callee');
    const heardBefore = placed.heard.samples.length;

    if (flow.action !== undefined) {
      const action = await within(app.waitFor('/after'), 10_000, 'the Dial action');
      assert.equal(action.params['DialCallStatus'], 'completed');
      assert.equal(action.params['DialBridged'], 'true');
    }
    assert.equal(placed.call.isEnded, false, 'the caller’s call is still up after the callee’s leg ended');
    // The <Say> plays to the caller: speech, not the callee's tone, arrives after the '*'.
    const spoken = await within(
      eventually(async () => placed.heard.samples.length - heardBefore, (samples) => samples >= 8000, { polls: 6_000 }),
      30_000,
      'the <Say> to reach the caller',
    );
    assert.ok(spoken >= 8000, `the caller hears the <Say> (${spoken} samples)`);
    const speech = placed.heard.samples.slice(heardBefore);
    assert.ok(toneShare(speech, CALLEE_HZ) < 0.1, 'what the caller hears now is not the callee any more');
    // Then <Hangup>: the engine ends the caller's call.
    const callerEnd = (await within(placed.ended, 30_000, 'the engine’s BYE to the caller')) as { by: string };
    assert.equal(callerEnd.by, 'remote');
  } finally {
    await caller.close();
    await setup.close();
    await callee.close();
    await app.close();
  }
}

test('hangupOnStar with an action: the caller’s RFC 4733 * ends the callee’s leg (BYE), the caller goes on with the action’s <Say> then <Hangup>', { timeout: 90_000 }, async () => {
  await hangUpOnStar({
    voice: (uri) => `<Response><Dial action="/after" hangupOnStar="true"><Sip>${uri}</Sip></Dial></Response>`,
    action: '<Response><Say>You hung up on them. Goodbye.</Say><Hangup/></Response>',
  });
});

test('hangupOnStar without an action: after the *, the caller goes on with the verbs after the <Dial>', { timeout: 90_000 }, async () => {
  await hangUpOnStar({
    voice: (uri) => `<Response><Dial hangupOnStar="true"><Sip>${uri}</Sip></Dial><Say>You hung up on them. Goodbye.</Say><Hangup/></Response>`,
  });
});
