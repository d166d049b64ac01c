// The scene of the forking tests: the racing scene (SIPp callees, the webhook app, the engine, our
// caller) with a real forking proxy in front of the callees. Kamailio forks every INVITE for
// sip:fork@<kamailio> in parallel to each SIPp callee (one branch per callee, in order) and
// record-routes it, so the engine's one <Sip> leg meets several early dialogs from one INVITE
// (RFC 3261 §12.1.2, §13.2.2.4) and its ACKs and BYEs must come back through the proxy.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { formatKamailioLog, requireKamailio, startKamailio, type KamailioEvent, type RunningKamailio } from '../../support/kamailio.js';
import type { SippResult } from '../../support/sipp.js';
import type { WebhookApp } from '../support/harness.js';
import { ALL_EVENTS, playScene, type CalleeSpec, type Scene } from '../dial-racing/racing-scene.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A scenario of this folder by name. */
export const forkingScenario = (name: string): string => join(here, 'scenarios', `${name}.xml`);

export interface ForkingScene extends Scene {
  kamailio: RunningKamailio;
}

export interface ForkingResult {
  /** Each branch's SIPp result, in branch order. */
  branches: SippResult[];
  kamailio: RunningKamailio;
}

export interface ForkDial {
  answerOnBridge?: boolean;
  /** Seconds; the answered call then ends with our BYE to the branch that won. */
  timeLimit?: number;
}

/**
 * The /voice document: one <Dial> with one <Sip> to the forking proxy, ringing for up to 20 s, every
 * status callback of that one leg to /status/0; the action is /after (the racing scene's <Hangup/>).
 */
function dialTheFork(forkUri: string, app: WebhookApp, dial: ForkDial): string {
  const voice = new twilio.twiml.VoiceResponse();
  voice
    .dial({ action: '/after', timeout: 20, ...(dial.answerOnBridge === true ? { answerOnBridge: true } : {}), ...(dial.timeLimit === undefined ? {} : { timeLimit: dial.timeLimit }) })
    .sip({ statusCallback: app.url('/status/0'), statusCallbackEvent: [...ALL_EVENTS] }, forkUri);
  return voice.toString();
}

/**
 * Plays `body` with Kamailio forking sip:fork@… to every branch. Returns every branch's SIPp result
 * once each finished its scenario, and the (stopped) Kamailio with its log; undefined when Kamailio
 * or SIPp is missing (the test is then skipped visibly by requireKamailio / requireSipp).
 */
export async function playForkingScene(
  t: TestContext,
  options: { branches: readonly CalleeSpec[]; dial: ForkDial },
  body: (scene: ForkingScene) => Promise<void>,
): Promise<ForkingResult | undefined> {
  if (!requireKamailio(t, { tls: false })) return undefined;
  let kamailio: RunningKamailio | undefined;
  const started = (): RunningKamailio => {
    assert.ok(kamailio !== undefined, 'Kamailio starts before the call');
    return kamailio;
  };
  try {
    const branches = await playScene(
      t,
      {
        callees: options.branches,
        voice: async (ports, app) => {
          kamailio = await startKamailio({ tcp: false, forks: { fork: ports.map((port) => `sip:fork@127.0.0.1:${port}`) } });
          return dialTheFork(kamailio.uri('udp', 'fork'), app, options.dial);
        },
      },
      (scene) => body({ ...scene, kamailio: started() }),
    );
    return branches === undefined ? undefined : { branches, kamailio: started() };
  } catch (error) {
    throw new Error(`${(error as Error).message}${kamailio === undefined ? '' : `\n${formatKamailioLog(kamailio)}`}`, { cause: error });
  } finally {
    await kamailio?.stop();
  }
}

/** One SIP message of a SIPp -trace_msg log, whole. */
export interface SippMessage {
  direction: 'received' | 'sent';
  /** Request method, or `SIP/2.0` for a response. */
  startLine: string;
  text: string;
}

/** Every message of a SIPp run, in log order (blocks start with a dashed line, then "… message received|sent …"). */
export function sippMessages(result: SippResult): SippMessage[] {
  const messages: SippMessage[] = [];
  for (const block of result.messagesLog.split(/^-{10,} .*\r?\n/m)) {
    const match = /^\S+ message (received|sent)[^\n]*\n\s*([\s\S]*)$/.exec(block);
    if (match === null) continue;
    const text = match[2]!.trim();
    messages.push({ direction: match[1] as 'received' | 'sent', startLine: text.split(/\r?\n/, 1)[0]!, text });
  }
  return messages;
}

/** The requests `method` a SIPp branch received, whole, in order. */
export function requestsReceived(result: SippResult, method: string): string[] {
  return sippMessages(result)
    .filter((message) => message.direction === 'received' && message.startLine.startsWith(`${method} `))
    .map((message) => message.text);
}

/** A header's first value in a message's text (full name, case-insensitive). */
export function headerOf(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'im').exec(text)?.[1];
}

/** The To tag of the responses a SIPp branch sent: the remote tag of its dialog. */
export function toTagSent(result: SippResult): string {
  const response = sippMessages(result).find((message) => message.direction === 'sent' && / 18\d | 200 /.test(message.startLine) && /^To:.*;tag=/im.test(message.text));
  const tag = response === undefined ? undefined : /;tag=([^;\s>]+)/.exec(headerOf(response.text, 'To') ?? '')?.[1];
  assert.ok(tag !== undefined, 'the branch sent a response with its To tag');
  return tag;
}

/**
 * Asserts that a request reached a branch through Kamailio: its top Via is Kamailio's (the proxy
 * forwarded it, RFC 3261 §16.6 step 8), not the engine's.
 */
export function assertCameThroughProxy(request: string, kamailio: RunningKamailio, what: string): void {
  const topVia = headerOf(request, 'Via') ?? '';
  assert.match(topVia, new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${kamailio.port('udp')};`), `${what}: the top Via is Kamailio's (${topVia})`);
}

/**
 * The statuses of the replies to the INVITE Kamailio got from one branch (its SIPp's SIP port), in
 * order: 100 Trying (hop by hop) left out, a retransmission (a 200 resent until its ACK) counted once.
 */
export function inviteRepliesFrom(kamailio: RunningKamailio, branchPort: number): number[] {
  return kamailio
    .events()
    .filter((event: KamailioEvent) => event.kind === 'reply' && event.method === 'INVITE' && event.status !== 100 && event.source === `127.0.0.1:${branchPort}`)
    .map((event) => event.status ?? 0)
    .filter((status, index, statuses) => status !== statuses[index - 1]);
}
