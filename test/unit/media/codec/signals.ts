/** Test signal helpers: sine tones and measurements on Int16 PCM. */
export function sine(frequency: number, sampleRate: number, count: number, amplitude: number): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}

/** Best SNR (dB) of `output` against `reference` over lags 0..maxLag, skipping `skip` warm-up samples. */
export function alignedSnr(reference: Int16Array, output: Int16Array, maxLag: number, skip: number): { snr: number; lag: number } {
  let best = { snr: -Infinity, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag++) {
    let signal = 0;
    let noise = 0;
    for (let i = skip; i < reference.length - maxLag; i++) {
      const r = reference[i] as number;
      const e = r - (output[i + lag] as number);
      signal += r * r;
      noise += e * e;
    }
    const snr = 10 * Math.log10(signal / Math.max(noise, 1e-9));
    if (snr > best.snr) best = { snr, lag };
  }
  return best;
}

/** Dominant frequency estimated from zero crossings (enough for a single clean tone). */
export function zeroCrossingFrequency(pcm: Int16Array, sampleRate: number, skip: number): number {
  let crossings = 0;
  for (let i = skip + 1; i < pcm.length; i++) {
    if (((pcm[i - 1] as number) < 0) !== ((pcm[i] as number) < 0)) crossings++;
  }
  return (crossings / 2) * (sampleRate / (pcm.length - skip - 1));
}
