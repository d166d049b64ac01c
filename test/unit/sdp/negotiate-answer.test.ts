import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { ErrorCodes } from '../../../src/kernel/index.js';
import { negotiateAnswer, type AnswerOptions, type AnswerResult } from '../../../src/sdp/index.js';
import {
  AUDIO_VIDEO_OFFER,
  BARESIP_OFFER,
  crlf,
  G729_PHONE_OFFER,
  IPV6_OFFER,
  SAVP_THEN_AVP_OFFER,
  SIPP_UAC_OFFER,
  TWILIO_OFFER,
  WEBRTC_OFFER,
  withDirection,
} from './fixtures.js';

const local: AnswerOptions = { address: '192.0.2.1', port: 20000, codecs: ['PCMU', 'PCMA', 'G722'], sessionId: '77', sessionVersion: 1 };

function accept(offer: string, options: Partial<AnswerOptions> = {}): Extract<AnswerResult, { ok: true }> {
  const result = negotiateAnswer(offer, { ...local, ...options });
  assert.ok(result.ok, JSON.stringify(result));
  return result;
}

test('SIPp uac: PCMU only, no telephone-event; RTCP on port + 1', () => {
  const { media, answerSdp } = accept(SIPP_UAC_OFFER);
  assert.deepEqual(media.codec, { name: 'PCMU', payloadType: 0, clockRate: 8000, sampleRate: 8000, channels: 1, ptimeMs: 20, fmtp: null });
  assert.equal(media.telephoneEventPayloadType, null);
  assert.deepEqual(media.remote, { address: '127.0.0.1', family: 'IP4', port: 6000, rtcpAddress: '127.0.0.1', rtcpPort: 6001 });
  assert.equal(media.direction, 'sendrecv');
  assert.deepEqual(media.remoteOrigin, { username: 'user1', sessionId: '53655765', sessionVersion: '2353687637' });
  assert.equal(
    answerSdp,
    crlf([
      'v=0',
      'o=dialtone 77 1 IN IP4 192.0.2.1',
      's=Dialtone',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 20000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=ptime:20',
      'a=sendrecv',
    ]),
  );
});

test("Twilio-like offer: the offer's order wins over ours (RFC 3264 §6.1), telephone-event kept", () => {
  const { media, answerSdp } = accept(TWILIO_OFFER, { codecs: ['PCMA', 'PCMU'] });
  assert.equal(media.codec.name, 'PCMU');
  assert.equal(media.telephoneEventPayloadType, 101);
  assert.equal(media.remote.address, '203.0.113.11');
  const answer = parse(answerSdp);
  assert.equal(answer.media[0]?.payloads, '0 101');
  assert.deepEqual(answer.media[0]?.fmtp, [{ payload: 101, config: '0-15' }]);
});

test('baresip: Opus is skipped when not accepted, G.722 chosen; a=rtcp gives the RTCP port (RFC 3605)', () => {
  const { media } = accept(BARESIP_OFFER);
  assert.equal(media.codec.name, 'G722');
  assert.equal(media.codec.payloadType, 9);
  assert.equal(media.codec.clockRate, 8000);
  assert.equal(media.codec.sampleRate, 16000);
  assert.equal(media.remote.rtcpPort, 10105);
  assert.equal(media.telephoneEventPayloadType, 101);
});

test('Opus accepted: offer payload type kept, the peer’s fmtp kept for our encoder, ours in the answer (RFC 7587 §7.1), no 8 kHz events', () => {
  const { media, answerSdp } = accept(BARESIP_OFFER, { codecs: ['OPUS', 'PCMU'] });
  assert.equal(media.codec.name, 'OPUS');
  assert.equal(media.codec.payloadType, 96);
  assert.equal(media.codec.clockRate, 48000);
  assert.equal(media.codec.fmtp, 'stereo=1;sprop-stereo=1');
  // RFC 4733 §7.1.1: telephone-event/8000 does not go with a 48 kHz stream.
  assert.equal(media.telephoneEventPayloadType, null);
  // Each side declares what it receives: we decode mono, take 10 ms packets, welcome in-band FEC.
  assert.match(answerSdp, /a=rtpmap:96 opus\/48000\/2\r\na=fmtp:96 minptime=10;useinbandfec=1\r\n/);
  // When Opus passes through, the call layer declares the other leg's parameters instead.
  const through = accept(BARESIP_OFFER, { codecs: ['OPUS'], fmtp: { OPUS: 'stereo=1;sprop-stereo=1' } });
  assert.match(through.answerSdp, /a=rtpmap:96 opus\/48000\/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n/);
});

test('G.729 offered first is passed over when it would need transcoding; ptime 30 honoured', () => {
  const { media } = accept(G729_PHONE_OFFER);
  assert.equal(media.codec.name, 'PCMU');
  assert.equal(media.codec.ptimeMs, 30);
});

test('G.729 is chosen when both legs speak it, with its annexb parameter', () => {
  const { media, answerSdp } = accept(G729_PHONE_OFFER, { codecs: ['G729', 'PCMU'] });
  assert.equal(media.codec.name, 'G729');
  assert.equal(media.codec.fmtp, 'annexb=no');
  assert.match(answerSdp, /m=audio 20000 RTP\/AVP 18 101\r\n/);
});

test('a G.729-only offer to a leg that cannot pass it through is refused with 488 / Warning 305', () => {
  const g729Only = G729_PHONE_OFFER.replace('RTP/AVP 18 0 8 101', 'RTP/AVP 18 101');
  const result = negotiateAnswer(g729Only, local);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.status, 488);
  assert.equal(result.code, ErrorCodes.sdpNotAcceptable);
  assert.equal(result.warning, 305);
  assert.match(result.reason, /no common codec: offered G729/);
});

