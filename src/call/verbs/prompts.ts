/**
 * <Say>, <Play> and <Pause> as prompts: what they put on the line, shared by the verbs themselves and
 * by <Gather>, which plays them nested and stops them at the first key.
 */
import type { Pause, Play, Say } from '../../markup/index.js';
import { wait } from '../interruption.js';
import type { PlayOutcome } from '../leg.js';
import { loopCount, type VerbContext } from './verb-context.js';

export async function sayPrompt(say: Say, context: VerbContext, signal: AbortSignal): Promise<PlayOutcome> {
  // markup warns about an empty <Say>; nothing is said.
  if (say.text.length === 0) return 'finished';
  const source = {
    kind: 'say' as const,
    text: say.text,
    ...(say.voice === undefined ? {} : { voice: say.voice }),
    ...(say.language === undefined ? {} : { language: say.language }),
  };
  for (let round = 0; round < loopCount(say.loop); round++) {
    if ((await context.leg.play(source, signal)) === 'interrupted') return 'interrupted';
  }
  return 'finished';
}

export async function playPrompt(play: Play, context: VerbContext, signal: AbortSignal): Promise<PlayOutcome> {
  // Twilio: digits are sent as DTMF tones ("w" waits half a second); the loop applies to the audio.
  if (play.digits !== undefined) {
    if ((await context.leg.play({ kind: 'digits', digits: play.digits }, signal)) === 'interrupted') return 'interrupted';
  }
  if (play.url !== undefined) {
    for (let round = 0; round < loopCount(play.loop); round++) {
      if ((await context.leg.play({ kind: 'url', url: play.url }, signal)) === 'interrupted') return 'interrupted';
    }
  }
  return 'finished';
}

export async function pausePrompt(pause: Pause, context: VerbContext, signal: AbortSignal): Promise<PlayOutcome> {
  // Twilio: "<Pause> waits silently for a specific number of seconds" (length, default 1).
  return (await wait(context.clock, pause.length * 1000, signal)) === 'elapsed' ? 'finished' : 'interrupted';
}

export function prompt(verb: Say | Play | Pause, context: VerbContext, signal: AbortSignal): Promise<PlayOutcome> {
  switch (verb.verb) {
    case 'say':
      return sayPrompt(verb, context, signal);
    case 'play':
      return playPrompt(verb, context, signal);
    case 'pause':
      return pausePrompt(verb, context, signal);
  }
}
