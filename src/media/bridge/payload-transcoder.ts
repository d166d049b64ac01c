/**
 * Where transcoding plugs into a bridge whose legs negotiated different codecs. The bridge asks for
 * one transcoder per direction, from the inbound leg's format to the outbound leg's; the codec
 * module's `Transcoder` (decode to linear PCM, resample if needed, encode) has this shape.
 */
import type { MediaFormat } from '../port/media-port.js';

export interface PayloadTranscoder {
  /** Converts one RTP payload; the result may be a view the transcoder reuses on its next call. */
  transcode(payload: Uint8Array): Uint8Array;
  /** Releases codec state that outlives the garbage collector (Opus's WebAssembly memory). */
  close?(): void;
}

/** Returns the transcoder for one direction, or undefined when the pair cannot be converted. */
export type TranscoderFactory = (from: Readonly<MediaFormat>, to: Readonly<MediaFormat>) => PayloadTranscoder | undefined;
