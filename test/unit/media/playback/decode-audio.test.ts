import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import { decodeAudio, formatFromContentType, sniffAudioFormat } from '../../../../src/media/playback/index.js';
import { interleave, sine, toneAmplitude, wavFile } from './audio-fixtures.js';

const mp3Fixture = readFileSync(new URL('./fixtures/tone-1khz-500ms.mp3', import.meta.url));
const hasCode = (code: number) => (error: unknown) => isDialtoneError(error) && error.code === code;

test('formats are sniffed from RIFF/WAVE, ID3 and MPEG frame headers', () => {
  assert.equal(sniffAudioFormat(wavFile(new Int16Array(4), 8000, 1, 'pcm16')), 'wav');
  assert.equal(sniffAudioFormat(mp3Fixture), 'mp3');
  assert.equal(sniffAudioFormat(Uint8Array.of(0xff, 0xfb, 0x90, 0x64)), 'mp3', 'MPEG-1 layer III frame');
  assert.equal(sniffAudioFormat(Uint8Array.of(0xff, 0xe9, 0x90, 0x64)), undefined, 'reserved MPEG version');
  assert.equal(sniffAudioFormat(Buffer.from('<?xml version="1.0"?>')), undefined);
  assert.equal(sniffAudioFormat(Uint8Array.of()), undefined);
});

test('Content-Type names a format, another audio type, or not audio', () => {
  assert.equal(formatFromContentType('audio/mpeg'), 'mp3');
  assert.equal(formatFromContentType('Audio/X-WAV; charset=binary'), 'wav');
  assert.equal(formatFromContentType('audio/ogg'), 'audio');
  assert.equal(formatFromContentType('text/html; charset=utf-8'), 'other');
  assert.equal(formatFromContentType('application/octet-stream'), undefined);
  assert.equal(formatFromContentType(undefined), undefined);
});

test('16-bit PCM WAV at 8 kHz decodes sample for sample', async () => {
  const samples = sine(440, 8000, 800, 12000);
  const decoded = await decodeAudio(wavFile(samples, 8000, 1, 'pcm16'), 'audio/wav', 8000);
  assert.equal(decoded.sampleRate, 8000);
  assert.deepEqual(decoded.samples, samples);
});

for (const [encoding, tolerance] of [
  ['pcm8', 300],
  ['mulaw', 400],
  ['alaw', 400],
] as const) {
  test(`${encoding} WAV decodes within its quantisation step`, async () => {
    const samples = sine(440, 8000, 800, 12000);
    const decoded = await decodeAudio(wavFile(samples, 8000, 1, encoding), undefined, 8000);
    assert.equal(decoded.samples.length, 800);
    for (let i = 0; i < samples.length; i++) {
      assert.ok(Math.abs(decoded.samples[i]! - samples[i]!) <= tolerance, `sample ${i}: ${decoded.samples[i]} vs ${samples[i]}`);
    }
  });
}

test('a 44.1 kHz stereo WAV becomes 8 kHz mono (channels averaged)', async () => {
  const left = sine(1000, 44100, 44100, 10000);
  const right = sine(1000, 44100, 44100, 6000);
  const decoded = await decodeAudio(wavFile(interleave(left, right), 44100, 2, 'pcm16'), 'audio/x-wav', 8000);
  assert.equal(decoded.samples.length, 8000);
  const amplitude = toneAmplitude(decoded.samples.subarray(200, 7800), 1000, 8000);
  assert.ok(Math.abs(amplitude - 8000) < 100, `amplitude ${amplitude}`);
});

test('a µ-law WAV decodes to 16 kHz for G.722 legs', async () => {
  const decoded = await decodeAudio(wavFile(sine(1000, 8000, 8000, 10000), 8000, 1, 'mulaw'), 'audio/wav', 16000);
  assert.equal(decoded.sampleRate, 16000);
  assert.equal(decoded.samples.length, 16000);
});

test('an MP3 (LAME, 22.05 kHz, 1 kHz tone) decodes to 8 kHz PCM of the tone', async () => {
  const decoded = await decodeAudio(mp3Fixture, 'audio/mpeg', 8000);
  // 0.5 s of audio; MP3 adds encoder delay and padding of up to a couple of 1152-sample frames.
  const seconds = decoded.samples.length / 8000;
  assert.ok(seconds >= 0.5 && seconds < 0.65, `duration ${seconds}s`);
  const amplitude = toneAmplitude(decoded.samples.subarray(1000, 3500), 1000, 8000);
  assert.ok(amplitude > 8500 && amplitude < 11500, `1 kHz amplitude ${amplitude}`);
});

test('an MP3 is recognised by its bytes even when labelled as something else', async () => {
  const decoded = await decodeAudio(mp3Fixture, 'application/octet-stream', 8000);
  assert.ok(decoded.samples.length > 3000);
});

test('MP3-labelled bytes without audio frames fail with 90230', async () => {
  const junk = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.alloc(600, 0x42)]);
  await assert.rejects(decodeAudio(junk, 'audio/mpeg', 8000), hasCode(ErrorCodes.mediaFileUnsupported));
});

test('non-audio content fails with Twilio 13420, unknown audio with 90230', async () => {
  await assert.rejects(decodeAudio(Buffer.from('<Response/>'), 'text/xml', 8000), hasCode(ErrorCodes.playInvalidContentType));
  await assert.rejects(decodeAudio(Buffer.from('OggS\x00\x02'), 'audio/ogg', 8000), hasCode(ErrorCodes.mediaFileUnsupported));
});

test('a WAV encoding it cannot play (24-bit PCM) fails with 90230', async () => {
  const wav = wavFile(new Int16Array(30), 8000, 1, 'pcm16');
  wav.writeUInt16LE(24, 34);
  await assert.rejects(decodeAudio(wav, 'audio/wav', 8000), hasCode(ErrorCodes.mediaFileUnsupported));
});
