/**
 * The Goertzel algorithm: the power of one DFT term at an arbitrary frequency, with one multiply per
 * sample. `coefficient` is 2·cos(2πf/fs); for a tone of amplitude A at f over N samples the power is
 * about (A·N/2)².
 */
export function goertzelCoefficient(frequency: number, sampleRate: number): number {
  return 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
}

/** Power at the coefficient's frequency over `samples[start, start + length)`. */
export function goertzelPower(samples: Int16Array, coefficient: number, start = 0, length = samples.length - start): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + length; i++) {
    const s0 = (samples[i] as number) + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}
