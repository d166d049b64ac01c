import type { CodecName } from '../media/codec/index.js';
import type { MediaDirection } from './media-direction.js';

/** The codec both sides agreed on for one RTP stream. */
export interface ChosenCodec {
  name: CodecName;
  payloadType: number;
  /** RTP timestamp rate (8000 for G.722, RFC 3551 §4.5.2). */
  clockRate: number;
  /** PCM sampling rate of the decoded audio. */
  sampleRate: number;
  channels: number;
  /** Packetisation to send with: the peer's a=ptime, else the codec default (RFC 3264 §5.1 / RFC 4566 §6). */
  ptimeMs: number;
  /** The a=fmtp parameters for this payload type, if any (G.729 annexb, Opus settings). */
  fmtp: string | null;
}

/** Where to send RTP and RTCP. */
export interface RemoteMediaAddress {
  address: string;
  family: 'IP4' | 'IP6';
  port: number;
  /** From a=rtcp (RFC 3605), else RTP port + 1 on the same address (RFC 3550 §11). */
  rtcpAddress: string;
  rtcpPort: number;
}

/** The result of an offer/answer exchange: what the media engine needs, and no socket. */
export interface NegotiatedMedia {
  codec: ChosenCodec;
  /** RFC 4733 telephone-event payload type agreed (with the codec's clock rate), or null: in-band DTMF. */
  telephoneEventPayloadType: number | null;
  remote: RemoteMediaAddress;
  /** Our direction: whether we may send and should expect to receive. */
  direction: MediaDirection;
  /** The peer asked us not to send (a=sendonly / a=inactive, or the RFC 2543 c=0.0.0.0 hold). */
  remoteHold: boolean;
  /** Index of the audio m-line used. */
  mediaIndex: number;
  /**
   * The peer's o= line: an unchanged version means an unchanged description (RFC 3264 §8). Both numbers
   * may be 64-bit (RFC 4566 §5.2), so they are kept as decimal strings.
   */
  remoteOrigin: { username: string; sessionId: string; sessionVersion: string };
}

/** Why negotiation failed, shaped for the SIP answer (RFC 3261 §21.4.26 and §20.43 Warning codes). */
export interface NegotiationFailure {
  ok: false;
  /** 488 Not Acceptable Here, or 400 Bad Request for an SDP that does not parse. */
  status: 488 | 400;
  /** ErrorCodes.sdpNotAcceptable or ErrorCodes.sdpMalformed. */
  code: number;
  reason: string;
  /** RFC 3261 §20.43: 304 media type not available, 305 incompatible media format, 399 miscellaneous. */
  warning: 304 | 305 | 399;
}

export type AnswerResult = { ok: true; answerSdp: string; media: NegotiatedMedia } | NegotiationFailure;
export type ParseAnswerResult = { ok: true; media: NegotiatedMedia } | NegotiationFailure;

export type { MediaDirection };
