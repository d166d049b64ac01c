import type { Params, SipRequest, SipResponse, SipUri, Via } from '../message/types.js';
import { isRfc3261Branch } from './branch.js';

/**
 * RFC 3261 §17.1.3: a response matches a client transaction "if the response has the same value of the
 * branch parameter in the top Via header field as the branch parameter in the top Via header field of
 * the request that created the transaction" and "the method parameter in the CSeq header field matches
 * the method of the request that created the transaction" (a CANCEL has its own transaction).
 */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/** The client key a response matches, or undefined when its top Via carries no branch. */
export function responseTransactionKey(response: SipResponse): string | undefined {
  const branch = response.via[0]?.params.get('branch');
  if (branch === undefined || branch === null || branch === '') return undefined;
  return clientTransactionKey(branch, response.cseq.method);
}

/**
 * RFC 3261 §17.2.3: the server transaction a request belongs to.
 * - With an RFC 3261 branch (magic cookie): "the branch parameter in the request is equal to the one in
 *   the top Via header field of the request that created the transaction", "the sent-by value in the top
 *   Via of the request is equal to the one in the request that created the transaction", and "the method
 *   of the request matches the one that created the transaction, except for ACK, where the method of the
 *   request that created the transaction is INVITE."
 * - Otherwise (RFC 2543 peers): Request-URI, From tag, Call-ID, CSeq number, method and top Via. The To
 *   tag is compared by the caller (`rfc2543ToTag`), since an ACK's must equal the tag of the response.
 * `methodOverride` looks up the transaction of another method (CANCEL → INVITE, RFC 3261 §9.2).
 */
export function serverTransactionKey(request: SipRequest, methodOverride?: string): string | undefined {
  const via = request.via[0];
  if (via === undefined) return undefined;
  const method = methodOverride ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = via.params.get('branch');
  if (isRfc3261Branch(branch)) return ['3261', branch, sentBy(via), method].join('\u0000');
  return [
    '2543',
    uriKey(request.uri),
    request.from.params.get('tag') ?? '',
    request.callId,
    String(request.cseq.seq),
    method,
    viaKey(via),
  ].join('\u0000');
}

/** True when the request is matched by the RFC 2543 procedure (its top Via lacks the magic cookie). */
export function usesRfc2543Matching(request: SipRequest): boolean {
  return !isRfc3261Branch(request.via[0]?.params.get('branch'));
}

/** The request's To tag, '' when absent. */
export function toTagOf(message: SipRequest | SipResponse): string {
  return message.to.params.get('tag') ?? '';
}

const defaultPorts: Record<string, number> = { UDP: 5060, TCP: 5060, SCTP: 5060, TLS: 5061, WS: 80, WSS: 443 };

function sentBy(via: Via): string {
  const port = via.port ?? defaultPorts[via.transport.toUpperCase()] ?? 5060;
  return `${via.host.toLowerCase()}:${port}`;
}

function paramsKey(params: Params): string {
  return [...params]
    .map(([name, value]) => (value === null ? name : `${name}=${value}`))
    .sort()
    .join(';');
}

function viaKey(via: Via): string {
  return `${via.protocol}/${via.transport.toUpperCase()} ${sentBy(via)};${paramsKey(via.params)}`;
}

function uriKey(uri: SipUri): string {
  return `${uri.scheme}:${uri.user ?? ''}@${uri.host.toLowerCase()}:${uri.port ?? ''};${paramsKey(uri.params)}`;
}
