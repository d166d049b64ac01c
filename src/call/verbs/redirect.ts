import type { Redirect } from '../../markup/index.js';
import { resolveUrl, type VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/**
 * <Redirect>: Twilio, "transfers control of a call to the TwiML at a different URL"; verbs after it
 * are unreachable. It plays nothing, so it does not answer: a <Reject> first in the next document
 * still refuses the call.
 */
export async function executeRedirect(redirect: Redirect, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  if (signal.aborted) return { kind: 'interrupted' };
  return {
    kind: 'request',
    url: resolveUrl(redirect.url, context.documentUrl),
    method: redirect.method,
    result: { verb: 'redirect' },
    follow: true,
  };
}
