import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { describe, it } from 'node:test';
import { DialtoneError, ErrorCodes } from '../../../../src/kernel/index.js';
import { type LocateRequest, type SipTarget, locate, locateRequestFor } from '../../../../src/sip/locate/locate.js';
import { type Resolver, createSystemResolver, isNotFoundError } from '../../../../src/sip/locate/resolver.js';
import { FakeResolver, naptr, srv } from './fake-resolver.js';

function brief(targets: readonly SipTarget[]): string[] {
  return targets.map((t) => `${t.protocol} ${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port} ${t.hostname}`);
}

async function rejection(promise: Promise<unknown>): Promise<DialtoneError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DialtoneError);
    assert.equal(error.code, ErrorCodes.sipLocateFailed);
    return error;
  }
  assert.fail('expected locate to fail');
}

const sip = (host: string, extra: Partial<LocateRequest> = {}): LocateRequest => ({ scheme: 'sip', host, ...extra });

describe('locate: numeric addresses (RFC 3263 §4.1, §4.2)', () => {
  it('uses an IPv4 address directly, UDP and 5060 by default, with no DNS query', async () => {
    const resolver = new FakeResolver({});
    assert.deepEqual(brief(await locate(sip('192.0.2.1'), resolver)), ['udp 192.0.2.1:5060 192.0.2.1']);
    assert.deepEqual(resolver.queries, []);
  });

  it('uses TLS and 5061 for a sips URI, and the port and transport given', async () => {
    const resolver = new FakeResolver({});
    assert.deepEqual(brief(await locate({ scheme: 'sips', host: '192.0.2.1' }, resolver)), ['tls 192.0.2.1:5061 192.0.2.1']);
    assert.deepEqual(brief(await locate(sip('192.0.2.1', { port: 5070, transport: 'TCP' }), resolver)), [
      'tcp 192.0.2.1:5070 192.0.2.1',
    ]);
    assert.deepEqual(resolver.queries, []);
  });

  it('accepts IPv6 literals with or without brackets', async () => {
    const resolver = new FakeResolver({});
    assert.deepEqual(brief(await locate(sip('[2001:db8::1]'), resolver)), ['udp [2001:db8::1]:5060 2001:db8::1']);
    assert.deepEqual(brief(await locate(sip('::1', { port: 5080, transport: 'tcp' }), resolver)), ['tcp [::1]:5080 ::1']);
    assert.deepEqual(resolver.queries, []);
  });
});

describe('locate: explicit port (RFC 3263 §4.2)', () => {
  it('looks up A and AAAA only, UDP for sip', async () => {
    const resolver = new FakeResolver({ a: { 'pbx.example.com': ['192.0.2.7'] }, aaaa: { 'pbx.example.com': ['2001:db8::7'] } });
    assert.deepEqual(brief(await locate(sip('pbx.example.com', { port: 5080 }), resolver)), [
      'udp 192.0.2.7:5080 pbx.example.com',
      'udp [2001:db8::7]:5080 pbx.example.com',
    ]);
    assert.deepEqual(resolver.queries.sort(), ['A pbx.example.com', 'AAAA pbx.example.com']);
  });

  it('honours the address family order, and TLS for sips', async () => {
    const resolver = new FakeResolver({ a: { 'pbx.example.com': ['192.0.2.7'] }, aaaa: { 'pbx.example.com': ['2001:db8::7'] } });
    const targets = await locate({ scheme: 'sips', host: 'pbx.example.com', port: 5071 }, resolver, { families: [6, 4] });
    assert.deepEqual(brief(targets), ['tls [2001:db8::7]:5071 pbx.example.com', 'tls 192.0.2.7:5071 pbx.example.com']);
  });

  it('with a transport too, still A/AAAA only', async () => {
    const resolver = new FakeResolver({ a: { 'pbx.example.com': ['192.0.2.7'] } });
    assert.deepEqual(brief(await locate(sip('pbx.example.com', { port: 5080, transport: 'tcp' }), resolver)), [
      'tcp 192.0.2.7:5080 pbx.example.com',
    ]);
    assert.ok(resolver.queries.every((query) => query.startsWith('A')));
  });
});

