import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { createResponse } from '../message/index.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Endpoint, SendOptions } from '../transport/types.js';
import { TimerValues } from './timer-values.js';
import { asTransportError, Transaction, type TransactionContext } from './transaction.js';
import type { ClientTransactionUser, SyntheticCause } from './transaction-user.js';

/** Where and how a client transaction sends its request. */
export interface ClientTransactionTarget {
  destination: Endpoint;
  sendOptions?: SendOptions;
}

/**
 * What the INVITE and non-INVITE client transactions share: the destination (every retransmission and
 * the non-2xx ACK go to "the same address, port, and transport", §17.1.1.3), sends whose failures become
 * transport errors (§17.1.4), and synthetic responses for the TU (§8.1.3.1).
 */
export abstract class ClientTransactionBase<State extends string> extends Transaction<State> {
  /** The TU may hand over to another user, e.g. one that keeps less for what remains of the transaction. */
  user: ClientTransactionUser;
  /** The request, until the transaction has no more use for it (see `request`). */
  private requestKept: SipRequest | undefined;
  private readonly requestBranch: string;
  readonly destination: Endpoint;
  private readonly sendOptions: SendOptions | undefined;
  private reliableTransport: boolean;

  protected constructor(
    request: SipRequest,
    initial: State,
    target: ClientTransactionTarget,
    user: ClientTransactionUser,
    context: TransactionContext,
    kind: string,
  ) {
    super(request.method, initial, context, kind);
    this.requestKept = request;
    this.requestBranch = request.via[0]?.params.get('branch') ?? '';
    this.user = user;
    this.destination = target.destination;
    this.sendOptions = target.sendOptions;
    this.reliableTransport = context.transport.isReliable(target.destination.protocol);
  }

  /**
   * The request this transaction sends, kept for retransmissions, the non-2xx ACK, a CANCEL and synthetic
   * responses. Once the final response is in (Completed: Timers K and D; RFC 6026 Accepted: Timer M),
   * what remains of the transaction only absorbs or passes up retransmitted responses for up to 32 s: the
   * request is dropped then (the TU keeps what it needs of it), and reading it is a programming error
   * that throws.
   */
  get request(): SipRequest {
    if (this.requestKept === undefined) {
      throw new DialtoneError(ErrorCodes.internal, `the ${this.method} client transaction keeps no request once completed`);
    }
    return this.requestKept;
  }

  get branch(): string {
    return this.requestBranch;
  }

  /** Where the request went, for a CANCEL that must follow it (RFC 3261 §9.1). */
  get target(): ClientTransactionTarget {
    return this.sendOptions === undefined ? { destination: this.destination } : { destination: this.destination, sendOptions: this.sendOptions };
  }

  /** True when the request travels over a reliable transport (TCP/TLS): no retransmissions. */
  get reliable(): boolean {
    return this.reliableTransport;
  }

  protected get timers(): TimerValues {
    const reliable = this.reliableTransport;
    // One TimerValues per transaction (two when a request moves to TCP), not one per timer started.
    if (this.timerValues === undefined || this.timerValues.reliable !== reliable) this.timerValues = new TimerValues(this.context.timers, reliable);
    return this.timerValues;
  }

  private timerValues: TimerValues | undefined;

  /**
   * Hands a message to the transport. RFC 3261 §18.1.1 lets the transport move a large UDP request to
   * TCP; when the transport reports a reliable protocol was used, the transaction becomes reliable and
   * stops its retransmission timer (§17.1.1.2: "If an unreliable transport is being used …").
   */
  protected send(message: SipRequest, retransmitTimer: 'A' | 'E' | undefined): void {
    this.context.transport.sendRequest(message, this.destination, this.sendOptions).then(
      (used) => {
        if (!this.reliableTransport && this.context.transport.isReliable(used.remote.protocol)) {
          this.reliableTransport = true;
          if (retransmitTimer !== undefined) this.stopTimer(retransmitTimer);
        }
      },
      (error: unknown) => {
        if (!this.terminated) this.onTransportError(asTransportError(error));
      },
    );
  }

  protected abstract onTransportError(error: DialtoneError): void;

  /** See `request`: called on entering Completed or Accepted, after the last use of the request. */
  protected releaseRequest(): void {
    this.requestKept = undefined;
  }

  /** Passes a response up to the TU. */
  protected deliver(response: SipResponse, synthetic?: SyntheticCause): void {
    this.isolate('onResponse', () => (synthetic === undefined ? this.user.onResponse(response) : this.user.onResponse(response, synthetic)));
  }

  /**
   * RFC 3261 §8.1.3.1: "If a fatal transport error is reported by the transport layer (generally, due to
   * fatal ICMP errors in UDP or connection failures in TCP), the condition MUST be treated as a 503
   * (Service Unavailable) status code"; "a transaction layer timeout … MUST be treated as if a 408
   * (Request Timeout) status code has been received".
   */
  protected deliverSynthetic(status: 408 | 487 | 503, cause: SyntheticCause): void {
    this.deliver(createResponse(this.request, status), cause);
  }

  protected override onTerminatedHook(): void {
    const user = this.user;
    if (user.onTerminated !== undefined) this.isolate('onTerminated', () => user.onTerminated?.());
  }
}
