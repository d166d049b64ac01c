/** Two UserAgents on 127.0.0.1 over one protocol, and small helpers to wait on their events. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NameAddr, SipUri } from '../../../../src/sip/message/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/index.js';
import { UserAgent, type IncomingCall, type SipEndpointOptions, type UserAgentOptions } from '../../../../src/sip/ua/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'tls');
export const tlsFixture = {
  cert: readFileSync(join(fixtures, 'server.pem')),
  key: readFileSync(join(fixtures, 'server.key')),
};

export const offerSdp = Buffer.from('v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n');
export const answerSdp = Buffer.from('v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n');

export async function startUa(protocol: TransportProtocol, extra: Partial<SipEndpointOptions & UserAgentOptions> = {}): Promise<UserAgent> {
  return UserAgent.start({
    transport: {
      listen: [{ protocol, address: '127.0.0.1', port: 0 }],
      ...(protocol === 'tls' ? { tls: { ...tlsFixture, verifyPeer: false } } : {}),
    },
    // Short T1 keeps UDP retransmission tests quick; nothing asserts on time.
    timers: { t1: 100, t2: 400, tryingDelay: 0, timerDUnreliable: 500 },
    ...extra,
  });
}

/** The URI of a UA's listener, as `<Sip>` would give it. */
export function uriOf(ua: UserAgent, user = 'bob'): SipUri {
  const local = ua.endpoint.listening()[0]!;
  const params = new Map<string, string | null>();
  if (local.protocol !== 'udp') params.set('transport', local.protocol);
  return { scheme: 'sip', user, host: local.address, port: local.port, params, headers: [] };
}

export function caller(user = 'alice'): NameAddr {
  return { displayName: 'Alice', uri: { scheme: 'sip', user, host: 'dialtone.test', params: new Map(), headers: [] }, params: new Map() };
}

/** Resolves with the next incoming call of `ua`. */
export function nextIncoming(ua: UserAgent): Promise<IncomingCall> {
  return new Promise((resolve) => ua.onIncomingCall((call) => resolve(call)));
}

