import { TELEPHONE_EVENT, type CodecName } from '../media/codec/index.js';
import { type SessionOrigin, sessionSkeleton, usableCodecs } from './create-offer.js';
import { intersectDirections, mirrorDirection, type MediaDirection } from './media-direction.js';
import {
  failure,
  isFailure,
  isNullAddress,
  parseDescription,
  readDirection,
  readFormats,
  readPtime,
  readRemoteAddress,
  SUPPORTED_PROTOCOLS,
  type OfferedFormat,
} from './sdp-reading.js';
import type { AnswerResult, NegotiatedMedia, NegotiationFailure } from './sdp-types.js';
import { writeDescription, type WrittenMedia } from './write-description.js';

export interface AnswerOptions extends SessionOrigin {
  /** Our RTP address (IPv4 or IPv6) and port. */
  address: string;
  port: number;
  /**
   * Codecs we accept. G.711, G.722 and Opus can be transcoded; G.729 only passes through, so include
   * it only when the other leg speaks it too, or give `otherLegCodecs` and let this function check.
   */
  codecs: readonly CodecName[];
  /** a=ptime we ask for in the answer; defaults to the ptime chosen for sending. */
  ptimeMs?: number;
  /** What we want (e.g. sendonly when we hold); intersected with the mirror of the offer. */
  direction?: MediaDirection;
  /** Accept RFC 4733 telephone-event when offered (default true). */
  telephoneEvent?: boolean;
  /**
   * Codecs the other leg of the call speaks, when known: a codec without an in-process codec (G.729)
   * in `codecs` is then accepted only if the other leg speaks it too, so an offer that would need it
   * transcoded falls to the next common codec, or is refused with 488. Transcodable codecs (G.711,
   * G.722, Opus) are unaffected.
   */
  otherLegCodecs?: readonly CodecName[];
  /**
   * Our a=fmtp per codec in the answer, overriding the catalogue's (Opus: `minptime=10;useinbandfec=1`,
   * RFC 7587 §7.1: each side declares what it receives; e.g. the other leg's when Opus passes
   * through); null for none. Codecs with neither echo the offer's (G.729 `annexb`).
   */
  fmtp?: Partial<Record<CodecName, string | null>>;
}

/**
 * Answers an SDP offer (RFC 3264 §6): keeps every m-line in the offer's order; uses the first audio
 * stream over RTP/AVP(F) with a format we accept and rejects the others with port 0 (§6); picks the
 * first of the offer's codecs that we support (§6.1: the offerer's preference order); accepts
 * telephone-event at the codec's clock rate; mirrors the direction (sendonly ↔ recvonly, §6.1) and
 * treats c=0.0.0.0 as hold (§8.4).
 */
export function negotiateAnswer(offerSdp: string, options: AnswerOptions): AnswerResult {
  const negotiated = negotiateOffer(offerSdp, options);
  if (!negotiated.ok) return negotiated;
  return { ok: true, answerSdp: negotiated.writeAnswer(options.port), media: negotiated.media };
}

/** The outcome of an offer before our port is known: what was chosen, and the answer once it is. */
export type OfferNegotiation = { ok: true; media: NegotiatedMedia; writeAnswer(port: number): string } | NegotiationFailure;

/**
 * negotiateAnswer without the port: for a caller that opens its port for the chosen codec and only
 * then writes the answer (one parse of the offer, one answer written).
 */
