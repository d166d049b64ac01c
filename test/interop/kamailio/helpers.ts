// Dialtone's side of the Kamailio interop tests, on the UA core and the transaction layer only
// (SipEndpoint + TransactionManager), so these proofs do not depend on the fuller UserAgent:
//   - startDialtone: a SipEndpoint listening on TLS or TCP (127.0.0.1, port 0) with the test certificates;
//   - sendAndWait: one client transaction, resolving with its provisional and final responses;
//   - answerCalls: a tiny UAS application (INVITE → 200 with a canned SDP, ACK of the 2xx taken, BYE → 200);
//   - placeCall: a tiny UAC (INVITE → 2xx → ACK along the route set → BYE → 200), RFC 3261 §12/§13.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createResponse,
  parseMessage,
  parseNameAddr,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from '../../../src/sip/message/index.js';
import type { SyntheticCause } from '../../../src/sip/transaction/index.js';
import type { Endpoint, ReceivedMessage, TlsOptions, TransportProtocol } from '../../../src/sip/transport/index.js';
import { SipEndpoint } from '../../../src/sip/ua/index.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'tls');
export const fixture = (name: string): string => join(FIXTURES, name);

/** TLS options of our transport with the committed test material (server.pem for localhost/127.0.0.1). */
export function testTls(overrides: Partial<TlsOptions> = {}): TlsOptions {
  return {
    cert: readFileSync(fixture('server.pem')),
    key: readFileSync(fixture('server.key')),
    ca: readFileSync(fixture('ca.pem')),
    verifyPeer: true,
    ...overrides,
  };
}

export const CANNED_SDP = Buffer.from(
  'v=0\r\no=dialtone 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0 101\r\n' +
    'a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n',
);
export const OFFER_SDP = Buffer.from(
  'v=0\r\no=dialtone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\n' +
    'a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n',
);

const token = (): string => randomBytes(6).toString('hex');

/** A SipEndpoint on 127.0.0.1:0 (or `host`) over `protocol`; TLS uses `tls` (default: our test cert, verifying peers against our CA). */
export async function startDialtone(protocol: 'tls' | 'tcp', tls: TlsOptions = testTls(), t1 = 200, host = '127.0.0.1'): Promise<SipEndpoint> {
  return SipEndpoint.start({
    transport: {
      listen: [{ protocol, address: host, port: 0 }],
      ...(protocol === 'tls' ? { tls } : {}),
      connectTimeoutMs: 3_000,
    },
    timers: { t1, tryingDelay: 0 },
  });
}

export function listenerOf(endpoint: SipEndpoint, protocol: TransportProtocol): Endpoint {
  const found = endpoint.listening().find((entry) => entry.protocol === protocol);
  if (!found) throw new Error(`no ${protocol} listener`);
  return found;
}

/** Parses a request written as text (LF line ends become CRLF; Content-Length is computed by the serialiser). */
export function requestFromText(text: string, body = Buffer.alloc(0)): SipRequest {
  const head = `${text.trim().replace(/\r?\n/g, '\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n`;
  const parsed = parseMessage(Buffer.concat([Buffer.from(head), body]));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error(`bad test request: ${JSON.stringify(parsed)}`);
  return parsed.message;
}

function nameAddr(text: string): NameAddr {
  const value = parseNameAddr(text);
  if (!value) throw new Error(`bad name-addr ${text}`);
  return value;
}

/** Where a request to `uri` goes (numeric hosts only): its transport param, host and port (RFC 3263 §4 defaults). */
export function destinationOf(uri: SipUri): Endpoint {
  const transport = (uri.params.get('transport') ?? (uri.scheme === 'sips' ? 'tls' : 'udp'))?.toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') throw new Error(`unsupported transport ${transport}`);
  return { protocol: transport, address: uri.host, port: uri.port ?? (transport === 'tls' ? 5061 : 5060) };
}

export interface Exchange {
  provisional: SipResponse[];
  final: SipResponse;
  synthetic: SyntheticCause | undefined;
}

/** Sends `request` in a client transaction to `destination`; resolves with its final response (maybe synthetic). */
export function sendAndWait(endpoint: SipEndpoint, request: SipRequest, destination: Endpoint, timeoutMs = 10_000): Promise<Exchange> {
  return new Promise((resolveExchange, reject) => {
    const provisional: SipResponse[] = [];
    const timer = setTimeout(() => reject(new Error(`no final response to ${request.method} within ${timeoutMs} ms`)), timeoutMs);
    endpoint.transactions.request(request, destination, {
      onResponse: (response, synthetic) => {
        if (response.status < 200) {
          provisional.push(response);
          return;
        }
        clearTimeout(timer);
        resolveExchange({ provisional, final: response, synthetic });
      },
    });
  });
}

/** An OPTIONS to `uri` (no user part: to the server itself), sent to `destination`. */
export function optionsRequest(uri: string): SipRequest {
  return requestFromText(`OPTIONS ${uri} SIP/2.0
Via: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK${token()}
Max-Forwards: 70
From: <sip:dialtone@127.0.0.1>;tag=${token()}
To: <${uri}>
Call-ID: ${token()}@dialtone-kamailio-test
CSeq: 1 OPTIONS
Accept: application/sdp`);
}

// ---------------------------------------------------------------------------------------------
// UAS: answer calls

export interface AnsweredCalls {
  invites: ReceivedMessage[];
  acks: ReceivedMessage[];
  byes: ReceivedMessage[];
  /** Resolves once `count` calls have been answered, acknowledged and hung up. */
  completed(count: number, timeoutMs?: number): Promise<void>;
}

