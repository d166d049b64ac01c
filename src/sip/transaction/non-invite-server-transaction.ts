import type { DialtoneError } from '../../kernel/index.js';
import type { SipResponse } from '../message/types.js';
import type { ReceivedMessage } from '../transport/types.js';
import { ServerTransactionBase } from './server-transaction-base.js';
import type { TransactionContext } from './transaction.js';

/**
 * RFC 3261 §17.2.2 non-INVITE server transaction (Figure 8).
 *
 * ```
 *                                   |Request received
 *                                   |pass to TU
 *                                   V
 *                             +-----------+
 *                             |           |
 *                             |  trying   |-------------+
 *                             |           |             |
 *                             +-----------+             |200-699 from TU
 *                                   |                   |send response
 *                                   |1xx from TU        |
 *                                   |send response      |
 *                                   |                   |
 *                Request            V      1xx from TU  |
 *                send response+-----------+send response|
 *                    +--------|           |--------+    |
 *                    |        |proceeding |        |    |
 *                    +------->|           |<-------+    |
 *             +<--------------|           |             |
 *             |Trnsprt Err    +-----------+             |
 *             |Inform TU (RFC 6026 §8.8: stay)          |
 *             |                     |                   |
 *             |                     |200-699 from TU    |
 *             |                     |send response      |
 *             |  Request            V                   |
 *             |  send response+-----------+             |
 *             |      +--------|           |             |
 *             |      |        | completed |<------------+
 *             |      +------->|           |
 *             +<--------------|           |
 *             |Trnsprt Err    +-----------+
 *             |Inform TU            |
 *             |                     |Timer J fires
 *             |                     |-
 *             |                     |
 *             |                     V
 *             |               +-----------+
 *             |               |           |
 *             +-------------->|terminated |
 *                             |           |
 *                             +-----------+
 * ```
 */
export type NonInviteServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerTransactionState> {
  constructor(received: ReceivedMessage, context: TransactionContext) {
    // RFC 3261 §17.2.2: "The state machine is initialized in the "Trying" state and is passed a request
    // other than INVITE or ACK when initialized."
    super(received, 'trying', context, 'nist');
    if (this.request.method === 'INVITE' || this.request.method === 'ACK') {
      throw new TypeError(`a non-INVITE server transaction cannot serve ${this.request.method}`);
    }
  }

  respond(response: SipResponse): void {
    this.checkResponse(response);
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (response.status < 200) {
          // RFC 3261 §17.2.2: "While in the "Trying" state, if the TU passes a provisional response to the
          // server transaction, the server transaction MUST enter the "Proceeding" state. The response MUST
          // be passed to the transport layer for transmission." "Any further provisional responses that
          // are received from the TU while in the "Proceeding" state MUST be passed to the transport
          // layer for transmission."
          this.send(response);
          this.setState('proceeding');
        } else {
          // "If the TU passes a final response (status codes 200-699) to the server while in the
          // "Proceeding" [or "Trying"] state, the transaction MUST enter the "Completed" state, and the
          // response MUST be passed to the transport layer for transmission." "When the server
          // transaction enters the "Completed" state, it MUST set Timer J to fire in 64*T1 seconds for
          // unreliable transports, and zero seconds for reliable transports."
          this.send(response);
          this.setState('completed');
          this.releaseRequest();
          const j = this.timers.j;
          if (j === 0) this.onTimerJ();
          else this.startTimer('J', j, () => this.onTimerJ());
        }
        return;
      case 'completed':
      case 'terminated':
        // RFC 3261 §17.2.2: "Any other final responses passed by the TU to the server transaction MUST be
        // discarded while in the "Completed" state."
        this.logger.warn('response discarded: the request already has a final response', { status: response.status });
        return;
    }
  }

  receiveRequest(_received: ReceivedMessage): void {
    switch (this.state) {
      case 'trying':
        // RFC 3261 §17.2.2: "Once in the "Trying" state, any further request retransmissions are
        // discarded."
        return;
      case 'proceeding':
        // "If a retransmission of the request is received while in the "Proceeding" state, the most
        // recently sent provisional response MUST be passed to the transport layer for retransmission."
        this.retransmit();
        return;
      case 'completed':
        // "While in the "Completed" state, the server transaction MUST pass the final response to the
        // transport layer for retransmission whenever a retransmission of the request is received."
        this.retransmit();
        return;
      case 'terminated':
        return;
    }
  }

  private onTimerJ(): void {
    // RFC 3261 §17.2.2: "The server transaction remains in this state until Timer J fires, at which point
    // it MUST transition to the "Terminated" state."
    if (this.state === 'completed') this.setState('terminated');
  }

  protected override onTransportError(error: DialtoneError): void {
    // RFC 6026 §8.8 replaces RFC 3261 §17.2.4's second paragraph, for every server transaction: "the server
    // transaction SHOULD inform the TU that a failure has occurred, and MUST remain in the current
    // state." Figure 8's "Trnsprt Err / Inform TU → terminated" arcs predate it; staying keeps request
    // retransmissions absorbed, and Timer J (or the TU's final response) still ends the transaction.
    this.informTransportError(error);
  }
}
