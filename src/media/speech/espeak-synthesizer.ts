/**
 * `<Say>` through eSpeak NG: maps the Twilio voice and language, synthesises at 22 050 Hz, band-limits
 * and resamples to the leg's rate, and caches the result by (eSpeak voice, text) — IVR menus repeat the
 * same sentences all day, and a cache hit costs nothing while a synthesis costs ~250 ms of CPU.
 *
 * Syntheses run one at a time through a bounded queue, on the engine's own thread (WorkerEspeakEngine
 * by default). Concurrent requests for the same sentence share one synthesis. The cache is bounded in
 * bytes of PCM and evicts the least recently used sentence first.
 */
import { DialtoneError, ErrorCodes, silentLogger, systemClock, type Clock, type Logger } from '../../kernel/index.js';
import { raceAbort, resamplePcm } from '../playback/index.js';
import { parseWav, pcmSamples } from '../wav/index.js';
import { WorkerEspeakEngine, type EspeakEngine } from './espeak-engine.js';
import { espeakVoice } from './espeak-voice.js';
import type { SpeechRequest, SpeechSynthesizer, SynthesizedSpeech } from './speech-synthesizer.js';

export interface EspeakSynthesizerOptions {
  /** Output rate: 8000, or 16000 for G.722 legs. Default 8000. */
  sampleRate?: number;
  /** Default: a WorkerEspeakEngine. */
  engine?: EspeakEngine;
  /** Speaking rate in words per minute (eSpeak's default 175 is brisk on a phone line). Default 160. */
  wordsPerMinute?: number;
  /** Bound on the cached PCM, in bytes. Default 32 MiB (about 35 minutes of speech at 8 kHz). */
  cacheMaxBytes?: number;
  /** Longest text accepted; Twilio's `<Say>` limit is 4096 characters. */
  maxTextLength?: number;
  /** Syntheses waiting beyond the running one before new ones are refused. Default 32. */
  maxQueue?: number;
  /** Measures synthesis time for stats(). Default the system clock. */
  clock?: Clock;
  logger?: Logger;
}

export interface SpeechStats {
  hits: number;
  syntheses: number;
  /** Total and last synthesis time, queueing excluded, in ms. */
  synthesisMs: number;
  lastSynthesisMs: number;
  queued: number;
  entries: number;
  bytes: number;
}

export class EspeakSynthesizer implements SpeechSynthesizer {
  private readonly sampleRate: number;
  private readonly engine: EspeakEngine;
  private readonly wordsPerMinute: number;
  private readonly cacheMaxBytes: number;
  private readonly maxTextLength: number;
  private readonly maxQueue: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly cache = new Map<string, SynthesizedSpeech>();
  private readonly inflight = new Map<string, Promise<SynthesizedSpeech>>();
  private cachedBytes = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private counters = { hits: 0, syntheses: 0, synthesisMs: 0, lastSynthesisMs: 0 };

  constructor(options: EspeakSynthesizerOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.engine = options.engine ?? new WorkerEspeakEngine();
    this.wordsPerMinute = options.wordsPerMinute ?? 160;
    this.cacheMaxBytes = options.cacheMaxBytes ?? 32 * 1024 * 1024;
    this.maxTextLength = options.maxTextLength ?? 4096;
    this.maxQueue = options.maxQueue ?? 32;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  synthesize(request: SpeechRequest, options: { signal?: AbortSignal } = {}): Promise<SynthesizedSpeech> {
    if (this.closed) return Promise.reject(this.error('the synthesizer is closed', { reason: 'closed' }));
    // Whitespace never changes what is said; normalising it lets reformatted markup hit the cache.
    const text = request.text.replace(/\s+/g, ' ').trim();
    if (text.length > this.maxTextLength) {
      return Promise.reject(this.error(`text longer than ${this.maxTextLength} characters`, { reason: 'too-long', length: text.length }));
    }
    if (text === '') return Promise.resolve({ samples: new Int16Array(0), sampleRate: this.sampleRate });
    const voice = espeakVoice(request.voice, request.language);
    const key = `${voice.name}\u0000${text}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      this.counters.hits++;
      return Promise.resolve(cached);
    }
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      if (this.queued >= this.maxQueue + 1) {
        return Promise.reject(this.error('too many syntheses waiting', { reason: 'busy', queued: this.queued }));
      }
      pending = this.enqueue(voice.name, text).finally(() => this.inflight.delete(key));
      pending.then((speech) => this.store(key, speech), () => {});
      this.inflight.set(key, pending);
    }
    return raceAbort(pending, options.signal);
  }

  stats(): SpeechStats {
    return { ...this.counters, queued: this.queued, entries: this.cache.size, bytes: this.cachedBytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.cachedBytes = 0;
    await this.engine.close();
  }

  private enqueue(voice: string, text: string): Promise<SynthesizedSpeech> {
    this.queued++;
    const job = this.tail.then(() => this.run(voice, text));
    this.tail = job.then(
      () => this.queued--,
      () => this.queued--,
    );
    return job;
  }

  private async run(voice: string, text: string): Promise<SynthesizedSpeech> {
    const started = this.clock.monotonic();
    let wav: Uint8Array;
    try {
      wav = await this.engine.synthesize(voice, text, this.wordsPerMinute);
    } catch (error) {
      if (error instanceof DialtoneError) throw error;
      throw this.error('eSpeak NG failed', { voice }, error);
    }
    const parsed = parseWav(Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength));
    const samples = resamplePcm(pcmSamples(parsed), parsed.sampleRate, this.sampleRate);
    const elapsed = this.clock.monotonic() - started;
    this.counters.syntheses++;
    this.counters.synthesisMs += elapsed;
    this.counters.lastSynthesisMs = elapsed;
    this.logger.debug('speech synthesised', { voice, characters: text.length, ms: Math.round(elapsed) });
    return { samples, sampleRate: this.sampleRate };
  }

  private store(key: string, speech: SynthesizedSpeech): void {
    const bytes = speech.samples.byteLength;
    if (this.closed || bytes > this.cacheMaxBytes) return;
    this.cache.set(key, speech);
    this.cachedBytes += bytes;
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes <= this.cacheMaxBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= entry.samples.byteLength;
    }
  }

  private error(message: string, details: Record<string, unknown>, cause?: unknown): DialtoneError {
    return new DialtoneError(ErrorCodes.speechSynthesisFailed, `Say: ${message}`, details, cause === undefined ? undefined : { cause });
  }
}
