import type { DialtoneError } from '../../kernel/index.js';
import { createResponse } from '../message/index.js';
import type { SipResponse } from '../message/types.js';
import type { ReceivedMessage } from '../transport/types.js';
import { ServerTransactionBase } from './server-transaction-base.js';
import type { TransactionContext } from './transaction.js';

/**
 * RFC 3261 §17.2.1 INVITE server transaction (Figure 7), as updated by RFC 6026 §7.1 and §8 (Figure 7
 * there): a 2xx from the TU moves the transaction to Accepted instead of Terminated, so that INVITE
 * retransmissions are absorbed rather than taken for new requests, and the TU's 2xx retransmissions
 * (§13.3.1.4) still pass through it until Timer L fires. RFC 6026 §8.8 also replaces §17.2.4: after a
 * transport failure the transaction informs the TU "and MUST remain in the current state".
 *
 * ```
 *                                |INVITE
 *                                |pass INV to TU
 *             INVITE             V send 100 if TU won't in 200ms
 *             send response+-----------+
 *                 +--------|           |--------+ 101-199 from TU
 *                 |        |proceeding |        | send response
 *                 +------->|           |<-------+
 *                          |           |--------+ Transport Err.
 *                          |           |        | Inform TU
 *                          |           |<-------+
 *                          +-----------+
 *             300-699 from TU |     | 2xx from TU
 *             send response   |     | send response
 *                             |     +------------------+
 *             INVITE          V          Timer G fires |
 *             send response+-----------+ send response |
 *                 +--------|           |--------+      |
 *                 |        | completed |        |      V
 *                 +------->|           |<-------+  +-----------+
 *                          |           |-+         |           |-+ INVITE / -
 *                          +-----------+ |         | accepted  |-+ 2xx from TU / send response
 *                             |     |    |         |           |-+ ACK / to TU
 *                             |     |    | Transp. |           |-+ Transport Err. / Inform TU
 *                     ACK     |     |    | Err. /  +-----------+
 *                     -       |     |    | Inform TU     |
 *                             |     |  <-+               | Timer L fires
 *                             V     | Timer H fires      | -
 *                     +-----------+ | Inform TU          |
 *                     |           | |                    |
 *      ACK / -     +--| confirmed | |                    |
 *                  +->|           | |                    |
 *                     +-----------+ |                    |
 *                           |       |                    |
 *             Timer I fires |       |                    |
 *                           V       V                    V
 *                     +------------------------------------+
 *                     |             terminated             |
 *                     +------------------------------------+
 * ```
 */
