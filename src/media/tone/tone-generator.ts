/**
 * Generates a cadenced tone (ringback, busy, …) as 16-bit PCM, frame by frame, with phase carried
 * across frames so the caller hears a clean tone rather than clicks at every packet boundary.
 */
import type { TonePlan } from './ringback-plans.js';

/** About -16 dBm0 per frequency pair, as national tone plans specify for ringback. */
const defaultAmplitude = 4000;

export class ToneGenerator {
  private readonly phaseSteps: Float64Array;
  private readonly phases: Float64Array;
  private readonly modulationStep: number;
  private modulationPhase = 0;
  private readonly cadenceSamples: number[];
  private readonly cycleSamples: number;
  private position = 0;

  constructor(
    private readonly plan: TonePlan,
    sampleRate = 8000,
    private readonly amplitude = defaultAmplitude,
  ) {
    this.phaseSteps = Float64Array.from(plan.frequencies, (hz) => (2 * Math.PI * hz) / sampleRate);
    this.phases = new Float64Array(plan.frequencies.length);
    this.modulationStep = (2 * Math.PI * plan.modulationHz) / sampleRate;
    this.cadenceSamples = plan.cadenceMs.map((ms) => Math.round((ms * sampleRate) / 1000));
    this.cycleSamples = this.cadenceSamples.reduce((sum, samples) => sum + samples, 0);
  }

  /** Fills `frame` with the next samples of the tone and returns it. */
  fill(frame: Int16Array): Int16Array {
    const count = this.plan.frequencies.length;
    const scale = this.amplitude / Math.max(1, count);
    for (let i = 0; i < frame.length; i++) {
      let sample = 0;
      if (this.isOn(this.position)) {
        for (let f = 0; f < count; f++) sample += Math.sin(this.phases[f]!);
        if (this.modulationStep > 0) sample *= 0.5 * (1 + Math.sin(this.modulationPhase));
        sample *= scale;
      }
      frame[i] = Math.round(sample);
      for (let f = 0; f < count; f++) this.phases[f] = (this.phases[f]! + this.phaseSteps[f]!) % (2 * Math.PI);
      this.modulationPhase = (this.modulationPhase + this.modulationStep) % (2 * Math.PI);
      this.position = (this.position + 1) % this.cycleSamples;
    }
    return frame;
  }

  private isOn(position: number): boolean {
    let offset = position;
    for (let index = 0; index < this.cadenceSamples.length; index++) {
      const length = this.cadenceSamples[index]!;
      if (offset < length) return index % 2 === 0;
      offset -= length;
    }
    return false;
  }
}
