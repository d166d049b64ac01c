import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPool } from '../../../../src/sip/transport/connection-pool.js';
import { canonicalAddress, endpointKey, formatEndpoint, sameEndpoint } from '../../../../src/sip/transport/endpoint.js';

describe('ConnectionPool', () => {
  it('finds a connection by id and by each of its keys, and forgets them all on removal', () => {
    const pool = new ConnectionPool<{ id: string }>();
    const a = { id: 'a' };
    pool.add(a, ['k1', 'k2']);
    pool.alias(a, 'k3');
    assert.equal(pool.get('k1'), a);
    assert.equal(pool.get('k3'), a);
    assert.equal(pool.getById('a'), a);
    assert.equal(pool.size(), 1);
    pool.remove(a);
    assert.equal(pool.get('k1'), undefined);
    assert.equal(pool.get('k3'), undefined);
    assert.equal(pool.size(), 0);
  });

  it('gives a shared key to the newest connection; removing the older one leaves it', () => {
    const pool = new ConnectionPool<{ id: string }>();
    const older = { id: 'old' };
    const newer = { id: 'new' };
    pool.add(older, ['peer']);
    pool.add(newer, ['peer']);
    assert.equal(pool.get('peer'), newer);
    pool.remove(older);
    assert.equal(pool.get('peer'), newer);
    pool.remove(newer);
    assert.equal(pool.get('peer'), undefined);
  });

  it('ignores an alias for a connection it does not hold', () => {
    const pool = new ConnectionPool<{ id: string }>();
    pool.alias({ id: 'ghost' }, 'k');
    assert.equal(pool.get('k'), undefined);
  });
});

describe('endpoint helpers', () => {
  it('spells addresses one way', () => {
    assert.equal(canonicalAddress('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('FE80::A'), 'fe80::a');
    assert.equal(canonicalAddress('Example.COM'), 'example.com');
    assert.equal(
      endpointKey({ protocol: 'tcp', address: '0:0::1', port: 5060 }),
      endpointKey({ protocol: 'tcp', address: '::1', port: 5060 }),
    );
    assert.equal(formatEndpoint({ protocol: 'udp', address: '::1', port: 5060 }), 'udp:[::1]:5060');
    assert.ok(sameEndpoint({ protocol: 'udp', address: '::ffff:127.0.0.1', port: 1 }, { protocol: 'udp', address: '127.0.0.1', port: 1 }));
    assert.ok(!sameEndpoint({ protocol: 'udp', address: '127.0.0.1', port: 1 }, { protocol: 'tcp', address: '127.0.0.1', port: 1 }));
  });
});
