/**
 * Ringback (`<Dial ringTone="…">`) as a source: endless by design, since it plays until the dialled
 * party answers or the dial ends, and the player's AbortSignal is what stops it.
 */
import { ToneGenerator, type TonePlan } from '../tone/index.js';
import type { AudioSource } from './audio-source.js';

export class ToneSource implements AudioSource {
  private readonly generator: ToneGenerator;

  constructor(
    plan: TonePlan,
    readonly sampleRate = 8000,
  ) {
    this.generator = new ToneGenerator(plan, sampleRate);
  }

  read(frame: Int16Array): boolean {
    this.generator.fill(frame);
    return true;
  }
}
