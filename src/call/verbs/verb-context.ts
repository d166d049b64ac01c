/**
 * The narrow context every verb executor gets: the leg, the clock, and the URL of the document it
 * came from. Never the whole call (ARCHITECTURE.md: "give executors a narrow context").
 */
import type { Clock } from '../../kernel/index.js';
import type { Leg } from '../leg.js';
import type { VerbOutcome } from './verb-outcome.js';

export interface VerbContext {
  leg: Leg;
  clock: Clock;
  /** The running document's URL: the default action and the base of relative URLs. Absent for markup given inline. */
  documentUrl?: string;
}

export type VerbExecutor<V> = (verb: V, context: VerbContext, signal: AbortSignal) => Promise<VerbOutcome>;

/**
 * Twilio resolves relative `action` and <Redirect> URLs against the current document's URL. A URL
 * that cannot be resolved goes on as written; fetching it then fails with the webhook's own code.
 */
export function resolveUrl(url: string, documentUrl: string | undefined): string {
  try {
    return new URL(url, documentUrl).toString();
  } catch {
    return url;
  }
}

/** Twilio: a verb's `action` defaults to the current document's URL. Undefined when there is none. */
export function actionUrl(action: string | undefined, documentUrl: string | undefined): string | undefined {
  if (action !== undefined) return resolveUrl(action, documentUrl);
  return documentUrl;
}

/** <Say loop="0"> and <Play loop="0"> repeat until the call ends; bounded at markup's largest loop (1000). */
export const maxLoops = 1000;

export function loopCount(loop: number): number {
  return loop === 0 ? maxLoops : Math.min(loop, maxLoops);
}
