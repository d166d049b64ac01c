import { noBytes } from '../../kernel/index.js';
import { copyNameAddr, copyUri, copyVia, type SipRequest, type SipResponse } from '../message/index.js';

/**
 * RFC 3261 §17.1.1.3 Construction of the ACK Request, for a non-2xx final response to an INVITE. The
 * ACK is part of the INVITE client transaction and goes to the same address, port and transport.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const topVia = invite.via[0];
  if (topVia === undefined) throw new TypeError('the INVITE has no Via');
  const ack: SipRequest = {
    kind: 'request',
    method: 'ACK',
    // "The Request-URI of the ACK request MUST be equal to the Request-URI of the original request"
    uri: copyUri(invite.uri),
    // "The ACK MUST contain a single Via header field, and this MUST be equal to the top Via header
    // field of the original request."
    via: [copyVia(topVia)],
    // "The Call-ID, From, and Request-URI ... MUST be equal to the values of those header fields in the
    // request passed to the transport by the client transaction"
    callId: invite.callId,
    from: copyNameAddr(invite.from),
    // "The To header field in the ACK MUST equal the To header field in the response being acknowledged"
    to: copyNameAddr(response.to),
    // "The CSeq header field in the ACK MUST contain the same value for the sequence number as was
    // present in the original request, but the method parameter MUST be equal to "ACK"."
    cseq: { seq: invite.cseq.seq, method: 'ACK' },
    headers: [],
    body: noBytes,
  };
  if (invite.maxForwards !== undefined) ack.maxForwards = invite.maxForwards;
  // "If the INVITE request whose response is being acknowledged had Route header fields, those header
  // fields MUST appear in the ACK. This is to ensure that the ACK can be routed properly through any
  // downstream stateless proxies."
  if (invite.route !== undefined && invite.route.length > 0) ack.route = invite.route.map(copyNameAddr);
  return ack;
}
