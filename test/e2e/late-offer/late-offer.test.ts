/**
 * Delayed ("late") offer end to end (RFC 3261 §13.2.1, RFC 3264 §4): SIPp calls with an INVITE that
 * carries no SDP, as Cisco CUCM does by default. The engine's 200 must carry the offer (SIPp checks
 * it) and SIPp's ACK carries the answer, which points at an RTP port of the test's own (the "ear"):
 * what the caller hears arrives there, and what the caller says leaves from there.
 *
 * - The answer picks PCMA, not the offer's first codec: the caller hears <Say> in PCMA and its RFC 4733
 *   digit reaches <Gather>.
 * - A re-INVITE without SDP on such a call (RFC 3261 §14.2) gets our offer of the session as it is,
 *   and the ACK's answer moves the audio to a new address.
 * - A late-offer caller <Dial answerOnBridge>s SIPp's RTP echo: its tone crosses the bridge to the
 *   callee and back (audio both ways), and `*` (hangupOnStar) ends the dialled leg. The Dial records
 *   from ringing, before the ACK's answer replaced the caller's port: the caller's channel is still
 *   in the recording (the recording follows the leg onto its new port).
 * - An ACK without SDP leaves the offer unanswered: the engine ends the call with a BYE whose Reason
 *   header (RFC 3326) says 488 (SIPp checks it), and records a notification. So does an answer that
 *   names none of the offered codecs (G.729).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { ErrorCodes, systemClock } from '../../../src/kernel/index.js';
import { bindUdpSocket, createPayloadCodec, MediaPort, parseWav, pcmSamples } from '../../../src/media/index.js';
import type { MediaLeg } from '../../../src/call/adapters/media-leg.js';
import { assertSippPassed, requireSipp, runSipp, startSipp, type SippResult } from '../../support/sipp.js';
import { Caller, ownPortRange, startTestEngine, WebhookApp, within, type CallerCodec, type EngineSetup } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';

const { VoiceResponse } = twilio.twiml;
const scenarios = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const TELEPHONE_EVENT_PT = 101;
const payloadTypes: Record<CallerCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };

interface LateOfferEngine extends EngineSetup {
  /** The caller's media leg of the last inbound call. */
  media(): MediaLeg | undefined;
}

async function startLateOfferEngine(app: WebhookApp): Promise<LateOfferEngine> {
  let media: MediaLeg | undefined;
  const setup = await startTestEngine(
    [{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }],
    { media: { portRange: ownPortRange(36000) } },
    { onInboundCall: (started) => void (media = started.media) },
  );
  return { ...setup, media: () => media };
}

/** The caller's RTP port, named in SIPp's answer: it decodes what it hears with the answered codec. */
interface Ear {
  port: MediaPort;
  heard: { packets: number; samples: number[] };
}

async function openEar(codec: CallerCodec): Promise<Ear> {
  // RTP only, on a port the system picks: nothing else on a busy machine can hold it.
  const port = new MediaPort({
    rtp: await bindUdpSocket('127.0.0.1', 0),
    clock: systemClock,
    format: { payloadType: payloadTypes[codec], encodingName: codec, clockRate: 8000, ptimeMs: 20 },
    telephoneEventPayloadType: TELEPHONE_EVENT_PT,
    rtpTimeoutMs: 0,
    rtcpIntervalMs: 0,
  });
  const decoder = createPayloadCodec(codec);
  const heard = { packets: 0, samples: [] as number[] };
  const pcm = new Int16Array(1024);
  port.on('packet', (packet) => {
    heard.packets++;
    const count = decoder.decode(packet.payload(), pcm);
    for (let i = 0; i < count; i++) heard.samples.push(pcm[i]!);
  });
  port.once('closed', () => decoder.close());
  return { port, heard };
}

/** SIPp as the late-offer caller; its ACK answers `codec` at the ear. Resolves when SIPp is done. */
function lateOfferCaller(sipPort: number, ear: Ear, codec: CallerCodec): Promise<SippResult> {
  return runSipp({
    scenario: join(scenarios, 'uac-late-offer-answer-in-ack.xml'),
    remote: `127.0.0.1:${sipPort}`,
    transport: 'u1',
    calls: 1,
    timeoutMs: 50_000,
    keys: { ear_port: String(ear.port.local.port), answer_pt: String(payloadTypes[codec]), answer_codec: codec },
  });
}

/** The engine's RTP port for the caller once the ACK's answer settled it (a detached port, port 0, until then). */
async function settledMediaPort(setup: LateOfferEngine): Promise<number> {
  const port = await eventually(async () => setup.media()?.port.local.port ?? 0, (value) => value !== 0);
  assert.notEqual(port, 0, 'the ACK settled the caller\'s media');
  return port;
}

