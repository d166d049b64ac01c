import { createResponse, ParamList } from '../../../../src/sip/message/index.js';
import type { NameAddr, SipRequest, SipResponse, SipUri } from '../../../../src/sip/message/types.js';
import type { Endpoint, ReceivedMessage, TransportProtocol } from '../../../../src/sip/transport/types.js';

export function uri(user: string, host: string, params: Array<[string, string | null]> = []): SipUri {
  return { scheme: 'sip', user, host, params: new ParamList(params), headers: [] };
}

export function nameAddr(value: SipUri, tag?: string): NameAddr {
  return { uri: value, params: tag === undefined ? new ParamList() : new ParamList([['tag', tag]]) };
}

export interface RequestShape {
  method: string;
  branch?: string;
  seq?: number;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  viaHost?: string;
  viaPort?: number;
  transport?: TransportProtocol;
  route?: NameAddr[];
}

/** A request as a UAC would hand it to the transaction layer (or as the transport would deliver it). */
export function request(shape: RequestShape): SipRequest {
  const message: SipRequest = {
    kind: 'request',
    method: shape.method,
    uri: uri('bob', 'biloxi.example.com'),
    via: [
      {
        protocol: 'SIP/2.0',
        transport: (shape.transport ?? 'udp').toUpperCase(),
        host: shape.viaHost ?? 'pc33.atlanta.example.com',
        port: shape.viaPort ?? 5060,
        params: new ParamList(shape.branch === undefined ? [] : [['branch', shape.branch]]),
      },
    ],
    from: nameAddr(uri('alice', 'atlanta.example.com'), shape.fromTag ?? '1928301774'),
    to: nameAddr(uri('bob', 'biloxi.example.com'), shape.toTag),
    callId: shape.callId ?? 'a84b4c76e66710@pc33.atlanta.example.com',
    cseq: { seq: shape.seq ?? 314159, method: shape.method === 'ACK' || shape.method === 'CANCEL' ? 'INVITE' : shape.method },
    maxForwards: 70,
    headers: [],
    body: Buffer.alloc(0),
  };
  if (shape.method === 'ACK' || shape.method === 'CANCEL') message.cseq.method = shape.method;
  if (shape.route !== undefined) message.route = shape.route;
  return message;
}

/** A response to `to` as the peer would send it back. */
export function response(to: SipRequest, status: number, toTag?: string): SipResponse {
  return createResponse(to, status, undefined, toTag === undefined ? {} : { toTag });
}

export const peer: Endpoint = { protocol: 'udp', address: '198.51.100.20', port: 5060 };

export function endpoint(protocol: TransportProtocol): Endpoint {
  return { ...peer, protocol, port: protocol === 'tls' ? 5061 : 5060 };
}

/** What the transport hands up for a message from the peer over `protocol`. */
export function received(message: SipRequest | SipResponse, protocol: TransportProtocol = 'udp'): ReceivedMessage {
  const result: ReceivedMessage = {
    message,
    remote: endpoint(protocol),
    local: { protocol, address: '192.0.2.10', port: 5060 },
  };
  if (protocol !== 'udp') result.connectionId = 'conn-1';
  return result;
}

/** A deep-enough copy of a request, as a retransmission would parse. */
export function retransmission(original: SipRequest): SipRequest {
  return {
    ...original,
    via: original.via.map((via) => ({ ...via, params: new ParamList(via.params) })),
    from: { ...original.from, params: new ParamList(original.from.params) },
    to: { ...original.to, params: new ParamList(original.to.params) },
    cseq: { ...original.cseq },
  };
}
