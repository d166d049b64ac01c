/**
 * Issue 7, end to end: the official `twilio` npm client, pointed at a running Dialtone engine
 * (`startEngine`, REST API on a real socket), places a call to SIPp (uas-echo-rtp), fetches and lists
 * it, redirects it, hangs it up, lists its recording and downloads the WAV; status callbacks arrive
 * signed and in SequenceNumber order. Once per store backend: SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, WebhookApp, startTestEngine, type EngineSetup } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { createTestDatabase, forEachBackend, type BackendName, type TestDatabase } from '../../unit/store/store-backends.js';
import type { DialtoneRequestClient } from '../../support/dialtone-request-client.js';
import { twilioClientFor } from './engine-twilio-client.js';

/** The fields of a PCM WAV header that matter here, or a failed assertion. */
function parseWav(wav: Buffer): { channels: number; sampleRate: number; bitsPerSample: number; durationSeconds: number } {
  assert.ok(wav.length >= 44, `a WAV has a 44-byte header (got ${wav.length} bytes)`);
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.toString('ascii', 8, 12), 'WAVE');
  let offset = 12;
  let format: { channels: number; sampleRate: number; byteRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      assert.equal(wav.readUInt16LE(offset + 8), 1, 'PCM');
      format = {
        channels: wav.readUInt16LE(offset + 10),
        sampleRate: wav.readUInt32LE(offset + 12),
        byteRate: wav.readUInt32LE(offset + 16),
        bitsPerSample: wav.readUInt16LE(offset + 22),
      };
    } else if (id === 'data') {
      assert.ok(format !== undefined, 'fmt comes before data');
      assert.ok(offset + 8 + size <= wav.length, 'the data chunk fits in the file');
      return { channels: format.channels, sampleRate: format.sampleRate, bitsPerSample: format.bitsPerSample, durationSeconds: size / format.byteRate };
    }
    offset += 8 + size + (size % 2);
  }
  assert.fail('no data chunk');
}

