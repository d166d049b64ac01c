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

/** Goertzel coefficients of the rows (C0–C3, 697–941 Hz) and columns (C4–C7, 1209–1633 Hz), as constants for the unrolled filter loop. */
const coefficient = (frequencies: readonly number[], index: number): number => goertzelCoefficient(frequencies[index] as number, SAMPLE_RATE);
const C0 = coefficient(DTMF_ROW_FREQUENCIES, 0);
const C1 = coefficient(DTMF_ROW_FREQUENCIES, 1);
const C2 = coefficient(DTMF_ROW_FREQUENCIES, 2);
const C3 = coefficient(DTMF_ROW_FREQUENCIES, 3);
const C4 = coefficient(DTMF_COLUMN_FREQUENCIES, 0);
const C5 = coefficient(DTMF_COLUMN_FREQUENCIES, 1);
const C6 = coefficient(DTMF_COLUMN_FREQUENCIES, 2);
const C7 = coefficient(DTMF_COLUMN_FREQUENCIES, 3);

/**
 * In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance criteria) on 8 kHz linear PCM, for
 * peers that send tones in the audio instead of RFC 4733 events. Eight Goertzel filters run over
 * 102-sample windows every 51 samples; a window names a digit when one row and one column tone are loud enough,
 * within the twist limits, clearly above their neighbours, and carry most of the window's energy. Each
 * digit is reported once, when it ends, with its start and duration.
 *
 * It runs on every packet of a leg that negotiated no telephone-event, so the work is done per window,
 * not per sample: samples go into a ring holding the last window, and when a window ends its energy is
 * summed first. A window too quiet for any tone to reach the minimum level (|X(f)|² ≤ N·Σx², by
 * Cauchy–Schwarz) is classified as no digit without running the filters; the others run the eight
 * filters over the window in one pass. Same windows, same arithmetic, same digits as filtering sample by
 * sample, at about a third of the cost on speech and a tenth on silence.
 */
export class InbandDtmfDetector {
  private readonly onDigit: (digit: DetectedDigit) => void;
  private readonly startMs: number;
  private readonly minPower: number;
  private readonly maxReverseTwist: number;
  private readonly maxNormalTwist: number;
  /** The last WINDOW samples, oldest at `consumed % WINDOW`. */
  private readonly ring = new Int16Array(WINDOW);
  private readonly power = new Float64Array(8);
  /** Samples consumed so far; a window ends at every multiple of HOP from WINDOW on. */
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
    const ring = this.ring;
    let i = 0;
    while (i < pcm.length) {
      // Up to the next window end (every HOP samples), then analyse.
      const count = Math.min(HOP - (this.consumed % HOP), pcm.length - i);
      let at = this.consumed % WINDOW;
      for (const end = i + count; i < end; i++) {
        ring[at] = pcm[i] as number;
        if (++at === WINDOW) at = 0;
      }
      this.consumed += count;
      if (this.consumed % HOP === 0 && this.consumed >= WINDOW) this.endWindow();
    }
  }

  /** Reports a digit still sounding (end of stream or of the gather). */
  flush(): void {
    if (this.current >= 0) this.report();
    this.candidate = -1;
    this.candidateRun = 0;
  }

  private endWindow(): void {
    const { ring, power } = this;
    let energy = 0;
    for (let k = 0; k < WINDOW; k++) {
      const x = ring[k] as number;
      energy += x * x;
    }
    let digit = -1;
    if (energy * WINDOW >= this.minPower) {
      // The eight filters side by side in locals: eight independent recurrences per sample keep the
      // CPU's pipelines full, where one filter at a time would wait on its own multiply-add chain.
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // s[n-1]
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0; // s[n-2]
      // The window in time order: from the oldest sample (at `consumed % WINDOW`) round the ring.
      let at = this.consumed % WINDOW;
      for (let k = 0; k < WINDOW; k++) {
        const x = ring[at] as number;
        if (++at === WINDOW) at = 0;
        let s0 = x + C0 * a0 - b0;
        b0 = a0;
        a0 = s0;
        s0 = x + C1 * a1 - b1;
        b1 = a1;
        a1 = s0;
        s0 = x + C2 * a2 - b2;
        b2 = a2;
        a2 = s0;
        s0 = x + C3 * a3 - b3;
        b3 = a3;
        a3 = s0;
        s0 = x + C4 * a4 - b4;
        b4 = a4;
        a4 = s0;
        s0 = x + C5 * a5 - b5;
        b5 = a5;
        a5 = s0;
        s0 = x + C6 * a6 - b6;
        b6 = a6;
        a6 = s0;
        s0 = x + C7 * a7 - b7;
        b7 = a7;
        a7 = s0;
      }
      power[0] = a0 * a0 + b0 * b0 - C0 * a0 * b0;
      power[1] = a1 * a1 + b1 * b1 - C1 * a1 * b1;
      power[2] = a2 * a2 + b2 * b2 - C2 * a2 * b2;
      power[3] = a3 * a3 + b3 * b3 - C3 * a3 * b3;
      power[4] = a4 * a4 + b4 * b4 - C4 * a4 * b4;
      power[5] = a5 * a5 + b5 * b5 - C5 * a5 * b5;
      power[6] = a6 * a6 + b6 * b6 - C6 * a6 * b6;
      power[7] = a7 * a7 + b7 * b7 - C7 * a7 * b7;
      digit = this.classify(energy);
    }
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
