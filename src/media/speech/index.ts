/**
 * Speech for `<Say>`: the SpeechSynthesizer interface and its eSpeak NG implementation (WASM on a
 * worker thread, loaded on first use), with Twilio voice/language mapping and a sentence cache.
 */
export type { SpeechSynthesizer, SpeechRequest, SynthesizedSpeech } from './speech-synthesizer.js';
export { EspeakSynthesizer, type EspeakSynthesizerOptions, type SpeechStats } from './espeak-synthesizer.js';
export { espeakVoice, type EspeakVoice, type SpeechGender } from './espeak-voice.js';
export { InProcessEspeakEngine, WorkerEspeakEngine, type EspeakEngine } from './espeak-engine.js';
