/**
 * <Dial record> over the DialRecording port (issue 6): when each mode starts (ringing vs answer), mono
 * vs dual, the recordingStatusCallback events and their parameters, and RecordingUrl, RecordingSid and
 * RecordingDuration on the completed status callback and on the action request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialActionParameters, type DialResult } from '../../../../src/call/dial/index.js';
import type { FakeClock } from '../../../support/fake-clock.js';
import { accountSid, dialOf, parentSid, recordingFake, runHarness, start } from './dial-fakes.js';
import { formatRfc2822 } from '../../../../src/kernel/index.js';

function recorded(record: string, extra = ''): string {
  return `<Response><Dial action="/after_dial" record="${record}" recordingStatusCallback="/recording" recordingStatusCallbackEvent="in-progress completed absent" ${extra}>
    <Sip statusCallback="/events">sip:kate@example.com</Sip>
  </Dial></Response>`;
}

/** A harness whose recording fake reads the harness's own FakeClock. */
function recordedRun(xml: string, options: { seconds?: number; fails?: boolean } = {}) {
  let clock: FakeClock | undefined;
  const fake = recordingFake({ now: () => clock?.now() ?? start }, options);
  const run = runHarness(dialOf(xml, 'twiml'), { recording: fake.recording });
  clock = run.clock;
  return { run, sessions: fake.sessions };
}

function resultOf(outcome: unknown): DialResult {
  const request = outcome as { kind: string; result: DialResult };
  assert.equal(request.kind, 'request');
  return request.result;
}

