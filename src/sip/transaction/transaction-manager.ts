import { DialtoneError, ErrorCodes, randomToken, silentLogger, systemClock, type Clock, type Logger } from '../../kernel/index.js';
import { createResponse, ParamList } from '../message/index.js';
import type { HeaderField, SipRequest, SipResponse } from '../message/types.js';
import type { Endpoint, ReceivedMessage, SendOptions, SipTransport, TransportListener } from '../transport/types.js';
import { generateBranch } from './branch.js';
import { buildCancel } from './build-cancel.js';
import type { ClientTransactionTarget } from './client-transaction-base.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { resolveTimerSettings, type TimerSettings } from './timer-values.js';
import type { TransactionContext } from './transaction.js';
import { clientTransactionKey, responseTransactionKey, serverTransactionKey, toTagOf, usesRfc2543Matching } from './transaction-key.js';
import type { ClientTransactionUser, ServerTransaction, TransactionLayerUser } from './transaction-user.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface TransactionManagerOptions {
  transport: SipTransport;
  user: TransactionLayerUser;
  clock?: Clock;
  logger?: Logger;
  /** T1, T2, T4, Timer D and the 100 (Trying) delay; RFC 3261 Table 4 defaults. */
  timers?: Partial<TimerSettings>;
}

export interface TransactionLayerStats {
  /** Client transactions alive now. */
  clientTransactions: number;
  /** Server transactions alive now. */
  serverTransactions: number;
  /** RFC 3261 §17.1.3: responses that matched no client transaction, dropped. */
  strayResponses: number;
  /** RFC 3261 §9.2: CANCELs that matched no INVITE, answered 481. */
  unmatchedCancels: number;
  /** Requests the layer could not attribute (no top Via) or whose handling threw, dropped. */
  malformedDropped: number;
}

/**
 * The transaction layer (RFC 3261 §17): creates client transactions for the TU's requests, matches
 * every message from the transport to its transaction (§17.1.3, §17.2.3), creates server transactions
 * for new requests and hands them to the TU, and routes what no transaction claims: CANCEL (§9.2), the
 * ACK of a 2xx (§17.2.3, §13.3.1.4) and stray responses (dropped and counted). Register it as the
 * transport's listener. Nothing thrown by a handler escapes `onMessage`.
 */
export class TransactionManager implements TransportListener {
  readonly timers: TimerSettings;
  private readonly transport: SipTransport;
  private readonly user: TransactionLayerUser;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private counters = { strayResponses: 0, unmatchedCancels: 0, malformedDropped: 0 };
  /** INVITE client transactions a CANCEL was sent or is pending for (one CANCEL per INVITE). */
  private readonly cancelled = new WeakSet<InviteClientTransaction>();
  private closed = false;