export type InviteServerTransactionState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export class InviteServerTransaction extends ServerTransactionBase<InviteServerTransactionState> {
  private timerGInterval: number;

  constructor(received: ReceivedMessage, context: TransactionContext) {
    super(received, 'proceeding', context, 'ist');
    if (this.request.method !== 'INVITE') throw new TypeError(`an INVITE server transaction cannot serve ${this.request.method}`);
    this.timerGInterval = this.timers.g;
    // RFC 3261 §17.2.1: "When a server transaction is constructed for a request, it enters the
    // "Proceeding" state. The server transaction MUST generate a 100 (Trying) response unless it knows
    // that the TU will generate a provisional or final response within 200 ms, in which case it MAY
    // generate a 100 (Trying) response."
    const delay = context.timers.tryingDelay;
    if (delay === 0) this.sendTrying();
    else this.startTimer('Trying', delay, () => this.sendTrying());
  }

  respond(response: SipResponse): void {
    this.checkResponse(response);
    if (this.state !== 'proceeding') {
      if (this.state === 'accepted' && response.status >= 200 && response.status < 300) {
        // RFC 6026 §7.1: "The server transaction MUST NOT generate 2xx retransmissions on its own. Any
        // retransmission of the 2xx response passed from the TU to the transaction while in the
        // "Accepted" state MUST be passed to the transport layer for transmission." (§13.3.1.4.)
        this.sendOnce(response);
        return;
      }
      this.logger.warn('response discarded: the INVITE already has a final response', { status: response.status, state: this.state });
      return;
    }
    this.stopTimer('Trying');
    if (response.status < 200) {
      // RFC 3261 §17.2.1: "The TU passes any number of provisional responses to the server transaction.
      // So long as the server transaction is in the "Proceeding" state, each of these MUST be passed to
      // the transport layer for transmission."
      this.send(response);
    } else if (response.status < 300) {
      // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx response to the server
      // transaction, the server transaction MUST pass this response to the transport layer for
      // transmission. It is not retransmitted by the server transaction; retransmissions of 2xx
      // responses are handled by the TU. The server transaction MUST then transition to the "Accepted"
      // state." §7.1: "... and set Timer L to 64*T1".
      this.sendOnce(response);
      this.setState('accepted');
      this.startTimer('L', this.timers.l, () => this.onTimerL());
      this.releaseRequest();
    } else {
      // RFC 3261 §17.2.1: "While in the "Proceeding" state, if the TU passes a response with status code
      // from 300 to 699 to the server transaction, the response MUST be passed to the transport layer for
      // transmission, and the state machine MUST enter the "Completed" state. For unreliable transports,
      // timer G is set to fire in T1 seconds, and is not set to fire for reliable transports." "When the
      // "Completed" state is entered, timer H MUST be set to fire in 64*T1 seconds for all transports."
      this.send(response);
      this.setState('completed');
      if (!this.reliable) this.startTimer('G', this.timerGInterval, () => this.onTimerG());
      this.startTimer('H', this.timers.h, () => this.onTimerH());
      this.releaseRequest();
    }
  }

  receiveRequest(_received: ReceivedMessage): void {
    switch (this.state) {
      case 'proceeding':
        // RFC 3261 §17.2.1: "If a request retransmission is received while in the "Proceeding" state, the
        // most recent provisional response that was received from the TU MUST be passed to the transport
        // layer for retransmission."
        this.retransmit();
        return;
      case 'completed':
        // RFC 3261 §17.2.1: "while in the "Completed" state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        this.retransmit();
        return;
      case 'accepted':
        // RFC 6026 §7.1: "While in the "Accepted" state, any retransmissions of the INVITE received will
        // match this transaction state machine and will be absorbed by the machine without changing its
        // state. These retransmissions are not passed onto the TU." (The TU's 2xx timer answers them.)
        return;
      case 'confirmed':
      case 'terminated':
        // RFC 3261 §17.2.1: in "Confirmed", the state "exists ... to absorb any additional ACK messages";
        // an INVITE retransmission after the final response was acknowledged is absorbed as well.
        return;
    }
  }

  /** An ACK matched to this transaction by the layer (§17.2.3). */
  receiveAck(): void {
    switch (this.state) {
      case 'completed': {
        // RFC 3261 §17.2.1: "If an ACK is received while the server transaction is in the "Completed"
        // state, the server transaction MUST transition to the "Confirmed" state. As Timer G is ignored
        // in this state, any retransmissions of the response will cease." "When this state is entered,
        // timer I is set to fire in T4 seconds for unreliable transports, and zero seconds for reliable
        // transports."
        this.stopTimer('G');
        this.stopTimer('H');
        this.setState('confirmed');
        const i = this.timers.i;
        if (i === 0) this.onTimerI();
        else this.startTimer('I', i, () => this.onTimerI());
        return;
      }
      case 'accepted':
        // RFC 6026 §7.1: "Any ACKs received from the network while in the "Accepted" state MUST be passed
        // directly to the TU and not absorbed." The TransactionManager passes such an ACK to the UAS core
        // (TransactionLayerUser.onAck) instead of calling this; the transaction itself does nothing.
      case 'proceeding':
      case 'confirmed':
      case 'terminated':
        // Confirmed: "the purpose of the "Confirmed" state is to absorb any additional ACK messages that
        // arrive, triggered from retransmissions of the final response." An ACK before any final
        // response acknowledges nothing and is dropped.
        return;
    }
  }

  private sendTrying(): void {
    if (this.state !== 'proceeding' || this.lastResponse !== undefined) return;
    // createResponse copies a Timestamp into the 100 (Trying), as RFC 3261 §8.2.6.1 requires; no To tag is
    // added ("a 100 (Trying) ... MAY or MAY NOT" have one, §8.2.6.2).
    const trying = createResponse(this.request, 100);
    this.send(trying);
  }

  private onTimerG(): void {
    if (this.state !== 'completed') return;
    // RFC 3261 §17.2.1: "If timer G fires, the response is passed to the transport layer once more for
    // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then on, when timer G
    // fires, the response is passed to the transport again for transmission, and timer G is reset with a
    // value that doubles, unless that value exceeds T2, in which case it is reset with the value of T2."
    this.retransmit();
    this.timerGInterval = Math.min(this.timerGInterval * 2, this.context.timers.t2);
    this.startTimer('G', this.timerGInterval, () => this.onTimerG());
  }

  private onTimerH(): void {
    if (this.state !== 'completed') return;
    // RFC 3261 §17.2.1: "If timer H fires while in the "Completed" state, it implies that the ACK was
    // never received. In this case, the server transaction MUST transition to the "Terminated" state, and
    // MUST indicate to the TU that a transaction failure has occurred."
    this.isolate('onTimeout', () => this.user.onTimeout?.());
    this.setState('terminated');
  }

  private onTimerI(): void {
    // RFC 3261 §17.2.1: "Once timer I fires, the server MUST transition to the "Terminated" state."
    if (this.state === 'confirmed') this.setState('terminated');
  }

  private onTimerL(): void {
    // RFC 6026 §7.1: "When Timer L fires and the state machine is in the "Accepted" state, the machine
    // MUST transition to the "Terminated" state."
    if (this.state === 'accepted') this.setState('terminated');
  }

  protected override onTransportError(error: DialtoneError): void {
    // RFC 6026 §8.8, replacing RFC 3261 §17.2.4's second paragraph: "If those should all fail, ... the
    // server transaction SHOULD inform the TU that a failure has occurred, and MUST remain in the current
    // state." (Staying put keeps absorbing INVITE retransmissions; Timers H and L still end the
    // transaction, and in Proceeding the TU's final response does.)
    this.informTransportError(error);
  }
}
