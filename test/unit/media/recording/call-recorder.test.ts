import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import { CallRecorder, type RecordingResult } from '../../../../src/media/recording/index.js';
import { parseWav, pcmSamples } from '../../../../src/media/wav/index.js';
import { FakeClock } from '../../../support/fake-clock.js';

let folder = '';
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'dialtone-recorder-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const frame = (value: number, length = 160) => new Int16Array(length).fill(value);

async function readRecording(path: string): Promise<{ channels: number; sampleRate: number; samples: Int16Array }> {
  const wav = parseWav(await readFile(path));
  return { channels: wav.channels, sampleRate: wav.sampleRate, samples: pcmSamples(wav) };
}

/** Both parties speak one frame every 20 ms of clock time, as packets would arrive. */
function converse(clock: FakeClock, recorder: CallRecorder, frames: number, caller: number, callee: number): void {
  for (let i = 0; i < frames; i++) {
    recorder.write('caller', frame(caller));
    recorder.write('callee', frame(callee));
    clock.advance(20);
  }
}

test('mono mixes both parties into one 8 kHz channel', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'mono.wav'), clock });
  await recorder.start();
  converse(clock, recorder, 50, 1000, 2000);
  assert.equal(recorder.durationSeconds(), 1);
  const result = await recorder.close();
  assert.deepEqual(result, { path: join(folder, 'mono.wav'), channels: 1, sampleRate: 8000, durationSeconds: 1, trimmedSeconds: 0 });
  const wav = await readRecording(result.path);
  assert.equal(wav.channels, 1);
  assert.equal(wav.sampleRate, 8000);
  assert.equal(wav.samples.length, 8000);
  assert.ok(wav.samples.every((sample) => sample === 3000));
});

test('dual channel puts the caller left and the callee right, aligned', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'dual.wav'), clock, channels: 'dual' });
  await recorder.start();
  converse(clock, recorder, 50, 1000, -2000);
  const result = await recorder.close();
  assert.equal(result.channels, 2);
  assert.equal(result.durationSeconds, 1);
  const wav = await readRecording(result.path);
  assert.equal(wav.channels, 2);
  assert.equal(wav.samples.length, 16000);
  for (let i = 0; i < 8000; i++) {
    assert.equal(wav.samples[2 * i], 1000);
    assert.equal(wav.samples[2 * i + 1], -2000);
  }
});

test('the mono mix saturates instead of wrapping around', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'loud.wav'), clock });
  await recorder.start();
  recorder.write('caller', Int16Array.of(30000, -30000, 100));
  recorder.write('callee', Int16Array.of(30000, -30000, -300));
  const wav = await readRecording((await recorder.close()).path);
  assert.deepEqual(wav.samples, Int16Array.of(32767, -32768, -200));
});

test('frames placed by position leave silence in the gaps, on both channels', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'gaps.wav'), clock, channels: 'dual' });
  await recorder.start();
  recorder.write('caller', frame(100), 0);
  recorder.write('caller', frame(200), 160);
  recorder.write('caller', frame(300), 800); // 480 samples lost in between
  recorder.write('callee', frame(400), 400); // the callee starts late
  const result = await recorder.close();
  assert.equal(result.durationSeconds, 960 / 8000);
  const { samples } = await readRecording(result.path);
  const left = (i: number) => samples[2 * i];
  const right = (i: number) => samples[2 * i + 1];
  assert.equal(left(0), 100);
  assert.equal(left(159), 100);
  assert.equal(left(160), 200);
  assert.equal(left(320), 0);
  assert.equal(left(799), 0);
  assert.equal(left(800), 300);
  assert.equal(left(959), 300);
  assert.equal(right(399), 0);
  assert.equal(right(400), 400);
  assert.equal(right(559), 400);
  assert.equal(right(560), 0);
});

test('a party silent longer than the jitter allowance resumes where the clock is', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'hold.wav'), clock, channels: 'dual', flushIntervalMs: 10_000 });
  await recorder.start();
  // 1 s of both parties, then 1 s in which only the callee speaks (the caller is on hold), then both again.
  converse(clock, recorder, 50, 1000, 2000);
  for (let i = 0; i < 50; i++) {
    recorder.write('callee', frame(2000));
    clock.advance(20);
  }
  converse(clock, recorder, 50, 1000, 2000);
  const { samples } = await readRecording((await recorder.close()).path);
  assert.equal(samples.length, 2 * 24000);
  const left = Int16Array.from({ length: 24000 }, (_, i) => samples[2 * i]!);
  assert.ok(left.subarray(0, 8000).every((sample) => sample === 1000));
  // The caller's first frame after the hold goes where the clock is when it arrives (2 s).
  assert.ok(left.subarray(8000, 16000).every((sample) => sample === 0), 'hold is silence');
  assert.ok(left.subarray(16000, 24000).every((sample) => sample === 1000), 'caller resumes in step with the clock');
  assert.ok(Int16Array.from({ length: 24000 }, (_, i) => samples[2 * i + 1]!).every((sample) => sample === 2000));
});