/**
 * The test application: every INVITE is answered 200 with the canned SDP (our Contact on the listener it
 * arrived on, Record-Route copied by createResponse), the ACK of that 2xx is taken (RFC 3261 §13.3.1.4),
 * and a BYE for a call we answered gets 200 (§15.1.2), any other BYE 481 (§12.2.2).
 */
export function answerCalls(endpoint: SipEndpoint): AnsweredCalls {
  const calls = new Map<string, { toTag: string }>();
  const result: AnsweredCalls = {
    invites: [],
    acks: [],
    byes: [],
    completed: async (count, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (result.byes.length < count || result.acks.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`calls not completed: ${result.invites.length} INVITE, ${result.acks.length} ACK, ${result.byes.length} BYE`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  endpoint.handle('INVITE', (transaction) => {
    const request = transaction.request;
    result.invites.push(transaction.received);
    const local = listenerOf(endpoint, transaction.received.local.protocol);
    const toTag = token();
    calls.set(request.callId, { toTag });
    const response = createResponse(request, 200, undefined, { toTag, body: CANNED_SDP, contentType: 'application/sdp' });
    const transportParam = local.protocol === 'udp' ? '' : `;transport=${local.protocol}`;
    response.contact = [nameAddr(`<sip:dialtone@${local.address}:${local.port}${transportParam}>`)];
    response.headers.push({ name: 'Server', value: endpoint.product });
    transaction.respond(response);
  });
  endpoint.onAckReceived((ack) => {
    const call = calls.get(ack.message.callId);
    if (call === undefined || ack.message.to.params.get('tag') !== call.toTag) return false;
    result.acks.push(ack);
    return true;
  });
  endpoint.handle('BYE', (transaction) => {
    const request = transaction.request;
    const call = calls.get(request.callId);
    const known = call !== undefined && request.to.params.get('tag') === call.toTag;
    if (known) result.byes.push(transaction.received);
    transaction.respond(createResponse(request, known ? 200 : 481));
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// UAC: place a call

export interface PlacedCall {
  invite: Exchange;
  /** The route set of the dialog (RFC 3261 §12.1.2: the 2xx's Record-Route, reversed). */
  routeSet: NameAddr[];
  /** Where the ACK and the BYE were sent (the first Route, loose routing). */
  nextHop: Endpoint;
  bye: Exchange;
}

/**
 * Calls `target` through the first hop `proxy` (the INVITE goes there, RFC 3261 §8.1.2), expects a
 * 2xx, sends the ACK along the dialog's route set (§13.2.2.4), waits `holdMs`, sends BYE (§15.1.1)
 * and returns every exchange for the caller to assert.
 */
export async function placeCall(
  endpoint: SipEndpoint,
  options: { target: string; proxy: Endpoint; holdMs?: number },
): Promise<PlacedCall> {
  const protocol = options.proxy.protocol;
  const local = listenerOf(endpoint, protocol);
  const transportParam = protocol === 'udp' ? '' : `;transport=${protocol}`;
  const fromTag = token();
  const callId = `${token()}@dialtone-kamailio-test`;
  const contact = `<sip:dialtone@${local.address}:${local.port}${transportParam}>`;
  const common = (method: string, seq: number): string => `From: <sip:dialtone@127.0.0.1>;tag=${fromTag}
Call-ID: ${callId}
CSeq: ${seq} ${method}
Max-Forwards: 70`;
  const invite = requestFromText(
    `INVITE ${options.target} SIP/2.0
Via: SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:9;branch=z9hG4bK${token()}
To: <${options.target}>
${common('INVITE', 1)}
Contact: ${contact}
Content-Type: application/sdp`,
    OFFER_SDP,
  );
  const answered = await sendAndWait(endpoint, invite, options.proxy);
  assert.equal(answered.final.status, 200, `INVITE answered ${answered.final.status} ${answered.final.reason}${answered.synthetic ? ` (synthetic: ${JSON.stringify(answered.synthetic)})` : ''}`);
  assert.ok(answered.final.body.toString().includes('m=audio'), 'the 200 carries an SDP answer');
  const remoteContact = answered.final.contact?.[0];
  assert.ok(remoteContact !== undefined && remoteContact !== '*', 'the 200 has a Contact');
  // RFC 3261 §12.1.2: "The route set MUST be set to the list of URIs in the Record-Route header field
  // from the response, taken in reverse order"; the remote target is the Contact.
  const routeSet = [...(answered.final.recordRoute ?? [])].reverse();
  const first = routeSet[0];
  const nextHop = first !== undefined && first.uri.params.has('lr') ? destinationOf(first.uri) : destinationOf(remoteContact.uri);
  const remoteTarget = remoteContact.uri;
  const to = answered.final.to;
  const inDialog = (method: string, seq: number): SipRequest => {
    const request = requestFromText(`${method} sip:placeholder@127.0.0.1 SIP/2.0
Via: SIP/2.0/${nextHop.protocol.toUpperCase()} 127.0.0.1:9;branch=z9hG4bK${token()}
To: <sip:placeholder@127.0.0.1>
${common(method, seq)}`);
    request.uri = remoteTarget;
    request.to = to;
    if (routeSet.length > 0) request.route = routeSet;
    return request;
  };
  // RFC 3261 §13.2.2.4: the ACK of a 2xx is built by the UAC core and sent outside the transaction.
  await endpoint.transactions.sendAck(inDialog('ACK', 1), nextHop);
  await new Promise((r) => setTimeout(r, options.holdMs ?? 200));
  const bye = await sendAndWait(endpoint, inDialog('BYE', 2), nextHop);
  return { invite: answered, routeSet, nextHop, bye };
}
