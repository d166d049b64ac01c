import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ringbackPlan, ToneGenerator } from '../../../../src/media/tone/index.js';

/** Power of `frequency` in `samples` (Goertzel), normalised by length. */
function power(samples: Int16Array, frequency: number, sampleRate = 8000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  return (previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious) / samples.length;
}

function render(country: string, milliseconds: number): Int16Array {
  const plan = ringbackPlan(country);
  assert.ok(plan, `plan for ${country}`);
  const generator = new ToneGenerator(plan);
  const out = new Int16Array((milliseconds * 8000) / 1000);
  const frame = new Int16Array(160);
  for (let offset = 0; offset < out.length; offset += frame.length) out.set(generator.fill(frame), offset);
  return out;
}

test('US ringback is 440+480 Hz for 2 s then 4 s of silence', () => {
  const samples = render('us', 6000);
  const on = samples.subarray(0, 16000);
  const off = samples.subarray(16000 + 80, 48000);
  assert.ok(power(on, 440) > 100 * power(on, 1000), '440 Hz present');
  assert.ok(power(on, 480) > 100 * power(on, 1000), '480 Hz present');
  assert.ok(off.every((sample) => sample === 0), 'silent during the off period');
});

test('UK ringback has the double-ring cadence 0.4 on, 0.2 off, 0.4 on, 2 off at 400+450 Hz', () => {
  const samples = render('uk', 3000);
  const energy = (from: number, to: number): number =>
    samples.subarray((from * 8), (to * 8)).reduce((sum, sample) => sum + Math.abs(sample), 0);
  assert.ok(energy(0, 400) > 0);
  assert.equal(energy(405, 595), 0);
  assert.ok(energy(600, 1000) > 0);
  assert.equal(energy(1005, 2995), 0);
  assert.ok(power(samples.subarray(0, 3200), 400) > 100 * power(samples.subarray(0, 3200), 1000));
  assert.deepEqual(ringbackPlan('GB'), ringbackPlan('uk'));
});

test('the tone is continuous across frame boundaries (no clicks)', () => {
  const samples = render('de', 1000);
  let largestStep = 0;
  for (let i = 1; i < 8000; i++) largestStep = Math.max(largestStep, Math.abs(samples[i]! - samples[i - 1]!));
  // A 425 Hz sine of amplitude 4000 moves at most 2π·425/8000·4000 ≈ 1335 per sample.
  assert.ok(largestStep < 1400, `largest step ${largestStep}`);
});

test('unknown countries have no plan', () => {
  assert.equal(ringbackPlan('xx'), undefined);
  assert.equal(ringbackPlan('constructor'), undefined);
});
