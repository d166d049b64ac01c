import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../support/fake-clock.js';
import { isSid, newSid } from '../../../src/kernel/index.js';

test('fake clock fires timers in due order and only when time reaches them', () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 200);
  clock.setTimeout(() => fired.push('a'), 100);
  const cancelled = clock.setTimeout(() => fired.push('never'), 150);
  clock.clearTimeout(cancelled);
  clock.advance(99);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ['a']);
  clock.advance(100);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.now(), 200);
});

test('a timer set from a firing timer fires within the same advance when due', () => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  clock.setTimeout(() => {
    fired.push(clock.now());
    clock.setTimeout(() => fired.push(clock.now()), 50);
  }, 50);
  clock.advance(100);
  assert.deepEqual(fired, [50, 100]);
});

test('sids have the Twilio shape', () => {
  const sid = newSid('CA');
  assert.ok(isSid(sid, 'CA'));
  assert.equal(sid.length, 34);
  assert.ok(!isSid(sid, 'AC'));
});

test('random tokens are hex of the asked length and do not repeat across pool refills', async () => {
  const { randomToken } = await import('../../../src/kernel/index.js');
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const token = randomToken(8);
    assert.match(token, /^[0-9a-f]{16}$/);
    seen.add(token);
  }
  assert.equal(seen.size, 2000);
  assert.match(randomToken(5000), /^[0-9a-f]{10000}$/);
});

test('SIDs and RTP integers drawn from the shared random pool do not repeat across refills and span 32 bits', async () => {
  const { randomUint32 } = await import('../../../src/kernel/index.js');
  // 2,000 SIDs (16 bytes each) and 2,000 integers cross several 4 KiB refills of the pool.
  const sids = new Set(Array.from({ length: 2000 }, () => newSid('CA')));
  assert.equal(sids.size, 2000);
  for (const sid of sids) assert.ok(isSid(sid, 'CA'));
  const values = Array.from({ length: 2000 }, () => randomUint32());
  for (const value of values) assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
  assert.ok(new Set(values).size > 1990, 'random 32-bit values almost never collide');
  assert.ok(values.some((value) => value > 0x7fffffff), 'the top bit is used');
});

test('aborting quietly aborts with the same reason every time, no DOMException built per abort', async () => {
  const { abortQuietly } = await import('../../../src/kernel/index.js');
  const first = new AbortController();
  const second = new AbortController();
  abortQuietly(first);
  abortQuietly(second);
  assert.ok(first.signal.aborted && second.signal.aborted);
  assert.ok(first.signal.reason instanceof Error);
  assert.equal(first.signal.reason, second.signal.reason);
});

test('every error code means one thing (names sharing a number are Twilio aliases listed here)', async () => {
  const { ErrorCodes } = await import('../../../src/kernel/index.js');
  // Twilio's 13250 covers both "too many nouns" and "<Sip> mixed with other nouns without enhanced SIP".
  const aliases = new Set(['dialTooManyNouns/sipTooManyNouns']);
  const byCode = new Map<number, string[]>();
  for (const [name, code] of Object.entries(ErrorCodes)) byCode.set(code, [...(byCode.get(code) ?? []), name]);
  const shared = [...byCode.values()].filter((names) => names.length > 1).map((names) => names.sort().join('/'));
  assert.deepEqual(shared.filter((pair) => !aliases.has(pair)), []);
});
