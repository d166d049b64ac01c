import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultParseLimits, getHeaders, parseMessage, type ParseResult, type SipMessage, type SipRequest } from '../../../../src/sip/message/index.js';

const options = [
  'OPTIONS sip:carol@chicago.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877',
  'Max-Forwards: 70',
  'To: <sip:carol@chicago.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 63104 OPTIONS',
  'Accept: application/sdp',
  'Content-Length: 0',
];

function wire(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
function withHeaders(extra: string[], body = ''): Buffer {
  const lines = options.filter((line) => !line.startsWith('Content-Length')).concat(extra);
  if (!extra.some((line) => /^(Content-Length|l)\s*:/i.test(line))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return wire(lines, body);
}
function ok(result: ParseResult): SipMessage {
  if (!result.ok) assert.fail(`${result.error.status} ${result.error.reason}`);
  return result.message;
}
function fails(result: ParseResult, status: number, reason: RegExp): void {
  if (result.ok) assert.fail('expected a parse error');
  assert.equal(result.error.status, status);
  assert.match(result.error.reason, reason);
}

test('the body is a copy in memory of its own: it pins neither the datagram nor a pool slab', () => {
  const datagram = withHeaders(['Content-Type: text/plain'], 'hello');
  const m = ok(parseMessage(datagram));
  assert.equal(m.body.toString('latin1'), 'hello');
  assert.equal(m.body.byteOffset, 0);
  assert.equal(m.body.buffer.byteLength, m.body.length);
  datagram.fill(0);
  assert.equal(m.body.toString('latin1'), 'hello');
});

test('a plain request parses into the typed fields', () => {
  const m = ok(parseMessage(wire(options))) as SipRequest;
  assert.equal(m.kind, 'request');
  assert.equal(m.method, 'OPTIONS');
  assert.equal(m.uri.user, 'carol');
  assert.equal(m.via[0]?.params.get('branch'), 'z9hG4bKhjhs8ass877');
  assert.equal(m.maxForwards, 70);
  assert.equal(m.from.displayName, 'Alice');
  assert.equal(m.callId, 'a84b4c76e66710');
  assert.deepEqual(m.cseq, { seq: 63104, method: 'OPTIONS' });
  assert.deepEqual(m.headers, [{ name: 'Accept', value: 'application/sdp' }]);
  assert.equal(m.body.length, 0);
});

test('compact forms and any case map to canonical names (RFC 3261 §7.3.3)', () => {
  const m = ok(parseMessage(withHeaders(['k: timer', 'o: refer', 'u: dialog', 'r: <sip:x@example.com>', 'b: <sip:y@example.com>', 'x: 1800', 'SUBJECT: hi', 'e: gzip'])));
  assert.deepEqual(m.headers.map((h) => h.name), ['Accept', 'Supported', 'Event', 'Allow-Events', 'Refer-To', 'Referred-By', 'Session-Expires', 'Subject', 'Content-Encoding']);
  const short = ok(parseMessage(wire(['OPTIONS sip:a@example.com SIP/2.0', 'v: SIP/2.0/TCP h.example.com', 'f: <sip:b@example.com>;tag=1', 't: sip:a@example.com', 'i: x@y', 'CSeq: 1 OPTIONS', 'm: <sip:b@h.example.com>', 'c: text/plain', 'l: 2'], 'hi')));
  assert.equal(short.via[0]?.transport, 'TCP');
  assert.equal(short.contact?.length, 1);
  assert.equal(short.contentType, 'text/plain');
  assert.equal(short.body.toString(), 'hi');
});

test('folded lines unfold to one SP (RFC 3261 §7.3.1), including inside typed headers', () => {
  const m = ok(parseMessage(withHeaders(['Subject: first', ' \t second', 'Supported: timer,', '\t100rel'])));
  assert.deepEqual(getHeaders(m, 'Subject'), ['first second']);
  assert.deepEqual(getHeaders(m, 'Supported'), ['timer', '100rel']);
});

test('list headers split on commas outside quotes and <>; other headers stay whole', () => {
  const m = ok(parseMessage(withHeaders([
    'Allow: INVITE, ACK ,BYE',
    'Allow: OPTIONS',
    'Warning: 370 devnull "a, b", 307 isi.edu "c"',
    'Call-Info: <http://www.example.com/a,b.png>;purpose=icon, <http://www.example.com/c>',
    'WWW-Authenticate: Digest realm="atlanta.com", nonce="84a4cc6f", qop="auth"',
    'Authorization: Digest username="bob", realm="x"',
    'Date: Sat, 13 Nov 2010 23:29:00 GMT',
    'X-Custom: a, b',
  ])));
  assert.deepEqual(getHeaders(m, 'Allow'), ['INVITE', 'ACK', 'BYE', 'OPTIONS']);
  assert.deepEqual(getHeaders(m, 'Warning'), ['370 devnull "a, b"', '307 isi.edu "c"']);
  assert.deepEqual(getHeaders(m, 'Call-Info'), ['<http://www.example.com/a,b.png>;purpose=icon', '<http://www.example.com/c>']);
  assert.deepEqual(getHeaders(m, 'WWW-Authenticate'), ['Digest realm="atlanta.com", nonce="84a4cc6f", qop="auth"']);
  assert.deepEqual(getHeaders(m, 'authorization'), ['Digest username="bob", realm="x"']);
  assert.deepEqual(getHeaders(m, 'Date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
  assert.deepEqual(getHeaders(m, 'X-Custom'), ['a, b']);
});

test('Via, Contact, Route and Record-Route gather over lines and commas, in order', () => {
  const m = ok(parseMessage(wire([
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2',
    'Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK3;received=192.0.2.1;rport=5999',
    'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
    'Record-Route: <sip:p3.example.com;lr>',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:bob@example.com>',
    'Call-ID: c@h',
    'CSeq: 2 INVITE',
    'Contact: <sip:a@h1.example.com>;q=0.5, "B" <sip:b@h2.example.com>',
    'Contact: sip:c@h3.example.com;expires=30',
    'Content-Length: 0',
  ])));
  assert.deepEqual(m.via.map((v) => `${v.transport} ${v.host}:${v.port ?? ''}`), ['UDP a.example.com:', 'TCP b.example.com:5061', 'UDP 2001:db8::1:5062']);
  assert.equal(m.via[2]?.params.get('rport'), '5999');
  assert.deepEqual(m.route?.map((r) => r.uri.host), ['p1.example.com', 'p2.example.com']);
  assert.deepEqual(m.recordRoute?.map((r) => r.uri.host), ['p3.example.com']);
  assert.deepEqual(m.contact?.map((c) => (c === '*' ? c : c.uri.user)), ['a', 'b', 'c']);
});

test('Contact: * alone is the wildcard; mixed with addresses it is an error', () => {
  assert.deepEqual(ok(parseMessage(withHeaders(['Contact: *', 'Expires: 0']))).contact, ['*']);
  fails(parseMessage(withHeaders(['Contact: *', 'Contact: <sip:a@example.com>'])), 400, /malformed Contact/);
});

test('Route and Record-Route require <> (RFC 3261 §20.30, §20.34)', () => {
  fails(parseMessage(withHeaders(['Route: sip:p1.example.com;lr'])), 400, /malformed Route: expected </);
});

test('a response parses status, reason (escapes decoded) and the same headers', () => {
  const text = options.slice(1).join('\r\n');
  const m = ok(parseMessage(Buffer.from(`SIP/2.0 404 Not%20Found here\r\n${text}\r\n\r\n`)));
  assert.equal(m.kind, 'response');
  if (m.kind !== 'response') return;
  assert.equal(m.status, 404);
  assert.equal(m.reason, 'Not Found here');
  assert.equal(ok(parseMessage(Buffer.from(`SIP/2.0 180\r\n${text}\r\n\r\n`))).kind, 'response');
});

test('malformed responses are marked for dropping, never answered', () => {
  const text = options.slice(1).join('\r\n');
  for (const line of ['SIP/2.0 1000 Big', 'SIP/2.0 099 Small', 'SIP/2.0 20x OK', 'SIP/3.0 200 OK', 'SIP/2.0 200 O\x01K', 'SIP/2.0']) {
    const result = parseMessage(Buffer.from(`${line}\r\n${text}\r\n\r\n`));
    assert.equal(result.ok, false, line);
    if (!result.ok) assert.equal(result.error.isRequest, false, line);
  }
});

test('Request-Line faults', () => {
  const rest = options.slice(1);
  const cases: Array<[string, number, RegExp]> = [
    ['OPTIONS sip:a@example.com SIP/2.1', 505, /^Version Not Supported \(SIP\/2\.1 is not SIP\/2\.0\)$/],
    ['OPTIONS sip:a@example.com SIP/20', 400, /bad SIP-Version/],
    ['OPTIONS sip:a@example.com', 400, /malformed Request-Line/],
    ['OPT@ONS sip:a@example.com SIP/2.0', 400, /bad Method/],
    ['OPTIONS sip:a@example.com\tSIP/2.0', 400, /malformed Request-Line/],
    ['OPTIONS <sip:a@example.com> SIP/2.0', 400, /enclosed in <>/],
    [' OPTIONS sip:a@example.com SIP/2.0', 400, /malformed/],
  ];
  for (const [line, status, reason] of cases) fails(parseMessage(wire([line, ...rest])), status, reason);
  // The version is case-insensitive in the ABNF.
  assert.equal(ok(parseMessage(wire(['OPTIONS sip:carol@chicago.example.com sip/2.0', ...rest]))).kind, 'request');
});

test('essential header faults name the header, and the essentials that parsed come back for the 400', () => {
  const cases: Array<[string[], RegExp]> = [
    [['Via: SIP/2.0/UDP'], /malformed Via/],
    [['Via: SIP/2.0/UDP host.example.com;ttl=300'], /malformed Via: bad ttl/],
    [['Via: SIP/2.0/UDP host.example.com;received=host.example.com'], /malformed Via: bad received/],
    [['Via: SIP/2.0/UDP host.example.com;maddr=-x'], /malformed Via: bad maddr/],
    [['Via: SIP/2.0/UDP host.example.com;rport=70000'], /malformed Via: bad rport/],
    [['Via: SIP/2.0/UDP host.example.com;branch'], /malformed Via: empty branch/],
    [['Via: SIP/2.0/UDP host.example.com:99999'], /malformed Via: bad sent-by port/],
    [['Via: SIP/2.0/UDPhost.example.com'], /malformed Via/],
  ];
  for (const [via, reason] of cases) {
    const lines = options.map((line) => (line.startsWith('Via:') ? via[0]! : line));
    const result = parseMessage(wire(lines));
    fails(result, 400, reason);
    if (!result.ok) {
      assert.equal(result.error.partial.callId, 'a84b4c76e66710');
      assert.equal(result.error.partial.method, 'OPTIONS');
    }
  }
  const missing = parseMessage(wire(options.filter((line) => !line.startsWith('Via'))));
  fails(missing, 400, /missing Via/);
  fails(parseMessage(wire(options.filter((line) => !line.startsWith('Call-ID')))), 400, /missing Call-ID/);
  fails(parseMessage(wire(options.map((line) => (line.startsWith('Call-ID') ? 'Call-ID: a b' : line)))), 400, /malformed Call-ID/);
  fails(parseMessage(wire(options.map((line) => (line.startsWith('CSeq') ? 'CSeq: 1' : line)))), 400, /malformed CSeq/);
  fails(parseMessage(wire(options.map((line) => (line.startsWith('CSeq') ? 'CSeq: 4294967296 OPTIONS' : line)))), 400, /value too large/);
  assert.equal(ok(parseMessage(wire(options.map((line) => (line.startsWith('CSeq') ? 'CSeq: 4294967295 OPTIONS' : line))))).cseq.seq, 4294967295);
});

test('other typed header faults', () => {
  const replace = (prefix: string, line: string): Buffer => wire(options.map((l) => (l.startsWith(prefix) ? line : l)));
  fails(parseMessage(replace('Max-Forwards', 'Max-Forwards: 256')), 400, /malformed Max-Forwards: value too large/);
  fails(parseMessage(replace('Max-Forwards', 'Max-Forwards: -1')), 400, /malformed Max-Forwards/);
  fails(parseMessage(replace('Content-Length', 'Content-Length: 1x')), 400, /malformed Content-Length/);
  fails(parseMessage(replace('Content-Length', 'Content-Length: 99999999999')), 400, /malformed Content-Length: value too large/);
  fails(parseMessage(withHeaders(['Content-Type: application'])), 400, /malformed Content-Type/);
  assert.equal(ok(parseMessage(withHeaders(['Content-Type: multipart/mixed ; boundary="a b"'], 'x'))).contentType, 'multipart/mixed ; boundary="a b"');
});

test('header line faults', () => {
  fails(parseMessage(withHeaders(['NoColonHere'])), 400, /no colon/);
  fails(parseMessage(withHeaders(['Bad Name: x'])), 400, /bad header name/);
  fails(parseMessage(withHeaders([': x'])), 400, /bad header name/);
  fails(parseMessage(withHeaders(['Subject: a\rb'])), 400, /bare CR/);
  fails(parseMessage(wire([options[0]!, ' folded: x', ...options.slice(1)])), 400, /continuation line without a header/);
});

test('bodies are framed by Content-Length (RFC 3261 §18.3); extra octets are discarded', () => {
  const m = ok(parseMessage(withHeaders(['Content-Type: text/plain', 'Content-Length: 5'], 'helloEXTRA')));
  assert.equal(m.body.toString(), 'hello');
  fails(parseMessage(withHeaders(['Content-Type: text/plain', 'Content-Length: 11'], 'helloEXTRA')), 400, /Content-Length larger than the message/);
  // Without Content-Length the body is the rest of the datagram.
  const rest = ok(parseMessage(wire(options.filter((line) => !line.startsWith('Content-Length')), 'tail')));
  assert.equal(rest.body.toString(), 'tail');
});

test('the body is a copy: reusing the receive buffer does not change a parsed message', () => {
  const data = withHeaders(['Content-Type: text/plain'], 'hello');
  const m = ok(parseMessage(data));
  data.fill(0);
  assert.equal(m.body.toString(), 'hello');
  assert.equal(m.callId, 'a84b4c76e66710');
});

test('leading CRLFs are ignored (RFC 3261 §7.5); bare LF line ends are tolerated; a lone keep-alive is not a message', () => {
  assert.equal(ok(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), wire(options)]))).kind, 'request');
  assert.equal(ok(parseMessage(Buffer.from(`${options.join('\n')}\n\nbody`.replace('Content-Length: 0', 'Content-Length: 4')))).body.toString(), 'body');
  fails(parseMessage(Buffer.from('\r\n\r\n')), 400, /empty message/);
  fails(parseMessage(Buffer.alloc(0)), 400, /empty message/);
});

