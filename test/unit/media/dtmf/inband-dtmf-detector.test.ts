import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMulaw, encodeMulaw } from '../../../../src/media/codec/index.js';
import {
  DBM0_AMPLITUDE,
  DTMF_DIGITS,
  dtmfFrequencies,
  generateDtmfSequence,
  goertzelCoefficient,
  goertzelPower,
  InbandDtmfDetector,
  writeDtmfTone,
  type DetectedDigit,
} from '../../../../src/media/dtmf/index.js';

function detect(pcm: Int16Array, frame = 160): DetectedDigit[] {
  const digits: DetectedDigit[] = [];
  const detector = new InbandDtmfDetector({ onDigit: (d) => digits.push(d) });
  for (let offset = 0; offset < pcm.length; offset += frame) detector.process(pcm.subarray(offset, offset + frame));
  detector.flush();
  return digits;
}

/** Silence, then a tone of `toneMs`, then silence; returns the signal. */
function toneAt(digit: string, leadMs: number, toneMs: number, tailMs = 100, levelDbm0 = -7, twistDb = 0): Int16Array {
  const pcm = new Int16Array(((leadMs + toneMs + tailMs) * 8000) / 1000);
  const start = (leadMs * 8000) / 1000;
  writeDtmfTone(digit, pcm.subarray(start, start + (toneMs * 8000) / 1000), { levelDbm0, twistDb });
  return pcm;
}

/** Mulberry32: a small seeded PRNG so the noise fixtures are the same on every run. */
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

test('Goertzel power of a tone at its own frequency is about (A·N/2)²', () => {
  const pcm = new Int16Array(205).map((_, i) => Math.round(1000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const power = goertzelPower(pcm, goertzelCoefficient(1000, 8000));
  const expected = ((1000 * 205) / 2) ** 2;
  assert.ok(Math.abs(power / expected - 1) < 0.02, `ratio ${power / expected}`);
  assert.ok(goertzelPower(pcm, goertzelCoefficient(1477, 8000)) < expected / 100);
});

test('Q.23 frequency pairs of the keypad', () => {
  assert.deepEqual(dtmfFrequencies('1'), [697, 1209]);
  assert.deepEqual(dtmfFrequencies('0'), [941, 1336]);
  assert.deepEqual(dtmfFrequencies('#'), [941, 1477]);
  assert.deepEqual(dtmfFrequencies('D'), [941, 1633]);
});

for (const digit of DTMF_DIGITS) {
  test(`in-band digit ${digit} is detected exactly once with its timing`, () => {
    const digits = detect(toneAt(digit, 200, 100));
    assert.equal(digits.length, 1, JSON.stringify(digits));
    const [d] = digits;
    assert.equal(d!.digit, digit);
    assert.equal(d!.source, 'inband');
    // Block resolution is 12.75 ms at each edge.
    assert.ok(Math.abs(d!.startMs - 200) <= 13, `start ${d!.startMs}`);
    assert.ok(Math.abs(d!.durationMs - 100) <= 26, `duration ${d!.durationMs}`);
  });
}

test('a dialled string is detected in order, once per digit, with start times on the caller time base', () => {
  const digits: DetectedDigit[] = [];
  const detector = new InbandDtmfDetector({ onDigit: (d) => digits.push(d), startMs: 10_000 });
  detector.process(generateDtmfSequence('0123456789*#ABCD', { toneMs: 60, pauseMs: 60 }));
  detector.flush();
  assert.deepEqual(digits.map((d) => d.digit).join(''), '0123456789*#ABCD');
  digits.forEach((d, i) => assert.ok(Math.abs(d.startMs - (10_000 + i * 120)) <= 13, `${d.digit} at ${d.startMs}`));
});

test('the same digit repeated after a 40 ms pause is two digits (Q.24 inter-digit pause)', () => {
  assert.deepEqual(detect(generateDtmfSequence('55', { toneMs: 50, pauseMs: 40 })).map((d) => d.digit), ['5', '5']);
});

test('a 10 ms interruption inside a tone does not split the digit (Q.24)', () => {
  const pcm = toneAt('8', 100, 200);
  pcm.fill(0, 800 + 640, 800 + 720);
  const digits = detect(pcm);
  assert.deepEqual(digits.map((d) => d.digit), ['8']);
  assert.ok(Math.abs(digits[0]!.durationMs - 200) <= 26);
});

test('tones of 40 ms are accepted and tones of 20 ms rejected, whatever their alignment to blocks', () => {
  for (let shift = 0; shift < 102; shift += 7) {
    const leadMs = 100 + shift / 8;
    assert.equal(detect(toneAt('6', leadMs, 40)).length, 1, `40 ms at +${shift} samples`);
    assert.equal(detect(toneAt('6', leadMs, 20)).length, 0, `20 ms at +${shift} samples`);
  }
});

test('twist within Q.24 limits is accepted; beyond them rejected', () => {
  assert.equal(detect(toneAt('2', 100, 100, 100, -10, 3)).length, 1); // high group 3 dB stronger
  assert.equal(detect(toneAt('2', 100, 100, 100, -4, -6)).length, 1); // low group 6 dB stronger
  assert.equal(detect(toneAt('2', 100, 100, 100, -10, 7)).length, 0);
  assert.equal(detect(toneAt('2', 100, 100, 100, -2, -11)).length, 0);
});

test('weak tones below −30 dBm0 per frequency are ignored; −25 dBm0 is accepted', () => {
  assert.equal(detect(toneAt('4', 100, 100, 100, -25)).length, 1);
  assert.equal(detect(toneAt('4', 100, 100, 100, -36)).length, 0);
});

test('detection survives µ-law coding and 15 dB SNR white noise', () => {
  const pcm = generateDtmfSequence('159#', { toneMs: 80, pauseMs: 80 });
  const random = prng(42);
  const noiseAmplitude = DBM0_AMPLITUDE * 10 ** (-7 / 20) * 10 ** (-15 / 20) * Math.sqrt(3);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round((pcm[i] as number) + (random() * 2 - 1) * noiseAmplitude);
  const bytes = new Uint8Array(pcm.length);
  encodeMulaw(pcm, bytes);
  decodeMulaw(bytes, pcm);
  assert.equal(detect(pcm).map((d) => d.digit).join(''), '159#');
});

test('no false detection on a 1 kHz tone', () => {
  const pcm = new Int16Array(16000).map((_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  assert.deepEqual(detect(pcm), []);
});

test('no false detection on single DTMF frequencies or a row-row pair', () => {
  const single = new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 770 * i) / 8000)));
  assert.deepEqual(detect(single), []);
  const rows = new Int16Array(8000).map((_, i) => Math.round(6000 * (Math.sin((2 * Math.PI * 697 * i) / 8000) + Math.sin((2 * Math.PI * 941 * i) / 8000))));
  assert.deepEqual(detect(rows), []);
});

