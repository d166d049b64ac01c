import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { findCodec, type CodecName } from './codec-catalogue.js';
import { alawToMulaw, encodeAlaw, encodeMulaw, mulawToAlaw } from './g711.js';
import type { OpusCodecOptions } from './opus-codec.js';
import { createPayloadCodec, type PayloadCodec } from './payload-codec.js';
import { Downsampler16to8, Upsampler8to16 } from './resampler.js';

/** Largest payload we convert in one call: 120 ms of G.722 or G.711 (960 bytes). */
const MAX_PAYLOAD_BYTES = 960;
/** Room for an Opus packet: a 1500-byte MTU bounds what one datagram carries anyway. */
const MAX_OPUS_PAYLOAD_BYTES = 1500;
/** Longest stretch of audio one payload may carry (RFC 6716 §3.2.5 for Opus; 960 bytes of G.711). */
const MAX_PAYLOAD_MS = 120;

export interface TranscoderOptions {
  /**
   * Opus settings, for an Opus side: the encoder's from the far end's fmtp (`opusOptionsFromFmtp`).
   * Without `sampleRate`, Opus runs at the other codec's rate (8 kHz against G.711, 16 kHz against
   * G.722), so libopus does any band limiting itself and no resampling happens in JavaScript.
   */
  opus?: OpusCodecOptions;
}

/**
 * Converts the payloads of one stream from one format to another through linear PCM, resampling
 * 8 kHz ⇄ 16 kHz when the sampling rates differ. Buffers are allocated once; the returned view is
 * valid until the next call. Same-format conversion is a pass-through (this is how G.729 crosses a
 * bridge: RFC 3264 negotiation refuses it when one side would need transcoding).
 *
 * The payload is all a transcoder sees: one payload in is one payload out covering the same time, and
 * the RTP timestamp stays the bridge's business. When the clock rates differ (Opus counts 48000 per
 * second whatever it carries, RFC 7587 §4.1; G.711 and G.722 count 8000, RFC 3551 §4.5.2) the bridge
 * must scale timestamps by `toClockRate / fromClockRate` (see RtpTimestampScaler): 960 per 20 ms of
 * Opus for 160 of G.711 or G.722.
 *
 * An Opus side holds libopus state in WebAssembly memory: call `close()` when the stream ends.
 */
export class Transcoder {
  readonly from: CodecName;
  readonly to: CodecName;
  /** RTP timestamp rate of the input format (8000 for G.711 and G.722, 48000 for Opus). */
  readonly fromClockRate: number;
  /** RTP timestamp rate of the output format. */
  readonly toClockRate: number;
  private readonly step: (payload: Uint8Array) => Uint8Array;
  private readonly lost: (durationMs: number) => Uint8Array;
  private readonly codecs: PayloadCodec[] = [];
  private closed = false;

  constructor(from: CodecName, to: CodecName, options: TranscoderOptions = {}) {
    // Bridges name formats by their rtpmap encoding ('opus'): resolve to the catalogue's names.
    const fromInfo = findCodec(from);
    const toInfo = findCodec(to);
    from = fromInfo?.name ?? from;
    to = toInfo?.name ?? to;
    this.from = from;
    this.to = to;
    this.fromClockRate = fromInfo?.clockRate ?? 0;
    this.toClockRate = toInfo?.clockRate ?? 0;
    if (from === to) {
      this.step = (payload) => payload;
      this.lost = () => {
        throw new DialtoneError(ErrorCodes.codecUnsupported, `${from} passes through: a lost packet cannot be made up`, { from, to });
      };
      return;
    }
    for (const info of [fromInfo, toInfo]) {
      if (info?.transcodable !== true) {
        const name = info === fromInfo ? from : to;
        throw new DialtoneError(ErrorCodes.codecUnsupported, `cannot transcode ${from} to ${to}: ${name} has no codec`, {
          from,
          to,
        });
      }
    }
    const out = new Uint8Array(to === 'OPUS' ? MAX_OPUS_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES);
    // G.711 §4: µ-law ⇄ A-law needs no intermediate PCM buffer, one table lookup per byte.
    if ((from === 'PCMU' && to === 'PCMA') || (from === 'PCMA' && to === 'PCMU')) {
      const convert = from === 'PCMU' ? mulawToAlaw : alawToMulaw;
      const encode = to === 'PCMA' ? encodeAlaw : encodeMulaw;
      const quiet = new Int16Array(MAX_PAYLOAD_BYTES);
      this.step = (payload) => out.subarray(0, convert(payload, out));
      this.lost = (durationMs) => out.subarray(0, encode(quiet.subarray(0, samplesIn(durationMs, 8000)), out));
      return;
    }
    const decoder = createPayloadCodec(from, opusSide(from, to, options));
    this.codecs.push(decoder);
    let encoder: PayloadCodec;
    try {
      encoder = createPayloadCodec(to, opusSide(to, from, options));
    } catch (error) {
      decoder.close();
      throw error;
    }
    this.codecs.push(encoder);
    const path = buildPcmPath(decoder, encoder, out);
    this.step = path.transcode;
    this.lost = path.conceal;
  }

