import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOffer, parseAnswer, type ParseAnswerResult } from '../../../src/sdp/index.js';
import { crlf } from './fixtures.js';

const offer = createOffer({ address: '192.0.2.1', port: 20000, codecs: ['PCMU', 'PCMA', 'G722'], sessionId: 9, sessionVersion: 1 });

function answer(mLine: string, attributes: string[], connection = 'c=IN IP4 203.0.113.5'): string {
  return crlf(['v=0', 'o=root 31589 31589 IN IP4 203.0.113.5', 's=session', connection, 't=0 0', mLine, ...attributes]);
}

function accepted(result: ParseAnswerResult): Extract<ParseAnswerResult, { ok: true }>['media'] {
  assert.ok(result.ok, JSON.stringify(result));
  return result.media;
}

test('a Twilio-like 200 OK answer: codec, telephone-event, address, ptime', () => {
  const media = accepted(
    parseAnswer(
      answer('m=audio 18250 RTP/AVP 0 101', ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv']),
      offer,
    ),
  );
  assert.equal(media.codec.name, 'PCMU');
  assert.equal(media.telephoneEventPayloadType, 101);
  assert.deepEqual(media.remote, { address: '203.0.113.5', family: 'IP4', port: 18250, rtcpAddress: '203.0.113.5', rtcpPort: 18251 });
  assert.equal(media.direction, 'sendrecv');
  assert.deepEqual(media.remoteOrigin, { username: 'root', sessionId: '31589', sessionVersion: '31589' });
});

test('when the answer lists several codecs we send the first one we offered', () => {
  const media = accepted(parseAnswer(answer('m=audio 18250 RTP/AVP 3 9 0', ['a=rtpmap:3 GSM/8000', 'a=ptime:40']), offer));
  assert.equal(media.codec.name, 'G722');
  assert.equal(media.codec.ptimeMs, 40);
  assert.equal(media.telephoneEventPayloadType, null);
});

test("the answer's payload type numbers are the ones to send with (RFC 3264 §6.1)", () => {
  const media = accepted(
    parseAnswer(answer('m=audio 18250 RTP/AVP 8 100', ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:100 telephone-event/8000']), offer),
  );
  assert.equal(media.codec.name, 'PCMA');
  assert.equal(media.telephoneEventPayloadType, 100);
});

test('an answer with a codec we did not offer is refused (488, Warning 305)', () => {
  const result = parseAnswer(answer('m=audio 18250 RTP/AVP 18', ['a=rtpmap:18 G729/8000']), offer);
  assert.deepEqual(result.ok ? null : [result.status, result.warning], [488, 305]);
});

test('an answer that rejects the audio stream (port 0) is a failure', () => {
  const result = parseAnswer(answer('m=audio 0 RTP/AVP 0', []), offer);
  assert.deepEqual(result.ok ? null : [result.status, result.warning], [488, 304]);
});

test('an answer with a different number of m-lines breaks RFC 3264 §6', () => {
  const twoLines = answer('m=audio 18250 RTP/AVP 0', ['m=video 0 RTP/AVP 96']);
  const result = parseAnswer(twoLines, offer);
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, /2 m-lines for 1 offered/);
});

test('an answer to our hold (sendonly) comes back recvonly: we send, the peer is not holding us', () => {
  const holdOffer = createOffer({ address: '192.0.2.1', port: 20000, codecs: ['PCMU'], sessionId: 9, sessionVersion: 2, direction: 'sendonly' });
  const media = accepted(parseAnswer(answer('m=audio 18250 RTP/AVP 0', ['a=recvonly']), holdOffer));
  assert.equal(media.direction, 'sendonly');
  assert.equal(media.remoteHold, false);
});

test('an answer on IPv6 with an explicit RTCP address (RFC 3605)', () => {
  const media = accepted(
    parseAnswer(answer('m=audio 18250 RTP/AVP 0', ['a=rtcp:18300 IN IP6 2001:db8::7'], 'c=IN IP6 2001:db8::6'), offer),
  );
  assert.deepEqual(media.remote, { address: '2001:db8::6', family: 'IP6', port: 18250, rtcpAddress: '2001:db8::7', rtcpPort: 18300 });
});

test('a malformed answer is a 400', () => {
  const result = parseAnswer('not sdp', offer);
  assert.deepEqual(result.ok ? null : result.status, 400);
});
