/**
 * Locating SIP servers (RFC 3263 §4): from a URI's scheme, host, port and transport parameter to an
 * ordered list of (transport, address, port) targets to try in turn (§4.3).
 *
 *   numeric host ──────────────────────────────> that address (§4.1, §4.2)
 *   transport=… ─> port? ─ yes ──> A/AAAA, that port
 *                        └ no ───> SRV for that transport ─ none ─> A/AAAA, default port
 *   port given ──> A/AAAA (UDP for sip, TLS for sips) (§4.1)
 *   otherwise ───> NAPTR ─ usable ─> SRV of each replacement
 *                        └ none ───> SRV _sip._udp, _sip._tcp, _sips._tcp ─ none ─> A/AAAA, default port
 */
import { isIP } from 'node:net';
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import type { SipUri } from '../message/types.js';
import { orderSrvRecords } from './order-srv-records.js';
import { type NaptrRecord, type Resolver, isNotFoundError } from './resolver.js';

export type SipTransportProtocol = 'udp' | 'tcp' | 'tls';

/** The parts of a SIP URI that locating needs (a SipUri fits). */
export interface LocateRequest {
  scheme: 'sip' | 'sips';
  /** Host name or IP address; an IPv6 literal with or without brackets. */
  host: string;
  port?: number;
  /** The URI's `transport` parameter, if any. */
  transport?: string;
}

export interface SipTarget {
  protocol: SipTransportProtocol;
  /** IPv4 or IPv6 address (no brackets). */
  address: string;
  port: number;
  /** The name this address was resolved from (SRV target or URI host), or the address itself. */
  hostname: string;
}

export interface LocateOptions {
  /** Uniform [0, 1) source for SRV weighting (RFC 2782); default Math.random. */
  random?: () => number;
  /** Transports we support, in our order of preference when DNS leaves the choice to us. */
  protocols?: readonly SipTransportProtocol[];
  /** Address families, in order: default IPv4 then IPv6. */
  families?: ReadonlyArray<4 | 6>;
}

export type LocateFailureReason =
  | 'nxdomain'
  | 'no-records'
  | 'dns-failure'
  | 'unsupported-transport'
  | 'unsupported-scheme';

/**
 * The locate request for a SIP or SIPS URI. RFC 3263 §4 defines TARGET "as the value of the maddr
 * parameter of the URI, if present, otherwise, the host value of the hostport component of the URI".
 * Any other scheme (tel:, or an absolute URI) cannot be located and gives sipLocateFailed.
 */
export function locateRequestFor(uri: Pick<SipUri, 'scheme' | 'host' | 'port' | 'params'>): LocateRequest {
  // `scheme` is an open string union, which does not narrow; spell the two cases out.
  const scheme = uri.scheme === 'sip' ? 'sip' : uri.scheme === 'sips' ? 'sips' : undefined;
  if (scheme === undefined) {
    throw new DialtoneError(ErrorCodes.sipLocateFailed, `a ${uri.scheme}: URI has no SIP server to locate`, {
      reason: 'unsupported-scheme',
      scheme: uri.scheme,
    });
  }
  const maddr = uri.params.get('maddr');
  const transport = uri.params.get('transport');
  const request: LocateRequest = { scheme, host: maddr ?? uri.host };
  if (uri.port !== undefined) request.port = uri.port;
  if (transport !== undefined && transport !== null) request.transport = transport;
  return request;
}

