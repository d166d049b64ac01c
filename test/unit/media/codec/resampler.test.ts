import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Downsampler16to8, Upsampler8to16 } from '../../../../src/media/codec/index.js';
import { alignedSnr, sine, zeroCrossingFrequency } from './signals.js';

test('8 → 16 kHz doubles the sample count and keeps a 1 kHz tone', () => {
  const up = new Upsampler8to16();
  const input = sine(1000, 8000, 800, 10000);
  const out = new Int16Array(1600);
  // Two halves, to show the history joins consecutive frames.
  assert.equal(up.process(input.subarray(0, 400), out.subarray(0, 800)), 800);
  assert.equal(up.process(input.subarray(400), out.subarray(800)), 800);
  assert.ok(Math.abs(zeroCrossingFrequency(out, 16000, 16) - 1000) < 15);
  const reference = sine(1000, 16000, 1600, 10000);
  const { snr } = alignedSnr(reference, out, 2, 16);
  assert.ok(snr > 15, `snr ${snr}`);
  // Odd output samples are the input samples themselves.
  for (let i = 0; i < 800; i++) assert.equal(out[2 * i + 1], input[i]);
});

test('16 → 8 kHz halves the sample count, keeps a 1 kHz tone and attenuates 7 kHz', () => {
  const down = new Downsampler16to8();
  const out = new Int16Array(800);
  assert.equal(down.process(sine(1000, 16000, 1600, 10000), out), 800);
  assert.ok(Math.abs(zeroCrossingFrequency(out, 8000, 8) - 1000) < 15);
  const reference = sine(1000, 8000, 800, 10000);
  const { snr } = alignedSnr(reference, out, 2, 8);
  assert.ok(snr > 15, `snr ${snr}`);

  const high = new Int16Array(800);
  new Downsampler16to8().process(sine(7000, 16000, 1600, 10000), high);
  const peak = high.subarray(8).reduce((max, x) => Math.max(max, Math.abs(x)), 0);
  // [1 2 1]/4 has gain cos²(πf/fs) = cos²(7π/16) ≈ 0.038 at 7 kHz.
  assert.ok(peak < 600, `peak ${peak}`);
});
