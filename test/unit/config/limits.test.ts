import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/config/index.js';
import { isDialtoneError } from '../../../src/kernel/index.js';

test('limits default: no call-count or rate cap, refusal past 250 ms of event-loop lag, Retry-After 5 s', () => {
  assert.deepEqual(resolveConfig(undefined, {}, {}).limits, { maxCalls: 0, callsPerSecond: 0, maxEventLoopLagMs: 250, retryAfterSeconds: 5 });
});

test('limits from the file, overridden by DIALTONE_LIMITS_*', () => {
  const config = resolveConfig({ limits: { maxCalls: 1500, callsPerSecond: 200 } }, { DIALTONE_LIMITS_MAX_CALLS: '900', DIALTONE_LIMITS_RETRY_AFTER_SECONDS: '30' }, {});
  assert.deepEqual(config.limits, { maxCalls: 900, callsPerSecond: 200, maxEventLoopLagMs: 250, retryAfterSeconds: 30 });
});

test('a bad limit names its key', () => {
  for (const [limits, key] of [
    [{ maxCalls: -1 }, 'limits.maxCalls'],
    [{ callsPerSecond: 'lots' }, 'limits.callsPerSecond'],
    [{ retryAfterSeconds: 1.5 }, 'limits.retryAfterSeconds'],
  ] as const) {
    assert.throws(
      () => resolveConfig({ limits }, {}, {}),
      (error: unknown) => isDialtoneError(error) && error.message.includes(key),
      key,
    );
  }
  assert.throws(() => resolveConfig({ limits: 'none' }, {}, {}), (error: unknown) => isDialtoneError(error) && error.message.includes('limits'));
});
