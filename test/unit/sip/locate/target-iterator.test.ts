import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipTarget } from '../../../../src/sip/locate/locate.js';
import { TargetBlacklist } from '../../../../src/sip/locate/target-blacklist.js';
import { TargetIterator, failoverFor } from '../../../../src/sip/locate/target-iterator.js';
import { FakeClock } from '../../../support/fake-clock.js';

const target = (address: string, port = 5060): SipTarget => ({ protocol: 'udp', address, port, hostname: address });
const A = target('192.0.2.1');
const B = target('192.0.2.2');
const C = target('192.0.2.3');

describe('failoverFor (RFC 3263 §4.3)', () => {
  it('moves on after a timeout, a transport failure or a 503, and only then', () => {
    assert.deepEqual(failoverFor('timeout'), { kind: 'timeout' });
    assert.deepEqual(failoverFor('transport'), { kind: 'transport' });
    assert.deepEqual(failoverFor({ status: 503 }), { kind: 'unavailable' });
    assert.deepEqual(failoverFor({ status: 503, retryAfterSeconds: 30 }), { kind: 'unavailable', retryAfterSeconds: 30 });
    for (const status of [200, 404, 480, 486, 500, 502, 504, 600, 603]) {
      assert.equal(failoverFor({ status }), undefined, String(status));
    }
  });
});

describe('TargetIterator', () => {
  it('hands out targets in order, then nothing', () => {
    const iterator = new TargetIterator([A, B]);
    assert.equal(iterator.next(), A);
    assert.equal(iterator.hasNext, true);
    assert.equal(iterator.next(), B);
    assert.equal(iterator.next(), undefined);
    assert.equal(iterator.hasNext, false);
    assert.deepEqual(iterator.attempted, [A, B]);
  });

  it('tries blacklisted targets last, and a failure blacklists for the next dial', () => {
    const clock = new FakeClock();
    const blacklist = new TargetBlacklist({ clock, defaultMs: 30_000 });
    const first = new TargetIterator([A, B, C], blacklist);
    const tried = first.next();
    assert.equal(tried, A);
    first.fail(A, { kind: 'timeout' });
    assert.equal(first.next(), B);

    const second = new TargetIterator([A, B, C], blacklist);
    assert.deepEqual([second.next(), second.next(), second.next()], [B, C, A]);

    clock.advance(30_000);
    const third = new TargetIterator([A, B, C], blacklist);
    assert.equal(third.next(), A, 'the blacklist entry has expired');
  });

  it("honours a 503's Retry-After for how long the target is avoided (RFC 3261 §21.5.4)", () => {
    const clock = new FakeClock();
    const blacklist = new TargetBlacklist({ clock, defaultMs: 1_000 });
    new TargetIterator([A], blacklist).fail(A, { kind: 'unavailable', retryAfterSeconds: 120 });
    clock.advance(119_999);
    assert.equal(blacklist.has(A), true);
    clock.advance(1);
    assert.equal(blacklist.has(A), false);
  });

  it('without a blacklist, failures change nothing', () => {
    const iterator = new TargetIterator([A, B]);
    iterator.fail(A, { kind: 'transport' });
    assert.equal(iterator.next(), A);
  });
});

describe('TargetBlacklist', () => {
  it('keys on transport, address and port', () => {
    const blacklist = new TargetBlacklist({ clock: new FakeClock() });
    blacklist.add(A);
    assert.equal(blacklist.has(A), true);
    assert.equal(blacklist.has(target('192.0.2.1', 5070)), false);
    assert.equal(blacklist.has({ ...A, protocol: 'tcp' }), false);
  });

  it('never shortens an entry, forgets expired ones and stays bounded', () => {
    const clock = new FakeClock();
    const blacklist = new TargetBlacklist({ clock, defaultMs: 10_000, maxEntries: 2 });
    blacklist.add(A, 50_000);
    blacklist.add(A, 1_000);
    clock.advance(20_000);
    assert.equal(blacklist.has(A), true);
    blacklist.add(B);
    blacklist.add(C, 60_000); // over the bound: B (soonest to expire) goes
    assert.equal(blacklist.size, 2);
    assert.equal(blacklist.has(B), false);
    assert.equal(blacklist.has(C), true);
    clock.advance(30_000);
    assert.equal(blacklist.size, 1);
  });
});
