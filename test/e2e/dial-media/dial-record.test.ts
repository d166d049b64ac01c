/**
 * `<Dial record>` end to end (issue 6: "each record mode producing a WAV of the right length and
 * channel count"). Our caller calls the engine as `dialtone start` builds it and sends a 440 Hz tone;
 * the application dials the demo's built-in phone, which rings for a known while, answers and sends a
 * 1 kHz tone; the caller hangs up. For each mode the test checks what an application relies on:
 *
 * - the action request and the recordingStatusCallback carry RecordingUrl, RecordingSid and
 *   RecordingDuration, and the recording row is on the caller's call (RecordingSource DialVerb);
 * - the WAV downloads from the REST API with the account's credentials, has one channel (mono: both
 *   parties mixed) or two (dual: the caller left, the callee right — told apart by their tones);
 * - its length is the time it covered, within a packet: from the answer (record-from-answer*) or from
 *   the first ringing (record-from-ringing*), to the caller's hang-up. The moments are bracketed by
 *   what the test sees (the callee's 200, the in-progress recording callback, the BYE, the action).
 * - do-not-record makes neither a file nor a row; `trim="trim-silence"` removes the silence before the
 *   parties speak, `do-not-trim` keeps it.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import twilio from 'twilio';
import { DemoPhone, type PhoneCall } from '../../../src/cli/demo/demo-phone.js';
import { SipLadder } from '../../../src/cli/demo/sip-ladder.js';
import type { IncomingCall } from '../../../src/sip/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, sleep, startTestEngine, WebhookApp, type AppRequest, type EngineSetup, within } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { CALLEE_HZ, CALLER_HZ, downloadRecording, PACKET_MS, peakOf, slice, toneShare, type Recording } from './support.js';

const hangupDocument = '<Response><Hangup/></Response>';

interface RecordedDial {
  /** The `record`, `trim` (and any other) attributes of the <Dial>. */
  attributes: string;
  /** How long the callee rings before answering. */
  ringMs: number;
  /** How long after the answer the parties stay silent before their tones start. */
  silentMs?: number;
  /** How long the tones go on before the caller hangs up. */
  talkMs: number;
  /** Whether a recording is expected (its status callbacks are then awaited). Default true. */
  recorded?: boolean;
}

interface Observed {
  setup: EngineSetup;
  action: AppRequest;
  /** recordingStatusCallback requests, in order. */
  recordingCallbacks: AppRequest[];
  /** Date.now() at each moment the test saw (ms). */
  at: { invite: number; answered: number; inProgress: number | undefined; tones: number; bye: number; action: number };
}

/**
 * Runs one recorded call and hands what it observed to `check` while the engine still runs (the
 * recording is downloaded from its REST API).
 */
