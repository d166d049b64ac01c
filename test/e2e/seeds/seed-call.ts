/**
 * One seed example end to end: its host and URLs are pointed at loopback (the callee and the webhook
 * app) by rewriting the example's own text, our UserAgent calls the engine, the route's voice URL
 * answers with the example, the engine dials the callee, and the call runs until one side hangs up.
 * Then everything is checked against what the example says: the INVITE as the callee received it,
 * and every webhook request, field by field, each signature through twilio.validateRequest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import twilio from 'twilio';
import type { CallProgressEvent } from '../../../src/markup/index.js';
import { DEFAULT_OFFER_CODECS } from '../../../src/sdp/index.js';
import { getHeader, getHeaders, type SipRequest } from '../../../src/sip/message/index.js';
import type { NotificationRecord } from '../../../src/store/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, ownPortRange, startTestEngine, WebhookApp, within, type AppRequest } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { startCallee, tlsFixtures, type Callee, type CalleeReport, type CalleeTransport } from './callees.js';
import type { SingleSipExample } from './seed-examples.js';

/** Points the example's `<Sip>` target at `hostPort` and its absolute URLs at the webhook app. */
export function localize(xml: string, hostPort: string, appBase: string): string {
  return xml
    .replace(/https?:\/\/[^/"'\s<>]+/g, appBase)
    .replace(/(<sip\b[^>]*>)([^<]*)/gi, (_, open: string, target: string) =>
      open + target.replace(/^(\s*(?:sips?:)?(?:[^@\s;?<]+@)?)[^\s;?<]+/i, `$1${hostPort}`),
    );
}

export interface SeedRunOptions {
  /** config `regions` (YAML shape), given the callee: the region examples' egress may be a proxy that answers. */
  regions?: (callee: Callee) => Record<string, Record<string, unknown>>;
  /** `host:port` the example's target is pointed at when that is not the callee (it is behind the proxy). */
  target?: string;
}

export interface SeedRun {
  example: SingleSipExample;
  callee: Callee;
  report: CalleeReport;
  app: WebhookApp;
  parentSid: string;
  childSid: string;
  notifications: NotificationRecord[];
}

const PARENT_STATUS = '/parent-status';
const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** Runs `example` (already filtered to one `<Sip>`) and hands the run to `check` before closing everything. */
export async function runSeedExample(example: SingleSipExample, check: (run: SeedRun) => Promise<void> | void, options: SeedRunOptions = {}): Promise<void> {
  const transport: CalleeTransport = example.sip.uri.transport;
  const credentials = example.sip.username === undefined ? undefined : { username: example.sip.username, password: example.sip.password ?? '' };
  const callee = await startCallee(transport, credentials);
  const app = await WebhookApp.start();
  let engine: Awaited<ReturnType<typeof startTestEngine>> | undefined;
  const caller = await Caller.start();
  try {
    const xml = localize(example.xml, options.target ?? `127.0.0.1:${callee.port}`, app.base);
    app.on('/voice', xml);
    const hangup = new twilio.twiml.VoiceResponse();
    hangup.hangup();
    if (example.dial.action !== undefined) app.on(appPath(example.dial.action, app), hangup.toString());
    // An empty screening document: the called party accepts and the call is connected.
    if (example.sip.url !== undefined) app.on(appPath(example.sip.url, app), '<Response></Response>');
    const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url(PARENT_STATUS), dialect: example.dialect }], {
      sip: {
        // As a default install: UDP and TCP, and no `sip.tls`: TLS dialling needs no listener
        // certificate (requests back from a TLS callee come over TCP); the client trusts the test CA.
        listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
        tlsClient: { ca: join(tlsFixtures, 'ca.pem') },
      },
      media: { portRange: ownPortRange(36000) },
      ...(options.regions === undefined ? {} : { regions: options.regions(callee) }),
    });
    engine = setup;
    const placed = await within(caller.call(setup.sipPort), 10_000, 'the engine to answer the caller');
    assert.ok(placed.answered, 'the engine answers the caller before <Dial> (no answerOnBridge in the seeds)');
    const parentSid = (await app.waitFor('/voice')).params['CallSid'] ?? '';
    const children = async () => (await setup.engine.store.calls.list({ parentCallSid: parentSid })).items;
    if (callee.hangsUp === 'caller') {
      await within(eventually(children, (list) => list.some((call) => call.status === 'in-progress')), 20_000, 'the callee to answer');
      await placed.call.bye();
    }
    const report = await callee.finish();
    await within(placed.ended, 15_000, 'the caller’s call to end');
    const [child] = await within(eventually(children, (list) => list.length === 1 && TERMINAL.has(list[0]!.status)), 15_000, 'the dialled leg to end');
    // The last webhooks: the Dial action, the child's last progress callback and the parent's completed.
    if (example.dial.action !== undefined) await within(app.waitFor(appPath(example.dial.action, app)), 15_000, 'the Dial action');
    if (example.sip.statusCallback !== undefined) {
      await within(app.waitFor(appPath(example.sip.statusCallback, app), example.sip.statusCallbackEvents.length), 15_000, 'the dialled leg’s status callbacks');
    }
    await within(app.waitFor(PARENT_STATUS), 15_000, 'the caller’s completed callback');
    const notifications = (await setup.engine.store.notifications.list({ callSid: parentSid })).items;
    await check({ example, callee, report, app, parentSid, childSid: child!.sid, notifications });
  } finally {
    await caller.close();
    await engine?.close();
    await app.close();
    await callee.close();
  }
}

