import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  createPayloadCodec,
  opusHeapBytes,
  opusPacketSamples,
  RtpTimestampScaler,
  Transcoder,
  type CodecName,
  type PayloadCodec,
} from '../../../../src/media/codec/index.js';
import { alignedSnr, sine, zeroCrossingFrequency } from './signals.js';

/** 20 ms packets of `pcm` in `codec`'s format. */
function encodeAll(codec: PayloadCodec, pcm: Int16Array, frame: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  const bytes = new Uint8Array(1500);
  for (let offset = 0; offset + frame <= pcm.length; offset += frame) {
    packets.push(bytes.slice(0, codec.encode(pcm.subarray(offset, offset + frame), bytes)));
  }
  return packets;
}

function decodeAll(codec: PayloadCodec, packets: Uint8Array[], frame: number): Int16Array {
  const out = new Int16Array(packets.length * frame);
  packets.forEach((packet, i) => assert.equal(codec.decode(packet, out.subarray(i * frame, (i + 1) * frame)), frame));
  return out;
}

const rateOf = (name: CodecName, other: CodecName): number => (name === 'OPUS' ? (other === 'G722' ? 16000 : 8000) : name === 'G722' ? 16000 : 8000);

for (const [from, to] of [
  ['PCMU', 'OPUS'],
  ['OPUS', 'PCMU'],
  ['PCMA', 'OPUS'],
  ['OPUS', 'PCMA'],
  ['G722', 'OPUS'],
  ['OPUS', 'G722'],
] as Array<[CodecName, CodecName]>) {
  test(`${from} → ${to}: a 1 kHz tone crosses, 20 ms in and 20 ms out (RTP clock ${from === 'OPUS' ? '48000 → 8000' : '8000 → 48000'})`, () => {
    const fromRate = rateOf(from, to);
    const toRate = rateOf(to, from);
    // The far ends: an Opus peer runs at whatever rate it likes; ours decode at the rate we picked.
    const source = createPayloadCodec(from, { opus: { sampleRate: fromRate as 8000 | 16000 } });
    const sink = createPayloadCodec(to, { opus: { sampleRate: toRate as 8000 | 16000 } });
    const transcoder = new Transcoder(from, to);
    assert.deepEqual([transcoder.fromClockRate, transcoder.toClockRate], from === 'OPUS' ? [48000, 8000] : [8000, 48000]);
    const converted = encodeAll(source, sine(1000, fromRate, fromRate, 8000), fromRate / 50).map((packet) => {
      const out = transcoder.transcode(packet);
      // One packet in, one out, covering the same 20 ms: 960 units of Opus's clock, 160 of G.711/G.722.
      if (to === 'OPUS') assert.equal(opusPacketSamples(out, 48000), 960);
      else assert.equal(out.length, 160);
      return out.slice();
    });
    const pcm = decodeAll(sink, converted, toRate / 50);
    const { snr } = alignedSnr(sine(1000, toRate, toRate, 8000), pcm, 400, toRate / 5);
    assert.ok(snr > 11, `snr ${snr.toFixed(1)} dB`);
    assert.ok(Math.abs(zeroCrossingFrequency(pcm, toRate, toRate / 5) - 1000) < 5);
    for (const codec of [source, sink, transcoder]) codec.close();
  });
}

test('PCMU → OPUS → PCMU through two transcoders (a bridge and its way back) keeps the tone', () => {
  const there = new Transcoder('PCMU', 'OPUS');
  const back = new Transcoder('OPUS', 'PCMU');
  const tone = sine(1000, 8000, 8000, 8000);
  const packets = encodeAll(createPayloadCodec('PCMU'), tone, 160).map((p) => back.transcode(there.transcode(p)).slice());
  const pcm = decodeAll(createPayloadCodec('PCMU'), packets, 160);
  const { snr } = alignedSnr(tone, pcm, 400, 1600);
  assert.ok(snr > 9, `snr ${snr.toFixed(1)} dB`);
  assert.ok(Math.abs(zeroCrossingFrequency(pcm, 8000, 1600) - 1000) < 5);
  there.close();
  back.close();
});

test('a 30 ms G.711 packet becomes one 30 ms Opus packet (1440 units of the 48 kHz clock)', () => {
  const transcoder = new Transcoder('PCMA', 'OPUS');
  const packet = new Uint8Array(240);
  createPayloadCodec('PCMA').encode(sine(1000, 8000, 240, 8000), packet);
  assert.equal(opusPacketSamples(transcoder.transcode(packet), 48000), 1440);
  transcoder.close();
});

