// The scene every racing test plays in: SIPp callees (one UAS per <Dial> noun), the webhook app
// answering /voice with the test's <Dial> and /after with <Hangup/>, the engine as `dialtone start`
// builds it, and our own caller. Each test says only what the callees do and what it expects.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { requireSipp, startSipp, type RunningSipp, type SippResult } from '../../support/sipp.js';
import { ACCOUNT_SID, AUTH_TOKEN, Caller, ownPortRange, startTestEngine, within, WebhookApp, type AppRequest, type EngineSetup, type PlacedCall } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';

/** The caller's call once the engine answered it. */
export type AnsweredCall = Extract<PlacedCall, { answered: true }>;

const here = dirname(fileURLToPath(import.meta.url));

/** A scenario of this folder by name. */
export const racingScenario = (name: string): string => join(here, 'scenarios', `${name}.xml`);

/** Every status callback event of a leg, so its whole life shows in the callbacks. */
export const ALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;

const HANGUP = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';
const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export interface CalleeSpec {
  scenario: string;
  /** -key name value pairs for the scenario (e.g. `callee` for uas-ring-then-answer-wait-bye). */
  keys?: Record<string, string>;
  authUser?: string;
  authPassword?: string;
  /** SIPp echoes the RTP it receives (-rtp_echo), so the caller can hear its own audio through the bridge. */
  rtpEcho?: boolean;
  /** This callee must never be called: it is stopped once the body is done, not awaited. */
  idle?: boolean;
}

/**
 * The /voice document that rings every callee, at once or (sequential) in order, each for `timeout`
 * seconds: one `<Sip>` per callee (sip:callee<i>@…), whose every status callback goes to /status/<i>.
 * timeLimit ends the answered call with our BYE; the action is /after.
 */
export function dialEveryCallee(options: { timeout: number; sequential?: boolean }): (ports: readonly number[], app: WebhookApp) => string {
  return (ports, app) => {
    const voice = new twilio.twiml.VoiceResponse();
    const dial = voice.dial({ action: '/after', timeout: options.timeout, timeLimit: 1, ...(options.sequential === true ? { sequential: true } : {}) });
    ports.forEach((port, index) => dial.sip({ statusCallback: app.url(`/status/${index}`), statusCallbackEvent: [...ALL_EVENTS] }, `sip:callee${index}@127.0.0.1:${port}`));
    return voice.toString();
  };
}

export interface Scene {
  app: WebhookApp;
  setup: EngineSetup;
  caller: Caller;
  callees: readonly RunningSipp[];
}

export interface SceneOptions {
  callees: readonly CalleeSpec[];
  /** The /voice document, given the callees' SIP ports in order (async when something must start in front of them first). */
  voice: (ports: readonly number[], app: WebhookApp) => string | Promise<string>;
  /** Top-level configuration beside the harness's (trunks, accounts), given the callees' ports. */
  config?: (ports: readonly number[]) => Record<string, unknown>;
  /** More of the route (voiceFallbackUrl, …). */
  route?: (app: WebhookApp) => Record<string, unknown>;
}

/**
 * Plays `body` in a fresh scene and returns every callee's SIPp result (in `callees` order) once all
 * have finished; undefined when SIPp is missing (the test is then skipped by requireSipp). An `idle`
 * callee is stopped when the body is done; every other one must finish its scenario by itself.
 */
export async function playScene(t: TestContext, options: SceneOptions, body: (scene: Scene) => Promise<void>): Promise<SippResult[] | undefined> {
  if (!requireSipp(t)) return undefined;
  const app = await WebhookApp.start();
  const callees: RunningSipp[] = [];
  let setup: EngineSetup | undefined;
  let caller: Caller | undefined;
  try {
    for (const spec of options.callees) {
      callees.push(
        await startSipp({
          scenario: spec.scenario,
          role: 'uas',
          transport: 'u1',
          calls: 1,
          timeoutMs: 40_000,
          ...(spec.keys === undefined ? {} : { keys: spec.keys }),
          ...(spec.authUser === undefined ? {} : { authUser: spec.authUser }),
          ...(spec.authPassword === undefined ? {} : { authPassword: spec.authPassword }),
          ...(spec.rtpEcho === undefined ? {} : { rtpEcho: spec.rtpEcho }),
        }),
      );
    }
    const ports = callees.map((callee) => callee.port);
    app.on('/voice', await options.voice(ports, app));
    app.on('/after', HANGUP);
    setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), ...(options.route?.(app) ?? {}) }], {
      media: { portRange: ownPortRange(36000) },
      ...(options.config?.(ports) ?? {}),
    });
    caller = await Caller.start();
    await body({ app, setup, caller, callees });
    const finished = callees.map((callee, index) => (options.callees[index]!.idle === true ? callee.stop() : callee.done));
    return await within(Promise.all(finished), 45_000, 'every SIPp callee to finish its scenario');
  } finally {
    await caller?.close();
    await setup?.close();
    for (const callee of callees) await callee.stop();
    await app.close();
  }
}

