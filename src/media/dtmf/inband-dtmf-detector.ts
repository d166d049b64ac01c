import { DBM0_AMPLITUDE } from './dtmf-tone-generator.js';
import { dtmfDigitAt, DTMF_COLUMN_FREQUENCIES, DTMF_ROW_FREQUENCIES, type DetectedDigit, type DtmfDigit } from './dtmf-digits.js';
import { goertzelCoefficient } from './goertzel.js';

export interface InbandDtmfDetectorOptions {
  onDigit: (digit: DetectedDigit) => void;
  /** Time of the first sample, in ms on the caller's time base; digits are timed from it. */
  startMs?: number;
  /** Weakest tone accepted, per frequency (Q.24 Table A-1 administrations accept down to −25..−30 dBm0). */
  minLevelDbm0?: number;
  /** Largest "reverse twist" (high group stronger than low), Q.24: typically 4 dB. */
  maxReverseTwistDb?: number;
  /** Largest "normal twist" (low group stronger than high), Q.24: typically 8 dB. */
  maxNormalTwistDb?: number;
}

/** 8 kHz only: G.711 and the 8 kHz side of every bridge. */
const SAMPLE_RATE = 8000;
/**
 * Analysis window: 102 samples (12.75 ms), whose DFT resolution (78 Hz) separates adjacent Q.23
 * frequencies. Two interleaved windows give a new analysis every HOP = 51 samples (6.4 ms), fine
 * enough to tell a 20 ms tone from a 40 ms one.
 */
const WINDOW = 102;
const HOP = 51;
/** Tone power must be this share of the window's energy: rejects speech, music and noise (talk-off). */
const MIN_TONE_SHARE = 0.7;
/** The strongest tone of each group must beat the others in its group by 6 dB (factor ~4 in power). */
const RELATIVE_PEAK = 10 ** (6 / 10);
/**
 * Consecutive windows that must name a digit before it starts. A window names it when at least ~70 %
 * of it is tone, so a tone of L samples makes about (L − 30 − 30)/51 + 1 such windows: a 40 ms tone
 * (320 samples) at least 5, a 20 ms tone (160) at most 3. Q.24 §3 (Table A-1): accept ≥ 40 ms, reject
 * ≤ 20–23 ms depending on the administration.
 */
const WINDOWS_TO_START = 4;
/**
 * Consecutive windows without the digit that end it. A 10 ms interruption (which Q.24 asks to bridge)
 * spoils at most 3 windows; Q.24's minimum 40 ms pause spoils at least 5.
 */
const WINDOWS_TO_END = 4;

const COEFFICIENTS = Float64Array.from([...DTMF_ROW_FREQUENCIES, ...DTMF_COLUMN_FREQUENCIES], (f) => goertzelCoefficient(f, SAMPLE_RATE));

/**
 * In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance criteria) on 8 kHz linear PCM, for
 * peers that send tones in the audio instead of RFC 4733 events. Eight Goertzel filters run over
 * 102-sample windows every 51 samples; a window names a digit when one row and one column tone are loud enough,
 * within the twist limits, clearly above their neighbours, and carry most of the window's energy. Each
 * digit is reported once, when it ends, with its start and duration.
 */
export class InbandDtmfDetector {
  private readonly onDigit: (digit: DetectedDigit) => void;
  private readonly startMs: number;
  private readonly minPower: number;
  private readonly maxReverseTwist: number;
  private readonly maxNormalTwist: number;
  /** Goertzel state s1, s2 of the 8 filters, for each of the two interleaved windows (8 + 8). */
  private readonly s1 = new Float64Array(16);
  private readonly s2 = new Float64Array(16);
  private readonly power = new Float64Array(8);
  private readonly energy = new Float64Array(2);
  /** Samples in each window so far; the second starts half a window late. */
  private readonly filled = Int32Array.of(0, -HOP);
  /** Samples consumed so far. */
  private consumed = 0;
  private candidate = -1;
  private candidateRun = 0;
  private candidateStart = 0;
  private current = -1;
  private currentStart = 0;
  private currentEnd = 0;
  private misses = 0;

  constructor(options: InbandDtmfDetectorOptions) {
    this.onDigit = options.onDigit;
    this.startMs = options.startMs ?? 0;
    const minAmplitude = DBM0_AMPLITUDE * 10 ** ((options.minLevelDbm0 ?? -30) / 20);
    this.minPower = ((minAmplitude * WINDOW) / 2) ** 2;
    this.maxReverseTwist = 10 ** ((options.maxReverseTwistDb ?? 4) / 10);
    this.maxNormalTwist = 10 ** ((options.maxNormalTwistDb ?? 8) / 10);
  }

