/**
 * <Number> through the configured trunk end to end (issue 6: "`<Number>` dials through the configured
 * trunk (its URI, transport and credentials)"; INTERFACE.md `trunks`). The trunk is a SIPp UAS that
 * challenges the INVITE with 401 and verifies the digest against the trunk's username and password:
 * the INVITE is retried with Authorization, answered and bridged. The trunk echoes RTP, so the caller
 * hears its own tone come back through the bridge; the caller's hang-up then ends the trunk leg (BYE).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import twilio from 'twilio';
import { assertSippPassed, scenario } from '../../support/sipp.js';
import {  } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { ALL_EVENTS, callAndAwaitAction, invitedCallSid, legCallbacks, playScene, type LegCallbacks } from './racing-scene.js';

const { VoiceResponse } = twilio.twiml;

const TRUNK_USER = 'trunk-user';
const TRUNK_PASSWORD = 'trunk-s3cret';

test('<Number> goes to the trunk: 401 challenge answered with the trunk’s credentials, 200, bridged', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  let leg: LegCallbacks | undefined;
  const results = await playScene(
    t,
    {
      callees: [{ scenario: scenario('uas-401-challenge'), authUser: TRUNK_USER, authPassword: TRUNK_PASSWORD, rtpEcho: true }],
      voice: (_ports, app) => {
        const voice = new VoiceResponse();
        voice
          // answerOnBridge: the caller is answered only with the trunk; our ringback before that peaks at
          // 4000, so a louder peak is the caller's own tone echoed back across the bridge.
          .dial({ action: '/after', timeout: 20, answerOnBridge: true })
          .number({ statusCallback: app.url('/status/0'), statusCallbackEvent: [...ALL_EVENTS] }, '+1 (555) 010-4477');
        return voice.toString();
      },
      // INTERFACE.md: "trunks: where <Number> goes"; the one named default carries it.
      config: ([port]) => ({ trunks: [{ name: 'default', uri: `sip:127.0.0.1:${port};transport=udp`, username: TRUNK_USER, password: TRUNK_PASSWORD }] }),
    },
    async (scene) => {
      const request = await callAndAwaitAction(scene, async (placed) => {
        await scene.caller.sendTone(placed.port, 1_000);
        await eventually(async () => placed.heard.packets, (packets) => packets >= 25);
        assert.ok(placed.heard.packets >= 25, `the caller heard the trunk's echo (${placed.heard.packets} packets)`);
        const peak = placed.heard.samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
        assert.ok(peak > 4000, `what came back is the tone (peak ${peak})`);
        await placed.call.bye();
      });
      action = request.params;
      leg = await legCallbacks(scene, '/status/0');
    },
  );
  if (results === undefined) return;
  // The scenario's <verifyauth> checked the digest against the trunk's username and password.
  const trunk = results[0]!;
  assertSippPassed(trunk, 1, 'SIPp trunk (uas-401-challenge)');
  // The number as the Request-URI's user part (separators dropped), on the trunk's host and port.
  const invites = trunk.messagesLog.match(/\nINVITE sip:\+15550104477@127\.0\.0\.1:\d+;transport=udp SIP\/2\.0/g) ?? [];
  assert.equal(invites.length, 2, 'the INVITE, then the same INVITE with credentials');
  assert.match(trunk.messagesLog, new RegExp(`\\nAuthorization: Digest [^\\r\\n]*username="${TRUNK_USER}"`));
  assert.match(trunk.messagesLog, /\nBYE sip:sipp@/);

  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialSipResponseCode'], '200');
  assert.equal(action['DialBridged'], 'true');
  assert.equal(action['DialCallSid'], invitedCallSid(trunk));
  assert.equal(leg?.callSid, action['DialCallSid']);
  assert.deepEqual(leg?.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
  // The leg's To is the number dialled, as Twilio reports a <Number> leg.
  assert.equal(leg?.last.params['To'], '+15550104477');
});

test('parallel mix: a <Sip> and a <Number> ring at once; the trunk answers with its credentials, the <Sip> gets CANCEL', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(
    t,
    {
      callees: [{ scenario: scenario('uas-ring-then-487-on-cancel') }, { scenario: scenario('uas-401-challenge'), authUser: TRUNK_USER, authPassword: TRUNK_PASSWORD }],
      voice: ([sipPort], app) => {
        const voice = new VoiceResponse();
        const dial = voice.dial({ action: '/after', timeout: 20, timeLimit: 1 });
        dial.sip({ statusCallback: app.url('/status/0'), statusCallbackEvent: [...ALL_EVENTS] }, `sip:desk@127.0.0.1:${sipPort}`);
        dial.number({ statusCallback: app.url('/status/1'), statusCallbackEvent: [...ALL_EVENTS] }, '+15550104477');
        return voice.toString();
      },
      config: ([, trunkPort]) => ({ trunks: [{ name: 'default', uri: `sip:127.0.0.1:${trunkPort}`, username: TRUNK_USER, password: TRUNK_PASSWORD }] }),
    },
    async (scene) => {
      action = (await callAndAwaitAction(scene)).params;
      for (const index of [0, 1]) legs.push(await legCallbacks(scene, `/status/${index}`));
    },
  );
  if (results === undefined) return;
  assertSippPassed(results[0]!, 1, 'SIPp <Sip> callee (uas-ring-then-487-on-cancel)');
  assertSippPassed(results[1]!, 1, 'SIPp trunk (uas-401-challenge)');
  // The trunk's credentials went only to the trunk: the <Sip> leg has none of its own.
  assert.doesNotMatch(results[0]!.messagesLog, /\nAuthorization:/);
  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialCallSid'], invitedCallSid(results[1]!));
  assert.deepEqual(legs[0]!.statuses, ['initiated', 'ringing', 'canceled']);
  assert.deepEqual(legs[1]!.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
});
