/**
 * Records a call to a 16-bit WAV at 8 kHz while it goes on: mono (both parties mixed) or dual channel
 * (caller left, callee right, as Twilio's `recordingChannels="dual"`).
 *
 * Alignment: each party's audio is placed on one timeline that starts at `start()`. A frame goes where
 * its `position` (samples since start, e.g. from its RTP timestamp) says; without one it follows the
 * party's previous frame, unless that party fell silent (hold, DTX, packet loss) for longer than the
 * jitter allowance, in which case it is placed by the clock. Whatever no frame covered is silence, so
 * the two channels stay aligned however unevenly their packets arrive.
 *
 * Durability: audio older than the jitter allowance is written out every `flushIntervalMs`, and
 * WavRecorderFile rewrites the header after each write, so a call that ends abruptly — or a process
 * that dies — loses at most one flush interval; `recoverRecordings` repairs the header after a crash.
 *
 * When to start is the caller's choice: at ringing for `record-from-ringing`, at answer for
 * `record-from-answer`. Writes before start() or after close() are ignored.
 *
 * Lifecycle:  created ──start()──> recording ──close()──> closed   (close() without start(): no file)
 */
import { DialtoneError, ErrorCodes, silentLogger, TypedEvents, type Clock, type Logger, type TimerHandle } from '../../kernel/index.js';
import { WavRecorderFile } from '../wav/index.js';
import { trimWavSilence } from './trim-silence.js';

export type RecordingChannels = 'mono' | 'dual';
export type RecordingTrack = 'caller' | 'callee';

export interface CallRecorderOptions {
  /** Where the WAV goes, normally under the data folder's recordings/. */
  path: string;
  clock: Clock;
  /** Default 'mono'. */
  channels?: RecordingChannels;
  /** Default 8000. */
  sampleRate?: number;
  /** How often audio reaches the disk; the most an abrupt end can lose. Default 1000 ms. */
  flushIntervalMs?: number;
  /** How long to wait for a party's late frames before writing silence in their place. Default 200 ms. */
  jitterMs?: number;
  /**
   * How far ahead of the clock a positioned frame may be before it is dropped as bogus (an RTP
   * timestamp jump would otherwise reserve memory for the whole jump). Default 60 000 ms.
   */
  maxLeadMs?: number;
  /** Remove leading and trailing silence when closing (Twilio `trim="trim-silence"`). Default false. */
  trimSilence?: boolean;
  /** Peak amplitude at or below which audio counts as silence for trimming. Default 64 (about -54 dBFS). */
  silenceThreshold?: number;
  logger?: Logger;
}

export interface RecordingResult {
  path: string;
  channels: 1 | 2;
  sampleRate: number;
  /** Length of the final file's audio, after trimming. */
  durationSeconds: number;
  /** Silence removed by trimming, in seconds. */
  trimmedSeconds: number;
}

export interface CallRecorderEvents {
  /** Writing failed (disk full, folder gone); the recording stops growing but close() still settles. */
  error: (error: DialtoneError) => void;
  closed: (result: RecordingResult) => void;
}

export interface CallRecorderStats {
  /** Samples that arrived after their place on the timeline had already been written. */
  lateSamplesDropped: number;
  /** Samples positioned more than maxLeadMs ahead of the clock. */
  earlySamplesDropped: number;
  /** Samples written per channel so far. */
  samplesWritten: number;
}

/** One party's audio not yet written: sample i is at timeline position `committed + i`. */
interface Track {
  buffer: Int16Array;
  /** Timeline position just after this party's last sample. */
  end: number;
}

export class CallRecorder {
  readonly path: string;
  readonly channels: RecordingChannels;
  readonly sampleRate: number;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly jitterSamples: number;
  private readonly maxLeadSamples: number;
  private readonly trim: boolean;
  private readonly silenceThreshold: number;
  private readonly logger: Logger;
  private readonly events: TypedEvents<CallRecorderEvents>;
  private readonly tracks: Record<RecordingTrack, Track> = {
    caller: { buffer: new Int16Array(0), end: 0 },
    callee: { buffer: new Int16Array(0), end: 0 },
  };
  private file: WavRecorderFile | undefined;
  private starting: Promise<void> | undefined;
  private startedAt = 0;
  private committed = 0;
  private timer: TimerHandle | undefined;
  private failure: DialtoneError | undefined;
  private closing: Promise<RecordingResult> | undefined;
  private lateSamplesDropped = 0;
  private earlySamplesDropped = 0;

