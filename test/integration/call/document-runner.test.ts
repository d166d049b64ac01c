/**
 * The document runner against a real local HTTP application (documents written with twilio's
 * VoiceResponse), through the real webhook client: what the application receives, and what the call
 * does with what it answers. The leg's SIP side and media are fakes; time is a FakeClock.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import twilio from 'twilio';
import {
  admitInbound,
  applicationErrorText,
  type CallStatus,
  type InboundCall,
  type NotificationInput,
  type OtherExecutors,
  type SipLegPort,
  startInboundCall,
} from '../../../src/call/index.js';
import type { AccountConfig, RouteConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/kernel/index.js';
import { createWebhookClient, type WebhookClient } from '../../../src/webhook/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeLeg, settle } from '../../unit/call/fake-leg.js';

const { VoiceResponse } = twilio.twiml;
const authToken = '0123456789abcdef0123456789abcdef';
const account: AccountConfig = { sid: 'AC0123456789abcdef0123456789abcdef', authToken, enhancedSip: true };

interface Seen {
  method: string;
  path: string;
  /** The full URL as the application was configured with it (for validateRequest). */
  url: string;
  params: Record<string, string>;
  signature: string;
}

type Answer = { status?: number; contentType?: string; body: string };

class App {
  readonly seen: Seen[] = [];
  readonly routes = new Map<string, (request: Seen) => Answer>();
  private readonly waiters: { path: string; resolve: (request: Seen) => void }[] = [];
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const target = new URL(req.url ?? '/', this.base);
      const params = Object.fromEntries(req.method === 'GET' ? target.searchParams : new URLSearchParams(body));
      const seen: Seen = {
        method: req.method ?? '',
        path: target.pathname,
        url: this.base + (req.url ?? '/'),
        params,
        signature: String(req.headers['x-twilio-signature'] ?? ''),
      };
      this.seen.push(seen);
      const answer = this.routes.get(target.pathname)?.(seen) ?? { status: 404, body: 'not found' };
      res.statusCode = answer.status ?? 200;
      res.setHeader('Content-Type', answer.contentType ?? 'text/xml');
      res.end(answer.body);
      for (const waiter of this.waiters.filter((entry) => entry.path === target.pathname)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(seen);
      }
    });
  });
  base = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  on(path: string, answer: Answer | ((request: Seen) => Answer)): void {
    this.routes.set(path, typeof answer === 'function' ? answer : () => answer);
  }

  requested(path: string): Promise<Seen> {
    const seen = this.seen.find((request) => request.path === path);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ path, resolve }));
  }

  paths(): string[] {
    return this.seen.map((request) => `${request.method} ${request.path}`);
  }
}

function twiml(build: (response: InstanceType<typeof VoiceResponse>) => void): Answer {
  const response = new VoiceResponse();
  build(response);
  return { body: response.toString() };
}

let app: App;
let webhook: WebhookClient;

beforeEach(async () => {
  app = new App();
  await app.start();
  webhook = createWebhookClient();
});

afterEach(async () => {
  webhook.close();
  await app.close();
});

interface Started extends InboundCall {
  clock: FakeClock;
  media: FakeLeg;
  sipActions: string[];
  statuses: CallStatus[];
  notifications: NotificationInput[];
}

function startCall(
  routeOverrides: Partial<RouteConfig> = {},
  hold?: (kind: string) => boolean,
  otherExecutors?: OtherExecutors,
): Started {
  const route: RouteConfig = {
    match: { kind: 'any' },
    account: account.sid,
    voiceUrl: `${app.base}/voice`,
    voiceMethod: 'POST',
    voiceFallbackMethod: 'POST',
    statusCallbackMethod: 'POST',
    dialect: 'twiml',
    ...routeOverrides,
  };
  const invite = {
    requestUser: '+15551230000',
    requestHost: 'dialtone.example.com',
    toUser: '+15551230000',
    from: '+15550001111',
    to: '+15551230000',
    sip: {
      callId: 'a84b4c76e66710@198.51.100.7',
      sourceIp: '198.51.100.7',
      domain: 'dialtone.example.com',
      xHeaders: [{ name: 'X-Customer', value: 'gold' }],
    },
  };
  const admission = admitInbound(invite, { routes: [route], accounts: [account] });
  assert.ok(admission.admitted);
  const clock = new FakeClock();
  const media = new FakeLeg({ clock, playMs: 0, ...(hold === undefined ? {} : { hold: (source) => hold(source.kind) }) });
  const sipActions: string[] = [];
  const sip: SipLegPort = {
    answer: async () => void sipActions.push('200'),
    reject: async (code) => void sipActions.push(String(code)),
    bye: async () => void sipActions.push('BYE'),
  };
  const statuses: CallStatus[] = [];
  const notifications: NotificationInput[] = [];
  const started = startInboundCall(invite, admission, sip, media, {
    clock,
    logger: silentLogger,
    webhook,
    notifications: { record: (notification) => void notifications.push(notification) },
    callEvents: { created: () => {}, statusChanged: (call) => statuses.push(call.status) },
    ...(otherExecutors === undefined ? {} : { otherExecutors }),
  });
  return { ...started, clock, media, sipActions, statuses, notifications };
}

