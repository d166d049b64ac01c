import { DialtoneError, ErrorCodes, ownedBytes, ownedString } from '../../kernel/index.js';
import { parseKept, serializeMessage } from '../message/index.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceivedMessage, RequestArrival } from '../transport/types.js';
import { TimerValues } from './timer-values.js';
import { asTransportError, Transaction, type TransactionContext } from './transaction.js';
import { toTagOf, usesRfc2543Matching } from './transaction-key.js';
import type { ServerTransactionUser } from './transaction-user.js';

/**
 * What the INVITE and non-INVITE server transactions share: where the request came in (responses go back
 * "to the address from which the request was received", over the same connection for TCP/TLS, §18.2.2),
 * the last response sent, kept when the transaction may have to retransmit it, and transport failures
 * reported to the TU (§17.2.4).
 *
 * The request itself is kept only until the final response: after it the transaction lives on for up to
 * 64*T1 (Timers J, L, H) to absorb retransmissions, which needs the request's arrival, CSeq and branch,
 * not the parsed message (~2–3 KiB a transaction). A TU that needs the request longer keeps its own
 * reference when the transaction is handed to it.
 */
export abstract class ServerTransactionBase<State extends string> extends Transaction<State> {
  /** Set by the TU in TransactionLayerUser.onRequest to hear timeouts, failures and Accepted-state ACKs. */
  user: ServerTransactionUser = {};
  /** The response the transaction retransmits when asked, until its final one is kept as bytes. */
  protected lastResponse: SipResponse | undefined;
  /** The final response as sent, kept for retransmissions once the request is released. */
  private finalBytes: Buffer | undefined;
  /** The request as received, until the final response (its message is a request: checked at construction). */
  private receivedKept: ReceivedMessage | undefined;
  private readonly arrival: RequestArrival;
  private readonly cseqSeq: number;
  private readonly cseqMethod: string;
  private releasedBranch = '';
  private releasedToTag = '';
  private lastToTag: string | undefined;
  private transportFailed = false;

  protected constructor(received: ReceivedMessage, initial: State, context: TransactionContext, kind: string) {
    const request = received.message;
    if (request.kind !== 'request') throw new TypeError('a server transaction is created by a request');
    super(ownedString(request.method), initial, context, kind);
    this.receivedKept = received;
    this.arrival = received.connectionId === undefined
      ? { remote: received.remote, local: received.local }
      : { remote: received.remote, local: received.local, connectionId: received.connectionId };
    this.cseqSeq = request.cseq.seq;
    this.cseqMethod = ownedString(request.cseq.method);
  }

  /**
   * The request as received, until the transaction sends its final response (see the class comment).
   * Reading it after that is a programming error and throws.
   */
  get received(): ReceivedMessage {
    if (this.receivedKept === undefined) throw this.released();
    return this.receivedKept;
  }

  /** The request that created the transaction, until its final response (as `received`). */
  get request(): SipRequest {
    return this.received.message as SipRequest;
  }

  get branch(): string {
    return this.receivedKept === undefined ? this.releasedBranch : (this.request.via[0]?.params.get('branch') ?? '');
  }

  /** The request's To tag ('' when none): RFC 2543 matching compares it (§17.2.3). */
  get requestToTag(): string {
    return this.receivedKept === undefined ? this.releasedToTag : toTagOf(this.request);
  }

  /** The request is received over a reliable transport (TCP/TLS): no response retransmissions. */
  get reliable(): boolean {
    return this.context.transport.isReliable(this.arrival.remote.protocol);
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

  /**
   * Drops the parsed request once the final response is sent, keeping what the rest of the transaction
   * reads: its branch for the logger and, for an RFC 2543 peer, its To tag for matching. Both, and the
   * response's To tag (the request's, in a dialog), are copied so that they do not pin the message's
   * header section (ownedString).
   */
  protected releaseRequest(): void {
    if (this.receivedKept === undefined) return;
    const request = this.request;
    this.releasedBranch = ownedString(request.via[0]?.params.get('branch') ?? '');
    if (usesRfc2543Matching(request)) this.releasedToTag = ownedString(toTagOf(request));
    if (this.lastToTag !== undefined) this.lastToTag = ownedString(this.lastToTag);
    this.receivedKept = undefined;
    // The final response, which Completed retransmits for up to 64*T1, is kept as the bytes sent: as
    // parsed objects it is ~2.5 KiB, and its Via, From and To, copied from the request, keep the
    // request's text alive. Retransmissions are rare (a lost response): they parse it again.
    if (this.lastResponse !== undefined && this.lastResponse.status >= 200) {
      this.finalBytes = ownedBytes(serializeMessage(this.lastResponse));
      this.lastResponse = undefined;
    }
  }

  /** Passes the last response sent to the transport again (a request retransmission, Timer G). */
  protected retransmit(): void {
    if (this.lastResponse !== undefined) {
      this.transmit(this.lastResponse);
      return;
    }
    if (this.finalBytes !== undefined) this.transmit(parseKept(this.finalBytes, 'response'));
  }

  private released(): DialtoneError {
    return new DialtoneError(ErrorCodes.internal, `the ${this.method} server transaction keeps no request after its final response`);
  }

  /** The TU's response to the request; what happens depends on the state (see each machine). */
  abstract respond(response: SipResponse): void;

  /** A retransmission of the request, matched to this transaction by the layer (§17.2.3). */
  abstract receiveRequest(received: ReceivedMessage): void;

  protected checkResponse(response: SipResponse): void {
    if (!Number.isInteger(response.status) || response.status < 100 || response.status > 699) {
      throw new RangeError(`invalid response status ${response.status}`);
    }
    if (response.cseq.method !== this.cseqMethod || response.cseq.seq !== this.cseqSeq) {
      throw new RangeError(`response CSeq ${response.cseq.seq} ${response.cseq.method} does not answer ${this.cseqSeq} ${this.cseqMethod}`);
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
    this.context.transport.sendResponse(response, this.arrival).then(
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
