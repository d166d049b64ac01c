/**
 * Proof 3: through a bridge. SIPp calls Dialtone (uac-play-pcap-digits: g711a.pcap, then the twelve
 * RFC 2833 digit pcaps); the call is answered on leg A's MediaPort, which a RelayBridge joins to leg
 * B's MediaPort, whose far end is a plain UDP socket. What must hold:
 * - SIPp's run passes; leg A latched once, to SIPp's media port;
 * - leg A delivers every pcap packet, headers and payloads as in the pcap files, and its
 *   TelephoneEventReceiver reports each of the twelve digits once, in the order played;
 * - on leg B's far side: every packet, payload byte for byte, in order; one SSRC (leg B's); sequence
 *   numbers and timestamps starting at leg B's initial values and stepping exactly as the source
 *   stepped, except at the source change (speech SSRC → DTMF SSRC), where the sequence continues by
 *   one and the timestamp moves forward (RtpStreamRewriter); the digits, detected again from what
 *   arrived, once each;
 * - negative controls: one flipped byte, one dropped digit, one wrong header step are each reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RelayBridge, type MediaPort } from '../../../src/media/index.js';
import { UserAgent } from '../../../src/sip/ua/index.js';
import { assertSippPassed, requireSipp, runSipp } from '../../support/sipp.js';
import {
  PlainRtpReceiver,
  PortRecorder,
  answerNextCall,
  closeOpenPorts,
  detectDigits,
  diffStreams,
  digitString,
  openLoopbackPort,
  sequenceSteps,
  timestampSteps,
  withFlippedByte,
  type AnsweredLeg,
} from './media-harness.js';
import { digitOfEvent, readPcapRtp, telephoneEventsOf, type PcapRtpPacket } from './pcap.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIO = join(HERE, 'scenarios', 'uac-play-pcap-digits.xml');
const TELEPHONE_EVENT_PT = 101;
const B_SSRC = 0x0d1a1707;
const B_FIRST_SEQUENCE = 65_500; // wraps past 65535 during the call
const B_FIRST_TIMESTAMP = 0xffff_0000; // wraps past 2^32 during the call

/** The pcaps the scenario plays, in order, read from the scenario itself. */
function scenarioPcaps(): string[] {
  return [...readFileSync(SCENARIO, 'utf8').matchAll(/play_pcap_audio="([^"]+)"/g)].map((m) => m[1]!);
}

/**
 * The header steps leg B must show: the source's own steps (losses and reordering upstream show
 * through unchanged), except where the source's SSRC changes, where the rewriter continues the
 * sequence by exactly one. Timestamps there are checked separately (they advance by wall time).
 */
function expectedSequenceSteps(source: readonly PcapRtpPacket[]): number[] {
  const steps: number[] = [];
  for (let i = 1; i < source.length; i++) {
    steps.push(source[i]!.ssrc !== source[i - 1]!.ssrc ? 1 : (source[i]!.sequenceNumber - source[i - 1]!.sequenceNumber) & 0xffff);
  }
  return steps;
}


