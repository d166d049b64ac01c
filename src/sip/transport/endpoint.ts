/** Helpers for Endpoint values: canonical addresses, keys for maps, default ports. */
import { isIP } from 'node:net';
import type { Endpoint, TransportProtocol } from './types.js';

/** RFC 3261 §19.1.2: 5060 for sip over UDP/TCP, 5061 for TLS (sips). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/**
 * The one spelling of an IP literal used for comparisons and keys: brackets removed, IPv6 compressed
 * and lower-cased, and an IPv4-mapped IPv6 address (what a dual-stack socket reports) turned back into
 * its IPv4 form. Anything that is not an IP literal is returned lower-cased.
 */
export function canonicalAddress(address: string): string {
  let value = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  value = value.toLowerCase();
  if (isIP(value) !== 6) return value;
  if (value.includes('%')) return value; // zone identifiers are kept as written
  const compressed = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(compressed);
  if (mapped !== null) return mapped[1]!;
  // The URL parser writes a mapped IPv4 address as hex (::ffff:7f00:1); turn that back as well.
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mappedHex !== null) {
    const high = parseInt(mappedHex[1]!, 16);
    const low = parseInt(mappedHex[2]!, 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return compressed;
}

export function isIpLiteral(host: string): boolean {
  return isIP(canonicalAddress(host)) !== 0;
}

export function addressFamily(address: string): 4 | 6 {
  return isIP(canonicalAddress(address)) === 6 ? 6 : 4;
}

export function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.protocol}|${canonicalAddress(endpoint.address)}|${endpoint.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return endpointKey(a) === endpointKey(b);
}

/** For logs: udp:[::1]:5060. */
export function formatEndpoint(endpoint: Endpoint): string {
  const address = canonicalAddress(endpoint.address);
  return `${endpoint.protocol}:${address.includes(':') ? `[${address}]` : address}:${endpoint.port}`;
}

/** Via transport tokens (RFC 3261 §20.42) for the protocols this layer speaks. */
export function viaTransportOf(protocol: TransportProtocol): string {
  return protocol.toUpperCase();
}

export function protocolOfViaTransport(transport: string): TransportProtocol | undefined {
  switch (transport.toUpperCase()) {
    case 'UDP':
      return 'udp';
    case 'TCP':
      return 'tcp';
    case 'TLS':
      return 'tls';
    default:
      return undefined;
  }
}
