/**
 * Every <Dial><Sip> outcome end to end on loopback (issue 5): our own UA calls the engine as
 * `dialtone start` builds it, the webhook app answers `<Dial action="/after"><Sip statusCallback=
 * "/status" statusCallbackEvent="initiated ringing answered completed">URI</Sip></Dial>`, and the
 * callee is SIPp (answer, busy, decline, 503, no answer, digest 401/407, TCP) or our own UserAgent
 * where SIPp cannot do it (TLS). For each outcome the Dial action is checked field by field
 * (DialCallStatus, DialSipResponseCode, DialCallSid, DialCallDuration, DialBridged, DialSipCallId,
 * DialSipHeader_<name>), and so is each of the child leg's status callbacks (SequenceNumber from 0,
 * CallbackSource, Timestamp in RFC 2822 UTC, ParentCallSid, CallStatus, SipResponseCode and
 * CallDuration on the last); every request's X-Twilio-Signature goes through twilio.validateRequest.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { UserAgent, type SipCall } from '../../../src/sip/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp, type RunningSipp, type SippResult, type SippTransport } from '../../support/sipp.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, ownPortRange, startTestEngine, within, type AppRequest, type EngineSetup, type PlacedCall } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { WebhookApp } from '../support/harness.js';

const { VoiceResponse } = twilio.twiml;
const here = dirname(fileURLToPath(import.meta.url));
const ownScenario = (name: string): string => join(here, 'scenarios', `${name}.xml`);
const tlsDir = join(here, '..', '..', 'fixtures', 'tls');

/** The engine as `dialtone start` builds it, <Dial> wiring included, on a media port range of its own. */
function startDialEngine(voiceUrl: string, statusCallback: string, options: { tcp?: boolean; tls?: boolean; rtpTimeoutSeconds?: number } = {}): Promise<EngineSetup> {
  const listen = ['udp:127.0.0.1:0'];
  if (options.tcp === true) listen.push('tcp:127.0.0.1:0');
  if (options.tls === true) listen.push('tls:127.0.0.1:0');
  return startTestEngine([{ match: '*', voiceUrl, statusCallback }], {
    sip: {
      listen,
      // A TLS listener too; the TLS client verifies servers by default, so it trusts the test CA.
      ...(options.tls === true
        ? { tls: { cert: join(tlsDir, 'server.pem'), key: join(tlsDir, 'server.key') }, tlsClient: { ca: join(tlsDir, 'ca.pem') } }
        : {}),
    },
    media: { portRange: ownPortRange(34000), ...(options.rtpTimeoutSeconds === undefined ? {} : { rtpTimeoutSeconds: options.rtpTimeoutSeconds }) },
  });
}

const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const RFC2822_UTC = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

function assertSigned(request: AppRequest): void {
  assert.ok(request.signature !== undefined && request.signature.length > 0, `${request.path} carries X-Twilio-Signature`);
  assert.ok(twilio.validateRequest(AUTH_TOKEN, request.signature, request.url, request.params), `${request.path}: X-Twilio-Signature validates`);
}

interface Expect {
  dialCallStatus: string;
  /** DialSipResponseCode / the last callback's SipResponseCode; undefined: absent (no SIP answer at all). */
  code: number | undefined;
  bridged: boolean;
  /** DialSipHeader_<name> expected on the action (exactly these X- ones). */
  headers?: Record<string, string>;
  /** CallStatus of the child's status callbacks, in order. */
  callbacks: string[];
}

interface Flow {
  uri: string;
  sip?: { username?: string; password?: string };
  timeout?: number;
  tcp?: boolean;
  tls?: boolean;
  /** media.rtpTimeoutSeconds (default 30: a caller that sends no RTP is hung up after 30 s). */
  rtpTimeoutSeconds?: number;
  /** What the caller does once the dial is under way; default: nothing (the engine hangs up after /after). */
  during?: (placed: Extract<PlacedCall, { answered: true }>, app: WebhookApp) => Promise<void>;
}

interface Observed {
  action: AppRequest;
  callbacks: AppRequest[];
  parentSid: string;
}

