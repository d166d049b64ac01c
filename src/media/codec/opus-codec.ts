/**
 * Opus (RFC 6716) as a PayloadCodec, through libopus compiled to WebAssembly (the `opusscript`
 * package's module, bound in opus-native.ts).
 *
 * RFC 7587 §4.1: the RTP clock of Opus is always 48000 whatever the audio bandwidth, so one 20 ms
 * packet advances the timestamp by 960. That is the bridge's concern: here PCM is produced and
 * consumed at 16 kHz (wide-band, the default) or 8 kHz, rates libopus encodes and decodes natively,
 * so no 48 kHz resampling is ever done in JavaScript. An Opus decoder accepts any packet (any mode,
 * bandwidth, mono or stereo, RFC 6716 §2) and renders it at its own rate and channel count, here mono:
 * RFC 7587 §7.1 makes stereo a receiver's preference, and this engine says `stereo=0`.
 *
 * The WebAssembly module is compiled once per process (~12 ms), on the first Opus codec actually used
 * (or at start-up through `preloadOpus()`); each codec instance then allocates one libopus encoder and
 * one decoder in the module's memory, lazily, on its first encode, decode or concealment (~0.1 ms).
 * `close()` frees them; a codec is unusable afterwards.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { OpusNativeState } from './opus-native.js';
import type { PayloadCodec } from './payload-codec.js';

/** RFC 7587 §4.1: the RTP timestamp rate of Opus, whatever the audio bandwidth. */
export const OPUS_RTP_CLOCK_RATE = 48000;

export interface OpusCodecOptions {
  /** PCM rate of this codec's `encode` input and `decode` output: 16000 (default, wide-band) or 8000. */
  sampleRate?: 8000 | 16000;
  /** Encoder target in bit/s (RFC 7587 §3.1.1: 6000–510000); default 24000 wide-band, 12000 narrow-band. */
  bitrate?: number;
  /**
   * Put in-band FEC in what we send (RFC 7587 §6.1 `useinbandfec=1` from the receiver). libopus only
   * spends bits on it when `packetLossPercent` is above zero. Default false.
   */
  inbandFec?: boolean;
  /** Expected loss on the path in percent (OPUS_SET_PACKET_LOSS_PERC), 0–100; default 0, or 10 with FEC. */
  packetLossPercent?: number;
  /** Discontinuous transmission (RFC 7587 §6.1 `usedtx=1`): near-empty packets during silence. Default false. */
  dtx?: boolean;
  /** Constant bit rate (RFC 7587 §6.1 `cbr=1`). Default false (VBR). */
  cbr?: boolean;
  /** Encoder complexity 0–10 (OPUS_SET_COMPLEXITY); default 5, half the CPU of 10 for voice at these rates. */
  complexity?: number;
}

// libopus request numbers (opus_defines.h); opusscript forwards them to opus_encoder_ctl.
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_VBR = 4006;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
const OPUS_APPLICATION_VOIP = 2048;

/** Largest PCM frame libopus takes or gives in one call here: 120 ms (RFC 6716 §3.2.5). */
const MAX_FRAME_MS = 120;
/** Opus frame durations an encoder call accepts, in tenths of a millisecond (RFC 6716 §2.1.4, libopus ≥ 1.2). */
const ENCODABLE_DURATIONS = new Set([25, 50, 100, 200, 400, 600, 800, 1000, 1200]);
/** RFC 6716 §3.2.5: a code 3 packet carries at most 48 frames and 120 ms (so 12 frames of 10 ms). */
const MAX_CODE3_FRAMES = 12;
/** RFC 6716 §3.2.1: no frame exceeds 1275 bytes (plus the TOC byte of a code 0 packet). */
const OPUS_MAX_FRAME_BYTES = 1276;

/**
 * Reads RFC 7587 §6.1 fmtp parameters the far end wrote (what it wants to receive) into options for
 * our encoder: `useinbandfec`, `usedtx`, `cbr`, `maxaveragebitrate`, and `maxplaybackrate` (at or
 * below 8000, narrow-band is all it will play, so we encode at 8 kHz). Unknown parameters are ignored.
 */