async function recordedDial(flow: RecordedDial, check: (observed: Observed) => Promise<void>): Promise<void> {
  const callee = await DemoPhone.start('kate', new SipLadder());
  const app = await WebhookApp.start();
  app.on(
    '/voice',
    `<Response><Dial action="/after" ${flow.attributes} recordingStatusCallback="/recording" recordingStatusCallbackEvent="in-progress completed absent"><Sip>${callee.uri}</Sip></Dial></Response>`,
  );
  app.on('/after', hangupDocument);
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  const at = { invite: 0, answered: 0, inProgress: undefined as number | undefined, tones: 0, bye: 0, action: 0 };
  void app.waitFor('/recording').then((request) => {
    if (request.params['RecordingStatus'] === 'in-progress') at.inProgress = Date.now();
  });
  const answered = new Promise<PhoneCall>((resolve, reject) => {
    callee.ua.onIncomingCall((incoming: IncomingCall) => {
      at.invite = Date.now();
      callee.answer(incoming, flow.ringMs).then((call) => {
        at.answered = Date.now();
        resolve(call);
      }, reject);
    });
  });
  try {
    const placed = await within(caller.call(setup.sipPort), 10_000, 'the engine to answer the caller');
    assert.ok(placed.answered, 'the engine answers the caller before <Dial> (no answerOnBridge)');
    const phone = await within(answered, 15_000, 'the callee to answer');
    await sleep(flow.silentMs ?? 0);
    at.tones = Date.now();
    const stopCalleeTone = callee.sendTone(phone.port, CALLEE_HZ);
    await caller.sendTone(placed.port, flow.talkMs);
    stopCalleeTone();
    at.bye = Date.now();
    await placed.call.bye();
    const action = await within(app.waitFor('/after'), 15_000, 'the Dial action');
    at.action = Date.now();
    assert.ok(twilio.validateRequest(AUTH_TOKEN, action.signature ?? '', action.url, action.params), 'the action is signed');
    const last =
      flow.recorded === false
        ? app.requestsTo('/recording')
        : await within(
            eventually(async () => app.requestsTo('/recording'), (list) => list.some((request) => request.params['RecordingStatus'] !== 'in-progress')),
            15_000,
            'the recording’s last status callback',
          );
    await check({ setup, action, recordingCallbacks: [...last], at });
    await within(phone.call.ended, 10_000, 'the callee’s call to end');
  } finally {
    await caller.close();
    await setup.close();
    await callee.close();
    await app.close();
  }
}

/** The action and the recording callbacks agree on the recording, its row is on the caller's call; returns the WAV. */
async function checkRecording(observed: Observed, channels: 1 | 2): Promise<Recording> {
  const { action, recordingCallbacks, setup } = observed;
  const recordingSid = action.params['RecordingSid'] ?? '';
  assert.match(recordingSid, /^RE[0-9a-f]{32}$/);
  assert.equal(action.params['RecordingUrl'], `http://127.0.0.1:8080/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`);
  assert.match(action.params['RecordingDuration'] ?? '', /^\d+$/);
  assert.equal(action.params['DialCallStatus'], 'completed');
  assert.equal(action.params['DialBridged'], 'true');

  // Seed 004: recordingStatusCallback, "in-progress" when it starts, "completed" with the length.
  assert.deepEqual(recordingCallbacks.map((request) => request.params['RecordingStatus']), ['in-progress', 'completed']);
  for (const callback of recordingCallbacks) {
    assert.ok(twilio.validateRequest(AUTH_TOKEN, callback.signature ?? '', callback.url, callback.params), 'the recording callback is signed');
    assert.equal(callback.params['RecordingSid'], recordingSid);
    assert.equal(callback.params['RecordingUrl'], action.params['RecordingUrl']);
    assert.equal(callback.params['CallSid'], action.params['CallSid']);
    assert.equal(callback.params['AccountSid'], ACCOUNT_SID);
    assert.equal(callback.params['RecordingChannels'], String(channels));
    assert.equal(callback.params['RecordingSource'], 'DialVerb');
  }
  // They are delivered in the recording's own queue: a recordingStatusCallback that keeps failing
  // holds back neither the call's status callbacks nor anything else.
  const queued = await setup.engine.store.outbox.list({ callSid: action.params['CallSid'] ?? '' });
  assert.deepEqual(
    queued.filter((entry) => entry.params['RecordingSid'] === recordingSid).map((entry) => [entry.deliveryQueue, entry.sequenceNumber]),
    [
      [recordingSid, 0],
      [recordingSid, 1],
    ],
  );
  const completed = recordingCallbacks[1]!;
  assert.equal(completed.params['RecordingDuration'], action.params['RecordingDuration']);

  const row = await setup.engine.store.recordings.get(recordingSid);
  assert.equal(row?.callSid, action.params['CallSid'], 'the recording belongs to the caller’s call');
  assert.equal(row?.source, 'DialVerb');
  assert.equal(row?.channels, channels);
  assert.equal(row?.status, 'completed');

  const recording = await downloadRecording(setup, action.params['RecordingUrl']!);
  assert.equal(recording.wav.channels, channels);
  assert.equal(recording.wav.sampleRate, 8000);
  assert.equal(action.params['RecordingDuration'], String(Math.round(recording.seconds)), 'RecordingDuration is the WAV’s length');
  return recording;
}

