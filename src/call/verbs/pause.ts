import type { Pause } from '../../markup/index.js';
import { pausePrompt } from './prompts.js';
import type { VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/**
 * <Pause>: silence for `length` seconds on the Clock. It does not answer: Twilio, "If <Pause> is the
 * first verb in a TwiML document, Twilio will wait the specified number of seconds before picking up
 * the call" (the "delayed pickup" example), so the caller keeps hearing ringing until a later verb
 * answers.
 */
export async function executePause(pause: Pause, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  if (signal.aborted) return { kind: 'interrupted' };
  return (await pausePrompt(pause, context, signal)) === 'finished' ? { kind: 'next' } : { kind: 'interrupted' };
}
