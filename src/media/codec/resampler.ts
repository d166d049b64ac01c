/**
 * Linear 2:1 resampling between 8 kHz and 16 kHz, used to bridge G.722 (16 kHz audio) with G.711
 * (8 kHz). Each direction keeps one or two samples of history so consecutive frames join without clicks.
 * Linear interpolation (and its dual, a 3-tap triangular decimation filter) is cheap and adequate for
 * the narrow-band voice path: the G.711 side is band-limited to 3.4 kHz by G.712 anyway.
 */

/** 8 kHz → 16 kHz by linear interpolation (introduces half an 8 kHz sample of delay). */
export class Upsampler8to16 {
  private previous = 0;

  /** Writes `2 * input.length` samples into `out` (or as many as fit); returns the count. */
  process(input: Int16Array, out: Int16Array): number {
    const n = Math.min(input.length, out.length >> 1);
    let previous = this.previous;
    for (let i = 0; i < n; i++) {
      const current = input[i] as number;
      out[2 * i] = (previous + current) >> 1;
      out[2 * i + 1] = current;
      previous = current;
    }
    this.previous = previous;
    return 2 * n;
  }
}

/** 16 kHz → 8 kHz: triangular low-pass [1 2 1]/4 then keep every other sample. */
export class Downsampler16to8 {
  private previous = 0;

  /** Writes `input.length / 2` samples into `out` (or as many as fit); returns the count. */
  process(input: Int16Array, out: Int16Array): number {
    const n = Math.min(input.length >> 1, out.length);
    let previous = this.previous;
    for (let i = 0; i < n; i++) {
      const even = input[2 * i] as number;
      const odd = input[2 * i + 1] as number;
      out[i] = (previous + 2 * even + odd) >> 2;
      previous = odd;
    }
    this.previous = previous;
    return n;
  }
}
