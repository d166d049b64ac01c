import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alawToMulaw,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  mulawToAlaw,
} from '../../../../src/media/codec/index.js';
import { alignedSnr, sine } from './signals.js';

function encodeOne(encode: (pcm: Int16Array, out: Uint8Array) => number, sample: number): number {
  const out = new Uint8Array(1);
  encode(Int16Array.of(sample), out);
  return out[0] as number;
}

function decodeOne(decode: (bytes: Uint8Array, out: Int16Array) => number, code: number): number {
  const out = new Int16Array(1);
  decode(Uint8Array.of(code), out);
  return out[0] as number;
}

// Known values from ITU-T G.711 Tables 2a/2b (µ-law) and 1a/1b (A-law), scaled to 16-bit as in G.191.
const mulawCases: Array<[number, number]> = [
  [0, 0xff],
  [-1, 0x7f],
  [32767, 0x80],
  [-32768, 0x00],
  [8, 0xfe], // 14-bit value 2 with bias 33 → segment 0, step 2 → interval 0xfe
  [1000, 0xce],
  [-1000, 0x4e],
];
const mulawDecodeCases: Array<[number, number]> = [
  [0xff, 0],
  [0x7f, 0],
  [0x80, 32124],
  [0x00, -32124],
  [0xfe, 8],
  [0xce, 988],
  [0xf0, 120],
];
const alawCases: Array<[number, number]> = [
  [0, 0xd5],
  [-1, 0x55],
  [32767, 0xaa],
  [-32768, 0x2a],
  [1000, 0xfa],
  [-1000, 0x7a],
];
const alawDecodeCases: Array<[number, number]> = [
  [0xd5, 8],
  [0x55, -8],
  [0xaa, 32256],
  [0x2a, -32256],
  [0xfa, 1008],
];

for (const [sample, code] of mulawCases) {
  test(`µ-law encodes ${sample} as 0x${code.toString(16)}`, () => assert.equal(encodeOne(encodeMulaw, sample), code));
}
for (const [code, sample] of mulawDecodeCases) {
  test(`µ-law decodes 0x${code.toString(16)} to ${sample}`, () => assert.equal(decodeOne(decodeMulaw, code), sample));
}
for (const [sample, code] of alawCases) {
  test(`A-law encodes ${sample} as 0x${code.toString(16)}`, () => assert.equal(encodeOne(encodeAlaw, sample), code));
}
for (const [code, sample] of alawDecodeCases) {
  test(`A-law decodes 0x${code.toString(16)} to ${sample}`, () => assert.equal(decodeOne(decodeAlaw, code), sample));
}

test('every code word survives decode → encode unchanged (µ-law and A-law)', () => {
  const codes = new Uint8Array(256).map((_, i) => i);
  const pcm = new Int16Array(256);
  const again = new Uint8Array(256);
  decodeMulaw(codes, pcm);
  encodeMulaw(pcm, again);
  // 0x7f (−0) decodes to 0, which encodes as +0 (0xff): G.711 has two zeros.
  for (let i = 0; i < 256; i++) assert.equal(again[i], i === 0x7f ? 0xff : i, `µ-law 0x${i.toString(16)}`);
  decodeAlaw(codes, pcm);
  encodeAlaw(pcm, again);
  for (let i = 0; i < 256; i++) assert.equal(again[i], i, `A-law 0x${i.toString(16)}`);
});

test('round-trip error stays within half a quantisation step for every 16-bit sample', () => {
  const all = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i - 32768;
  const bytes = new Uint8Array(65536);
  const back = new Int16Array(65536);
  for (const [encode, decode, maxStep] of [
    [encodeMulaw, decodeMulaw, 1024],
    [encodeAlaw, decodeAlaw, 1024],
  ] as const) {
    encode(all, bytes);
    decode(bytes, back);
    for (let i = 0; i < 65536; i++) {
      const x = all[i] as number;
      // µ-law's last decision level is 32124 + 512 = 32636: beyond it the coder clips to ±32124.
      if (Math.abs(x) > 32636) {
        assert.equal(Math.abs(back[i] as number), encode === encodeMulaw ? 32124 : 32256);
        continue;
      }
      const error = Math.abs(x - (back[i] as number));
      // Segments double their step as the magnitude doubles (G.711 §2/§3): relative error ≤ ~3.2 %,
      // and never more than half of the largest step.
      assert.ok(error <= maxStep / 2 + 4 && error <= Math.max(16, Math.abs(x) * 0.066), `x=${x} error=${error}`);
    }
  }
});

test('decoding is monotonic in the signal value across all code words', () => {
  const codes = new Uint8Array(256).map((_, i) => i);
  const pcm = new Int16Array(256);
  decodeMulaw(codes, pcm);
  // µ-law positive codes 0xff..0x80 go from 0 upwards.
  for (let c = 0xfe; c >= 0x80; c--) assert.ok((pcm[c] as number) > (pcm[c + 1] as number));
  decodeAlaw(codes, pcm);
  const positives = Array.from({ length: 128 }, (_, i) => pcm[(i + 128) ^ 0x55] as number);
  for (let i = 1; i < 128; i++) assert.ok((positives[i] as number) > (positives[i - 1] as number));
});

test('a 1 kHz tone at −10 dBFS keeps an SNR above 35 dB through each law', () => {
  const tone = sine(1000, 8000, 8000, 10362);
  const bytes = new Uint8Array(tone.length);
  const back = new Int16Array(tone.length);
  for (const [encode, decode] of [
    [encodeMulaw, decodeMulaw],
    [encodeAlaw, decodeAlaw],
  ] as const) {
    encode(tone, bytes);
    decode(bytes, back);
    const { snr, lag } = alignedSnr(tone, back, 0, 0);
    assert.equal(lag, 0);
    assert.ok(snr > 35, `snr ${snr}`);
  }
});

test('µ-law ⇄ A-law conversion equals decoding then re-encoding', () => {
  const codes = new Uint8Array(256).map((_, i) => i);
  const pcm = new Int16Array(256);
  const viaPcm = new Uint8Array(256);
  const direct = new Uint8Array(256);
  decodeMulaw(codes, pcm);
  encodeAlaw(pcm, viaPcm);
  mulawToAlaw(codes, direct);
  assert.deepEqual(direct, viaPcm);
  decodeAlaw(codes, pcm);
  encodeMulaw(pcm, viaPcm);
  alawToMulaw(codes, direct);
  assert.deepEqual(direct, viaPcm);
});

test('encoders write no further than the shorter buffer', () => {
  const out = new Uint8Array(4).fill(0x11);
  assert.equal(encodeMulaw(new Int16Array(2), out), 2);
  assert.deepEqual([...out], [0xff, 0xff, 0x11, 0x11]);
});

test('full encode tables match reference digests (ITU-T G.191 algorithm; A-law also equals spandsp 0.0.6)', () => {
  const all = new Int16Array(65536).map((_, i) => i - 32768);
  const bytes = new Uint8Array(65536);
  encodeAlaw(all, bytes);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), '38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b');
  // spandsp's µ-law takes the magnitude of negatives by negation, G.191 by one's complement; they differ
  // on the 127 negative decision boundaries only (−4, −12, −20 … −31612), by one code. We follow G.191.
  encodeMulaw(all, bytes);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), '90c29de505fb68e766118303bd552a16005dcf810873698bee1d8f3b247ce28c');
  assert.equal(encodeOne(encodeMulaw, -4), 0x7f);
  assert.equal(encodeOne(encodeMulaw, -5), 0x7e);
});
