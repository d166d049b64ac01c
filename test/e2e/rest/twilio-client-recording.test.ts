/**
 * Record=true on a call created with the official `twilio` client (Twilio's RecordingSource
 * OutboundAPI): the whole call is recorded from the answer, listed under the call, downloadable as a
 * WAV, and reported to RecordingStatusCallback (and on the `completed` status callback) with Twilio's
 * parameters, signed.
 *
 * Dual channel: channel 1 (left) is the called party (what the engine receives), channel 2 (right)
 * what the engine sends it. SIPp's RTP echo sends back the <Say> it hears, so both channels carry it;
 * a SIPp callee that sends nothing leaves channel 1 silent while channel 2 carries the <Say>, or, when
 * the markup <Dial>s a third party that rings first, the ringback the engine plays it (sent on the
 * call's port by the <Dial>, not by a prompt of the document).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { parseWav, pcmSamples } from '../../../src/media/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, WebhookApp, startTestEngine, type AppRequest, type EngineSetup } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { twilioClientFor } from './engine-twilio-client.js';

/** SIPp's RTP echo that rings for `callDurationMs` before it answers (the late-offer tests' scenario). */
const RING_THEN_ECHO = join(dirname(fileURLToPath(import.meta.url)), '..', 'late-offer', 'scenarios', 'uas-ring-then-echo-rtp.xml');
const RFC_2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/** Each channel's peak amplitude and the file's length, from a downloaded 16-bit WAV. */
function channelPeaks(wavFile: Buffer): { channels: number; sampleRate: number; durationSeconds: number; peaks: number[] } {
  const wav = parseWav(wavFile);
  assert.equal(wav.encoding, 'pcm16');
  const samples = pcmSamples(wav);
  const peaks = new Array<number>(wav.channels).fill(0);
  for (let i = 0; i < samples.length; i++) {
    const channel = i % wav.channels;
    peaks[channel] = Math.max(peaks[channel]!, Math.abs(samples[i]!));
  }
  return { channels: wav.channels, sampleRate: wav.sampleRate, durationSeconds: samples.length / wav.channels / wav.sampleRate, peaks };
}