describe('locate: transport given, no port (RFC 3263 §4.2)', () => {
  it('queries the SRV of that transport only', async () => {
    const resolver = new FakeResolver({
      srv: { '_sip._tcp.example.com': [srv(10, 0, 5062, 'tcp1.example.com')] },
      a: { 'tcp1.example.com': ['192.0.2.20'] },
    });
    assert.deepEqual(brief(await locate(sip('example.com', { transport: 'tcp' }), resolver)), [
      'tcp 192.0.2.20:5062 tcp1.example.com',
    ]);
    assert.ok(!resolver.queries.some((query) => query.startsWith('NAPTR') || query.includes('_udp')));
  });

  it('falls back to A/AAAA with the default port when there is no SRV', async () => {
    const resolver = new FakeResolver({ a: { 'example.com': ['192.0.2.30'] } });
    assert.deepEqual(brief(await locate({ scheme: 'sips', host: 'example.com', transport: 'tcp' }, resolver)), [
      'tls 192.0.2.30:5061 example.com',
    ]);
    assert.ok(resolver.queries.includes('SRV _sips._tcp.example.com'));
  });

  it('refuses a transport we cannot use', async () => {
    const resolver = new FakeResolver({});
    for (const request of [sip('example.com', { transport: 'sctp' }), { scheme: 'sips' as const, host: 'example.com', transport: 'udp' }]) {
      const error = await rejection(locate(request, resolver));
      assert.equal(error.details['reason'], 'unsupported-transport');
    }
    const error = await rejection(locate(sip('example.com', { transport: 'tls' }), resolver, { protocols: ['udp'] }));
    assert.equal(error.details['reason'], 'unsupported-transport');
    assert.deepEqual(resolver.queries, []);
  });
});