  /** Feeds consecutive 8 kHz samples of one stream (any frame size). */
  process(pcm: Int16Array): void {
    const { s1, s2, energy, filled } = this;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i] as number;
      this.consumed++;
      for (let w = 0; w < 2; w++) {
        if ((filled[w] as number) < 0) {
          filled[w] = (filled[w] as number) + 1;
          continue;
        }
        const base = w * 8;
        for (let k = 0; k < 8; k++) {
          const j = base + k;
          const s0 = x + (COEFFICIENTS[k] as number) * (s1[j] as number) - (s2[j] as number);
          s2[j] = s1[j] as number;
          s1[j] = s0;
        }
        energy[w] = (energy[w] as number) + x * x;
        filled[w] = (filled[w] as number) + 1;
        if (filled[w] === WINDOW) this.endWindow(w);
      }
    }
  }

  /** Reports a digit still sounding (end of stream or of the gather). */
  flush(): void {
    if (this.current >= 0) this.report();
    this.candidate = -1;
    this.candidateRun = 0;
  }

  private endWindow(w: number): void {
    const { s1, s2, power, energy } = this;
    const base = w * 8;
    for (let k = 0; k < 8; k++) {
      const a = s1[base + k] as number;
      const b = s2[base + k] as number;
      power[k] = a * a + b * b - (COEFFICIENTS[k] as number) * a * b;
      s1[base + k] = 0;
      s2[base + k] = 0;
    }
    const digit = this.classify(energy[w] as number);
    energy[w] = 0;
    this.filled[w] = 0;
    this.track(digit, this.consumed - WINDOW, this.consumed);
  }

  /** Index row*4+column of the digit this window carries, or -1. */
  private classify(energy: number): number {
    const { power } = this;
    let row = 0;
    let column = 4;
    for (let k = 1; k < 4; k++) if ((power[k] as number) > (power[row] as number)) row = k;
    for (let k = 5; k < 8; k++) if ((power[k] as number) > (power[column] as number)) column = k;
    const rowPower = power[row] as number;
    const columnPower = power[column] as number;
    if (rowPower < this.minPower || columnPower < this.minPower) return -1;
    // Q.24: twist limits in both directions.
    if (columnPower > rowPower * this.maxReverseTwist || rowPower > columnPower * this.maxNormalTwist) return -1;
    for (let k = 0; k < 4; k++) if (k !== row && (power[k] as number) * RELATIVE_PEAK > rowPower) return -1;
    for (let k = 4; k < 8; k++) if (k !== column && (power[k] as number) * RELATIVE_PEAK > columnPower) return -1;
    // A tone's energy over the window is 2·power/N; the pair must dominate the window.
    if ((2 * (rowPower + columnPower)) / WINDOW < MIN_TONE_SHARE * energy) return -1;
    return row * 4 + (column - 4);
  }

  private track(digit: number, windowStart: number, windowEnd: number): void {
    if (this.current >= 0) {
      if (digit === this.current) {
        this.misses = 0;
        this.currentEnd = windowEnd;
        return;
      }
      if (++this.misses < WINDOWS_TO_END) return;
      this.report();
      this.candidate = -1;
      this.candidateRun = 0;
      return;
    }
    if (digit < 0) {
      this.candidate = -1;
      this.candidateRun = 0;
      return;
    }
    if (digit !== this.candidate) {
      this.candidate = digit;
      this.candidateRun = 0;
      this.candidateStart = windowStart;
    }
    if (++this.candidateRun >= WINDOWS_TO_START) {
      this.current = digit;
      this.currentStart = this.candidateStart;
      this.currentEnd = windowEnd;
      this.misses = 0;
    }
  }

  private report(): void {
    const index = this.current;
    this.current = -1;
    this.misses = 0;
    const digit = dtmfDigitAt(index >> 2, index & 3) as DtmfDigit;
    this.onDigit({
      digit,
      startMs: this.startMs + (this.currentStart * 1000) / SAMPLE_RATE,
      durationMs: ((this.currentEnd - this.currentStart) * 1000) / SAMPLE_RATE,
      source: 'inband',
    });
  }
}
