import type { Hangup } from '../../markup/index.js';
import type { VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/**
 * <Hangup>: Twilio, "If used as the first verb in a TwiML response it does not prevent Twilio from
 * answering the call", so it answers, then ends the call.
 */
export async function executeHangup(_hangup: Hangup, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  await context.leg.answer();
  if (signal.aborted) return { kind: 'interrupted' };
  await context.leg.hangup();
  return { kind: 'ended' };
}