test('late offer: the 200 carries our offer, the ACK answers PCMA; the caller hears <Say> and its RFC 4733 digit reaches <Gather>', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const app = await WebhookApp.start();
  const first = new VoiceResponse();
  first.gather({ numDigits: 1, action: '/pressed', timeout: 20 }).say('Press one, then wait for the goodbye.');
  app.on('/voice', first.toString());
  const second = new VoiceResponse();
  second.hangup();
  app.on('/pressed', second.toString());
  const setup = await startLateOfferEngine(app);
  const ear = await openEar('PCMA');
  // Caller's RTP helpers (RFC 4733 digits); SIPp is the SIP side of this call.
  const rtp = await Caller.start();
  try {
    const caller = lateOfferCaller(setup.sipPort, ear, 'PCMA');
    // The prompt reaches the ear, which latches onto the engine's RTP port (symmetric RTP) to answer.
    await within(eventually(async () => ear.heard.packets, (packets) => packets >= 25), 30_000, 'the <Say> prompt at the caller');
    const peak = ear.heard.samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    assert.ok(peak > 2000, `the caller hears speech, not silence (peak ${peak})`);
    assert.equal(setup.media()?.negotiated.codec.name, 'PCMA', 'the ACK\'s answer chose the codec');
    await rtp.sendDigits(ear.port, '1');
    const pressed = await within(app.waitFor('/pressed'), 20_000, 'the <Gather> action');
    assert.equal(pressed.params['Digits'], '1');
    // The action's <Hangup>: our BYE, which the SIPp scenario waits for.
    assertSippPassed(await caller, 1, 'SIPp late-offer caller');
    const stored = await eventually(() => setup.engine.store.calls.get(pressed.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  } finally {
    ear.port.close();
    await rtp.close();
    await setup.close();
    await app.close();
  }
});

test('late offer, then a re-INVITE without SDP: our 200 offers the session as it is and the ACK\'s answer moves the audio to a new address', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const app = await WebhookApp.start();
  const first = new VoiceResponse();
  first
    .gather({ numDigits: 1, action: '/pressed', timeout: 20 })
    .say('This prompt is long on purpose. It goes on while the caller moves its audio to a new address, and it keeps going for a while after that.');
  app.on('/voice', first.toString());
  const second = new VoiceResponse();
  second.hangup();
  app.on('/pressed', second.toString());
  const setup = await startLateOfferEngine(app);
  const ear = await openEar('PCMA');
  const moved = await openEar('PCMA');
  const rtp = await Caller.start();
  try {
    const caller = runSipp({
      scenario: join(scenarios, 'uac-late-offer-reinvite-without-sdp.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 50_000,
      keys: { ear_port: String(ear.port.local.port), ear2_port: String(moved.port.local.port) },
    });
    // The prompt reaches the address of the re-INVITE's answer; the caller presses 1 from there.
    await within(eventually(async () => moved.heard.packets, (packets) => packets >= 25), 30_000, 'the prompt at the new address');
    await rtp.sendDigits(moved.port, '1');
    const pressed = await within(app.waitFor('/pressed'), 20_000, 'the <Gather> action');
    assert.equal(pressed.params['Digits'], '1');
    // SIPp's verdict covers our offer in the re-INVITE's 200 (PCMA and telephone-event, o= version 2).
    assertSippPassed(await caller, 1, 'SIPp late-offer caller with an offerless re-INVITE');
  } finally {
    ear.port.close();
    moved.port.close();
    await rtp.close();
    await setup.close();
    await app.close();
  }
});

test('late offer: the caller <Dial answerOnBridge record="record-from-ringing-dual">s SIPp\'s RTP echo and is bridged: its tone comes back through the callee, and both are recorded', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  // The callee rings a while: recording from ringing is under way on the caller's port that waits
  // for the ACK's answer before our 200 goes out.
  const callee = await startSipp({ scenario: join(scenarios, 'uas-ring-then-echo-rtp.xml'), transport: 'u1', calls: 1, timeoutMs: 50_000, rtpEcho: true, callDurationMs: 1_500 });
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  voice
    .dial({ action: '/dial-action', answerOnBridge: true, hangupOnStar: true, record: 'record-from-ringing-dual', trim: 'do-not-trim' })
    .sip(`sip:echo@127.0.0.1:${callee.port}`);
  app.on('/voice', voice.toString());
  const after = new VoiceResponse();
  after.hangup();
  app.on('/dial-action', after.toString());
  const setup = await startLateOfferEngine(app);
  const ear = await openEar('PCMU');
  const rtp = await Caller.start();
  try {
    const caller = lateOfferCaller(setup.sipPort, ear, 'PCMU');
    // answerOnBridge: our 200 (with the offer) goes only once the callee answered; nothing plays
    // before the bridge, so the caller speaks first, to the port our offer named.
    ear.port.setRemote({ address: '127.0.0.1', port: await within(settledMediaPort(setup), 30_000, 'the ACK') });
    await rtp.sendTone(ear.port, 1_000);
    await within(eventually(async () => ear.heard.packets, (packets) => packets >= 25), 20_000, 'the echo at the caller');
    const peak = ear.heard.samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    assert.ok(peak > 4000, `what came back is the tone (peak ${peak})`);
    // `*` ends the dialled leg (our BYE to the echo); the action's <Hangup> ends the caller's.
    await rtp.sendDigits(ear.port, '*');
    const action = await within(app.waitFor('/dial-action'), 20_000, 'the <Dial> action');
    assert.equal(action.params['DialCallStatus'], 'completed');
    assertSippPassed(await caller, 1, 'SIPp late-offer caller');
    assertSippPassed(await callee.done, 1, 'SIPp callee (uas-ring-then-echo-rtp)');
    // The caller's tone on the left channel: its audio reached the port the ACK's answer built.
    const recording = await setup.engine.store.recordings.get(action.params['RecordingSid'] ?? '');
    assert.ok(recording !== undefined, 'the <Dial> action names the recording');
    const wav = parseWav(await readFile(recording.filePath));
    assert.equal(wav.channels, 2);
    const samples = pcmSamples(wav);
    const peaks = [0, 0];
    for (let i = 0; i < samples.length; i++) peaks[i % 2] = Math.max(peaks[i % 2]!, Math.abs(samples[i]!));
    assert.ok(peaks[0]! > 4000, `the caller's tone is on the left channel (peak ${peaks[0]})`);
    assert.ok(peaks[1]! > 4000, `the callee's echo is on the right channel (peak ${peaks[1]})`);
  } finally {
    ear.port.close();
    await rtp.close();
    await setup.close();
    await callee.stop();
    await app.close();
  }
});

