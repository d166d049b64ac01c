/**
 * Twilio's classic rule end to end (seed 003: "only one <Sip> noun may be specified per <Dial> … If
 * Enhanced Programmable SIP Features is not enabled on your account"; INTERFACE.md `enhancedSip:
 * false`: "one <Sip> alone"). On such an account a document whose <Dial> holds two <Sip> nouns is
 * refused as a whole with error 13250 (notification on the call): no INVITE leaves, and the call goes
 * as any document error goes (INTERFACE.md: to the fallback URL with ErrorCode and ErrorUrl, else a
 * spoken error and the end of the call). The fallback's single <Sip> is dialled as usual.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '../../../src/kernel/index.js';
import { assertSippPassed } from '../../support/sipp.js';
import { ACCOUNT_SID, AUTH_TOKEN, within } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { assertSigned, callAndAwaitAction, dialEveryCallee, invitedCallSid, playScene, racingScenario, type CalleeSpec, type Scene } from './racing-scene.js';

const classicAccount = { accounts: [{ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, enhancedSip: false }] };
const NEVER_CALLED: CalleeSpec = { scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: 'never' }, idle: true };

/** The notifications recorded on the caller's call, once one with `code` is there. */
async function notificationCodes(scene: Scene, code: number): Promise<number[]> {
  const callSid = scene.app.requestsTo('/voice')[0]?.params['CallSid'] ?? '';
  const page = await eventually(
    () => scene.setup.engine.store.notifications.list({ callSid }),
    (found) => found.items.some((item) => item.errorCode === code),
  );
  return page.items.map((item) => item.errorCode);
}

test('enhancedSip false, two <Sip> in one <Dial>: error 13250, no INVITE, a spoken error and the call ends', { timeout: 120_000 }, async (t) => {
  let codes: number[] = [];
  const results = await playScene(t, { callees: [NEVER_CALLED, NEVER_CALLED], voice: dialEveryCallee({ timeout: 20 }), config: () => classicAccount }, async (scene) => {
    const placed = await within(scene.caller.call(scene.setup.sipPort), 10_000, 'the engine to answer the caller');
    assert.ok(placed.answered, 'the call is answered to say the error');
    const end = (await within(placed.ended, 30_000, 'the engine to end the call')) as { by: string };
    assert.equal(end.by, 'remote', 'the engine hung up');
    assert.ok(placed.heard.packets > 0, 'the caller heard the spoken error');
    codes = await notificationCodes(scene, ErrorCodes.sipTooManyNouns);
    assert.equal(scene.app.requestsTo('/after').length, 0, 'no Dial ran, so no Dial action');
  });
  if (results === undefined) return;
  assert.ok(codes.includes(13250), `notification 13250 recorded (codes: ${codes.join(', ')})`);
  results.forEach((result, index) => assert.doesNotMatch(result.messagesLog, /INVITE sip:/, `callee${index} got no INVITE`));
});

test('enhancedSip false: notification 13250, the fallback is requested with ErrorCode, and its single <Sip> is dialled', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  let fallback: Record<string, string> = {};
  const results = await playScene(
    t,
    {
      callees: [NEVER_CALLED, { scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: 'alone' } }],
      voice: (ports, app) => {
        app.on('/fallback', dialEveryCallee({ timeout: 20 })([ports[1]!], app));
        return dialEveryCallee({ timeout: 20 })(ports, app);
      },
      config: () => classicAccount,
      route: (app) => ({ voiceFallbackUrl: app.url('/fallback') }),
    },
    async (scene) => {
      action = (await callAndAwaitAction(scene)).params;
      const request = scene.app.requestsTo('/fallback')[0]!;
      assertSigned(request);
      fallback = request.params;
      assert.ok((await notificationCodes(scene, ErrorCodes.sipTooManyNouns)).includes(13250));
    },
  );
  if (results === undefined) return;
  // The fallback is told why the document could not be run: the same code as the notification.
  assert.equal(fallback['ErrorCode'], String(ErrorCodes.sipTooManyNouns));
  assert.match(fallback['ErrorUrl'] ?? '', /\/voice$/);
  assert.doesNotMatch(results[0]!.messagesLog, /INVITE sip:/, 'callee0 got no INVITE');
  assertSippPassed(results[1]!, 1, 'SIPp callee1, the fallback’s single <Sip>');
  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialCallSid'], invitedCallSid(results[1]!));
});
