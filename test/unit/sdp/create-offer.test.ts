import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { ErrorCodes, isDialtoneError } from '../../../src/kernel/index.js';
import { createOffer, DEFAULT_OFFER_CODECS, negotiateAnswer, type OfferOptions } from '../../../src/sdp/index.js';
import { crlf } from './fixtures.js';

const base: OfferOptions = { address: '192.0.2.1', port: 20000, codecs: ['PCMU'], sessionId: 1700000000, sessionVersion: 1 };

test('the markup codecs order is the offer order, with telephone-event for 8 kHz', () => {
  assert.equal(
    createOffer({ ...base, codecs: ['G722', 'PCMA', 'PCMU'], ptimeMs: 20 }),
    crlf([
      'v=0',
      'o=dialtone 1700000000 1 IN IP4 192.0.2.1',
      's=Dialtone',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 20000 RTP/AVP 9 8 0 101',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
    ]),
  );
});

test('G.729 is offered only when asked for; the default list is PCMU, PCMA', () => {
  assert.deepEqual(DEFAULT_OFFER_CODECS, ['PCMU', 'PCMA']);
  assert.doesNotMatch(createOffer({ ...base, codecs: DEFAULT_OFFER_CODECS }), /G729/);
  const offer = parse(createOffer({ ...base, codecs: ['G729', 'PCMU'] }));
  assert.equal(offer.media[0]?.payloads, '18 0 101');
});

test('Opus gets a dynamic type and its own 48 kHz telephone-event (RFC 7587, RFC 4733 §7.1.1)', () => {
  const offer = parse(createOffer({ ...base, codecs: ['OPUS', 'PCMU'] }));
  const media = offer.media[0]!;
  assert.deepEqual(
    media.rtp.map((r) => [r.payload, r.codec, r.rate, r.encoding]),
    [
      [111, 'opus', 48000, 2],
      [0, 'PCMU', 8000, undefined],
      [110, 'telephone-event', 48000, undefined],
      [101, 'telephone-event', 8000, undefined],
    ],
  );
});

test('IPv6 address writes IN IP6 in o= and c=', () => {
  const offer = createOffer({ ...base, address: '2001:db8::1' });
  assert.match(offer, /o=dialtone 1700000000 1 IN IP6 2001:db8::1\r\n/);
  assert.match(offer, /c=IN IP6 2001:db8::1\r\n/);
});

test('telephone-event can be left out; duplicates in the codec list are offered once', () => {
  const offer = parse(createOffer({ ...base, codecs: ['PCMU', 'PCMU', 'PCMA'], telephoneEvent: false }));
  assert.equal(offer.media[0]?.payloads, '0 8');
});

test('hold offers: a=sendonly (RFC 3264 §8.4), or also c=0.0.0.0 for RFC 2543 peers', () => {
  const modern = createOffer({ ...base, direction: 'sendonly' });
  assert.match(modern, /a=sendonly\r\n/);
  assert.match(modern, /c=IN IP4 192.0.2.1\r\n/);
  const old = createOffer({ ...base, direction: 'sendonly', holdStyle: 'rfc2543' });
  assert.match(old, /c=IN IP4 0.0.0.0\r\n/);
  assert.match(old, /o=dialtone 1700000000 1 IN IP4 192.0.2.1\r\n/);
});

test('an offer with no codec, or an unknown one, is a programming error', () => {
  assert.throws(() => createOffer({ ...base, codecs: [] }), (e: unknown) => isDialtoneError(e) && e.code === ErrorCodes.sdpNotAcceptable);
  assert.throws(
    () => createOffer({ ...base, codecs: ['ILBC' as never] }),
    (e: unknown) => isDialtoneError(e) && e.code === ErrorCodes.codecUnsupported,
  );
});

test('our offer is accepted by our own answerer with the first codec both support', () => {
  const offer = createOffer({ ...base, codecs: ['G722', 'PCMU'] });
  const result = negotiateAnswer(offer, { address: '198.51.100.2', port: 30000, codecs: ['PCMU'], sessionId: 5, sessionVersion: 1 });
  assert.ok(result.ok);
  assert.equal(result.media.codec.name, 'PCMU');
  assert.equal(result.media.telephoneEventPayloadType, 101);
});
