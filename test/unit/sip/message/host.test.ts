import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHost, isHostname, isIPv4, isIPv6, parseHost } from '../../../../src/sip/message/host.js';

test('IPv4address: four decimal parts of 0–255 (RFC 3261 §25.1)', () => {
  for (const ok of ['0.0.0.0', '192.0.2.1', '255.255.255.255', '010.1.1.1']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['256.1.1.1', '1.1.1', '1.1.1.1.1', '1..1.1', '1.1.1.1.', 'a.1.1.1', '1234.1.1.1', '']) assert.ok(!isIPv4(bad), bad);
});

test('IPv6address: RFC 4291 text forms, embedded IPv4, and RFC 5118 §4.10 three colons', () => {
  const good = ['::', '::1', '2001:db8::10', '2001:DB8:0:0:8:800:200C:417A', 'fe80::1:2:3:4:5:6', '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '2001:db8:::192.0.2.1', '1::'];
  for (const ok of good) assert.ok(isIPv6(ok), ok);
  const bad = ['', ':', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':1:2:3:4:5:6:7', '1.2.3.4::', '::1.2.3', '2001:db8:::1', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:6:7::8'];
  for (const no of bad) assert.ok(!isIPv6(no), no);
});

test('hostname: labels of alphanum and inner hyphens, top label starting with a letter', () => {
  for (const ok of ['example.com', 'a', 'a-b.example.com.', 'x1.y2.Z']) assert.ok(isHostname(ok), ok);
  for (const bad of ['-a.com', 'a-.com', 'a..com', '.com', 'example.1com', 'exa_mple.com', '', 'a.b.1']) assert.ok(!isHostname(bad), bad);
});

test('parseHost keeps the model form (lower case, IPv6 without brackets); formatHost puts brackets back', () => {
  assert.equal(parseHost('Example.COM'), 'example.com');
  assert.equal(parseHost('[2001:DB8::1]'), '2001:db8::1');
  assert.equal(parseHost('2001:db8::1'), undefined);
  assert.equal(parseHost('[2001:db8::1'), undefined);
  assert.equal(formatHost('2001:db8::1'), '[2001:db8::1]');
  assert.equal(formatHost('192.0.2.1'), '192.0.2.1');
  // A host from the application cannot break out of the URI or the header line.
  assert.equal(formatHost('evil.example.com>\r\nX-Injected: 1'), '[evil.example.comX-Injected:1]');
});
