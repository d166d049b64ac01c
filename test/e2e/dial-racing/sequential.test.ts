/**
 * Sequential <Dial> end to end (issue 6: "one after another, each for `timeout`, in document order,
 * until one answers; busy, decline, failure and no answer all move on; the action request reports the
 * last attempt"). Three SIPp callees: the first is busy (486), the second rings past the Dial's
 * timeout (our CANCEL, 487), the third answers. Each must get its INVITE only once the one before it
 * has ended, which the SIPp logs (each message stamped to the microsecond) show.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertSippPassed, scenario } from '../../support/sipp.js';
import { callAndAwaitAction, dialEveryCallee, invitedCallSid, legCallbacks, playScene, racingScenario, sippLadder, type LegCallbacks } from './racing-scene.js';

/**
 * uas-no-answer with its 487 sent 300 ms after the 200 to our CANCEL. SIPp answers both at once
 * otherwise, and a dialler that moved on at the CANCEL could not be told from one that waits for the
 * 487 but by comparing two SIPp processes' log stamps to the microsecond, which a preempted SIPp
 * (stamping its log after the send) once made fail on a loaded machine.
 */
function noAnswerWithSlow487(dir: string): string {
  const shared = readFileSync(scenario('uas-no-answer'), 'utf8');
  const at = shared.indexOf('<send retrans="500">');
  if (at < 0 || !shared.slice(at, at + 200).includes('487 Request Terminated')) throw new Error('uas-no-answer.xml: its 487 send is not where this test delays it');
  const file = join(dir, 'uas-no-answer-slow-487.xml');
  writeFileSync(file, `${shared.slice(0, at)}<pause milliseconds="300"/>\n\n  ${shared.slice(at)}`);
  return file;
}

test('sequential: busy → no answer (timeout) → answer; each INVITE after the previous attempt ended, the action reports the last', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-sequential-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  const results = await playScene(
    t,
    {
      callees: [
        { scenario: scenario('uas-busy-486') },
        { scenario: noAnswerWithSlow487(dir) },
        { scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: 'third' } },
      ],
      // 2 s of ringing: the second callee's no answer is our ring timeout.
      voice: dialEveryCallee({ timeout: 2, sequential: true }),
    },
    async (scene) => {
      action = (await callAndAwaitAction(scene)).params;
      for (const index of [0, 1, 2]) legs.push(await legCallbacks(scene, `/status/${index}`));
    },
  );
  if (results === undefined) return;
  assertSippPassed(results[0]!, 1, 'SIPp callee0 (uas-busy-486)');
  assertSippPassed(results[1]!, 1, 'SIPp callee1 (uas-no-answer): it got our CANCEL');
  assertSippPassed(results[2]!, 1, 'SIPp callee2 (uas-ring-then-answer-wait-bye)');

  // Each attempt's INVITE came only after the attempt before it had its final response (for the
  // second callee, 300 ms after our CANCEL).
  const ladders = results.map(sippLadder);
  for (const index of [1, 2]) {
    const previousFinal = ladders[index - 1]!.find((message) => message.direction === 'sent' && /^SIP\/2\.0 [3-6]\d\d /.test(message.startLine));
    const invite = ladders[index]!.find((message) => message.direction === 'received' && message.startLine.startsWith('INVITE '));
    assert.ok(previousFinal !== undefined && invite !== undefined, `callee${index - 1} ended with a final response and callee${index} was INVITEd`);
    assert.ok(invite.at > previousFinal.at, `callee${index}'s INVITE came after callee${index - 1}'s ${previousFinal.startLine}`);
  }
  assert.match(results[1]!.messagesLog, /\nCANCEL sip:callee1@/);

  // The action reports the last attempt: the third callee's answered, bridged leg.
  assert.equal(action['DialCallStatus'], 'completed');
  assert.equal(action['DialSipResponseCode'], '200');
  assert.equal(action['DialBridged'], 'true');
  assert.equal(action['DialSipHeader_X-Callee'], 'third');
  assert.equal(action['DialCallSid'], invitedCallSid(results[2]!));

  // Each noun's own leg and callbacks, in document order.
  legs.forEach((leg, index) => assert.equal(leg.callSid, invitedCallSid(results[index]!), `noun ${index}'s callbacks are for the leg callee${index} was INVITEd as`));
  assert.deepEqual(legs[0]!.statuses, ['initiated', 'busy']);
  assert.equal(legs[0]!.last.params['SipResponseCode'], '486');
  assert.deepEqual(legs[1]!.statuses, ['initiated', 'ringing', 'no-answer']);
  assert.equal(legs[1]!.last.params['SipResponseCode'], '487');
  assert.deepEqual(legs[2]!.statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
  assert.equal(legs[2]!.last.params['SipResponseCode'], '200');
});

test('sequential: the caller hangs up while the second rings → CANCEL, canceled, the third is never called', { timeout: 120_000 }, async (t) => {
  let action: Record<string, string> = {};
  const legs: LegCallbacks[] = [];
  let thirdCallbacks = -1;
  const results = await playScene(
    t,
    {
      callees: [
        { scenario: scenario('uas-busy-486') },
        { scenario: scenario('uas-ring-then-487-on-cancel') },
        { scenario: racingScenario('uas-ring-then-answer-wait-bye'), keys: { callee: 'third' }, idle: true },
      ],
      // A ring timeout far past the test: only the caller's hang-up ends the second attempt.
      voice: dialEveryCallee({ timeout: 60, sequential: true }),
    },
    async (scene) => {
      const request = await callAndAwaitAction(scene, async (placed) => {
        await scene.app.waitFor('/status/1', 2); // the second leg's ringing callback
        await placed.call.bye();
      });
      action = request.params;
      for (const index of [0, 1]) legs.push(await legCallbacks(scene, `/status/${index}`));
      thirdCallbacks = scene.app.requestsTo('/status/2').length;
    },
  );
  if (results === undefined) return;
  assertSippPassed(results[0]!, 1, 'SIPp callee0 (uas-busy-486)');
  assertSippPassed(results[1]!, 1, 'SIPp callee1 (uas-ring-then-487-on-cancel): it got our CANCEL');
  assert.doesNotMatch(results[2]!.messagesLog, /INVITE sip:/, 'the sequence stopped: callee2 got no INVITE');
  assert.equal(thirdCallbacks, 0, 'no leg was started for the third noun');
  assert.equal(action['DialCallStatus'], 'canceled');
  assert.equal(action['DialCallSid'], invitedCallSid(results[1]!));
  assert.deepEqual(legs[1]!.statuses, ['initiated', 'ringing', 'canceled']);
});