/**
 * The caller calls the engine (and, when given, plays its part in the call); resolves with the Dial
 * action once it came and the caller's call ended.
 */
export async function callAndAwaitAction(scene: Scene, during?: (placed: AnsweredCall) => Promise<void>): Promise<AppRequest> {
  const placed = await within(scene.caller.call(scene.setup.sipPort), 20_000, 'the engine to answer the caller');
  assert.ok(placed.answered, 'the engine answers the caller');
  if (during !== undefined) await within(during(placed), 30_000, 'the caller’s part');
  const action = await within(scene.app.waitFor('/after'), 60_000, 'the Dial action');
  assertSigned(action);
  assert.equal(action.params['CallSid'], scene.app.requestsTo('/voice')[0]?.params['CallSid']);
  // The action's <Hangup/> ends the caller's call (unless the caller left first).
  await within(placed.ended, 10_000, 'the caller’s call to end');
  return action;
}

export function assertSigned(request: AppRequest): void {
  assert.ok(twilio.validateRequest(AUTH_TOKEN, request.signature ?? '', request.url, request.params), `${request.path}: X-Twilio-Signature validates`);
}

export interface LegCallbacks {
  callSid: string;
  /** CallStatus of each callback, in SequenceNumber order. */
  statuses: string[];
  /** The leg's last callback (its end). */
  last: AppRequest;
}

/**
 * One leg's status callbacks (its noun's own statusCallback `path`), once the terminal one came:
 * numbered from 0 without gaps, all for the same child call of the caller's call.
 */
export async function legCallbacks(scene: Scene, path: string): Promise<LegCallbacks> {
  const all = await within(
    eventually(async () => scene.app.requestsTo(path), (list) => list.some((request) => TERMINAL.has(request.params['CallStatus'] ?? '')), { polls: 4_000 }),
    25_000,
    `the last status callback on ${path}`,
  );
  const callbacks = [...all].sort((a, b) => Number(a.params['SequenceNumber']) - Number(b.params['SequenceNumber']));
  const parentSid = scene.app.requestsTo('/voice')[0]?.params['CallSid'];
  const callSid = callbacks[0]?.params['CallSid'] ?? '';
  assert.match(callSid, /^CA[0-9a-f]{32}$/);
  callbacks.forEach((callback, index) => {
    assertSigned(callback);
    assert.equal(callback.params['SequenceNumber'], String(index), `${path}: SequenceNumber counts this leg's callbacks from 0`);
    assert.equal(callback.params['CallSid'], callSid, `${path}: one leg per noun`);
    assert.equal(callback.params['ParentCallSid'], parentSid);
    assert.equal(callback.params['AccountSid'], ACCOUNT_SID);
    assert.equal(callback.params['Direction'], 'outbound-dial');
  });
  return { callSid, statuses: callbacks.map((callback) => callback.params['CallStatus'] ?? ''), last: callbacks[callbacks.length - 1]! };
}

/** The CA SID the engine put in the INVITE a SIPp callee received (X-Twilio-CallSid), if any. */
export function invitedCallSid(result: SippResult): string | undefined {
  return /\nX-Twilio-CallSid: (CA[0-9a-f]{32})\r?\n/.exec(result.messagesLog)?.[1];
}

/** One SIP message in a SIPp -trace_msg log: when SIPp logged it, and its start line. */
export interface LoggedMessage {
  /** Milliseconds since the epoch (SIPp logs local time to the microsecond). */
  at: number;
  direction: 'received' | 'sent';
  startLine: string;
}

/** The messages of a SIPp run in log order, to compare when things happened across callees. */
export function sippLadder(result: SippResult): LoggedMessage[] {
  const messages: LoggedMessage[] = [];
  const entry = /^-{10,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d+)\r?\n\S+ message (received|sent)[^\n]*\n\s*([^\r\n]+)/gm;
  for (const match of result.messagesLog.matchAll(entry)) {
    const at = Date.parse(`${match[1]}T${match[2]}`) + Number(`0.${match[3]}`) * 1000;
    messages.push({ at, direction: match[4] as 'received' | 'sent', startLine: match[5]! });
  }
  return messages;
}
