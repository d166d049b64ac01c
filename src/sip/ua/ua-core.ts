/**
 * What the calls of a UserAgent share: the transaction layer, the clock, the dialog registry, the
 * Contact we advertise per transport, and next-hop resolution (RFC 3263) for requests. The UserAgent
 * implements it; OutgoingCall, IncomingCall and SipCall only see this narrow contract.
 */
import { DialtoneError, ErrorCodes, noBytes, type Clock, type Logger } from '../../kernel/index.js';
import type { Dialog, DialogRegistry, UasSessionTimerPolicy } from '../dialog/index.js';
import { locate, locateRequestFor, type Resolver, type SipTarget } from '../locate/index.js';
import type { HeaderField, NameAddr, SipRequest, SipResponse, SipUri } from '../message/index.js';
import { ParamList } from '../message/index.js';
import type {
  ClientTransaction,
  ClientTransactionTarget,
  ClientTransactionUser,
  ServerTransaction,
  SyntheticCause,
  TimerSettings,
  TransactionManager,
} from '../transaction/index.js';
import type { ReceivedMessage, TransportProtocol } from '../transport/index.js';

/** Who answers requests and ACKs received in one dialog. */
export interface DialogOwner {
  /** A request that passed the dialog's §12.2.2 checks. */
  handleRequest(transaction: ServerTransaction, dialog: Dialog): void;
  /** An ACK in the dialog (the ACK of a 2xx, §13.3.1.4). */
  handleAck(ack: ReceivedMessage): void;
}

export interface UaCore {
  readonly transactions: TransactionManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timers: TimerSettings;
  readonly product: string;
  readonly registry: DialogRegistry;
  /** How we answer Session-Expires in INVITEs and UPDATEs we receive (RFC 4028 §9). */
  readonly sessionTimerPolicy: UasSessionTimerPolicy;
  /** Allow / Accept / Supported (RFC 3261 §11.2, §13.2.1 "Allow and Supported SHOULD be present"). */
  capabilityHeaders(): HeaderField[];
  /** Our Contact for a transport: the listening address of that protocol (RFC 3261 §8.1.1.8). */
  contactFor(protocol: TransportProtocol, user: string | undefined, secure: boolean): NameAddr;
  /** The protocols we have listeners for (and so can send and be reached on). */
  protocols(): TransportProtocol[];
  /** Files a dialog and its owner so that in-dialog requests and ACKs reach it. */
  attach(dialog: Dialog, owner: DialogOwner): void;
  detach(dialog: Dialog): void;
  /** A call ended or settled: forget it. */
  forget(call: object): void;
  remember(call: { close(): Promise<void> | void }): void;
}

/** Where a request goes (RFC 3263 targets, already resolved). */
export type NextHop = ClientTransactionTarget;

export function hopOf(target: SipTarget): NextHop {
  return { destination: { protocol: target.protocol, address: target.address, port: target.port }, sendOptions: { hostname: target.hostname } };
}

/** A resolver for when none is given: enough for numeric hosts, which need no DNS (RFC 3263 §4.2). */
export const noDnsResolver: Resolver = {
  resolveNaptr: () => Promise.reject(noDns()),
  resolveSrv: () => Promise.reject(noDns()),
  resolve4: () => Promise.reject(noDns()),
  resolve6: () => Promise.reject(noDns()),
};

function noDns(): Error {
  return Object.assign(new Error('no DNS resolver configured'), { code: 'ENOTFOUND' });
}

/**
 * RFC 3263 §4: the ordered targets for a URI. `defaultProtocol` stands in for a missing transport
 * parameter (the transport a dialog's peer reached us on, so a BYE to a Contact without
 * `;transport=` follows the INVITE's TCP rather than falling back to UDP).
 */
export async function locateUri(
  uri: SipUri,
  resolver: Resolver,
  protocols: readonly TransportProtocol[],
  defaultProtocol?: TransportProtocol,
): Promise<SipTarget[]> {
  const request = locateRequestFor(uri);
  if (request.transport === undefined && defaultProtocol !== undefined && defaultProtocol !== 'udp') {
    request.transport = defaultProtocol === 'tls' ? 'tls' : 'tcp';
    if (request.scheme === 'sips') request.transport = 'tcp'; // sips over TCP is TLS (RFC 3263 §4.1)
  }
  const targets = await locate(request, resolver, { protocols });
  if (targets.length === 0) {
    throw new DialtoneError(ErrorCodes.sipLocateFailed, `no usable target for ${uri.host}`, { reason: 'no-records', host: uri.host });
  }
  return targets;
}

/** Outcome of one non-INVITE request: its final response, synthetic (408/503) or real. */
export interface FinalResponse {
  response: SipResponse;
  synthetic?: SyntheticCause;
}

/** The user of a non-INVITE client transaction whose final response was delivered: nothing is left to hear. */
const settledRequestUser: ClientTransactionUser = { onResponse: () => undefined };

/**
 * Sends a request in a client transaction and resolves with its final response (RFC 3261 §8.1.3.1:
 * timeouts and transport errors arrive as synthetic 408/503). When the transaction layer closes
 * first, resolves with a synthetic 408 built by the caller's `orphan`.
 */
export function requestFinal(core: UaCore, request: SipRequest, hop: NextHop, onProvisional?: (response: SipResponse) => void): Promise<FinalResponse> {
  return new Promise((resolve) => {
    let done = false;
    let transaction: ClientTransaction | undefined;
    const user: ClientTransactionUser = {
      onResponse(response, synthetic) {
        if (response.status < 200) {
          onProvisional?.(response);
          return;
        }
        if (done) return;
        done = true;
        // What is left of the transaction (Timer K, §17.1.2.2) only absorbs retransmissions: it need not
        // keep this request, its caller's promise and what that holds for it.
        if (transaction !== undefined) transaction.user = settledRequestUser;
        resolve(synthetic === undefined ? { response } : { response, synthetic });
      },
      onTerminated() {
        if (done) return;
        done = true;
        resolve({ response: syntheticResponse(request, 408), synthetic: { kind: 'timeout', timer: 'F' } });
      },
    };
    try {
      transaction = core.transactions.request(request, hop, user);
    } catch (error) {
      done = true;
      resolve({
        response: syntheticResponse(request, 503),
        synthetic: { kind: 'transport-error', error: new DialtoneError(ErrorCodes.sipTransportFailure, String(error), {}, { cause: error }) },
      });
    }
  });
}

/** A response the UA makes up for a request that got none (the transaction layer is gone). */
export function syntheticResponse(request: SipRequest, status: number): SipResponse {
  return {
    kind: 'response',
    status,
    reason: status === 408 ? 'Request Timeout' : 'Service Unavailable',
    via: request.via.map((via) => ({ ...via, params: new ParamList(via.params) })),
    from: request.from,
    to: request.to,
    callId: request.callId,
    cseq: { ...request.cseq },
    headers: [],
    body: noBytes,
  };
}

/** The SDP of a message, when it carries one (RFC 3264 offer/answer is opaque to this layer). */
export function sdpOf(message: { contentType?: string; body: Buffer }): Buffer | undefined {
  if (message.body.length === 0) return undefined;
  const type = message.contentType?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === 'application/sdp' ? message.body : undefined;
}
