/**
 * Turns a fetched `<Play>` file into mono 16-bit PCM at the leg's rate. The format is taken from the
 * bytes first (RIFF/WAVE, ID3 or an MPEG frame header) and from Content-Type only when the bytes do
 * not say: servers label audio wrongly far more often than files lie about themselves.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { decodeAlaw, decodeMulaw } from '../codec/index.js';
import { parseWav, pcmSamples, type WavAudio } from '../wav/index.js';
import { resamplePcm } from './resample-pcm.js';

export type AudioFormat = 'wav' | 'mp3';

/** Detects WAV or MP3 from the first bytes; undefined when neither. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WAVE') return 'wav';
  if (bytes.length >= 3 && ascii(bytes, 0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, a valid version (not 01) and layer (not 00).
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) {
    const version = (bytes[1]! >> 3) & 0x03;
    const layer = (bytes[1]! >> 1) & 0x03;
    if (version !== 1 && layer !== 0) return 'mp3';
  }
  return undefined;
}

/** The format a Content-Type names (parameters ignored); 'audio' for another audio type. */
export function formatFromContentType(contentType: string | undefined): AudioFormat | 'audio' | 'other' | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'audio/mpeg' || type === 'audio/mp3' || type === 'audio/mpeg3' || type === 'audio/x-mpeg-3') return 'mp3';
  if (type === 'audio/wav' || type === 'audio/wave' || type === 'audio/x-wav' || type === 'audio/vnd.wave') return 'wav';
  if (type.startsWith('audio/')) return 'audio';
  if (type === 'application/octet-stream' || type === 'binary/octet-stream') return undefined;
  return 'other';
}

export interface DecodedAudio {
  samples: Int16Array;
  sampleRate: number;
}

/**
 * Decodes a WAV (PCM 8/16-bit, µ-law, A-law; any rate; mono or stereo) or an MP3 into mono PCM at
 * `sampleRate`. Throws DialtoneError 13420 for non-audio content and 90230 for audio it cannot decode.
 */
export async function decodeAudio(bytes: Uint8Array, contentType: string | undefined, sampleRate: number): Promise<DecodedAudio> {
  const declared = formatFromContentType(contentType);
  const format = sniffAudioFormat(bytes) ?? (declared === 'wav' || declared === 'mp3' ? declared : undefined);
  if (format === undefined) {
    if (declared === 'other') {
      throw new DialtoneError(ErrorCodes.playInvalidContentType, `Play: ${contentType} is not audio`, { contentType });
    }
    throw new DialtoneError(ErrorCodes.mediaFileUnsupported, 'Play: the file is neither WAV nor MP3', {
      contentType: contentType ?? null,
    });
  }
  if (format === 'wav') {
    const wav = parseWav(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { samples: resamplePcm(wavToMono(wav), wav.sampleRate, sampleRate), sampleRate };
  }
  const { samples, rate } = await decodeMp3(bytes);
  return { samples: resamplePcm(samples, rate, sampleRate), sampleRate };
}

/** Decodes any WAV encoding into mono Int16 (stereo averaged). */
export function wavToMono(wav: WavAudio): Int16Array {
  let interleaved: Int16Array;
  if (wav.encoding === 'mulaw' || wav.encoding === 'alaw') {
    interleaved = new Int16Array(wav.data.length);
    (wav.encoding === 'mulaw' ? decodeMulaw : decodeAlaw)(wav.data, interleaved);
  } else {
    interleaved = pcmSamples(wav);
  }
  if (wav.channels === 1) return interleaved;
  const mono = new Int16Array(interleaved.length >> 1);
  for (let i = 0; i < mono.length; i++) mono[i] = (interleaved[2 * i]! + interleaved[2 * i + 1]!) >> 1;
  return mono;
}

/** MPEG audio through mpg123 (WASM), loaded on first use; channels averaged into one. */
async function decodeMp3(bytes: Uint8Array): Promise<{ samples: Float32Array; rate: number }> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    const result = decoder.decode(bytes);
    if (result.samplesDecoded === 0 || result.channelData.length === 0) {
      throw new DialtoneError(ErrorCodes.mediaFileUnsupported, 'Play: no MPEG audio frames could be decoded', {
        errors: result.errors.map((error) => error.message),
      });
    }
    const channels = result.channelData;
    const samples = new Float32Array(result.samplesDecoded);
    for (const channel of channels) {
      for (let i = 0; i < samples.length; i++) samples[i]! += channel[i]! / channels.length;
    }
    return { samples, rate: result.sampleRate };
  } finally {
    decoder.free();
  }
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
