/**
 * Carries the RTP timestamps of one stream from one clock rate to another, for a bridge that
 * transcodes between formats on different RTP clocks: Opus counts 48000 per second whatever audio it
 * carries (RFC 7587 §4.1), G.711 and G.722 count 8000 (RFC 3551 §4.5.2). 20 ms is 960 units on one
 * side and 160 on the other.
 *
 * RFC 3550 §5.1: timestamps start at a random value and wrap modulo 2^32. Scaling the value itself
 * would break at the wrap (2^32 is no multiple of 6), so the scaler keeps a pair of reference points
 * and scales the signed distance from the input reference: wrap-around, reordering and gaps come out
 * as they went in, only in the other unit. References move forward whenever a distance scales exactly,
 * so the arithmetic stays far from 2^31 on a stream of any length. No allocation per packet.
 */
export class RtpTimestampScaler {
  readonly fromClockRate: number;
  readonly toClockRate: number;
  private hasReference = false;
  private inReference = 0;
  private outReference = 0;

  constructor(fromClockRate: number, toClockRate: number) {
    if (!(fromClockRate > 0 && toClockRate > 0)) throw new RangeError(`clock rates must be positive: ${fromClockRate}, ${toClockRate}`);
    this.fromClockRate = fromClockRate;
    this.toClockRate = toClockRate;
  }

  /** Whether timestamps need changing at all. */
  get isIdentity(): boolean {
    return this.fromClockRate === this.toClockRate;
  }

  /** The output timestamp for one input timestamp (32-bit unsigned in, 32-bit unsigned out). */
  scale(timestamp: number): number {
    if (this.fromClockRate === this.toClockRate) return timestamp >>> 0;
    if (!this.hasReference) {
      this.hasReference = true;
      this.inReference = timestamp >>> 0;
      this.outReference = timestamp >>> 0;
      return this.outReference;
    }
    const distance = (timestamp - this.inReference) | 0; // signed: a late packet is behind the reference
    const product = distance * this.toClockRate;
    const scaled = Math.round(product / this.fromClockRate);
    const out = (this.outReference + scaled) >>> 0;
    if (distance > 0 && product % this.fromClockRate === 0) {
      this.inReference = timestamp >>> 0;
      this.outReference = out;
    }
    return out;
  }

  /** Forgets the references (a new input source: its timestamps bear no relation to the last one's). */
  reset(): void {
    this.hasReference = false;
  }

  /** A duration in input units in output units, e.g. an RFC 4733 event duration (16-bit, saturated). */
  scaleDuration(units: number, max = 0xffff): number {
    return Math.min(max, Math.round((units * this.toClockRate) / this.fromClockRate));
  }
}
