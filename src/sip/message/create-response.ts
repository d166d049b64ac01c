/**
 * RFC 3261 §8.2.6: building a response to a request, and the stateless answer to one that failed to parse.
 */
import { noBytes, randomToken } from '../../kernel/index.js';
import type { HeaderField, SipRequest, SipResponse } from './types.js';
import type { SipParseError } from './parse-message.js';
import { reasonPhrase } from './reason-phrases.js';
import { copyNameAddr, copyVia } from './copy-fields.js';
import { ParamList } from './param-list.js';

export interface CreateResponseOptions {
  /** RFC 3261 §8.2.6.2: the UAS's tag, added to To when the request's To has none. */
  toTag?: string;
  headers?: HeaderField[];
  body?: Buffer;
  contentType?: string;
}

/** RFC 3261 §12.1.1: methods whose 101–299 responses establish a dialog (with RFC 6665 §4.2 and RFC 3515 §2.4.1). */
const dialogCreatingMethods: ReadonlySet<string> = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/**
 * RFC 3261 §8.2.6.2: "the From field of the response MUST equal the From header field of the request.
 * The Call-ID … MUST equal … The CSeq … MUST equal … The Via header field values … MUST equal the Via
 * header field values in the request and MUST maintain the same ordering." To is copied, and the UAS
 * adds its tag when the request's To had none. The copies are deep, so the response can be changed
 * without touching the request.
 */
export function createResponse(request: SipRequest, status: number, reason?: string, options: CreateResponseOptions = {}): SipResponse {
  const to = copyNameAddr(request.to);
  if (options.toTag !== undefined && !to.params.has('tag')) to.params.set('tag', options.toTag);
  const headers: HeaderField[] = [];
  if (status === 100) {
    // RFC 3261 §8.2.6.1: a Timestamp in the request MUST be copied into the 100 (Trying) response.
    for (const header of request.headers) if (header.name === 'Timestamp') headers.push({ ...header });
  }
  if (options.headers !== undefined) headers.push(...options.headers.map((header) => ({ ...header })));
  const response: SipResponse = {
    kind: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    via: request.via.map(copyVia),
    from: copyNameAddr(request.from),
    to,
    callId: request.callId,
    cseq: { ...request.cseq },
    headers,
    body: options.body ?? noBytes,
  };
  // RFC 3261 §12.1.1: "When a UAS responds to a request with a response that establishes a dialog …
  // the UAS MUST copy all Record-Route header field values from the request into the response".
  if (request.recordRoute !== undefined && status > 100 && status < 300 && dialogCreatingMethods.has(request.method)) {
    response.recordRoute = request.recordRoute.map(copyNameAddr);
  }
  if (options.contentType !== undefined) response.contentType = options.contentType;
  return response;
}

/**
 * The answer RFC 3261 wants to a request that failed to parse (400, 505, …), built from the essentials
 * that did parse. undefined when it cannot be answered: a response (RFC 3261 §18.1.2 / RFC 4475
 * §3.1.2.5: dropped), an ACK (RFC 3261 §17: never answered), or essentials missing, since a response
 * without Via, From, To, Call-ID and CSeq could not reach nor match anything (§8.2.6.2).
 */
export function createErrorResponse(error: SipParseError): SipResponse | undefined {
  if (!error.isRequest) return undefined;
  const { via, from, to, callId, cseq, method } = error.partial;
  if (method === 'ACK' || cseq?.method === 'ACK') return undefined;
  if (via === undefined || via.length === 0 || from === undefined || to === undefined || callId === undefined || cseq === undefined) {
    return undefined;
  }
  const request: SipRequest = {
    kind: 'request',
    method: method ?? cseq.method,
    // createResponse reads neither the Request-URI nor the method beyond Record-Route copying, which a
    // request without a parsed Record-Route never triggers; the URI only completes the type.
    uri: { scheme: 'sip', host: via[0]!.host, params: new ParamList(), headers: [] },
    via,
    from,
    to,
    callId,
    cseq,
    headers: [],
    body: noBytes,
  };
  // RFC 3261 §8.2.6.2: the UAS adds a tag to To on every response but 100; a stateless 400 needs one too.
  return createResponse(request, error.status, error.reason, { toTag: randomToken() });
}
