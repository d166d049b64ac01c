import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderSrvRecords } from '../../../../src/sip/locate/order-srv-records.js';
import { seededRandom, srv } from './fake-resolver.js';

describe('orderSrvRecords (RFC 2782)', () => {
  it('puts lower priorities first whatever the weights', () => {
    const records = [srv(20, 100, 1, 'c'), srv(10, 0, 1, 'b'), srv(30, 5, 1, 'd'), srv(5, 1, 1, 'a')];
    assert.deepEqual(
      orderSrvRecords(records, seededRandom(1)).map((record) => record.name),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('chooses first within a priority in proportion to weight (seeded, 10 000 draws)', () => {
    const records = [srv(10, 60, 1, 'heavy'), srv(10, 30, 1, 'medium'), srv(10, 10, 1, 'light')];
    const random = seededRandom(42);
    const firsts = new Map<string, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const name = orderSrvRecords(records, random)[0]?.name ?? '';
      firsts.set(name, (firsts.get(name) ?? 0) + 1);
    }
    // Expected shares 60/30/10 of 100 (the "0" draw adds 1/101 to the first record: negligible).
    for (const [name, share] of [
      ['heavy', 0.6],
      ['medium', 0.3],
      ['light', 0.1],
    ] as const) {
      const observed = (firsts.get(name) ?? 0) / draws;
      assert.ok(Math.abs(observed - share) < 0.02, `${name}: ${observed} vs ${share}`);
    }
  });

  it('is deterministic for a given seed and always a permutation', () => {
    const records = [srv(0, 1, 1, 'a'), srv(0, 2, 1, 'b'), srv(0, 3, 1, 'c'), srv(1, 0, 1, 'd'), srv(1, 0, 1, 'e')];
    const once = orderSrvRecords(records, seededRandom(7)).map((record) => record.name);
    const again = orderSrvRecords(records, seededRandom(7)).map((record) => record.name);
    assert.deepEqual(once, again);
    assert.deepEqual([...once].sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(once.slice(3), ['d', 'e'], 'all-zero weights keep their order');
  });

  it('gives a weight-0 record a chance only at the draw of 0, as RFC 2782 places it first', () => {
    const records = [srv(0, 10, 1, 'weighted'), srv(0, 0, 1, 'zero')];
    assert.equal(orderSrvRecords(records, () => 0)[0]?.name, 'zero');
    assert.equal(orderSrvRecords(records, () => 0.5)[0]?.name, 'weighted');
    assert.equal(orderSrvRecords(records, () => 0.999999)[0]?.name, 'weighted');
  });

  it('handles an empty list', () => {
    assert.deepEqual(orderSrvRecords([], seededRandom(1)), []);
  });
});
