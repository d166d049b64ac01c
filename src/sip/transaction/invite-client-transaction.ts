import type { DialtoneError } from '../../kernel/index.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { buildNon2xxAck } from './build-ack.js';
import { ClientTransactionBase, type ClientTransactionTarget } from './client-transaction-base.js';
import type { TransactionContext } from './transaction.js';
import type { ClientTransactionUser } from './transaction-user.js';

/**
 * RFC 3261 §17.1.1 INVITE client transaction (Figure 5), as updated by RFC 6026 §7.2 and §8.4: a 2xx no
 * longer terminates the transaction but moves it to Accepted, which for Timer M (64*T1) passes every
 * further 2xx (retransmissions and other forks) up to the TU, so that none is mistaken for a stray.
 *
 * ```
 *                                |INVITE from TU
 *              Timer A fires     |INVITE sent
 *              Reset A,          V                      Timer B fires
 *              INVITE sent +-----------+                or Transport Err.
 *                +---------|           |---------------+inform TU (408 / 503)
 *                |         |  calling  |               |
 *                +-------->|           |-------------->|
 *                          +-----------+ 2xx           |
 *                             |  |       2xx to TU     |
 *                             |  |1xx                  |
 *     300-699 +---------------+  |1xx to TU            |
 *    ACK sent |                  |                     |
 * resp. to TU |  1xx             V                     |
 *             |  1xx to TU  +-----------+              |
 *             |  +----------|           |              |
 *             |  |          |proceeding |------------->|
 *             |  +--------->|           | 2xx          |
 *             |             +-----------+ 2xx to TU    |
 *             |  300-699       |                       |
 *             |  ACK sent,     |                       |
 *             |  resp. to TU   |                       |
 *             |                |                       |      +-----------+
 *             |                |    (2xx: RFC 6026)    +----->|           |  2xx / 2xx to TU
 *             V                V                              | accepted  |<-+
 *           +-----------+                                     |           |--+
 *           |           |-+ 300-699 / ACK sent                +-----------+
 *           | completed | |                                         | Timer M fires
 *           |           |<+                                         V
 *           +-----------+                                     +-----------+
 *             | Timer D fires or Transport Err. (inform TU)   |           |
 *             +---------------------------------------------->|terminated |
 *                                                             +-----------+
 * ```
 * (Timer B and transport errors in calling/proceeding lead straight to terminated. In proceeding, Timer C
 * asks the layer to CANCEL, and §9.1's 64*T1 after a CANCEL ends the transaction with a synthetic 487.)
 */
