import type { Say } from '../../markup/index.js';
import { sayPrompt } from './prompts.js';
import type { VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/** <Say>: speaks the text `loop` times (0: until the call ends, bounded). Needs media, so answers. */
export async function executeSay(say: Say, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  await context.leg.answer();
  if (signal.aborted) return { kind: 'interrupted' };
  return (await sayPrompt(say, context, signal)) === 'finished' ? { kind: 'next' } : { kind: 'interrupted' };
}
