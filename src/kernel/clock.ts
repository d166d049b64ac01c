/**
 * Time as a dependency. SIP timers (RFC 3261 Table 4), RTP timeouts and webhook deadlines all take a
 * Clock so that unit tests can drive time with the FakeClock in test/support instead of sleeping.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch (wall clock, for Timestamp fields and records). */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

interface SystemTimerHandle extends TimerHandle {
  readonly timer: NodeJS.Timeout;
}

let nextSystemTimerId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(callback, delayMs) {
    const handle: SystemTimerHandle = { id: nextSystemTimerId++, timer: setTimeout(callback, delayMs) };
    return handle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout((handle as SystemTimerHandle).timer);
  },
};
