/**
 * What every call's media shares: the RTP port range and how its sockets are bound (on the engine's
 * I/O thread in main.ts), the speech synthesiser and the `<Play>` loader (one per sample rate: 8 kHz
 * for G.711 legs, 16 kHz for G.722 legs, each with its cache), and where recordings go. Built once by
 * main.ts; closing it releases the synthesiser's worker.
 */
import { join } from 'node:path';
import type { Clock, DatagramBinder, Logger } from '../../kernel/index.js';
import { PortAllocator } from '../../media/index.js';
import { AudioLoader } from '../../media/playback/index.js';
import { EspeakSynthesizer, type SpeechSynthesizer } from '../../media/speech/index.js';
import type { RecordingRepository } from '../../store/index.js';

export interface MediaServicesOptions {
  clock: Clock;
  logger: Logger;
  portRange: [number, number];
  /** Binds the RTP and RTCP sockets (DatagramThread.bind in the engine); on this thread by default. */
  bind?: DatagramBinder;
  /** Local address RTP sockets bind to. */
  bindAddress: string;
  /** Pairs kept bound ahead (PortAllocator.keepReady); none by default. */
  readyPairs?: number;
  /** `media.rtpTimeoutSeconds`: silence after which an answered caller is treated as gone (0: never). */
  rtpTimeoutSeconds: number;
  /** `<dataDir>/recordings`. */
  recordingsDir: string;
  recordings: RecordingRepository;
  /** Base of RecordingUrl: `http.publicUrl`, else `http://<http.listen>`. */
  publicUrl: string;
  /** Replaces eSpeak (tests); built per sample rate. */
  speech?: (sampleRate: number) => SpeechSynthesizer;
}

export class MediaServices {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly allocator: PortAllocator;
  readonly bindAddress: string;
  readonly rtpTimeoutMs: number;
  readonly recordingsDir: string;
  readonly recordings: RecordingRepository;
  readonly publicUrl: string;
  private readonly makeSpeech: (sampleRate: number) => SpeechSynthesizer;
  private readonly speeches = new Map<number, SpeechSynthesizer>();
  private readonly loaders = new Map<number, AudioLoader>();
  private closing: Promise<void> | undefined;

  constructor(options: MediaServicesOptions) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.allocator = new PortAllocator({ min: options.portRange[0], max: options.portRange[1] }, options.bind);
    this.bindAddress = options.bindAddress;
    if (options.readyPairs !== undefined && options.readyPairs > 0) this.allocator.keepReady(options.bindAddress, options.readyPairs, options.logger);
    this.rtpTimeoutMs = Math.max(0, options.rtpTimeoutSeconds) * 1000;
    this.recordingsDir = options.recordingsDir;
    this.recordings = options.recordings;
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.makeSpeech = options.speech ?? ((sampleRate) => new EspeakSynthesizer({ sampleRate, logger: options.logger }));
  }

  speech(sampleRate: number): SpeechSynthesizer {
    let speech = this.speeches.get(sampleRate);
    if (speech === undefined) {
      speech = this.makeSpeech(sampleRate);
      this.speeches.set(sampleRate, speech);
    }
    return speech;
  }

  loader(sampleRate: number): AudioLoader {
    let loader = this.loaders.get(sampleRate);
    if (loader === undefined) {
      loader = new AudioLoader({ clock: this.clock, sampleRate });
      this.loaders.set(sampleRate, loader);
    }
    return loader;
  }

  recordingPath(recordingSid: string): string {
    return join(this.recordingsDir, `${recordingSid}.wav`);
  }

  /** Twilio's RecordingUrl: `{base}/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}`. */
  recordingUrl(accountSid: string, recordingSid: string): string {
    return `${this.publicUrl}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
  }

  /** Releases the synthesisers and the pairs bound ahead; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.allocator.close();
      const speeches = [...this.speeches.values()];
      this.speeches.clear();
      for (const loader of this.loaders.values()) loader.clear();
      this.loaders.clear();
      await Promise.all(speeches.map((speech) => speech.close().catch(() => undefined)));
    })();
    return this.closing;
  }
}