  constructor(options: CallRecorderOptions) {
    this.path = options.path;
    this.clock = options.clock;
    this.channels = options.channels ?? 'mono';
    this.sampleRate = options.sampleRate ?? 8000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.jitterSamples = Math.round(((options.jitterMs ?? 200) * this.sampleRate) / 1000);
    this.maxLeadSamples = Math.round(((options.maxLeadMs ?? 60_000) * this.sampleRate) / 1000);
    this.trim = options.trimSilence ?? false;
    this.silenceThreshold = options.silenceThreshold ?? 64;
    this.logger = options.logger ?? silentLogger;
    this.events = new TypedEvents<CallRecorderEvents>((error, event) => {
      this.logger.error('call recorder listener failed', { event: String(event), error: String(error) });
    });
  }

  on<K extends keyof CallRecorderEvents>(event: K, listener: CallRecorderEvents[K]): void {
    this.events.on(event, listener);
  }

  off<K extends keyof CallRecorderEvents>(event: K, listener: CallRecorderEvents[K]): void {
    this.events.off(event, listener);
  }

  /** Creates the file and starts the timeline; idempotent. Rejects with 90250 if the file cannot be created. */
  start(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.writeError('the recorder is closed'));
    this.starting ??= (async () => {
      this.startedAt = this.clock.monotonic();
      try {
        this.file = await WavRecorderFile.create(this.path, this.sampleRate, this.channels === 'dual' ? 2 : 1);
      } catch (error) {
        throw this.writeError(`cannot create ${this.path}`, error);
      }
      if (this.closing === undefined) this.schedule();
    })();
    return this.starting;
  }

  get started(): boolean {
    return this.starting !== undefined;
  }

  /**
   * Adds one party's audio at `position` (samples since start()), or right after their previous
   * frame when omitted. Overlaps with what was already written are dropped and counted.
   */
  write(track: RecordingTrack, samples: Int16Array, position?: number): void {
    if (this.starting === undefined || this.closing !== undefined || samples.length === 0) return;
    const state = this.tracks[track];
    let at = position;
    if (at === undefined) {
      // A party silent for longer than the jitter allowance resumes where the clock is now (the same
      // rule that places every party's first frame at its arrival).
      const now = this.clockPosition();
      at = now - state.end > this.jitterSamples ? now : state.end;
    }
    if (at - this.clockPosition() > this.maxLeadSamples) {
      this.earlySamplesDropped += samples.length;
      return;
    }
    let from = 0;
    if (at < this.committed) {
      from = Math.min(samples.length, this.committed - at);
      this.lateSamplesDropped += from;
      at = this.committed;
    }
    if (from === samples.length) return;
    const offset = at - this.committed;
    const needed = offset + samples.length - from;
    if (needed > state.buffer.length) {
      const grown = new Int16Array(Math.max(needed, state.buffer.length * 2, this.sampleRate));
      grown.set(state.buffer);
      state.buffer = grown;
    }
    state.buffer.set(samples.subarray(from), offset);
    state.end = Math.max(state.end, at + samples.length - from);
  }

  /** Seconds recorded so far, including audio not yet on disk. */
  durationSeconds(): number {
    const end = Math.max(this.committed, this.tracks.caller.end, this.tracks.callee.end);
    return end / this.sampleRate;
  }

  stats(): CallRecorderStats {
    return { lateSamplesDropped: this.lateSamplesDropped, earlySamplesDropped: this.earlySamplesDropped, samplesWritten: this.committed };
  }

  /**
   * Writes everything out, closes the file, trims it when asked, and resolves with the result;
   * idempotent. Rejects with 90250 when the recording could not be written.
   */
  close(): Promise<RecordingResult> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<RecordingResult> {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const channels = this.channels === 'dual' ? 2 : 1;
    if (this.starting === undefined) {
      const result = { path: this.path, channels, sampleRate: this.sampleRate, durationSeconds: 0, trimmedSeconds: 0 } as const;
      this.events.emit('closed', result);
      return result;
    }
    await this.starting;
    const file = this.file!;
    const horizon = Math.max(this.tracks.caller.end, this.tracks.callee.end, this.clockPosition());
    this.commit(horizon);
    try {
      await file.close();
    } catch (error) {
      this.fail(this.writeError(`writing ${this.path} failed`, error));
    }
    if (this.failure !== undefined) throw this.failure;
    let durationSeconds = this.committed / this.sampleRate;
    let trimmedSeconds = 0;
    if (this.trim) {
      const kept = await trimWavSilence(this.path, this.silenceThreshold);
      trimmedSeconds = durationSeconds - kept;
      durationSeconds = kept;
    }
    const result: RecordingResult = { path: this.path, channels, sampleRate: this.sampleRate, durationSeconds, trimmedSeconds };
    this.events.emit('closed', result);
    return result;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.periodicFlush();
      if (this.closing === undefined && this.failure === undefined) this.schedule();
    }, this.flushIntervalMs);
  }

  /**
   * Writes to disk what both parties have covered and what the clock says can no longer arrive, as the
   * periodic flush does; resolves once it is on disk (e.g. before telling the application the length).
   */
  async flush(): Promise<void> {
    if (this.starting === undefined || this.closing !== undefined) return;
    await this.starting;
    await this.periodicFlush();
  }

  private periodicFlush(): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    const covered = Math.min(this.tracks.caller.end, this.tracks.callee.end);
    this.commit(Math.max(covered, this.clockPosition() - this.jitterSamples));
    return this.file!.flush().catch((error: unknown) => this.fail(this.writeError(`writing ${this.path} failed`, error)));
  }

  /** Moves timeline positions [committed, horizon) from the tracks into the file's queue. */
  private commit(horizon: number): void {
    const count = horizon - this.committed;
    if (count <= 0 || this.file === undefined) return;
    const caller = this.take(this.tracks.caller, count);
    const callee = this.take(this.tracks.callee, count);
    let out: Int16Array;
    if (this.channels === 'dual') {
      out = new Int16Array(count * 2);
      for (let i = 0; i < count; i++) {
        out[2 * i] = caller[i]!;
        out[2 * i + 1] = callee[i]!;
      }
    } else {
      out = new Int16Array(count);
      for (let i = 0; i < count; i++) {
        // Saturate rather than wrap: two loud parties must clip, not flip sign into a crack.
        const sum = caller[i]! + callee[i]!;
        out[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
      }
    }
    this.file.append(out);
    this.committed = horizon;
  }

  /** The next `count` samples of a track (silence where it has none), removed from its buffer. */
  private take(track: Track, count: number): Int16Array {
    const out = new Int16Array(count);
    out.set(track.buffer.subarray(0, Math.min(count, track.buffer.length)));
    if (count >= track.buffer.length) {
      track.buffer.fill(0);
    } else {
      track.buffer.copyWithin(0, count);
      track.buffer.fill(0, track.buffer.length - count);
    }
    // `end` stays where the party's own audio ends: it is how write() tells a pause from jitter.
    return out;
  }

  private clockPosition(): number {
    return Math.max(0, Math.floor(((this.clock.monotonic() - this.startedAt) * this.sampleRate) / 1000));
  }

  private fail(error: DialtoneError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.logger.error('recording failed', { path: this.path, error: String(error.cause ?? error) });
    this.events.emit('error', error);
  }

  private writeError(message: string, cause?: unknown): DialtoneError {
    return new DialtoneError(ErrorCodes.recordingWriteFailed, `Recording: ${message}`, { path: this.path }, cause === undefined ? undefined : { cause });
  }
}