describe('locate: NAPTR (RFC 3263 §4.1)', () => {
  const zone = {
    naptr: {
      'example.com': [
        naptr(50, 50, 'SIP+D2U', '_sip._udp.example.com'),
        naptr(10, 60, 'SIP+D2T', '_sip._tcp.example.com.'),
        naptr(10, 50, 'SIPS+D2T', '_sips._tcp.example.com'),
        naptr(5, 50, 'SIP+D2S', '_sip._sctp.example.com'),
        { flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:x@example.com!', replacement: '', order: 1, preference: 1 },
      ],
    },
    srv: {
      '_sip._udp.example.com': [srv(0, 0, 5060, 'udp.example.com')],
      '_sip._tcp.example.com': [srv(0, 0, 5060, 'tcp.example.com.')],
      '_sips._tcp.example.com': [srv(0, 0, 5061, 'tls.example.com')],
      '_sip._sctp.example.com': [srv(0, 0, 5060, 'sctp.example.com')],
    },
    a: {
      'udp.example.com': ['192.0.2.1'],
      'tcp.example.com': ['192.0.2.2'],
      'tls.example.com': ['192.0.2.3'],
      'sctp.example.com': ['192.0.2.4'],
    },
  };

  it('orders by order then preference, following each replacement through SRV', async () => {
    const resolver = new FakeResolver(zone);
    assert.deepEqual(brief(await locate(sip('example.com'), resolver)), [
      'tls 192.0.2.3:5061 tls.example.com',
      'tcp 192.0.2.2:5060 tcp.example.com',
      'udp 192.0.2.1:5060 udp.example.com',
    ]);
    assert.ok(!resolver.queries.includes('SRV _sip._sctp.example.com'), 'SCTP is not ours');
  });

  it('keeps only SIPS+D2T for a sips URI', async () => {
    const resolver = new FakeResolver(zone);
    assert.deepEqual(brief(await locate({ scheme: 'sips', host: 'example.com' }, resolver)), ['tls 192.0.2.3:5061 tls.example.com']);
  });

  it('skips services for transports we do not support', async () => {
    const resolver = new FakeResolver(zone);
    assert.deepEqual(brief(await locate(sip('example.com'), resolver, { protocols: ['udp'] })), [
      'udp 192.0.2.1:5060 udp.example.com',
    ]);
  });

  it('falls back to SRV when the NAPTR replacements lead nowhere', async () => {
    const resolver = new FakeResolver({
      naptr: { 'example.com': [naptr(10, 10, 'SIP+D2U', '_sip._udp.gone.example.com')] },
      srv: { '_sip._tcp.example.com': [srv(0, 0, 5060, 'tcp.example.com')] },
      a: { 'tcp.example.com': ['192.0.2.2'] },
    });
    assert.deepEqual(brief(await locate(sip('example.com'), resolver)), ['tcp 192.0.2.2:5060 tcp.example.com']);
  });
});

describe('locate: SRV without NAPTR (RFC 3263 §4.1, §4.2)', () => {
  it('queries _sip._udp, _sip._tcp and _sips._tcp, ordering by priority and our transport preference', async () => {
    const resolver = new FakeResolver({
      srv: {
        '_sip._udp.example.com': [srv(20, 0, 5060, 'b.example.com'), srv(10, 0, 5060, 'a.example.com')],
        '_sips._tcp.example.com': [srv(10, 0, 5061, 'a.example.com')],
      },
      a: { 'a.example.com': ['192.0.2.10'], 'b.example.com': ['192.0.2.11'] },
      aaaa: { 'a.example.com': ['2001:db8::10'] },
    });
    assert.deepEqual(brief(await locate(sip('example.com'), resolver)), [
      'udp 192.0.2.10:5060 a.example.com',
      'udp [2001:db8::10]:5060 a.example.com',
      'udp 192.0.2.11:5060 b.example.com',
      'tls 192.0.2.10:5061 a.example.com',
      'tls [2001:db8::10]:5061 a.example.com',
    ]);
    for (const query of ['NAPTR example.com', 'SRV _sip._udp.example.com', 'SRV _sip._tcp.example.com', 'SRV _sips._tcp.example.com']) {
      assert.ok(resolver.queries.includes(query), query);
    }
  });

  it('queries only _sips._tcp for a sips URI', async () => {
    const resolver = new FakeResolver({
      srv: { '_sip._udp.example.com': [srv(0, 0, 5060, 'a.example.com')], '_sips._tcp.example.com': [srv(0, 0, 5061, 'a.example.com')] },
      a: { 'a.example.com': ['192.0.2.10'] },
    });
    assert.deepEqual(brief(await locate({ scheme: 'sips', host: 'example.com' }, resolver)), ['tls 192.0.2.10:5061 a.example.com']);
    assert.ok(!resolver.queries.includes('SRV _sip._udp.example.com'));
  });

  it('treats a "." target as no service, without falling back to A', async () => {
    const resolver = new FakeResolver({
      srv: { '_sip._udp.example.com': [srv(0, 0, 0, '.')] },
      a: { 'example.com': ['192.0.2.99'] },
    });
    const error = await rejection(locate(sip('example.com'), resolver));
    assert.equal(error.details['reason'], 'no-records');
    assert.ok(!resolver.queries.includes('A example.com'));
  });

  it('uses A/AAAA with the default port when there is neither NAPTR nor SRV', async () => {
    const resolver = new FakeResolver({ a: { 'example.com': ['192.0.2.40'] }, aaaa: { 'example.com': ['2001:db8::40'] } });
    assert.deepEqual(brief(await locate(sip('EXAMPLE.com'), resolver)), [
      'udp 192.0.2.40:5060 example.com',
      'udp [2001:db8::40]:5060 example.com',
    ]);
    const sips = await locate({ scheme: 'sips', host: 'example.com' }, resolver);
    assert.deepEqual(brief(sips), ['tls 192.0.2.40:5061 example.com', 'tls [2001:db8::40]:5061 example.com']);
  });

  it('drops duplicate targets', async () => {
    const resolver = new FakeResolver({
      srv: { '_sip._udp.example.com': [srv(0, 0, 5060, 'a.example.com'), srv(1, 0, 5060, 'alias.example.com')] },
      a: { 'a.example.com': ['192.0.2.10'], 'alias.example.com': ['192.0.2.10'] },
    });
    assert.deepEqual(brief(await locate(sip('example.com'), resolver)), ['udp 192.0.2.10:5060 a.example.com']);
  });
});

describe('locate: failures', () => {
  it('NXDOMAIN gives sipLocateFailed with reason nxdomain', async () => {
    const error = await rejection(locate(sip('nowhere.invalid'), new FakeResolver({})));
    assert.equal(error.details['reason'], 'nxdomain');
    assert.equal(error.details['host'], 'nowhere.invalid');
  });

  it('a name without addresses gives reason no-records', async () => {
    const resolver = new FakeResolver({ naptr: { 'example.com': [] }, srv: { 'example.com': [] } });
    const error = await rejection(locate(sip('example.com'), resolver));
    assert.equal(error.details['reason'], 'no-records');
  });

  it('DNS timeouts give reason dns-failure with the codes, when nothing else answers', async () => {
    const resolver = new FakeResolver({
      fail: {
        'NAPTR example.com': 'ETIMEOUT',
        'SRV _sip._udp.example.com': 'ETIMEOUT',
        'SRV _sip._tcp.example.com': 'ESERVFAIL',
        'SRV _sips._tcp.example.com': 'ETIMEOUT',
        'A example.com': 'ETIMEOUT',
        'AAAA example.com': 'ETIMEOUT',
      },
    });
    const error = await rejection(locate(sip('example.com'), resolver));
    assert.equal(error.details['reason'], 'dns-failure');
    assert.ok((error.details['dnsErrors'] as string[]).includes('ESERVFAIL'));
  });

  it('a failed lookup does not hide targets found by another', async () => {
    const resolver = new FakeResolver({
      fail: { 'NAPTR example.com': 'ETIMEOUT', 'AAAA a.example.com': 'ETIMEOUT' },
      srv: { '_sip._tcp.example.com': [srv(0, 0, 5060, 'a.example.com')] },
      a: { 'a.example.com': ['192.0.2.10'] },
    });
    assert.deepEqual(brief(await locate(sip('example.com'), resolver)), ['tcp 192.0.2.10:5060 a.example.com']);
  });
});

describe('resolver adapter', () => {
  it("node's Resolver is a Resolver, and the adapter builds one without querying", () => {
    const native: Resolver = new dns.Resolver();
    const adapted = createSystemResolver({ timeoutMs: 500, tries: 1, servers: ['127.0.0.1:53'] });
    assert.ok(adapted instanceof dns.Resolver);
    assert.equal(typeof native.resolveNaptr, 'function');
    assert.deepEqual((adapted as InstanceType<typeof dns.Resolver>).getServers(), ['127.0.0.1']);
  });

  it('classifies not-found errors', () => {
    assert.equal(isNotFoundError({ code: 'ENOTFOUND' }), true);
    assert.equal(isNotFoundError({ code: 'ENODATA' }), true);
    assert.equal(isNotFoundError({ code: 'ETIMEOUT' }), false);
    assert.equal(isNotFoundError(null), false);
  });
});

describe('locateRequestFor', () => {
  const uri = (fields: Partial<Parameters<typeof locateRequestFor>[0]>) => ({
    scheme: 'sip' as const,
    host: 'example.com',
    params: new Map<string, string | null>(),
    ...fields,
  });

  it('takes scheme, host, port and transport from a URI', () => {
    assert.deepEqual(locateRequestFor(uri({ port: 5080, params: new Map([['transport', 'tcp']]) })), {
      scheme: 'sip',
      host: 'example.com',
      port: 5080,
      transport: 'tcp',
    });
  });

  it('uses maddr as the target when present (RFC 3263 §4)', () => {
    assert.deepEqual(locateRequestFor(uri({ scheme: 'sips', params: new Map([['maddr', '192.0.2.9'], ['lr', null]]) })), {
      scheme: 'sips',
      host: '192.0.2.9',
    });
  });

  it('refuses a tel: URI', () => {
    assert.throws(
      () => locateRequestFor(uri({ scheme: 'tel' })),
      (error: unknown) =>
        error instanceof DialtoneError &&
        error.code === ErrorCodes.sipLocateFailed &&
        error.details['reason'] === 'unsupported-scheme',
    );
  });
});