export function opusOptionsFromFmtp(fmtp: string | null | undefined): OpusCodecOptions {
  const options: OpusCodecOptions = {};
  if (fmtp === null || fmtp === undefined) return options;
  for (const part of fmtp.split(';')) {
    const [rawKey, rawValue] = part.split('=', 2);
    const key = (rawKey ?? '').trim().toLowerCase();
    const value = (rawValue ?? '').trim();
    const number = Number(value);
    switch (key) {
      case 'useinbandfec':
        options.inbandFec = value === '1';
        break;
      case 'usedtx':
        options.dtx = value === '1';
        break;
      case 'cbr':
        options.cbr = value === '1';
        break;
      case 'maxaveragebitrate':
        // RFC 7587 §6.1: 6000 to 510000; out-of-range values are ignored rather than clamped.
        if (Number.isInteger(number) && number >= 6000 && number <= 510000) options.bitrate = number;
        break;
      case 'maxplaybackrate':
        if (Number.isInteger(number) && number > 0 && number <= 8000) options.sampleRate = 8000;
        break;
    }
  }
  return options;
}

/**
 * Number of PCM samples at `sampleRate` an Opus packet decodes to (RFC 6716 §3.1 TOC byte and §3.2
 * frame count), or -1 when the packet is malformed. Used to size concealment and by tests.
 */
export function opusPacketSamples(packet: Uint8Array, sampleRate: number): number {
  if (packet.length < 1) return -1;
  const toc = packet[0] as number;
  const perFrame = (tocFrameTenthsMs(toc) * sampleRate) / 10000;
  switch (toc & 3) {
    case 0:
      return perFrame;
    case 1:
    case 2:
      return 2 * perFrame;
    default: {
      if (packet.length < 2) return -1;
      const count = (packet[1] as number) & 0x3f;
      return count === 0 ? -1 : count * perFrame;
    }
  }
}

/** Frame duration named by a TOC byte's configuration (RFC 6716 §3.1 Table 2), in tenths of a ms. */
function tocFrameTenthsMs(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [100, 200, 400, 600][config & 3] as number; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [100, 200][config & 1] as number; // hybrid: 10, 20 ms
  return [25, 50, 100, 200][config & 3] as number; // CELT-only: 2.5, 5, 10, 20 ms
}

/** Mono Opus codec for one RTP stream: separate libopus encoder and decoder state. */
export class OpusPayloadCodec implements PayloadCodec {
  readonly name = 'OPUS' as const;
  readonly sampleRate: 8000 | 16000;
  /** Variable bit rate: the payload size says nothing of its duration. */
  readonly samplesPerByte = 0;
  private readonly options: OpusCodecOptions;
  private opus: OpusNativeState | null = null;
  /** 10 ms frames on their way into a code 3 packet (30 ms G.711 packets); allocated on first need. */
  private frameScratch: Uint8Array | null = null;
  private readonly frameLengths = new Int32Array(MAX_CODE3_FRAMES);
  private closed = false;
  /** Samples in 10 ms, the unit durations that are no Opus frame size (30, 50 ms…) are split into. */
  private readonly tenMs: number;
  /** Last TOC byte received, to ask the decoder for concealment in the same mode and bandwidth. */
  private lastToc = -1;
  private readonly concealPacket = new Uint8Array(1);

  constructor(options: OpusCodecOptions = {}) {
    const sampleRate = options.sampleRate ?? 16000;
    if (sampleRate !== 8000 && sampleRate !== 16000) {
      throw new DialtoneError(ErrorCodes.codecUnsupported, `Opus codec runs at 8000 or 16000 Hz, not ${String(sampleRate)}`);
    }
    this.sampleRate = sampleRate;
    this.tenMs = sampleRate / 100;
    this.options = options;
  }

