import type { DialtoneError } from '../../kernel/index.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { ClientTransactionBase, type ClientTransactionTarget } from './client-transaction-base.js';
import type { TransactionContext } from './transaction.js';
import type { ClientTransactionUser } from './transaction-user.js';

/**
 * RFC 3261 §17.1.2 non-INVITE client transaction (Figure 6).
 *
 * ```
 *                                |Request from TU
 *                                |send request
 *            Timer E             V
 *            send request  +-----------+
 *                +---------|           |-------------------+
 *                |         |  trying   |  Timer F          |
 *                +-------->|           |  or Transport Err.|
 *                          +-----------+  inform TU        |
 *             200-699         |  |                         |
 *             resp. to TU     |  |1xx                      |
 *             +---------------+  |resp. to TU              |
 *             |                  |                         |
 *             |   Timer E        V       Timer F           |
 *             |   send req +-----------+ or Transport Err. |
 *             |  +---------|           | inform TU         |
 *             |  |         |proceeding |------------------>|
 *             |  +-------->|           |-----+             |
 *             |            +-----------+     |1xx          |
 *             |              |      ^        |resp to TU   |
 *             | 200-699      |      +--------+             |
 *             | resp. to TU  |                             |
 *             |              |                             |
 *             |              V                             |
 *             |            +-----------+                   |
 *             |            |           |                   |
 *             |            | completed |                   |
 *             |            |           |                   |
 *             |            +-----------+                   |
 *             |              ^   |                         |
 *             |              |   | Timer K                 |
 *             +--------------+   | -                       |
 *                                |                         |
 *                                V                         |
 *          NOTE:           +-----------+                   |
 *                          |           |                   |
 *      transitions         |terminated |<------------------+
 *      labeled with        |           |
 *      the event           +-----------+
 *      over the action
 *      to take
 * ```
 */
export type NonInviteClientTransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientTransactionState> {
  private timerEInterval: number;

  constructor(request: SipRequest, target: ClientTransactionTarget, user: ClientTransactionUser, context: TransactionContext) {
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new TypeError(`a non-INVITE client transaction cannot send ${request.method}`);
    }
    super(request, 'trying', target, user, context, 'nict');
    this.timerEInterval = this.timers.e;
    // RFC 3261 §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client transaction
    // with a request. When entering this state, the client transaction SHOULD set timer F to fire in
    // 64*T1 seconds. The request MUST be passed to the transport layer for transmission. If an
    // unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
    this.send(request, 'E');
    this.startTimer('F', this.timers.f, () => this.onTimerF());
    if (!this.reliable) this.startTimer('E', this.timerEInterval, () => this.onTimerE());
  }

  /** A response matched to this transaction by the transaction layer (§17.1.3). */
  receiveResponse(response: SipResponse): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (response.status < 200) {
          // RFC 3261 §17.1.2.2: "If a provisional response is received while in the "Trying" state, the
          // response MUST be passed to the TU, and then the client transaction SHOULD move to the
          // "Proceeding" state." In Proceeding: "If a provisional response is received while in the
          // "Proceeding" state, it MUST be passed to the TU."
          this.setState('proceeding');
          this.deliver(response);
        } else {
          // "If a final response (status codes 200-699) is received while in the "Trying" [or "Proceeding"]
          // state, the response MUST be passed to the TU, and the client transaction MUST transition to the
          // "Completed" state." "Once the client transaction enters the "Completed" state, it MUST set
          // Timer K to fire in T4 seconds for unreliable transports, and zero seconds for reliable
          // transports."
          this.stopTimer('E');
          this.stopTimer('F');
          this.setState('completed');
          this.deliver(response);
          this.releaseRequest();
          const k = this.timers.k;
          if (k === 0) this.onTimerK();
          else this.startTimer('K', k, () => this.onTimerK());
        }
        return;
      case 'completed':
        // RFC 3261 §17.1.2.2: "The "Completed" state exists to buffer any additional response
        // retransmissions that may be received (which is why the client transaction remains there only
        // for unreliable transports)." They are absorbed.
        return;
      case 'terminated':
        return;
    }
  }

  private onTimerE(): void {
    if (this.state === 'trying') {
      // RFC 3261 §17.1.2.2: "If timer E fires while still in this state, the timer is reset, but this
      // time with a value of MIN(2*T1, T2). When the timer fires again, it is reset to a MIN(4*T1, T2).
      // This process continues so that retransmissions occur with an exponentially increasing interval
      // that caps at T2."
      this.send(this.request, 'E');
      this.timerEInterval = Math.min(this.timerEInterval * 2, this.context.timers.t2);
    } else if (this.state === 'proceeding') {
      // "If Timer E fires while in the "Proceeding" state, the request MUST be passed to the transport
      // layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
      this.send(this.request, 'E');
      this.timerEInterval = this.context.timers.t2;
    } else {
      return;
    }
    if (!this.reliable) this.startTimer('E', this.timerEInterval, () => this.onTimerE());
  }

  private onTimerF(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    // RFC 3261 §17.1.2.2: "If Timer F fires while the client transaction is still in the "Trying" [or
    // "Proceeding"] state, the client transaction SHOULD inform the TU about the timeout, and then it
    // SHOULD enter the "Terminated" state."
    this.deliverSynthetic(408, { kind: 'timeout', timer: 'F' });
    this.setState('terminated');
  }

  private onTimerK(): void {
    // RFC 3261 §17.1.2.2: "If Timer K fires while in this state, the client transaction MUST transition to
    // the "Terminated" state."
    if (this.state === 'completed') this.setState('terminated');
  }

  protected override onTransportError(error: DialtoneError): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    // RFC 3261 §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has occurred,
    // and the client transaction SHOULD transition directly to the "Terminated" state"; §8.1.3.1: a 503.
    this.deliverSynthetic(503, { kind: 'transport-error', error });
    this.setState('terminated');
  }
}
