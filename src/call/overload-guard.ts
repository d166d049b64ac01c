/**
 * Admission control for new calls. Past capacity a new INVITE is refused at once with 503 and
 * Retry-After (RFC 3261 §21.5.4), so that the calls already up keep their CPU and keep flowing,
 * instead of every call degrading together. Capacity has three measures, each off when 0:
 * - `maxCalls`: calls live or starting;
 * - `callsPerSecond`: new calls admitted per second (a token bucket holding one second's worth, so
 *   a burst of that size passes and a sustained flood is cut to the rate);
 * - `maxEventLoopLagMs`: the event loop's recent lag, the one figure that rises whatever the
 *   bottleneck is (CPU, the store, GC) before media and timers suffer.
 */
import type { Clock } from '../kernel/index.js';

export interface OverloadLimits {
  maxCalls: number;
  callsPerSecond: number;
  maxEventLoopLagMs: number;
  retryAfterSeconds: number;
}

/** The event loop's recent lag in milliseconds (kernel's EventLoopLagSensor in production). */
export interface LagSensor {
  lagMs(): number;
}

export type OverloadReason = 'max-calls' | 'calls-per-second' | 'event-loop-lag';

export type AdmissionDecision = { admitted: true } | { admitted: false; reason: OverloadReason; retryAfterSeconds: number };

export interface OverloadGuardOptions {
  limits: OverloadLimits;
  clock: Clock;
  /** Calls live or starting now. */
  activeCalls: () => number;
  lag?: LagSensor;
}

/** Tokens are counted in thousandths, so that refills from whole milliseconds add up exactly. */
const TOKEN = 1000;

export class OverloadGuard {
  private tokens: number;
  private refilledAt: number;
  private readonly refused = new Map<OverloadReason, number>();

  constructor(private readonly options: OverloadGuardOptions) {
    this.tokens = options.limits.callsPerSecond * TOKEN;
    this.refilledAt = options.clock.monotonic();
  }

  /** Decides for one new call; an admitted call has taken its token. */
  admit(): AdmissionDecision {
    const { limits } = this.options;
    if (limits.maxCalls > 0 && this.options.activeCalls() >= limits.maxCalls) return this.refuse('max-calls');
    if (limits.maxEventLoopLagMs > 0 && this.options.lag !== undefined && this.options.lag.lagMs() > limits.maxEventLoopLagMs) {
      return this.refuse('event-loop-lag');
    }
    if (limits.callsPerSecond > 0) {
      this.refill();
      if (this.tokens < TOKEN) return this.refuse('calls-per-second');
      this.tokens -= TOKEN;
    }
    return { admitted: true };
  }

  /** Calls refused so far, by reason (for logs and benchmarks). */
  refusals(): ReadonlyMap<OverloadReason, number> {
    return this.refused;
  }

  private refill(): void {
    const now = this.options.clock.monotonic();
    const rate = this.options.limits.callsPerSecond;
    // Elapsed milliseconds × calls per second = thousandths of a call.
    this.tokens = Math.min(rate * TOKEN, this.tokens + (now - this.refilledAt) * rate);
    this.refilledAt = now;
  }

  private refuse(reason: OverloadReason): AdmissionDecision {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    return { admitted: false, reason, retryAfterSeconds: this.options.limits.retryAfterSeconds };
  }
}
