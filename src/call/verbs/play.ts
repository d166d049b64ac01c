import type { Play } from '../../markup/index.js';
import { playPrompt } from './prompts.js';
import type { VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

/** <Play>: an audio URL `loop` times (0: until the call ends, bounded), or `digits` sent as DTMF. */
export async function executePlay(play: Play, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  await context.leg.answer();
  if (signal.aborted) return { kind: 'interrupted' };
  return (await playPrompt(play, context, signal)) === 'finished' ? { kind: 'next' } : { kind: 'interrupted' };
}