/** Turns the event loop until `ready` holds (the runner reached a point the test drives next). */
async function until(ready: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !ready(); turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  assert.ok(ready(), 'the runner never got there');
}

function playedTexts(media: FakeLeg): string[] {
  return media.events.flatMap((event) => (event.kind === 'play' && event.source.kind === 'say' ? [event.source.text] : []));
}

describe('DocumentRunner with a real application', () => {
  it('fetches the voice URL with the standard parameters and a signature validateRequest accepts; a document that runs out hangs up', async () => {
    app.on('/voice', twiml((r) => r.say('Welcome to Dialtone.')));
    const call = startCall();
    await call.done;
    const request = app.seen[0]!;
    assert.equal(request.method, 'POST');
    assert.deepEqual(request.params, {
      CallSid: call.call.sid,
      AccountSid: account.sid,
      From: '+15550001111',
      To: '+15551230000',
      CallStatus: 'ringing',
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
      SipCallId: 'a84b4c76e66710@198.51.100.7',
      SipSourceIp: '198.51.100.7',
      SipDomain: 'dialtone.example.com',
      'SipHeader_X-Customer': 'gold',
    });
    assert.ok(twilio.validateRequest(authToken, request.signature, request.url, request.params));
    assert.deepEqual(playedTexts(call.media), ['Welcome to Dialtone.']);
    assert.deepEqual(call.sipActions, ['200', 'BYE']);
    assert.deepEqual(call.statuses, ['in-progress', 'completed']);
    assert.deepEqual(call.notifications, []);
  });

  it('GET puts the parameters in the query string, signed over the whole URL', async () => {
    app.on('/voice', twiml((r) => r.hangup()));
    const call = startCall({ voiceUrl: `${app.base}/voice?app=7`, voiceMethod: 'GET' });
    await call.done;
    const request = app.seen[0]!;
    assert.equal(request.method, 'GET');
    assert.equal(request.params['app'], '7');
    assert.equal(request.params['CallSid'], call.call.sid);
    assert.ok(twilio.validateRequest(authToken, request.signature, request.url, {}));
  });

  it('<Redirect> fetches the next document, relative to the current one, with its method', async () => {
    app.on('/voice', twiml((r) => r.redirect({ method: 'GET' }, 'menu/main')));
    app.on('/menu/main', twiml((r) => r.say('Main menu')));
    const call = startCall();
    await call.done;
    assert.deepEqual(app.paths(), ['POST /voice', 'GET /menu/main']);
    assert.deepEqual(playedTexts(call.media), ['Main menu']);
  });

  it('<Gather> POSTs Digits (and FinishedOnKey) to its action, and the answer runs next', async () => {
    app.on('/voice', twiml((r) => {
      r.gather({ numDigits: 2, action: '/menu' }).say('Press two digits');
      r.say('We did not get that');
    }));
    app.on('/menu', twiml((r) => r.say('Thank you')));
    const call = startCall({}, (kind) => kind === 'say');
    await call.media.next((event) => event.kind === 'play');
    call.media.press('42');
    const request = await app.requested('/menu');
    assert.equal(request.method, 'POST');
    assert.equal(request.params['Digits'], '42');
    assert.equal(request.params['FinishedOnKey'], '');
    assert.equal(request.params['CallStatus'], 'in-progress');
    assert.ok(twilio.validateRequest(authToken, request.signature, request.url, request.params));
    await call.media.next((event) => event.kind === 'play' && event.source.kind === 'say' && event.source.text === 'Thank you');
    call.leg.remoteHangup();
    await call.done;
    assert.ok(!playedTexts(call.media).includes('We did not get that'));
  });

  it('a failing voice URL goes to the fallback URL with ErrorCode and ErrorUrl, recorded as 11200', async () => {
    app.on('/voice', { status: 500, body: 'boom' });
    app.on('/fallback', twiml((r) => r.say('Fallback here')));
    const call = startCall({ voiceFallbackUrl: `${app.base}/fallback` });
    await call.done;
    assert.deepEqual(app.paths(), ['POST /voice', 'POST /fallback']);
    const fallback = app.seen[1]!;
    assert.equal(fallback.params['ErrorCode'], '11200');
    assert.equal(fallback.params['ErrorUrl'], `${app.base}/voice`);
    assert.equal(fallback.params['CallSid'], call.call.sid);
    assert.ok(twilio.validateRequest(authToken, fallback.signature, fallback.url, fallback.params));
    assert.deepEqual(playedTexts(call.media), ['Fallback here']);
    assert.deepEqual(
      call.notifications.map((n) => [n.errorCode, n.logLevel, n.requestUrl, n.callSid, n.accountSid]),
      [[11200, 'error', `${app.base}/voice`, call.call.sid, account.sid]],
    );
  });

  it('when the URL and the fallback both fail, the caller hears the spoken error and the call ends', async () => {
    app.on('/voice', { body: '<Response><Say>unclosed</Response>' });
    app.on('/fallback', { contentType: 'application/json', body: '{"say":"hi"}' });
    const call = startCall({ voiceFallbackUrl: `${app.base}/fallback` });
    await call.done;
    assert.equal(app.seen[1]?.params['ErrorCode'], '12100');
    assert.deepEqual(playedTexts(call.media), [applicationErrorText]);
    assert.equal(applicationErrorText, 'An application error has occurred. Goodbye.');
    assert.deepEqual(call.sipActions, ['200', 'BYE']);
    const codes = call.notifications.map((n) => n.errorCode);
    assert.ok(codes.includes(12100), `12100 in ${codes.join(',')}`);
    assert.equal(codes.at(-1), 12300);
    assert.equal(call.notifications.at(-1)?.requestUrl, `${app.base}/fallback`);
  });

  it('without a fallback, an unreachable application is 11205 and the spoken error', async () => {
    const call = startCall({ voiceUrl: 'http://127.0.0.1:1/voice' });
    await call.done;
    assert.deepEqual(call.notifications.map((n) => n.errorCode), [11205]);
    assert.deepEqual(playedTexts(call.media), [applicationErrorText]);
  });

  it('text/html is read as markup; warnings are recorded as 12200 and the document still runs', async () => {
    app.on('/voice', { contentType: 'text/html; charset=utf-8', body: '<Response><Foo/><Say>Still here</Say></Response>' });
    const call = startCall();
    await call.done;
    assert.deepEqual(playedTexts(call.media), ['Still here']);
    assert.deepEqual(call.notifications.map((n) => [n.errorCode, n.logLevel]), [[12200, 'warning']]);
  });

  it('an outside redirect stops the playing <Play> and runs the new document', async () => {
    app.on('/voice', twiml((r) => {
      r.play('http://media.test/hold.mp3');
      r.say('Never reached');
    }));
    app.on('/transfer', twiml((r) => r.say('You were moved')));
    const call = startCall({}, (kind) => kind === 'url');
    const play = await call.media.next((event) => event.kind === 'play');
    assert.equal(call.runner.redirect({ kind: 'url', url: `${app.base}/transfer`, method: 'POST' }), true);
    await call.done;
    assert.equal(play.kind === 'play' ? play.outcome : undefined, 'interrupted');
    assert.deepEqual(playedTexts(call.media), ['You were moved']);
    assert.deepEqual(app.paths(), ['POST /voice', 'POST /transfer']);
    assert.equal(call.runner.redirect({ kind: 'markup', text: '<Response/>' }), false, 'no redirect once the call is over');
  });

  it('an outside redirect may hand over markup directly', async () => {
    app.on('/voice', twiml((r) => r.play('http://media.test/hold.mp3')));
    const call = startCall({}, (kind) => kind === 'url');
    await call.media.next((event) => event.kind === 'play');
    call.runner.redirect({ kind: 'markup', text: new VoiceResponse().say('Inline words').toString() });
    await call.done;
    assert.deepEqual(playedTexts(call.media), ['Inline words']);
  });

  it("the caller's hang-up stops the running verb; nothing more is fetched or sent", async () => {
    app.on('/voice', twiml((r) => {
      r.play('http://media.test/hold.mp3');
      r.redirect('/never');
    }));
    const call = startCall({}, (kind) => kind === 'url');
    await call.media.next((event) => event.kind === 'play');
    call.leg.remoteHangup();
    await call.done;
    await settle();
    assert.deepEqual(app.paths(), ['POST /voice']);
    assert.deepEqual(call.sipActions, ['200']);
    assert.deepEqual(call.statuses, ['in-progress', 'completed']);
  });

  it('<Reject reason="busy"> first refuses the call with 486, unanswered', async () => {
    app.on('/voice', twiml((r) => {
      r.reject({ reason: 'busy' });
      r.say('unreachable');
    }));
    const call = startCall();
    await call.done;
    assert.deepEqual(call.sipActions, ['486']);
    assert.deepEqual(call.statuses, ['busy']);
    assert.deepEqual(playedTexts(call.media), []);
  });

  it('<Record> then the hang-up: the action gets the recording with Digits=hangup, and its answer is not run', async () => {
    app.on('/voice', twiml((r) => r.record({ action: '/saved', playBeep: false })));
    app.on('/saved', twiml((r) => r.say('not for a call that is gone')));
    const call = startCall();
    await call.media.next((event) => event.kind === 'record');
    call.leg.remoteHangup();
    await call.done;
    const saved = await app.requested('/saved');
    assert.equal(saved.params['Digits'], 'hangup');
    assert.equal(saved.params['RecordingSid'], 'RE0123456789abcdef0123456789abcdef');
    assert.equal(saved.params['RecordingDuration'], '7');
    assert.ok(saved.params['RecordingUrl']?.endsWith('/Recordings/RE0123456789abcdef0123456789abcdef'));
    assert.deepEqual(playedTexts(call.media), []);
  });

  it('<Gather> without input falls through to the next verb once its timeout has passed', async () => {
    app.on('/voice', twiml((r) => {
      r.gather({ timeout: 3, action: '/menu' });
      r.say('No input');
    }));
    const call = startCall();
    await until(() => call.clock.pending() > 0);
    call.clock.advance(3000);
    await call.done;
    assert.deepEqual(playedTexts(call.media), ['No input']);
    assert.deepEqual(app.paths(), ['POST /voice']);
  });

  it('<Dial> runs through the executor the wiring supplies, with the document URL in its context', async () => {
    app.on('/voice', twiml((r) => {
      r.dial().sip('sip:alice@pbx.example.com');
      r.say('After the dial');
    }));
    const dialled: string[] = [];
    const call = startCall({}, undefined, {
      dial: async (dial, context) => {
        dialled.push(`${dial.nouns[0]?.noun} from ${context.documentUrl}`);
        return { kind: 'next' };
      },
    });
    await call.done;
    assert.deepEqual(dialled, [`sip from ${app.base}/voice`]);
    assert.deepEqual(playedTexts(call.media), ['After the dial']);
  });

  it('a verb with no executor here is skipped with a 12200 warning', async () => {
    app.on('/voice', twiml((r) => {
      r.dial('+15557654321');
      r.say('Skipped the dial');
    }));
    const call = startCall();
    await call.done;
    assert.deepEqual(playedTexts(call.media), ['Skipped the dial']);
    assert.deepEqual(call.notifications.map((n) => [n.errorCode, n.logLevel]), [[12200, 'warning']]);
  });

  it('<Pause> first delays the pickup: a <Reject> after it still refuses the call unanswered (603)', async () => {
    app.on('/voice', twiml((r) => {
      r.pause({ length: 2 });
      r.reject();
    }));
    const call = startCall();
    await until(() => call.clock.pending() > 0);
    assert.deepEqual(call.sipActions, []);
    call.clock.advance(2000);
    await call.done;
    assert.deepEqual(call.sipActions, ['603']);
    assert.deepEqual(call.statuses, ['no-answer']);
  });
});
