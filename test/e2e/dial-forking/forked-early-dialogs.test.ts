/**
 * Forked early dialogs from one INVITE (issue 6), end to end through a real forking proxy: the
 * engine's <Dial><Sip>sip:fork@kamailio</Sip> goes to Kamailio, which forks it in parallel to two
 * SIPp callees (branch A and branch B) and record-routes it. Each branch answers with its own To tag,
 * so the one INVITE makes two early dialogs (RFC 3261 §12.1.2, §13.2.2.4); the engine must run them
 * as one leg: ring once, ACK every 2xx, keep one dialog and hang up any other, and send every
 * in-dialog request along the route set through the proxy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSippPassed } from '../../support/sipp.js';
import {  } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { callAndAwaitAction, invitedCallSid, legCallbacks, racingScenario, type AnsweredCall, type CalleeSpec, type LegCallbacks } from '../dial-racing/racing-scene.js';
import { assertCameThroughProxy, forkingScenario, headerOf, inviteRepliesFrom, playForkingScene, requestsReceived, toTagSent, type ForkingScene } from './forking-scene.js';

/** Rings until the proxy's CANCEL, then 487 (built from the INVITE's Vias, so the proxy can forward it). */
const RINGS_UNTIL_CANCEL: CalleeSpec = { scenario: forkingScenario('uas-ring-then-487-on-proxy-cancel') };
const answers = (name: string): CalleeSpec => ({ scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: name }, rtpEcho: true });

/** 200 ms at 8 kHz: what the caller may still hear of our ringback, in flight when the bridge came. */
const RINGBACK_TAIL_SAMPLES = 1_600;

/**
 * The caller's part of an answered call (answerOnBridge: answered when the callee is, so bridged from
 * here on): a 440 Hz tone out, and the same tone back, which only the answering branch's RTP echo can
 * return; then the caller hangs up. What the caller heard before (ringback, early media) is left out.
 */
async function hearOwnToneThenHangUp(scene: ForkingScene, placed: AnsweredCall): Promise<void> {
  const heardBefore = { packets: placed.heard.packets, samples: placed.heard.samples.length };
  await scene.caller.sendTone(placed.port, 1_000);
  const packets = await eventually(async () => placed.heard.packets - heardBefore.packets, (count) => count >= 25);
  assert.ok(packets >= 25, `the caller heard the echo (${packets} packets since the answer)`);
  const echoed = placed.heard.samples.slice(heardBefore.samples + RINGBACK_TAIL_SAMPLES);
  const peak = echoed.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
  assert.ok(peak > 4000, `what came back is the tone (peak ${peak})`);
  await placed.call.bye();
}

