import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  createPayloadCodec,
  OpusPayloadCodec,
  opusHeapBytes,
  opusOptionsFromFmtp,
  opusPacketSamples,
  OPUS_RTP_CLOCK_RATE,
} from '../../../../src/media/codec/index.js';
import { alignedSnr, sine, zeroCrossingFrequency } from './signals.js';

/** Encodes `pcm` in `frame`-sample packets and decodes each as it would arrive; returns both. */
function roundTrip(codec: OpusPayloadCodec, pcm: Int16Array, frame: number, lose: ReadonlySet<number> = new Set()): { packets: Uint8Array[]; out: Int16Array } {
  const packets: Uint8Array[] = [];
  const out = new Int16Array(pcm.length);
  const bytes = new Uint8Array(1500);
  for (let offset = 0, index = 0; offset + frame <= pcm.length; offset += frame, index++) {
    const length = codec.encode(pcm.subarray(offset, offset + frame), bytes);
    packets.push(bytes.slice(0, length));
    const target = out.subarray(offset, offset + frame);
    assert.equal(lose.has(index) ? codec.conceal(target) : codec.decode(bytes.subarray(0, length), target), frame);
  }
  return { packets, out };
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const x of pcm) sum += x * x;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

const isCodecUnsupported = (error: unknown): boolean => isDialtoneError(error) && error.code === ErrorCodes.codecUnsupported;

test('a 1 kHz tone survives Opus at 16 kHz: frequency within 2 Hz, SNR above 14 dB (about 20 measured)', () => {
  const codec = new OpusPayloadCodec();
  const tone = sine(1000, 16000, 16000, 10000);
  const { packets, out } = roundTrip(codec, tone, 320);
  // Opus is a perceptual coder: a waveform SNR near 20 dB on a pure tone is what SILK gives at 24 kbit/s.
  const { snr } = alignedSnr(tone, out, 400, 3200);
  assert.ok(snr > 14, `snr ${snr.toFixed(1)} dB`);
  assert.ok(Math.abs(zeroCrossingFrequency(out, 16000, 3200) - 1000) < 2);
  // Variable bit rate near the 24 kbit/s target: 60 bytes per 20 ms.
  const mean = packets.reduce((n, p) => n + p.length, 0) / packets.length;
  assert.ok(mean > 20 && mean < 120, `mean packet ${mean} bytes`);
  codec.close();
});

test('narrow-band Opus at 8 kHz keeps the tone too (frequency within 2 Hz, SNR above 11 dB)', () => {
  const codec = new OpusPayloadCodec({ sampleRate: 8000 });
  const tone = sine(1000, 8000, 8000, 10000);
  const { out } = roundTrip(codec, tone, 160);
  const { snr } = alignedSnr(tone, out, 200, 1600);
  assert.ok(snr > 11, `snr ${snr.toFixed(1)} dB`);
  assert.ok(Math.abs(zeroCrossingFrequency(out, 8000, 1600) - 1000) < 2);
  codec.close();
});

test('RFC 7587 §4.1: whatever our PCM rate, a 20 ms packet is 960 units of the 48 kHz RTP clock', () => {
  assert.equal(OPUS_RTP_CLOCK_RATE, 48000);
  for (const sampleRate of [8000, 16000] as const) {
    const codec = new OpusPayloadCodec({ sampleRate });
    const { packets } = roundTrip(codec, sine(440, sampleRate, sampleRate / 5, 8000), sampleRate / 50);
    for (const packet of packets) {
      assert.equal(opusPacketSamples(packet, OPUS_RTP_CLOCK_RATE), 960);
      assert.equal(opusPacketSamples(packet, sampleRate), sampleRate / 50);
      // RFC 6716 §3.1: TOC stereo bit clear, we send mono (stereo=0).
      assert.equal((packet[0] as number) & 0x04, 0);
    }
    codec.close();
  }
});