/** The call ended and a notification (sdpNotAcceptable) says why, in words matching `why`. */
async function assertEndedForItsAnswer(setup: LateOfferEngine, callSid: string, why: RegExp): Promise<void> {
  const notes = await eventually(
    async () => (await setup.engine.store.notifications.list({ callSid })).items,
    (items) => items.some((note) => note.errorCode === ErrorCodes.sdpNotAcceptable),
  );
  const note = notes.find((candidate) => candidate.errorCode === ErrorCodes.sdpNotAcceptable);
  assert.ok(note !== undefined, 'a notification says why the call ended');
  assert.match(note.messageText, why);
  const stored = await eventually(() => setup.engine.store.calls.get(callSid), (call) => call?.endTime != null);
  assert.ok(stored?.endTime != null, 'the call ended');
}

test('late offer: an ACK without SDP leaves our offer unanswered: BYE with Reason cause=488 and a notification', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  voice.say('Nobody will hear this.');
  app.on('/voice', voice.toString());
  const setup = await startLateOfferEngine(app);
  try {
    const result = await runSipp({
      scenario: join(scenarios, 'uac-late-offer-ack-without-sdp.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
    });
    // SIPp's verdict covers the offer in our 200 and the Reason header of our BYE.
    assertSippPassed(result, 1, 'SIPp late-offer caller, ACK without SDP');
    await assertEndedForItsAnswer(setup, (await app.waitFor('/voice')).params['CallSid']!, /no SDP answer/);
  } finally {
    await setup.close();
    await app.close();
  }
});

test('late offer: an ACK whose answer holds none of our codecs (G.729) ends the call with BYE; nothing is sent to it', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  voice.say('Nobody will hear this.');
  app.on('/voice', voice.toString());
  const setup = await startLateOfferEngine(app);
  const ear = await openEar('PCMU');
  try {
    // The scenario waits for our BYE: its verdict says the call was ended.
    assertSippPassed(await runSipp({
      scenario: join(scenarios, 'uac-late-offer-answer-in-ack.xml'),
      remote: `127.0.0.1:${setup.sipPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
      keys: { ear_port: String(ear.port.local.port), answer_pt: '18', answer_codec: 'G729' },
    }), 1, 'SIPp late-offer caller answering G.729');
    await assertEndedForItsAnswer(setup, (await app.waitFor('/voice')).params['CallSid']!, /not usable/);
    assert.equal(ear.port.counters().rtpReceived, 0, 'no RTP went to an address whose answer we could not use');
  } finally {
    ear.port.close();
    await setup.close();
    await app.close();
  }
});
