import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { G722Decoder, G722Encoder } from '../../../../src/media/codec/index.js';
import { alignedSnr, sine, zeroCrossingFrequency } from './signals.js';

function roundTrip(pcm: Int16Array, frame = 320): Int16Array {
  const encoder = new G722Encoder();
  const decoder = new G722Decoder();
  const bytes = new Uint8Array(frame / 2);
  const out = new Int16Array(pcm.length);
  // Frame by frame, as RTP would carry it: the codec state must carry across calls.
  for (let offset = 0; offset + frame <= pcm.length; offset += frame) {
    assert.equal(encoder.encode(pcm.subarray(offset, offset + frame), bytes), frame / 2);
    assert.equal(decoder.decode(bytes, out.subarray(offset, offset + frame)), frame);
  }
  return out;
}

test('a 1 kHz tone survives encode → decode with SNR above 30 dB and its frequency intact', () => {
  const tone = sine(1000, 16000, 16000, 10000);
  const out = roundTrip(tone);
  const { snr } = alignedSnr(tone, out, 40, 1600);
  assert.ok(snr > 30, `snr ${snr.toFixed(1)} dB`);
  const frequency = zeroCrossingFrequency(out, 16000, 1600);
  assert.ok(Math.abs(frequency - 1000) < 5, `frequency ${frequency}`);
});

test('the transmit and receive QMFs delay the signal by 22 samples (G.722 §3.2, §4.4)', () => {
  // A non-periodic signal (a chirp from 200 Hz to 3 kHz) makes the delay unambiguous.
  const chirp = new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin(2 * Math.PI * (200 + (2800 * i) / 16000) * (i / 16000))));
  const { lag, snr } = alignedSnr(chirp, roundTrip(chirp), 40, 800);
  assert.equal(lag, 22);
  assert.ok(snr > 25, `snr ${snr.toFixed(1)} dB`);
});

test('wide-band content above 4 kHz passes through the higher sub-band', () => {
  const tone = sine(5000, 16000, 16000, 8000);
  const out = roundTrip(tone);
  const { snr } = alignedSnr(tone, out, 40, 1600);
  assert.ok(snr > 15, `snr ${snr.toFixed(1)} dB`);
  assert.ok(Math.abs(zeroCrossingFrequency(out, 16000, 1600) - 5000) < 20);
});

// 20 ms of digital silence as this encoder emits it: the idle code word 0xFA (lower band 0x3A, the
// smallest positive step; higher band 3) until the predictor's ±1 steps make the pattern dither.
const SILENCE_PACKET =
  'fafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafaf7f7f7f7f7f7f7f8f7faf7f8f8fafaf7f7f8f7faf8f7faf8f7faf7f8f8fadbf0f8f8f8f8fadbf1f8f8fafaf8def3faf8f8fafadef0fafaf8f8fadbf1fafaf8f8fadcf2faf8f8fafadef0fafaf8f8fad8f3faf8f8fadef3faf8f8fadef3faf8f8fadef2faf8f8fadef2faf8f8fadef2faf8f8fade';

test('silence encodes to the idle pattern and that packet decodes back to silence', () => {
  const bytes = new Uint8Array(160);
  new G722Encoder().encode(new Int16Array(320), bytes);
  assert.equal(Buffer.from(bytes).toString('hex'), SILENCE_PACKET);

  const out = new Int16Array(320);
  assert.equal(new G722Decoder().decode(Buffer.from(SILENCE_PACKET, 'hex'), out), 320);
  for (const sample of out) assert.ok(Math.abs(sample) <= 4, `sample ${sample}`);
});

test('one second of encoded silence stays within ±4 of zero after decoding', () => {
  const bytes = new Uint8Array(8000);
  new G722Encoder().encode(new Int16Array(16000), bytes);
  const out = new Int16Array(16000);
  new G722Decoder().decode(bytes, out);
  for (const sample of out) assert.ok(Math.abs(sample) <= 4, `sample ${sample}`);
});

test('encoding is deterministic and separate instances do not share state', () => {
  const tone = sine(700, 16000, 640, 12000);
  const a = new Uint8Array(320);
  const b = new Uint8Array(320);
  new G722Encoder().encode(tone, a);
  const busy = new G722Encoder();
  busy.encode(sine(3000, 16000, 640, 20000), new Uint8Array(320));
  new G722Encoder().encode(tone, b);
  assert.deepEqual(a, b);
});

test('full-scale square wave does not overflow the 16-bit output', () => {
  const square = new Int16Array(3200).map((_, i) => (Math.floor(i / 8) % 2 === 0 ? 32767 : -32768));
  const out = roundTrip(square);
  for (const sample of out) assert.ok(sample >= -32768 && sample <= 32767);
  const { snr } = alignedSnr(square, out, 40, 320);
  assert.ok(snr > 10, `snr ${snr.toFixed(1)} dB`);
});

/** Mulberry32, seeded, so the fixture signal is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('bit-exact with an independent G.722 implementation (spandsp 0.0.6) on a chirp with noise', () => {
  // Reference figures were produced by spandsp's g722_encode/g722_decode (64 kbit/s, 16 kHz, unpacked)
  // on this exact signal: 250 ms, a 200 Hz → 3.1 kHz chirp at 12000 plus ±2000 of seeded noise.
  const random = prng(722);
  const n = 4000;
  const pcm = new Int16Array(n).map((_, i) =>
    Math.round(12000 * Math.sin(2 * Math.PI * (200 + (5800 * i) / (2 * n)) * (i / 16000)) + (random() * 2 - 1) * 2000),
  );
  const code = new Uint8Array(n / 2);
  const encoder = new G722Encoder();
  for (let offset = 0; offset < n; offset += 320) encoder.encode(pcm.subarray(offset, offset + 320), code.subarray(offset / 2));
  assert.equal(Buffer.from(code.subarray(0, 24)).toString('hex'), 'de3a98238720a020a2a9aa692828a82aab2f30f7b47a171c');
  assert.equal(createHash('sha256').update(code).digest('hex'), 'a1669b1d11b9a90ea50403923e9213b9370f21a8c2bdd57daa9f2f8cca86d1f9');

  const decoded = new Int16Array(n);
  const decoder = new G722Decoder();
  for (let offset = 0; offset < n / 2; offset += 160) decoder.decode(code.subarray(offset, offset + 160), decoded.subarray(2 * offset));
  const bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), 'ecdc8b4c28cc2ad64726e17979ce67d5ab4b893c2d4d6fd05ea5ecd16613044e');
});
