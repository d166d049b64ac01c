import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, getHeaders, parseMessage, type SipMessage } from '../../../../src/sip/message/index.js';

const text = [
  'INVITE sip:bob@example.com SIP/2.0',
  'v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2',
  'Max-Forwards: 69',
  'Route: <sip:p1.example.com;lr>',
  'Record-Route: <sip:p2.example.com;lr>',
  'f: "A" <sip:a@example.com>;tag=1',
  't: sip:bob@example.com',
  'i: call@host',
  'CSeq: 7 INVITE',
  'm: <sip:a@h.example.com>',
  'k: timer, 100rel',
  'Supported: replaces',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\n',
].join('\r\n');

function message(): SipMessage {
  const result = parseMessage(Buffer.from(text));
  if (!result.ok) throw new Error(result.error.reason);
  return result.message;
}

test('typed fields are read back as header text, by long or compact name in any case', () => {
  const m = message();
  assert.deepEqual(getHeaders(m, 'VIA'), ['SIP/2.0/UDP a.example.com;branch=z9hG4bK1', 'SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2']);
  assert.equal(getHeader(m, 'v'), 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1');
  assert.equal(getHeader(m, 'from'), '"A" <sip:a@example.com>;tag=1');
  assert.equal(getHeader(m, 'T'), '<sip:bob@example.com>');
  assert.equal(getHeader(m, 'call-id'), 'call@host');
  assert.equal(getHeader(m, 'cseq'), '7 INVITE');
  assert.equal(getHeader(m, 'max-forwards'), '69');
  assert.deepEqual(getHeaders(m, 'm'), ['<sip:a@h.example.com>']);
  assert.deepEqual(getHeaders(m, 'Route'), ['<sip:p1.example.com;lr>']);
  assert.deepEqual(getHeaders(m, 'record-route'), ['<sip:p2.example.com;lr>']);
  assert.equal(getHeader(m, 'C'), 'application/sdp');
  assert.equal(getHeader(m, 'l'), '4');
});

test('other headers: every value in order, compact and long forms together', () => {
  const m = message();
  assert.deepEqual(getHeaders(m, 'supported'), ['timer', '100rel', 'replaces']);
  assert.deepEqual(getHeaders(m, 'k'), ['timer', '100rel', 'replaces']);
  assert.equal(getHeader(m, 'Supported'), 'timer');
});

test('absent headers: undefined and an empty list', () => {
  const m = message();
  m.maxForwards = undefined;
  m.contentType = undefined;
  m.contact = undefined;
  assert.equal(getHeader(m, 'Subject'), undefined);
  assert.deepEqual(getHeaders(m, 'Require'), []);
  assert.deepEqual(getHeaders(m, 'Max-Forwards'), []);
  assert.deepEqual(getHeaders(m, 'Content-Type'), []);
  assert.deepEqual(getHeaders(m, 'Contact'), []);
});

test('headers the application added with compact names are found too', () => {
  const m = message();
  m.headers.push({ name: 'o', value: 'refer' });
  assert.deepEqual(getHeaders(m, 'Event'), ['refer']);
});