describe('Record=true through the twilio client', () => {
  let setup: EngineSetup;
  let app: WebhookApp;
  let client: twilio.Twilio;
  let apiBase: string;

  before(async () => {
    app = await WebhookApp.start();
    setup = await startTestEngine([]);
    ({ client, apiBase } = twilioClientFor(setup));
  });
  after(async () => {
    await setup?.close();
    await app?.close();
  });

  function assertSigned(request: AppRequest): void {
    assert.ok(request.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, request.signature, request.url, request.params), `${request.path} is signed`);
  }

  /** The recording's media as the client's media_url names it, with the account's credentials. */
  async function download(mediaUrl: string): Promise<Buffer> {
    const authorization = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    const response = await fetch(`${apiBase}${new URL(mediaUrl).pathname}.wav`, { headers: { authorization } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /audio\/(x-)?wav/);
    return Buffer.from(await response.arrayBuffer());
  }

  test('dual channel, to an RTP echo running <Say>: listed under the call, a two-channel WAV with audio on both, and the recording callbacks field by field', { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    app.on('/echo-answer', '<Response><Say>This call is recorded from the answer, on two channels.</Say></Response>');
    const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 90_000, rtpEcho: true });
    try {
      const created = await client.calls.create({
        to: `sip:callee@${sipp.address}`,
        from: '+15551230000',
        url: app.url('/echo-answer'),
        statusCallback: app.url('/echo-status'),
        record: true,
        recordingChannels: 'dual',
        recordingStatusCallback: app.url('/echo-recording'),
        recordingStatusCallbackEvent: ['in-progress', 'completed'],
      });
      // The document runs out after the <Say>: our BYE, which the scenario waits for.
      assertSippPassed(await sipp.done, 1, 'SIPp uas-echo-rtp (it needs our BYE)');

      const started = await app.waitFor('/echo-recording', 1);
      const finished = await app.waitFor('/echo-recording', 2);
      const recordingSid = started.params['RecordingSid'] ?? '';
      assert.match(recordingSid, /^RE[0-9a-f]{32}$/);
      const common = {
        AccountSid: ACCOUNT_SID,
        CallSid: created.sid,
        RecordingSid: recordingSid,
        RecordingUrl: `http://127.0.0.1:8080/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`,
        RecordingChannels: '2',
        RecordingSource: 'OutboundAPI',
        RecordingTrack: 'both',
        RecordingStartTime: started.params['RecordingStartTime'],
      };
      assert.match(started.params['RecordingStartTime'] ?? '', RFC_2822);
      assert.deepEqual(started.params, { ...common, RecordingStatus: 'in-progress' });
      const duration = finished.params['RecordingDuration'] ?? '';
      assert.match(duration, /^[1-9]\d*$/, 'the <Say> lasts at least a second');
      assert.deepEqual(finished.params, { ...common, RecordingStatus: 'completed', RecordingDuration: duration });
      assertSigned(started);
      assertSigned(finished);
      assert.equal(finished.method, 'POST');

      // Twilio: "The recording_url is sent to the status_callback URL" — on the completed event.
      const status = await app.waitFor('/echo-status');
      assert.equal(status.params['CallStatus'], 'completed');
      assert.equal(status.params['RecordingSid'], recordingSid);
      assert.equal(status.params['RecordingUrl'], common.RecordingUrl);
      assert.equal(status.params['RecordingDuration'], duration);
      assertSigned(status);

      const listed = await client.calls(created.sid).recordings.list();
      assert.deepEqual(listed.map((recording) => recording.sid), [recordingSid]);
      const recording = listed[0]!;
      assert.equal(recording.callSid, created.sid);
      assert.equal(recording.source, 'OutboundAPI');
      assert.equal(recording.channels, 2);
      assert.equal(recording.status, 'completed');
      assert.equal(String(recording.duration), duration);
      assert.deepEqual((await client.recordings.list({ callSid: created.sid })).map((item) => item.sid), [recordingSid]);

      const wav = channelPeaks(await download((await client.recordings(recordingSid).fetch()).mediaUrl));
      assert.equal(wav.channels, 2);
      assert.equal(wav.sampleRate, 8000);
      assert.ok(Math.abs(wav.durationSeconds - Number(duration)) <= 1, `RecordingDuration ${duration} matches the file (${wav.durationSeconds} s)`);
      assert.ok(wav.peaks[0]! > 2000, `channel 1 (the called party) carries the echoed <Say> (peak ${wav.peaks[0]})`);
      assert.ok(wav.peaks[1]! > 2000, `channel 2 (what the engine sends) carries the <Say> (peak ${wav.peaks[1]})`);
    } finally {
      await sipp.stop().catch(() => undefined);
    }
  });

  test("a RecordingStatusCallback that keeps failing holds back none of the call's status callbacks", { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    app.on('/down-answer', '<Response><Say>This call is recorded.</Say></Response>');
    app.on('/down-recording', { status: 503, body: 'down for maintenance', contentType: 'text/plain' });
    const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 90_000, rtpEcho: true });
    try {
      const created = await client.calls.create({
        to: `sip:callee@${sipp.address}`,
        from: '+15551230000',
        url: app.url('/down-answer'),
        statusCallback: app.url('/down-status'),
        statusCallbackEvent: ['answered', 'completed'],
        record: true,
        recordingStatusCallback: app.url('/down-recording'),
        recordingStatusCallbackEvent: ['in-progress', 'completed'],
      });
      assertSippPassed(await sipp.done, 1, 'SIPp uas-echo-rtp (it needs our BYE)');
      // The recording's in-progress callback was tried (and refused) before the call ended.
      assert.equal((await app.waitFor('/down-recording', 1)).params['RecordingStatus'], 'in-progress');
      const statuses = await eventually(
        async () => app.requestsTo('/down-status'),
        (list) => list.some((request) => request.params['CallStatus'] === 'completed'),
      );
      assert.deepEqual(
        statuses.map((request) => [request.params['CallSid'], request.params['CallStatus']]),
        [
          [created.sid, 'in-progress'],
          [created.sid, 'completed'],
        ],
      );
      // The recording's own queue is still at its head: its completed waits behind its in-progress.
      assert.ok(app.requestsTo('/down-recording').every((request) => request.params['RecordingStatus'] === 'in-progress'));
    } finally {
      await sipp.stop().catch(() => undefined);
    }
  });

  test('dual channel, to a callee that sends nothing: channel 2 carries the <Say> it was sent, channel 1 stays silent', { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    app.on('/silent-answer', '<Response><Say>Only this side of the call speaks.</Say></Response>');
    const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 90_000 });
    try {
      const created = await client.calls.create({
        to: `sip:callee@${sipp.address}`,
        from: '+15551230000',
        url: app.url('/silent-answer'),
        record: true,
        recordingChannels: 'dual',
        recordingStatusCallback: app.url('/silent-recording'),
      });
      assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');
      // RecordingStatusCallbackEvent defaults to `completed` alone.
      const finished = await app.waitFor('/silent-recording');
      assert.equal(finished.params['RecordingStatus'], 'completed');
      assert.equal(finished.params['CallSid'], created.sid);
      assertSigned(finished);
      const recording = await eventually(() => client.recordings(finished.params['RecordingSid']!).fetch(), (fetched) => fetched.status === 'completed');
      const wav = channelPeaks(await download(recording.mediaUrl));
      assert.equal(wav.channels, 2);
      assert.equal(wav.peaks[0], 0, 'channel 1 is the called party, who said nothing');
      assert.ok(wav.peaks[1]! > 2000, `channel 2 carries the <Say> (peak ${wav.peaks[1]})`);
      assert.equal(app.requestsTo('/silent-recording').length, 1, 'no in-progress callback unless asked for');
    } finally {
      await sipp.stop().catch(() => undefined);
    }
  });

  test('a <Dial> on the recorded call: the ringback it plays while the dialled party rings is on channel 2', { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const dialled = await startSipp({ scenario: RING_THEN_ECHO, transport: 'u1', calls: 1, timeoutMs: 90_000, rtpEcho: true, callDurationMs: 2_000 });
    const called = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 90_000 });
    try {
      // No prompt in the document: whatever channel 2 holds was sent by the <Dial>.
      app.on('/dial-answer', `<Response><Dial timeLimit="1"><Sip>sip:dialled@${dialled.address}</Sip></Dial></Response>`);
      const created = await client.calls.create({
        to: `sip:callee@${called.address}`,
        from: '+15551230000',
        url: app.url('/dial-answer'),
        record: true,
        recordingChannels: 'dual',
        trim: 'do-not-trim',
        recordingStatusCallback: app.url('/dial-recording'),
      });
      assertSippPassed(await dialled.done, 1, 'SIPp uas-ring-then-echo-rtp (the dialled party: it needs our BYE)');
      assertSippPassed(await called.done, 1, 'SIPp uas-answer-200 (the called party: it needs our BYE)');
      const finished = await app.waitFor('/dial-recording');
      assert.equal(finished.params['CallSid'], created.sid, 'the recording belongs to the REST call, not to the <Dial>\'s child');
      assert.equal(finished.params['RecordingStatus'], 'completed');
      const recording = await eventually(() => client.recordings(finished.params['RecordingSid']!).fetch(), (fetched) => fetched.status === 'completed');
      const wav = channelPeaks(await download(recording.mediaUrl));
      assert.equal(wav.channels, 2);
      assert.equal(wav.peaks[0], 0, 'the called party said nothing');
      assert.ok(wav.peaks[1]! > 1000, `channel 2 carries the ringback (peak ${wav.peaks[1]})`);
    } finally {
      await dialled.stop().catch(() => undefined);
      await called.stop().catch(() => undefined);
    }
  });
});
