/**
 * `<Pause length="N">`: N seconds of digital silence. Sent as real zero frames rather than as a gap in
 * RTP, so the far end's jitter buffer and comfort noise behave as during speech.
 */
import type { AudioSource } from './audio-source.js';

export class SilenceSource implements AudioSource {
  private remaining: number;

  constructor(
    durationMs: number,
    readonly sampleRate = 8000,
  ) {
    this.remaining = Math.max(0, Math.round((durationMs * sampleRate) / 1000));
  }

  read(frame: Int16Array): boolean {
    if (this.remaining <= 0) return false;
    frame.fill(0);
    this.remaining -= Math.min(frame.length, this.remaining);
    return true;
  }
}