/** The recording's length lies between the least and the most time it can have covered, give or take a packet. */
function assertCovers(recording: Recording, least: number, most: number): void {
  const ms = recording.seconds * 1000;
  assert.ok(ms >= least - PACKET_MS && ms <= most + PACKET_MS, `recording of ${ms.toFixed(0)} ms, expected ${least}–${most} ms`);
}

/** Dual: the caller's tone on the left channel, the callee's on the right, over the last `talkMs` before the hang-up. */
function assertDualChannels(recording: Recording, talkMs: number): void {
  const [left, right] = recording.channels as [Int16Array, Int16Array];
  // The middle of the stretch where both tones played (the hang-up ends the file a little after them).
  const end = recording.seconds - 0.3;
  const from = end - talkMs / 1000 + 0.4;
  const callerSide = slice(left, from, end);
  const calleeSide = slice(right, from, end);
  assert.ok(toneShare(callerSide, CALLER_HZ) > 0.3, `left channel carries the caller’s ${CALLER_HZ} Hz (share ${toneShare(callerSide, CALLER_HZ).toFixed(2)})`);
  assert.ok(toneShare(callerSide, CALLEE_HZ) < 0.05, `left channel does not carry the callee’s ${CALLEE_HZ} Hz`);
  assert.ok(toneShare(calleeSide, CALLEE_HZ) > 0.3, `right channel carries the callee’s ${CALLEE_HZ} Hz (share ${toneShare(calleeSide, CALLEE_HZ).toFixed(2)})`);
  assert.ok(toneShare(calleeSide, CALLER_HZ) < 0.05, `right channel does not carry the caller’s ${CALLER_HZ} Hz`);
}

/** Mono: both tones mixed in the one channel. */
function assertMixed(recording: Recording, talkMs: number): void {
  const [mono] = recording.channels as [Int16Array];
  const end = recording.seconds - 0.3;
  const both = slice(mono, end - talkMs / 1000 + 0.4, end);
  assert.ok(toneShare(both, CALLER_HZ) > 0.1, `the caller’s ${CALLER_HZ} Hz is in the mix (share ${toneShare(both, CALLER_HZ).toFixed(2)})`);
  assert.ok(toneShare(both, CALLEE_HZ) > 0.1, `the callee’s ${CALLEE_HZ} Hz is in the mix (share ${toneShare(both, CALLEE_HZ).toFixed(2)})`);
}

test('record="do-not-record": no RecordingUrl on the action, no recording row, no file, no recording callback', { timeout: 60_000 }, async () => {
  await recordedDial({ attributes: 'record="do-not-record"', ringMs: 0, talkMs: 1_000, recorded: false }, async ({ setup, action, recordingCallbacks }) => {
    assert.equal(action.params['DialCallStatus'], 'completed');
    assert.equal(action.params['RecordingUrl'], undefined);
    assert.equal(action.params['RecordingSid'], undefined);
    assert.equal(action.params['RecordingDuration'], undefined);
    const rows = await setup.engine.store.recordings.list({ callSid: action.params['CallSid']! });
    assert.deepEqual(rows.items, []);
    const files = await readdir(join(setup.dataDir, 'recordings')).catch(() => []);
    assert.deepEqual(files, [], 'nothing in the recordings folder');
    assert.deepEqual(recordingCallbacks, [], 'no recording callback');
  });
});

test('record="record-from-answer": one mixed channel, from the answer to the hang-up', { timeout: 60_000 }, async () => {
  const flow = { attributes: 'record="record-from-answer"', ringMs: 1_000, talkMs: 2_000 };
  await recordedDial(flow, async (observed) => {
    const recording = await checkRecording(observed, 1);
    const { at } = observed;
    // It starts at the answer (not before the callee's 200, not after its in-progress callback) and ends at the BYE.
    assertCovers(recording, at.bye - (at.inProgress ?? at.action), at.action - (at.invite + flow.ringMs));
    assertMixed(recording, flow.talkMs);
  });
});

