/**
 * RIFF/WAVE reading and header writing for prompts (`<Play>` of PCM, µ-law and A-law files) and
 * recordings. Only what telephony needs: format tags 1 (PCM), 3 (float, refused), 6 (A-law), 7 (µ-law)
 * and WAVE_FORMAT_EXTENSIBLE carrying one of them.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';

export type WavEncoding = 'pcm8' | 'pcm16' | 'alaw' | 'mulaw';

export interface WavAudio {
  encoding: WavEncoding;
  sampleRate: number;
  channels: number;
  /** The sample data exactly as stored (little-endian for pcm16). */
  data: Buffer;
}

const formatTags: Record<number, WavEncoding | undefined> = { 1: 'pcm16', 6: 'alaw', 7: 'mulaw' };

function wavError(message: string): DialtoneError {
  return new DialtoneError(ErrorCodes.mediaFileUnsupported, `WAV: ${message}`);
}

/** Parses a WAV file; throws a DialtoneError naming the fault for anything it cannot play. */
export function parseWav(file: Buffer): WavAudio {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') {
    throw wavError('not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { tag: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= file.length) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > file.length) throw wavError('fmt chunk too short');
      let tag = file.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the sub-format GUID.
      if (tag === 0xfffe && size >= 40 && body + 26 <= file.length) tag = file.readUInt16LE(body + 24);
      format = {
        tag,
        channels: file.readUInt16LE(body + 2),
        sampleRate: file.readUInt32LE(body + 4),
        bitsPerSample: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) throw wavError('data chunk before fmt chunk');
      // A recording cut short by a crash has a data size larger than the file: play what is there.
      const end = Math.min(file.length, body + size);
      return { ...describe(format), data: file.subarray(body, end) };
    }
    // RIFF chunks are padded to an even size.
    offset = body + size + (size % 2);
  }
  throw wavError(format === undefined ? 'no fmt chunk' : 'no data chunk');
}

function describe(format: { tag: number; channels: number; sampleRate: number; bitsPerSample: number }): Omit<WavAudio, 'data'> {
  let encoding = formatTags[format.tag];
  if (encoding === 'pcm16' && format.bitsPerSample === 8) encoding = 'pcm8';
  if (encoding === undefined) throw wavError(`format tag ${format.tag} is not PCM, A-law or µ-law`);
  if (encoding === 'pcm16' && format.bitsPerSample !== 16) {
    throw wavError(`${format.bitsPerSample}-bit PCM is not supported (8 or 16)`);
  }
  if ((encoding === 'alaw' || encoding === 'mulaw') && format.bitsPerSample !== 8) {
    throw wavError(`${encoding} must have 8 bits per sample`);
  }
  if (format.channels < 1 || format.channels > 2) throw wavError(`${format.channels} channels (1 or 2 supported)`);
  if (format.sampleRate < 4000 || format.sampleRate > 192000) throw wavError(`sample rate ${format.sampleRate}`);
  return { encoding, sampleRate: format.sampleRate, channels: format.channels };
}

/** A 44-byte header for 16-bit PCM with `dataBytes` of samples. */
export function pcm16WavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Decodes 8-bit unsigned or 16-bit little-endian PCM into Int16 samples (interleaved). */
export function pcmSamples(audio: WavAudio): Int16Array {
  if (audio.encoding === 'pcm16') {
    const samples = new Int16Array(audio.data.length >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = audio.data.readInt16LE(i * 2);
    return samples;
  }
  if (audio.encoding === 'pcm8') return Int16Array.from(audio.data, (byte) => (byte - 128) << 8);
  throw wavError(`${audio.encoding} needs the G.711 decoder`);
}
