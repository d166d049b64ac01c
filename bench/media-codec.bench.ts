/**
 * Codec and DTMF throughput: how many 20 ms frames per second one core converts, and so how many
 * real-time streams (50 frames/s each) it could carry. Figures only; tests never assert timings.
 */
import { performance } from 'node:perf_hooks';
import {
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  G722Decoder,
  G722Encoder,
  OpusPayloadCodec,
  preloadOpus,
  Transcoder,
} from '../src/media/codec/index.js';
import { generateDtmfSequence, InbandDtmfDetector } from '../src/media/dtmf/index.js';
import type { BenchFigures, BenchSuite } from './suite.js';

function tone(count: number, sampleRate: number): Int16Array {
  return Int16Array.from({ length: count }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)));
}

/** Runs `frame` for `durationMs` after a warm-up; returns frames per second. */
function measure(durationMs: number, frame: () => void): number {
  for (let i = 0; i < 2000; i++) frame();
  let frames = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 500; i++) frame();
    frames += 500;
    now = performance.now();
  }
  return (frames * 1000) / (now - start);
}

export const suite: BenchSuite = {
  name: 'media-codec',
  description: '20 ms frames per second per core: G.711, G.722, Opus, transcoding, in-band DTMF detection',
  async run({ quick, log }) {
    const durationMs = quick ? 100 : 1000;
    const pcm8 = tone(160, 8000);
    const pcm16 = tone(320, 16000);
    const bytes = new Uint8Array(160);
    const out8 = new Int16Array(160);
    const out16 = new Int16Array(320);
    encodeMulaw(pcm8, bytes);
    const mulawFrame = bytes.slice();
    const g722Encoder = new G722Encoder();
    const g722Frame = new Uint8Array(160);
    g722Encoder.encode(pcm16, g722Frame);
    const g722Decoder = new G722Decoder();
    const toG722 = new Transcoder('PCMU', 'G722');
    const toAlaw = new Transcoder('PCMU', 'PCMA');
    // Opus (libopus in WebAssembly): wide-band at 16 kHz against G.722, narrow-band at 8 kHz against G.711.
    const instantiateStart = performance.now();
    preloadOpus();
    const instantiateMs = performance.now() - instantiateStart;
    const opus16 = new OpusPayloadCodec({ sampleRate: 16000 });
    const opus8 = new OpusPayloadCodec({ sampleRate: 8000 });
    const opusPacket = new Uint8Array(1500);
    const opus16Frame = opusPacket.slice(0, opus16.encode(pcm16, opusPacket));
    const opus8Frame = opusPacket.slice(0, opus8.encode(pcm8, opusPacket));
    const opusLength16 = opus16Frame.length;
    const toOpus = new Transcoder('PCMU', 'OPUS');
    const fromOpus = new Transcoder('OPUS', 'PCMU');
    const g722ToOpus = new Transcoder('G722', 'OPUS');
    const opusToG722 = new Transcoder('OPUS', 'G722');
    const dtmf = generateDtmfSequence('1234567890', { toneMs: 100, pauseMs: 100 });
    let offset = 0;
    const detector = new InbandDtmfDetector({ onDigit: () => undefined });

    const cases: Array<[string, () => void]> = [
      ['mulawEncode', () => encodeMulaw(pcm8, bytes)],
      ['mulawDecode', () => decodeMulaw(mulawFrame, out8)],
      ['alawEncode', () => encodeAlaw(pcm8, bytes)],
      ['alawDecode', () => decodeAlaw(mulawFrame, out8)],
      ['g722Encode', () => g722Encoder.encode(pcm16, g722Frame)],
      ['g722Decode', () => g722Decoder.decode(g722Frame, out16)],
      ['pcmuToPcma', () => toAlaw.transcode(mulawFrame)],
      ['pcmuToG722', () => toG722.transcode(mulawFrame)],
      ['opus16Encode', () => opus16.encode(pcm16, opusPacket)],
      ['opus16Decode', () => opus16.decode(opus16Frame, out16)],
      ['opus16Conceal', () => opus16.conceal(out16)],
      ['opus8Encode', () => opus8.encode(pcm8, opusPacket)],
      ['opus8Decode', () => opus8.decode(opus8Frame, out8)],
      ['pcmuToOpus', () => toOpus.transcode(mulawFrame)],
      ['opusToPcmu', () => fromOpus.transcode(opus8Frame)],
      ['g722ToOpus', () => g722ToOpus.transcode(g722Frame)],
      ['opusToG722', () => opusToG722.transcode(opus16Frame)],
      [
        'inbandDtmfDetect',
        () => {
          detector.process(dtmf.subarray(offset, offset + 160));
          offset = (offset + 160) % (dtmf.length - 160);
        },
      ],
    ];
    const figures: BenchFigures = {};
    for (const [name, frame] of cases) {
      const perSecond = measure(durationMs, frame);
      figures[`${name}FramesPerSecond`] = Math.round(perSecond);
      log(`${name.padEnd(18)} ${Math.round(perSecond).toLocaleString('en').padStart(12)} frames/s  ≈ ${Math.round(perSecond / 50).toLocaleString('en')} real-time streams/core`);
    }
    // Opus against G.722 measured in this same run (both wide-band, 16 kHz PCM): how much dearer it is.
    const ratio = (a: string, b: string): number => Math.round(((figures[`${a}FramesPerSecond`] as number) / (figures[`${b}FramesPerSecond`] as number)) * 1000) / 1000;
    figures.opus16EncodeToG722EncodeRatio = ratio('opus16Encode', 'g722Encode');
    figures.opus16DecodeToG722DecodeRatio = ratio('opus16Decode', 'g722Decode');
    figures.opusToG722OverPcmuToG722Ratio = ratio('opusToG722', 'pcmuToG722');
    figures.opusInstantiateMs = Math.round(instantiateMs * 10) / 10;
    figures.opus16PacketBytes = opusLength16;
    log(`opus/g722 encode ${figures.opus16EncodeToG722EncodeRatio}  decode ${figures.opus16DecodeToG722DecodeRatio}  (WASM instantiation ${figures.opusInstantiateMs} ms once per process)`);
    for (const codec of [opus16, opus8, toOpus, fromOpus, g722ToOpus, opusToG722]) codec.close();
    return figures;
  },
};