test('no false detection on seeded white noise at several levels', () => {
  for (const [seed, amplitude] of [
    [1, 500],
    [2, 4000],
    [3, 20000],
  ] as const) {
    const random = prng(seed);
    const pcm = new Int16Array(8000 * 5).map(() => Math.round((random() * 2 - 1) * amplitude));
    assert.deepEqual(detect(pcm), [], `seed ${seed}`);
  }
});

test('no false detection on speech-like signals (voiced harmonics under formants, with pitch glide)', () => {
  const random = prng(7);
  // Vowel-like formants (Hz) and fundamental frequencies that put harmonics near DTMF frequencies.
  const formants = [
    [700, 1220],
    [300, 2300],
    [500, 1500],
  ];
  for (const f0Start of [98, 117, 139, 151, 233]) {
    for (const [f1, f2] of formants) {
      const pcm = new Int16Array(8000);
      let phase = 0;
      for (let i = 0; i < pcm.length; i++) {
        const f0 = f0Start * (1 + 0.1 * Math.sin((2 * Math.PI * 3 * i) / 8000)); // intonation
        phase += (2 * Math.PI * f0) / 8000;
        let value = 0;
        for (let h = 1; h * f0 < 3800; h++) {
          const f = h * f0;
          const gain = 1 / (1 + ((f - f1!) / 150) ** 2) + 0.7 / (1 + ((f - f2!) / 200) ** 2) + 0.05;
          value += gain * Math.sin(h * phase);
        }
        pcm[i] = Math.round(2500 * value + (random() * 2 - 1) * 200);
      }
      assert.deepEqual(detect(pcm), [], `f0 ${f0Start} formants ${f1}/${f2}`);
    }
  }
});