test('audio is on disk after each flush interval, and late frames are dropped and counted', async () => {
  const clock = new FakeClock();
  const path = join(folder, 'flush.wav');
  const recorder = new CallRecorder({ path, clock, flushIntervalMs: 1000, jitterMs: 200 });
  await recorder.start();
  converse(clock, recorder, 100, 500, 500); // 2 s of call; flushes at 1 s and 2 s
  await recorder.flush();
  const onDisk = await readRecording(path);
  assert.equal(onDisk.samples.length, 16000, 'both parties covered 2 s, all of it written');
  recorder.write('caller', frame(9), 0);
  // A timestamp jump far ahead of the clock is dropped, not allocated for.
  recorder.write('callee', frame(9), 16000 + 61 * 8000);
  assert.deepEqual(recorder.stats(), { lateSamplesDropped: 160, earlySamplesDropped: 160, samplesWritten: 16000 });
  await recorder.close();
});

test('a party that sends nothing is written as silence once the clock passes the jitter allowance', async () => {
  const clock = new FakeClock();
  const path = join(folder, 'one-sided.wav');
  const recorder = new CallRecorder({ path, clock, channels: 'dual', flushIntervalMs: 1000, jitterMs: 200 });
  await recorder.start();
  for (let i = 0; i < 100; i++) {
    recorder.write('caller', frame(700));
    clock.advance(20);
  }
  await recorder.flush();
  // 2 s have passed; everything older than 200 ms is on disk although the callee never spoke.
  assert.equal((await readRecording(path)).samples.length, 2 * 14400);
  await recorder.close();
});

test('trim-silence removes leading and trailing silence when closing', async () => {
  const clock = new FakeClock();
  const path = join(folder, 'trim.wav');
  const recorder = new CallRecorder({ path, clock, trimSilence: true });
  await recorder.start();
  recorder.write('caller', new Int16Array(8000).fill(3), 0); // below the threshold
  recorder.write('caller', frame(1500, 4000), 8000);
  recorder.write('callee', new Int16Array(8000), 12000);
  const result = await recorder.close();
  assert.equal(result.durationSeconds, 0.5);
  assert.equal(result.trimmedSeconds, 2);
  const { samples } = await readRecording(path);
  assert.equal(samples.length, 4000);
  assert.ok(samples.every((sample) => sample === 1500));
  await assert.rejects(stat(`${path}.trim.tmp`));
});

test('writes before start() are ignored: recording from answer leaves out the ringing', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'answer.wav'), clock });
  assert.equal(recorder.started, false);
  converse(clock, recorder, 25, 100, 100); // ringing: nothing recorded
  await recorder.start();
  assert.equal(recorder.started, true);
  converse(clock, recorder, 25, 100, 100);
  const result = await recorder.close();
  assert.equal(result.durationSeconds, 0.5);
});

test('close() is idempotent, emits closed once, and ignores later writes; without start() there is no file', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'twice.wav'), clock });
  const closed: RecordingResult[] = [];
  recorder.on('closed', (result) => closed.push(result));
  await recorder.start();
  await recorder.start();
  converse(clock, recorder, 5, 1, 1);
  const first = await recorder.close();
  recorder.write('caller', frame(5));
  assert.equal(await recorder.close(), first);
  assert.equal(closed.length, 1);
  assert.equal(clock.pending(), 0);
  await assert.rejects(recorder.start(), (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.recordingWriteFailed);

  const never = new CallRecorder({ path: join(folder, 'never.wav'), clock });
  assert.equal((await never.close()).durationSeconds, 0);
  await assert.rejects(stat(join(folder, 'never.wav')));
});

test('a folder that does not exist fails start() with 90250', async () => {
  const recorder = new CallRecorder({ path: join(folder, 'missing', 'x.wav'), clock: new FakeClock() });
  await assert.rejects(recorder.start(), (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.recordingWriteFailed);
});

test('16 kHz recordings for wideband legs', async () => {
  const clock = new FakeClock();
  const recorder = new CallRecorder({ path: join(folder, 'wide.wav'), clock, sampleRate: 16000, channels: 'dual' });
  await recorder.start();
  recorder.write('caller', frame(1, 320));
  recorder.write('callee', frame(2, 320));
  const result = await recorder.close();
  assert.equal(result.durationSeconds, 0.02);
  assert.equal((await readRecording(result.path)).sampleRate, 16000);
});