/** RFC 3261 §19.1.2: 5060 for sip over UDP and TCP, 5061 for TLS. */
export function defaultPort(protocol: SipTransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** RFC 3263 §4.1 NAPTR services, and the SRV prefixes of §4.1/RFC 3261 §19.1.2, per transport. */
const NAPTR_SERVICES: Record<string, SipTransportProtocol> = {
  'sip+d2u': 'udp',
  'sip+d2t': 'tcp',
  'sips+d2t': 'tls',
};
const SRV_PREFIX: Record<SipTransportProtocol, string> = {
  udp: '_sip._udp.',
  tcp: '_sip._tcp.',
  tls: '_sips._tcp.',
};

interface Context {
  resolver: Resolver;
  random: () => number;
  families: ReadonlyArray<4 | 6>;
  /** Codes of DNS failures other than "not found" (timeouts, SERVFAIL, refused). */
  failures: string[];
  /** Whether any address lookup answered NXDOMAIN. */
  nxdomain: boolean;
}

/**
 * The ordered targets for a request, or a DialtoneError (sipLocateFailed) whose details say why:
 * `reason` (LocateFailureReason), `host`, and `dnsErrors` (node:dns codes) for DNS failures.
 */
export async function locate(request: LocateRequest, resolver: Resolver, options: LocateOptions = {}): Promise<SipTarget[]> {
  const host = stripBrackets(request.host).toLowerCase();
  const supported = options.protocols ?? ['udp', 'tcp', 'tls'];
  const ctx: Context = {
    resolver,
    random: options.random ?? Math.random,
    families: options.families ?? [4, 6],
    failures: [],
    nxdomain: false,
  };
  const fail = (reason: LocateFailureReason, message: string): DialtoneError =>
    new DialtoneError(ErrorCodes.sipLocateFailed, message, {
      host,
      reason,
      ...(ctx.failures.length > 0 ? { dnsErrors: [...ctx.failures] } : {}),
    });

  // RFC 3263 §4.1: "If the URI specifies a transport protocol in the transport parameter, that
  // transport protocol SHOULD be used."
  let protocol: SipTransportProtocol | undefined;
  if (request.transport !== undefined) {
    protocol = transportFor(request.scheme, request.transport.toLowerCase());
    if (protocol === undefined || !supported.includes(protocol)) {
      throw fail('unsupported-transport', `transport ${request.transport} is not usable for a ${request.scheme} URI`);
    }
  }
  // For a sips URI only TLS will do (RFC 3261 §26.2.2); for sip, UDP unless we do not speak it.
  const fallbackProtocol: SipTransportProtocol =
    request.scheme === 'sips' ? 'tls' : supported.includes('udp') ? 'udp' : (supported[0] ?? 'udp');

  // RFC 3263 §4.1: "if no transport protocol is specified, but the TARGET is a numeric IP address,
  // the client SHOULD use UDP for a SIP URI, and TCP for a SIPS URI." §4.2: "If TARGET is a numeric
  // IP address, the client uses that address. If the URI also contains a port, it uses that port. If
  // no port is specified, it uses the default port for the particular transport protocol."
  if (isIP(host) !== 0) {
    const chosen = protocol ?? fallbackProtocol;
    return [{ protocol: chosen, address: host, port: request.port ?? defaultPort(chosen), hostname: host }];
  }

  let targets: SipTarget[];
  if (protocol !== undefined) {
    targets =
      request.port !== undefined
        ? // §4.2: "If the TARGET was not a numeric IP address, but a port is present in the URI, the
          // client performs an A or AAAA record lookup of the domain name."
          await addressTargets(ctx, host, protocol, request.port)
        : await srvThenAddresses(ctx, host, [protocol]);
  } else if (request.port !== undefined) {
    // §4.1: "Otherwise, if no transport protocol is specified, and the TARGET is not numeric, but
    // an explicit port is provided, the client SHOULD use UDP for a SIP URI, and TCP for a SIPS URI."
    targets = await addressTargets(ctx, host, fallbackProtocol, request.port);
  } else {
    targets = await naptrTargets(ctx, host, request.scheme, supported);
    if (targets.length === 0) {
      // §4.1: "If no NAPTR records are found, the client constructs SRV queries for those transport
      // protocols it supports, and does a query for each." A client resolving a SIPS URI only uses TLS.
      const protocols = request.scheme === 'sips' ? supported.filter((p) => p === 'tls') : supported;
      targets = await srvThenAddresses(ctx, host, protocols, fallbackProtocol);
    }
  }

  const unique = dedupe(targets);
  if (unique.length > 0) return unique;
  if (ctx.failures.length > 0) throw fail('dns-failure', `DNS lookups for ${host} failed (${ctx.failures.join(', ')})`);
  if (ctx.nxdomain) throw fail('nxdomain', `${host} does not exist (NXDOMAIN)`);
  throw fail('no-records', `no SIP server found for ${host}`);
}

function transportFor(scheme: 'sip' | 'sips', transport: string): SipTransportProtocol | undefined {
  if (scheme === 'sips') {
    // RFC 3261 §26.2.2: a SIPS URI over TCP means TLS; "transport=tls" is the deprecated spelling.
    return transport === 'tcp' || transport === 'tls' ? 'tls' : undefined;
  }
  if (transport === 'udp' || transport === 'tcp' || transport === 'tls') return transport;
  return undefined;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Runs a lookup, turning "no such records" into [] and recording other failures. */
async function lookup<T>(ctx: Context, query: () => Promise<T[]>, isAddress = false): Promise<T[]> {
  try {
    return await query();
  } catch (error) {
    if (isNotFoundError(error)) {
      if (isAddress && (error as { code?: unknown }).code === 'ENOTFOUND') ctx.nxdomain = true;
      return [];
    }
    const code = (error as { code?: unknown } | null)?.code;
    ctx.failures.push(typeof code === 'string' ? code : String(error));
    return [];
  }
}

async function addressTargets(ctx: Context, name: string, protocol: SipTransportProtocol, port: number): Promise<SipTarget[]> {
  const lists = await Promise.all(
    ctx.families.map((family) =>
      lookup(ctx, () => (family === 4 ? ctx.resolver.resolve4(name) : ctx.resolver.resolve6(name)), true),
    ),
  );
  return lists.flat().map((address) => ({ protocol, address, port, hostname: name }));
}

/**
 * SRV for each protocol, in the given order; then, if no SRV records at all exist, A/AAAA with the
 * default port. RFC 3263 §4.2: "If no SRV records were found, the client performs an A or AAAA
 * record lookup of the domain name."
 */
async function srvThenAddresses(
  ctx: Context,
  host: string,
  protocols: readonly SipTransportProtocol[],
  addressProtocol: SipTransportProtocol | undefined = protocols[0],
): Promise<SipTarget[]> {
  const answers = await Promise.all(
    protocols.map((protocol) => lookup(ctx, () => ctx.resolver.resolveSrv(SRV_PREFIX[protocol] + host))),
  );
  if (answers.some((records) => records.length > 0)) {
    const perProtocol = await Promise.all(
      answers.map((records, i) => srvTargets(ctx, records, protocols[i] as SipTransportProtocol)),
    );
    return perProtocol.flat();
  }
  if (addressProtocol === undefined) return [];
  return addressTargets(ctx, host, addressProtocol, defaultPort(addressProtocol));
}

async function srvTargets(
  ctx: Context,
  records: Parameters<typeof orderSrvRecords>[0],
  protocol: SipTransportProtocol,
): Promise<SipTarget[]> {
  // RFC 2782: "A Target of "." means that the service is decidedly not available at this domain."
  const usable = records.filter((record) => stripDot(record.name) !== '');
  const ordered = orderSrvRecords(usable, ctx.random);
  const lists = await Promise.all(
    ordered.map((record) => addressTargets(ctx, stripDot(record.name).toLowerCase(), protocol, record.port)),
  );
  return lists.flat();
}

/**
 * RFC 3263 §4.1: NAPTR records for SIP, taken by order then preference (RFC 3403), keeping the
 * services we support. "A client resolving a SIPS URI MUST discard any services that do not contain "SIPS" as
 * the protocol in the service field. The converse is not true, however. A client resolving a SIP URI
 * SHOULD retain records with "SIPS" as the protocol, if the client supports TLS."
 */
async function naptrTargets(
  ctx: Context,
  host: string,
  scheme: 'sip' | 'sips',
  supported: readonly SipTransportProtocol[],
): Promise<SipTarget[]> {
  const records = await lookup(ctx, () => ctx.resolver.resolveNaptr(host));
  const usable = records
    .filter((record) => record.flags.toLowerCase() === 's' && record.replacement !== '')
    .map((record) => ({ record, protocol: NAPTR_SERVICES[record.service.toLowerCase()] }))
    .filter(
      (entry): entry is { record: NaptrRecord; protocol: SipTransportProtocol } =>
        entry.protocol !== undefined && supported.includes(entry.protocol) && (scheme === 'sip' || entry.protocol === 'tls'),
    )
    .sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
  const lists = [];
  for (const { record, protocol } of usable) {
    const srv = await lookup(ctx, () => ctx.resolver.resolveSrv(stripDot(record.replacement)));
    lists.push(await srvTargets(ctx, srv, protocol));
  }
  return lists.flat();
}

function dedupe(targets: readonly SipTarget[]): SipTarget[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const key = `${target.protocol}|${target.address}|${target.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