export type InviteClientTransactionState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class InviteClientTransaction extends ClientTransactionBase<InviteClientTransactionState> {
  /** Interval Timer A will be set to next; doubles on each firing (§17.1.1.2). */
  private timerAInterval: number;
  private ack: SipRequest | undefined;
  private readonly proceedingTimeoutListeners = new Set<() => void>();

  constructor(request: SipRequest, target: ClientTransactionTarget, user: ClientTransactionUser, context: TransactionContext) {
    if (request.method !== 'INVITE') throw new TypeError(`an INVITE client transaction cannot send ${request.method}`);
    super(request, 'calling', target, user, context, 'ict');
    this.timerAInterval = this.timers.a;
    // RFC 3261 §17.1.1.2: "The initial state, "calling", MUST be entered when the TU initiates a new client
    // transaction with an INVITE request. The client transaction MUST pass the request to the transport
    // layer for transmission."
    this.send(request, 'A');
    // "If an unreliable transport is being used, the client transaction MUST start timer A with a value
    // of T1. If a reliable transport is being used, the client transaction SHOULD NOT start timer A"
    if (!this.reliable) this.startTimer('A', this.timerAInterval, () => this.onTimerA());
    // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds"
    this.startTimer('B', this.timers.b, () => this.onTimerB());
  }

  /** A response matched to this transaction by the transaction layer (§17.1.3). */
  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          // RFC 3261 §17.1.1.2: "If the client transaction receives a provisional response while in the
          // "Calling" state, it transitions to the "Proceeding" state. In the "Proceeding" state, the client
          // transaction SHOULD NOT retransmit the request any longer. Furthermore, the provisional response
          // MUST be passed to the TU. Any further provisional responses MUST be passed up to the TU while
          // in the "Proceeding" state." Timer B only fires in Calling (Figure 5); once a provisional
          // response arrived, ending the INVITE is the TU's business (CANCEL, §9.1), with Timer C
          // (TimerSettings.timerC) as the safety net.
          this.stopTimer('A');
          this.stopTimer('B');
          this.setState('proceeding');
          this.restartTimerC();
          this.deliver(response);
        } else if (status < 300) {
          // RFC 6026 §8.4: "When a 2xx response is received while in either the "Calling" or "Proceeding"
          // states, the client transaction MUST transition to the "Accepted" state ... The 2xx response
          // MUST be passed up to the TU. The client transaction MUST NOT generate an ACK to the 2xx
          // response -- its handling is delegated to the TU." Timer M is 64*T1.
          this.stopTimer('A');
          this.stopTimer('B');
          this.stopTimer('C');
          this.stopTimer('Cancel');
          this.setState('accepted');
          this.startTimer('M', this.timers.m, () => this.onTimerM());
          this.deliver(response);
          this.releaseRequest();
        } else {
          // RFC 3261 §17.1.1.2: "When in either the "Calling" or "Proceeding" states, reception of a
          // response with status code from 300-699 MUST cause the client transaction to transition to
          // "Completed". The client transaction MUST pass the received response up to the TU, and the
          // client transaction MUST generate an ACK request, even if the transport is reliable".
          this.stopTimer('A');
          this.stopTimer('B');
          this.stopTimer('C');
          this.stopTimer('Cancel');
          this.setState('completed');
          this.ack = buildNon2xxAck(this.request, response);
          this.send(this.ack, undefined);
          // "The client transaction SHOULD start timer D when it enters the "Completed" state, with a
          // value of at least 32 seconds for unreliable transports, and a value of zero seconds for
          // reliable transports."
          this.deliver(response);
          this.releaseRequest();
          this.startTimerD();
        }
        return;
      case 'completed':
        // RFC 3261 §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // "Completed" state MUST cause the ACK to be re-passed to the transport layer for retransmission,
        // but the newly received response MUST NOT be passed up to the TU."
        if (status >= 300 && this.ack !== undefined) this.send(this.ack, undefined);
        return;
      case 'accepted':
        // RFC 6026 §7.2: "A 2xx response received while in the "Accepted" state MUST be passed to the TU
        // and the machine remains in the "Accepted" state. The client transaction MUST NOT generate an ACK
        // to any 2xx response on its own." (Retransmissions, and 2xx from other forks.) Provisional and
        // non-2xx responses are absorbed: nothing in RFC 6026 passes them up once a 2xx has arrived.
        if (status >= 200 && status < 300) this.deliver(response);
        return;
      case 'terminated':
        return;
    }
  }

  /**
   * Subscribes to Timer C firing in Proceeding (see TimerSettings.timerC); the TransactionManager CANCELs
   * the INVITE then. Returns the unsubscribe function.
   */
  onProceedingTimeout(listener: () => void): () => void {
    this.proceedingTimeoutListeners.add(listener);
    return () => this.proceedingTimeoutListeners.delete(listener);
  }

  /** RFC 3261 §9.1: the CANCEL went out; bound how long the TU waits for the INVITE's final response. */
  cancelSent(): void {
    if (this.state !== 'proceeding' && this.state !== 'calling') return;
    // RFC 3261 §9.1: "If there is no final response for the original request in 64*T1 seconds ..., the
    // client SHOULD then consider the original transaction cancelled and SHOULD destroy the client
    // transaction handling the original request." The TU hears a synthetic 487 (Request Terminated).
    this.startTimer('Cancel', this.timers.b, () => {
      if (this.state !== 'proceeding' && this.state !== 'calling') return;
      this.deliverSynthetic(487, { kind: 'cancel-timeout' });
      this.setState('terminated');
    });
  }

  private onTimerA(): void {
    if (this.state !== 'calling') return;
    // RFC 3261 §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request by
    // passing it to the transport layer, and MUST reset the timer with a value of 2*T1. ... When timer A
    // fires 2*T1 seconds later, the request MUST be retransmitted again (assuming the client transaction
    // is still in this state). This process MUST continue so that the request is retransmitted with
    // intervals that double after each transmission."
    this.send(this.request, 'A');
    this.timerAInterval *= 2;
    if (!this.reliable) this.startTimer('A', this.timerAInterval, () => this.onTimerA());
  }

  private onTimerB(): void {
    if (this.state !== 'calling') return;
    // RFC 3261 §17.1.1.2: "If the client transaction is still in the "Calling" state when timer B fires,
    // the client transaction SHOULD inform the TU that a timeout has occurred. The client transaction
    // MUST NOT generate an ACK." (Figure 5: → Terminated.)
    this.deliverSynthetic(408, { kind: 'timeout', timer: 'B' });
    this.setState('terminated');
  }

  private restartTimerC(): void {
    const c = this.timers.c;
    if (c > 0) this.startTimer('C', c, () => this.onTimerC());
  }

  private onTimerC(): void {
    if (this.state !== 'proceeding') return;
    // RFC 3261 §16.8 (a proxy's Timer C, borrowed): "If timer C should fire, the proxy MUST either reset
    // the timer with any value it chooses, or terminate the client transaction. If the client transaction
    // has received a provisional response, the proxy MUST generate a CANCEL request matching that
    // transaction." The transaction stays until the final response (or §9.1's 64*T1 after the CANCEL).
    this.logger.info('Timer C fired: no provisional response for too long, cancelling');
    for (const listener of [...this.proceedingTimeoutListeners]) this.isolate('proceeding timeout listener', listener);
  }

  private startTimerD(): void {
    const d = this.timers.d;
    if (d === 0) this.onTimerD();
    else this.startTimer('D', d, () => this.onTimerD());
  }

  private onTimerD(): void {
    // RFC 3261 §17.1.1.2: "If timer D fires while the client transaction is in the "Completed" state, the
    // client transaction MUST move to the terminated state."
    if (this.state === 'completed') this.setState('terminated');
  }

  private onTimerM(): void {
    // RFC 6026 §8.4: "If Timer M fires while the client transaction is in the "Accepted" state, the client
    // transaction MUST move to the "Terminated" state."
    if (this.state === 'accepted') this.setState('terminated');
  }

  protected override onTransportError(error: DialtoneError): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        // RFC 3261 §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has
        // occurred, and the client transaction SHOULD transition directly to the "Terminated" state";
        // §8.1.3.1: treated as a 503.
        this.deliverSynthetic(503, { kind: 'transport-error', error });
        this.setState('terminated');
        return;
      case 'completed':
        // RFC 3261 Figure 5: Completed --Transport Err. / Inform TU--> Terminated (the ACK could not be sent).
        this.isolate('onTransportError', () => this.user.onTransportError?.(error));
        this.setState('terminated');
        return;
      case 'accepted':
      case 'terminated':
        return;
    }
  }
}
