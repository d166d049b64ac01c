import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNameAddr, parseNameAddr, parseNameAddrDetailed } from '../../../../src/sip/message/index.js';

test('name-addr with a quoted display name, URI parameters inside <> and header parameters after', () => {
  const value = parseNameAddr('"Alice \\"A\\" Liddell" <sip:alice@example.com;transport=tcp>;tag=1928 ; expires = 60');
  assert.equal(value?.displayName, 'Alice "A" Liddell');
  assert.equal(value?.uri.params.get('transport'), 'tcp');
  assert.deepEqual([...(value?.params ?? [])], [['tag', '1928'], ['expires', '60']]);
});

test('token display names, with or without LWS before < (RFC 4475 §3.1.1.6)', () => {
  assert.equal(parseNameAddr('Bob  Smith <sip:bob@example.com>')?.displayName, 'Bob Smith');
  assert.equal(parseNameAddr('caller<sip:caller@example.com>')?.displayName, 'caller');
  assert.equal(parseNameAddr('<sip:bob@example.com>')?.displayName, undefined);
  assert.equal(parseNameAddr('"" <sip:bob@example.com>')?.displayName, '');
});

test('addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10)', () => {
  const value = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x');
  assert.equal(value?.uri.params.size, 0);
  assert.deepEqual([...(value?.params ?? [])], [['unknownparam', null], ['tag', 'x']]);
});

test('quoted parameter values and IPv6 references are kept as written', () => {
  const value = parseNameAddr('<sip:a@[2001:db8::1]>;+sip.instance="<urn:uuid:f81d4fae>";received=[2001:db8::2]');
  assert.equal(value?.uri.host, '2001:db8::1');
  assert.equal(value?.params.get('+sip.instance'), '"<urn:uuid:f81d4fae>"');
  assert.equal(value?.params.get('received'), '[2001:db8::2]');
});

test('malformed name-addrs are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['"Mr. J. User <sip:j.user@example.com>', /unterminated quoted string/],
    ['< sip:t.watson@example.org >', /whitespace inside <>/],
    ['Watson, Thomas <sip:t.watson@example.org>', /display name with non-token characters must be quoted/],
    ['sip:user@example.com?Route=%3Csip:x%3E', /a URI with headers must be enclosed in <>/],
    ['<sip:user@example.com', /missing >/],
    ['"x" sip:user@example.com', /expected < after display name/],
    ['<sip:a@example.com>;', /expected a parameter name/],
    ['<sip:a@example.com>;tag=', /empty parameter value/],
    ['<sip:a@example.com>;tag=1;tag=2', /duplicate parameter tag/],
    ['<sip:a@example.com> junk', /unexpected character/],
    ['"bad \\\r" <sip:a@example.com>', /bad quoted-pair/],
    ['"nul \x00" <sip:a@example.com>', /control character/],
    ['', /expected a URI/],
  ];
  for (const [text, reason] of cases) {
    const result = parseNameAddrDetailed(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) assert.match(result.reason, reason, JSON.stringify(text));
    assert.equal(parseNameAddr(text), undefined);
  }
});

test('too many parameters are refused (a count limit on every element)', () => {
  const many = Array.from({ length: 65 }, (_, i) => `;p${i}`).join('');
  assert.equal(parseNameAddr(`<sip:a@example.com>${many}`), undefined);
  assert.equal(parseNameAddr(`<sip:a@example.com${many}>`), undefined);
  assert.ok(parseNameAddr(`<sip:a@example.com>${many.slice(0, many.lastIndexOf(';'))}`));
});

test('formatNameAddr always writes the name-addr form with a quoted display name', () => {
  const cases: Array<[string, string]> = [
    ['sip:bob@example.com;tag=1', '<sip:bob@example.com>;tag=1'],
    ['Bob <sip:bob@example.com>', '"Bob" <sip:bob@example.com>'],
    ['"" <sip:bob@example.com>', '"" <sip:bob@example.com>'],
    ['"Bob, Jr." <sip:bob@example.com>', '"Bob, Jr." <sip:bob@example.com>'],
    ['"A \\"q\\" \\\\ b" <sip:bob@example.com>', '"A \\"q\\" \\\\ b" <sip:bob@example.com>'],
    ['"BEL:\\\x07" <sip:bob@example.com>', '"BEL:\\\x07" <sip:bob@example.com>'],
    ['<sip:a@example.com>;p="quoted value"', '<sip:a@example.com>;p="quoted value"'],
  ];
  for (const [input, output] of cases) assert.equal(formatNameAddr(parseNameAddr(input)!), output);
});

test('formatNameAddr quotes a parameter value set by the application that is not a gen-value', () => {
  const value = parseNameAddr('<sip:a@example.com>')!;
  value.params.set('note', 'two words\r\nX: y');
  value.params.set('bad name', 'v');
  assert.equal(formatNameAddr(value), '<sip:a@example.com>;note="two words  X: y"');
  assert.equal(parseNameAddr(formatNameAddr(value))?.params.get('note'), '"two words  X: y"');
});
