/**
 * Proof 2: Dialtone places a call (the real UserAgent, an offer from createOffer: PCMA +
 * telephone-event) to SIPp's uas-echo-rtp run with -rtp_echo, reads the answer with parseAnswer,
 * opens a MediaPort towards the answer's address, and:
 * - sends N packets of a generated 1 kHz A-law tone whose SSRC, sequence numbers (crossing 65535),
 *   timestamps (crossing 2^32) and payloads we know, paced at the codec's ptime;
 * - sends RFC 4733 events (buildTelephoneEventPackets) for every keypad digit, 0-9 * # A-D;
 * - checks that everything comes back through the echo intact and in order, that the port latched
 *   to SIPp's echo port, and that the engine's TelephoneEventReceiver reports each digit once;
 * - negative controls: one flipped byte, one missing packet, one digit's packets removed are each
 *   caught by the same checks.
 * SIPp's verdict covers the SIP side (exit 0, one successful call).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RtpPacketView,
  RtpParseResult,
  buildRtpPacket,
  buildTelephoneEventPackets,
  encodeAlaw,
  type MediaPort,
} from '../../../src/media/index.js';
import { createOffer, parseAnswer } from '../../../src/sdp/index.js';
import { UserAgent, type SipCall } from '../../../src/sip/ua/index.js';
import { assertSippPassed, findFreeMediaPort, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import {
  PortRecorder,
  closeOpenPorts,
  detectDigits,
  diffStreams,
  digitString,
  formatOf,
  openLoopbackPort,
  withFlippedByte,
  type ExpectedRtp,
} from './media-harness.js';

const PACKETS = 100; // 2 s of 20 ms packets
const SSRC = 0x5eed_1234;
const FIRST_SEQUENCE = 65_480; // the sequence wraps after 56 packets
const FIRST_TIMESTAMP = 0xffff_f000; // the timestamp wraps after 26 packets
const DIGITS = '0123456789*#ABCD';
const DIGIT_MS = 100;
const GAP_MS = 50;

/** 20 ms of a 1 kHz tone at -10 dBFS-ish, A-law, packet by packet (phase carried across packets). */
function tonePayloads(count: number, samples: number): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const pcm = new Int16Array(samples);
    for (let i = 0; i < samples; i++) pcm[i] = Math.round(10_000 * Math.sin((2 * Math.PI * 1000 * (k * samples + i)) / 8000));
    const alaw = new Uint8Array(samples);
    encodeAlaw(pcm, alaw);
    payloads.push(alaw);
  }
  return payloads;
}

/** Sends one built packet through the port (sendRtp rewrites it onto the port's stream: here, a no-op). */
function send(port: MediaPort, view: RtpPacketView, datagram: Buffer): void {
  assert.equal(view.wrap(datagram), RtpParseResult.ok);
  assert.ok(port.sendRtp(view), 'sendRtp had a destination and the socket took it');
}


