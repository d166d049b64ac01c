import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SipRequest, Via } from '../../../../src/sip/message/types.js';
import {
  fillTopVia,
  responseRoute,
  stampReceivedVia,
  viaAliasEndpoint,
  viaSourceEndpoint,
} from '../../../../src/sip/transport/via-processing.js';

function via(host: string, port: number | undefined, params: Array<[string, string | null]>, transport = 'UDP'): Via {
  const value: Via = { protocol: 'SIP/2.0', transport, host, params: new Map(params) };
  if (port !== undefined) value.port = port;
  return value;
}

function request(top: Via): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: { scheme: 'sip', host: 'example.com', params: new Map(), headers: [] },
    via: [top, via('192.0.2.9', 5060, [['branch', 'z9hG4bKlower']])],
    from: { uri: { scheme: 'sip', user: 'alice', host: 'example.com', params: new Map(), headers: [] }, params: new Map([['tag', 'a1']]) },
    to: { uri: { scheme: 'sip', user: 'bob', host: 'example.com', params: new Map(), headers: [] }, params: new Map() },
    callId: 'call-1',
    cseq: { seq: 7, method: 'OPTIONS' },
    headers: [],
    body: Buffer.alloc(0),
  };
}

describe('fillTopVia (RFC 3261 §18.1.1, RFC 3581 §3)', () => {
  it('writes transport and sent-by, keeps branch and other params, asks for rport, drops a stale received', () => {
    const message = request(via('placeholder.invalid', undefined, [['branch', 'z9hG4bK1'], ['received', '10.0.0.1'], ['x', 'y']]));
    fillTopVia(message, 'tcp', '::1', 5070);
    const top = message.via[0]!;
    assert.equal(top.transport, 'TCP');
    assert.equal(top.host, '::1');
    assert.equal(top.port, 5070);
    assert.equal(top.params.get('branch'), 'z9hG4bK1');
    assert.equal(top.params.get('x'), 'y');
    assert.ok(top.params.has('rport'));
    assert.equal(top.params.get('rport'), null);
    assert.ok(!top.params.has('received'));
    assert.equal(message.via[1]!.host, '192.0.2.9', 'lower Vias are untouched');
  });
});

describe('stampReceivedVia (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  const source = { protocol: 'udp' as const, address: '203.0.113.5', port: 40000 };

  it('adds received when sent-by differs from the source address', () => {
    const top = via('192.0.2.1', 5060, [['branch', 'z9hG4bK1']]);
    stampReceivedVia(top, source);
    assert.equal(top.params.get('received'), '203.0.113.5');
    assert.ok(!top.params.has('rport'));
  });

  it('adds received when sent-by is a host name', () => {
    const top = via('pc33.atlanta.com', undefined, [['branch', 'z9hG4bK1']]);
    stampReceivedVia(top, source);
    assert.equal(top.params.get('received'), '203.0.113.5');
  });

  it('adds nothing when sent-by is the source address and rport was not asked for', () => {
    const top = via('203.0.113.5', 5060, [['branch', 'z9hG4bK1']]);
    stampReceivedVia(top, source);
    assert.ok(!top.params.has('received'));
  });

  it('fills an empty rport and then always adds received, even when identical', () => {
    const top = via('203.0.113.5', 5060, [['branch', 'z9hG4bK1'], ['rport', null]]);
    stampReceivedVia(top, source);
    assert.equal(top.params.get('rport'), '40000');
    assert.equal(top.params.get('received'), '203.0.113.5');
  });

  it('compares IPv6 addresses in canonical form', () => {
    const top = via('0:0:0:0:0:0:0:1', 5060, [['branch', 'z9hG4bK1']]);
    stampReceivedVia(top, { protocol: 'udp', address: '::1', port: 5060 });
    assert.ok(!top.params.has('received'));
  });

  it('leaves an rport that already has a value alone', () => {
    const top = via('192.0.2.1', 5060, [['rport', '1234']]);
    stampReceivedVia(top, source);
    assert.equal(top.params.get('rport'), '1234');
  });
});

describe('responseRoute (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const cases: Array<{ name: string; via: Via; expected: { protocol: string; address: string; port: number } }> = [
    {
      name: 'UDP with received and rport goes to received:rport',
      via: via('192.0.2.1', 5062, [['received', '203.0.113.5'], ['rport', '40000']]),
      expected: { protocol: 'udp', address: '203.0.113.5', port: 40000 },
    },
    {
      name: 'UDP with received only goes to received:sent-by port',
      via: via('192.0.2.1', 5062, [['received', '203.0.113.5']]),
      expected: { protocol: 'udp', address: '203.0.113.5', port: 5062 },
    },
    {
      name: 'UDP with received only and no port goes to 5060',
      via: via('host.example', undefined, [['received', '203.0.113.5']]),
      expected: { protocol: 'udp', address: '203.0.113.5', port: 5060 },
    },
    {
      name: 'maddr wins over received and rport',
      via: via('192.0.2.1', 5062, [['maddr', '239.1.1.1'], ['received', '203.0.113.5'], ['rport', '40000']]),
      expected: { protocol: 'udp', address: '239.1.1.1', port: 5062 },
    },
    {
      name: 'no receiver tag goes to sent-by',
      via: via('::1', 5070, []),
      expected: { protocol: 'udp', address: '::1', port: 5070 },
    },
    {
      name: 'TCP with received goes to received:sent-by port, not rport',
      via: via('192.0.2.1', 5062, [['received', '203.0.113.5'], ['rport', '40000']], 'TCP'),
      expected: { protocol: 'tcp', address: '203.0.113.5', port: 5062 },
    },
    {
      name: 'TLS without a port uses 5061',
      via: via('192.0.2.1', undefined, [], 'TLS'),
      expected: { protocol: 'tls', address: '192.0.2.1', port: 5061 },
    },
  ];
  for (const entry of cases) {
    it(entry.name, () => {
      assert.deepEqual(responseRoute(entry.via), { kind: 'send', destination: entry.expected });
    });
  }

  it('reports a bare host name and an unknown transport as unroutable', () => {
    assert.equal(responseRoute(via('pc33.atlanta.com', 5060, [])).kind, 'unroutable');
    assert.equal(responseRoute(via('192.0.2.1', 5060, [], 'SCTP')).kind, 'unroutable');
  });
});

describe('viaSourceEndpoint and viaAliasEndpoint', () => {
  it('finds the source connection from received and rport', () => {
    assert.deepEqual(viaSourceEndpoint(via('192.0.2.1', 5060, [['received', '203.0.113.5'], ['rport', '40000']], 'TCP')), {
      protocol: 'tcp',
      address: '203.0.113.5',
      port: 40000,
    });
    assert.equal(viaSourceEndpoint(via('192.0.2.1', 5060, [['rport', null]], 'TCP')), undefined);
  });

  it('aliases the source address with the sent-by port only when the Via carries alias (RFC 5923 §5)', () => {
    const source = { protocol: 'tcp' as const, address: '203.0.113.5', port: 40000 };
    assert.deepEqual(viaAliasEndpoint(via('192.0.2.1', 5070, [['alias', null]], 'TCP'), source), {
      protocol: 'tcp',
      address: '203.0.113.5',
      port: 5070,
    });
    assert.equal(viaAliasEndpoint(via('192.0.2.1', 5070, [], 'TCP'), source), undefined);
  });
});
