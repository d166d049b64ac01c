// Inbound calls end to end: a SIP call arrives at the engine (started in-process on 127.0.0.1), the
// application's markup is fetched from a local webhook app (documents built with twilio's
// VoiceResponse), and the verbs run with real RTP and RFC 4733 digits; the call, its notifications
// and its status callback end up in the store and at the application.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, callerOffer, rms, startTestEngine, toneWav, WebhookApp, type AppRequest } from './support/harness.js';
import { eventually } from '../support/eventually.js';

const { VoiceResponse } = twilio.twiml;

function say(text: string, then: (response: InstanceType<typeof VoiceResponse>) => void = (r) => r.hangup()): string {
  const response = new VoiceResponse();
  response.say(text);
  then(response);
  return response.toString();
}

function assertSigned(request: AppRequest): void {
  assert.ok(request.signature !== undefined && request.signature.length > 0, `${request.path} carries X-Twilio-Signature`);
  assert.ok(twilio.validateRequest(AUTH_TOKEN, request.signature, request.url, request.params), `${request.path}: the signature validates`);
}

test('<Say> then <Hangup>: signed webhook, speech on the wire, our BYE, call completed in the store, completed status callback', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/voice', say('Hello from Dialtone. This is a test of the speech engine.'));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort, '+15551230000', [{ name: 'X-Customer', value: '42' }]);
    assert.ok(placed.answered, 'the call is answered');
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote', 'the engine hung up (BYE from its side)');

    const voice = await app.waitFor('/voice');
    assertSigned(voice);
    assert.equal(voice.method, 'POST');
    assert.match(voice.params['CallSid'] ?? '', /^CA[0-9a-f]{32}$/);
    assert.equal(voice.params['AccountSid'], ACCOUNT_SID);
    assert.equal(voice.params['From'], 'sip:alice@127.0.0.1');
    assert.equal(voice.params['To'], '+15551230000');
    assert.equal(voice.params['CallStatus'], 'ringing');
    assert.equal(voice.params['ApiVersion'], '2010-04-01');
    assert.equal(voice.params['Direction'], 'inbound');
    assert.equal(voice.params['CallerName'], 'Alice');
    assert.equal(voice.params['SipCallId'], placed.call.callId);
    assert.equal(voice.params['SipSourceIp'], '127.0.0.1');
    assert.equal(voice.params['SipDomain'], '127.0.0.1');
    assert.equal(voice.params['SipHeader_X-Customer'], '42');

    // Speech: non-silent PCMU for a plausible length (eSpeak says those ten words in 2-6 s).
    const seconds = placed.heard.samples.length / 8000;
    assert.ok(placed.heard.packets > 50, `RTP received (${placed.heard.packets} packets)`);
    assert.ok(seconds > 1.5 && seconds < 10, `about as long as the sentence (${seconds.toFixed(2)} s)`);
    assert.ok(rms(placed.heard.samples) > 300, `not silence (RMS ${rms(placed.heard.samples).toFixed(0)})`);

    const callSid = voice.params['CallSid']!;
    const stored = await eventually(() => setup.engine.store.calls.get(callSid), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    assert.equal(stored?.direction, 'inbound');
    assert.equal(stored?.sipCallId, placed.call.callId);
    assert.ok(stored?.answerTime !== null && stored?.endTime !== null);
    assert.ok(typeof stored?.duration === 'number' && stored.duration >= 1, `duration ${stored?.duration}`);

    const status = await app.waitFor('/status');
    assertSigned(status);
    assert.equal(status.params['CallSid'], callSid);
    assert.equal(status.params['CallStatus'], 'completed');
    assert.equal(status.params['CallDuration'], String(stored?.duration));
    assert.equal(status.params['CallbackSource'], 'call-progress-events');
    assert.equal(status.params['SequenceNumber'], '0');
    assert.match(status.params['Timestamp'] ?? '', /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(status.params['Direction'], 'inbound');
    assert.equal(app.requestsTo('/voice').length, 1);
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('<Gather numDigits=2 action=/next> with the caller pressing 4 and 2 as RFC 4733 events: /next gets Digits=42 and its document runs', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const first = new VoiceResponse();
  first.gather({ numDigits: 2, action: '/next', timeout: 10 }).say('Please enter two digits.');
  first.say('We did not receive any input.');
  app.on('/voice', first.toString());
  app.on('/next', (request) => say(`You pressed ${request.params['Digits'] ?? 'nothing'}. Goodbye.`));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    // Press the keys once the prompt is playing (the gather listens from its start).
    while (placed.heard.packets < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    await caller.sendDigits(placed.port, '42');
    const next = await app.waitFor('/next');
    assertSigned(next);
    assert.equal(next.params['Digits'], '42');
    assert.equal(next.params['FinishedOnKey'], '');
    assert.equal(next.params['CallStatus'], 'in-progress');
    const heardBefore = placed.heard.samples.length;
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote', "/next's <Hangup> ends the call from the engine's side");
    assert.ok(placed.heard.samples.length - heardBefore > 8000, "/next's <Say> was heard (more than a second of audio after the digits)");
    const stored = await eventually(() => setup.engine.store.calls.get(next.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('<Reject reason="busy"/>: the caller gets 486 and never a 200; the call is busy in the store', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new VoiceResponse();
  response.reject({ reason: 'busy' });
  app.on('/voice', response.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.equal(placed.answered, false);
    if (placed.answered) return;
    assert.equal(placed.failure.status, 486);
    assert.ok(placed.provisional.every((status) => status < 200));
    const voice = await app.waitFor('/voice');
    const callSid = voice.params['CallSid']!;
    const stored = await eventually(() => setup.engine.store.calls.get(callSid), (call) => call?.status === 'busy');
    assert.equal(stored?.status, 'busy');
    assert.equal(stored?.answerTime, null);
    const status = await app.waitFor('/status');
    assert.equal(status.params['CallStatus'], 'busy');
    assert.equal(status.params['CallDuration'], '0');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('no route for the number: 404 before any webhook', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/voice', say('never'));
  const setup = await startTestEngine([{ match: { to: '+15550001111' }, voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort, '+15559999999');
    assert.equal(placed.answered, false);
    if (placed.answered) return;
    assert.equal(placed.failure.status, 404);
    assert.equal(app.requests.length, 0, 'the application is never asked');
    assert.equal((await setup.engine.store.calls.list()).items.length, 0, 'no call is recorded');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('the webhook is down and there is no fallback: a spoken error, then BYE; notification 11200/11205 in the store', { timeout: 60_000 }, async () => {
  // A port nobody listens on: the connection is refused.
  const down = await WebhookApp.start();
  const deadUrl = down.url('/voice');
  await down.close();
  const setup = await startTestEngine([{ match: '*', voiceUrl: deadUrl }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered, 'the call is answered to say the error');
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote');
    assert.ok(placed.heard.samples.length / 8000 > 1, 'the error is spoken');
    assert.ok(rms(placed.heard.samples) > 300, 'not silence');
    const calls = await eventually(() => setup.engine.store.calls.list(), (page) => page.items[0]?.status === 'completed');
    const callSid = calls.items[0]!.sid;
    assert.equal(calls.items[0]!.status, 'completed');
    const notifications = await eventually(() => setup.engine.store.notifications.list({ callSid }), (page) => page.items.length > 0);
    const codes = notifications.items.map((notification) => notification.errorCode);
    assert.ok(codes.some((code) => code === 11200 || code === 11205), `codes ${codes.join(', ')}`);
    assert.equal(notifications.items[0]!.accountSid, ACCOUNT_SID);
  } finally {
    await caller.close();
    await setup.close();
  }
});

test('the caller hangs up during a long <Say>: the runner stops, the call is completed, no further webhook', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new VoiceResponse();
  response.say({ loop: 0 }, 'This sentence repeats until the caller has heard enough.');
  response.redirect('/after');
  app.on('/voice', response.toString());
  app.on('/after', say('never heard'));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    while (placed.heard.packets < 50) await new Promise((resolve) => setTimeout(resolve, 20));
    const end = await placed.call.bye();
    assert.equal(end.by, 'local');
    assert.equal(end.status, 200);
    const voice = await app.waitFor('/voice');
    const stored = await eventually(() => setup.engine.store.calls.get(voice.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
    const status = await app.waitFor('/status');
    assert.equal(status.params['CallStatus'], 'completed');
    // The application is done with the call once the engine holds no live call.
    await eventually(async () => setup.engine.calls.size, (size) => size === 0);
    assert.equal(setup.engine.calls.size, 0);
    assert.deepEqual(
      app.requests.map((request) => request.path),
      ['/voice', '/status'],
      'no request after the hang-up but the status callback',
    );
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('<Record timeout=1 playBeep>: the caller speaks then falls silent; the action gets the recording, the file and its row exist', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new VoiceResponse();
  response.record({ timeout: 1, maxLength: 20, action: '/recorded', playBeep: true });
  app.on('/voice', response.toString());
  app.on('/recorded', say('Thank you.'));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    // The beep first (500 ms), then the caller speaks.
    while (placed.heard.samples.length < 3200) await new Promise((resolve) => setTimeout(resolve, 20));
    await caller.sendTone(placed.port, 1500);
    const recorded = await app.waitFor('/recorded');
    assertSigned(recorded);
    const recordingSid = recorded.params['RecordingSid'] ?? '';
    assert.match(recordingSid, /^RE[0-9a-f]{32}$/);
    assert.equal(recorded.params['RecordingUrl'], `http://127.0.0.1:8080/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`);
    const duration = Number(recorded.params['RecordingDuration']);
    assert.ok(duration >= 1 && duration <= 3, `duration ${duration}`);
    const row = await setup.engine.store.recordings.get(recordingSid);
    assert.equal(row?.status, 'completed');
    assert.equal(row?.callSid, recorded.params['CallSid']);
    assert.equal(row?.duration, duration);
    const { stat } = await import('node:fs/promises');
    assert.ok((await stat(row!.filePath)).size > 44 + 8000, 'the WAV holds the audio');
    assert.ok(row!.filePath.startsWith(join(setup.dataDir, 'recordings')));
    await placed.ended;
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('the caller cancels while the application is being fetched: 487, the call is canceled, nothing runs', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  let release: (() => void) | undefined;
  // The application answers only once the caller has cancelled.
  app.on('/voice', () => new Promise((resolve) => (release = () => resolve(say('too late')))));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }]);
  const caller = await Caller.start();
  try {
    const voiceAsked = app.waitFor('/voice');
    const placed = await caller.call(setup.sipPort, '+15551230000', [], (status, cancel) => {
      if (status === 180) void voiceAsked.then(() => cancel());
    });
    assert.equal(placed.answered, false);
    if (placed.answered) return;
    assert.equal(placed.failure.cause, 'cancelled');
    assert.equal(placed.failure.status, 487);
    const voice = await voiceAsked;
    const stored = await eventually(() => setup.engine.store.calls.get(voice.params['CallSid']!), (call) => call?.status === 'canceled');
    assert.equal(stored?.status, 'canceled');
    const status = await app.waitFor('/status');
    assert.equal(status.params['CallStatus'], 'canceled');
    release?.();
    await eventually(async () => setup.engine.calls.size, (size) => size === 0);
    assert.deepEqual(app.requests.map((request) => request.path), ['/voice', '/status']);
  } finally {
    release?.();
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('the caller stops sending RTP (media.rtpTimeoutSeconds): the engine treats the caller as gone and says BYE', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new VoiceResponse();
  response.say({ loop: 0 }, 'Are you still there?');
  app.on('/voice', response.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }], { media: { rtpTimeoutSeconds: 1 } });
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    // One burst of audio, then nothing: the engine's RTP timeout runs from the last packet.
    await caller.sendTone(placed.port, 100);
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote', 'the engine said BYE');
    const voice = await app.waitFor('/voice');
    const stored = await eventually(() => setup.engine.store.calls.get(voice.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('<Play> a WAV, <Pause>, <Redirect> to a document that sends <Play digits="1w2"> and hangs up', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/tone.wav', { status: 200, body: toneWav(1000), contentType: 'audio/wav' });
  const first = new VoiceResponse();
  first.play(app.url('/tone.wav'));
  first.pause({ length: 1 });
  first.redirect('/second');
  app.on('/voice', first.toString());
  const second = new VoiceResponse();
  second.play({ digits: '1w2' });
  second.hangup();
  app.on('/second', second.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote');
    // The WAV: one second of tone, heard as such (µ-law round trip keeps it loud).
    const seconds = placed.heard.samples.length / 8000;
    assert.ok(seconds >= 0.9 && seconds < 1.5, `${seconds.toFixed(2)} s of audio`);
    assert.ok(rms(placed.heard.samples) > 3000, `the tone (RMS ${rms(placed.heard.samples).toFixed(0)})`);
    const redirected = await app.waitFor('/second');
    assertSigned(redirected);
    assert.equal(redirected.params['CallStatus'], 'in-progress');
    assert.equal(placed.heard.digits, '12', 'the digits arrive as RFC 4733 events');
    assert.equal(app.requestsTo('/tone.wav').length, 1);
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('the caller holds and resumes with re-INVITEs during a <Say>: answered 200 recvonly then sendrecv, the call goes on to our BYE', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/voice', say('Please hold. This message continues while you put the call on hold and take it back.'));
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    while (placed.heard.packets < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    const hold = await placed.call.reinvite(Buffer.from(callerOffer(placed.port.local.port, 'sendonly', 2)));
    assert.equal(hold.status, 200);
    assert.match(hold.remoteSdp?.toString() ?? '', /^a=recvonly\r?$/m, 'we answer a hold with recvonly (RFC 3264 §8.4)');
    const resume = await placed.call.reinvite(Buffer.from(callerOffer(placed.port.local.port, 'sendrecv', 3)));
    assert.equal(resume.status, 200);
    assert.match(resume.remoteSdp?.toString() ?? '', /^a=sendrecv\r?$/m);
    const versions = [hold, resume].map((result) => /^o=\S+ (\S+) (\d+)/m.exec(result.remoteSdp?.toString() ?? '')!);
    assert.equal(versions[0]![1], versions[1]![1], 'the same session');
    assert.equal(Number(versions[1]![2]), Number(versions[0]![2]) + 1, 'a new version for each changed description');
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote', 'the document ends the call');
    const voice = await app.waitFor('/voice');
    const stored = await eventually(() => setup.engine.store.calls.get(voice.params['CallSid']!), (call) => call?.status === 'completed');
    assert.equal(stored?.status, 'completed');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});

for (const codec of ['PCMA', 'G722'] as const) {
  test(`a caller offering only ${codec} is answered with ${codec} and hears the <Say> in it`, { timeout: 60_000 }, async () => {
    const app = await WebhookApp.start();
    app.on('/voice', say('Codec check.'));
    const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
    const caller = await Caller.start();
    try {
      const placed = await caller.call(setup.sipPort, '+15551230000', [], undefined, codec);
      assert.ok(placed.answered);
      const answer = placed.call.remoteSdp?.toString() ?? '';
      assert.match(answer, new RegExp(`^a=rtpmap:\\d+ ${codec}/8000\\r?$`, 'm'));
      await placed.ended;
      const seconds = placed.heard.samples.length / placed.heard.sampleRate;
      assert.ok(seconds > 0.5 && seconds < 5, `${seconds.toFixed(2)} s of audio`);
      assert.ok(rms(placed.heard.samples) > 300, `not silence (RMS ${rms(placed.heard.samples).toFixed(0)})`);
    } finally {
      await caller.close();
      await setup.close();
      await app.close();
    }
  });
}
