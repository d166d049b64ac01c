/**
 * Plays a sequence of AudioSources as 20 ms frames in real time: the one pacing loop for `<Play>`,
 * `<Say>`, `<Pause>` and ringback on a leg. Each frame is emitted as a `frame` event for the leg's
 * port to encode and send.
 *
 * Why the player owns the pace (rather than a send timer in the port pulling from it): the port sends
 * only when given a packet, and the bridge relays without a timer, so the player is the one place that
 * knows a prompt is playing. It runs on the injected Clock, scheduling frame n at start + n × 20 ms
 * (not "20 ms after the last one"), so timer lateness never accumulates into drift. After a stall
 * (a GC pause, a blocked event loop) it sends at most MAX_CATCH_UP frames at once and re-anchors the
 * schedule, delaying the rest of the prompt rather than flooding the far end's jitter buffer.
 *
 * Lifecycle:  idle ──play()──> playing ──(sources exhausted)──> idle   [finished]
 *                                  └──(signal aborted | play() again | close())──> idle   [interrupted]
 *             any ──close()──> closed
 */
import { DialtoneError, ErrorCodes, silentLogger, TypedEvents, type Clock, type Logger, type TimerHandle } from '../../kernel/index.js';
import { FRAME_MS, frameSamples, type AudioSource } from './audio-source.js';

export type PlaybackOutcome = 'finished' | 'interrupted';

export interface PlaybackResult {
  outcome: PlaybackOutcome;
  /** Frames emitted by this play() call. */
  frames: number;
  /** Audio played, in ms (frames × 20). */
  durationMs: number;
}

export interface PromptPlayerEvents {
  /** The next frame to send. The array is reused for the next frame: encode or copy it now. */
  frame: (frame: Int16Array) => void;
  finished: (result: PlaybackResult) => void;
  interrupted: (result: PlaybackResult) => void;
  closed: () => void;
}

export interface PromptPlayerOptions {
  clock: Clock;
  /** 8000, or 16000 for G.722 legs; every source played must have this rate. Default 8000. */
  sampleRate?: number;
  logger?: Logger;
}

/** Frames sent back to back after a stall before the schedule is re-anchored (60 ms). */
export const MAX_CATCH_UP = 3;

interface Playing {
  sources: AudioSource[];
  index: number;
  frames: number;
  startedAt: number;
  /** Frames already due at startedAt's schedule (reset on re-anchoring). */
  scheduled: number;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve: (result: PlaybackResult) => void;
}

export class PromptPlayer {
  readonly sampleRate: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly events: TypedEvents<PromptPlayerEvents>;
  private readonly frame: Int16Array;
  private current: Playing | undefined;
  private closed = false;

  constructor(options: PromptPlayerOptions) {
    this.clock = options.clock;
    this.sampleRate = options.sampleRate ?? 8000;
    this.logger = options.logger ?? silentLogger;
    this.frame = new Int16Array(frameSamples(this.sampleRate));
    this.events = new TypedEvents<PromptPlayerEvents>((error, event) => {
      this.logger.error('prompt player listener failed', { event: String(event), error: String(error) });
    });
  }

  on<K extends keyof PromptPlayerEvents>(event: K, listener: PromptPlayerEvents[K]): void {
    this.events.on(event, listener);
  }

  once<K extends keyof PromptPlayerEvents>(event: K, listener: PromptPlayerEvents[K]): void {
    this.events.once(event, listener);
  }

  off<K extends keyof PromptPlayerEvents>(event: K, listener: PromptPlayerEvents[K]): void {
    this.events.off(event, listener);
  }

  get playing(): boolean {
    return this.current !== undefined;
  }

  /**
   * Plays `sources` one after another, gap-free, and resolves when they are exhausted ('finished') or
   * when `signal` aborts, another play() starts, or the player closes ('interrupted'). The first frame
   * goes out on the next clock turn, so listeners attached right after play() hear all of it.
   */
  play(sources: AudioSource | readonly AudioSource[], options: { signal?: AbortSignal } = {}): Promise<PlaybackResult> {
    if (this.closed) {
      return Promise.reject(new DialtoneError(ErrorCodes.internal, 'prompt player is closed'));
    }
    const list = Array.isArray(sources) ? [...(sources as readonly AudioSource[])] : [sources as AudioSource];
    const wrongRate = list.find((source) => source.sampleRate !== this.sampleRate);
    if (wrongRate !== undefined) {
      return Promise.reject(
        new DialtoneError(ErrorCodes.mediaFormatMismatch, `a ${wrongRate.sampleRate} Hz source on a ${this.sampleRate} Hz player`),
      );
    }
    this.stop();
    const { signal } = options;
    return new Promise<PlaybackResult>((resolve) => {
      const playing: Playing = {
        sources: list,
        index: 0,
        frames: 0,
        startedAt: this.clock.monotonic(),
        scheduled: 0,
        timer: undefined,
        signal,
        onAbort: () => this.end(playing, 'interrupted'),
        resolve,
      };
      this.current = playing;
      if (signal?.aborted) {
        this.end(playing, 'interrupted');
        return;
      }
      signal?.addEventListener('abort', playing.onAbort, { once: true });
      playing.timer = this.clock.setTimeout(() => this.tick(playing), 0);
    });
  }

  /** Interrupts what is playing, if anything. */
  stop(): void {
    if (this.current !== undefined) this.end(this.current, 'interrupted');
  }

  /** Interrupts playback and releases the player; idempotent. */
  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.events.emit('closed');
    this.events.removeAll();
  }

  private tick(playing: Playing): void {
    playing.timer = undefined;
    const elapsed = this.clock.monotonic() - playing.startedAt;
    let due = Math.floor(elapsed / FRAME_MS) + 1 - playing.scheduled;
    if (due > MAX_CATCH_UP) {
      // Too far behind: send a few now and pretend the schedule started later.
      playing.startedAt = this.clock.monotonic() - (MAX_CATCH_UP - 1) * FRAME_MS;
      playing.scheduled = 0;
      due = MAX_CATCH_UP;
    }
    for (let i = 0; i < due; i++) {
      if (!this.nextFrame(playing)) {
        this.end(playing, 'finished');
        return;
      }
      playing.scheduled++;
      playing.frames++;
      this.events.emit('frame', this.frame);
      // A listener may have stopped or closed the player.
      if (this.current !== playing) return;
    }
    const nextAt = playing.startedAt + playing.scheduled * FRAME_MS;
    playing.timer = this.clock.setTimeout(() => this.tick(playing), Math.max(0, nextAt - this.clock.monotonic()));
  }

  /** Fills the frame from the first source that still has audio; false when none has. */
  private nextFrame(playing: Playing): boolean {
    while (playing.index < playing.sources.length) {
      if (playing.sources[playing.index]!.read(this.frame)) return true;
      playing.index++;
    }
    return false;
  }

  private end(playing: Playing, outcome: PlaybackOutcome): void {
    if (this.current !== playing) return;
    this.current = undefined;
    this.clock.clearTimeout(playing.timer);
    playing.signal?.removeEventListener('abort', playing.onAbort);
    const result: PlaybackResult = { outcome, frames: playing.frames, durationMs: playing.frames * FRAME_MS };
    this.events.emit(outcome, result);
    playing.resolve(result);
  }
}