/** Where one of the example's URLs lands on the app: absolute ones are moved there, relative ones resolve against the voice URL. */
function appPath(url: string, app: WebhookApp): string {
  return new URL(url.replace(/^https?:\/\/[^/]+/, app.base), app.url('/voice')).pathname;
}

/** `alice` of `sip:alice@127.0.0.1`, `+15551230000` of `+15551230000`. */
export function userPart(address: string): string {
  return address.replace(/^sips?:/i, '').split('@')[0]!;
}

// ---------------------------------------------------------------------------------------------
// Checks

const RFC2822_UTC = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;
const progressStatus: Record<CallProgressEvent, string> = { initiated: 'initiated', ringing: 'ringing', answered: 'in-progress', completed: 'completed' };

/** Every request the app got carries a valid X-Twilio-Signature (GET: the query is in the signed URL). */
export function assertEverySignatureValid(app: WebhookApp): void {
  assert.ok(app.requests.length > 0);
  for (const request of app.requests) {
    assert.ok(request.signature !== undefined && request.signature.length > 0, `${request.method} ${request.path} carries X-Twilio-Signature`);
    const params = request.method === 'GET' ? {} : request.params;
    assert.ok(twilio.validateRequest(AUTH_TOKEN, request.signature, request.url, params), `${request.method} ${request.path}: X-Twilio-Signature validates`);
  }
}

/** The INVITE that went out (the one with credentials when the callee challenged), checked against the example. */
export function assertInvite(run: SeedRun, expectedUri: { user: string | undefined; port: number }): SipRequest {
  const { example, report } = run;
  const { sip, dial } = example;
  assert.equal(report.invites.length, sip.username === undefined ? 1 : 2, 'one INVITE, or two around a 401 challenge');
  const invite = report.invites.at(-1)!;
  // Request-URI and transport: the example's user (didML: the dialled number) at the callee.
  assert.equal(invite.uri.scheme, sip.uri.scheme);
  assert.equal(invite.uri.user, expectedUri.user);
  assert.equal(invite.uri.host, '127.0.0.1');
  assert.equal(invite.uri.port, expectedUri.port);
  assert.equal(invite.uri.params.get('transport')?.toLowerCase(), sip.uri.transport);
  assert.equal(invite.uri.params.has('region'), false, ';region chooses the egress and is not sent');
  assert.equal(invite.via[0]?.transport, sip.uri.transport.toUpperCase());
  // Custom and UUI headers as the example gives them, in order; headers the dialect does not send are absent.
  const sent = sip.uri.headers.map((header) => [header.name.toLowerCase(), getHeaders(invite, header.name).join(', ')]);
  assert.deepEqual(sent, sip.uri.headers.map((header) => [header.name.toLowerCase(), header.value]));
  for (const name of writtenHeaderNames(sip.uri.raw)) {
    if (!sip.uri.headers.some((header) => header.name.toLowerCase() === name.toLowerCase())) assert.equal(getHeader(invite, name), undefined, `${name} is not sent`);
  }
  assert.equal(getHeader(invite, 'X-Twilio-AccountSid'), ACCOUNT_SID);
  assert.equal(getHeader(invite, 'X-Twilio-CallSid'), run.childSid);
  assert.equal(getHeader(invite, 'X-Twilio-ApiVersion'), '2010-04-01');
  // From: callerId, else the caller.
  assert.equal(invite.from.uri.user, dial.callerId ?? userPart(run.app.requestsTo('/voice')[0]!.params['From'] ?? ''));
  // Digest: the challenged INVITE carried none, the retry the example's username (the callee verified the digest).
  if (sip.username !== undefined) {
    assert.equal(getHeader(report.invites[0]!, 'Authorization'), undefined);
    assert.match(getHeader(invite, 'Authorization') ?? '', new RegExp(`^Digest .*username="${sip.username}"`));
  } else {
    assert.equal(getHeader(invite, 'Authorization'), undefined);
  }
  // Session-Expires from sessionTimeout (RFC 4028), none otherwise.
  const sessionExpires = getHeader(invite, 'Session-Expires');
  if (sip.sessionTimeout === undefined) assert.equal(sessionExpires, undefined);
  else assert.equal(sessionExpires?.split(';')[0]?.trim(), String(sip.sessionTimeout));
  // SDP: the codecs in the order given (the engine's own list without), then telephone-event (one
  // per clock rate offered, RFC 4733 §2.1).
  const offered = offeredCodecs(invite.body.toString('utf8'));
  assert.deepEqual(offered.filter((name) => name !== 'TELEPHONE-EVENT'), sip.codecs.length > 0 ? sip.codecs : [...DEFAULT_OFFER_CODECS]);
  assert.ok(offered.includes('TELEPHONE-EVENT'));
  return invite;
}

