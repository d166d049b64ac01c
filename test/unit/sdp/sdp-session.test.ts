import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { SdpSession } from '../../../src/sdp/index.js';
import { TWILIO_OFFER, withDirection } from './fixtures.js';

function session(): SdpSession {
  return new SdpSession({ address: '192.0.2.1', port: 20000, codecs: ['PCMU', 'PCMA'], sessionId: '4242' });
}

function version(sdp: string): number {
  return parse(sdp).origin.sessionVersion;
}

function direction(sdp: string): string | undefined {
  return parse(sdp).media[0]?.direction;
}

/** The peer's answer to whatever we offered: mirrors our direction, as a compliant UA would. */
function peerAnswer(offerSdp: string, peerVersion: number): string {
  const mirrored = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' }[direction(offerSdp) ?? 'sendrecv'];
  return [
    'v=0',
    `o=peer 88 ${peerVersion} IN IP4 203.0.113.9`,
    's=-',
    'c=IN IP4 203.0.113.9',
    't=0 0',
    'm=audio 40000 RTP/AVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${mirrored}`,
    '',
  ].join('\r\n');
}

test('UAC: re-sending an unchanged offer keeps the version; hold and resume each increment it (RFC 3264 §8)', () => {
  const sdp = session();
  const first = sdp.createOffer();
  assert.equal(version(first), 1);
  assert.equal(sdp.acceptAnswer(peerAnswer(first, 1)).ok, true);
  assert.equal(version(sdp.createOffer()), 1); // session refresh re-INVITE with nothing changed

  const hold = sdp.hold();
  assert.equal(version(hold), 2);
  assert.equal(direction(hold), 'sendonly');
  assert.equal(sdp.holding, true);
  const held = sdp.acceptAnswer(peerAnswer(hold, 2));
  assert.ok(held.ok);
  assert.equal(held.media.direction, 'sendonly');

  const resume = sdp.resume();
  assert.equal(version(resume), 3);
  assert.equal(direction(resume), 'sendrecv');
  assert.equal(sdp.holding, false);
  assert.equal(String(parse(resume).origin.sessionId), '4242');
});

test('UAC: RFC 2543-style hold writes c=0.0.0.0; resume restores the address', () => {
  const sdp = session();
  sdp.createOffer();
  assert.match(sdp.hold('rfc2543'), /c=IN IP4 0.0.0.0\r\n/);
  assert.match(sdp.resume(), /c=IN IP4 192.0.2.1\r\n/);
});

test('UAC early media: the 183 answer and the 200 OK repeating it carry the same origin', () => {
  const sdp = session();
  const offer = sdp.createOffer();
  const early = sdp.acceptAnswer(peerAnswer(offer, 5));
  const final = sdp.acceptAnswer(peerAnswer(offer, 5));
  assert.ok(early.ok && final.ok);
  assert.deepEqual(final.media.remoteOrigin, early.media.remoteOrigin);
  assert.deepEqual(sdp.media, final.media);
});

test('an answer without a pending offer is refused', () => {
  const result = session().acceptAnswer(peerAnswer(TWILIO_OFFER, 1));
  assert.equal(result.ok, false);
});

test('UAS: the 183 and 200 carry the same answer; a re-INVITE hold and unhold change it and its version', () => {
  const sdp = session();
  const first = sdp.answerOffer(TWILIO_OFFER);
  assert.ok(first.ok);
  assert.equal(version(first.answerSdp), 1);
  assert.equal(sdp.localSdp, first.answerSdp); // what the 200 OK repeats after a 183

  const refresh = sdp.answerOffer(TWILIO_OFFER);
  assert.ok(refresh.ok);
  assert.equal(refresh.answerSdp, first.answerSdp);

  const held = sdp.answerOffer(withDirection(TWILIO_OFFER, 'sendonly'));
  assert.ok(held.ok);
  assert.equal(version(held.answerSdp), 2);
  assert.equal(direction(held.answerSdp), 'recvonly');
  assert.equal(held.media.remoteHold, true);

  const unheld = sdp.answerOffer(TWILIO_OFFER);
  assert.ok(unheld.ok);
  assert.equal(version(unheld.answerSdp), 3);
  assert.equal(direction(unheld.answerSdp), 'sendrecv');
});

test('holding a peer that already holds us offers inactive (RFC 3264 §8.4)', () => {
  const sdp = session();
  assert.ok(sdp.answerOffer(withDirection(TWILIO_OFFER, 'sendonly')).ok);
  assert.equal(direction(sdp.hold()), 'inactive');
});

test('a refused re-INVITE offer leaves the version and the agreed media as they were', () => {
  const sdp = session();
  const first = sdp.answerOffer(TWILIO_OFFER);
  assert.ok(first.ok);
  const refused = sdp.answerOffer(TWILIO_OFFER.replace('RTP/AVP 0 8 101', 'RTP/AVP 18 101').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000'));
  assert.equal(refused.ok, false);
  assert.equal(sdp.sessionVersion, 1);
  assert.deepEqual(sdp.media, first.media);
});
