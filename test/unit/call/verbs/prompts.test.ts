import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executePause, executePlay, executeSay, Interruption, maxLoops, type VerbOutcome } from '../../../../src/call/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeLeg, settle } from '../fake-leg.js';

function setup(playMs = 1000) {
  const clock = new FakeClock();
  const leg = new FakeLeg({ clock, playMs });
  const controller = new AbortController();
  return { clock, leg, controller, context: { leg, clock } };
}

function track(promise: Promise<VerbOutcome>) {
  let outcome: VerbOutcome | undefined;
  void promise.then((result) => (outcome = result));
  return () => outcome;
}

describe('<Say>', () => {
  it('answers, then speaks the text `loop` times with its voice and language', async () => {
    const { clock, leg, controller, context } = setup();
    const running = executeSay({ verb: 'say', text: 'Hello', voice: 'alice', language: 'en-GB', loop: 2 }, context, controller.signal);
    await settle();
    clock.advance(1000);
    await settle();
    clock.advance(1000);
    assert.deepEqual(await running, { kind: 'next' });
    assert.deepEqual(leg.kinds(), ['answer', 'play:say', 'play:say']);
    assert.deepEqual(leg.events[1], {
      kind: 'play',
      source: { kind: 'say', text: 'Hello', voice: 'alice', language: 'en-GB' },
      outcome: 'finished',
    });
  });

  it('loop="0" repeats until the hang-up stops it, and is bounded', async () => {
    const { clock, leg, controller, context } = setup();
    const running = executeSay({ verb: 'say', text: 'Hold on', loop: 0 }, context, controller.signal);
    for (let round = 0; round < 3; round++) {
      await settle();
      clock.advance(1000);
    }
    await settle();
    controller.abort(new Interruption('hangup'));
    assert.deepEqual(await running, { kind: 'interrupted' });
    assert.equal(leg.kinds().filter((kind) => kind === 'play:say').length, 4);
    assert.equal(maxLoops, 1000);
  });

  it('an empty text says nothing and goes on', async () => {
    const { leg, controller, context } = setup();
    assert.deepEqual(await executeSay({ verb: 'say', text: '', loop: 1 }, context, controller.signal), { kind: 'next' });
    assert.deepEqual(leg.kinds(), ['answer']);
  });
});

describe('<Play>', () => {
  it('plays the URL `loop` times', async () => {
    const { leg, controller, context } = setup(0);
    const outcome = await executePlay({ verb: 'play', url: 'http://app.test/a.wav', loop: 3 }, context, controller.signal);
    assert.deepEqual(outcome, { kind: 'next' });
    assert.deepEqual(leg.kinds(), ['answer', 'play:url', 'play:url', 'play:url']);
  });

  it('digits are sent as DTMF', async () => {
    const { leg, controller, context } = setup(0);
    await executePlay({ verb: 'play', digits: 'ww1234#', loop: 1 }, context, controller.signal);
    assert.deepEqual(leg.events[1], { kind: 'play', source: { kind: 'digits', digits: 'ww1234#' }, outcome: 'finished' });
  });

  it('an abort mid-file stops it and nothing more plays', async () => {
    const { leg, controller, context } = setup();
    const running = executePlay({ verb: 'play', url: 'http://app.test/a.wav', loop: 5 }, context, controller.signal);
    await settle();
    controller.abort(new Interruption('redirect'));
    assert.deepEqual(await running, { kind: 'interrupted' });
    assert.deepEqual(leg.kinds(), ['answer', 'play:url']);
  });
});

describe('<Pause>', () => {
  it('waits `length` seconds on the clock without answering (first verb: a delayed pickup)', async () => {
    const { clock, leg, controller, context } = setup();
    const outcome = track(executePause({ verb: 'pause', length: 3 }, context, controller.signal));
    await settle();
    assert.deepEqual(leg.kinds(), []);
    clock.advance(2999);
    await settle();
    assert.equal(outcome(), undefined);
    clock.advance(1);
    await settle();
    assert.deepEqual(outcome(), { kind: 'next' });
  });

  it('is cut short by the signal and leaves no timer behind', async () => {
    const { clock, controller, context } = setup();
    const running = executePause({ verb: 'pause', length: 30 }, context, controller.signal);
    await settle();
    controller.abort(new Interruption('hangup'));
    assert.deepEqual(await running, { kind: 'interrupted' });
    assert.equal(clock.pending(), 0);
  });
});