test('IPv6: media-level c= wins over session level; static types without rtpmap; dynamic telephone-event kept', () => {
  const { media, answerSdp } = accept(IPV6_OFFER, { address: '2001:db8::1' });
  assert.equal(media.codec.name, 'PCMA');
  assert.equal(media.telephoneEventPayloadType, 96);
  assert.deepEqual(media.remote, { address: '2001:db8::11', family: 'IP6', port: 7078, rtcpAddress: '2001:db8::11', rtcpPort: 7079 });
  assert.match(answerSdp, /o=dialtone 77 1 IN IP6 2001:db8::1\r\n/);
  assert.match(answerSdp, /c=IN IP6 2001:db8::1\r\n/);
  assert.match(answerSdp, /m=audio 20000 RTP\/AVP 8 96\r\n/);
});

test('a video stream is rejected with port 0 and the m-line order is kept (RFC 3264 §6)', () => {
  const { media, answerSdp } = accept(AUDIO_VIDEO_OFFER);
  assert.equal(media.mediaIndex, 1);
  const answer = parse(answerSdp);
  assert.deepEqual(
    answer.media.map((m) => [m.type, m.port, m.protocol, String(m.payloads)]),
    [
      ['video', 0, 'RTP/AVP', '96'],
      ['audio', 20000, 'RTP/AVP', '0 101'],
    ],
  );
});

test('an SRTP audio line is rejected and the following RTP/AVP one accepted', () => {
  const { media, answerSdp } = accept(SAVP_THEN_AVP_OFFER);
  assert.equal(media.mediaIndex, 1);
  assert.equal(media.remote.port, 4002);
  assert.deepEqual(parse(answerSdp).media.map((m) => m.port), [0, 20000]);
});

test('a WebRTC-only (DTLS-SRTP) offer is refused with 488 / Warning 304', () => {
  const result = negotiateAnswer(WEBRTC_OFFER, local);
  assert.deepEqual(result.ok ? null : [result.status, result.warning], [488, 304]);
});

const holdCases: Array<[string, string, string, boolean]> = [
  ['sendonly (RFC 3264 §8.4 hold)', 'sendonly', 'recvonly', true],
  ['inactive', 'inactive', 'inactive', true],
  ['recvonly (the peer only listens)', 'recvonly', 'sendonly', false],
  ['sendrecv', 'sendrecv', 'sendrecv', false],
];
for (const [name, offered, answered, remoteHold] of holdCases) {
  test(`direction ${name} is mirrored as ${answered}`, () => {
    const { media, answerSdp } = accept(withDirection(TWILIO_OFFER, offered));
    assert.equal(media.direction, answered);
    assert.equal(media.remoteHold, remoteHold);
    assert.match(answerSdp, new RegExp(`a=${answered}\\r\\n`));
  });
}

test('RFC 2543 hold (c=0.0.0.0) is hold: we answer recvonly and must not send', () => {
  const { media } = accept(TWILIO_OFFER.replace('c=IN IP4 203.0.113.11', 'c=IN IP4 0.0.0.0'));
  assert.equal(media.remoteHold, true);
  assert.equal(media.direction, 'recvonly');
  assert.equal(media.remote.address, '0.0.0.0');
});

test('a session-level direction attribute applies to the stream', () => {
  const offer = SIPP_UAC_OFFER.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n');
  assert.equal(accept(offer).media.direction, 'recvonly');
});

test('our own hold intent is intersected with the mirrored offer', () => {
  assert.equal(accept(TWILIO_OFFER, { direction: 'sendonly' }).media.direction, 'sendonly');
  assert.equal(accept(withDirection(TWILIO_OFFER, 'sendonly'), { direction: 'sendonly' }).media.direction, 'inactive');
});

test('our ptime is written in the answer when given; sending keeps the offer ptime', () => {
  const { media, answerSdp } = accept(G729_PHONE_OFFER, { ptimeMs: 20 });
  assert.equal(media.codec.ptimeMs, 30);
  assert.match(answerSdp, /a=ptime:20\r\n/);
});

test('telephone-event can be declined, leaving in-band DTMF', () => {
  const { media, answerSdp } = accept(TWILIO_OFFER, { telephoneEvent: false });
  assert.equal(media.telephoneEventPayloadType, null);
  assert.doesNotMatch(answerSdp, /telephone-event/);
});

test('SDP that does not parse, or lacks c=, is a 400 with sdpMalformed', () => {
  for (const bad of ['hello', 'v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n', SIPP_UAC_OFFER.replace('c=IN IP4 127.0.0.1\r\n', '')]) {
    const result = negotiateAnswer(bad, local);
    assert.equal(result.ok, false, bad);
    if (!result.ok) {
      assert.equal(result.status, 400);
      assert.equal(result.code, ErrorCodes.sdpMalformed);
    }
  }
});

test('an offer whose only audio stream is already disabled (port 0) is refused', () => {
  const result = negotiateAnswer(SIPP_UAC_OFFER.replace('m=audio 6000', 'm=audio 0'), local);
  assert.deepEqual(result.ok ? null : [result.status, result.warning], [488, 304]);
});

test('64-bit o= session ids and versions are kept exactly (RFC 4566 §5.2)', () => {
  const offer = SIPP_UAC_OFFER.replace('o=user1 53655765 2353687637', 'o=- 4611731400430051336 18446744073709551615');
  assert.deepEqual(accept(offer).media.remoteOrigin, { username: '-', sessionId: '4611731400430051336', sessionVersion: '18446744073709551615' });
});
