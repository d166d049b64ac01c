export { parseWav, pcm16WavHeader, pcmSamples, type WavAudio, type WavEncoding } from './wav-format.js';
export { repairWavFile, WavRecorderFile } from './wav-recorder-file.js';
