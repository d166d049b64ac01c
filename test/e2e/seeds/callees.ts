/**
 * The called parties of the seed examples, each telling what reached it exactly as received: SIPp
 * (UDP and TCP; its -trace_msg log read back into parsed messages) or, for TLS, which this SIPp build
 * cannot speak, the project's own UserAgent with the test certificate. Either answers 180 then 200
 * with X- headers and hangs up a second later, as uas-answer-200-then-bye does; with credentials it
 * first challenges with 401 and verifies the digest (SIPp's uas-401-challenge then waits for our BYE).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../../src/kernel/index.js';
import { formatUri, getHeaders, parseMessage, type SipMessage, type SipRequest, type SipResponse } from '../../../src/sip/message/index.js';
import { DigestVerifier, UserAgent, type SipCall } from '../../../src/sip/index.js';
import { assertSippPassed, scenario, startSipp, verifyDigestInLog, type RunningSipp } from '../../support/sipp.js';
import { sleep, within } from '../support/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
export const tlsFixtures = join(here, '..', '..', 'fixtures', 'tls');
const dialScenario = (name: string): string => join(here, '..', 'dial', 'scenarios', `${name}.xml`);

export type CalleeTransport = 'udp' | 'tcp' | 'tls';

export interface Credentials {
  username: string;
  password: string;
}

/** What the callee saw, once its call is over. */
export interface CalleeReport {
  /** Every INVITE received, in order (the challenged one first when there was a challenge). */
  invites: SipRequest[];
  /** The X- headers of the 200 the callee answered the INVITE with (what DialSipHeader_* must carry). */
  answerXHeaders: Record<string, string>;
}

export interface Callee {
  port: number;
  transport: CalleeTransport;
  /** Who ends the call: the callee by itself, or us (the caller hangs up once the leg is answered). */
  hangsUp: 'callee' | 'caller';
  /** Waits for the callee's call to end and checks its own verdict (SIPp passed, digest verified). */
  finish(): Promise<CalleeReport>;
  close(): Promise<void>;
}

/** Our own UA as the TLS callee: it also tells what reached it so far, for calls that never get there. */
export interface TlsCallee extends Callee {
  invitesSoFar(): readonly SipRequest[];
}

const TALK_MS = 1000;

export async function startCallee(transport: CalleeTransport, credentials?: Credentials): Promise<Callee> {
  return transport === 'tls' ? startTlsCallee(credentials) : startSippCallee(transport, credentials);
}

async function startSippCallee(transport: 'udp' | 'tcp', credentials: Credentials | undefined): Promise<Callee> {
  const sipp: RunningSipp = await startSipp({
    scenario: credentials === undefined ? dialScenario('uas-answer-200-then-bye') : scenario('uas-401-challenge'),
    role: 'uas',
    transport: transport === 'udp' ? 'u1' : 't1',
    calls: 1,
    timeoutMs: 40_000,
    ...(credentials === undefined ? {} : { authUser: credentials.username, authPassword: credentials.password }),
  });
  return {
    port: sipp.port,
    transport,
    hangsUp: credentials === undefined ? 'callee' : 'caller',
    async finish() {
      const result = await within(sipp.done, 45_000, 'SIPp to finish its call');
      assertSippPassed(result, 1, 'SIPp callee');
      if (credentials !== undefined) {
        const digest = verifyDigestInLog(result.messagesLog, { ...credentials, proxy: false });
        if (!digest.ok) throw new Error(`the INVITE's Authorization does not verify: ${digest.reason}`);
      }
      const received = loggedMessages(result.messagesLog, 'received');
      const sent = loggedMessages(result.messagesLog, 'sent');
      return {
        invites: received.filter((message): message is SipRequest => message.kind === 'request' && message.method === 'INVITE'),
        answerXHeaders: xHeadersOf(sent.find((message): message is SipResponse => isInviteOk(message))),
      };
    },
    async close() {
      await sipp.stop();
    },
  };
}

