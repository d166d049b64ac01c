import type { Clock } from '../../kernel/index.js';
import type { SipTarget } from './locate.js';

export interface TargetBlacklistOptions {
  clock: Clock;
  /** How long a failed target is avoided when no Retry-After says otherwise; default 60 s. */
  defaultMs?: number;
  /** Bound on remembered targets; the soonest to expire is dropped first. Default 1 000. */
  maxEntries?: number;
}

function keyOf(target: SipTarget): string {
  return `${target.protocol}|${target.address}|${target.port}`;
}

/**
 * Targets that recently failed, avoided for a while. Shared by every dial so one call's timeout
 * spares the next call the same wait. RFC 3261 §21.5.4 (503): a client "SHOULD NOT forward any other
 * requests to that server for the duration specified in the Retry-After header field, if present."
 */
export class TargetBlacklist {
  private readonly clock: Clock;
  private readonly defaultMs: number;
  private readonly maxEntries: number;
  private readonly until = new Map<string, number>();

  constructor(options: TargetBlacklistOptions) {
    this.clock = options.clock;
    this.defaultMs = options.defaultMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 1_000;
  }

  add(target: SipTarget, durationMs: number = this.defaultMs): void {
    const now = this.clock.monotonic();
    this.prune(now);
    const key = keyOf(target);
    this.until.set(key, Math.max(this.until.get(key) ?? 0, now + durationMs));
    while (this.until.size > this.maxEntries) {
      let soonest: [string, number] | undefined;
      for (const entry of this.until) if (soonest === undefined || entry[1] < soonest[1]) soonest = entry;
      if (soonest === undefined) break;
      this.until.delete(soonest[0]);
    }
  }

  has(target: SipTarget): boolean {
    const until = this.until.get(keyOf(target));
    return until !== undefined && until > this.clock.monotonic();
  }

  get size(): number {
    this.prune(this.clock.monotonic());
    return this.until.size;
  }

  private prune(now: number): void {
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
  }
}