/** The names in a written URI's `?name=value&…` part, percent-decoded as RFC 3261 §19.1.1 reads them. */
function writtenHeaderNames(raw: string): string[] {
  const query = raw.indexOf('?');
  if (query < 0) return [];
  return raw
    .slice(query + 1)
    .split('&')
    .map((pair) => decodeURIComponent(pair.split('=')[0] ?? ''))
    .filter((name) => name.length > 0 && !name.includes('='));
}

/** Encoding names of the m=audio line's payload types, in order. */
function offeredCodecs(sdp: string): string[] {
  const formats = /^m=audio \d+ RTP\/AVP ([\d ]+)\r?$/m.exec(sdp)?.[1]?.trim().split(' ') ?? [];
  const names = new Map([...sdp.matchAll(/^a=rtpmap:(\d+) ([^/\s]+)\//gm)].map((match) => [match[1]!, match[2]!.toUpperCase()]));
  const staticNames: Record<string, string> = { '0': 'PCMU', '8': 'PCMA', '9': 'G722', '18': 'G729' };
  return formats.map((format) => names.get(format) ?? staticNames[format] ?? format);
}

/** Every webhook of the run, field by field: voice, screening, the child's callbacks, the action, the parent's completed. */
export function assertWebhooks(run: SeedRun, invite: SipRequest): void {
  const { app, example, parentSid, childSid, report } = run;
  const { sip, dial } = example;
  assertEverySignatureValid(app);
  const pathFor = (url: string): string => appPath(url, app);

  const [voice, ...moreVoice] = app.requestsTo('/voice');
  assert.equal(moreVoice.length, 0);
  assert.equal(voice!.method, 'POST');
  assert.match(parentSid, /^CA[0-9a-f]{32}$/);
  assert.equal(voice!.params['AccountSid'], ACCOUNT_SID);
  assert.equal(voice!.params['Direction'], 'inbound');
  assert.equal(voice!.params['CallStatus'], 'ringing');
  assert.equal(voice!.params['ApiVersion'], '2010-04-01');

  const sipCallId = invite.callId;
  assert.match(sipCallId, /@dialtone$/);
  const legParams = (request: AppRequest): void => {
    assert.equal(request.params['CallSid'], childSid);
    assert.equal(request.params['ParentCallSid'], parentSid);
    assert.equal(request.params['AccountSid'], ACCOUNT_SID);
    assert.equal(request.params['ApiVersion'], '2010-04-01');
    assert.equal(request.params['Direction'], 'outbound-dial');
  };

  // Screening (`url`): the called party's leg, with its SIP Call-ID and the 200's X- headers.
  if (sip.url !== undefined) {
    const [screening, ...more] = app.requestsTo(pathFor(sip.url));
    assert.equal(more.length, 0);
    assert.equal(screening!.method, sip.method);
    legParams(screening!);
    assert.equal(screening!.params['SipCallId'], sipCallId);
    assert.deepEqual(prefixed(screening!.params, 'SipHeader_'), report.answerXHeaders);
  }

  // The child's progress callbacks: the events asked for, in order, SequenceNumber from 0.
  if (sip.statusCallback !== undefined) {
    const callbacks = [...app.requestsTo(pathFor(sip.statusCallback))].sort((a, b) => Number(a.params['SequenceNumber']) - Number(b.params['SequenceNumber']));
    assert.deepEqual(callbacks.map((callback) => callback.params['CallStatus']), sip.statusCallbackEvents.map((event) => progressStatus[event]));
    callbacks.forEach((callback, index) => {
      assert.equal(callback.method, sip.statusCallbackMethod);
      legParams(callback);
      assert.equal(callback.params['SequenceNumber'], String(index));
      assert.equal(callback.params['CallbackSource'], 'call-progress-events');
      assert.match(callback.params['Timestamp'] ?? '', RFC2822_UTC);
      assert.equal(callback.params['SipCallId'], sipCallId);
      if (callback.params['CallStatus'] === 'completed') {
        assert.match(callback.params['CallDuration'] ?? '', /^\d+$/);
        assert.equal(callback.params['SipResponseCode'], '200');
      } else {
        assert.equal(callback.params['CallDuration'], undefined, 'CallDuration only on completed');
      }
    });
  }

  // The Dial action: the bridged call's outcome, and the recording when the Dial recorded.
  if (dial.action !== undefined) {
    const [action, ...more] = app.requestsTo(pathFor(dial.action));
    assert.equal(more.length, 0);
    assert.equal(action!.method, dial.method);
    assert.equal(action!.params['CallSid'], parentSid);
    assert.equal(action!.params['AccountSid'], ACCOUNT_SID);
    assert.equal(action!.params['DialCallStatus'], 'completed');
    assert.equal(action!.params['DialCallSid'], childSid);
    assert.equal(action!.params['DialSipResponseCode'], '200');
    assert.equal(action!.params['DialBridged'], 'true');
    assert.match(action!.params['DialCallDuration'] ?? '', /^\d+$/);
    assert.equal(action!.params['DialSipCallId'], sipCallId);
    assert.deepEqual(prefixed(action!.params, 'DialSipHeader_'), report.answerXHeaders);
    if (dial.record !== 'do-not-record') {
      assert.match(action!.params['RecordingSid'] ?? '', /^RE[0-9a-f]{32}$/);
      assert.match(action!.params['RecordingUrl'] ?? '', new RegExp(`/Recordings/${action!.params['RecordingSid']}`));
      assert.match(action!.params['RecordingDuration'] ?? '', /^\d+$/);
    } else {
      assert.equal(action!.params['RecordingSid'], undefined);
    }
  }

  // The route's statusCallback: the caller's call completed.
  const [parent, ...moreParent] = app.requestsTo(PARENT_STATUS);
  assert.equal(moreParent.length, 0);
  assert.equal(parent!.params['CallSid'], parentSid);
  assert.equal(parent!.params['CallStatus'], 'completed');
  assert.equal(parent!.params['Direction'], 'inbound');
  assert.match(parent!.params['CallDuration'] ?? '', /^\d+$/);

  // Nothing else was asked of the application.
  const known = new Set(['/voice', PARENT_STATUS, ...[sip.url, sip.statusCallback, dial.action].filter((url): url is string => url !== undefined).map(pathFor)]);
  assert.deepEqual(app.requests.filter((request) => !known.has(request.path)).map((request) => request.path), []);
}

function prefixed(params: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => name.startsWith(prefix)).map(([name, value]) => [name.slice(prefix.length), value]));
}

/** The usual checks of a seed example that dials its callee directly. */
export async function runAndCheckSeedExample(example: SingleSipExample): Promise<void> {
  await runSeedExample(example, (run) => {
    // didML: a user-less target dials the number the caller dialled.
    const user = example.sip.uri.userFromCalledNumber ? userPart(run.app.requestsTo('/voice')[0]!.params['To'] ?? '') : example.sip.uri.user;
    const invite = assertInvite(run, { user: user === undefined ? undefined : decodeURIComponent(user), port: run.callee.port });
    assertWebhooks(run, invite);
  });
}
