import type { NaptrRecord, Resolver, SrvRecord } from '../../../../src/sip/locate/resolver.js';

type Failure = 'ENOTFOUND' | 'ENODATA' | 'ETIMEOUT' | 'ESERVFAIL';

interface Zone {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  /** Forced failures by "TYPE name", e.g. "SRV _sip._udp.example.com": "ETIMEOUT". */
  fail?: Record<string, Failure>;
}

/**
 * An in-memory DNS: answers from the zone, logs every query, and fails like node:dns does (an error
 * with a `code`): ENODATA for a name that exists with other records, ENOTFOUND for an unknown name.
 */
export class FakeResolver implements Resolver {
  readonly queries: string[] = [];

  constructor(private readonly zone: Zone) {}

  resolveNaptr(name: string): Promise<NaptrRecord[]> {
    return this.answer('NAPTR', name, this.zone.naptr);
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.answer('SRV', name, this.zone.srv);
  }

  resolve4(name: string): Promise<string[]> {
    return this.answer('A', name, this.zone.a);
  }

  resolve6(name: string): Promise<string[]> {
    return this.answer('AAAA', name, this.zone.aaaa);
  }

  private async answer<T>(type: string, name: string, table: Record<string, T[]> | undefined): Promise<T[]> {
    const query = `${type} ${name}`;
    this.queries.push(query);
    const forced = this.zone.fail?.[query];
    if (forced !== undefined) throw Object.assign(new Error(`query${type} ${forced} ${name}`), { code: forced });
    const records = table?.[name];
    if (records !== undefined && records.length > 0) return records;
    throw Object.assign(new Error(`query${type} ${name}`), { code: this.known(name) ? 'ENODATA' : 'ENOTFOUND' });
  }

  private known(name: string): boolean {
    return [this.zone.naptr, this.zone.srv, this.zone.a, this.zone.aaaa].some((table) => table?.[name] !== undefined);
  }
}

export function naptr(order: number, preference: number, service: string, replacement: string): NaptrRecord {
  return { flags: 's', service, regexp: '', replacement, order, preference };
}

export function srv(priority: number, weight: number, port: number, name: string): SrvRecord {
  return { priority, weight, port, name };
}

/** A deterministic [0, 1) sequence (mulberry32), for seeded SRV weighting. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