export async function startTlsCallee(credentials?: Credentials): Promise<TlsCallee> {
  const [cert, key] = await Promise.all([readFile(join(tlsFixtures, 'server.pem')), readFile(join(tlsFixtures, 'server.key'))]);
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }], tls: { cert, key } } });
  // Challenged here rather than by the UA core, so that the challenged INVITE is seen too.
  const verifier =
    credentials === undefined
      ? undefined
      : new DigestVerifier({
          realm: 'dialtone.test',
          secret: 'seed-examples-nonce-secret',
          clock: systemClock,
          lookup: (username) => (username === credentials.username ? credentials.password : undefined),
        });
  const invites: SipRequest[] = [];
  const answerXHeaders = { 'X-Result': 'ok', 'X-Callee-Id': 'tls-1' };
  let ended: Promise<unknown> | undefined;
  let failure: unknown;
  ua.onIncomingCall(async (incoming) => {
    invites.push(incoming.request);
    if (verifier !== undefined) {
      const request = incoming.request;
      const verdict = await verifier.verify({ method: request.method, uri: formatUri(request.uri), authorization: getHeaders(request, 'Authorization') });
      if (!verdict.ok) {
        incoming.reject(verdict.status, undefined, verdict.challenge);
        return;
      }
    }
    const offer = incoming.remoteSdp?.toString('utf8') ?? '';
    const payloadType = /^m=audio \d+ RTP\/AVP (?:\d+ )*?(0|8)\b/m.exec(offer)?.[1] ?? '0';
    incoming.progress(180);
    const answer = [
      'v=0',
      'o=callee 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      // Nobody listens there: the engine's RTP to the callee goes nowhere, which the call does not mind.
      'm=audio 9 RTP/AVP ' + payloadType,
      `a=rtpmap:${payloadType} ${payloadType === '0' ? 'PCMU' : 'PCMA'}/8000`,
      'a=sendrecv',
      '',
    ].join('\r\n');
    const headers = Object.entries(answerXHeaders).map(([name, value]) => ({ name, value }));
    ended = incoming.accept(Buffer.from(answer), { headers, contentType: 'application/sdp' }).then(async (call: SipCall) => {
      await sleep(TALK_MS);
      if (!call.isEnded) await call.bye();
    });
    ended.catch((error: unknown) => (failure = error));
  });
  return {
    port: ua.endpoint.listening()[0]!.port,
    transport: 'tls',
    hangsUp: 'callee',
    invitesSoFar: () => invites,
    async finish() {
      await within(
        (async () => {
          while (ended === undefined) await sleep(25);
          await ended.catch(() => undefined);
        })(),
        30_000,
        'the TLS callee’s call to end',
      );
      if (failure !== undefined) throw failure;
      return { invites, answerXHeaders };
    },
    async close() {
      await ua.close();
    },
  };
}

function isInviteOk(message: SipMessage): boolean {
  return message.kind === 'response' && message.status === 200 && message.cseq.method === 'INVITE';
}

function xHeadersOf(response: SipResponse | undefined): Record<string, string> {
  if (response === undefined) return {};
  return Object.fromEntries(response.headers.filter((header) => /^x-/i.test(header.name)).map((header) => [header.name, header.value]));
}

/**
 * SIPp's -trace_msg log back into messages: each entry is a dashed line, "UDP message received [N]
 * bytes :" or "UDP message sent (N bytes):", a blank line, then the N bytes as they went over the wire.
 */
export function loggedMessages(log: string, direction: 'received' | 'sent'): SipMessage[] {
  const bytes = Buffer.from(log, 'utf8');
  const messages: SipMessage[] = [];
  const entry = /^(?:UDP|TCP|TLS) message (received|sent) (?:\[(\d+)\] bytes :|\((\d+) bytes\):)\r?\n\r?\n/gm;
  for (const match of log.matchAll(entry)) {
    if (match[1] !== direction) continue;
    const start = Buffer.byteLength(log.slice(0, match.index! + match[0].length), 'utf8');
    const parsed = parseMessage(bytes.subarray(start, start + Number(match[2] ?? match[3])));
    if (!parsed.ok) throw new Error(`SIPp logged a message that does not parse: ${parsed.error.reason}`);
    messages.push(parsed.message);
  }
  return messages;
}
