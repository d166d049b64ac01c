import { DialtoneError, ErrorCodes } from '../kernel/index.js';
import { findCodec, TELEPHONE_EVENT, type CodecInfo, type CodecName } from '../media/codec/index.js';
import type { MediaDirection } from './media-direction.js';
import { addressFamily } from './sdp-reading.js';
import { writeDescription, type WrittenDescription, type WrittenMedia } from './write-description.js';

/** Twilio's default for SIP when markup names no codecs; G.729 is never offered unless asked. */
export const DEFAULT_OFFER_CODECS: readonly CodecName[] = ['PCMU', 'PCMA'];

export interface SessionOrigin {
  /** o= session id (RFC 4566 §5.2): numeric string, stable for the dialog. */
  sessionId: string | number;
  /** o= version: incremented each time the description changes (RFC 3264 §8). */
  sessionVersion: number;
  /** o= username; "-" when there is none (RFC 4566 §5.2). */
  username?: string;
  /** s= line. */
  sessionName?: string;
}

export interface OfferOptions extends SessionOrigin {
  /** Our RTP address (IPv4 or IPv6) and port. */
  address: string;
  port: number;
  /** Codecs to offer, in preference order: the markup `codecs` attribute's order wins. */
  codecs: readonly CodecName[];
  /** a=ptime to ask for (RFC 4566 §6); omitted when undefined. */
  ptimeMs?: number;
  direction?: MediaDirection;
  /** Offer RFC 4733 telephone-event (default true). */
  telephoneEvent?: boolean;
  /**
   * How to put the stream on hold when `direction` is sendonly or inactive: `rfc3264` uses the
   * attribute only (RFC 3264 §8.4); `rfc2543` also writes c=0.0.0.0 for peers that predate it.
   */
  holdStyle?: 'rfc3264' | 'rfc2543';
  /**
   * Codecs the other leg of the call speaks, when known. A codec without an in-process codec (G.729)
   * is then offered only if the other leg speaks it too, since it can only pass through untranscoded.
   */
  otherLegCodecs?: readonly CodecName[];
  /**
   * Our a=fmtp per codec, overriding the catalogue's (Opus: `minptime=10;useinbandfec=1`); null for
   * none. E.g. the other leg's Opus parameters when Opus passes through.
   */
  fmtp?: Partial<Record<CodecName, string | null>>;
}

/**
 * The codecs of `codecs` this leg may use given the other leg's: transcodable ones always, the others
 * (G.729) only when the other leg speaks them too. Without `otherLegCodecs`, all of `codecs`.
 */
export function usableCodecs(codecs: readonly CodecName[], otherLegCodecs: readonly CodecName[] | undefined): CodecName[] {
  if (otherLegCodecs === undefined) return [...codecs];
  const other = new Set(otherLegCodecs.map((name) => findCodec(name)?.name ?? name));
  return codecs.filter((name) => {
    const info = findCodec(name);
    return info === undefined || info.transcodable || other.has(info.name);
  });
}

/** The a=fmtp we write for `codec` in an offer: the caller's override, else the catalogue's. */
function ourFmtp(codec: CodecInfo, overrides: OfferOptions['fmtp']): string | null {
  const override = overrides?.[codec.name];
  return override !== undefined ? override : codec.fmtp;
}

/** Our payload type plan for an offer: codecs first, then one telephone-event per clock rate. */
interface OfferedPayloads {
  codecs: Array<{ codec: CodecInfo; payloadType: number }>;
  telephoneEvents: Array<{ clockRate: number; payloadType: number }>;
}

