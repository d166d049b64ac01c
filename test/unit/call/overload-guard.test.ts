import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OverloadGuard, type OverloadLimits } from '../../../src/call/index.js';
import { FakeClock } from '../../support/fake-clock.js';

const off: OverloadLimits = { maxCalls: 0, callsPerSecond: 0, maxEventLoopLagMs: 0, retryAfterSeconds: 5 };

test('with every limit off, every call is admitted', () => {
  const guard = new OverloadGuard({ limits: off, clock: new FakeClock(), activeCalls: () => 1_000_000, lag: { lagMs: () => 10_000 } });
  for (let i = 0; i < 1000; i++) assert.deepEqual(guard.admit(), { admitted: true });
});

test('maxCalls: refused with Retry-After while the live calls are at the cap, admitted again once one ends', () => {
  let active = 0;
  const guard = new OverloadGuard({ limits: { ...off, maxCalls: 2, retryAfterSeconds: 7 }, clock: new FakeClock(), activeCalls: () => active });
  assert.equal(guard.admit().admitted, true);
  active = 2;
  assert.deepEqual(guard.admit(), { admitted: false, reason: 'max-calls', retryAfterSeconds: 7 });
  active = 1;
  assert.equal(guard.admit().admitted, true);
  assert.equal(guard.refusals().get('max-calls'), 1);
});

test('callsPerSecond: a burst of one second\'s worth passes, the rest of a flood is cut to the rate as time goes on', () => {
  const clock = new FakeClock();
  const guard = new OverloadGuard({ limits: { ...off, callsPerSecond: 10 }, clock, activeCalls: () => 0 });
  const admittedIn = (count: number): number => Array.from({ length: count }, () => guard.admit()).filter((decision) => decision.admitted).length;
  assert.equal(admittedIn(50), 10, 'the bucket holds one second of calls');
  clock.advance(100);
  assert.equal(admittedIn(50), 1, '100 ms refill one token at 10/s');
  // A sustained flood of 100 attempts per second for 5 s: 10 per second get through.
  let admitted = 0;
  for (let tick = 0; tick < 500; tick++) {
    clock.advance(10);
    admitted += admittedIn(1);
  }
  assert.equal(admitted, 50);
  assert.ok((guard.refusals().get('calls-per-second') ?? 0) > 400);
});

test('maxEventLoopLagMs: refused while the loop runs later than the limit, admitted when it recovers', () => {
  let lag = 0;
  const guard = new OverloadGuard({ limits: { ...off, maxEventLoopLagMs: 250 }, clock: new FakeClock(), activeCalls: () => 0, lag: { lagMs: () => lag } });
  assert.equal(guard.admit().admitted, true);
  lag = 400;
  assert.deepEqual(guard.admit(), { admitted: false, reason: 'event-loop-lag', retryAfterSeconds: 5 });
  lag = 250;
  assert.equal(guard.admit().admitted, true, 'at the limit is not over it');
});

test('a call refused for another reason takes no token from the rate', () => {
  let active = 5;
  const guard = new OverloadGuard({ limits: { ...off, maxCalls: 5, callsPerSecond: 1 }, clock: new FakeClock(), activeCalls: () => active });
  assert.equal(guard.admit().admitted, false);
  active = 0;
  assert.equal(guard.admit().admitted, true);
});