test('frame sizes: 10, 40, 60 ms are one encoder call; 30 ms (a G.711 ptime) becomes one code 3 packet of three 10 ms frames', () => {
  const codec = new OpusPayloadCodec();
  const bytes = new Uint8Array(1500);
  for (const ms of [10, 40, 60]) {
    const n = codec.encode(sine(1000, 16000, 16 * ms, 8000), bytes);
    assert.equal(opusPacketSamples(bytes.subarray(0, n), 48000), 48 * ms);
  }
  const decoder = new OpusPayloadCodec();
  const tone = sine(1000, 16000, 16000, 10000);
  const out = new Int16Array(tone.length);
  for (let offset = 0; offset + 480 <= tone.length; offset += 480) {
    const n = codec.encode(tone.subarray(offset, offset + 480), bytes);
    assert.equal((bytes[0] as number) & 3, 3, 'code 3 (RFC 6716 §3.2.5)');
    assert.equal(bytes[1], 0x80 | 3, 'VBR, no padding, 3 frames');
    assert.equal(opusPacketSamples(bytes.subarray(0, n), 48000), 1440);
    assert.equal(decoder.decode(bytes.subarray(0, n), out.subarray(offset, offset + 480)), 480);
  }
  const { snr } = alignedSnr(tone, out.subarray(0, 15840), 400, 3200);
  assert.ok(snr > 12, `snr ${snr.toFixed(1)} dB`);
  assert.throws(() => codec.encode(new Int16Array(100), bytes), isCodecUnsupported);
  codec.close();
  decoder.close();
});

test('packet loss concealment fills a lost 20 ms with the tone continued, and decoding resumes after it', () => {
  const codec = new OpusPayloadCodec();
  const tone = sine(1000, 16000, 16000, 10000);
  const lost = 25;
  const { out } = roundTrip(codec, tone, 320, new Set([lost]));
  const gap = out.subarray(lost * 320, (lost + 1) * 320);
  // PLC extrapolates the pitch: no silence and no other frequency in the gap (RFC 6716 §4.4).
  assert.ok(rms(gap) > 0.25 * rms(tone), `concealed rms ${rms(gap).toFixed(0)} of ${rms(tone).toFixed(0)}`);
  assert.ok(Math.abs(zeroCrossingFrequency(gap, 16000, 0) - 1000) < 60, `frequency ${zeroCrossingFrequency(gap, 16000, 0)}`);
  const after = alignedSnr(tone.subarray((lost + 5) * 320), out.subarray((lost + 5) * 320), 400, 0);
  assert.ok(after.snr > 14, `snr after the loss ${after.snr.toFixed(1)} dB`);
});

test('concealment asks libopus for exactly the missing duration, in 10 ms frames if need be; silence before any packet', () => {
  const codec = new OpusPayloadCodec();
  const silence = new Int16Array(320).fill(7);
  assert.equal(codec.conceal(silence), 320);
  assert.ok(silence.every((x) => x === 0));
  const { packets } = roundTrip(codec, sine(500, 16000, 3200, 8000), 320);
  assert.ok(packets.length === 10);
  const fifty = new Int16Array(800);
  assert.equal(codec.conceal(fifty), 800); // 40 ms + 10 ms of SILK concealment
  assert.ok(rms(fifty.subarray(0, 320)) > 100);
  codec.close();
});

test('malformed packets are refused with mediaPacketMalformed; the codec keeps working', () => {
  const codec = new OpusPayloadCodec();
  const out = new Int16Array(1920);
  const malformed = (error: unknown): boolean => isDialtoneError(error) && error.code === ErrorCodes.mediaPacketMalformed;
  assert.throws(() => codec.decode(new Uint8Array(0), out), malformed);
  // Code 3 with a frame count of 0 is invalid (RFC 6716 §3.2.5, R5).
  assert.throws(() => codec.decode(Uint8Array.of(0x4b, 0x00), out), malformed);
  assert.throws(() => codec.decode(new Uint8Array(5000), out), malformed);
  const { out: pcm } = roundTrip(codec, sine(1000, 16000, 3200, 8000), 320);
  assert.ok(rms(pcm.subarray(1600)) > 1000);
  codec.close();
});