describe('<Dial record>: each mode', () => {
  for (const [record, startsAt, channels] of [
    ['record-from-answer', 'answer', 'mono'],
    ['record-from-ringing', 'ringing', 'mono'],
    ['record-from-answer-dual', 'answer', 'dual'],
    ['record-from-ringing-dual', 'ringing', 'dual'],
  ] as const) {
    it(`${record}: starts at ${startsAt}, ${channels}; callbacks in-progress then completed; RecordingUrl/Sid/Duration on the completed callback and the action`, async () => {
      const { run, sessions } = recordedRun(recorded(record));
      await run.settle();
      assert.equal(sessions.length, 0);
      run.clock.advance(2000);
      run.dialer.leg.ring();
      await run.settle();
      assert.equal(sessions.length, startsAt === 'ringing' ? 1 : 0);
      run.clock.advance(3000);
      run.dialer.leg.answer();
      await run.settle();
      assert.equal(sessions.length, 1);
      const session = sessions[0]!;
      const startedAt = start + (startsAt === 'ringing' ? 2000 : 5000);
      assert.equal(session.startedAt, startedAt);
      assert.deepEqual(session.request, { accountSid, callSid: parentSid, channels, trimSilence: false, track: 'both' });
      assert.equal(session.caller, run.leg);
      // record-from-ringing starts without a callee, who joins at the answer; record-from-answer starts with it.
      assert.deepEqual(session.callees, [run.dialer.leg]);
      run.clock.advance(60_000);
      run.dialer.leg.ended();
      await run.running;
      const durationSeconds = startsAt === 'ringing' ? 63 : 60;
      assert.equal(session.stoppedAt, start + 65_000);

      const recordingSid = 'RE00000000000000000000000000000001';
      const recordingUrl = `http://dialtone.test/Recordings/${recordingSid}`;
      const result = resultOf(run.outcome());
      assert.deepEqual(result.recording, { recordingSid, recordingUrl, durationSeconds });
      const action = dialActionParameters(result);
      assert.deepEqual([action['RecordingUrl'], action['RecordingSid'], action['RecordingDuration']], [recordingUrl, recordingSid, String(durationSeconds)]);

      const recordingCallbacks = run.callbacks.filter((callback) => callback.url === 'http://app.test/recording');
      const common = {
        AccountSid: accountSid,
        CallSid: parentSid,
        RecordingSid: recordingSid,
        RecordingUrl: recordingUrl,
        RecordingChannels: channels === 'dual' ? '2' : '1',
        RecordingStartTime: formatRfc2822(startedAt),
        RecordingSource: 'DialVerb',
        RecordingTrack: 'both',
      };
      assert.deepEqual(recordingCallbacks, [
        { callSid: parentSid, recordingSid, sequenceNumber: 0, accountSid, url: 'http://app.test/recording', method: 'POST', params: { ...common, RecordingStatus: 'in-progress' } },
        {
          callSid: parentSid,
          recordingSid,
          sequenceNumber: 1,
          accountSid,
          url: 'http://app.test/recording',
          method: 'POST',
          params: { ...common, RecordingStatus: 'completed', RecordingDuration: String(durationSeconds) },
        },
      ]);
      // Seed 004: "RecordingUrl … RecordingSid … RecordingDuration … only present in the completed event".
      const legCallbacks = run.callbacks.filter((callback) => callback.url === 'http://app.test/events');
      assert.equal(legCallbacks.length, 1);
      assert.deepEqual(
        [legCallbacks[0]?.params['CallStatus'], legCallbacks[0]?.params['RecordingUrl'], legCallbacks[0]?.params['RecordingSid'], legCallbacks[0]?.params['RecordingDuration']],
        ['completed', recordingUrl, recordingSid, String(durationSeconds)],
      );
      assert.deepEqual(run.notifications, []);
      assert.equal(run.clock.pending(), 0);
    });
  }

  it('record-from-answer and no answer: nothing is recorded, no recording callback, no Recording parameters', async () => {
    const { run, sessions } = recordedRun(recorded('record-from-answer'));
    await run.settle();
    run.dialer.leg.ring();
    run.dialer.leg.fail(486);
    await run.running;
    assert.equal(sessions.length, 0);
    const result = resultOf(run.outcome());
    assert.equal(result.recording, undefined);
    assert.equal(dialActionParameters(result)['RecordingSid'], undefined);
    assert.deepEqual(run.callbacks.filter((callback) => callback.url === 'http://app.test/recording'), []);
  });

  it('record-from-ringing and no answer: the ringing is recorded until the Dial ends, and the action has it', async () => {
    const { run, sessions } = recordedRun(recorded('record-from-ringing'));
    await run.settle();
    run.dialer.leg.ring();
    run.clock.advance(8000);
    run.dialer.leg.fail(486);
    await run.running;
    assert.deepEqual(sessions[0]?.callees, []);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.recording?.durationSeconds], ['busy', 8]);
  });

  it('a recording that kept nothing is "absent"; trim and recordingTrack go to the port; events not subscribed are not sent', async () => {
    const { run, sessions } = recordedRun(
      `<Response><Dial action="/after_dial" record="record-from-answer-dual" trim="trim-silence" recordingTrack="inbound" recordingStatusCallback="/recording" recordingStatusCallbackEvent="absent" recordingStatusCallbackMethod="GET">
        <Sip>sip:kate@example.com</Sip></Dial></Response>`,
      { seconds: 0 },
    );
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(sessions[0]?.request, { accountSid, callSid: parentSid, channels: 'dual', trimSilence: true, track: 'inbound' });
    run.dialer.leg.ended();
    await run.running;
    assert.deepEqual(
      run.callbacks.map((callback) => [callback.method, callback.params['RecordingStatus'], callback.params['RecordingDuration'], callback.params['RecordingTrack']]),
      [['GET', 'absent', '0', 'inbound']],
    );
  });

  it('a recording that cannot start: a 90250 notification, and the call is connected unrecorded', async () => {
    const { run } = recordedRun(recorded('record-from-answer'), { fails: true });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged']);
    run.dialer.leg.ended();
    await run.running;
    assert.deepEqual(run.notifications.map((notification) => notification.errorCode), [90250]);
    assert.equal(resultOf(run.outcome()).recording, undefined);
  });

  it('sequential with record-from-ringing: one recording across the attempts, the winner joins it', async () => {
    const { run, sessions } = recordedRun(
      '<Response><Dial sequential="true" record="record-from-ringing" action="/after_dial"><Sip>sip:alice@example.com</Sip><Sip>sip:bob@example.com</Sip></Dial></Response>',
    );
    await run.settle();
    run.dialer.legs[0]!.ring();
    run.dialer.legs[0]!.fail(486);
    await run.settle();
    run.dialer.legs[1]!.ring();
    run.dialer.legs[1]!.answer();
    await run.settle();
    assert.equal(sessions.length, 1);
    assert.deepEqual(sessions[0]?.callees, [run.dialer.legs[1]]);
    run.dialer.legs[1]!.ended();
    await run.running;
    assert.equal(resultOf(run.outcome()).recording?.recordingSid, 'RE00000000000000000000000000000001');
  });
});
