import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createErrorResponse, createResponse, parseMessage, serializeMessage, type SipRequest } from '../../../../src/sip/message/index.js';

function request(text: string): SipRequest {
  const result = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!result.ok) throw new Error(result.error.reason);
  assert.equal(result.message.kind, 'request');
  return result.message as SipRequest;
}

const invite = `INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;rport
Via: SIP/2.0/TCP proxy.example.com:5061;branch=z9hG4bK1
Max-Forwards: 70
Record-Route: <sip:proxy.example.com;lr>
To: Bob <sip:bob@example.com>
From: Alice <sip:alice@example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.example.com
CSeq: 314159 INVITE
Timestamp: 54
Contact: <sip:alice@pc33.example.com>
Content-Length: 0

`;

test('a response copies Via (all, in order), From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2)', () => {
  const req = request(invite);
  const response = createResponse(req, 486);
  assert.equal(response.kind, 'response');
  assert.equal(response.status, 486);
  assert.equal(response.reason, 'Busy Here');
  assert.deepEqual(response.via, req.via);
  assert.deepEqual(response.from, req.from);
  assert.deepEqual(response.to, req.to);
  assert.equal(response.callId, req.callId);
  assert.deepEqual(response.cseq, { seq: 314159, method: 'INVITE' });
  assert.equal(response.contact, undefined);
  assert.equal(response.maxForwards, undefined);
});

test('the To tag is added only when the request has none', () => {
  const req = request(invite);
  assert.equal(createResponse(req, 200, undefined, { toTag: 'abc' }).to.params.get('tag'), 'abc');
  req.to.params.set('tag', 'existing');
  assert.equal(createResponse(req, 200, undefined, { toTag: 'abc' }).to.params.get('tag'), 'existing');
});

test('the response is a deep copy: changing it leaves the request alone', () => {
  const req = request(invite);
  const response = createResponse(req, 200, undefined, { toTag: 'x' });
  response.via[0]!.params.set('received', '192.0.2.1');
  response.from.uri.params.set('x', null);
  assert.equal(req.via[0]!.params.has('received'), false);
  assert.equal(req.from.uri.params.has('x'), false);
  assert.equal(req.to.params.has('tag'), false);
});

test('Record-Route is copied into dialog-creating responses only (RFC 3261 §12.1.1)', () => {
  const req = request(invite);
  assert.equal(createResponse(req, 180, undefined, { toTag: 't' }).recordRoute?.length, 1);
  assert.equal(createResponse(req, 200, undefined, { toTag: 't' }).recordRoute?.[0]?.uri.host, 'proxy.example.com');
  assert.equal(createResponse(req, 100).recordRoute, undefined);
  assert.equal(createResponse(req, 486).recordRoute, undefined);
});

test('100 Trying copies Timestamp (RFC 3261 §8.2.6.1); others do not', () => {
  const req = request(invite);
  assert.deepEqual(createResponse(req, 100).headers, [{ name: 'Timestamp', value: '54' }]);
  assert.deepEqual(createResponse(req, 180).headers, []);
});

test('custom reason, extra headers, body and content type', () => {
  const req = request(invite);
  const body = Buffer.from('v=0\r\n');
  const response = createResponse(req, 200, 'Fine', { headers: [{ name: 'Supported', value: 'timer' }], body, contentType: 'application/sdp' });
  assert.equal(response.reason, 'Fine');
  assert.deepEqual(response.headers, [{ name: 'Supported', value: 'timer' }]);
  assert.equal(response.contentType, 'application/sdp');
  const wire = serializeMessage(response).toString('utf8');
  assert.match(wire, /^SIP\/2\.0 200 Fine\r\n/);
  assert.match(wire, /\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
});

test('default reason phrases come from RFC 3261 §21; an unknown code takes its class phrase', () => {
  const req = request(invite);
  assert.equal(createResponse(req, 481).reason, 'Call/Transaction Does Not Exist');
  assert.equal(createResponse(req, 505).reason, 'Version Not Supported');
  assert.equal(createResponse(req, 499).reason, 'Bad Request');
  assert.equal(createResponse(req, 699).reason, 'Busy Everywhere');
});

test('createErrorResponse answers a malformed request from its parsed essentials, with a To tag', () => {
  const bad = Buffer.from(invite.replace('Max-Forwards: 70', 'Max-Forwards: 70\nContent-Length: 3').replace(/\n/g, '\r\n'));
  const parsed = parseMessage(bad);
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.equal(parsed.error.status, 400);
  assert.match(parsed.error.reason, /Content-Length/);
  const response = createErrorResponse(parsed.error);
  assert.ok(response);
  assert.equal(response.status, 400);
  assert.equal(response.reason, parsed.error.reason);
  assert.equal(response.via.length, 2);
  assert.equal(response.callId, 'a84b4c76e66710@pc33.example.com');
  assert.equal(response.cseq.method, 'INVITE');
  assert.ok((response.to.params.get('tag') ?? '').length >= 8);
});

test('createErrorResponse gives nothing for responses, ACKs, or without the essentials', () => {
  const partial = request(invite);
  const base = { status: 400, reason: 'Bad Request (x)', partial: { via: partial.via, from: partial.from, to: partial.to, callId: partial.callId, cseq: partial.cseq } };
  assert.ok(createErrorResponse({ ...base, isRequest: true }));
  assert.equal(createErrorResponse({ ...base, isRequest: false }), undefined);
  assert.equal(createErrorResponse({ ...base, isRequest: true, partial: { ...base.partial, method: 'ACK', cseq: { seq: 1, method: 'ACK' } } }), undefined);
  assert.equal(createErrorResponse({ ...base, isRequest: true, partial: { ...base.partial, callId: undefined } }), undefined);
  assert.equal(createErrorResponse({ ...base, isRequest: true, partial: { ...base.partial, via: [] } }), undefined);
});