export function negotiateOffer(offerSdp: string, options: Omit<AnswerOptions, 'port'>): OfferNegotiation {
  const offer = parseDescription(offerSdp);
  if (isFailure(offer)) return offer;

  const answer = sessionSkeleton(options, options.address);
  const accepted = usableCodecs(options.codecs, options.otherLegCodecs);
  let chosen: NegotiatedMedia | null = null;
  let lastProblem = failure(488, 'no audio stream in the offer', 304);

  for (const [mediaIndex, media] of offer.media.entries()) {
    const rejected: WrittenMedia = {
      type: media.type,
      port: 0,
      protocol: media.protocol,
      // §6: a rejected stream still lists at least one format; echo the offer's.
      payloads: String(media.payloads ?? '0'),
      rtp: [],
      fmtp: [],
    };
    if (chosen !== null || media.type !== 'audio' || media.port === 0) {
      answer.media.push(rejected);
      continue;
    }
    if (!SUPPORTED_PROTOCOLS.has(media.protocol)) {
      lastProblem = failure(488, `transport ${media.protocol} not supported (no SRTP or DTLS)`, 304);
      answer.media.push(rejected);
      continue;
    }
    const remote = readRemoteAddress(offer, media);
    if (remote === undefined) {
      lastProblem = failure(400, `m-line ${mediaIndex} has no c= line (RFC 4566 §5.7)`);
      answer.media.push(rejected);
      continue;
    }
    const formats = readFormats(media);
    // §6.1: the answerer's codec is the first of the offer's formats it supports.
    const codecFormat = formats.find((f) => f.codec !== undefined && accepted.includes(f.codec.name));
    if (codecFormat === undefined || codecFormat.codec === undefined) {
      const offered = formats.filter((f) => !f.telephoneEvent).map((f) => f.encodingName || String(f.payloadType));
      const passOnly = options.codecs.filter((name) => !accepted.includes(name));
      const why = passOnly.length > 0 ? ` (${passOnly.join(', ')} only pass through and the other leg lacks ${passOnly.length > 1 ? 'them' : 'it'})` : '';
      lastProblem = failure(488, `no common codec: offered ${offered.join(', ')}; accepted ${accepted.join(', ')}${why}`, 305);
      answer.media.push(rejected);
      continue;
    }
    const codec = codecFormat.codec;
    const eventFormat: OfferedFormat | undefined =
      options.telephoneEvent === false ? undefined : formats.find((f) => f.telephoneEvent && f.clockRate === codec.clockRate);

    const remoteHold = isNullAddress(remote.address);
    let offered = readDirection(offer, media);
    // RFC 2543 hold: the offerer will not receive, whatever the attribute says.
    if (remoteHold) offered = intersectDirections(offered, 'sendonly');
    const direction = intersectDirections(mirrorDirection(offered), options.direction ?? 'sendrecv');
    const ptimeMs = readPtime(offer, media) ?? codec.ptimeMs;

    // RFC 7587 §7.1: Opus parameters declare what each side receives, so the answer states ours;
    // codecs without parameters of ours echo the offer's (RFC 3264 §6.1).
    const override = options.fmtp?.[codec.name];
    const answerFmtp = override !== undefined ? override : (codec.fmtp ?? codecFormat.fmtp);
    const acceptedMedia: WrittenMedia = {
      type: 'audio',
      port: 0,
      protocol: media.protocol,
      payloads: [codecFormat.payloadType, ...(eventFormat ? [eventFormat.payloadType] : [])].join(' '),
      rtp: [
        // §6.1: answer with the offer's payload type numbers.
        {
          payload: codecFormat.payloadType,
          codec: codec.encodingName,
          rate: codec.clockRate,
          ...(codec.channels > 1 ? { encoding: codec.channels } : {}),
        },
      ],
      fmtp: answerFmtp !== null ? [{ payload: codecFormat.payloadType, config: answerFmtp }] : [],
      ptime: options.ptimeMs ?? ptimeMs,
      direction,
    };
    if (eventFormat !== undefined) {
      acceptedMedia.rtp.push({ payload: eventFormat.payloadType, codec: TELEPHONE_EVENT.encodingName, rate: eventFormat.clockRate });
      acceptedMedia.fmtp.push({ payload: eventFormat.payloadType, config: TELEPHONE_EVENT.defaultEvents });
    }
    answer.media.push(acceptedMedia);
    chosen = {
      codec: {
        name: codec.name,
        payloadType: codecFormat.payloadType,
        clockRate: codec.clockRate,
        sampleRate: codec.sampleRate,
        channels: codec.channels,
        ptimeMs,
        fmtp: codecFormat.fmtp,
      },
      telephoneEventPayloadType: eventFormat?.payloadType ?? null,
      remote,
      direction,
      remoteHold: remoteHold || offered === 'sendonly' || offered === 'inactive',
      mediaIndex,
      remoteOrigin: {
        username: offer.origin.username,
        sessionId: String(offer.origin.sessionId),
        sessionVersion: String(offer.origin.sessionVersion),
      },
    };
  }

  if (chosen === null) return lastProblem;
  // The answer keeps the offer's m-lines in order (§6), so the accepted one is at the chosen index.
  const ourLine = answer.media[chosen.mediaIndex]!;
  return {
    ok: true,
    media: chosen,
    writeAnswer: (port: number) => {
      ourLine.port = port;
      return writeDescription(answer);
    },
  };
}
