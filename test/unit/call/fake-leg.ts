/**
 * A Leg for tests: records what the verbs asked of it, plays each source for `playMs` on the given
 * Clock (0: at once), and lets the test press keys, end a recording by silence and hang up.
 */
import type { Clock } from '../../../src/kernel/index.js';
import type { Leg, PlayOutcome, PlaySource, RecordingResult, RecordOptions } from '../../../src/call/index.js';

export type LegEvent =
  | { kind: 'answer' }
  | { kind: 'reject'; reason: 'busy' | 'rejected' }
  | { kind: 'hangup' }
  | { kind: 'play'; source: PlaySource; outcome?: PlayOutcome }
  | { kind: 'record'; options: RecordOptions };

export interface FakeLegOptions {
  clock: Clock;
  /** Milliseconds each play lasts on the clock; 0 finishes on the next turn of the event loop. */
  playMs?: number;
  /** Plays for which this is true last until they are aborted. */
  hold?: (source: PlaySource) => boolean;
  /** Seconds a recording reports when it ends. */
  recordSeconds?: number;
}

export class FakeLeg implements Leg {
  answered = false;
  readonly events: LegEvent[] = [];
  private readonly digitListeners = new Set<(digit: string) => void>();
  private readonly hangupListeners = new Set<() => void>();
  private readonly waiters: { test: (event: LegEvent) => boolean; resolve: (event: LegEvent) => void }[] = [];
  private endRecording: (() => void) | undefined;

  constructor(private readonly options: FakeLegOptions) {}

  async answer(): Promise<void> {
    if (this.answered) return;
    this.answered = true;
    this.push({ kind: 'answer' });
  }

  async reject(reason: 'busy' | 'rejected'): Promise<void> {
    this.push({ kind: 'reject', reason });
  }

  async hangup(): Promise<void> {
    this.push({ kind: 'hangup' });
  }

  onRemoteHangup(listener: () => void): () => void {
    this.hangupListeners.add(listener);
    return () => this.hangupListeners.delete(listener);
  }

  play(source: PlaySource, signal: AbortSignal): Promise<PlayOutcome> {
    const event: LegEvent & { kind: 'play' } = { kind: 'play', source };
    this.push(event);
    return new Promise((resolve) => {
      const done = (outcome: PlayOutcome): void => {
        if (event.outcome !== undefined) return;
        event.outcome = outcome;
        signal.removeEventListener('abort', onAbort);
        this.options.clock.clearTimeout(timer);
        resolve(outcome);
      };
      const onAbort = (): void => done('interrupted');
      if (signal.aborted) {
        done('interrupted');
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      const held = this.options.hold?.(source) === true;
      const playMs = this.options.playMs ?? 1000;
      const timer = held || playMs === 0 ? undefined : this.options.clock.setTimeout(() => done('finished'), playMs);
      if (!held && playMs === 0) setImmediate(() => done('finished'));
    });
  }

  onDigit(listener: (digit: string) => void): () => void {
    this.digitListeners.add(listener);
    return () => this.digitListeners.delete(listener);
  }

  record(options: RecordOptions, signal: AbortSignal): Promise<RecordingResult> {
    this.push({ kind: 'record', options });
    return new Promise((resolve) => {
      const finish = (endedBy: 'silence' | 'stopped'): void => {
        this.endRecording = undefined;
        signal.removeEventListener('abort', onStop);
        resolve({
          recordingSid: 'RE0123456789abcdef0123456789abcdef',
          recordingUrl: 'http://dialtone.test/Recordings/RE0123456789abcdef0123456789abcdef',
          durationSeconds: this.options.recordSeconds ?? 7,
          endedBy,
        });
      };
      const onStop = (): void => finish('stopped');
      if (signal.aborted) {
        finish('stopped');
        return;
      }
      signal.addEventListener('abort', onStop, { once: true });
      this.endRecording = () => finish('silence');
    });
  }

  /** The caller presses keys, one after another. */
  press(keys: string): void {
    for (const key of keys) for (const listener of [...this.digitListeners]) listener(key);
  }

  /** The leg's silence detection ends the running recording. */
  silence(): void {
    this.endRecording?.();
  }

  /** The caller hangs up. */
  remoteHangup(): void {
    for (const listener of [...this.hangupListeners]) listener();
  }

  listening(): number {
    return this.digitListeners.size;
  }

  /** Resolves at the first event (already seen or to come) that passes `test`. */
  next(test: (event: LegEvent) => boolean): Promise<LegEvent> {
    const seen = this.events.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  kinds(): string[] {
    return this.events.map((event) => (event.kind === 'play' ? `play:${event.source.kind}` : event.kind));
  }

  private push(event: LegEvent): void {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (!waiter.test(event)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  }
}

/** Lets every pending promise callback and immediate run. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) await new Promise<void>((resolve) => setImmediate(resolve));
}