test('SIPp pcap play → leg A → RelayBridge → leg B → plain RTP receiver: intact, continuous headers, digits once', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const pcaps = scenarioPcaps();
  const perPcap = pcaps.map((path) => readPcapRtp(path));
  const source = perPcap.flat();
  const speech = perPcap[0]!;
  const expectedDigits = perPcap
    .slice(1)
    .flatMap((packets) => telephoneEventsOf(packets, TELEPHONE_EVENT_PT))
    .map((e) => digitOfEvent(e.event))
    .join('');
  assert.equal(expectedDigits.length, 12, 'twelve digit pcaps, one event each');
  assert.equal(new Set(expectedDigits).size, 12, 'each digit once (a repeated pcap would repeat its RTP timestamp)');
  t.diagnostic(`scenario plays ${pcaps.length} pcaps: ${source.length} packets (${speech.length} PCMA), digits "${expectedDigits}"`);

  const far = await PlainRtpReceiver.open(TELEPHONE_EVENT_PT);
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  let legB: MediaPort | undefined;
  let bridge: RelayBridge | undefined;
  let recorderA: PortRecorder | undefined;
  let legA: AnsweredLeg | undefined;
  const answered = answerNextCall(ua, (portA) => {
    // The recorder listens first, so it sees leg A's packets before the bridge rewrites them in place.
    recorderA = new PortRecorder(portA);
    bridge = new RelayBridge(portA, legB!);
  });
  answered.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  try {
    legB = await openLoopbackPort({
      format: { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, ptimeMs: 20 },
      telephoneEventPayloadType: TELEPHONE_EVENT_PT,
      remote: far.endpoint,
      ssrc: B_SSRC,
      initialSequenceNumber: B_FIRST_SEQUENCE,
      initialTimestamp: B_FIRST_TIMESTAMP,
    });
    const sipPort = ua.endpoint.listening()[0]!.port;
    const sipp = await runSipp({
      scenario: SCENARIO,
      remote: `127.0.0.1:${sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 40_000,
      callDurationMs: Math.ceil(speech.at(-1)!.timeUs / 1000) + 300,
    });
    assertSippPassed(sipp, 1, 'SIPp uac-play-pcap-digits');
    legA = await answered;
    await legA.call.ended;
    const recA = recorderA!;
    recA.flush();
    far.flush();
    const counters = bridge!.counters();
    t.diagnostic(`leg A: ${recA.audio.length} PCMA + ${recA.events.length} events, digits "${digitString(recA.digits)}"; bridge ${JSON.stringify(counters.aToB)}`);
    t.diagnostic(`leg A reception (RFC 3550 A.3/A.8, informative): ${JSON.stringify(legA.port.reception())}`);
    t.diagnostic(`far side of leg B: ${far.packets.length} packets from ${[...far.sources].join(', ')}, digits "${digitString(far.digits)}"`);

    // Leg A: latched to SIPp, received exactly the pcaps.
    assert.equal(bridge!.mode, 'relay');
    assert.deepEqual(recA.latches, [{ address: '127.0.0.1', port: sipp.mediaPort }]);
    const expectedA = source.map((p) => ({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, payload: p.payload }));
    assert.deepEqual(diffStreams(expectedA, recA.all), [], 'leg A received the pcaps as captured');
    assert.equal(digitString(recA.digits), expectedDigits, 'leg A: each digit once, in order');

    // Across the bridge: counts, then payloads byte for byte in order.
    assert.equal(counters.aToB.relayed, speech.length);
    assert.equal(counters.aToB.dtmfRelayed, source.length - speech.length);
    assert.equal(counters.aToB.unsent + counters.aToB.dtmfDropped, 0);
    assert.equal(far.nonRtp, 0);
    assert.deepEqual([...far.sources], [`127.0.0.1:${legB.local.port}`], 'everything came from leg B');
    const expectedB = source.map((p) => ({ payload: p.payload }));
    assert.deepEqual(diffStreams(expectedB, far.packets), [], 'payloads intact and in order across the bridge');
    assert.deepEqual(
      far.packets.map((p) => p.payloadType),
      source.map((p) => p.payloadType),
    );

    // Rewritten headers: leg B's SSRC, starting values, and steps as upstream but continuous at the source change.
    assert.ok(far.packets.every((p) => p.ssrc === B_SSRC), "one SSRC on leg B: leg B's own");
    assert.equal(far.packets[0]!.sequenceNumber, B_FIRST_SEQUENCE);
    assert.equal(far.packets[0]!.timestamp, B_FIRST_TIMESTAMP);
    const wantSeq = expectedSequenceSteps(source);
    assert.deepEqual(sequenceSteps(far.packets), wantSeq, 'sequence numbers continue across the source change');
    // The scenario plays the digits in capture order: leg B's sequence only moves forward (step 0
    // only for the repeated end packets of an event, which the pcaps send with one number).
    assert.ok(sequenceSteps(far.packets).every((step) => step < 0x8000), 'leg B never steps back');
    assert.equal(sequenceSteps(far.packets).filter((step) => step === 0).length, 12 * 2, 'two repeats of each end packet');
    const change = source.findIndex((p, i) => i > 0 && p.ssrc !== source[i - 1]!.ssrc);
    assert.equal(change, speech.length, 'the one source change is speech → digits');
    const gotTs = timestampSteps(far.packets);
    const sourceTs = timestampSteps(source);
    gotTs.forEach((step, i) => {
      if (i + 1 === change) {
        // New source: forward by at least one packet (20 ms at 8 kHz), never backwards.
        assert.ok(step >= 160 && step < 0x8000_0000, `timestamp step ${step} at the source change`);
      } else {
        assert.equal(step, sourceTs[i], `timestamp step ${i} as upstream`);
      }
    });
    // Marker bits survive: the speech's first packet and each digit's start packet.
    assert.deepEqual(
      far.packets.map((p) => p.marker),
      source.map((p) => p.marker),
    );

    // Far side: the digits again, detected from what arrived, once each.
    assert.equal(digitString(far.digits), expectedDigits, 'far side: each digit once, in order');
    assert.deepEqual(
      far.digits.map((d) => d.durationMs),
      recA.digits.map((d) => d.durationMs),
    );

    // Negative controls.
    assert.deepEqual(diffStreams(withFlippedByte(expectedB, 200, 7), far.packets), [`packet 200: payload differs at byte 7 (240 expected, 240 received)`]);
    const firstEvent = far.packets.findIndex((p) => p.payloadType === TELEPHONE_EVENT_PT);
    const withoutFirstDigit = far.packets.filter((p, i) => !(i >= firstEvent && i < firstEvent + perPcap[1]!.length));
    assert.equal(digitString(detectDigits(withoutFirstDigit, TELEPHONE_EVENT_PT)), expectedDigits.slice(1), 'a dropped digit is missed, the others are still found once');
    assert.notEqual(digitString(detectDigits(withoutFirstDigit, TELEPHONE_EVENT_PT)), expectedDigits);
    const broken = far.packets.map((p, i) => (i === 10 ? { ...p, sequenceNumber: (p.sequenceNumber + 1) & 0xffff } : p));
    assert.notDeepEqual(sequenceSteps(broken), wantSeq, 'a sequence jump would be caught');
  } finally {
    bridge?.close();
    legA?.port.close();
    legB?.close();
    far.close();
    closeOpenPorts();
    await ua.close();
  }
});
