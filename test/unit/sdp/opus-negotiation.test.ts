import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { ErrorCodes, isDialtoneError } from '../../../src/kernel/index.js';
import { opusOptionsFromFmtp } from '../../../src/media/codec/index.js';
import { createOffer, negotiateAnswer, parseAnswer, SdpSession, type OfferOptions } from '../../../src/sdp/index.js';
import { crlf, G729_PHONE_OFFER } from './fixtures.js';

const base: OfferOptions = { address: '192.0.2.1', port: 20000, codecs: ['OPUS', 'PCMU'], sessionId: 1700000000, sessionVersion: 1 };

/** A softphone offering Opus the way most do (Linphone, Zoiper, FreeSWITCH), with a 48 kHz telephone-event. */
const SOFTPHONE_OPUS_OFFER = crlf([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 198.51.100.7',
  's=-',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'm=audio 49170 RTP/AVP 111 0 8 110 101',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=20000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=fmtp:110 0-15',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
]);

test('an Opus offer: opus/48000/2 (RFC 7587 §7) with our fmtp, then PCMU, one telephone-event per clock rate', () => {
  assert.equal(
    createOffer({ ...base, ptimeMs: 20 }),
    crlf([
      'v=0',
      'o=dialtone 1700000000 1 IN IP4 192.0.2.1',
      's=Dialtone',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 20000 RTP/AVP 111 0 110 101',
      'a=rtpmap:111 opus/48000/2',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:110 telephone-event/48000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=fmtp:110 0-15',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
    ]),
  );
  assert.doesNotMatch(createOffer({ ...base, codecs: ['PCMU'] }), /fmtp:0/);
  assert.match(createOffer({ ...base, fmtp: { OPUS: 'useinbandfec=1;usedtx=1' } }), /a=fmtp:111 useinbandfec=1;usedtx=1\r\n/);
  assert.doesNotMatch(createOffer({ ...base, fmtp: { OPUS: null } }), /a=fmtp:111/);
});

test('answering a softphone: Opus first with its payload type, the 48 kHz telephone-event, our fmtp; its fmtp drives our encoder', () => {
  const result = negotiateAnswer(SOFTPHONE_OPUS_OFFER, { address: '192.0.2.1', port: 20000, codecs: ['OPUS', 'PCMU'], sessionId: '9', sessionVersion: 1 });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.media.codec, {
    name: 'OPUS',
    payloadType: 111,
    clockRate: 48000,
    sampleRate: 16000,
    channels: 2,
    ptimeMs: 20,
    fmtp: 'minptime=10;useinbandfec=1;maxaveragebitrate=20000',
  });
  assert.equal(result.media.telephoneEventPayloadType, 110);
  const media = parse(result.answerSdp).media[0]!;
  assert.equal(media.payloads, '111 110');
  assert.deepEqual(media.rtp.map((r) => [r.payload, r.codec, r.rate, r.encoding]), [
    [111, 'opus', 48000, 2],
    [110, 'telephone-event', 48000, undefined],
  ]);
  assert.deepEqual(media.fmtp, [
    { payload: 111, config: 'minptime=10;useinbandfec=1' },
    { payload: 110, config: '0-15' },
  ]);
  assert.deepEqual(opusOptionsFromFmtp(result.media.codec.fmtp), { inbandFec: true, bitrate: 20000 });
});

test('Dialtone to Dialtone: our Opus offer, answered, read back as Opus at 48 kHz with the answerer’s fmtp', () => {
  const offer = createOffer(base);
  const answer = negotiateAnswer(offer, { address: '192.0.2.2', port: 30000, codecs: ['OPUS', 'PCMU'], sessionId: '5', sessionVersion: 1 });
  assert.ok(answer.ok);
  const read = parseAnswer(answer.answerSdp, offer);
  assert.ok(read.ok, JSON.stringify(read));
  assert.equal(read.media.codec.name, 'OPUS');
  assert.equal(read.media.codec.payloadType, 111);
  assert.equal(read.media.codec.clockRate, 48000);
  assert.equal(read.media.codec.fmtp, 'minptime=10;useinbandfec=1');
  assert.equal(read.media.telephoneEventPayloadType, 110);
});

test('G.729 with the other leg known: passed over when the other leg lacks it, chosen when it speaks it', () => {
  const local = { address: '192.0.2.1', port: 20000, sessionId: '77', sessionVersion: 1 };
  const lacking = negotiateAnswer(G729_PHONE_OFFER, { ...local, codecs: ['G729', 'PCMU'], otherLegCodecs: ['PCMU', 'OPUS'] });
  assert.ok(lacking.ok);
  assert.equal(lacking.media.codec.name, 'PCMU');
  const speaking = negotiateAnswer(G729_PHONE_OFFER, { ...local, codecs: ['G729', 'PCMU'], otherLegCodecs: ['G729'] });
  assert.ok(speaking.ok);
  assert.equal(speaking.media.codec.name, 'G729');
  // Transcodable codecs are unaffected by what the other leg speaks.
  const transcoded = negotiateAnswer(G729_PHONE_OFFER, { ...local, codecs: ['PCMA'], otherLegCodecs: ['OPUS'] });
  assert.ok(transcoded.ok);
  assert.equal(transcoded.media.codec.name, 'PCMA');
});

test('a G.729-only offer is refused with 488 / 305 when the other leg cannot speak G.729, naming why', () => {
  const g729Only = G729_PHONE_OFFER.replace('RTP/AVP 18 0 8 101', 'RTP/AVP 18 101');
  const result = negotiateAnswer(g729Only, { address: '192.0.2.1', port: 20000, sessionId: '1', sessionVersion: 1, codecs: ['G729', 'PCMU'], otherLegCodecs: ['OPUS'] });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.status, 488);
  assert.equal(result.warning, 305);
  assert.match(result.reason, /G729 only pass through/);
});

test('an offer leaves out G.729 when the other leg lacks it, and fails when nothing else is left', () => {
  const offer = parse(createOffer({ ...base, codecs: ['G729', 'OPUS', 'PCMU'], otherLegCodecs: ['PCMA'] }));
  assert.equal(offer.media[0]?.payloads, '111 0 110 101');
  const kept = parse(createOffer({ ...base, codecs: ['G729', 'PCMU'], otherLegCodecs: ['G729'] }));
  assert.equal(kept.media[0]?.payloads, '18 0 101');
  assert.throws(
    () => createOffer({ ...base, codecs: ['G729'], otherLegCodecs: ['PCMU'] }),
    (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.sdpNotAcceptable,
  );
});

test('SdpSession passes the other leg’s codecs and our fmtp to both offers and answers', () => {
  const session = new SdpSession({ address: '192.0.2.1', port: 20000, codecs: ['G729', 'OPUS'], otherLegCodecs: ['PCMU'], sessionId: '3' });
  assert.doesNotMatch(session.createOffer(), /G729/);
  const answerer = new SdpSession({ address: '192.0.2.1', port: 20000, codecs: ['OPUS'], fmtp: { OPUS: 'useinbandfec=1' }, sessionId: '4' });
  const result = answerer.answerOffer(SOFTPHONE_OPUS_OFFER);
  assert.ok(result.ok);
  assert.match(result.answerSdp, /a=fmtp:111 useinbandfec=1\r\n/);
});
