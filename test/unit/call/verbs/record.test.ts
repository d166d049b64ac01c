import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executeRecord, Interruption, type VerbOutcome } from '../../../../src/call/index.js';
import type { RecordVerb } from '../../../../src/markup/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeLeg, settle } from '../fake-leg.js';

function record(overrides: Partial<RecordVerb> = {}): RecordVerb {
  return {
    verb: 'record',
    method: 'POST',
    timeout: 5,
    finishOnKey: '1234567890*#',
    maxLength: 3600,
    playBeep: true,
    trim: 'trim-silence',
    recordingStatusCallbackMethod: 'POST',
    ...overrides,
  };
}

const recording = {
  recordingSid: 'RE0123456789abcdef0123456789abcdef',
  recordingUrl: 'http://dialtone.test/Recordings/RE0123456789abcdef0123456789abcdef',
  durationSeconds: 7,
};

function start(verb: RecordVerb, recordSeconds = 7) {
  const clock = new FakeClock();
  const leg = new FakeLeg({ clock, playMs: 500, recordSeconds });
  const controller = new AbortController();
  let outcome: VerbOutcome | undefined;
  const running = executeRecord(verb, { leg, clock, documentUrl: 'http://app.test/voicemail' }, controller.signal).then(
    (result) => (outcome = result),
  );
  return { clock, leg, controller, running, outcome: () => outcome };
}

async function untilRecording(run: ReturnType<typeof start>): Promise<void> {
  await settle();
  run.clock.advance(500); // the beep
  await run.leg.next((event) => event.kind === 'record');
}

describe('<Record>', () => {
  it('beeps, records until a finishOnKey key, and requests the action with the recording and the key', async () => {
    const run = start(record({ action: 'saved', timeout: 10, trim: 'do-not-trim' }));
    await untilRecording(run);
    assert.deepEqual(run.leg.kinds(), ['answer', 'play:beep', 'record']);
    assert.deepEqual(run.leg.events[2], { kind: 'record', options: { silenceTimeoutSeconds: 10, trimSilence: false } });
    run.leg.press('#');
    assert.deepEqual(await run.running, {
      kind: 'request',
      url: 'http://app.test/saved',
      method: 'POST',
      result: { verb: 'record', ...recording, endedBy: 'key', key: '#' },
      follow: true,
    });
    assert.equal(run.clock.pending(), 0);
  });

  it('a key not in finishOnKey does not stop it; silence does, and the action defaults to the document URL', async () => {
    const run = start(record({ finishOnKey: '*' }));
    await untilRecording(run);
    run.leg.press('5');
    await settle();
    assert.equal(run.outcome(), undefined);
    run.leg.silence();
    assert.deepEqual(await run.running, {
      kind: 'request',
      url: 'http://app.test/voicemail',
      method: 'POST',
      result: { verb: 'record', ...recording, endedBy: 'silence' },
      follow: true,
    });
  });

  it('maxLength ends it on the clock', async () => {
    const run = start(record({ maxLength: 20, playBeep: false }));
    await run.leg.next((event) => event.kind === 'record');
    run.clock.advance(19_999);
    await settle();
    assert.equal(run.outcome(), undefined);
    run.clock.advance(1);
    const outcome = await run.running;
    assert.deepEqual(outcome.kind === 'request' ? outcome.result : undefined, { verb: 'record', ...recording, endedBy: 'max-length' });
  });

  it('the hang-up: the action is still requested with Digits=hangup, but nothing it answers runs', async () => {
    const run = start(record());
    await untilRecording(run);
    run.controller.abort(new Interruption('hangup'));
    const outcome = await run.running;
    assert.equal(outcome.kind, 'request');
    assert.equal(outcome.kind === 'request' && outcome.follow, false);
    assert.deepEqual(outcome.kind === 'request' ? outcome.result : undefined, { verb: 'record', ...recording, endedBy: 'hangup' });
  });

  it('an empty recording requests nothing: the next verb runs', async () => {
    const run = start(record(), 0);
    await untilRecording(run);
    run.leg.silence();
    assert.deepEqual(await run.running, { kind: 'next' });
  });

  it('an outside redirect abandons the recording', async () => {
    const run = start(record());
    await untilRecording(run);
    run.controller.abort(new Interruption('redirect'));
    assert.deepEqual(await run.running, { kind: 'interrupted' });
  });
});