test('the libopus state is allocated on first use, freed by close() (idempotent); a closed codec throws', () => {
  const codec = createPayloadCodec('OPUS') as OpusPayloadCodec;
  assert.ok(codec instanceof OpusPayloadCodec);
  assert.equal(codec.isAllocated, false);
  assert.equal(codec.samplesPerByte, 0);
  codec.encode(new Int16Array(320), new Uint8Array(1500));
  assert.equal(codec.isAllocated, true);
  codec.close();
  codec.close();
  assert.equal(codec.isClosed, true);
  assert.equal(codec.isAllocated, false);
  assert.throws(() => codec.encode(new Int16Array(320), new Uint8Array(1500)));
  assert.throws(() => codec.decode(Uint8Array.of(0x48), new Int16Array(320)));
  // Closing a codec that was never used frees nothing and allocates nothing.
  const unused = new OpusPayloadCodec();
  unused.close();
  assert.equal(unused.isAllocated, false);
});

test('closed codecs give their WebAssembly memory back: a thousand streams in turn do not grow the heap', () => {
  const warm = new OpusPayloadCodec();
  warm.encode(new Int16Array(320), new Uint8Array(1500));
  warm.close();
  const before = opusHeapBytes();
  assert.ok(before > 0);
  const bytes = new Uint8Array(1500);
  const pcm = sine(1000, 16000, 320, 8000);
  for (let i = 0; i < 1000; i++) {
    const codec = new OpusPayloadCodec();
    const n = codec.encode(pcm, bytes);
    codec.decode(bytes.subarray(0, n), new Int16Array(320));
    codec.close();
  }
  assert.equal(opusHeapBytes(), before);
});

test('hundreds of concurrent codecs work, and the first still encodes exactly as before after the heap grows', () => {
  // Regression: opusscript 0.1.1's own wrapper fails from its 80th instance and breaks every instance
  // when the heap grows; our binding does neither.
  const tone = sine(1000, 16000, 320, 8000);
  const expected = new Uint8Array(1500);
  const reference = new OpusPayloadCodec();
  const first = new OpusPayloadCodec();
  const got = new Uint8Array(1500);
  const expectedLength = reference.encode(tone, expected);
  assert.equal(first.encode(tone, got), expectedLength);
  const heap = opusHeapBytes();
  const many: OpusPayloadCodec[] = [];
  try {
    for (let i = 0; i < 600; i++) {
      const codec = new OpusPayloadCodec();
      many.push(codec);
      const n = codec.encode(tone, got);
      assert.ok(n > 0);
      assert.equal(codec.decode(got.subarray(0, n), new Int16Array(320)), 320);
    }
    assert.ok(opusHeapBytes() > heap, 'the heap grew');
    const again = reference.encode(tone, expected);
    assert.equal(first.encode(tone, got), again);
    assert.deepEqual(got.subarray(0, again), expected.subarray(0, again));
  } finally {
    for (const codec of many) codec.close();
    reference.close();
    first.close();
  }
});

test('RFC 7587 §6.1 fmtp of the far end becomes our encoder settings', () => {
  assert.deepEqual(opusOptionsFromFmtp('minptime=10;useinbandfec=1'), { inbandFec: true });
  assert.deepEqual(opusOptionsFromFmtp('maxplaybackrate=8000; usedtx=1; cbr=1; maxaveragebitrate=20000; stereo=1'), {
    sampleRate: 8000,
    dtx: true,
    cbr: true,
    bitrate: 20000,
  });
  assert.deepEqual(opusOptionsFromFmtp('maxplaybackrate=48000;maxaveragebitrate=1000000'), {});
  assert.deepEqual(opusOptionsFromFmtp(null), {});
});

test('in-band FEC, DTX and CBR settings are accepted by the encoder', () => {
  const bytes = new Uint8Array(1500);
  for (const options of [{ inbandFec: true }, { dtx: true }, { cbr: true, bitrate: 32000 }, { complexity: 10 }]) {
    const codec = new OpusPayloadCodec(options);
    const n = codec.encode(sine(300, 16000, 320, 8000), bytes);
    assert.ok(n > 0);
    codec.close();
  }
  // CBR at 32 kbit/s: every 20 ms packet is 80 bytes.
  const cbr = new OpusPayloadCodec({ cbr: true, bitrate: 32000 });
  const { packets } = roundTrip(cbr, sine(300, 16000, 3200, 8000), 320);
  assert.ok(packets.every((p) => p.length === 80), packets.map((p) => p.length).join(','));
  cbr.close();
  assert.throws(() => new OpusPayloadCodec({ sampleRate: 48000 as 16000 }), isCodecUnsupported);
});