forEachBackend('the official twilio client against a running engine', (backend: BackendName) => {
  describe('calls.create → fetch → list → redirect → hang up → recordings', () => {
    let database: TestDatabase | undefined;
    let setup: EngineSetup;
    let app: WebhookApp;
    let client: twilio.Twilio;
    let http: DialtoneRequestClient;
    let apiBase: string;

    before(async () => {
      app = await WebhookApp.start();
      // SQLite lives in the engine's own data folder; PostgreSQL gets a schema of its own.
      database = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
      setup = await startTestEngine([], database === undefined ? {} : { database: database.url });
      ({ apiBase, http, client } = twilioClientFor(setup));
    });
    after(async () => {
      await setup?.close();
      await app?.close();
      await database?.dispose();
    });

    test('a call to SIPp, driven entirely through the twilio client', { timeout: 90_000 }, async (t) => {
      if (!requireSipp(t)) return;
      // trim="do-not-trim": SIPp's RTP echo sends back only what we send, and nothing is sent while <Record>
      // listens, so the recording is digital silence (every sample 0) that the default trim-silence rightly
      // empties — and Twilio skips an empty recording's action.
      app.on('/answer', '<Response><Say>Recording starts after the beep.</Say><Record maxLength="2" trim="do-not-trim" action="/recorded"/></Response>');
      app.on('/recorded', '<Response><Pause length="30"/></Response>');
      app.on('/second', '<Response><Pause length="30"/></Response>');
      const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 60_000, rtpEcho: true });
      try {
        const to = `sip:callee@${sipp.address}`;
        const created = await client.calls.create({
          to,
          from: '+15551230000',
          url: app.url('/answer'),
          statusCallback: app.url('/status'),
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        });
        assert.match(created.sid, /^CA[0-9a-f]{32}$/);
        assert.equal(created.direction, 'outbound-api');
        assert.equal(created.to, to);

        // The markup runs on the callee; the recording's action arrives once Record finished.
        const answer = await app.waitFor('/answer');
        assert.equal(answer.params['CallSid'], created.sid);
        assert.ok(answer.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, answer.signature, answer.url, answer.params), '/answer is signed');
        const recorded = await app.waitFor('/recorded');
        assert.equal(recorded.params['CallSid'], created.sid);
        assert.match(recorded.params['RecordingSid'] ?? '', /^RE[0-9a-f]{32}$/);

        const fetched = await client.calls(created.sid).fetch();
        assert.equal(fetched.sid, created.sid);
        assert.equal(fetched.status, 'in-progress');
        assert.ok(fetched.startTime instanceof Date);
        const listed = await client.calls.list({ to });
        assert.deepEqual(listed.map((call) => [call.sid, call.status]), [[created.sid, 'in-progress']]);

        // Redirect: the application sees a second, signed request for the same call.
        const redirected = await client.calls(created.sid).update({ url: app.url('/second') });
        assert.equal(redirected.sid, created.sid);
        const second = await app.waitFor('/second');
        assert.equal(second.params['CallSid'], created.sid);
        assert.equal(second.params['CallStatus'], 'in-progress');
        assert.ok(second.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, second.signature, second.url, second.params), '/second is signed');

        // Hang up: SIPp gets our BYE (its scenario passes only then), the call ends completed.
        const ended = await client.calls(created.sid).update({ status: 'completed' });
        assert.equal(ended.sid, created.sid);
        assertSippPassed(await sipp.done, 1, 'SIPp uas-echo-rtp (it needs our BYE)');
        const completed = await eventually(() => client.calls(created.sid).fetch(), (call) => call.status === 'completed');
        assert.equal(completed.status, 'completed');
        assert.ok(completed.endTime instanceof Date);
        assert.match(String(completed.duration), /^\d+$/);

        // Status callbacks: all four, signed, SequenceNumber 0..3 in arrival order.
        await app.waitFor('/status', 4);
        const callbacks = app.requestsTo('/status');
        assert.deepEqual(callbacks.map((request) => request.params['CallStatus']), ['initiated', 'ringing', 'in-progress', 'completed']);
        assert.deepEqual(callbacks.map((request) => request.params['SequenceNumber']), ['0', '1', '2', '3']);
        for (const callback of callbacks) {
          assert.equal(callback.params['CallSid'], created.sid);
          assert.ok(callback.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, callback.signature, callback.url, callback.params), 'callback is signed');
        }

        // The recording: listed for the call, and its media is a WAV of plausible length.
        const recordings = await client.recordings.list({ callSid: created.sid });
        assert.equal(recordings.length, 1);
        const recording = recordings[0]!;
        assert.equal(recording.sid, recorded.params['RecordingSid']);
        assert.equal(recording.callSid, created.sid);
        const perCall = await client.calls(created.sid).recordings.list();
        assert.deepEqual(perCall.map((item) => item.sid), [recording.sid]);
        const mediaPath = new URL(recording.mediaUrl).pathname;
        const authorization = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
        for (const path of [mediaPath, `${mediaPath}.wav`]) {
          const response = await fetch(`${apiBase}${path}`, { headers: { authorization } });
          assert.equal(response.status, 200, `GET ${path}`);
          assert.match(response.headers.get('content-type') ?? '', /audio\/(x-)?wav/);
          const wav = parseWav(Buffer.from(await response.arrayBuffer()));
          assert.equal(wav.channels, 1);
          assert.ok(wav.sampleRate >= 8000, `sample rate ${wav.sampleRate}`);
          assert.ok(wav.durationSeconds > 0.2 && wav.durationSeconds <= 2.5, `a recording of at most maxLength=2 s (got ${wav.durationSeconds} s)`);
          assert.ok(Math.abs(wav.durationSeconds - Number(recording.duration)) <= 1, `duration ${recording.duration} matches the file (${wav.durationSeconds} s)`);
        }
        assert.ok(http.seen.every((line) => line.includes(`${apiBase}/2010-04-01/Accounts/${ACCOUNT_SID}/`)), http.seen.join('\n'));
      } finally {
        await sipp.stop().catch(() => undefined);
      }
    });
  });
});
