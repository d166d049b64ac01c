/**
 * RFC 3261 §8.2: what a UAS checks before it processes a request, in the RFC's order (method, headers,
 * content), and the response each failed check calls for.
 */
import { randomToken } from '../../kernel/index.js';
import type { HeaderField, SipRequest, SipResponse } from './types.js';
import { createResponse } from './create-response.js';
import { getHeader, getListValues } from './get-header.js';

export interface EndpointCapabilities {
  /** Methods the UAS implements, as written on the wire (RFC 3261 §8.2.1; listed in Allow). */
  methods: readonly string[];
  /** Option tags it supports (RFC 3261 §8.2.2.3). Default: none. */
  extensions?: readonly string[];
  /** Body types it understands (RFC 3261 §8.2.3), e.g. "application/sdp". Default: application/sdp. */
  contentTypes?: readonly string[];
  /** Request-URI schemes it serves (RFC 3261 §8.2.2.1). Default: sip, sips. */
  uriSchemes?: readonly string[];
  /** Content-Encodings it can decode besides identity (RFC 3261 §8.2.3). Default: none. */
  contentEncodings?: readonly string[];
  /** Body types an answer to INVITE carries (RFC 3264: the SDP answer); checked against Accept. Default: application/sdp. */
  answerContentTypes?: readonly string[];
  /**
   * Set when the element would forward the request on another leg (a B2BUA): it then applies the
   * proxy's Max-Forwards rule (RFC 3261 §16.3 item 2; RFC 7332 §3). A pure UAS ignores Max-Forwards
   * (RFC 4475 §3.3.11: "an endpoint … should process it normally").
   */
  forwards?: boolean;
}

/** RFC 3261 §7.1 and the extensions a SIP element meets: a method in this set is "recognized" (405, not 501). */
const knownMethods: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO',
  'REFER', 'MESSAGE', 'UPDATE',
]);

const defaultContentTypes = ['application/sdp'];

/** "type/subtype" of a media-type, lower-cased, without parameters. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).replace(/[ \t]/g, '').toLowerCase();
}

/** RFC 3261 §20.1: media-range = ( "*​/*" / ( m-type SLASH "*" ) / ( m-type SLASH m-subtype ) ). */
function accepts(range: string, type: string): boolean {
  const wanted = mediaType(range);
  if (wanted === '*/*' || wanted === type) return true;
  return wanted.endsWith('/*') && type.startsWith(wanted.slice(0, -1));
}

/**
 * The response a UAS sends before processing `request`, or undefined when it may proceed. ACK is never
 * answered (RFC 3261 §17), so it always "proceeds"; the caller decides whether to use or drop it.
 */
