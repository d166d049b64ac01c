import { noBytes } from '../../kernel/index.js';
import { copyNameAddr, copyUri, copyVia, type HeaderField, type SipRequest } from '../message/index.js';

/**
 * RFC 3261 §9.1 Client Behavior: the CANCEL for a request sent by a client transaction. It forms its
 * own non-INVITE client transaction, matched apart from the INVITE's by its CSeq method (§17.1.3).
 * `headers` may carry a Reason header (RFC 3326) and nothing else is added.
 */
export function buildCancel(request: SipRequest, headers: HeaderField[] = []): SipRequest {
  const topVia = request.via[0];
  if (topVia === undefined) throw new TypeError('the request to cancel has no Via');
  const cancel: SipRequest = {
    kind: 'request',
    method: 'CANCEL',
    // "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the CANCEL
    // request MUST be identical to those in the request being cancelled, including tags."
    uri: copyUri(request.uri),
    callId: request.callId,
    to: copyNameAddr(request.to),
    from: copyNameAddr(request.from),
    // "the method parameter [of CSeq] MUST have a value of CANCEL"
    cseq: { seq: request.cseq.seq, method: 'CANCEL' },
    // "A CANCEL constructed by a client MUST have only a single Via header field value matching the top
    // Via value in the request being cancelled."
    via: [copyVia(topVia)],
    headers: headers.map((field) => ({ ...field })),
    body: noBytes,
  };
  if (request.maxForwards !== undefined) cancel.maxForwards = request.maxForwards;
  // "If the request being cancelled contains a Route header field, the CANCEL request MUST include that
  // Route header field's values."
  if (request.route !== undefined && request.route.length > 0) cancel.route = request.route.map(copyNameAddr);
  return cancel;
}
