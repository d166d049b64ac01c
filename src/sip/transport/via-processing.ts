/**
 * The Via rules the transport applies (RFC 3261 §18.1.1, §18.1.2, §18.2.1, §18.2.2 and RFC 3581).
 * Pure functions over the message model; the transport decides what to do with their answers.
 */
import type { SipRequest, Via } from '../message/types.js';
import { canonicalAddress, defaultPort, isIpLiteral, protocolOfViaTransport, viaTransportOf } from './endpoint.js';
import type { Endpoint, TransportProtocol } from './types.js';

/**
 * RFC 3261 §18.1.1 / RFC 3581 §3: writes the transport and sent-by actually used into the topmost Via,
 * keeping its branch and other parameters, and asks for `rport` ("the client MUST include an rport
 * parameter with no value"). An `rport` that already carries a value is reset to the empty request.
 */
export function fillTopVia(request: SipRequest, protocol: TransportProtocol, host: string, port: number): void {
  const via = request.via[0];
  if (via === undefined) return;
  via.transport = viaTransportOf(protocol);
  via.host = canonicalAddress(host);
  via.port = port;
  via.params.set('rport', null);
  // `received` is for the server to add; a value left over from another hop would mislead it.
  via.params.delete('received');
}

/**
 * RFC 3261 §18.2.1: "If the host portion of the 'sent-by' field contains a domain name, or if it
 * contains an IP address that differs from the packet source address, the server MUST add a
 * 'received' parameter to that Via header field value."
 * RFC 3581 §4: "If this Via header field value contains an 'rport' parameter with no value, it MUST set
 * the value of the parameter to the source port of the request ... the server MUST insert a
 * 'received' parameter containing the source IP address that the request came from, even if it is
 * identical to the value of the 'sent-by' component."
 */
export function stampReceivedVia(via: Via, source: Endpoint): void {
  const sourceAddress = canonicalAddress(source.address);
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  if (wantsRport) via.params.set('rport', String(source.port));
  if (wantsRport || canonicalAddress(via.host) !== sourceAddress) via.params.set('received', sourceAddress);
}

export type ResponseRoute =
  | { kind: 'send'; destination: Endpoint }
  | { kind: 'unroutable'; reason: string };

/**
 * Where a response goes when it is not (or can no longer be) sent over the request's connection,
 * RFC 3261 §18.2.2 with RFC 3581 §4:
 * - reliable: "the server SHOULD open a connection to the IP address in the 'received' parameter, if
 *   present, using the port in the 'sent-by' value, or the default port for that transport";
 * - "if the Via header field value contains a 'maddr' parameter, the response MUST be forwarded to the
 *   address listed there, using the port indicated in 'sent-by', or port 5060 if none is present";
 * - RFC 3581 §4: unreliable, no maddr, both received and rport: "the response MUST be sent to the IP
 *   address listed in the 'received' parameter, and the port in the 'rport' parameter";
 * - "if the top Via has a 'received' parameter, the response MUST be sent to the address in the
 *   'received' parameter, using the port indicated in the 'sent-by' value, or using port 5060";
 * - otherwise to the sent-by address. A sent-by host name would need RFC 3263 §5 resolution, which
 *   belongs to the locate layer, so that case is reported unroutable.
 */
export function responseRoute(via: Via): ResponseRoute {
  const protocol = protocolOfViaTransport(via.transport);
  if (protocol === undefined) return { kind: 'unroutable', reason: `unsupported Via transport ${via.transport}` };
  const sentByPort = via.port ?? defaultPort(protocol);
  const received = via.params.get('received') ?? undefined;
  const rport = parsePort(via.params.get('rport') ?? undefined);
  const maddr = via.params.get('maddr') ?? undefined;
  let address: string;
  let port = sentByPort;
  if (protocol !== 'udp') {
    address = received ?? via.host;
  } else if (maddr !== undefined) {
    address = maddr;
  } else if (received !== undefined && rport !== undefined) {
    address = received;
    port = rport;
  } else if (received !== undefined) {
    address = received;
  } else {
    address = via.host;
  }
  if (!isIpLiteral(address)) return { kind: 'unroutable', reason: `Via names host ${address}, which needs RFC 3263 resolution` };
  return { kind: 'send', destination: { protocol, address: canonicalAddress(address), port } };
}

/**
 * The connection a NATed peer's request arrived on is keyed by its source, which the server wrote into
 * received/rport (RFC 3581 §4); a response without its request can still find that connection.
 */
export function viaSourceEndpoint(via: Via): Endpoint | undefined {
  const protocol = protocolOfViaTransport(via.transport);
  const received = via.params.get('received') ?? undefined;
  const rport = parsePort(via.params.get('rport') ?? undefined);
  if (protocol === undefined || received === undefined || rport === undefined || !isIpLiteral(received)) return undefined;
  return { protocol, address: canonicalAddress(received), port: rport };
}

/** RFC 5923 §5: a Via `alias` parameter lets the server reuse this connection to reach sent-by. */
export function viaAliasEndpoint(via: Via, source: Endpoint): Endpoint | undefined {
  if (!via.params.has('alias')) return undefined;
  const protocol = protocolOfViaTransport(via.transport);
  if (protocol === undefined || protocol !== source.protocol) return undefined;
  return { protocol, address: canonicalAddress(source.address), port: via.port ?? defaultPort(protocol) };
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port > 0 && port <= 65535 ? port : undefined;
}
