/**
 * The DNS the locator needs, as an interface so tests inject a fake and never query a real server.
 * Its shape is the subset of node:dns/promises' Resolver we use, so `new dns.promises.Resolver()`
 * is a Resolver as it stands.
 */
import { promises as dns, type NaptrRecord, type SrvRecord } from 'node:dns';

export type { NaptrRecord, SrvRecord };

export interface Resolver {
  resolveNaptr(hostname: string): Promise<NaptrRecord[]>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
}

export interface SystemResolverOptions {
  /** Per-query timeout, milliseconds; default 2 000 (node's own default is 5 000 with 4 tries). */
  timeoutMs?: number;
  /** Attempts per server before giving up; default 2. */
  tries?: number;
  /** DNS servers as `address[:port]`; default the system's. */
  servers?: readonly string[];
}

/**
 * The adapter for production: node's c-ares resolver with a bounded timeout, so a dead DNS server
 * costs seconds rather than the 20 s node would wait before the dial can fail over.
 */
export function createSystemResolver(options: SystemResolverOptions = {}): Resolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 2_000, tries: options.tries ?? 2 });
  if (options.servers !== undefined) resolver.setServers([...options.servers]);
  return resolver;
}

/**
 * DNS error codes (node:dns) that mean "no such records" rather than "could not ask": NXDOMAIN is
 * ENOTFOUND, an empty answer is ENODATA.
 */
export function isNotFoundError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === dns.NOTFOUND || code === dns.NODATA;
}
