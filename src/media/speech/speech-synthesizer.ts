/**
 * `<Say>` as the call engine sees it: text, a Twilio voice and language in, PCM at the leg's rate out.
 * Behind this interface sits eSpeak NG today; a cloud or neural engine can replace it without the
 * call engine noticing.
 */
export interface SpeechRequest {
  text: string;
  /** Twilio's `voice`: man, woman, alice, Polly.<Name>[-Neural], Google.<lang>-<model>-<letter>. */
  voice?: string;
  /** Twilio's `language`: en-US, en-GB, fr-FR, de-DE, es-ES, … */
  language?: string;
}

export interface SynthesizedSpeech {
  /** Mono 16-bit PCM. */
  samples: Int16Array;
  sampleRate: number;
}

export interface SpeechSynthesizer {
  /**
   * Speaks `request.text`. Rejects with DialtoneError 90240 when synthesis fails; an aborted `signal`
   * rejects this caller only.
   */
  synthesize(request: SpeechRequest, options?: { signal?: AbortSignal }): Promise<SynthesizedSpeech>;
  /** Releases the engine (worker, module); idempotent. */
  close(): Promise<void>;
}