test('a header section without its empty line is refused', () => {
  fails(parseMessage(Buffer.from(`${options.join('\r\n')}\r\n`)), 400, /header section not terminated/);
});

test('limits: message, header count, header length, Via count, URI length, body size', () => {
  fails(parseMessage(withHeaders(['Subject: x']), { maxMessageBytes: 100 }), 513, /message exceeds the size limit/);
  fails(parseMessage(withHeaders(Array.from({ length: 20 }, (_, i) => `X-H${i}: v`)), { maxHeaderCount: 20 }), 400, /too many header fields/);
  fails(parseMessage(withHeaders([`Subject: ${'x'.repeat(200)}`]), { maxHeaderLineBytes: 100 }), 400, /header field exceeds the size limit/);
  fails(parseMessage(withHeaders(['Subject: x', ` ${'y'.repeat(200)}`]), { maxHeaderLineBytes: 100 }), 400, /header field exceeds the size limit/);
  const vias = Array.from({ length: 5 }, (_, i) => `Via: SIP/2.0/UDP h${i}.example.com;branch=z9hG4bK${i}`);
  fails(parseMessage(withHeaders(vias), { maxViaCount: 5 }), 400, /too many Via values/);
  fails(parseMessage(withHeaders(Array.from({ length: 6 }, (_, i) => `Route: <sip:p${i}.example.com;lr>`)), { maxViaCount: 5 }), 400, /too many Route values/);
  const longUri = `sip:${'u'.repeat(300)}@example.com`;
  fails(parseMessage(wire([`OPTIONS ${longUri} SIP/2.0`, ...options.slice(1)]), { maxUriBytes: 200 }), 414, /Request-URI exceeds the size limit/);
  fails(parseMessage(withHeaders([`Contact: <${longUri}>`]), { maxUriBytes: 200 }), 400, /malformed Contact: URI exceeds the size limit/);
  fails(parseMessage(withHeaders(['Content-Type: text/plain'], 'x'.repeat(101)), { maxBodyBytes: 100 }), 413, /body exceeds the size limit/);
  const longMethod = wire([`${'M'.repeat(300)} sip:a@example.com SIP/2.0`, ...options.slice(1)]);
  fails(parseMessage(longMethod, { maxHeaderLineBytes: 100, maxUriBytes: 100 }), 400, /start line exceeds the size limit/);
  const longReason = Buffer.from(`SIP/2.0 200 ${'O'.repeat(300)}\r\n${options.slice(1).join('\r\n')}\r\n\r\n`);
  const dropped = parseMessage(longReason, { maxHeaderLineBytes: 100, maxUriBytes: 100 });
  fails(dropped, 400, /start line exceeds the size limit/);
  assert.equal(!dropped.ok && dropped.error.isRequest, false);
  fails(parseMessage(withHeaders(Array.from({ length: 65 }, (_, i) => `Contact: <sip:c${i}@example.com>`))), 400, /too many Contact values/);
  assert.ok(defaultParseLimits.maxViaCount >= 34 && defaultParseLimits.maxMessageBytes >= 65535);
  // A limit given as undefined keeps its default rather than lifting it.
  const manyVias = Array.from({ length: defaultParseLimits.maxViaCount + 1 }, (_, i) => `Via: SIP/2.0/UDP h${i}.example.com`);
  fails(parseMessage(withHeaders(manyVias), { maxViaCount: undefined, maxHeaderCount: 1000 }), 400, /too many Via values/);
});

