import type { DialtoneError } from '../../kernel/index.js';
import type { SipResponse } from '../message/types.js';
import type { ReceivedMessage } from '../transport/types.js';
import { TimerValues } from './timer-values.js';
import { asTransportError, Transaction, type TransactionContext } from './transaction.js';
import type { ServerTransactionUser } from './transaction-user.js';

/**
 * What the INVITE and non-INVITE server transactions share: the received request (responses go back "to
 * the address from which the request was received", over the same connection for TCP/TLS, §18.2.2), the
 * last response sent, kept when the transaction may have to retransmit it, and transport failures
 * reported to the TU (§17.2.4).
 */
export abstract class ServerTransactionBase<State extends string> extends Transaction<State> {
  /** Set by the TU in TransactionLayerUser.onRequest to hear timeouts, failures and Accepted-state ACKs. */
  user: ServerTransactionUser = {};
  readonly received: ReceivedMessage;
  /** The response the transaction retransmits when asked (a provisional, or a final one in Completed). */
  protected lastResponse: SipResponse | undefined;
  private lastToTag: string | undefined;
  private transportFailed = false;

  protected constructor(received: ReceivedMessage, initial: State, context: TransactionContext, kind: string) {
    if (received.message.kind !== 'request') throw new TypeError('a server transaction is created by a request');
    super(received.message, initial, context, kind);
    this.received = received;
  }

  /** The request is received over a reliable transport (TCP/TLS): no response retransmissions. */
  get reliable(): boolean {
    return this.context.transport.isReliable(this.received.remote.protocol);
  }

  /** The To tag of the most recent response sent (RFC 3261 §17.2.3 RFC 2543 ACK matching, §9.2 CANCEL). */
  get localTag(): string | undefined {
    return this.lastToTag;
  }

  protected get timers(): TimerValues {
    const reliable = this.reliable;
    // One TimerValues per transaction (two when a request moves to TCP), not one per timer started.
    if (this.timerValues === undefined || this.timerValues.reliable !== reliable) this.timerValues = new TimerValues(this.context.timers, reliable);
    return this.timerValues;
  }

  private timerValues: TimerValues | undefined;

  /** The TU's response to the request; what happens depends on the state (see each machine). */
  abstract respond(response: SipResponse): void;

  /** A retransmission of the request, matched to this transaction by the layer (§17.2.3). */
  abstract receiveRequest(received: ReceivedMessage): void;

  protected checkResponse(response: SipResponse): void {
    if (!Number.isInteger(response.status) || response.status < 100 || response.status > 699) {
      throw new RangeError(`invalid response status ${response.status}`);
    }
    if (response.cseq.method !== this.request.cseq.method || response.cseq.seq !== this.request.cseq.seq) {
      throw new RangeError(`response CSeq ${response.cseq.seq} ${response.cseq.method} does not answer ${this.request.cseq.seq} ${this.request.cseq.method}`);
    }
  }

  /** Sends a response and remembers it as the last one (for retransmissions). */
  protected send(response: SipResponse): void {
    this.lastResponse = response;
    this.lastToTag = response.to.params.get('tag') ?? undefined;
    this.transmit(response);
  }

  /**
   * Sends a response the transaction never retransmits itself: a 2xx to an INVITE, whose retransmissions
   * are the TU's (RFC 6026 §7.1). Only its To tag is kept, not the 200 and its SDP (~2 KiB a call) for
   * the 64*T1 of Timer L.
   */
  protected sendOnce(response: SipResponse): void {
    this.lastResponse = undefined;
    this.lastToTag = response.to.params.get('tag') ?? undefined;
    this.transmit(response);
  }

  /** Hands a response to the transport; a failure becomes a transport error of this transaction. */
  protected transmit(response: SipResponse): void {
    this.context.transport.sendResponse(response, this.received).then(
      () => undefined,
      (error: unknown) => {
        if (!this.terminated) this.onTransportError(asTransportError(error));
      },
    );
  }

  protected abstract onTransportError(error: DialtoneError): void;

  /** Tells the TU of a transport failure, once per transaction (later failures add nothing it can act on). */
  protected informTransportError(error: DialtoneError): void {
    if (this.transportFailed) return;
    this.transportFailed = true;
    this.isolate('onTransportError', () => this.user.onTransportError?.(error));
  }

  protected override onTerminatedHook(): void {
    this.isolate('onTerminated', () => this.user.onTerminated?.());
  }
}
