/**
 * Proof 1: SIPp as the caller plays Debian's g711a.pcap, then dtmf_2833_1.pcap, at a Dialtone
 * MediaPort answered through the real UserAgent with an SDP from negotiateAnswer (PCMA +
 * telephone-event). What must hold:
 * - SIPp's run passes (exit 0, one successful call): the SIP side is not broken;
 * - the port latched once, to SIPp's RTP source on 127.0.0.1;
 * - every RTP packet of the pcaps arrived, in order, with the sequence numbers, timestamps and
 *   payloads the pcap file holds (parsed here from the libpcap file, not hard-coded);
 * - the engine's TelephoneEventReceiver reports each digit the DTMF pcap encodes exactly once, with
 *   the pcap's duration;
 * - the comparisons are not vacuous: one flipped payload byte or one extra digit is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserAgent } from '../../../src/sip/ua/index.js';
import { SIPP_PCAP_DIR, assertSippPassed, requireSipp, runSipp, scenario } from '../../support/sipp.js';
import { PortRecorder, answerNextCall, closeOpenPorts, detectDigits, diffStreams, digitString, withFlippedByte, type AnsweredLeg } from './media-harness.js';
import { digitOfEvent, readPcapRtp, telephoneEventsOf, type PcapRtpPacket } from './pcap.js';

const TELEPHONE_EVENT_PT = 101;
// Read inside the tests, after requireSipp: without sip-tester the pcaps are missing too.
const speechPcap = (): PcapRtpPacket[] => readPcapRtp(join(SIPP_PCAP_DIR, 'g711a.pcap'));
const digitPcap = (): PcapRtpPacket[] => readPcapRtp(join(SIPP_PCAP_DIR, 'dtmf_2833_1.pcap'));

test('SIPp plays g711a.pcap and dtmf_2833_1.pcap at a MediaPort: latched, intact, in order, digit once', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const SPEECH = speechPcap();
  const DIGIT = digitPcap();
  // What the pcap files say SIPp will send (decoded here, so nothing is assumed blindly).
  const pcapEvents = telephoneEventsOf(DIGIT, TELEPHONE_EVENT_PT);
  assert.ok(SPEECH.length > 0 && SPEECH.every((p) => p.payloadType === 8), 'g711a.pcap holds PCMA (PT 8)');
  assert.ok(pcapEvents.length > 0, 'dtmf_2833_1.pcap holds telephone events');
  const expectedDigits = pcapEvents.map((e) => digitOfEvent(e.event)).join('');
  t.diagnostic(`pcap: ${SPEECH.length} PCMA packets, ${DIGIT.length} telephone-event packets, digits "${expectedDigits}"`);

  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  let recorder: PortRecorder | undefined;
  let leg: AnsweredLeg | undefined;
  const answered = answerNextCall(ua, (port) => {
    recorder = new PortRecorder(port);
  });
  answered.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  try {
    const sipPort = ua.endpoint.listening()[0]!.port;
    const sipp = await runSipp({
      scenario: scenario('uac-play-pcap'),
      remote: `127.0.0.1:${sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
      // The pause between the two plays: long enough for all of g711a.pcap (7.05 s), since starting
      // the DTMF play stops the speech.
      callDurationMs: Math.ceil(SPEECH.at(-1)!.timeUs / 1000) + 300,
    });
    assertSippPassed(sipp, 1, 'SIPp uac-play-pcap');
    leg = await answered;
    await leg.call.ended;
    const rec = recorder!;
    rec.flush();
    const counters = leg.port.counters();
    t.diagnostic(
      `received ${rec.audio.length} PCMA + ${rec.events.length} telephone-event packets; latched to ${JSON.stringify(rec.latches)}; ` +
        `SIPp media port ${sipp.mediaPort}; counters ${JSON.stringify(counters)}`,
    );
    t.diagnostic(`digits: ${rec.digits.map((d) => `${d.digit} (${d.durationMs} ms)`).join(', ')}`);

    // Negotiation: SIPp offered 8 and 101; we answered with them.
    assert.equal(leg.media.codec.name, 'PCMA');
    assert.equal(leg.media.telephoneEventPayloadType, TELEPHONE_EVENT_PT);
    assert.match(leg.answerSdp, new RegExp(`^m=audio ${leg.port.local.port} RTP/AVP 8 ${TELEPHONE_EVENT_PT}\\r?$`, 'm'));

    // Symmetric latching: once, to the source SIPp plays from, on loopback.
    assert.equal(rec.latches.length, 1, 'latched exactly once');
    assert.deepEqual(rec.latches[0], { address: '127.0.0.1', port: sipp.mediaPort }, "SIPp plays from its media port (-mp)");
    assert.deepEqual(leg.port.latched, rec.latches[0]);
    assert.equal(counters.rtpForeign, 0);
    assert.equal(counters.rtpMalformed, 0);
    assert.equal(counters.rtpUnexpectedPayloadType, 0);

    // Audio: every packet, in order, header and payload as in the pcap.
    const expectedAudio = SPEECH.map((p) => ({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, payload: p.payload }));
    assert.deepEqual(diffStreams(expectedAudio, rec.audio), [], 'the PCMA stream matches g711a.pcap');
    assert.ok(rec.audio.every((p) => p.ssrc === SPEECH[0]!.ssrc));
    // Audio first, then only the digit.
    assert.deepEqual(
      rec.all.map((p) => p.payloadType),
      [...SPEECH, ...DIGIT].map((p) => p.payloadType),
      'all the speech, then all the telephone events',
    );

    // Telephone events: every packet as in the pcap (start, updates, the three end packets).
    const expectedEvents = DIGIT.map((p) => ({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, payload: p.payload }));
    assert.deepEqual(diffStreams(expectedEvents, rec.events), [], 'the telephone-event stream matches dtmf_2833_1.pcap');
    assert.equal(counters.rtpAccepted, SPEECH.length + DIGIT.length);

    // Digits: each once, with the duration the pcap's end packets carry.
    assert.equal(digitString(rec.digits), expectedDigits, 'every digit reported exactly once');
    assert.deepEqual(
      rec.digits.map((d) => d.durationMs),
      pcapEvents.map((e) => (e.duration * 1000) / 8000),
    );
    assert.equal(rec.receiver.malformedCount, 0);
    // Timing: the digit started after the last speech packet arrived (the plays are sequential).
    assert.ok(rec.digits[0]!.startMs >= rec.audio.at(-1)!.arrivalMs);

    // Negative controls: the same comparisons catch one flipped byte and a digit too many or missing.
    const flipped = diffStreams(withFlippedByte(expectedAudio, 117, 42), rec.audio);
    assert.deepEqual(flipped, ['packet 117: payload differs at byte 42 (240 expected, 240 received)']);
    assert.notDeepEqual(diffStreams(expectedAudio.slice(1), rec.audio), [], 'a missing packet is reported');
    // The detector counts events, not packets: the whole capture delivered twice is still one digit
    // each (RFC 4733 retransmissions), the same packets as a second event (new RTP timestamp) make
    // the count differ, and without the packets there is no digit.
    assert.equal(digitString(detectDigits([...rec.events, ...rec.events], TELEPHONE_EVENT_PT)), expectedDigits);
    const secondEvent = rec.events.map((p) => ({ ...p, timestamp: (p.timestamp + 8000) >>> 0 }));
    assert.equal(digitString(detectDigits([...rec.events, ...secondEvent], TELEPHONE_EVENT_PT)), expectedDigits + expectedDigits);
    assert.notEqual(digitString(detectDigits([...rec.events, ...secondEvent], TELEPHONE_EVENT_PT)), digitString(rec.digits));
    assert.equal(digitString(detectDigits(rec.audio, TELEPHONE_EVENT_PT)), '', 'no events, no digit');
  } finally {
    leg?.port.close();
    closeOpenPorts();
    await ua.close();
  }
});

test('negative: the same pcaps when our answer refuses telephone-event: events dropped and counted, no digit', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const SPEECH = speechPcap();
  const DIGIT = digitPcap();
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  let recorder: PortRecorder | undefined;
  let leg: AnsweredLeg | undefined;
  const answered = answerNextCall(ua, (port) => (recorder = new PortRecorder(port)), { telephoneEvent: false });
  answered.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  try {
    const sipp = await runSipp({
      scenario: scenario('uac-play-pcap'),
      remote: `127.0.0.1:${ua.endpoint.listening()[0]!.port}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
      callDurationMs: 1_000, // cuts the speech short: this run is about the digit
    });
    assertSippPassed(sipp, 1, 'SIPp uac-play-pcap');
    leg = await answered;
    await leg.call.ended;
    const rec = recorder!;
    rec.flush();
    const counters = leg.port.counters();
    t.diagnostic(`answer without telephone-event: ${rec.audio.length} PCMA packets delivered, counters ${JSON.stringify(counters)}`);
    assert.equal(leg.media.telephoneEventPayloadType, null);
    assert.doesNotMatch(leg.answerSdp, /telephone-event/);
    // SIPp plays the DTMF pcap regardless; the port drops what was not negotiated, and counts it.
    assert.equal(counters.rtpUnexpectedPayloadType, DIGIT.length);
    assert.equal(rec.events.length, 0);
    assert.equal(digitString(rec.digits), '', 'no digit without negotiated telephone-event');
    // The speech that played (the DTMF play stops it) is still a clean prefix of the pcap.
    assert.ok(rec.audio.length > 0 && rec.audio.length < SPEECH.length, `${rec.audio.length} of ${SPEECH.length} speech packets`);
    const prefix = SPEECH.slice(0, rec.audio.length).map((p) => ({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, payload: p.payload }));
    assert.deepEqual(diffStreams(prefix, rec.audio), []);
  } finally {
    leg?.port.close();
    closeOpenPorts();
    await ua.close();
  }
});
