/**
 * The one interruption path (ARCHITECTURE.md): every executor takes an AbortSignal, and the reason it
 * is aborted with says why, so a verb that must behave differently on a hang-up (Record) can tell.
 */
import type { Clock } from '../kernel/index.js';

export type InterruptCause = 'hangup' | 'redirect';

export class Interruption {
  constructor(readonly cause: InterruptCause) {}
}

export function interruptCause(signal: AbortSignal): InterruptCause | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason instanceof Interruption ? signal.reason.cause : 'hangup';
}

/** Waits `ms` on the Clock; `interrupted` as soon as the signal fires. */
export function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<'elapsed' | 'interrupted'> {
  if (signal.aborted) return Promise.resolve('interrupted');
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve('interrupted');
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve('elapsed');
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A child signal that fires when the parent does or when `abort()` is called on the returned controller. */
export function childController(parent: AbortSignal): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, release: () => parent.removeEventListener('abort', onAbort) };
}
