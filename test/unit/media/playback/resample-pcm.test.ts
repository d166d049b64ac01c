import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resamplePcm } from '../../../../src/media/playback/index.js';
import { sine, toneAmplitude } from './audio-fixtures.js';

/** The middle of a resampled signal, away from the filter's edge effects. */
const middle = (samples: Int16Array) => samples.subarray(200, samples.length - 200);

test('22 050 → 8 000 Hz keeps a 1 kHz tone at its amplitude and the clip at its duration', () => {
  const input = sine(1000, 22050, 22050, 10000);
  const output = resamplePcm(input, 22050, 8000);
  assert.equal(output.length, 8000);
  const amplitude = toneAmplitude(middle(output), 1000, 8000);
  assert.ok(Math.abs(amplitude - 10000) < 100, `amplitude ${amplitude}`);
});

test('22 050 → 8 000 Hz removes a 5 kHz tone instead of folding it to 3 kHz', () => {
  const input = sine(5000, 22050, 22050, 10000);
  const output = resamplePcm(input, 22050, 8000);
  // Naive decimation would leave a 3 kHz alias at full amplitude; the low-pass leaves under -60 dB.
  const alias = toneAmplitude(middle(output), 3000, 8000);
  assert.ok(alias < 10, `alias amplitude ${alias}`);
});

test('8 000 → 16 000 Hz doubles the length and keeps the tone', () => {
  const output = resamplePcm(sine(1000, 8000, 8000, 8000), 8000, 16000);
  assert.equal(output.length, 16000);
  const amplitude = toneAmplitude(middle(output), 1000, 16000);
  assert.ok(Math.abs(amplitude - 8000) < 100, `amplitude ${amplitude}`);
});

test('float input in [-1, 1] is scaled to 16 bits and saturates', () => {
  const float = Float32Array.from(sine(1000, 44100, 4410, 16000), (sample) => sample / 32767);
  const output = resamplePcm(float, 44100, 8000);
  assert.equal(output.length, 800);
  assert.ok(Math.abs(toneAmplitude(middle(output), 1000, 8000) - 16000) < 200);
  assert.deepEqual(resamplePcm(Float32Array.of(2, -2, 0.5), 8000, 8000), Int16Array.of(32767, -32768, 16384));
});

test('equal rates return a copy', () => {
  const input = Int16Array.of(1, 2, 3);
  const output = resamplePcm(input, 8000, 8000);
  assert.deepEqual(output, input);
  assert.notEqual(output, input);
});