  /** Converts one payload; longer payloads than 120 ms are truncated to it. Throws on an unreadable one. */
  transcode(payload: Uint8Array): Uint8Array {
    if (this.closed) throw new DialtoneError(ErrorCodes.internal, 'transcoder used after close()');
    return this.step(payload);
  }

  /**
   * A payload in the output format standing in for one lost input packet of `durationMs` (default 20):
   * the input decoder's concealment (Opus PLC, RFC 6716 §4.4; silence for G.711 and G.722), encoded.
   * For a bridge that sees a gap in the input's sequence numbers. Not for a pass-through.
   */
  transcodeLost(durationMs = 20): Uint8Array {
    if (this.closed) throw new DialtoneError(ErrorCodes.internal, 'transcoder used after close()');
    if (!(durationMs > 0 && durationMs <= MAX_PAYLOAD_MS)) {
      throw new DialtoneError(ErrorCodes.codecUnsupported, `cannot conceal ${durationMs} ms in one payload`);
    }
    return this.lost(durationMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Frees the codecs' state (Opus: WebAssembly memory). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const codec of this.codecs) codec.close();
  }
}

/** Samples in `durationMs` at `rate`, rounded down to a whole sample. */
function samplesIn(durationMs: number, rate: number): number {
  return Math.floor((durationMs * rate) / 1000);
}

/** Codec options for `name` when the other end of the conversion is `other`. */
function opusSide(name: CodecName, other: CodecName, options: TranscoderOptions): { opus?: OpusCodecOptions } {
  if (name !== 'OPUS') return {};
  const sampleRate = options.opus?.sampleRate ?? (findCodec(other)?.sampleRate === 8000 ? 8000 : 16000);
  return { opus: { ...options.opus, sampleRate } };
}

function buildPcmPath(
  decoder: PayloadCodec,
  encoder: PayloadCodec,
  out: Uint8Array,
): { transcode: (payload: Uint8Array) => Uint8Array; conceal: (durationMs: number) => Uint8Array } {
  const pcm = new Int16Array(MAX_PAYLOAD_BYTES * 2);
  const resampled = new Int16Array(MAX_PAYLOAD_BYTES * 2);
  // Fixed-rate pairs keep their historic bound (960 bytes of the wider one); with Opus the bound is
  // 120 ms of audio whichever side is Opus.
  const maxIn =
    decoder.samplesPerByte === 0
      ? Number.POSITIVE_INFINITY
      : encoder.samplesPerByte === 0
        ? samplesIn(MAX_PAYLOAD_MS, decoder.sampleRate) / decoder.samplesPerByte
        : MAX_PAYLOAD_BYTES / Math.max(decoder.samplesPerByte, encoder.samplesPerByte);
  const clip = (payload: Uint8Array): Uint8Array => (payload.length > maxIn ? payload.subarray(0, maxIn) : payload);
  const decodedCapacity = pcm.subarray(0, samplesIn(MAX_PAYLOAD_MS, decoder.sampleRate));
  let resample: (samples: number) => Int16Array;
  if (decoder.sampleRate === encoder.sampleRate) {
    resample = (samples) => pcm.subarray(0, samples);
  } else if (decoder.sampleRate === 8000 && encoder.sampleRate === 16000) {
    const up = new Upsampler8to16();
    resample = (samples) => resampled.subarray(0, up.process(pcm.subarray(0, samples), resampled));
  } else {
    const down = new Downsampler16to8();
    resample = (samples) => resampled.subarray(0, down.process(pcm.subarray(0, samples), resampled));
  }
  return {
    transcode: (payload) => {
      const samples = decoder.decode(clip(payload), decodedCapacity);
      return out.subarray(0, encoder.encode(resample(samples), out));
    },
    conceal: (durationMs) => {
      const samples = decoder.conceal(pcm.subarray(0, samplesIn(durationMs, decoder.sampleRate)));
      return out.subarray(0, encoder.encode(resample(samples), out));
    },
  };
}