  constructor(options: TransactionManagerOptions) {
    this.transport = options.transport;
    this.user = options.user;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ layer: 'transaction' });
    this.timers = resolveTimerSettings(options.timers);
  }

  /**
   * Starts a client transaction for `request` (RFC 3261 §17.1): an INVITE client transaction for INVITE,
   * a non-INVITE one otherwise. A top Via is added when missing, and a branch (§8.1.1.7) when the top
   * Via has none; the transport fills in the sent-by. ACK is refused: the ACK of a non-2xx belongs to the
   * INVITE transaction, the ACK of a 2xx is sent with `sendAck`.
   */
  request(request: SipRequest, target: Endpoint | ClientTransactionTarget, user: ClientTransactionUser): ClientTransaction {
    this.assertOpen();
    if (request.method === 'ACK') throw new TypeError('ACK is not sent in a client transaction; use sendAck for the ACK of a 2xx');
    const resolved: ClientTransactionTarget = 'destination' in target ? target : { destination: target };
    const branch = this.ensureBranch(request, resolved.destination);
    const key = clientTransactionKey(branch, request.method);
    if (this.clients.has(key)) {
      throw new DialtoneError(ErrorCodes.internal, `a client transaction already exists for branch ${branch} ${request.method}`);
    }
    let transaction: ClientTransaction | undefined;
    const context = this.context(() => {
      if (transaction !== undefined && this.clients.get(key) === transaction) this.clients.delete(key);
    });
    // The transport answers asynchronously, so registering right after construction (which sends the
    // request) is in time for the first response.
    transaction = request.method === 'INVITE'
      ? new InviteClientTransaction(request, resolved, user, context)
      : new NonInviteClientTransaction(request, resolved, user, context);
    this.clients.set(key, transaction);
    if (transaction instanceof InviteClientTransaction) {
      const invite = transaction;
      // Timer C (TimerSettings.timerC): the INVITE is cancelled; its TU hears the final response (487, or
      // §9.1's synthetic 487 if none comes). The CANCEL's own responses need no one.
      invite.onProceedingTimeout(() => {
        if (!this.closed) this.cancel(invite, { onResponse: () => undefined });
      });
    }
    return transaction;
  }

  /**
   * RFC 3261 §9.1: cancels a pending INVITE. "If no provisional response has been received, the CANCEL
   * request MUST NOT be sent; rather, the client MUST wait for the arrival of a provisional response
   * before sending the request." "If the request has already received a final response", the CANCEL
   * "SHOULD NOT be sent" — then nothing happens and false is returned. The CANCEL's own responses go to
   * `user`. `headers` may carry a Reason header (RFC 3326). A second call for the same INVITE does nothing
   * more and returns true while the INVITE is pending: one CANCEL per INVITE, retransmitted by its own transaction.
   */
  cancel(invite: InviteClientTransaction, user: ClientTransactionUser, headers: HeaderField[] = []): boolean {
    this.assertOpen();
    if (invite.state !== 'calling' && invite.state !== 'proceeding') return false;
    if (this.cancelled.has(invite)) return true;
    this.cancelled.add(invite);
    const send = (): void => {
      // §9.1: "The destination address, port, and transport for the CANCEL MUST be identical to those used
      // to send the original request."
      this.request(buildCancel(invite.request, headers), invite.target, user);
      invite.cancelSent();
    };
    if (invite.state === 'proceeding') {
      send();
      return true;
    }
    const unsubscribe = invite.onStateChange((state) => {
      if (state === 'calling') return;
      unsubscribe();
      if (state === 'proceeding' && !this.closed) send();
    });
    return true;
  }

  /**
   * RFC 3261 §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
   * transaction layer." That ACK belongs to no client transaction (§17.1.1.1: the 2xx ACK is the UAC
   * core's, with a branch of its own); it goes straight to the transport, and the UAC core sends it again
   * for each retransmitted 2xx the INVITE transaction passes up. Rejects with
   * DialtoneError(sipTransportFailure).
   */
  async sendAck(ack: SipRequest, destination: Endpoint, options?: SendOptions): Promise<void> {
    this.assertOpen();
    if (ack.method !== 'ACK') throw new TypeError(`sendAck sends ACK, not ${ack.method}`);
    this.ensureBranch(ack, destination);
    await this.transport.sendRequest(ack, destination, options);
  }

  /** TransportListener: every message from the transport. Never throws. */
  onMessage(received: ReceivedMessage): void {
    if (this.closed) return;
    try {
      if (received.message.kind === 'response') this.receiveResponse(received.message);
      else this.receiveRequest(received, received.message);
    } catch (error) {
      this.counters.malformedDropped++;
      this.logger.error('message handling failed', { error: String(error) });
    }
  }

  stats(): TransactionLayerStats {
    return { clientTransactions: this.clients.size, serverTransactions: this.servers.size, ...this.counters };
  }

  /** Ends every transaction and stops every timer; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.clients.values(), ...this.servers.values()];
    this.clients.clear();
    this.servers.clear();
    for (const transaction of all) transaction.dispose();
  }

  private receiveResponse(response: SipResponse): void {
    const key = responseTransactionKey(response);
    const transaction = key === undefined ? undefined : this.clients.get(key);
    if (transaction === undefined) {
      // RFC 6026 §8.9 (replacing RFC 3261 §18.1.2): "If there is a match, the response MUST be passed to
      // that transaction. Otherwise, any element other than a stateless proxy MUST silently discard the
      // response." (The Accepted state catches the 2xx retransmissions and forked 2xx.) Counted.
      this.counters.strayResponses++;
      this.logger.debug('stray response dropped', { status: response.status, callId: response.callId, cseq: response.cseq.method });
      return;
    }
    transaction.receiveResponse(response);
  }

  private receiveRequest(received: ReceivedMessage, request: SipRequest): void {
    const key = serverTransactionKey(request);
    if (key === undefined) {
      this.counters.malformedDropped++;
      this.logger.warn('request without Via dropped', { method: request.method, callId: request.callId });
      return;
    }
    const existing = this.findServer(key, request);
    if (request.method === 'ACK') {
      if (existing instanceof InviteServerTransaction && existing.state !== 'accepted') {
        // RFC 3261 §17.2.3: the ACK of a non-2xx matches the INVITE server transaction.
        existing.receiveAck();
        return;
      }
      // RFC 3261 §17.2.3: no match: the ACK of a 2xx, for the UAS core. RFC 6026 §7.1: "Any ACKs received
      // from the network while in the "Accepted" state MUST be passed directly to the TU and not absorbed."
      this.isolate('onAck', () => this.user.onAck(received));
      return;
    }
    if (existing !== undefined) {
      // RFC 3261 §17.2.3: a retransmission of the request that created the transaction.
      existing.receiveRequest(received);
      return;
    }
    if (request.method === 'CANCEL') {
      this.receiveCancel(received, request, key);
      return;
    }
    const transaction = this.createServer(key, received);
    // RFC 3261 §17.2.1 / §17.2.2: the new request is passed to the TU.
    this.isolate('onRequest', () => this.user.onRequest(transaction));
  }

  /** RFC 3261 §9.2 Server Behavior. */
  private receiveCancel(received: ReceivedMessage, cancel: SipRequest, key: string): void {
    const cancelTransaction = this.createServer(key, received) as NonInviteServerTransaction;
    // "The CANCEL method requests that the TU at the server side cancel a pending transaction. The TU
    // determines the transaction to be cancelled by taking the CANCEL request, and then assuming that the
    // request method is anything but CANCEL or ACK and applying the transaction matching procedures of
    // Section 17.2.3. The matching transaction is the one to be cancelled."
    const inviteKey = serverTransactionKey(cancel, 'INVITE');
    const invite = inviteKey === undefined ? undefined : this.servers.get(inviteKey);
    const needsTag = toTagOf(cancel) === '';
    if (!(invite instanceof InviteServerTransaction) || !this.sameOrigin(invite, cancel)) {
      // "If the UAS did not find a matching transaction for the CANCEL according to the procedure above,
      // it SHOULD respond to the CANCEL with a 481 (Call Leg/Transaction Does Not Exist)."
      this.counters.unmatchedCancels++;
      cancelTransaction.respond(createResponse(cancel, 481, undefined, needsTag ? { toTag: randomToken() } : {}));
      return;
    }
    // "Regardless of the method of the original request, as long as the CANCEL matched an existing
    // transaction, the UAS answers the CANCEL request itself with a 200 (OK) response." "The To tag of
    // the response to the CANCEL and the To tag in the response to the original request SHOULD be the
    // same."
    cancelTransaction.respond(createResponse(cancel, 200, undefined, needsTag ? { toTag: invite.localTag ?? randomToken() } : {}));
    // "If the UAS has already sent a final response for the original request, the CANCEL request has no
    // effect on the processing of the original request"; otherwise the TU answers the INVITE with 487.
    if (invite.state === 'proceeding') this.isolate('onCancel', () => this.user.onCancel(invite, received));
  }

  private findServer(key: string, request: SipRequest): ServerTransaction | undefined {
    const transaction = this.servers.get(key);
    if (transaction === undefined) return undefined;
    return this.sameOrigin(transaction, request) ? transaction : undefined;
  }

  /**
   * RFC 3261 §17.2.3, RFC 2543 matching only: the To tag too must match — an INVITE's that of the
   * original INVITE, an ACK's "the To tag of the response sent by the server transaction", a CANCEL's that
   * of the INVITE.
   */
  private sameOrigin(transaction: ServerTransaction, request: SipRequest): boolean {
    if (!usesRfc2543Matching(request)) return true;
    const tag = toTagOf(request);
    if (request.method === 'ACK') return tag === (transaction.localTag ?? '');
    return tag === transaction.requestToTag;
  }

  private createServer(key: string, received: ReceivedMessage): ServerTransaction {
    let transaction: ServerTransaction | undefined;
    const context = this.context(() => {
      if (transaction !== undefined && this.servers.get(key) === transaction) this.servers.delete(key);
    });
    transaction = received.message.kind === 'request' && received.message.method === 'INVITE'
      ? new InviteServerTransaction(received, context)
      : new NonInviteServerTransaction(received, context);
    this.servers.set(key, transaction);
    return transaction;
  }

  /**
   * RFC 3261 §8.1.1.7: "When the UAC creates a request, it MUST insert a Via into that request" whose
   * branch "MUST always begin with the characters "z9hG4bK"". Adds the Via (the transport writes the real
   * sent-by, §18.1.1) or the branch when missing; keeps a branch the TU chose (a CANCEL's is the INVITE's).
   */
  private ensureBranch(request: SipRequest, destination: Endpoint): string {
    const via = request.via[0];
    if (via === undefined) {
      const branch = generateBranch();
      request.via.unshift({
        protocol: 'SIP/2.0',
        transport: destination.protocol.toUpperCase(),
        host: this.transport.listening()[0]?.address ?? '0.0.0.0',
        params: new ParamList([['branch', branch]]),
      });
      return branch;
    }
    const existing = via.params.get('branch');
    if (existing) return existing;
    const branch = generateBranch();
    via.params.set('branch', branch);
    return branch;
  }

  private context(onTerminated: () => void): TransactionContext {
    return { transport: this.transport, clock: this.clock, timers: this.timers, logger: this.logger, onTerminated };
  }

  private assertOpen(): void {
    if (this.closed) throw new DialtoneError(ErrorCodes.internal, 'the transaction layer is closed');
  }

  private isolate(what: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger.error('transaction layer user callback threw', { callback: what, error: String(error) });
    }
  }
}
