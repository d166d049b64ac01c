import type { SipTarget } from './locate.js';
import type { TargetBlacklist } from './target-blacklist.js';

/** Why a target failed: the three failures RFC 3263 §4.3 moves on from. */
export type TargetFailure =
  | { kind: 'timeout' }
  | { kind: 'transport' }
  | { kind: 'unavailable'; /** Retry-After of the 503, seconds. */ retryAfterSeconds?: number };

/**
 * RFC 3263 §4.3: the client moves to the next target when the request fails with a transport error,
 * a transaction timeout, or a 503 (Service Unavailable). Any other final response, including other
 * 5xx, is an answer from the server and ends the search.
 */
export function failoverFor(
  outcome: { status: number; retryAfterSeconds?: number } | 'timeout' | 'transport',
): TargetFailure | undefined {
  if (outcome === 'timeout') return { kind: 'timeout' };
  if (outcome === 'transport') return { kind: 'transport' };
  if (outcome.status !== 503) return undefined;
  return outcome.retryAfterSeconds === undefined
    ? { kind: 'unavailable' }
    : { kind: 'unavailable', retryAfterSeconds: outcome.retryAfterSeconds };
}

/**
 * Walks the targets of one request in the order `locate` gave them. Targets on the blacklist are
 * not dropped but tried last: a blacklist entry is a guess about the recent past, and a dial that
 * has nothing else left is better served by trying than by failing unasked.
 */
export class TargetIterator {
  private readonly remaining: SipTarget[];
  private readonly blacklist: TargetBlacklist | undefined;
  private readonly tried: SipTarget[] = [];

  constructor(targets: readonly SipTarget[], blacklist?: TargetBlacklist) {
    this.remaining = [...targets];
    this.blacklist = blacklist;
  }

  /** The next target to try, or undefined when all have been tried. */
  next(): SipTarget | undefined {
    let index = this.remaining.findIndex((target) => this.blacklist?.has(target) !== true);
    if (index < 0) index = this.remaining.length > 0 ? 0 : -1;
    if (index < 0) return undefined;
    const [target] = this.remaining.splice(index, 1);
    if (target !== undefined) this.tried.push(target);
    return target;
  }

  /**
   * Records that a target failed. A 503's Retry-After sets how long it is avoided (RFC 3261
   * §21.5.4); timeouts and transport errors use the blacklist's default.
   */
  fail(target: SipTarget, failure: TargetFailure): void {
    if (this.blacklist === undefined) return;
    if (failure.kind === 'unavailable' && failure.retryAfterSeconds !== undefined) {
      this.blacklist.add(target, failure.retryAfterSeconds * 1000);
    } else {
      this.blacklist.add(target);
    }
  }

  get hasNext(): boolean {
    return this.remaining.length > 0;
  }

  /** Targets handed out so far, in order. */
  get attempted(): readonly SipTarget[] {
    return this.tried;
  }
}
