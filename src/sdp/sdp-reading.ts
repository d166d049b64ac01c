import { isIP } from 'node:net';
import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { ErrorCodes } from '../kernel/index.js';
import { findCodecByEncoding, findCodecByStaticPayloadType, TELEPHONE_EVENT, type CodecInfo } from '../media/codec/index.js';
import { asMediaDirection, type MediaDirection } from './media-direction.js';
import type { NegotiationFailure, RemoteMediaAddress } from './sdp-types.js';

/** Shared reading of a parsed description: formats, connection, direction, failures. */

/** RTP profiles we can speak: plain RTP/AVP (RFC 3551) and its feedback variant (RFC 4585). */
export const SUPPORTED_PROTOCOLS = new Set(['RTP/AVP', 'RTP/AVPF']);

/** One entry of an m-line's format list, resolved through a=rtpmap or RFC 3551's static table. */
export interface OfferedFormat {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  codec: CodecInfo | undefined;
  telephoneEvent: boolean;
  fmtp: string | null;
}

export function failure(status: 488 | 400, reason: string, warning: 304 | 305 | 399 = 399): NegotiationFailure {
  return { ok: false, status, code: status === 400 ? ErrorCodes.sdpMalformed : ErrorCodes.sdpNotAcceptable, reason, warning };
}

/** Parses and checks the lines RFC 4566 §5 requires (v=, o=, and per m-line a port and formats). */
export function parseDescription(sdp: string): SessionDescription | NegotiationFailure {
  let session: SessionDescription;
  try {
    session = parse(sdp);
  } catch (error) {
    return failure(400, `SDP does not parse: ${(error as Error).message}`);
  }
  if (session.version !== 0) return failure(400, 'SDP lacks v=0 (RFC 4566 §5.1)');
  if (session.origin === undefined || session.origin.sessionVersion === undefined) {
    return failure(400, 'SDP lacks a valid o= line (RFC 4566 §5.2)');
  }
  if (!Array.isArray(session.media) || session.media.length === 0) return failure(488, 'SDP has no m= line', 304);
  for (const media of session.media) {
    if (!Number.isInteger(media.port) || typeof media.protocol !== 'string') {
      return failure(400, 'SDP has a malformed m= line (RFC 4566 §5.14)');
    }
  }
  return session;
}

export function isFailure(value: unknown): value is NegotiationFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

export function payloadTypes(media: MediaDescription): number[] {
  return String(media.payloads ?? '')
    .split(' ')
    .filter((token) => token !== '')
    .map(Number)
    .filter((pt) => Number.isInteger(pt) && pt >= 0 && pt <= 127);
}

/** The m-line's formats in order, each named by its rtpmap or, for static types, RFC 3551 Table 4. */
export function readFormats(media: MediaDescription): OfferedFormat[] {
  return payloadTypes(media).map((payloadType) => {
    const rtpmap = (media.rtp ?? []).find((entry) => entry.payload === payloadType);
    const fmtp = (media.fmtp ?? []).find((entry) => entry.payload === payloadType)?.config ?? null;
    if (rtpmap !== undefined) {
      const clockRate = rtpmap.rate ?? 8000;
      return {
        payloadType,
        encodingName: rtpmap.codec,
        clockRate,
        codec: findCodecByEncoding(rtpmap.codec, clockRate),
        telephoneEvent: rtpmap.codec.toLowerCase() === TELEPHONE_EVENT.encodingName,
        fmtp,
      };
    }
    // RFC 3264 §5.1: static payload types may appear without rtpmap.
    const codec = payloadType < 96 ? findCodecByStaticPayloadType(payloadType) : undefined;
    return {
      payloadType,
      encodingName: codec?.encodingName ?? '',
      clockRate: codec?.clockRate ?? 0,
      codec,
      telephoneEvent: false,
      fmtp,
    };
  });
}

/** a=direction at media level, else session level, else sendrecv (RFC 3264 §5.1). */
export function readDirection(session: SessionDescription, media: MediaDescription): MediaDirection {
  return asMediaDirection(media.direction) ?? asMediaDirection(session.direction) ?? 'sendrecv';
}

/** a=ptime at media level; some peers write it at session level, which we accept too. */
export function readPtime(session: SessionDescription, media: MediaDescription): number | undefined {
  const ptime = media.ptime ?? (session as { ptime?: number }).ptime;
  return typeof ptime === 'number' && ptime > 0 && ptime <= 200 ? ptime : undefined;
}

/** The RTP/RTCP destination: media-level c= else session-level c= (RFC 4566 §5.7). */
export function readRemoteAddress(session: SessionDescription, media: MediaDescription): RemoteMediaAddress | undefined {
  const connection = media.connection ?? session.connection;
  if (connection === undefined || typeof connection.ip !== 'string') return undefined;
  // c= may carry a multicast TTL ("224.2.1.1/127"); unicast telephony never does, but strip it safely.
  const address = connection.ip.split('/')[0] as string;
  const family = connection.version === 6 || isIP(address) === 6 ? 'IP6' : 'IP4';
  const rtcp = media.rtcp;
  return {
    address,
    family,
    port: media.port,
    rtcpAddress: rtcp?.address ?? address,
    rtcpPort: rtcp?.port ?? media.port + 1,
  };
}

/** RFC 3264 §8.4 / RFC 2543: c=0.0.0.0 is the old way to put a stream on hold (IPv4 only). */
export function isNullAddress(address: string): boolean {
  return address === '0.0.0.0';
}

/** c= line family for an address we write. */
export function addressFamily(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}