/** The caller calls the engine, the application dials `flow.uri`; resolves when the action and the child's last callback came. */
async function runDial(flow: Flow, expect: Expect): Promise<Observed> {
  const app = await WebhookApp.start();
  const voice = new VoiceResponse();
  const dial = voice.dial({ action: '/after', timeout: flow.timeout ?? 20 });
  dial.sip(
    {
      statusCallback: app.url('/status'),
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      ...(flow.sip?.username === undefined ? {} : { username: flow.sip.username }),
      ...(flow.sip?.password === undefined ? {} : { password: flow.sip.password }),
    },
    flow.uri,
  );
  app.on('/voice', voice.toString());
  const after = new VoiceResponse();
  after.hangup();
  app.on('/after', after.toString());
  const setup = await startDialEngine(app.url('/voice'), app.url('/call-status'), { tcp: flow.tcp ?? false, tls: flow.tls ?? false, ...(flow.rtpTimeoutSeconds === undefined ? {} : { rtpTimeoutSeconds: flow.rtpTimeoutSeconds }) });
  const caller = await Caller.start();
  try {
    const placed = await within(caller.call(setup.sipPort), 10_000, 'the engine to answer the caller');
    assert.ok(placed.answered, 'the engine answers the caller before <Dial> (no answerOnBridge)');
    if (flow.during !== undefined) await within(flow.during(placed, app), 20_000, 'the caller’s part');
    const action = await within(app.waitFor('/after'), 60_000, 'the Dial action');
    const voiceRequest = app.requestsTo('/voice')[0]!;
    assertSigned(voiceRequest);
    const parentSid = voiceRequest.params['CallSid']!;

    // ---- the Dial action, field by field
    assertSigned(action);
    assert.equal(action.method, 'POST');
    assert.equal(action.params['CallSid'], parentSid);
    assert.equal(action.params['AccountSid'], ACCOUNT_SID);
    assert.equal(action.params['DialCallStatus'], expect.dialCallStatus);
    assert.equal(action.params['DialSipResponseCode'], expect.code === undefined ? undefined : String(expect.code));
    const childSid = action.params['DialCallSid'] ?? '';
    assert.match(childSid, /^CA[0-9a-f]{32}$/);
    assert.notEqual(childSid, parentSid);
    assert.equal(action.params['DialBridged'], String(expect.bridged));
    assert.match(action.params['DialCallDuration'] ?? '', /^\d+$/);
    if (expect.dialCallStatus !== 'completed') assert.equal(action.params['DialCallDuration'], '0');
    assert.match(action.params['DialSipCallId'] ?? '', /@dialtone$/);
    const dialHeaders = Object.fromEntries(
      Object.entries(action.params)
        .filter(([name]) => name.startsWith('DialSipHeader_'))
        .map(([name, value]) => [name.slice('DialSipHeader_'.length), value]),
    );
    assert.deepEqual(dialHeaders, expect.headers ?? {});

    // ---- the child leg's status callbacks, in order, each field checked
    const all = await within(
      eventually(async () => app.requestsTo('/status'), (list) => list.some((request) => TERMINAL.has(request.params['CallStatus'] ?? '')), { polls: 4_000 }),
      25_000,
      'the child leg’s last status callback',
    );
    const callbacks = [...all].sort((a, b) => Number(a.params['SequenceNumber']) - Number(b.params['SequenceNumber']));
    assert.deepEqual(callbacks.map((callback) => callback.params['CallStatus']), expect.callbacks);
    callbacks.forEach((callback, index) => {
      assertSigned(callback);
      assert.equal(callback.method, 'POST');
      assert.equal(callback.params['SequenceNumber'], String(index));
      assert.equal(callback.params['CallbackSource'], 'call-progress-events');
      const timestamp = callback.params['Timestamp'] ?? '';
      assert.match(timestamp, RFC2822_UTC);
      assert.ok(Number.isFinite(Date.parse(timestamp)), `Timestamp ${timestamp} parses`);
      if (index > 0) assert.ok(Date.parse(timestamp) >= Date.parse(callbacks[index - 1]!.params['Timestamp'] ?? ''), 'Timestamps do not go back');
      assert.equal(callback.params['CallSid'], childSid);
      assert.equal(callback.params['ParentCallSid'], parentSid);
      assert.equal(callback.params['AccountSid'], ACCOUNT_SID);
      assert.equal(callback.params['ApiVersion'], '2010-04-01');
      assert.equal(callback.params['Direction'], 'outbound-dial');
      const last = index === callbacks.length - 1;
      if (last) {
        assert.equal(callback.params['SipResponseCode'], expect.code === undefined ? undefined : String(expect.code));
        if (callback.params['CallStatus'] === 'completed') assert.match(callback.params['CallDuration'] ?? '', /^\d+$/);
      } else {
        assert.equal(callback.params['CallDuration'], undefined, 'CallDuration only on completed');
      }
    });
    // The parent's own route statusCallback is the parent's business; the child's go only to /status.
    for (const request of app.requestsTo('/call-status')) assertSigned(request);

    // The store agrees with the callbacks.
    const child = await eventually(() => setup.engine.store.calls.get(childSid), (call) => call !== undefined && TERMINAL.has(call.status));
    assert.equal(child?.parentCallSid, parentSid);
    assert.equal(child?.direction, 'outbound-dial');
    // The engine ends the caller's call (<Hangup> after the action), unless the caller left first.
    await within(placed.ended, 10_000, 'the caller’s call to end');
    return { action, callbacks, parentSid };
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
}

async function withSipp(
  t: TestContext,
  options: { scenario: string; transport?: SippTransport; authUser?: string; authPassword?: string },
  body: (callee: RunningSipp) => Promise<void>,
): Promise<SippResult | undefined> {
  if (!requireSipp(t)) return undefined;
  const callee = await startSipp({
    scenario: options.scenario,
    role: 'uas',
    transport: options.transport ?? 'u1',
    calls: 1,
    timeoutMs: 40_000,
    ...(options.authUser === undefined ? {} : { authUser: options.authUser }),
    ...(options.authPassword === undefined ? {} : { authPassword: options.authPassword }),
  });
  try {
    await body(callee);
    return await within(callee.done, 45_000, 'SIPp to finish');
  } finally {
    await callee.stop();
  }
}

const ANSWERED = ['initiated', 'ringing', 'in-progress', 'completed'];

test('answer: SIPp 200 with X- headers, the caller hangs up → completed/200, bridged, DialSipHeader_* from the 2xx', { timeout: 120_000 }, async (t) => {
  let childSid = '';
  const result = await withSipp(t, { scenario: ownScenario('uas-answer-200-x-result-wait-bye') }, async (callee) => {
    const observed = await runDial(
      {
        uri: `sip:kate@127.0.0.1:${callee.port}`,
        during: async (placed, app) => {
          await app.waitFor('/status', 3); // in-progress: the callee answered
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'completed', code: 200, bridged: true, headers: { 'X-Result': 'ok', 'X-Callee-Id': 'sipp-1' }, callbacks: ANSWERED },
    );
    childSid = observed.action.params['DialCallSid']!;
  });
  // SIPp passed: it got the BYE the engine sent when the caller hung up.
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee (uas-answer-200-x-result-wait-bye)');
    // The INVITE names the leg it placed (INTERFACE.md), and the BYE went to the callee.
    assert.match(result.messagesLog, new RegExp(`\\nX-Twilio-CallSid: ${childSid}\\r?\\n`));
    assert.match(result.messagesLog, new RegExp(`\\nX-Twilio-AccountSid: ${ACCOUNT_SID}\\r?\\n`));
    assert.match(result.messagesLog, /\nX-Twilio-ApiVersion: 2010-04-01\r?\n/);
    assert.match(result.messagesLog, /BYE sip:sipp@/);
  }
});

test('answer: SIPp 200 then the callee hangs up (BYE from the callee) → completed/200, bridged', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: ownScenario('uas-answer-200-then-bye') }, async (callee) => {
    await runDial(
      { uri: `sip:kate@127.0.0.1:${callee.port}` },
      { dialCallStatus: 'completed', code: 200, bridged: true, headers: { 'X-Result': 'ok', 'X-Callee-Id': 'sipp-1' }, callbacks: ANSWERED },
    );
  });
  if (result !== undefined) assertSippPassed(result, 1, 'SIPp callee (uas-answer-200-then-bye)');
});

