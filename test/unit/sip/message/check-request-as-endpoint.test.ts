import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequestAsEndpoint, getHeader, getHeaders, parseMessage, type EndpointCapabilities, type SipRequest } from '../../../../src/sip/message/index.js';

const capabilities: EndpointCapabilities = { methods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'], extensions: ['timer', '100rel'] };

function request(method: string, extra: string[] = [], body = '', uri = 'sip:bob@example.com', cseqMethod = method): SipRequest {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
    'Max-Forwards: 70',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:bob@example.com>',
    'Call-ID: c@h',
    `CSeq: 1 ${cseqMethod}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  const result = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`));
  if (!result.ok) throw new Error(result.error.reason);
  return result.message as SipRequest;
}

test('a request the endpoint can process proceeds', () => {
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Content-Type: application/sdp', 'Require: timer', 'Accept: application/*'], 'v=0\r\n'), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(request('OPTIONS'), capabilities), undefined);
});

test('RFC 3261 §8.2.1: a recognised but unsupported method gets 405, an unknown one 501, both with Allow', () => {
  const r405 = checkRequestAsEndpoint(request('SUBSCRIBE'), capabilities);
  assert.equal(r405?.status, 405);
  assert.equal(getHeader(r405!, 'Allow'), 'INVITE, ACK, BYE, CANCEL, OPTIONS');
  const r501 = checkRequestAsEndpoint(request('FOO'), capabilities);
  assert.equal(r501?.status, 501);
  assert.equal(r501?.reason, 'Not Implemented');
  assert.equal(getHeader(r501!, 'Allow'), 'INVITE, ACK, BYE, CANCEL, OPTIONS');
});

test('the method check comes first: unknown method with a mismatched CSeq is 501 (RFC 4475 §3.1.2.18)', () => {
  assert.equal(checkRequestAsEndpoint(request('FOO', [], '', undefined, 'INVITE'), capabilities)?.status, 501);
  const mismatch = checkRequestAsEndpoint(request('OPTIONS', [], '', undefined, 'INVITE'), capabilities);
  assert.equal(mismatch?.status, 400);
  assert.match(mismatch!.reason, /CSeq method does not match/);
});

test('RFC 3261 §8.2.2.1: an unsupported Request-URI scheme gets 416; the schemes are configurable', () => {
  assert.equal(checkRequestAsEndpoint(request('OPTIONS', [], '', 'tel:+15551234'), capabilities)?.status, 416);
  assert.equal(checkRequestAsEndpoint(request('OPTIONS', [], '', 'tel:+15551234'), { ...capabilities, uriSchemes: ['sip', 'tel'] }), undefined);
  assert.equal(checkRequestAsEndpoint(request('OPTIONS', [], '', 'sips:bob@example.com'), capabilities), undefined);
});

test('RFC 3261 §8.2.2.3: unknown Require tags get 420 with Unsupported listing them; CANCEL and ACK ignore Require', () => {
  const response = checkRequestAsEndpoint(request('INVITE', ['Require: timer, foo', 'Require: Bar']), capabilities);
  assert.equal(response?.status, 420);
  assert.deepEqual(getHeaders(response!, 'Unsupported'), ['foo', 'Bar']);
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Require: TIMER', 'Proxy-Require: foo']), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(request('CANCEL', ['Require: foo']), capabilities), undefined);
  // An empty Require lists no option tag.
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Require:']), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(request('ACK', ['Require: foo']), capabilities), undefined);
});

test('ACK is never answered, whatever is wrong with it (RFC 3261 §17)', () => {
  assert.equal(checkRequestAsEndpoint(request('ACK', ['Content-Type: text/x-unknown'], 'x', 'urn:x:y'), capabilities), undefined);
});

test('RFC 3261 §8.2.3: an unknown body type gets 415 with Accept; an unknown encoding 415 with Accept-Encoding', () => {
  const type = checkRequestAsEndpoint(request('INVITE', ['Content-Type: application/x-unknown'], 'x'), capabilities);
  assert.equal(type?.status, 415);
  assert.equal(getHeader(type!, 'Accept'), 'application/sdp');
  const untyped = checkRequestAsEndpoint(request('INVITE', [], 'x'), capabilities);
  assert.equal(untyped?.status, 415);
  const encoding = checkRequestAsEndpoint(request('INVITE', ['Content-Type: Application/SDP; charset=x', 'Content-Encoding: gzip'], 'x'), capabilities);
  assert.equal(encoding?.status, 415);
  assert.equal(getHeader(encoding!, 'Accept-Encoding'), 'identity');
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Content-Type: application/sdp', 'Content-Encoding: gzip'], 'x'), { ...capabilities, contentEncodings: ['gzip'] }), undefined);
  // RFC 3261 §20.11: a body the UAS may ignore does not get 415.
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Content-Type: application/x-unknown', 'Content-Disposition: render; handling=optional'], 'x'), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Content-Type: application/x-unknown', 'Content-Disposition: render;handling=required'], 'x'), capabilities)?.status, 415);
  // A body type matters only when there is a body.
  assert.equal(checkRequestAsEndpoint(request('BYE', ['Content-Type: application/x-unknown']), capabilities), undefined);
});

test('RFC 3261 §21.4.7: an INVITE whose Accept rules out SDP gets 406', () => {
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Accept: text/plain']), capabilities)?.status, 406);
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Accept:']), capabilities)?.status, 406);
  assert.equal(checkRequestAsEndpoint(request('INVITE', ['Accept: text/plain, */*']), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(request('OPTIONS', ['Accept: text/plain']), capabilities), undefined);
});

