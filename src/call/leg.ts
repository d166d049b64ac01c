/**
 * The narrow surfaces verb executors use to act on a call's leg. The SIP UA and the media engine sit
 * behind them; the wiring (main.ts) adapts those to these, so the engine imports neither. Each member
 * names the verb that needs it.
 */

/** What one `play` puts on the line. */
export type PlaySource =
  /** <Say>: text for the speech synthesiser. */
  | { kind: 'say'; text: string; voice?: string; language?: string }
  /** <Play>: an audio file fetched from a URL. */
  | { kind: 'url'; url: string }
  /** <Play digits>: DTMF sent to the far end; `w` is half a second of pause (Twilio). */
  | { kind: 'digits'; digits: string }
  /** <Record playBeep>: the beep before recording starts. */
  | { kind: 'beep' };

/** `finished`: played to the end; `interrupted`: the signal stopped it. */
export type PlayOutcome = 'finished' | 'interrupted';

export interface RecordOptions {
  /** <Record timeout>: seconds of silence that end the recording; 0 means silence never ends it. */
  silenceTimeoutSeconds: number;
  /** <Record trim>: whether leading and trailing silence is cut from the file. */
  trimSilence: boolean;
}

export interface RecordingResult {
  /** RE + 32 hex, the recording as the store keeps it. */
  recordingSid: string;
  /** Where the application fetches it (RecordingUrl). */
  recordingUrl: string;
  /** Whole seconds of audio kept; 0 means nothing was recorded. */
  durationSeconds: number;
  /** `silence`: the leg's silence detection ended it; `stopped`: the signal did. */
  endedBy: 'silence' | 'stopped';
}

/** Lifecycle of the leg: the SIP dialog as the engine sees it. */
export interface LegControl {
  /**
   * Every verb that needs media (Say, Play, Gather, Record, and Hangup, which Twilio answers too): answers the call if it is
   * not answered yet; idempotent, and concurrent callers share one answer.
   */
  answer(): Promise<void>;
  /** Whether the call has been answered (Reject acts only before). */
  readonly answered: boolean;
  /** <Reject> as the first verb: a final response without answering (busy → 486, rejected → 603). */
  reject(reason: 'busy' | 'rejected'): Promise<void>;
  /** <Hangup>, a document that runs out, the spoken application error: ends the call. Idempotent. */
  hangup(): Promise<void>;
  /**
   * The one interruption path: the document runner listens here and aborts the running verb when the
   * caller hangs up. Returns the function that stops listening.
   */
  onRemoteHangup(listener: () => void): () => void;
}

/** Media on an answered leg. */
export interface LegMedia {
  /** <Say>, <Play>, and the prompts nested in <Gather>: plays one source, to the end or the signal. */
  play(source: PlaySource, signal: AbortSignal): Promise<PlayOutcome>;
  /**
   * <Gather>, <Record finishOnKey>: each DTMF digit the caller presses ('0'-'9', '*', '#'), as it is
   * detected. Returns the function that stops listening.
   */
  onDigit(listener: (digit: string) => void): () => void;
  /**
   * <Record>: captures the caller's audio until silence (options) or the signal; resolves (never
   * rejects on abort) with what was kept, so a recording stopped by a key or a hang-up still counts.
   */
  record(options: RecordOptions, signal: AbortSignal): Promise<RecordingResult>;
}

export type Leg = LegControl & LegMedia;