test('duplicate singleton headers are refused (RFC 3261 §7.3.1)', () => {
  fails(parseMessage(withHeaders(['f: <sip:x@example.com>;tag=2'])), 400, /multiple From header fields/);
  fails(parseMessage(withHeaders(['Max-Forwards: 70'])), 400, /multiple Max-Forwards header fields/);
  fails(parseMessage(withHeaders(['Content-Type: text/plain', 'c: text/plain'], 'x')), 400, /multiple Content-Type header fields/);
});

test('UTF-8 header values and display names decode as text', () => {
  const lines = options.map((line) => (line.startsWith('From') ? 'From: "J\u00fcrgen \u2615" <sip:j@example.com>;tag=9' : line));
  const m = ok(parseMessage(wire([...lines, 'Subject: caf\u00e9'])));
  assert.equal(m.from.displayName, 'J\u00fcrgen \u2615');
  assert.deepEqual(getHeaders(m, 'Subject'), ['caf\u00e9']);
});

test('a malformed From or To is salvaged for the 400: URI and tag kept, display name unquoted', () => {
  const cases: Array<[string, string | undefined, string | undefined, string | undefined]> = [
    ['From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'a.g.bell', '43', 'Bell, Alexander'],
    ['From: "Mr. J. User <sip:j.user@example.com>;tag=7', 'j.user', '7', 'Mr. J. User'],
    ['From: < sip:t.watson@example.org >;tag=9;bad=', 't.watson', '9', undefined],
    ['From: sip:x@example.com?h=v;tag=5', 'x', '5', undefined],
    ['From: no uri at all;tag=5', undefined, undefined, undefined],
  ];
  for (const [line, user, tag, displayName] of cases) {
    const result = parseMessage(wire(options.map((l) => (l.startsWith('From') ? line : l))));
    fails(result, 400, /malformed From/);
    if (result.ok) continue;
    assert.equal(result.error.partial.from?.uri.user, user, line);
    assert.equal(result.error.partial.from?.params.get('tag'), tag, line);
    assert.equal(result.error.partial.from?.displayName, displayName, line);
  }
});
