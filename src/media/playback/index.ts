/**
 * Prompts: pull-based audio sources (`<Pause>`, ringback, decoded files and speech), the real-time
 * PromptPlayer that paces them as 20 ms frames, and the AudioLoader that fetches, decodes, resamples
 * and caches `<Play>` URLs.
 */
export { type AudioSource, FRAME_MS, frameSamples } from './audio-source.js';
export { SilenceSource } from './silence-source.js';
export { ToneSource } from './tone-source.js';
export { PcmSource, type PcmSourceOptions, LOOP_FOREVER_LIMIT_MS } from './pcm-source.js';
export {
  PromptPlayer,
  type PromptPlayerOptions,
  type PromptPlayerEvents,
  type PlaybackResult,
  type PlaybackOutcome,
  MAX_CATCH_UP,
} from './prompt-player.js';
export {
  AudioLoader,
  type AudioLoaderOptions,
  type AudioLoaderStats,
  type FetchLike,
  type FetchResponseLike,
} from './audio-loader.js';
export { decodeAudio, sniffAudioFormat, formatFromContentType, wavToMono, type DecodedAudio, type AudioFormat } from './decode-audio.js';
export { resamplePcm } from './resample-pcm.js';
export { raceAbort } from './race-abort.js';
