import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateBranch, isRfc3261Branch, resolveTimerSettings, TimerValues } from '../../../../src/sip/transaction/index.js';

describe('RFC 3261 Table 4 timer values', () => {
  const settings = resolveTimerSettings();
  const rows: Array<[timer: keyof TimerValues, udp: number, tcp: number]> = [
    ['a', 500, 500],
    ['b', 32_000, 32_000],
    ['c', 180_000, 180_000],
    ['d', 32_000, 0],
    ['e', 500, 500],
    ['f', 32_000, 32_000],
    ['g', 500, 500],
    ['h', 32_000, 32_000],
    ['i', 5_000, 0],
    ['j', 32_000, 0],
    ['k', 5_000, 0],
    ['l', 32_000, 32_000],
    ['m', 32_000, 32_000],
  ];
  for (const [timer, udp, tcp] of rows) {
    it(`Timer ${timer.toUpperCase()}: ${udp} ms over UDP, ${tcp} ms over TCP`, () => {
      assert.equal(new TimerValues(settings, false)[timer], udp);
      assert.equal(new TimerValues(settings, true)[timer], tcp);
    });
  }

  it('derives every timer from a configured T1, T2 and T4', () => {
    const custom = resolveTimerSettings({ t1: 250, t2: 2_000, t4: 3_000, timerDUnreliable: 40_000 });
    const udp = new TimerValues(custom, false);
    assert.deepEqual([udp.a, udp.b, udp.d, udp.f, udp.h, udp.i, udp.j, udp.k], [250, 16_000, 40_000, 16_000, 16_000, 3_000, 16_000, 3_000]);
    assert.equal(custom.t2, 2_000);
  });

  it('rejects negative or non-numeric settings', () => {
    assert.throws(() => resolveTimerSettings({ t1: -1 }), RangeError);
    assert.throws(() => resolveTimerSettings({ t2: Number.NaN }), RangeError);
  });
});

describe('branch (RFC 3261 §8.1.1.7)', () => {
  it('starts with the magic cookie and is unique', () => {
    const branches = new Set(Array.from({ length: 1000 }, generateBranch));
    assert.equal(branches.size, 1000);
    for (const branch of branches) assert.ok(isRfc3261Branch(branch));
  });

  it('recognises RFC 2543 branches', () => {
    assert.equal(isRfc3261Branch('z9hG4bK'), false);
    assert.equal(isRfc3261Branch('1234'), false);
    assert.equal(isRfc3261Branch(null), false);
    assert.equal(isRfc3261Branch(undefined), false);
    assert.equal(isRfc3261Branch('z9hG4bKx'), true);
  });
});
