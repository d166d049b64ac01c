import type { Clock, TimerHandle } from '../../src/kernel/index.js';

interface Scheduled {
  handle: TimerHandle;
  at: number;
  callback: () => void;
}

/** A Clock whose time moves only when a test calls advance(); timers fire in due order. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private scheduled: Scheduled[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle: TimerHandle = { id: this.nextId++ };
    this.scheduled.push({ handle, at: this.current + Math.max(0, delayMs), callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.scheduled = this.scheduled.filter((entry) => entry.handle.id !== handle.id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order (ties by creation). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.scheduled
        .filter((entry) => entry.at <= target)
        .sort((a, b) => a.at - b.at || a.handle.id - b.handle.id)[0];
      if (due === undefined) break;
      this.scheduled = this.scheduled.filter((entry) => entry !== due);
      this.current = due.at;
      due.callback();
    }
    this.current = target;
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.scheduled.length;
  }
}
