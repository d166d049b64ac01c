import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDialtoneError, ErrorCodes } from '../../../../src/kernel/index.js';
import { LOOP_FOREVER_LIMIT_MS, PcmSource, SilenceSource, ToneSource, frameSamples } from '../../../../src/media/playback/index.js';
import { ringbackPlan, ToneGenerator } from '../../../../src/media/tone/index.js';
import { concat, drain } from './audio-fixtures.js';

test('frameSamples is 160 at 8 kHz and 320 at 16 kHz for 20 ms', () => {
  assert.equal(frameSamples(8000), 160);
  assert.equal(frameSamples(16000), 320);
  assert.equal(frameSamples(8000, 30), 240);
});

test('SilenceSource gives zero frames for its duration, then ends', () => {
  const frames = drain(new SilenceSource(1000));
  assert.equal(frames.length, 50);
  assert.ok(frames.every((frame) => frame.every((sample) => sample === 0)));
});

test('SilenceSource rounds a partial last frame up and leaves the frame untouched at the end', () => {
  const source = new SilenceSource(30);
  const frame = new Int16Array(160).fill(7);
  assert.equal(source.read(frame), true);
  assert.ok(frame.every((sample) => sample === 0));
  assert.equal(source.read(frame.fill(7)), true);
  assert.equal(source.read(frame.fill(7)), false);
  assert.ok(frame.every((sample) => sample === 7));
  assert.equal(drain(new SilenceSource(0)).length, 0);
});

test('SilenceSource at 16 kHz fills 320-sample frames', () => {
  const frames = drain(new SilenceSource(200, 16000), 320);
  assert.equal(frames.length, 10);
});

const ramp = Int16Array.from({ length: 100 }, (_, i) => i + 1);

test('PcmSource plays the clip exactly N times, joined without gaps', () => {
  for (const loop of [1, 2, 3, 7]) {
    const output = concat(drain(new PcmSource(ramp, { loop })));
    assert.equal(output.length, Math.ceil((ramp.length * loop) / 160) * 160, `frames for loop=${loop}`);
    for (let i = 0; i < ramp.length * loop; i++) assert.equal(output[i], (i % ramp.length) + 1);
    assert.ok(output.subarray(ramp.length * loop).every((sample) => sample === 0), 'padding after the last loop');
  }
});

test('PcmSource defaults to one loop and counts what is left', () => {
  const source = new PcmSource(ramp);
  assert.equal(source.remainingSamples(), 100);
  assert.equal(drain(source).length, 1);
  assert.equal(source.remainingSamples(), 0);
});

test('PcmSource loop="0" repeats up to the 4-hour bound', () => {
  const source = new PcmSource(ramp, { loop: 0 });
  assert.equal(source.remainingSamples(), (LOOP_FOREVER_LIMIT_MS / 1000) * 8000);
  const output = concat(drain(source, 160, 100));
  for (let i = 0; i < output.length; i++) assert.equal(output[i], (i % 100) + 1);
  assert.equal(drain(new PcmSource(new Int16Array(0), { loop: 0 })).length, 0, 'an empty clip ends at once');
});

test('PcmSource refuses a negative or fractional loop with Twilio 13410', () => {
  for (const loop of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () => new PcmSource(ramp, { loop }),
      (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.playInvalidLoop,
    );
  }
});

test('ToneSource frames are one continuous tone, and it never ends by itself', () => {
  const plan = ringbackPlan('us')!;
  const frames = drain(new ToneSource(plan), 160, 1000);
  assert.equal(frames.length, 1000);
  const reference = new ToneGenerator(plan).fill(new Int16Array(160 * 1000));
  assert.deepEqual(concat(frames), reference);
  assert.ok(frames[0]!.some((sample) => sample !== 0), 'the US cadence starts with tone');
});