test('Max-Forwards: a UAS ignores it; an element that forwards answers 0 with 483 except for OPTIONS (RFC 3261 §16.3)', () => {
  const exhausted = (method: string): SipRequest => {
    const r = request(method);
    r.maxForwards = 0;
    return r;
  };
  assert.equal(checkRequestAsEndpoint(exhausted('INVITE'), capabilities), undefined);
  assert.equal(checkRequestAsEndpoint(exhausted('INVITE'), { ...capabilities, forwards: true })?.status, 483);
  assert.equal(checkRequestAsEndpoint(exhausted('OPTIONS'), { ...capabilities, forwards: true }), undefined);
  assert.equal(checkRequestAsEndpoint(request('INVITE'), { ...capabilities, forwards: true }), undefined);
});

test('a registrar rejects an address-of-record that is not SIP or SIPS (RFC 4475 §3.3.4)', () => {
  const registrar = { ...capabilities, methods: [...capabilities.methods, 'REGISTER'] };
  const r = request('REGISTER');
  assert.equal(checkRequestAsEndpoint(r, registrar), undefined);
  r.to = { uri: { scheme: 'isbn', user: '2983792873', host: '', params: new Map(), headers: [] }, params: new Map() };
  assert.equal(checkRequestAsEndpoint(r, registrar)?.status, 400);
});

test('responses from the checks echo the request (RFC 3261 §8.2.6.2)', () => {
  const response = checkRequestAsEndpoint(request('FOO'), capabilities)!;
  assert.equal(response.callId, 'c@h');
  assert.deepEqual(response.cseq, { seq: 1, method: 'FOO' });
  assert.equal(response.via[0]?.params.get('branch'), 'z9hG4bK1');
  // RFC 3261 §8.2.6.2: a final response carries the UAS's To tag.
  assert.match(response.to.params.get('tag') ?? '', /^[0-9a-f]{16}$/);
});

test('list headers built in memory as one comma-separated field read as their values', () => {
  const parsed = parseMessage(
    Buffer.from(
      'INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    ),
  );
  assert.ok(parsed.ok && parsed.message.kind === 'request');
  const request = parsed.message;
  request.headers.push({ name: 'Accept', value: 'text/plain, application/sdp' });
  assert.equal(checkRequestAsEndpoint(request, { methods: ['INVITE'] }), undefined);
  request.headers.push({ name: 'Require', value: 'timer, foo' });
  const refusal = checkRequestAsEndpoint(request, { methods: ['INVITE'], extensions: ['timer'] });
  assert.equal(refusal?.status, 420);
  assert.deepEqual(refusal?.headers.filter((h) => h.name === 'Unsupported').map((h) => h.value), ['foo']);
});
