/**
 * Decoded audio (a `<Play>` file or a `<Say>` synthesis) played `loop` times. Loops join sample to
 * sample inside a frame — no padding between repetitions — so a looped clip sounds as it would in a
 * media player and `loop="3"` lasts exactly three times the clip.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import type { AudioSource } from './audio-source.js';

/**
 * Twilio's `loop="0"` means "until the call ends". A call cannot outlast its time limit, whose default
 * and maximum is 4 hours (`<Dial timeLimit>`, 14 400 s), so "forever" is bounded at that much audio:
 * the source then ends like any other and a runaway prompt cannot pin a player forever.
 */
export const LOOP_FOREVER_LIMIT_MS = 4 * 60 * 60 * 1000;

export interface PcmSourceOptions {
  /** Times to play the clip; 0 means until LOOP_FOREVER_LIMIT_MS of audio (Twilio's "forever"). Default 1. */
  loop?: number;
  sampleRate?: number;
}

export class PcmSource implements AudioSource {
  readonly sampleRate: number;
  private readonly total: number;
  private position = 0;

  constructor(
    private readonly samples: Int16Array,
    options: PcmSourceOptions = {},
  ) {
    const loop = options.loop ?? 1;
    if (!Number.isInteger(loop) || loop < 0) {
      throw new DialtoneError(ErrorCodes.playInvalidLoop, `loop must be an integer ≥ 0, not ${loop}`, { loop });
    }
    this.sampleRate = options.sampleRate ?? 8000;
    const forever = Math.round((LOOP_FOREVER_LIMIT_MS * this.sampleRate) / 1000);
    // The number of samples the whole source plays, loops included.
    this.total = loop === 0 ? (samples.length === 0 ? 0 : forever) : samples.length * loop;
  }

  /** Samples still to play (all loops). */
  remainingSamples(): number {
    return this.total - this.position;
  }

  read(frame: Int16Array): boolean {
    if (this.position >= this.total) return false;
    const length = this.samples.length;
    let written = 0;
    while (written < frame.length && this.position < this.total) {
      const offset = this.position % length;
      const count = Math.min(frame.length - written, length - offset, this.total - this.position);
      frame.set(this.samples.subarray(offset, offset + count), written);
      written += count;
      this.position += count;
    }
    frame.fill(0, written);
    return true;
  }
}
