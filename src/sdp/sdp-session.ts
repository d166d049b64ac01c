import { randomInt } from 'node:crypto';
import type { CodecName } from '../media/codec/index.js';
import { createOffer } from './create-offer.js';
import { type MediaDirection } from './media-direction.js';
import { negotiateAnswer } from './negotiate-answer.js';
import { parseAnswer } from './parse-answer.js';
import { failure } from './sdp-reading.js';
import type { AnswerResult, NegotiatedMedia, ParseAnswerResult } from './sdp-types.js';

export interface SdpSessionOptions {
  address: string;
  port: number;
  /** Offer order (markup `codecs`) and, as answerer, the codecs accepted. */
  codecs: readonly CodecName[];
  ptimeMs?: number;
  telephoneEvent?: boolean;
  /** The other leg's codecs, when known: G.729 is then offered and accepted only if it speaks it too. */
  otherLegCodecs?: readonly CodecName[];
  /** Our a=fmtp per codec, overriding the catalogue's (see OfferOptions.fmtp). */
  fmtp?: Partial<Record<CodecName, string | null>>;
  /** o= session id; a random 31-bit number when omitted (RFC 4566 §5.2 suggests an NTP timestamp). */
  sessionId?: string;
  /** First o= version (default 1). */
  sessionVersion?: number;
  username?: string;
}

/**
 * One side's SDP across a dialog: the first offer or answer, re-INVITEs, hold and resume. It keeps the
 * o= line: same session id throughout, version incremented exactly when the description we send
 * changes (RFC 3264 §8: "if the SDP is unchanged, the version MUST NOT be incremented").
 */
export class SdpSession {
  readonly sessionId: string;
  private version: number;
  private sentBody: string | null = null;
  private sent: string | null = null;
  private pendingOffer: string | null = null;
  private negotiated: NegotiatedMedia | null = null;
  private localDirection: MediaDirection = 'sendrecv';
  private holdStyle: 'rfc3264' | 'rfc2543' = 'rfc3264';
  private readonly options: SdpSessionOptions;

  constructor(options: SdpSessionOptions) {
    this.options = options;
    this.sessionId = options.sessionId ?? String(randomInt(1, 2 ** 31));
    this.version = options.sessionVersion ?? 1;
  }

  /** The o= version of the last description sent. */
  get sessionVersion(): number {
    return this.version;
  }

  /** The last description sent (to repeat an early-media answer in the 200 OK, RFC 3261 §13.3.1). */
  get localSdp(): string | null {
    return this.sent;
  }

  /** The media agreed by the last completed exchange, or null. */
  get media(): NegotiatedMedia | null {
    return this.negotiated;
  }

  /** Whether we hold the peer. */
  get holding(): boolean {
    return this.localDirection !== 'sendrecv';
  }

  /** An offer for the INVITE or a re-INVITE; `codecs` overrides the session's order for this offer. */
  createOffer(codecs: readonly CodecName[] = this.options.codecs): string {
    const build = (sessionVersion: number): string =>
      createOffer({ ...this.common(sessionVersion), codecs, direction: this.offerDirection(), holdStyle: this.holdStyle });
    let offer = build(this.version);
    if (this.changes(offer)) offer = build(++this.version);
    this.record(offer);
    this.pendingOffer = offer;
    return offer;
  }

  /** Reads the answer to our pending offer (a 18x with SDP for early media, or the 2xx). */
  acceptAnswer(answerSdp: string): ParseAnswerResult {
    if (this.pendingOffer === null) return failure(400, 'no offer of ours is pending');
    const result = parseAnswer(answerSdp, this.pendingOffer);
    if (result.ok) this.negotiated = result.media;
    return result;
  }

  /** Answers an offer (initial INVITE, re-INVITE, or an offer in a 2xx for an offerless INVITE). */
  answerOffer(offerSdp: string): AnswerResult {
    const attempt = (sessionVersion: number): AnswerResult =>
      negotiateAnswer(offerSdp, { ...this.common(sessionVersion), codecs: this.options.codecs, direction: this.localDirection });
    let result = attempt(this.version);
    if (!result.ok) return result;
    if (this.changes(result.answerSdp)) result = attempt(++this.version);
    if (!result.ok) return result;
    this.record(result.answerSdp);
    this.pendingOffer = null;
    this.negotiated = result.media;
    return result;
  }

  /**
   * A re-INVITE offer putting the peer on hold: a=sendonly, or a=inactive if the peer already holds us
   * (RFC 3264 §8.4). `rfc2543` also writes c=0.0.0.0 for old peers.
   */
  hold(style: 'rfc3264' | 'rfc2543' = 'rfc3264'): string {
    this.localDirection = 'sendonly';
    this.holdStyle = style;
    return this.createOffer();
  }

  /** A re-INVITE offer taking the peer off hold. */
  resume(): string {
    this.localDirection = 'sendrecv';
    this.holdStyle = 'rfc3264';
    return this.createOffer();
  }

  /** RFC 3264 §8.4: holding a stream that is already recvonly for us (the peer holds us) makes it inactive. */
  private offerDirection(): MediaDirection {
    if (this.localDirection === 'sendonly' && this.negotiated?.remoteHold === true) return 'inactive';
    return this.localDirection;
  }

  private common(sessionVersion: number) {
    const { address, port, ptimeMs, telephoneEvent, username, otherLegCodecs, fmtp } = this.options;
    return {
      address,
      port,
      sessionId: this.sessionId,
      sessionVersion,
      ...(username !== undefined ? { username } : {}),
      ...(otherLegCodecs !== undefined ? { otherLegCodecs } : {}),
      ...(fmtp !== undefined ? { fmtp } : {}),
      ...(ptimeMs !== undefined ? { ptimeMs } : {}),
      ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    };
  }

  /** Whether `sdp` differs from the last description sent, o= line aside (so the version must grow). */
  private changes(sdp: string): boolean {
    return this.sentBody !== null && withoutOrigin(sdp) !== this.sentBody;
  }

  private record(sdp: string): void {
    this.sentBody = withoutOrigin(sdp);
    this.sent = sdp;
  }
}

/** The description less its o= line: two descriptions are the same session version when these match (RFC 3264 §8). */
export function withoutOrigin(sdp: string): string {
  return sdp.replace(/^o=.*$/m, '');
}