test('a lost Opus packet is concealed into a full G.711 packet of the continued tone', () => {
  const transcoder = new Transcoder('OPUS', 'PCMU');
  const opus = createPayloadCodec('OPUS', { opus: { sampleRate: 8000 } });
  const packets = encodeAll(opus, sine(1000, 8000, 8000, 8000), 160);
  for (const packet of packets.slice(0, 20)) transcoder.transcode(packet);
  const concealed = transcoder.transcodeLost(20).slice();
  assert.equal(concealed.length, 160);
  const pcm = new Int16Array(160);
  createPayloadCodec('PCMU').decode(concealed, pcm);
  const energy = Math.sqrt(pcm.reduce((sum, x) => sum + x * x, 0) / 160);
  assert.ok(energy > 0.25 * (8000 / Math.SQRT2), `concealed rms ${energy.toFixed(0)}`);
  // And the stream carries on.
  assert.equal(transcoder.transcode(packets[21] as Uint8Array).length, 160);
  // G.711 has no concealment of its own: a lost µ-law packet becomes 20 ms of Opus silence.
  const toOpus = new Transcoder('PCMU', 'OPUS');
  assert.equal(opusPacketSamples(toOpus.transcodeLost(), 48000), 960);
  assert.equal(new Transcoder('PCMU', 'PCMA').transcodeLost(30).length, 240);
  assert.throws(() => new Transcoder('OPUS', 'OPUS').transcodeLost());
  for (const codec of [transcoder, opus, toOpus]) codec.close();
});

test('an unreadable Opus payload throws (the bridge counts a transcode failure) and the stream goes on', () => {
  const transcoder = new Transcoder('OPUS', 'G722');
  assert.throws(
    () => transcoder.transcode(Uint8Array.of(0x4b, 0x00)),
    (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.mediaPacketMalformed,
  );
  const [packet] = encodeAll(createPayloadCodec('OPUS'), sine(1000, 16000, 320, 8000), 320);
  assert.equal(transcoder.transcode(packet as Uint8Array).length, 160);
  transcoder.close();
});

test('close() releases both codecs (idempotent); a closed transcoder throws; the heap does not grow over many calls', () => {
  new Transcoder('PCMU', 'OPUS').close();
  const warm = new Transcoder('OPUS', 'G722');
  warm.transcodeLost();
  warm.close();
  const before = opusHeapBytes();
  const mulaw = new Uint8Array(160).fill(0xff);
  for (let i = 0; i < 500; i++) {
    const there = new Transcoder('PCMU', 'OPUS');
    const back = new Transcoder('OPUS', 'G722');
    back.transcode(there.transcode(mulaw));
    there.close();
    back.close();
    back.close();
    assert.equal(back.isClosed, true);
  }
  assert.equal(opusHeapBytes(), before);
  const closed = new Transcoder('PCMU', 'OPUS');
  closed.close();
  assert.throws(() => closed.transcode(mulaw));
});

test('bridges name Opus by its rtpmap encoding name: lower case is the same codec', () => {
  const transcoder = new Transcoder('opus' as CodecName, 'PCMU');
  assert.equal(transcoder.from, 'OPUS');
  const payload = Uint8Array.of(1, 2, 3);
  assert.equal(new Transcoder('opus' as CodecName, 'OPUS').transcode(payload), payload);
  transcoder.close();
});

test('the output buffer is reused between calls with Opus too', () => {
  const transcoder = new Transcoder('PCMU', 'OPUS');
  const packet = new Uint8Array(160).fill(0xff);
  assert.equal(transcoder.transcode(packet).buffer, transcoder.transcode(packet).buffer);
  transcoder.close();
});

test('RTP timestamps: 160 per 20 ms of G.711 become 960 of Opus and back (RFC 7587 §4.1, RFC 3551 §4.5.14)', () => {
  const up = new RtpTimestampScaler(8000, 48000);
  const down = new RtpTimestampScaler(48000, 8000);
  const first = up.scale(1000);
  for (let i = 1; i < 10; i++) assert.equal((up.scale(1000 + 160 * i) - first) >>> 0, 960 * i);
  const start = down.scale(5_000_000);
  for (let i = 1; i < 10; i++) assert.equal((down.scale(5_000_000 + 960 * i) - start) >>> 0, 160 * i);
  // A late packet keeps its place, a gap its length.
  assert.equal((down.scale(5_000_000 + 960 * 8) - start) >>> 0, 160 * 8);
  assert.equal((down.scale(5_000_000 + 960 * 20) - start) >>> 0, 160 * 20);
  assert.equal(new RtpTimestampScaler(8000, 8000).scale(123), 123);
  assert.equal(up.scaleDuration(800), 4800);
  assert.equal(up.scaleDuration(40000), 0xffff);
});

test('RTP timestamps: the 32-bit wrap (RFC 3550 §5.1) is crossed without a jump in either direction', () => {
  for (const [fromRate, toRate, step, expected] of [
    [8000, 48000, 160, 960],
    [48000, 8000, 960, 160],
  ] as const) {
    const scaler = new RtpTimestampScaler(fromRate, toRate);
    let input = (2 ** 32 - 5 * step) >>> 0;
    let previous = scaler.scale(input);
    for (let i = 0; i < 12; i++) {
      input = (input + step) >>> 0;
      const out = scaler.scale(input);
      assert.equal((out - previous) >>> 0, expected, `step ${i} at input ${input}`);
      previous = out;
    }
  }
  // Hours of Opus at 48 kHz: references move along, the distance never reaches 2^31.
  const scaler = new RtpTimestampScaler(48000, 8000);
  let ts = 7;
  let previous = scaler.scale(ts);
  for (let i = 0; i < 200_000; i++) {
    ts = (ts + 960 * 50) >>> 0; // one second per step: 55 hours
    const out = scaler.scale(ts);
    assert.equal((out - previous) >>> 0, 8000);
    previous = out;
  }
});
