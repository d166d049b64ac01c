import type { Reject } from '../../markup/index.js';
import type { VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/**
 * <Reject>: Twilio, "If the first verb in a TwiML document is <Reject>, Twilio will not pick up the
 * call. The call ends with a status of busy or no-answer, depending on the verb's reason attribute.
 * Any verbs after <Reject> are unreachable" (the leg answers busy → 486, rejected → 603). "Using
 * <Reject> as the first verb in your response is the only way to prevent Twilio from answering a
 * call": once an earlier verb has answered, the call can no longer be refused, so it is hung up.
 */
export async function executeReject(reject: Reject, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  if (signal.aborted) return { kind: 'interrupted' };
  if (context.leg.answered) await context.leg.hangup();
  else await context.leg.reject(reject.reason);
  return { kind: 'ended' };
}