/** Allocates payload types: static ones as RFC 3551 Table 4, dynamic ones from 96-127 (RFC 3551 §3). */
function planOfferPayloads(codecs: readonly CodecName[], telephoneEvent: boolean): OfferedPayloads {
  const used = new Set<number>();
  const take = (preferred: number): number => {
    let pt = preferred;
    if (used.has(pt)) {
      pt = 96;
      while (used.has(pt) && pt < 127) pt++;
    }
    used.add(pt);
    return pt;
  };
  const infos: CodecInfo[] = [];
  for (const name of codecs) {
    const info = findCodec(name);
    if (info === undefined) throw new DialtoneError(ErrorCodes.codecUnsupported, `unknown codec ${name}`, { codec: name });
    if (!infos.includes(info)) infos.push(info);
  }
  if (infos.length === 0) throw new DialtoneError(ErrorCodes.sdpNotAcceptable, 'an offer needs at least one codec');
  for (const info of infos) if (info.staticPayloadType !== null) used.add(info.staticPayloadType);
  const planned = infos.map((codec) => ({ codec, payloadType: codec.staticPayloadType ?? take(codec.defaultPayloadType) }));
  const telephoneEvents: OfferedPayloads['telephoneEvents'] = [];
  if (telephoneEvent) {
    // RFC 4733 §7.1.1: telephone-event uses the clock rate of the audio it goes with.
    for (const clockRate of new Set(infos.map((info) => info.clockRate))) {
      telephoneEvents.push({ clockRate, payloadType: take(clockRate === 8000 ? TELEPHONE_EVENT.defaultPayloadType : 110) });
    }
  }
  return { codecs: planned, telephoneEvents };
}

/** Writes the session-level lines shared by offers and answers. */
export function sessionSkeleton(origin: SessionOrigin, address: string): WrittenDescription {
  const ipVer = addressFamily(address);
  return {
    origin: {
      username: origin.username ?? 'dialtone',
      sessionId: String(origin.sessionId),
      sessionVersion: origin.sessionVersion,
      netType: 'IN',
      ipVer,
      address,
    },
    name: origin.sessionName ?? 'Dialtone',
    connection: { version: ipVer, ip: address },
    timing: { start: 0, stop: 0 },
    media: [],
  };
}

/** Builds an SDP offer with one audio stream (RFC 3264 §5). */
export function createOffer(options: OfferOptions): string {
  const codecs = usableCodecs(options.codecs, options.otherLegCodecs);
  if (codecs.length === 0 && options.codecs.length > 0) {
    throw new DialtoneError(ErrorCodes.sdpNotAcceptable, `none of ${options.codecs.join(', ')} can reach the other leg (${(options.otherLegCodecs ?? []).join(', ')})`);
  }
  const plan = planOfferPayloads(codecs, options.telephoneEvent ?? true);
  const description = sessionSkeleton(options, options.address);
  const direction = options.direction ?? 'sendrecv';
  const onHold = direction === 'sendonly' || direction === 'inactive';
  if (onHold && options.holdStyle === 'rfc2543' && addressFamily(options.address) === 4) {
    description.connection = { version: 4, ip: '0.0.0.0' };
  }
  const media: WrittenMedia = {
    type: 'audio',
    port: options.port,
    protocol: 'RTP/AVP',
    payloads: [...plan.codecs.map((c) => c.payloadType), ...plan.telephoneEvents.map((t) => t.payloadType)].join(' '),
    rtp: [],
    fmtp: [],
    direction,
  };
  for (const { codec, payloadType } of plan.codecs) {
    media.rtp.push({
      payload: payloadType,
      codec: codec.encodingName,
      rate: codec.clockRate,
      ...(codec.channels > 1 ? { encoding: codec.channels } : {}),
    });
    const fmtp = ourFmtp(codec, options.fmtp);
    if (fmtp !== null) media.fmtp.push({ payload: payloadType, config: fmtp });
  }
  for (const { clockRate, payloadType } of plan.telephoneEvents) {
    media.rtp.push({ payload: payloadType, codec: TELEPHONE_EVENT.encodingName, rate: clockRate });
    media.fmtp.push({ payload: payloadType, config: TELEPHONE_EVENT.defaultEvents });
  }
  if (options.ptimeMs !== undefined) media.ptime = options.ptimeMs;
  description.media.push(media);
  return writeDescription(description);
}