test('answer over TCP: ;transport=tcp to SIPp (t1) → completed/200', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: ownScenario('uas-answer-200-x-result-wait-bye'), transport: 't1' }, async (callee) => {
    await runDial(
      {
        uri: `sip:kate@127.0.0.1:${callee.port};transport=tcp`,
        tcp: true,
        during: async (placed, app) => {
          await app.waitFor('/status', 3);
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'completed', code: 200, bridged: true, headers: { 'X-Result': 'ok', 'X-Callee-Id': 'sipp-1' }, callbacks: ANSWERED },
    );
  });
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee over TCP');
    assert.match(result.messagesLog, /INVITE sip:kate@127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0/);
    assert.match(result.messagesLog, /Via: SIP\/2\.0\/TCP /);
  }
});

test('busy: SIPp 486 (no 180, so no ringing callback) → busy/486, not bridged', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-busy-486') }, async (callee) => {
    await runDial({ uri: `sip:kate@127.0.0.1:${callee.port}` }, { dialCallStatus: 'busy', code: 486, bridged: false, callbacks: ['initiated', 'busy'] });
  });
  if (result !== undefined) assertSippPassed(result, 1, 'SIPp callee (uas-busy-486)');
});

test('decline: SIPp 603 (no 180) → busy/603', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-decline-603') }, async (callee) => {
    await runDial({ uri: `sip:kate@127.0.0.1:${callee.port}` }, { dialCallStatus: 'busy', code: 603, bridged: false, callbacks: ['initiated', 'busy'] });
  });
  if (result !== undefined) assertSippPassed(result, 1, 'SIPp callee (uas-decline-603)');
});