  /** Whether the libopus state has been allocated (it is, on first use). */
  get isAllocated(): boolean {
    return this.opus !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Decodes one Opus packet into mono PCM at `sampleRate`; returns samples written (at most
   * `out.length`: a longer packet is cut). Throws `mediaPacketMalformed` on an empty packet or one
   * libopus rejects (RFC 6716 §3.4).
   */
  decode(payload: Uint8Array, out: Int16Array): number {
    // RFC 7587 §4.2: a packet holds at least its TOC byte. (libopus would read an empty one as a loss
    // as long as the handler's whole buffer: 2880 samples, 180 ms at 16 kHz.)
    if (payload.length === 0) throw new DialtoneError(ErrorCodes.mediaPacketMalformed, 'empty Opus packet');
    const samples = this.state().decode(payload, out);
    if (samples < 0) throw new DialtoneError(ErrorCodes.mediaPacketMalformed, `Opus packet rejected (libopus error ${samples})`);
    this.lastToc = (payload[0] as number) & 0xfc;
    return Math.min(samples, out.length);
  }

  /**
   * Packet loss concealment for one missing packet of `out.length` samples (RFC 6716 §4.4). A packet
   * that is a lone TOC byte holds one zero-length frame, which libopus conceals for exactly that
   * frame's duration, in the mode and bandwidth of the last packet received; so the lost time is
   * filled frame by frame without disturbing the decoder's sense of time (`opus_decode` with no data
   * would conceal the 2880 samples of the buffer opusscript's handler passes it: 180 ms at 16 kHz).
   * Silence before any packet arrived. Returns `out.length`.
   */
  conceal(out: Int16Array): number {
    if (this.lastToc < 0) {
      this.checkOpen();
      out.fill(0);
      return out.length;
    }
    const opus = this.state();
    let written = 0;
    while (written < out.length) {
      // The longest frame of the last packet's mode that still fits what is missing (RFC 6716 §3.1).
      const remaining = out.length - written;
      this.concealPacket[0] = concealToc(this.lastToc, (remaining * 10000) / this.sampleRate);
      const samples = opus.decode(this.concealPacket, out.subarray(written));
      if (samples <= 0) break;
      written += Math.min(samples, remaining);
    }
    if (written < out.length) out.fill(0, written);
    return out.length;
  }

  /**
   * Encodes `pcm` (mono, at `sampleRate`) as one Opus packet into `out`; returns bytes written.
   * Durations that are an Opus frame size (2.5–60 ms, 80–120 ms) are one encoder call; other multiples
   * of 10 ms (30 ms G.711 packets) are encoded as 10 ms frames joined in one code 3 packet (RFC 6716
   * §3.2.5). Anything else, or a packet larger than `out`, throws `codecUnsupported`.
   */
  encode(pcm: Int16Array, out: Uint8Array): number {
    const tenths = Math.round((pcm.length * 10000) / this.sampleRate);
    if ((pcm.length * 10000) % this.sampleRate === 0 && ENCODABLE_DURATIONS.has(tenths)) {
      return this.encodeFrame(pcm, out);
    }
    if (pcm.length === 0 || pcm.length % this.tenMs !== 0 || pcm.length / this.tenMs > MAX_CODE3_FRAMES || tenths > MAX_FRAME_MS * 10) {
      throw new DialtoneError(ErrorCodes.codecUnsupported, `Opus cannot encode ${pcm.length} samples at ${this.sampleRate} Hz in one packet`, {
        samples: pcm.length,
      });
    }
    return this.encodeTenMsFrames(pcm, out);
  }

  /** Frees the libopus encoder and decoder. Idempotent; the codec throws if used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opus?.free();
    this.opus = null;
  }

  private checkOpen(): void {
    if (this.closed) throw new DialtoneError(ErrorCodes.internal, 'Opus codec used after close()');
  }

  /** The libopus state, allocated on first use and configured once. */
  private state(): OpusNativeState {
    if (this.opus !== null) return this.opus;
    this.checkOpen();
    const options = this.options;
    const opus = new OpusNativeState(this.sampleRate, OPUS_APPLICATION_VOIP);
    const settings: Array<[number, number]> = [
      [OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE],
      [OPUS_SET_BITRATE, options.bitrate ?? (this.sampleRate === 16000 ? 24000 : 12000)],
      [OPUS_SET_COMPLEXITY, options.complexity ?? 5],
      [OPUS_SET_VBR, options.cbr === true ? 0 : 1],
      [OPUS_SET_INBAND_FEC, options.inbandFec === true ? 1 : 0],
      [OPUS_SET_PACKET_LOSS_PERC, options.packetLossPercent ?? (options.inbandFec === true ? 10 : 0)],
      [OPUS_SET_DTX, options.dtx === true ? 1 : 0],
    ];
    for (const [request, value] of settings) {
      const status = opus.encoderCtl(request, value);
      if (status < 0) {
        opus.free();
        throw new DialtoneError(ErrorCodes.codecUnsupported, `Opus encoder rejected setting ${request}=${value} (libopus error ${status})`);
      }
    }
    this.opus = opus;
    return opus;
  }

  /** One encoder call for a valid Opus frame size. */
  private encodeFrame(pcm: Int16Array, out: Uint8Array): number {
    let length: number;
    try {
      length = this.state().encode(pcm, out);
    } catch (error) {
      throw new DialtoneError(ErrorCodes.codecUnsupported, String(error));
    }
    if (length < 0) throw new DialtoneError(ErrorCodes.codecUnsupported, `Opus encoder failed (libopus error ${length})`);
    return length;
  }

  /** 30, 50, 70… ms: 10 ms frames in one code 3 VBR packet, which needs them all in one configuration. */
  private encodeTenMsFrames(pcm: Int16Array, out: Uint8Array): number {
    const count = pcm.length / this.tenMs;
    // Each 10 ms frame comes back as a code 0 packet: its TOC byte, then the frame.
    const scratch = (this.frameScratch ??= new Uint8Array(OPUS_MAX_FRAME_BYTES * MAX_CODE3_FRAMES));
    const lengths = this.frameLengths;
    let toc = -1;
    let used = 0;
    let size = 2;
    for (let i = 0; i < count; i++) {
      const length = this.encodeFrame(pcm.subarray(i * this.tenMs, (i + 1) * this.tenMs), scratch.subarray(used, used + OPUS_MAX_FRAME_BYTES));
      const frameToc = scratch[used] as number;
      if (i === 0) toc = frameToc & 0xfc;
      if ((frameToc & 3) !== 0 || (frameToc & 0xfc) !== toc) {
        throw new DialtoneError(ErrorCodes.codecUnsupported, 'Opus encoder changed configuration within one packet');
      }
      lengths[i] = length - 1;
      if (i < count - 1) size += length - 1 < 252 ? 1 : 2;
      size += length - 1;
      used += length;
    }
    if (size > out.length) throw new DialtoneError(ErrorCodes.codecUnsupported, `Opus packet of ${size} bytes exceeds ${out.length}`);
    // RFC 6716 §3.2.5: TOC with c=3, then v=1 (VBR), p=0, M=count; then each frame's length but the last.
    out[0] = toc | 3;
    out[1] = 0x80 | count;
    let offset = 2;
    for (let i = 0; i < count - 1; i++) offset = writeFrameLength(lengths[i] as number, out, offset);
    let from = 0;
    for (let i = 0; i < count; i++) {
      const length = lengths[i] as number;
      out.set(scratch.subarray(from + 1, from + 1 + length), offset);
      offset += length;
      from += length + 1;
    }
    return offset;
  }
}

/** RFC 6716 §3.2.1: a frame length below 252 is one byte; otherwise two, as 252 + b0 + 4·b1. */
function writeFrameLength(length: number, out: Uint8Array, offset: number): number {
  if (length < 252) {
    out[offset] = length;
    return offset + 1;
  }
  const first = 252 + ((length - 252) & 3);
  out[offset] = first;
  out[offset + 1] = (length - first) >> 2;
  return offset + 2;
}

/** A code 0 TOC in the mode and bandwidth of `lastToc`, for the longest frame of that mode ≤ `tenthsMs`. */
function concealToc(lastToc: number, tenthsMs: number): number {
  const config = lastToc >> 3;
  const stereo = lastToc & 0x04;
  const durations = config < 12 ? [100, 200, 400, 600] : config < 16 ? [100, 200] : [25, 50, 100, 200];
  let pick = 0;
  for (let i = 0; i < durations.length; i++) if ((durations[i] as number) <= tenthsMs) pick = i;
  const base = config < 12 ? config & ~3 : config < 16 ? config & ~1 : config & ~3;
  return ((base + pick) << 3) | stereo;
}

