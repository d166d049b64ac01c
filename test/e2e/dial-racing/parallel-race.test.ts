/**
 * Parallel <Dial> races end to end (issue 6: "ring several endpoints at once … the first to answer
 * wins, the others get CANCEL, and one whose 200 OK crossed the CANCEL gets ACK then BYE"). Three
 * SIPp callees ring at once; one of them (first, middle or last in document order) answers, the
 * others ring until our CANCEL and answer it 487. Each SIPp must finish its own scenario, and the
 * Dial action and every noun's own status callbacks must say who won and how the others ended.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSippPassed, scenario } from '../../support/sipp.js';
import { callAndAwaitAction, dialEveryCallee, invitedCallSid, legCallbacks, playScene, racingScenario, type CalleeSpec, type LegCallbacks } from './racing-scene.js';

const RINGS_UNTIL_CANCEL: CalleeSpec = { scenario: scenario('uas-ring-then-487-on-cancel') };
const answers = (name: string): CalleeSpec => ({ scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: name } });

for (const [position, winner] of [
  ['first', 0],
  ['middle', 1],
  ['last', 2],
] as const) {
  test(`parallel: the ${position} of three answers → it is bridged, the other two get CANCEL and answer 487`, { timeout: 120_000 }, async (t) => {
    const callees = [0, 1, 2].map((index) => (index === winner ? answers(`callee${index}`) : RINGS_UNTIL_CANCEL));
    let action: Record<string, string> = {};
    const legs: LegCallbacks[] = [];
    const results = await playScene(t, { callees, voice: dialEveryCallee({ timeout: 20 }) }, async (scene) => {
      action = (await callAndAwaitAction(scene)).params;
      for (const index of [0, 1, 2]) legs.push(await legCallbacks(scene, `/status/${index}`));
    });
    if (results === undefined) return;
    results.forEach((result, index) => assertSippPassed(result, 1, `SIPp callee${index} (${index === winner ? 'answers' : 'rings until CANCEL'})`));

    // The action reports the winner: its own leg, its 2xx, bridged.
    assert.equal(action['DialCallStatus'], 'completed');
    assert.equal(action['DialSipResponseCode'], '200');
    assert.equal(action['DialBridged'], 'true');
    assert.equal(action['DialSipHeader_X-Callee'], `callee${winner}`);
    assert.equal(action['DialCallSid'], invitedCallSid(results[winner]!), 'DialCallSid is the leg the winner was INVITEd as');
    assert.equal(action['DialCallSid'], legs[winner]!.callSid);

    // Each noun had its own leg and its own callbacks: the winner's whole call, the others cancelled.
    assert.equal(new Set(legs.map((leg) => leg.callSid)).size, 3, 'three legs, three CallSids');
    legs.forEach((leg, index) => {
      assert.equal(leg.callSid, invitedCallSid(results[index]!), `callee${index}'s callbacks are for the leg it was INVITEd as`);
      if (index === winner) {
        assert.deepEqual(leg.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
        assert.equal(leg.last.params['SipResponseCode'], '200');
      } else {
        assert.deepEqual(leg.statuses, ['initiated', 'ringing', 'canceled'], `callee${index} lost the race`);
        assert.equal(leg.last.params['SipResponseCode'], '487');
        assert.match(results[index]!.messagesLog, /\nCANCEL sip:callee\d@/);
      }
    });
    // Only the winner was hung up with BYE; the losers' dialogs never existed.
    assert.match(results[winner]!.messagesLog, /\nBYE sip:sipp@/);
  });
}

test('parallel: all three busy (486) → busy/486, nobody bridged, every leg busy', { timeout: 120_000 }, async (t) => {
  const busy: CalleeSpec = { scenario: scenario('uas-busy-486') };
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(t, { callees: [busy, busy, busy], voice: dialEveryCallee({ timeout: 20 }) }, async (scene) => {
    action = (await callAndAwaitAction(scene)).params;
    for (const index of [0, 1, 2]) legs.push(await legCallbacks(scene, `/status/${index}`));
  });
  if (results === undefined) return;
  results.forEach((result, index) => assertSippPassed(result, 1, `SIPp callee${index} (uas-busy-486)`));
  assert.equal(action['DialCallStatus'], 'busy');
  assert.equal(action['DialSipResponseCode'], '486');
  assert.equal(action['DialBridged'], 'false');
  assert.equal(action['DialCallDuration'], '0');
  // Without a winner the action reports the last leg to end: one of the three.
  assert.ok(
    legs.some((leg) => leg.callSid === action['DialCallSid']),
    `DialCallSid ${action['DialCallSid']} is one of the legs ${legs.map((leg) => leg.callSid).join(', ')}`,
  );
  for (const leg of legs) {
    assert.deepEqual(leg.statuses, ['initiated', 'busy']);
    assert.equal(leg.last.params['SipResponseCode'], '486');
  }
});

test('parallel: a 200 that crosses our CANCEL is ACKed, then hung up with BYE; the race stays with the first answer', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  let crossing: LegCallbacks | undefined;
  const results = await playScene(
    t,
    { callees: [answers('winner'), { scenario: racingScenario('uas-ring-then-200-crossing-cancel') }], voice: dialEveryCallee({ timeout: 20 }) },
    async (scene) => {
      action = (await callAndAwaitAction(scene)).params;
      await legCallbacks(scene, '/status/0');
      crossing = await legCallbacks(scene, '/status/1');
    },
  );
  if (results === undefined) return;
  // The crossing callee's scenario passes only when it received the ACK of its 200 and then a BYE.
  assertSippPassed(results[0]!, 1, 'SIPp winner (uas-ring-then-answer-wait-bye)');
  assertSippPassed(results[1]!, 1, 'SIPp crossing callee (uas-ring-then-200-crossing-cancel)');
  const log = results[1]!.messagesLog;
  const cancelAt = log.search(/\nCANCEL sip:callee1@/);
  const ackAt = log.search(/\nACK sip:sipp@/);
  const byeAt = log.search(/\nBYE sip:sipp@/);
  assert.ok(cancelAt >= 0 && ackAt > cancelAt && byeAt > ackAt, 'CANCEL, then the ACK of the crossing 200, then BYE');

  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialSipHeader_X-Callee'], 'winner');
  assert.equal(action['DialCallSid'], invitedCallSid(results[0]!));
  assert.equal(action['DialBridged'], 'true');
  // The crossing leg never joined the call: it ends canceled, never in-progress.
  assert.equal(crossing?.callSid, invitedCallSid(results[1]!));
  assert.deepEqual(crossing?.statuses, ['initiated', 'ringing', 'canceled']);
});

test('parallel: one busy at once, another answers later → the busy leg does not end the race; completed', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(t, { callees: [{ scenario: scenario('uas-busy-486') }, answers('later')], voice: dialEveryCallee({ timeout: 20 }) }, async (scene) => {
    action = (await callAndAwaitAction(scene)).params;
    for (const index of [0, 1]) legs.push(await legCallbacks(scene, `/status/${index}`));
  });
  if (results === undefined) return;
  assertSippPassed(results[0]!, 1, 'SIPp callee0 (uas-busy-486)');
  assertSippPassed(results[1]!, 1, 'SIPp callee1 (uas-ring-then-answer-wait-bye)');
  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialSipHeader_X-Callee'], 'later');
  assert.equal(action['DialCallSid'], invitedCallSid(results[1]!));
  assert.deepEqual(legs[0]!.statuses, ['initiated', 'busy']);
  assert.deepEqual(legs[1]!.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
});

test('parallel: nobody answers within timeout → every leg gets CANCEL; no-answer/487', { timeout: 120_000 }, async (t) => {
  const ringing: CalleeSpec = { scenario: scenario('uas-no-answer') };
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(t, { callees: [ringing, ringing, ringing], voice: dialEveryCallee({ timeout: 2 }) }, async (scene) => {
    action = (await callAndAwaitAction(scene)).params;
    for (const index of [0, 1, 2]) legs.push(await legCallbacks(scene, `/status/${index}`));
  });
  if (results === undefined) return;
  results.forEach((result, index) => {
    assertSippPassed(result, 1, `SIPp callee${index} (uas-no-answer): it got our CANCEL`);
    assert.match(result.messagesLog, /\nCANCEL sip:callee\d@/);
  });
  assert.equal(action['DialCallStatus'], 'no-answer');
  assert.equal(action['DialSipResponseCode'], '487');
  assert.equal(action['DialBridged'], 'false');
  assert.ok(legs.some((leg) => leg.callSid === action['DialCallSid']), 'DialCallSid is one of the legs');
  for (const leg of legs) assert.deepEqual(leg.statuses, ['initiated', 'ringing', 'no-answer']);
});

test('parallel: the caller hangs up while all ring → every leg gets CANCEL; canceled', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(t, { callees: [RINGS_UNTIL_CANCEL, RINGS_UNTIL_CANCEL, RINGS_UNTIL_CANCEL], voice: dialEveryCallee({ timeout: 20 }) }, async (scene) => {
    const request = await callAndAwaitAction(scene, async (placed) => {
      // Each leg's second callback is its ringing one.
      for (const index of [0, 1, 2]) await scene.app.waitFor(`/status/${index}`, 2);
      await placed.call.bye();
    });
    action = request.params;
    for (const index of [0, 1, 2]) legs.push(await legCallbacks(scene, `/status/${index}`));
  });
  if (results === undefined) return;
  results.forEach((result, index) => assertSippPassed(result, 1, `SIPp callee${index} (uas-ring-then-487-on-cancel)`));
  // INTERFACE.md: "the caller hanging up … while ringing → canceled"; the action is still requested.
  assert.equal(action['DialCallStatus'], 'canceled');
  assert.equal(action['DialBridged'], 'false');
  for (const leg of legs) assert.deepEqual(leg.statuses, ['initiated', 'ringing', 'canceled']);
});
