import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUri, ParamList, parseUri, parseUriDetailed } from '../../../../src/sip/message/index.js';

test('a full SIP URI parses into its parts (RFC 3261 §19.1.1)', () => {
  const uri = parseUri('sips:alice:secret@Atlanta.Example.COM:5061;transport=TLS;lr;maddr=[2001:db8::1]?subject=project%20x&priority=urgent');
  assert.deepEqual(uri, {
    scheme: 'sips',
    user: 'alice',
    password: 'secret',
    host: 'atlanta.example.com',
    port: 5061,
    params: new ParamList([['transport', 'TLS'], ['lr', null], ['maddr', '[2001:db8::1]']]),
    headers: [['subject', 'project x'], ['priority', 'urgent']],
  });
});

test('the scheme is case-insensitive; host names are lower-cased', () => {
  assert.equal(parseUri('SIP:bob@EXAMPLE.com')?.scheme, 'sip');
  assert.equal(parseUri('SIP:bob@EXAMPLE.com')?.host, 'example.com');
  assert.equal(parseUri('SIP:Bob@example.com')?.user, 'Bob');
});

test('percent-decoding applies once to user, password, parameters and headers (RFC 4475 §3.1.1.3)', () => {
  const uri = parseUri('sip:%61lice%40home:p%40ss@example.com;n%61me=v%61lue%2541;%6C%72?R%6Fute=%3Csip:x%3E');
  assert.equal(uri?.user, 'alice@home');
  assert.equal(uri?.password, 'p@ss');
  assert.equal(uri?.params.get('name'), 'value%41');
  assert.equal(uri?.params.get('lr'), null);
  assert.deepEqual(uri?.headers, [['Route', '<sip:x>']]);
});

test('escapes of UTF-8 decode to text; other octets survive as Latin-1 (no NUL truncation)', () => {
  assert.equal(parseUri('sip:%E2%82%AC@example.com')?.user, '\u20ac');
  assert.equal(parseUri('sip:a%00b%FF@example.com')?.user, 'a\x00b\xff');
});

test('IPv4, IPv6 references and ports (RFC 3261 §25.1, RFC 5118 §4.3/§4.4)', () => {
  assert.deepEqual([parseUri('sip:192.0.2.1:5060')?.host, parseUri('sip:192.0.2.1:5060')?.port], ['192.0.2.1', 5060]);
  assert.deepEqual([parseUri('sip:[2001:DB8::10]:5070')?.host, parseUri('sip:[2001:DB8::10]:5070')?.port], ['2001:db8::10', 5070]);
  assert.equal(parseUri('sip:[2001:db8::10:5070]')?.port, undefined);
  assert.equal(parseUri('sip:[::ffff:192.0.2.1]')?.host, '::ffff:192.0.2.1');
  assert.equal(parseUri('sip:[2001:db8:::192.0.2.1]')?.host, '2001:db8:::192.0.2.1');
});

test('malformed URIs are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['sip:2001:db8::10', /bad host/],
    ['sip:example.com:db8', /bad port/],
    ['sip:[2001:db8::10', /unterminated IPv6/],
    ['sip:[2001:db8::1::2]', /bad host/],
    ['sip:[1:2:3:4:5:6:7:8:9]', /bad host/],
    ['sip:user@host:65536', /bad port/],
    ['sip:user@host:', /bad port/],
    ['sip:@example.com', /empty user/],
    ['sip:user@-bad.example.com', /bad host/],
    ['sip:user@example.123', /bad host/],
    ['sip:user@256.1.1.1x', /bad host/],
    ['sip:us er@example.com', /invalid character/],
    ['sip:user@example.com;a;a', /duplicate parameter a/],
    ['sip:user@example.com;=x', /empty parameter name/],
    ['sip:user@example.com;x=', /empty parameter value/],
    ['sip:user@example.com?noequals', /bad header/],
    ['sip:%4@example.com', /malformed escape/],
    ['sip:%zz@example.com', /malformed escape/],
    ['1sip:x', /bad scheme/],
    ['nocolon', /bad scheme/],
    ['sip:', /bad host/],
    ['tel:', /empty URI/],
    ['urn:has space', /invalid character/],
  ];
  for (const [text, reason] of cases) {
    const result = parseUriDetailed(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) assert.match(result.reason, reason, text);
    assert.equal(parseUri(text), undefined);
  }
});

test('tel: and other absolute URIs are carried opaquely (RFC 4475 §3.3.2)', () => {
  assert.deepEqual(parseUri('tel:+1-201-555-0123;phone-context=example.com'), {
    scheme: 'tel', user: '+1-201-555-0123;phone-context=example.com', host: '', params: new ParamList(), headers: [],
  });
  assert.equal(parseUri('soap.beep://192.0.2.103:3002')?.scheme, 'soap.beep');
  assert.equal(formatUri(parseUri('urn:service:sos')!), 'urn:service:sos');
});

test('formatUri escapes what each part does not allow bare, and round-trips', () => {
  const uri = parseUri('sip:I%20have%20spaces@example.net;name=value%2541')!;
  assert.equal(formatUri(uri), 'sip:I%20have%20spaces@example.net;name=value%2541');
  const texts = [
    'sip:alice@example.com',
    'sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr',
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    'sip:%E2%82%AC@example.com',
  ];
  for (const text of texts) assert.equal(formatUri(parseUri(text)!), text);
  assert.equal(formatUri({ scheme: 'sip', user: 'a@b:c', host: 'x.example', params: new Map([['p', 'a b']]), headers: [] }), 'sip:a%40b%3Ac@x.example;p=a%20b');
  assert.equal(formatUri({ scheme: 'tel', user: '+1 555\r\nX: y', host: '', params: new Map(), headers: [] }), 'tel:+1%20555%0D%0AX:%20y');
});
