import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audibleRange, CallRecorder, recoverRecordings } from '../../../../src/media/recording/index.js';
import { parseWav, pcm16WavHeader, pcmSamples } from '../../../../src/media/wav/index.js';
import { FakeClock } from '../../../support/fake-clock.js';

let folder = '';
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'dialtone-recover-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

test('audibleRange finds the first and last frame above the threshold on any channel', () => {
  assert.deepEqual(audibleRange(Int16Array.of(0, 5, 100, 0, -200, 3, 0), 1, 10), { start: 2, end: 5 });
  assert.deepEqual(audibleRange(Int16Array.of(0, 0, 0, 50, 0, 0), 2, 10), { start: 1, end: 2 });
  assert.deepEqual(audibleRange(Int16Array.of(1, -1, 2), 1, 10), { start: 0, end: 0 });
  assert.deepEqual(audibleRange(new Int16Array(0), 2, 10), { start: 0, end: 0 });
});

test('a recording left mid-call by a dead process is recovered with what reached the disk', async () => {
  const clock = new FakeClock();
  const live = join(folder, 'live.wav');
  const recorder = new CallRecorder({ path: live, clock, channels: 'dual', flushIntervalMs: 1000, jitterMs: 200 });
  await recorder.start();
  for (let i = 0; i < 175; i++) {
    recorder.write('caller', new Int16Array(160).fill(1000));
    recorder.write('callee', new Int16Array(160).fill(-1000));
    clock.advance(20);
  }
  await recorder.flush();
  // The process "dies" here: copy the file as it is on disk, without close().
  const crashed = join(folder, 'recovered', 'crashed.wav');
  await rm(join(folder, 'recovered'), { recursive: true, force: true });
  await import('node:fs/promises').then(({ mkdir }) => mkdir(join(folder, 'recovered')));
  await copyFile(live, crashed);
  // The last data write reached the disk but its header update did not.
  await appendFile(crashed, Buffer.alloc(4 * 800, 0x11));
  const [result] = await recoverRecordings(join(folder, 'recovered'));
  assert.equal(result!.status, 'repaired');
  // 3.5 s of call: at most one flush interval (plus the jitter allowance) may be missing.
  assert.ok(result!.durationSeconds >= 3.5 - 1 - 0.2, `recovered ${result!.durationSeconds}s`);
  const wav = parseWav(await readFile(crashed));
  assert.equal(wav.channels, 2);
  assert.equal(wav.data.length, result!.durationSeconds * 8000 * 4);
  const samples = pcmSamples(wav);
  assert.equal(samples[0], 1000);
  assert.equal(samples[1], -1000);
  await recorder.close();
});

test('recoverRecordings repairs, keeps, skips and cleans up as each file needs', async () => {
  const samples = new Int16Array(800).fill(42);
  const data = Buffer.from(samples.buffer);
  await writeFile(join(folder, 'a-intact.wav'), Buffer.concat([pcm16WavHeader(8000, 1, data.length), data]));
  // Killed before the first header update: the header says no data.
  await writeFile(join(folder, 'b-unfinished.wav'), Buffer.concat([pcm16WavHeader(8000, 1, 0), data, Buffer.of(7)]));
  await writeFile(join(folder, 'c-junk.wav'), Buffer.from('not a wav'));
  await writeFile(join(folder, 'd-trimmed.wav.trim.tmp'), Buffer.alloc(100));
  await writeFile(join(folder, 'notes.txt'), 'kept');
  const results = await recoverRecordings(folder);
  assert.deepEqual(results, [
    { path: join(folder, 'a-intact.wav'), status: 'intact', durationSeconds: 0.1 },
    { path: join(folder, 'b-unfinished.wav'), status: 'repaired', durationSeconds: 0.1 },
    { path: join(folder, 'c-junk.wav'), status: 'unreadable', durationSeconds: 0 },
  ]);
  const repaired = parseWav(await readFile(join(folder, 'b-unfinished.wav')));
  assert.deepEqual(pcmSamples(repaired), samples);
  assert.deepEqual((await readdir(folder)).sort(), ['a-intact.wav', 'b-unfinished.wav', 'c-junk.wav', 'notes.txt']);
});