test(
  'forking proxy: both branches ring (two early dialogs, one ringing callback), B answers → ACKed and bridged via the Record-Route, A gets CANCEL/487, the caller’s hang-up reaches B as BYE',
  { timeout: 150_000 },
  async (t) => {
    let action: Record<string, string> = {};
    let leg: LegCallbacks | undefined;
    const played = await playForkingScene(
      t,
      { branches: [RINGS_UNTIL_CANCEL, answers('B')], dial: { answerOnBridge: true } },
      async (scene) => {
        action = (await callAndAwaitAction(scene, (placed) => hearOwnToneThenHangUp(scene, placed))).params;
        leg = await legCallbacks(scene, '/status/0');
      },
    );
    if (played === undefined) return;
    const { branches: [a, b], kamailio } = played;
    assertSippPassed(a!, 1, 'SIPp branch A (uas-ring-then-487-on-proxy-cancel)');
    assertSippPassed(b!, 1, 'SIPp branch B (uas-ring-then-answer-wait-bye)');

    // One INVITE, forked: both branches got it with the same leg's CallSid, and each rang with its own
    // To tag, relayed by Kamailio to the engine — two early dialogs of one leg.
    assert.equal(invitedCallSid(a!), invitedCallSid(b!), 'both branches carry the one leg’s X-Twilio-CallSid');
    assert.notEqual(toTagSent(a!), toTagSent(b!));
    assert.deepEqual(inviteRepliesFrom(kamailio, a!.localPort), [180, 487]);
    assert.deepEqual(inviteRepliesFrom(kamailio, b!.localPort), [180, 200]);

    // The leg rang once (the second 180 is not a second ringing) and was answered by B.
    assert.equal(leg?.callSid, invitedCallSid(b!));
    assert.deepEqual(leg?.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
    assert.equal(action['DialCallStatus'], 'completed');
    assert.equal(action['DialBridged'], 'true');
    assert.equal(action['DialSipResponseCode'], '200');
    assert.equal(action['DialSipHeader_X-Callee'], 'B');
    assert.equal(action['DialCallSid'], leg?.callSid);

    // B's dialog: the ACK of its 200 and the BYE of the caller's hang-up came through Kamailio (the
    // route set from its Record-Route, §12.1.2), in B's dialog (its To tag), to its Contact.
    const [ack] = requestsReceived(b!, 'ACK');
    const [bye] = requestsReceived(b!, 'BYE');
    assert.ok(ack !== undefined && bye !== undefined, 'B received the ACK and the BYE');
    for (const [what, request] of [['ACK', ack], ['BYE', bye]] as const) {
      assertCameThroughProxy(request, kamailio, `B's ${what}`);
      assert.match(request, /^\w+ sip:sipp@127\.0\.0\.1:\d+/, `B's ${what} goes to B's Contact`);
      assert.match(headerOf(request, 'To') ?? '', new RegExp(`;tag=${toTagSent(b!)}\\b`), `B's ${what} is in B's dialog`);
    }
    // A never had a dialog with us: Kamailio cancelled its branch (§16.7 step 10) and we sent it nothing.
    const [cancel] = requestsReceived(a!, 'CANCEL');
    assert.ok(cancel !== undefined, 'A received the proxy’s CANCEL');
    assertCameThroughProxy(cancel, kamailio, 'A’s CANCEL');
    assert.deepEqual(requestsReceived(a!, 'BYE'), []);
  },
);

test(
  'forking proxy: both branches answer (B’s 200 crosses the proxy’s CANCEL, and the proxy forwards both 2xx) → the engine ACKs both, BYEs B’s dialog at once and keeps A’s',
  { timeout: 150_000 },
  async (t) => {
    let action: Record<string, string> = {};
    let leg: LegCallbacks | undefined;
    const played = await playForkingScene(
      t,
      {
        branches: [answers('A'), { scenario: forkingScenario('uas-ring-then-200-crossing-proxy-cancel'), keys: { callee: 'B' } }],
        dial: { timeLimit: 1 },
      },
      async (scene) => {
        action = (await callAndAwaitAction(scene)).params;
        leg = await legCallbacks(scene, '/status/0');
      },
    );
    if (played === undefined) return;
    const { branches: [a, b], kamailio } = played;
    // Each branch's scenario passes only when it got the ACK of its 200 and then a BYE.
    assertSippPassed(a!, 1, 'SIPp branch A (uas-ring-then-answer-wait-bye)');
    assertSippPassed(b!, 1, 'SIPp branch B (uas-ring-then-200-crossing-proxy-cancel)');
    // Kamailio cancelled B once A answered, and still forwarded B's 200: the engine got two 2xx.
    assert.deepEqual(inviteRepliesFrom(kamailio, a!.localPort), [180, 200]);
    assert.deepEqual(inviteRepliesFrom(kamailio, b!.localPort), [180, 200]);
    assert.equal(requestsReceived(b!, 'CANCEL').length, 1, 'B received the proxy’s CANCEL');

    // The first 2xx won: one leg, answered once, bridged to A until timeLimit.
    assert.equal(action['DialCallStatus'], 'completed');
    assert.equal(action['DialBridged'], 'true');
    assert.equal(action['DialSipHeader_X-Callee'], 'A');
    assert.equal(leg?.callSid, invitedCallSid(a!));
    assert.deepEqual(leg?.statuses, ['initiated', 'ringing', 'in-progress', 'completed'], 'one leg, answered once');

    for (const [name, result] of [['A', a!], ['B', b!]] as const) {
      const [ack] = requestsReceived(result, 'ACK');
      const [bye] = requestsReceived(result, 'BYE');
      assert.ok(ack !== undefined && bye !== undefined, `${name} received the ACK and the BYE`);
      assertCameThroughProxy(ack, kamailio, `${name}'s ACK`);
      assertCameThroughProxy(bye, kamailio, `${name}'s BYE`);
      assert.match(headerOf(ack, 'To') ?? '', new RegExp(`;tag=${toTagSent(result)}\\b`), `${name}'s ACK is in ${name}'s own dialog`);
    }
    // §13.2.2.4: the dialog the engine does not want is ended at once, saying why; the kept one ends
    // with the call (timeLimit), as an ordinary hang-up.
    assert.match(headerOf(requestsReceived(b!, 'BYE')[0]!, 'Reason') ?? '', /^SIP;cause=200;text="Call completed elsewhere"/);
    assert.equal(headerOf(requestsReceived(a!, 'BYE')[0]!, 'Reason'), undefined);
  },
);

test(
  'forking proxy: A sends early media (183, its answer PCMA) while B answers (200, PCMU) → the caller is bridged to B’s media in B’s codec, not A’s early media',
  { timeout: 150_000 },
  async (t) => {
    let action: Record<string, string> = {};
    let leg: LegCallbacks | undefined;
    const played = await playForkingScene(
      t,
      { branches: [{ scenario: forkingScenario('uas-early-media-183-then-487-on-proxy-cancel') }, answers('B')], dial: { answerOnBridge: true } },
      async (scene) => {
        action = (await callAndAwaitAction(scene, (placed) => hearOwnToneThenHangUp(scene, placed))).params;
        leg = await legCallbacks(scene, '/status/0');
      },
    );
    if (played === undefined) return;
    const { branches: [a, b], kamailio } = played;
    assertSippPassed(a!, 1, 'SIPp branch A (uas-early-media-183-then-487-on-proxy-cancel)');
    assertSippPassed(b!, 1, 'SIPp branch B (uas-ring-then-answer-wait-bye)');
    // A's early-media dialog reached the engine before B answered.
    assert.deepEqual(inviteRepliesFrom(kamailio, a!.localPort), [183, 487]);
    assert.deepEqual(inviteRepliesFrom(kamailio, b!.localPort), [180, 200]);
    // The tone came back (hearOwnToneThenHangUp), and only B echoes: the bridge is B's media. B's
    // answer was taken on its own (its dialog, its codec): its call ended with the caller's hang-up,
    // not with a BYE for an answer that "changed" A's early one.
    assert.equal(action['DialCallStatus'], 'completed');
    assert.equal(action['DialSipHeader_X-Callee'], 'B');
    assert.deepEqual(leg?.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
    assert.deepEqual(requestsReceived(a!, 'BYE'), []);
    const bye = requestsReceived(b!, 'BYE')[0] ?? '';
    assertCameThroughProxy(bye, kamailio, 'B’s BYE');
    assert.equal(headerOf(bye, 'Reason'), undefined);
  },
);

test(
  'forking proxy: the caller hangs up while both branches ring → one CANCEL from the engine cancels both early dialogs through the proxy; canceled',
  { timeout: 150_000 },
  async (t) => {
    let action: Record<string, string> = {};
    let leg: LegCallbacks | undefined;
    const played = await playForkingScene(t, { branches: [RINGS_UNTIL_CANCEL, RINGS_UNTIL_CANCEL], dial: {} }, async (scene) => {
      const request = await callAndAwaitAction(scene, async (placed) => {
        // Both branches ring (Kamailio relayed each one's 180), so both early dialogs exist.
        const ringing = await eventually(
          async () => scene.callees.map((callee) => inviteRepliesFrom(scene.kamailio, callee.port)),
          (replies) => replies.every((statuses) => statuses.includes(180)),
        );
        assert.deepEqual(ringing, [[180], [180]]);
        await placed.call.bye();
      });
      action = request.params;
      leg = await legCallbacks(scene, '/status/0');
    });
    if (played === undefined) return;
    const { branches: [a, b], kamailio } = played;
    assertSippPassed(a!, 1, 'SIPp branch A (uas-ring-then-487-on-proxy-cancel)');
    assertSippPassed(b!, 1, 'SIPp branch B (uas-ring-then-487-on-proxy-cancel)');
    // CANCEL is per transaction, not per dialog (RFC 3261 §9.1): the engine sends one, the proxy
    // cancels every branch (§16.10).
    assert.equal(kamailio.events().filter((event) => event.kind === 'request' && event.method === 'CANCEL').length, 1, 'the engine sent one CANCEL');
    for (const [name, result] of [['A', a!], ['B', b!]] as const) {
      const [cancel] = requestsReceived(result, 'CANCEL');
      assert.ok(cancel !== undefined, `${name} received a CANCEL`);
      assertCameThroughProxy(cancel, kamailio, `${name}'s CANCEL`);
      assert.deepEqual(inviteRepliesFrom(kamailio, result.localPort), [180, 487]);
    }
    // The proxy forwarded the best final response, a 487, and the engine ACKed it (§17.1.1.3): the
    // INVITE ended on the wire, not on the engine's own CANCEL timeout (§9.1), which sends no ACK.
    const fromEngine = kamailio.events().filter((event) => event.kind === 'request').map((event) => event.method);
    assert.deepEqual(fromEngine, ['INVITE', 'CANCEL', 'ACK']);
    assert.equal(action['DialCallStatus'], 'canceled');
    assert.equal(action['DialSipResponseCode'], '487');
    assert.equal(action['DialBridged'], 'false');
    assert.deepEqual(leg?.statuses, ['initiated', 'ringing', 'canceled']);
  },
);
