// The lag the overload guard reads: sustained blocking shows, a single stall does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLoopLagSensor } from '../../../src/kernel/index.js';

/** Keeps the loop busy in `blockMs` slices, yielding to timers between them, for `forMs` in all. */
async function blockRepeatedly(blockMs: number, forMs: number): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const sliceEnd = Date.now() + blockMs;
    while (Date.now() < sliceEnd) {
      // busy
    }
    await sleep(0);
  }
}

test('a loop blocked in 150 ms slices for over two windows reads as lagging; once idle again it does not', async () => {
  const sensor = new EventLoopLagSensor(200);
  try {
    await blockRepeatedly(150, 700);
    assert.ok(sensor.lagMs() >= 100, `lag while blocked: ${sensor.lagMs()} ms`);
    await sleep(600);
    assert.ok(sensor.lagMs() < 100, `lag once idle: ${sensor.lagMs()} ms`);
  } finally {
    sensor.close();
  }
});

test('one stall of 400 ms in an otherwise idle loop does not read as sustained lag', async () => {
  const sensor = new EventLoopLagSensor(200);
  try {
    await sleep(450);
    await blockRepeatedly(400, 1);
    for (let window = 0; window < 4; window++) {
      await sleep(200);
      assert.ok(sensor.lagMs() < 100, `lag after a single stall: ${sensor.lagMs()} ms`);
    }
  } finally {
    sensor.close();
  }
});
