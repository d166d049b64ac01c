import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDialtoneError, ErrorCodes } from '../../../../src/kernel/index.js';
import {
  createPayloadCodec,
  decodeAlaw,
  decodeMulaw,
  encodeMulaw,
  Transcoder,
  type CodecName,
} from '../../../../src/media/codec/index.js';
import { alignedSnr, sine, zeroCrossingFrequency } from './signals.js';

function encodeWith(name: CodecName, pcm: Int16Array): Uint8Array[] {
  const codec = createPayloadCodec(name);
  const samplesPerPacket = (codec.sampleRate / 1000) * 20;
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset + samplesPerPacket <= pcm.length; offset += samplesPerPacket) {
    const out = new Uint8Array(samplesPerPacket / codec.samplesPerByte);
    codec.encode(pcm.subarray(offset, offset + samplesPerPacket), out);
    packets.push(out);
  }
  return packets;
}

function decodeWith(name: CodecName, packets: Uint8Array[]): Int16Array {
  const codec = createPayloadCodec(name);
  const chunks = packets.map((packet) => {
    const pcm = new Int16Array(packet.length * codec.samplesPerByte);
    codec.decode(packet, pcm);
    return pcm;
  });
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

test('PCMU → PCMA keeps the packet size and the signal', () => {
  const tone = sine(1000, 8000, 8000, 8000);
  const transcoder = new Transcoder('PCMU', 'PCMA');
  const out = encodeWith('PCMU', tone).map((packet) => {
    const converted = transcoder.transcode(packet);
    assert.equal(converted.length, 160);
    return converted.slice();
  });
  const { snr, lag } = alignedSnr(tone, decodeWith('PCMA', out), 0, 0);
  assert.equal(lag, 0);
  assert.ok(snr > 30, `snr ${snr}`);
});

test('PCMA → PCMU and back is lossless on A-law code words that µ-law represents exactly', () => {
  const there = new Transcoder('PCMA', 'PCMU');
  const back = new Transcoder('PCMU', 'PCMA');
  const codes = new Uint8Array(256).map((_, i) => i);
  const pcmA = new Int16Array(256);
  decodeAlaw(codes, pcmA);
  const mulaw = there.transcode(codes).slice();
  const pcmU = new Int16Array(256);
  decodeMulaw(mulaw, pcmU);
  const again = back.transcode(mulaw);
  for (let i = 0; i < 256; i++) {
    if (pcmU[i] === pcmA[i]) assert.equal(again[i], i);
  }
});

for (const [from, to] of [
  ['PCMU', 'G722'],
  ['G722', 'PCMU'],
  ['PCMA', 'G722'],
  ['G722', 'PCMA'],
] as Array<[CodecName, CodecName]>) {
  test(`${from} → ${to} resamples and keeps a 1 kHz tone`, () => {
    const fromRate = from === 'G722' ? 16000 : 8000;
    const toRate = to === 'G722' ? 16000 : 8000;
    const transcoder = new Transcoder(from, to);
    const out = encodeWith(from, sine(1000, fromRate, fromRate, 8000)).map((packet) => {
      const converted = transcoder.transcode(packet);
      // 20 ms in, 20 ms out: 160 bytes of G.711, 160 bytes of G.722 (2 samples per byte).
      assert.equal(converted.length, 160);
      return converted.slice();
    });
    const pcm = decodeWith(to, out);
    const { snr } = alignedSnr(sine(1000, toRate, toRate, 8000), pcm, 60, toRate / 10);
    assert.ok(snr > 18, `snr ${snr}`);
    assert.ok(Math.abs(zeroCrossingFrequency(pcm, toRate, toRate / 10) - 1000) < 10);
  });
}

test('the same format passes through untouched (how G.729 and Opus cross a bridge)', () => {
  const payload = Uint8Array.of(1, 2, 3);
  assert.equal(new Transcoder('G729', 'G729').transcode(payload), payload);
  assert.equal(new Transcoder('OPUS', 'OPUS').transcode(payload), payload);
});

test('transcoding to or from G.729 is refused with codecUnsupported (Opus has a codec since issue 4)', () => {
  for (const [from, to] of [
    ['G729', 'PCMU'],
    ['PCMU', 'G729'],
    ['OPUS', 'G729'],
  ] as Array<[CodecName, CodecName]>) {
    assert.throws(
      () => new Transcoder(from, to),
      (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.codecUnsupported,
    );
  }
  assert.throws(() => createPayloadCodec('G729'), (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.codecUnsupported);
});

test('the output buffer is reused between calls', () => {
  const transcoder = new Transcoder('PCMU', 'G722');
  const packet = new Uint8Array(160);
  encodeMulaw(sine(500, 8000, 160, 5000), packet);
  const first = transcoder.transcode(packet);
  const second = transcoder.transcode(packet);
  assert.equal(first.buffer, second.buffer);
});
