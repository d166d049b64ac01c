import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executeGather, Interruption, type VerbOutcome } from '../../../../src/call/index.js';
import type { Gather } from '../../../../src/markup/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeLeg, settle } from '../fake-leg.js';

function gather(overrides: Partial<Gather> = {}): Gather {
  return { verb: 'gather', input: ['dtmf'], finishOnKey: '#', timeout: 5, method: 'POST', children: [], ...overrides };
}

const prompt = { verb: 'say' as const, text: 'Enter your PIN', loop: 1 };

function start(verb: Gather, options: { documentUrl?: string } = {}) {
  const clock = new FakeClock();
  const leg = new FakeLeg({ clock, playMs: 3000 });
  const controller = new AbortController();
  let outcome: VerbOutcome | undefined;
  const running = executeGather(
    verb,
    { leg, clock, documentUrl: options.documentUrl ?? 'http://app.test/ivr/menu' },
    controller.signal,
  ).then((result) => {
    outcome = result;
    return result;
  });
  return { clock, leg, controller, running, outcome: () => outcome };
}

describe('<Gather> (DTMF)', () => {
  it('a key pressed during the prompts stops them, and numDigits submits at once to the current document URL', async () => {
    const run = start(gather({ numDigits: 3, children: [prompt, { verb: 'play', url: 'http://app.test/m.mp3', loop: 1 }] }));
    await settle();
    assert.deepEqual(run.leg.kinds(), ['answer', 'play:say']);
    run.leg.press('1');
    await settle();
    const first = run.leg.events[1];
    assert.equal(first?.kind === 'play' ? first.outcome : undefined, 'interrupted');
    // Twilio: the first key stops the prompts; the nested <Play> after it never starts.
    assert.deepEqual(run.leg.kinds(), ['answer', 'play:say']);
    run.leg.press('23');
    assert.deepEqual(await run.running, {
      kind: 'request',
      url: 'http://app.test/ivr/menu',
      method: 'POST',
      result: { verb: 'gather', digits: '123' },
      follow: true,
    });
    assert.equal(run.clock.pending(), 0);
    assert.equal(run.leg.listening(), 0);
  });

  it('the timeout counts from the end of the prompts; no input goes on with the next verb', async () => {
    const run = start(gather({ timeout: 5, children: [prompt] }));
    await settle();
    run.clock.advance(3000); // the prompt ends
    await settle();
    run.clock.advance(4999);
    await settle();
    assert.equal(run.outcome(), undefined, 'still waiting 1 ms before the timeout');
    run.clock.advance(1);
    assert.deepEqual(await run.running, { kind: 'next' });
  });

  it('finishOnKey submits what came before it, without the key, and says which key it was', async () => {
    const run = start(gather({ action: '../process?step=2', method: 'GET' }));
    await settle();
    run.leg.press('42#');
    assert.deepEqual(await run.running, {
      kind: 'request',
      url: 'http://app.test/process?step=2',
      method: 'GET',
      result: { verb: 'gather', digits: '42', finishedOnKey: '#' },
      follow: true,
    });
  });

  it('the timeout after some digits submits them (it is the wait for "another digit")', async () => {
    const run = start(gather({ timeout: 3 }));
    await settle();
    run.leg.press('7');
    run.clock.advance(2000);
    run.leg.press('8'); // restarts the wait
    run.clock.advance(2999);
    await settle();
    assert.equal(run.outcome(), undefined);
    run.clock.advance(1);
    const outcome = await run.running;
    assert.equal(outcome.kind, 'request');
    assert.deepEqual(outcome.kind === 'request' ? outcome.result : undefined, { verb: 'gather', digits: '78' });
  });

  it('finishOnKey="" lets # be collected like any key', async () => {
    const run = start(gather({ finishOnKey: '', numDigits: 2 }));
    await settle();
    run.leg.press('#5');
    const outcome = await run.running;
    assert.deepEqual(outcome.kind === 'request' ? outcome.result : undefined, { verb: 'gather', digits: '#5' });
  });

  it('the finish key alone is an empty result: on with the next verb', async () => {
    const run = start(gather());
    await settle();
    run.leg.press('#');
    assert.deepEqual(await run.running, { kind: 'next' });
  });

  it('a nested <Pause> is part of the prompts: the timeout starts after it', async () => {
    const run = start(gather({ timeout: 2, children: [{ verb: 'pause', length: 4 }] }));
    await settle();
    run.clock.advance(4000); // the pause ends
    await settle();
    run.clock.advance(1999);
    await settle();
    assert.equal(run.outcome(), undefined);
    run.clock.advance(1);
    assert.deepEqual(await run.running, { kind: 'next' });
  });

  it('the hang-up (the AbortSignal) stops prompts and waiting, with no action request', async () => {
    const run = start(gather({ children: [prompt] }));
    await settle();
    run.leg.press('5');
    run.controller.abort(new Interruption('hangup'));
    assert.deepEqual(await run.running, { kind: 'interrupted' });
    assert.equal(run.clock.pending(), 0);
    assert.equal(run.leg.listening(), 0);
  });

  it('markup given inline (no document URL) and no action: input cannot be sent, so the next verb runs', async () => {
    const clock = new FakeClock();
    const leg = new FakeLeg({ clock });
    const running = executeGather(gather({ numDigits: 1 }), { leg, clock }, new AbortController().signal);
    await settle();
    leg.press('9');
    assert.deepEqual(await running, { kind: 'next' });
  });
});