test('503 with an X- header → failed/503 and DialSipHeader_X-Reason from the final response', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: ownScenario('uas-unavailable-503') }, async (callee) => {
    await runDial(
      { uri: `sip:kate@127.0.0.1:${callee.port}` },
      { dialCallStatus: 'failed', code: 503, bridged: false, headers: { 'X-Reason': 'maintenance' }, callbacks: ['initiated', 'failed'] },
    );
  });
  if (result !== undefined) assertSippPassed(result, 1, 'SIPp callee (uas-unavailable-503)');
});

test('no answer: SIPp rings, <Dial timeout=2> → CANCEL, 487 → no-answer/487', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-no-answer') }, async (callee) => {
    await runDial({ uri: `sip:kate@127.0.0.1:${callee.port}`, timeout: 2 }, { dialCallStatus: 'no-answer', code: 487, bridged: false, callbacks: ['initiated', 'ringing', 'no-answer'] });
  });
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee (uas-no-answer): it got our CANCEL');
    assert.match(result.messagesLog, /CANCEL sip:kate@/);
  }
});

test('the caller hangs up while the callee rings → canceled/487 and the outbound INVITE is CANCELled', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-no-answer') }, async (callee) => {
    await runDial(
      {
        uri: `sip:kate@127.0.0.1:${callee.port}`,
        timeout: 30,
        during: async (placed, app) => {
          await app.waitFor('/status', 2); // ringing
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'canceled', code: 487, bridged: false, callbacks: ['initiated', 'ringing', 'canceled'] },
    );
  });
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee (uas-no-answer): it got our CANCEL');
    assert.match(result.messagesLog, /CANCEL sip:kate@/);
  }
});

test('auth required: SIPp 401 challenge, <Sip username password> → completed/200', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-401-challenge'), authUser: 'kate', authPassword: 's3cret' }, async (callee) => {
    await runDial(
      {
        uri: `sip:kate@127.0.0.1:${callee.port}`,
        sip: { username: 'kate', password: 's3cret' },
        during: async (placed, app) => {
          await app.waitFor('/status', 3);
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'completed', code: 200, bridged: true, callbacks: ANSWERED },
    );
  });
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee (uas-401-challenge)');
    assert.match(result.messagesLog, /Authorization: Digest /);
  }
});

test('auth required: SIPp 407 challenge, <Sip username password> → completed/200', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-407-challenge'), authUser: 'kate', authPassword: 's3cret' }, async (callee) => {
    await runDial(
      {
        uri: `sip:kate@127.0.0.1:${callee.port}`,
        sip: { username: 'kate', password: 's3cret' },
        during: async (placed, app) => {
          await app.waitFor('/status', 3);
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'completed', code: 200, bridged: true, callbacks: ANSWERED },
    );
  });
  if (result !== undefined) {
    assertSippPassed(result, 1, 'SIPp callee (uas-407-challenge)');
    assert.match(result.messagesLog, /Proxy-Authorization: Digest /);
  }
});

