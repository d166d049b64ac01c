import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DialtoneError } from '../../../../src/kernel/index.js';
import { parseWav, pcm16WavHeader, pcmSamples, repairWavFile, WavRecorderFile } from '../../../../src/media/wav/index.js';
import { scratchDirectory } from '../../../support/scratch-directory.js';

function wavWithFormat(tag: number, bits: number, channels: number, rate: number, data: Buffer, extraChunk = false): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(tag, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 16);
  fmt.writeUInt16LE((channels * bits) / 8, 20);
  fmt.writeUInt16LE(bits, 22);
  const list = Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'latin1'); // odd size, padded
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0, 'latin1');
  dataHeader.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, ...(extraChunk ? [list] : []), dataHeader, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

test('µ-law, A-law and PCM files are recognised, skipping chunks that are not audio', () => {
  const mulaw = parseWav(wavWithFormat(7, 8, 1, 8000, Buffer.from([0xff, 0x7f]), true));
  assert.deepEqual([mulaw.encoding, mulaw.sampleRate, mulaw.channels, [...mulaw.data]], ['mulaw', 8000, 1, [0xff, 0x7f]]);
  assert.equal(parseWav(wavWithFormat(6, 8, 1, 8000, Buffer.from([0xd5]))).encoding, 'alaw');
  const pcm = Buffer.alloc(4);
  pcm.writeInt16LE(1234, 0);
  pcm.writeInt16LE(-5, 2);
  const parsed = parseWav(wavWithFormat(1, 16, 1, 16000, pcm));
  assert.deepEqual([...pcmSamples(parsed)], [1234, -5]);
  assert.deepEqual([...pcmSamples(parseWav(wavWithFormat(1, 8, 1, 8000, Buffer.from([128, 255, 0]))))], [0, 127 << 8, -128 << 8]);
});

test('files that cannot be played are refused with a reason', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('ID3 not a wav at all'), /not a RIFF/],
    [wavWithFormat(3, 32, 1, 8000, Buffer.alloc(8)), /format tag 3/],
    [wavWithFormat(1, 24, 1, 8000, Buffer.alloc(6)), /24-bit/],
    [wavWithFormat(1, 16, 6, 8000, Buffer.alloc(12)), /6 channels/],
    [wavWithFormat(1, 16, 1, 8000, Buffer.alloc(0)).subarray(0, 36), /no data chunk/],
  ];
  for (const [file, reason] of cases) {
    assert.throws(() => parseWav(file), (error: unknown) => error instanceof DialtoneError && reason.test(error.message));
  }
});

test('a recording is playable after every flush and exact after close', async (t) => {
  const dir = await scratchDirectory(t, 'wav');
  const path = join(dir, 'rec.wav');
  const recorder = await WavRecorderFile.create(path, 8000, 2);
  recorder.append(Int16Array.from([1, -1, 2, -2]));
  await recorder.flush();
  const partial = parseWav(await readFile(path));
  assert.deepEqual([...pcmSamples(partial)], [1, -1, 2, -2]);
  assert.equal(partial.channels, 2);
  recorder.append(Int16Array.from([3, -3]));
  assert.equal(recorder.durationSeconds(), 3 / 8000);
  await recorder.close();
  await recorder.close();
  assert.deepEqual([...pcmSamples(parseWav(await readFile(path)))], [1, -1, 2, -2, 3, -3]);
});

test('a file whose last header update was lost is repaired from its length', async (t) => {
  const dir = await scratchDirectory(t, 'wav');
  const path = join(dir, 'crashed.wav');
  await writeFile(path, pcm16WavHeader(8000, 1, 0));
  const samples = Buffer.alloc(7); // 3 whole samples and half of a fourth
  samples.writeInt16LE(10, 0);
  samples.writeInt16LE(20, 2);
  samples.writeInt16LE(30, 4);
  await appendFile(path, samples);
  assert.equal(await repairWavFile(path, 8000, 1), 6);
  assert.deepEqual([...pcmSamples(parseWav(await readFile(path)))], [10, 20, 30]);
});