test('Dialtone calls SIPp uas-echo-rtp: a known A-law tone and RFC 4733 digits come back intact, in order, each digit once', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 30_000, rtpEcho: true });
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  let port: MediaPort | undefined;
  let call: SipCall | undefined;
  try {
    // The offer names the port we open afterwards (found free now, bound once the answer is known).
    const rtpPort = await findFreeMediaPort('127.0.0.1');
    const offerSdp = createOffer({ sessionId: Date.now(), sessionVersion: 1, address: '127.0.0.1', port: rtpPort, codecs: ['PCMA'], telephoneEvent: true });
    const [host, sipPort] = [sipp.address.slice(0, sipp.address.lastIndexOf(':')), Number(sipp.address.slice(sipp.address.lastIndexOf(':') + 1))];
    const outcome = await ua.invite({
      target: { scheme: 'sip', user: 'echo', host, port: sipPort, params: new Map(), headers: [] },
      from: { uri: { scheme: 'sip', user: 'dialtone', host: '127.0.0.1', params: new Map(), headers: [] }, params: new Map() },
      body: Buffer.from(offerSdp),
    }).outcome;
    assert.equal(outcome.kind, 'answered');
    call = (outcome as { call: SipCall }).call;
    const parsed = parseAnswer(call.remoteSdp?.toString('utf8') ?? '', offerSdp);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    const media = parsed.media;
    // SIPp answers "0 8 101" whatever was offered; PCMU was not offered, so PCMA is the codec.
    assert.equal(media.codec.name, 'PCMA');
    assert.equal(media.remote.port, sipp.mediaPort, "the answer names SIPp's echo port");
    const eventPt = media.telephoneEventPayloadType;
    assert.equal(typeof eventPt, 'number', 'telephone-event negotiated');
    port = await openLoopbackPort({
      format: formatOf(media),
      telephoneEventPayloadType: eventPt,
      remote: { address: media.remote.address, port: media.remote.port },
      port: rtpPort,
      ssrc: SSRC,
      initialSequenceNumber: FIRST_SEQUENCE,
      initialTimestamp: FIRST_TIMESTAMP,
    });
    assert.equal(port.local.port, rtpPort);
    const rec = new PortRecorder(port);
    const view = new RtpPacketView();
    const samples = (media.codec.ptimeMs * 8000) / 1000;

    // 1. The tone, paced at ptime (pacing only; nothing asserts on time).
    const payloads = tonePayloads(PACKETS, samples);
    const expectedAudio: ExpectedRtp[] = payloads.map((payload, i) => ({
      sequenceNumber: (FIRST_SEQUENCE + i) & 0xffff,
      timestamp: (FIRST_TIMESTAMP + i * samples) >>> 0,
      payload,
    }));
    for (const [i, e] of expectedAudio.entries()) {
      send(port, view, buildRtpPacket({ payloadType: media.codec.payloadType, sequenceNumber: e.sequenceNumber!, timestamp: e.timestamp!, ssrc: SSRC, marker: i === 0 }, e.payload));
      await sleep(media.codec.ptimeMs);
    }

    // 2. The digits: RFC 4733 packets at their sendAtMs, each digit starting where the stream's clock is.
    const expectedEvents: ExpectedRtp[] = [];
    let sequence = (FIRST_SEQUENCE + PACKETS) & 0xffff;
    let timestamp = (FIRST_TIMESTAMP + PACKETS * samples) >>> 0;
    for (const digit of DIGITS) {
      let elapsed = 0;
      for (const packet of buildTelephoneEventPackets({ digit, timestamp, durationMs: DIGIT_MS })) {
        if (packet.sendAtMs > elapsed) {
          await sleep(packet.sendAtMs - elapsed);
          elapsed = packet.sendAtMs;
        }
        expectedEvents.push({ sequenceNumber: sequence, timestamp: packet.timestamp, payload: packet.payload });
        send(port, view, buildRtpPacket({ payloadType: eventPt!, sequenceNumber: sequence, timestamp: packet.timestamp, ssrc: SSRC, marker: packet.marker }, packet.payload));
        sequence = (sequence + 1) & 0xffff;
      }
      await sleep(GAP_MS);
      timestamp = (timestamp + ((DIGIT_MS + GAP_MS) * 8000) / 1000) >>> 0;
    }

    // Bounded wait for the last echoes (loopback: they are back within a tick or two).
    for (let waited = 0; rec.all.length < expectedAudio.length + expectedEvents.length && waited < 2_000; waited += 20) await sleep(20);
    rec.flush();
    const counters = port.counters();
    t.diagnostic(`sent ${counters.rtpSent} (${PACKETS} PCMA + ${expectedEvents.length} events); echoed ${rec.audio.length} + ${rec.events.length}; latched ${JSON.stringify(rec.latches)}`);
    t.diagnostic(`digits: "${digitString(rec.digits)}"`);

    // Latched to SIPp's echo port; nothing dropped.
    assert.deepEqual(rec.latches, [{ address: '127.0.0.1', port: sipp.mediaPort }]);
    assert.equal(counters.rtpSent, expectedAudio.length + expectedEvents.length);
    assert.equal(counters.rtpMalformed + counters.rtpForeign + counters.rtpUnexpectedPayloadType, 0);

    // What came back is what went: headers we chose, payloads byte for byte, in order.
    assert.deepEqual(diffStreams(expectedAudio, rec.audio), [], 'the tone came back intact and in order');
    assert.ok(rec.audio.every((p) => p.ssrc === SSRC));
    assert.deepEqual(diffStreams(expectedEvents, rec.events), [], 'the telephone events came back intact and in order');
    assert.ok(rec.all.slice(0, PACKETS).every((p) => p.payloadType === media.codec.payloadType), 'tone first, then events');

    // Each digit detected once, with the duration sent.
    assert.equal(digitString(rec.digits), DIGITS, 'every digit reported exactly once');
    assert.ok(rec.digits.every((d) => d.durationMs === DIGIT_MS && d.source === 'rfc4733'));
    assert.equal(rec.receiver.malformedCount, 0);

    // Negative controls.
    assert.deepEqual(diffStreams(withFlippedByte(expectedAudio, 57, 0), rec.audio), ['packet 57: payload differs at byte 0 (160 expected, 160 received)']);
    assert.notDeepEqual(diffStreams(expectedAudio, rec.audio.slice(1)), [], 'a lost packet is caught');
    const perDigit = expectedEvents.length / DIGITS.length;
    const withoutB = rec.events.filter((_, i) => Math.floor(i / perDigit) !== DIGITS.indexOf('B'));
    assert.equal(digitString(detectDigits(withoutB, eventPt!)), DIGITS.replace('B', ''), 'a digit whose packets are lost is not reported');
    assert.notEqual(digitString(detectDigits(withoutB, eventPt!)), DIGITS);

    const end = await call.bye();
    assert.equal(end.status, 200);
    call = undefined;
    assertSippPassed(await sipp.done, 1, 'SIPp uas-echo-rtp');
  } finally {
    if (call !== undefined) await call.bye().catch(() => undefined);
    port?.close();
    closeOpenPorts();
    await ua.close();
    await sipp.stop();
  }
});