test('wrong credentials: SIPp 401 challenge, wrong password → 403 → failed/403', { timeout: 120_000 }, async (t) => {
  const result = await withSipp(t, { scenario: scenario('uas-401-challenge'), authUser: 'kate', authPassword: 's3cret' }, async (callee) => {
    await runDial(
      { uri: `sip:kate@127.0.0.1:${callee.port}`, sip: { username: 'kate', password: 'wrong' } },
      { dialCallStatus: 'failed', code: 403, bridged: false, callbacks: ['initiated', 'failed'] },
    );
  });
  if (result !== undefined) {
    // The scenario counts a call whose credentials did not verify as failed (its documented exit 1).
    assert.equal(result.exitCode, 1, 'SIPp saw credentials that did not verify');
    assert.match(result.messagesLog, /SIP\/2\.0 403 Forbidden/);
  }
});

async function closedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('unreachable: ;transport=tcp to a closed port (connection refused) → failed/503', { timeout: 60_000 }, async () => {
  const port = await closedTcpPort();
  await runDial({ uri: `sip:nobody@127.0.0.1:${port};transport=tcp`, tcp: true }, { dialCallStatus: 'failed', code: 503, bridged: false, callbacks: ['initiated', 'failed'] });
});

test('DNS failure: a .invalid host name → failed', { timeout: 60_000 }, async () => {
  await runDial({ uri: 'sip:nobody@no-such-host.invalid' }, { dialCallStatus: 'failed', code: 503, bridged: false, callbacks: ['initiated', 'failed'] });
});

test('TLS: ;transport=tls to our own UserAgent with the test certificate → completed/200 with the 2xx’s X- headers', { timeout: 60_000 }, async () => {
  const [cert, key] = await Promise.all([readFile(join(tlsDir, 'server.pem')), readFile(join(tlsDir, 'server.key'))]);
  const callee = await UserAgent.start({ transport: { listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }], tls: { cert, key } } });
  const seen: { invites: number; transport?: string; call?: SipCall } = { invites: 0 };
  callee.onIncomingCall((incoming) => {
    seen.invites++;
    seen.transport = incoming.request.via[0]?.transport;
    const offer = incoming.remoteSdp?.toString('utf8') ?? '';
    const port = /^m=audio (\d+)/m.exec(offer)?.[1] ?? '9';
    incoming.progress(180);
    const answer = ['v=0', 'o=callee 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${Number(port) + 100} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');
    void incoming.accept(Buffer.from(answer), { headers: [{ name: 'X-Result', value: 'ok' }], contentType: 'application/sdp' }).then((call) => (seen.call = call), () => undefined);
  });
  try {
    const tlsPort = callee.endpoint.listening()[0]!.port;
    await runDial(
      {
        uri: `sip:tls-callee@127.0.0.1:${tlsPort};transport=tls`,
        tls: true,
        during: async (placed, app) => {
          await app.waitFor('/status', 3);
          await placed.call.bye();
        },
      },
      { dialCallStatus: 'completed', code: 200, bridged: true, headers: { 'X-Result': 'ok' }, callbacks: ANSWERED },
    );
    assert.equal(seen.invites, 1);
    assert.equal(seen.transport?.toUpperCase(), 'TLS');
    await eventually(async () => seen.call?.isEnded === true, (ended) => ended);
    assert.equal(seen.call?.isEnded, true, 'the engine sent BYE over TLS when the caller hung up');
  } finally {
    await callee.close();
  }
});


test('unreachable over UDP: a loopback port nobody listens on → Timer B (64*T1 = 32 s) → failed/408', { timeout: 120_000 }, async () => {
  // Node's unconnected UDP socket does not report ICMP port unreachable, so only Timer B ends the
  // INVITE: the ring timeout is set past it, and the caller's RTP timeout (30 s by default; our test
  // caller sends no audio) is off so the caller is not hung up first.
  const port = await closedTcpPort();
  await runDial({ uri: `sip:nobody@127.0.0.1:${port}`, timeout: 45, rtpTimeoutSeconds: 0 }, { dialCallStatus: 'failed', code: 408, bridged: false, callbacks: ['initiated', 'failed'] });
});
