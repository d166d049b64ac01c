/**
 * Twilio's `trim="trim-silence"`: leading and trailing silence is removed from a finished recording.
 * The trimmed copy is written beside the original and renamed over it, so a crash mid-trim leaves the
 * untrimmed recording (and a `.trim.tmp` that recoverRecordings removes), never a half-written one.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { parseWav, pcm16WavHeader, pcmSamples } from '../wav/index.js';

export const TRIM_TEMP_SUFFIX = '.trim.tmp';

/**
 * The range of sample frames [start, end) between the first and the last frame where any channel's
 * magnitude exceeds `threshold`; [0, 0) when all is silence.
 */
export function audibleRange(interleaved: Int16Array, channels: number, threshold: number): { start: number; end: number } {
  const frames = Math.floor(interleaved.length / channels);
  const loud = (frame: number) => {
    for (let c = 0; c < channels; c++) {
      if (Math.abs(interleaved[frame * channels + c]!) > threshold) return true;
    }
    return false;
  };
  let start = 0;
  while (start < frames && !loud(start)) start++;
  if (start === frames) return { start: 0, end: 0 };
  let end = frames;
  while (end > start && !loud(end - 1)) end--;
  return { start, end };
}

/** Trims a 16-bit PCM WAV in place; returns the seconds of audio kept. */
export async function trimWavSilence(path: string, threshold: number): Promise<number> {
  const wav = parseWav(await readFile(path));
  const samples = pcmSamples(wav);
  const { start, end } = audibleRange(samples, wav.channels, threshold);
  const frames = Math.floor(samples.length / wav.channels);
  if (start === 0 && end === frames) return frames / wav.sampleRate;
  const kept = samples.subarray(start * wav.channels, end * wav.channels);
  const data = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength);
  const temporary = path + TRIM_TEMP_SUFFIX;
  const handle = await open(temporary, 'w', 0o640);
  try {
    await handle.write(pcm16WavHeader(wav.sampleRate, wav.channels, data.length));
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  return (end - start) / wav.sampleRate;
}
