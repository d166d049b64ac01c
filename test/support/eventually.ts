/**
 * Waiting in tests for what happens on its own schedule (a datagram handled, a row the engine writes
 * after the call). Bounded by a count of polls, not a deadline: the test runner's timeout is the only
 * clock, and a slow machine waits longer instead of failing.
 */
import { inspect } from 'node:util';

export interface PollOptions {
  /** What is awaited, for the error. */
  readonly what?: string;
  /** Reads before giving up (default 2,000: 10 s at the default interval). */
  readonly polls?: number;
  readonly intervalMs?: number;
}

/**
 * Reads `read` until `accept` holds for its value, and returns that value. Throws with the last value
 * read when it never does: returning it quietly once let a test wait for a prompt that never came and
 * fail later, on a symptom.
 */
export async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  const { what = 'condition', polls = 2_000, intervalMs = 5 } = options;
  let value = await read();
  for (let poll = 1; poll < polls && !accept(value); poll++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  if (!accept(value)) {
    const last = typeof value === 'boolean' ? '' : `; last value: ${inspect(value, { depth: 2 })}`;
    throw new Error(`never happened: ${what} (${polls} polls ${intervalMs} ms apart${last})`);
  }
  return value;
}

/** Waits until `check` holds. */
export async function until(check: () => boolean, what: string, options: Omit<PollOptions, 'what'> = {}): Promise<void> {
  await eventually(check, (held) => held, { ...options, what });
}