test('record="record-from-answer-dual": two channels, the caller left and the callee right', { timeout: 60_000 }, async () => {
  const flow = { attributes: 'record="record-from-answer-dual"', ringMs: 1_000, talkMs: 2_000 };
  await recordedDial(flow, async (observed) => {
    const recording = await checkRecording(observed, 2);
    const { at } = observed;
    assertCovers(recording, at.bye - (at.inProgress ?? at.action), at.action - (at.invite + flow.ringMs));
    assertDualChannels(recording, flow.talkMs);
  });
});

test('record="record-from-ringing": starts while the callee rings, so it covers the ringing as well as the talk', { timeout: 60_000 }, async () => {
  const flow = { attributes: 'record="record-from-ringing"', ringMs: 2_000, talkMs: 2_000 };
  await recordedDial(flow, async (observed) => {
    const recording = await checkRecording(observed, 1);
    const { at } = observed;
    assert.ok(at.inProgress !== undefined && at.inProgress < at.answered, 'the recording was in progress before the callee answered');
    // From the callee's first ringing (after the INVITE reached it) to the BYE: at least the ringing time plus the talk.
    assertCovers(recording, at.bye - at.inProgress, at.action - at.invite);
    assertMixed(recording, flow.talkMs);
  });
});

test('record="record-from-ringing-dual": the ringing time is on the caller’s channel alone, then both', { timeout: 60_000 }, async () => {
  const flow = { attributes: 'record="record-from-ringing-dual"', ringMs: 2_000, talkMs: 2_000 };
  await recordedDial(flow, async (observed) => {
    const recording = await checkRecording(observed, 2);
    const { at } = observed;
    assert.ok(at.inProgress !== undefined && at.inProgress < at.answered, 'the recording was in progress before the callee answered');
    assertCovers(recording, at.bye - at.inProgress, at.action - at.invite);
    assertDualChannels(recording, flow.talkMs);
    // Nothing on the callee's channel while it rang: the recording had started by its in-progress
    // callback, the callee's audio comes only after its answer.
    const [, right] = recording.channels as [Int16Array, Int16Array];
    const ringing = slice(right, 0, (at.answered - at.inProgress - PACKET_MS) / 1000);
    assert.ok(ringing.length > 0 && peakOf(ringing) < 64, 'the callee’s channel is silent while it rings');
  });
});

test('trim="do-not-trim" keeps the silence after the answer; trim="trim-silence" removes it', { timeout: 90_000 }, async () => {
  for (const trim of ['do-not-trim', 'trim-silence']) {
    const flow = { attributes: `record="record-from-answer-dual" trim="${trim}"`, ringMs: 500, silentMs: 1_500, talkMs: 1_500 };
    await recordedDial(flow, async (observed) => {
      const recording = await checkRecording(observed, 2);
      const { at } = observed;
      const [left, right] = recording.channels as [Int16Array, Int16Array];
      const opening = Math.max(peakOf(slice(left, 0, 0.2)), peakOf(slice(right, 0, 0.2)));
      if (trim === 'do-not-trim') {
        assertCovers(recording, at.bye - (at.inProgress ?? at.action), at.action - (at.invite + flow.ringMs));
        assert.ok(opening < 64, `the untrimmed recording opens with the parties’ silence (peak ${opening})`);
      } else {
        // The silence before the tones is gone: the file opens with audio and covers no more than the tones.
        assert.ok(opening > 1000, `the trimmed recording opens with audio (peak ${opening})`);
        assertCovers(recording, flow.talkMs - PACKET_MS, at.action - at.tones);
        assertDualChannels(recording, flow.talkMs);
      }
    });
  }
});
