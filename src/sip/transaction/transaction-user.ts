/**
 * The transaction layer's contracts with the layer above it, the transaction user (TU: the UA core or
 * the dialog layer). RFC 3261 §17: "The client transaction ... receives responses from the transport
 * and filters them, passing them up to the TU"; each callback names the sentence it serves. A callback
 * that throws is isolated and logged by the transaction; it never breaks the state machine.
 */
import type { DialtoneError } from '../../kernel/index.js';
import type { SipResponse } from '../message/types.js';
import type { ReceivedMessage } from '../transport/types.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';

/** Why a response the TU receives was made up by the transaction rather than received. */
export type SyntheticCause =
  /** RFC 3261 §17.1.1.2 Timer B / §17.1.2.2 Timer F fired: "the client transaction ... SHOULD inform the TU that a timeout has occurred". */
  | { kind: 'timeout'; timer: 'B' | 'F' }
  /** RFC 3261 §9.1: no final response 64*T1 after the CANCEL was sent; the INVITE is considered cancelled. */
  | { kind: 'cancel-timeout' }
  /** RFC 3261 §17.1.4 / §8.1.3.1: the transport could not send the request. */
  | { kind: 'transport-error'; error: DialtoneError };

export interface ClientTransactionUser {
  /**
   * RFC 3261 §17.1.1.2 / §17.1.2.2: "any provisional responses MUST be passed up to the TU", "the
   * response MUST be passed up to the TU" for the final one; RFC 6026 §7.2: "A 2xx response received while
   * in the "Accepted" state MUST be passed to the TU" (retransmissions, and 2xx from other forks).
   * RFC 3261 §8.1.3.1: "a transaction layer timeout ... MUST be treated as if a 408 (Request Timeout)
   * status code has been received", and a transport failure "as if a 503 (Service Unavailable) status
   * code has been received": those arrive here as synthetic responses with `synthetic` set.
   */
  onResponse(response: SipResponse, synthetic?: SyntheticCause): void;
  /**
   * RFC 3261 §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has
   * occurred" — for failures after the final response was delivered (the ACK of a non-2xx could not be
   * sent); before that, the TU hears of it as a synthetic 503 through onResponse.
   */
  onTransportError?(error: DialtoneError): void;
  /** The transaction reached Terminated and was removed from the transaction layer. */
  onTerminated?(): void;
}

export interface ServerTransactionUser {
  /**
   * RFC 3261 §17.2.1: "If timer H fires while in the "Completed" state, it implies that the ACK was never
   * received. In this case, the server transaction MUST transition to the "Terminated" state, and MUST
   * indicate to the TU that a transaction failure has occurred."
   */
  onTimeout?(): void;
  /**
   * RFC 6026 §8.8 (replacing RFC 3261 §17.2.4): when a response cannot be delivered, "the server
   * transaction SHOULD inform the TU that a failure has occurred, and MUST remain in the current state."
   * Called once per transaction.
   */
  onTransportError?(error: DialtoneError): void;
  /** The transaction reached Terminated and was removed from the transaction layer. */
  onTerminated?(): void;
}

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** What the TransactionManager asks of the UA core for requests no transaction claims. */
export interface TransactionLayerUser {
  /**
   * RFC 3261 §17.2.1 / §17.2.2: a new request creates a server transaction and "the request MUST be passed
   * to the TU". The TU answers through `transaction.respond(…)` and may set `transaction.user`. The
   * transaction keeps `request` only until its final response: a TU that needs it longer keeps it.
   */
  onRequest(transaction: ServerTransaction): void;
  /**
   * RFC 3261 §17.2.3: an ACK matching no server transaction is the ACK of a 2xx, which the UAS core
   * handles (§13.3.1.4 stops its 2xx retransmissions on it). RFC 6026 §7.1: "Any ACKs received from the
   * network while in the "Accepted" state MUST be passed directly to the TU and not absorbed" — those
   * arrive here too.
   */
  onAck(ack: ReceivedMessage): void;
  /**
   * RFC 3261 §9.2: "If the UAS did not issue a final response for the original request, its behavior
   * depends on the method of the original request. If the original request was an INVITE, the UAS
   * SHOULD immediately respond to the INVITE with a 487 (Request Terminated)." The layer has already
   * answered the CANCEL with 200 ("the UAS answers the CANCEL request itself with a 200 (OK)
   * response"); it calls this only while `invite` is still Proceeding, so the TU sends the 487.
   */
  onCancel(invite: InviteServerTransaction, cancel: ReceivedMessage): void;
}
