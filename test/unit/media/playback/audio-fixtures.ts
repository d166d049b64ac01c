/** Generated audio for the prompt, speech and recording tests: tones, measurements and WAV files. */
import { encodeAlaw, encodeMulaw } from '../../../../src/media/codec/index.js';

export function sine(frequency: number, sampleRate: number, count: number, amplitude: number): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}

/** Amplitude of the `frequency` component of `samples` (single-bin DFT). */
export function toneAmplitude(samples: Int16Array, frequency: number, sampleRate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const phase = (2 * Math.PI * frequency * i) / sampleRate;
    re += samples[i]! * Math.cos(phase);
    im -= samples[i]! * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / samples.length;
}

export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

export type FixtureEncoding = 'pcm16' | 'pcm8' | 'mulaw' | 'alaw';

/** A WAV file of `channels` interleaved 16-bit samples stored in `encoding`. */
export function wavFile(samples: Int16Array, sampleRate: number, channels: number, encoding: FixtureEncoding): Buffer {
  let data: Buffer;
  if (encoding === 'pcm16') data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  else if (encoding === 'pcm8') data = Buffer.from(Uint8Array.from(samples, (s) => (s >> 8) + 128));
  else {
    const out = new Uint8Array(samples.length);
    (encoding === 'mulaw' ? encodeMulaw : encodeAlaw)(samples, out);
    data = Buffer.from(out);
  }
  const bits = encoding === 'pcm16' ? 16 : 8;
  const tag = encoding === 'mulaw' ? 7 : encoding === 'alaw' ? 6 : 1;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(tag, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE((sampleRate * channels * bits) / 8, 28);
  header.writeUInt16LE((channels * bits) / 8, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Interleaves two mono channels. */
export function interleave(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i]!;
    out[2 * i + 1] = right[i]!;
  }
  return out;
}

/** Reads every frame of `source` (20 ms at 8 kHz unless told) into one array, up to `maxFrames`. */
export function drain(source: { read(frame: Int16Array): boolean }, frameLength = 160, maxFrames = 100_000): Int16Array[] {
  const frames: Int16Array[] = [];
  const frame = new Int16Array(frameLength);
  while (frames.length < maxFrames && source.read(frame)) frames.push(frame.slice());
  return frames;
}

export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}