export function checkRequestAsEndpoint(request: SipRequest, options: EndpointCapabilities): SipResponse | undefined {
  if (request.method === 'ACK') return undefined;
  const allow = (): HeaderField[] => [{ name: 'Allow', value: options.methods.join(', ') }];
  // RFC 3261 §8.2.6.2: the UAS adds a tag to To in every response but 100 (Trying).
  const reject = (status: number, reason?: string, headers: HeaderField[] = []): SipResponse =>
    createResponse(request, status, reason, { toTag: randomToken(), headers });

  // RFC 3261 §8.2.1: "If the UAS recognizes but does not support the method of a request, it MUST
  // generate a 405 (Method Not Allowed) response … The UAS MUST also add an Allow header field".
  // §21.5.2: 501 "when a UAS does not recognize the request method"; RFC 4475 §3.1.1.2 lists Allow too.
  if (!options.methods.includes(request.method)) {
    const status = knownMethods.has(request.method) ? 405 : 501;
    return reject(status, undefined, allow());
  }

  // RFC 3261 §8.1.1.5 / §20.16: the CSeq method MUST match the request's. A semantic fault, checked
  // after the method so that an unknown method still gets 501 (RFC 4475 §3.1.2.17, §3.1.2.18).
  if (request.cseq.method !== request.method) {
    return reject(400, 'Bad Request (CSeq method does not match the request method)');
  }

  // RFC 3261 §16.3 item 2 (applied by an element that forwards, RFC 7332 §3): Max-Forwards 0 gets 483,
  // except OPTIONS, which the element MAY answer itself.
  if (options.forwards === true && request.maxForwards === 0 && request.method !== 'OPTIONS') {
    return reject(483);
  }

  // RFC 3261 §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the
  // request with a 416 (Unsupported URI Scheme) response."
  const schemes = options.uriSchemes ?? ['sip', 'sips'];
  if (!schemes.includes(request.uri.scheme)) return reject(416);

  // RFC 3261 §10.2 / RFC 4475 §3.3.4: a registrar rejects an address-of-record that is not a SIP or SIPS URI.
  if (request.method === 'REGISTER' && request.to.uri.scheme !== 'sip' && request.to.uri.scheme !== 'sips') {
    return reject(400, 'Bad Request (To is not a SIP or SIPS URI)');
  }

  // RFC 3261 §8.2.2.3: "If a UAS does not understand an option-tag listed in a Require header field, it
  // MUST respond by generating a response with status code 420 (Bad Extension). The UAS MUST add an
  // Unsupported header field, and list in it those options it does not understand". Require "MUST be
  // ignored" in CANCEL (and in ACK, handled above). Proxy-Require is for proxies and ignored here.
  if (request.method !== 'CANCEL') {
    const supported = new Set((options.extensions ?? []).map((tag) => tag.toLowerCase()));
    const unsupported = getListValues(request, 'Require').filter((tag) => tag !== '' && !supported.has(tag.toLowerCase()));
    if (unsupported.length > 0) {
      return reject(420, undefined, unsupported.map((tag) => ({ name: 'Unsupported', value: tag })));
    }
  }

  // RFC 3261 §8.2.3: "If a UAS does not understand the content type, encoding, or language of a
  // request's body … it MUST reject the request with a 415 (Unsupported Media Type) response. The
  // response MUST contain an Accept header field listing the types of all bodies it understands" — and
  // Accept-Encoding for an unknown encoding.
  if (request.body.length > 0) {
    const types = options.contentTypes ?? defaultContentTypes;
    // RFC 3261 §20.15: "The Content-Type header field MUST be present if the body is not empty", so a
    // body without one is of no type the UAS understands.
    const type = request.contentType === undefined ? undefined : mediaType(request.contentType);
    // RFC 3261 §20.11: with "handling=optional" the UAS may ignore a body it does not understand.
    const optional = /;[ \t]*handling[ \t]*=[ \t]*optional[ \t]*(?:;|$)/i.test(getHeader(request, 'Content-Disposition') ?? '');
    if (!optional && (type === undefined || !types.some((known) => mediaType(known) === type))) {
      return reject(415, undefined, [{ name: 'Accept', value: types.join(', ') }]);
    }
    const encodings = new Set(['identity', ...(options.contentEncodings ?? [])].map((coding) => coding.toLowerCase()));
    const unknownEncoding = getListValues(request, 'Content-Encoding').some((coding) => coding !== '' && !encodings.has(coding.toLowerCase()));
    if (unknownEncoding) {
      return reject(415, undefined, [
        { name: 'Accept-Encoding', value: [...encodings].join(', ') },
        { name: 'Accept', value: types.join(', ') },
      ]);
    }
  }

  // RFC 3261 §21.4.7 / RFC 4475 §3.3.15: the answer to an INVITE carries SDP (RFC 3264); when Accept
  // (RFC 3261 §20.1) rules that out, no acceptable response can carry it: 406 Not Acceptable.
  if (request.method === 'INVITE') {
    const ranges = getListValues(request, 'Accept');
    const answerTypes = (options.answerContentTypes ?? defaultContentTypes).map(mediaType);
    // RFC 3261 §20.1: an empty Accept means no format is acceptable; an absent one means application/sdp.
    if (ranges.length > 0 && !answerTypes.some((type) => ranges.some((range) => range !== '' && accepts(range, type)))) {
      return reject(406);
    }
  }
  return undefined;
}
