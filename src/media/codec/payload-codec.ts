import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { findCodec, type CodecName } from './codec-catalogue.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from './g711.js';
import { G722Decoder } from './g722-decoder.js';
import { G722Encoder } from './g722-encoder.js';
import { OpusPayloadCodec, type OpusCodecOptions } from './opus-codec.js';

/**
 * One direction-agnostic codec instance for a stream: bytes ⇄ Int16 PCM at `sampleRate`.
 * Stateful codecs (G.722, Opus) keep separate encoder and decoder state, so one instance serves one
 * stream. Whoever creates a codec calls `close()` when done: Opus holds WebAssembly memory.
 */
export interface PayloadCodec {
  readonly name: CodecName;
  readonly sampleRate: number;
  /** PCM samples produced by one payload byte (G.711: 1, G.722: 2); 0 when variable (Opus). */
  readonly samplesPerByte: number;
  /** Decodes `payload` into `out`; returns samples written. */
  decode(payload: Uint8Array, out: Int16Array): number;
  /** Encodes `pcm` into `out`; returns bytes written. */
  encode(pcm: Int16Array, out: Uint8Array): number;
  /**
   * Fills `out` with audio standing in for a lost packet of `out.length` samples; returns samples
   * written. Opus runs its packet loss concealment (RFC 6716 §4.4); G.711 and G.722 give silence.
   */
  conceal(out: Int16Array): number;
  /** Releases what the codec holds (Opus: its libopus state). Idempotent; no use afterwards. */
  close(): void;
}

export interface PayloadCodecOptions {
  /** Settings for an Opus codec, e.g. from the far end's fmtp through `opusOptionsFromFmtp`. */
  opus?: OpusCodecOptions;
}

function silence(out: Int16Array): number {
  out.fill(0);
  return out.length;
}

function nothing(): void {}

/**
 * Creates a codec for a transcodable catalogue entry. G.729 has no in-process codec and is refused
 * with `codecUnsupported`: it can only pass through between legs that both speak it. An Opus codec
 * allocates its libopus state on first use, not here.
 */
export function createPayloadCodec(name: CodecName, options: PayloadCodecOptions = {}): PayloadCodec {
  switch (name) {
    case 'PCMU':
      return { name, sampleRate: 8000, samplesPerByte: 1, decode: decodeMulaw, encode: encodeMulaw, conceal: silence, close: nothing };
    case 'PCMA':
      return { name, sampleRate: 8000, samplesPerByte: 1, decode: decodeAlaw, encode: encodeAlaw, conceal: silence, close: nothing };
    case 'G722': {
      const encoder = new G722Encoder();
      const decoder = new G722Decoder();
      return {
        name,
        sampleRate: 16000,
        samplesPerByte: 2,
        decode: (payload, out) => decoder.decode(payload, out),
        encode: (pcm, out) => encoder.encode(pcm, out),
        conceal: silence,
        close: nothing,
      };
    }
    case 'OPUS':
      return new OpusPayloadCodec(options.opus);
    case 'G729':
      throw new DialtoneError(ErrorCodes.codecUnsupported, `${name} cannot be transcoded in process`, {
        codec: name,
        transcodable: findCodec(name)?.transcodable ?? false,
      });
  }
}
