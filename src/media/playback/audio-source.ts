/**
 * What a prompt is made of: a pull-based source of 16-bit PCM. The player (or a port's send loop)
 * asks for one frame at a time, so nothing is decoded or generated ahead of the wire and a prompt that
 * is interrupted costs nothing more.
 */
export interface AudioSource {
  /** Samples per second of what `read` produces (8000, or 16000 for G.722 legs). */
  readonly sampleRate: number;
  /**
   * Fills `frame` (normally 20 ms) with the next samples. Returns true when the frame carries audio —
   * the last one is padded with zeros — and false, leaving `frame` untouched, once the source is over.
   */
  read(frame: Int16Array): boolean;
}

/** The packetisation interval every source and the player work in (RFC 3551 default for G.711/G.722). */
export const FRAME_MS = 20;

/** Samples in one frame of `ptimeMs` at `sampleRate`: 160 at 8 kHz, 320 at 16 kHz for 20 ms. */
export function frameSamples(sampleRate: number, ptimeMs = FRAME_MS): number {
  return Math.round((sampleRate * ptimeMs) / 1000);
}
