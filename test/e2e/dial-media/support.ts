// What the <Dial> media tests share: a tone detector (which party is on which channel
// of a recording), and the recording as a user gets it — downloaded from the REST API with the
// account's credentials and read back as a WAV.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { parseWav, pcmSamples, type WavAudio } from '../../../src/media/index.js';
import type { EngineSetup } from '../support/harness.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/harness.js';

/** The caller's tone (Caller.sendTone) and the callee's (DemoPhone.sendTone in these tests). */
export const CALLER_HZ = 440;
export const CALLEE_HZ = 1000;

/** One RTP packet of audio: how far a recording's length may stray from the time it covers. */
export const PACKET_MS = 20;

/** Goertzel: the share of `samples`' energy at `hz` (about 0.5 for a pure tone at hz, near 0 without it). */
export function toneShare(samples: ArrayLike<number>, hz: number, sampleRate = 8000): number {
  if (samples.length === 0) return 0;
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  let energy = 0;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    energy += sample * sample;
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  if (energy === 0) return 0;
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return (2 * power) / (samples.length * energy);
}

/** Peak magnitude of `samples`. */
export function peakOf(samples: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak;
}

/** A downloaded recording: its header and each channel's samples. */
export interface Recording {
  wav: WavAudio;
  channels: Int16Array[];
  /** Seconds of audio (frames / rate). */
  seconds: number;
}

/** GET {RecordingUrl}.wav from the engine's REST API (the publicUrl in RecordingUrl is not where the test engine listens). */
export async function downloadRecording(setup: EngineSetup, recordingUrl: string): Promise<Recording> {
  const http = setup.engine.httpListening();
  assert.ok(http !== undefined, 'the REST API listens');
  const path = new URL(recordingUrl).pathname;
  // A connection of its own (no keep-alive agent), so nothing is left open when the engine closes.
  const response = await new Promise<{ status: number; contentType: string; body: Buffer }>((resolve, reject) => {
    const request = get(
      `http://127.0.0.1:${http.port}${path}.wav`,
      { agent: false, headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` } },
      (reply) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('end', () => resolve({ status: reply.statusCode ?? 0, contentType: String(reply.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        reply.on('error', reject);
      },
    );
    request.on('error', reject);
  });
  assert.equal(response.status, 200, `GET ${path}.wav`);
  assert.match(response.contentType, /^audio\/(x-)?wav/);
  const wav = parseWav(response.body);
  const interleaved = pcmSamples(wav);
  const frames = Math.floor(interleaved.length / wav.channels);
  const channels = Array.from({ length: wav.channels }, (_, channel) => {
    const samples = new Int16Array(frames);
    for (let i = 0; i < frames; i++) samples[i] = interleaved[i * wav.channels + channel]!;
    return samples;
  });
  return { wav, channels, seconds: frames / wav.sampleRate };
}

/** The samples of `channel` between `fromSeconds` and `toSeconds`. */
export function slice(samples: Int16Array, fromSeconds: number, toSeconds: number, sampleRate = 8000): Int16Array {
  return samples.subarray(Math.max(0, Math.round(fromSeconds * sampleRate)), Math.min(samples.length, Math.round(toSeconds * sampleRate)));
}
