export {
  type CodecName,
  type CodecInfo,
  codecCatalogue,
  TELEPHONE_EVENT,
  findCodec,
  findCodecByEncoding,
  findCodecByStaticPayloadType,
  parseCodecList,
} from './codec-catalogue.js';
export { encodeMulaw, decodeMulaw, encodeAlaw, decodeAlaw, mulawToAlaw, alawToMulaw } from './g711.js';
export { G722Encoder } from './g722-encoder.js';
export { G722Decoder } from './g722-decoder.js';
export { Upsampler8to16, Downsampler16to8 } from './resampler.js';
export { type PayloadCodec, type PayloadCodecOptions, createPayloadCodec } from './payload-codec.js';
export {
  type OpusCodecOptions,
  OpusPayloadCodec,
  OPUS_RTP_CLOCK_RATE,
  opusOptionsFromFmtp,
  opusPacketSamples,
} from './opus-codec.js';
export { preloadOpus, opusHeapBytes } from './opus-native.js';
export { Transcoder, type TranscoderOptions } from './transcoder.js';
export { RtpTimestampScaler } from './rtp-timestamp-scaler.js';
