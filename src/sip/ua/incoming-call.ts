/**
 * A call offered to us: an INVITE outside any dialog (RFC 3261 §13.3). The application rings it
 * (`progress`: 180/183, §13.3.1.1, which creates the early dialog with our To tag, §12.1.1), answers it
 * (`accept`: 2xx with our Contact, retransmitted until the ACK, §13.3.1.4) or refuses it (`reject`:
 * 3xx–6xx, §13.3.1.3).
 *
 * An INVITE without SDP (a delayed or "late" offer, §13.2.1): our 2xx then carries the offer and the
 * caller's ACK the answer, so `accept` is given our offer and resolves with a call whose `remoteSdp` is
 * the ACK's (undefined when the ACK had none). Provisional responses to it carry no SDP: an offer may
 * only go in a reliable provisional (RFC 3262), which we do not send.
 *
 * CANCEL (§9.2): the transaction layer answers the CANCEL 200; this object then answers the INVITE
 * 487 itself — the application does not — and emits `cancelled`. Later `progress`/`accept`/`reject`
 * calls do nothing (accept rejects its promise).
 *
 * ```
 *   offered ──progress──> early ──accept──> answered (SipCall; ACK awaited there)
 *      │                    │
 *      └──reject / CANCEL───┴──> rejected | cancelled
 * ```
 */
import { DialtoneError, ErrorCodes, randomToken } from '../../kernel/index.js';
import { Dialog, type UasSessionTimerDecision } from '../dialog/index.js';
import type { Resolver } from '../locate/index.js';
import { createResponse, getHeaders, type HeaderField, type SipRequest, type SipResponse } from '../message/index.js';
import type { InviteServerTransaction, ServerTransaction } from '../transaction/index.js';
import type { ReceivedMessage } from '../transport/index.js';
import { SipCall } from './sip-call.js';
import { TypedEvents } from '../../kernel/index.js';
import { sdpOf, type DialogOwner, type UaCore } from './ua-core.js';

export type IncomingCallState = 'offered' | 'early' | 'answered' | 'rejected' | 'cancelled';

export interface IncomingCallEvents {
  /** The caller cancelled (CANCEL, or BYE on the early dialog); the INVITE has been answered 487. */
  cancelled: (request: SipRequest) => void;
}

export interface AcceptOptions {
  headers?: HeaderField[];
  contentType?: string;
}

export class IncomingCall implements DialogOwner {
  readonly transaction: InviteServerTransaction;
  /** The INVITE, kept by the call: its transaction keeps it only until the final response. */
  readonly request: SipRequest;
  /** The INVITE as received: its source, for logs and for the call engine's From/Contact decisions. */
  readonly received: ReceivedMessage;
  /** Our To tag, the same on every response (RFC 3261 §8.2.6.2, §9.2 "SHOULD be the same"). */
  readonly localTag = randomToken();
  private readonly core: UaCore;
  private readonly resolver: Resolver;
  private readonly events: TypedEvents<IncomingCallEvents>;
  private current: IncomingCallState = 'offered';
  private earlyDialog: Dialog | undefined;
  private readonly sessionTimer: Extract<UasSessionTimerDecision, { kind: 'accept' }>;

  constructor(core: UaCore, transaction: InviteServerTransaction, resolver: Resolver, sessionTimer?: UasSessionTimerDecision) {
    this.core = core;
    this.sessionTimer = sessionTimer?.kind === 'accept' ? sessionTimer : { kind: 'accept', headers: [], outcome: { active: false } };
    this.transaction = transaction;
    this.request = transaction.request;
    this.received = transaction.received;
    this.resolver = resolver;
    this.events = new TypedEvents<IncomingCallEvents>((error, event) =>
      core.logger.error('incoming call listener threw', { event: String(event), error: String(error) }));
    core.remember(this);
  }

  on<K extends keyof IncomingCallEvents>(event: K, listener: IncomingCallEvents[K]): this {
    this.events.on(event, listener);
    return this;
  }

  get state(): IncomingCallState {
    return this.current;
  }

  /** The caller's offer, when the INVITE carries one. */
  get remoteSdp(): Buffer | undefined {
    return sdpOf(this.request);
  }

  /** Whether the INVITE carries no offer (RFC 3261 §13.2.1): ours then goes in the 2xx, theirs in the ACK. */
  get offerless(): boolean {
    return this.remoteSdp === undefined;
  }

  /**
   * RFC 3261 §13.3.1.1: a provisional response (180 Ringing, 183 Session Progress with early media).
   * The first one with our To tag creates the early dialog (§12.1.1). An offerless INVITE gets no SDP
   * here whatever `sdp` says: it would be an offer in an unreliable provisional, which RFC 3261 §13.2.1
   * leaves no room for (only the 2xx, or a reliable 1xx per RFC 3262, may carry it).
   */
  progress(status: 180 | 181 | 182 | 183 = 180, sdp?: Buffer, headers: HeaderField[] = []): void {
    if (this.current !== 'offered' && this.current !== 'early') return;
    const response = this.response(status, undefined, headers, this.offerless ? undefined : sdp);
    this.transaction.respond(response);
    if (this.earlyDialog === undefined) {
      this.earlyDialog = Dialog.fromUasResponse(this.request, response, { secure: this.received.remote.protocol === 'tls' });
      this.core.attach(this.earlyDialog, this);
    }
    this.current = 'early';
  }

  /**
   * RFC 3261 §13.3.1.4: answers 200 with `sdp` and our Contact, and keeps retransmitting it until the ACK.
   * `sdp` is our answer, or our offer when the INVITE had none (§13.2.1; the call's `remoteSdp` is then
   * the ACK's answer). Resolves with the established call once the ACK arrives — or a BYE came first (a lost ACK), the call
   * then being already ended. Rejects when the call was cancelled or answered already, or when no ACK came
   * within 64*T1 (the call is then ended with a BYE, §13.3.1.4).
   */
  accept(sdp: Buffer | undefined, options: AcceptOptions = {}): Promise<SipCall> {
    if (this.current !== 'offered' && this.current !== 'early') {
      return Promise.reject(new DialtoneError(ErrorCodes.internal, `the call cannot be answered: it is ${this.current}`, { state: this.current }));
    }
    // RFC 4028 §9: the 2xx carries the negotiated Session-Expires (and Require: timer).
    const response = this.response(
      200,
      undefined,
      [...(options.headers ?? []), ...this.sessionTimer.headers, ...this.core.capabilityHeaders()],
      sdp,
      options.contentType,
    );
    this.transaction.respond(response);
    this.current = 'answered';
    // No event after this; see end().
    this.events.removeAll();
    let dialog = this.earlyDialog;
    if (dialog === undefined) {
      dialog = Dialog.fromUasResponse(this.request, response, { secure: this.received.remote.protocol === 'tls' });
    } else {
      // §13.3.1.4 / §12.1.1: our 2xx confirms the early dialog.
      this.core.detach(dialog);
      dialog.confirm();
    }
    this.core.forget(this);
    const call = new SipCall({
      core: this.core,
      dialog,
      role: 'uas',
      inviteSeq: this.request.cseq.seq,
      peerAllow: getHeaders(this.request, 'Allow'),
      localSdp: sdp,
      remoteSdp: this.remoteSdp,
      resolver: this.resolver,
      protocol: this.received.remote.protocol,
      sessionTimer: this.sessionTimer.outcome,
    });
    call.expectAck(this.transaction, response, this.offerless && sdp !== undefined);
    return new Promise((resolve, reject) => {
      const onConfirmed = (): void => {
        call.off('confirmed', onConfirmed);
        call.off('ended', onEnded);
        resolve(call);
      };
      const onEnded = (end: { by: string }): void => {
        call.off('confirmed', onConfirmed);
        call.off('ended', onEnded);
        if (end.by === 'ack-timeout') reject(new DialtoneError(ErrorCodes.sipTransactionTimeout, 'no ACK for our 2xx', { callId: call.callId }));
        else resolve(call);
      };
      call.on('confirmed', onConfirmed);
      call.on('ended', onEnded);
    });
  }

  /** RFC 3261 §13.3.1.3: refuses the call with a final 3xx–6xx (486 Busy Here, 603 Decline, …). */
  reject(status: number, reason?: string, headers: HeaderField[] = []): void {
    if (this.current !== 'offered' && this.current !== 'early') return;
    if (status < 300 || status > 699) throw new RangeError(`reject takes a 3xx–6xx status, not ${status}`);
    this.transaction.respond(this.response(status, reason, headers));
    this.end('rejected');
    this.events.removeAll();
  }

  /** The UserAgent saw a CANCEL for this INVITE (the transaction layer answered it 200). */
  cancelled(request: SipRequest): void {
    if (this.current !== 'offered' && this.current !== 'early') return;
    // RFC 3261 §9.2: "the UAS SHOULD immediately respond to the INVITE with a 487 (Request Terminated)".
    this.transaction.respond(this.response(487, undefined, []));
    this.end('cancelled');
    this.events.emit('cancelled', request);
    this.events.removeAll();
  }

  /** Requests in the early dialog (RFC 3261 §15: a caller may end an early dialog with BYE). */
  handleRequest(transaction: ServerTransaction, _dialog: Dialog): void {
    const request = transaction.request;
    const ok = createResponse(request, 200, undefined, { headers: [{ name: 'Server', value: this.core.product }] });
    if (request.method === 'BYE') {
      transaction.respond(ok);
      this.cancelled(request);
      return;
    }
    if (request.method === 'OPTIONS' || request.method === 'INFO' || request.method === 'UPDATE') {
      transaction.respond(ok);
      return;
    }
    transaction.respond(createResponse(request, 501, undefined, { headers: [{ name: 'Server', value: this.core.product }] }));
  }

  handleAck(_ack: ReceivedMessage): void {
    // No 2xx was sent on the early dialog: nothing to acknowledge.
  }

  /** Closing the UA: a call nobody answered is refused 480 (Temporarily Unavailable). */
  close(): void {
    this.reject(480);
  }

  /**
   * Settled: no event is emitted again. The endpoint's CANCEL listener (keyed by the INVITE server
   * transaction, kept for Timer L / Timer H, 64*T1) keeps this object, so the listeners — and the
   * call layer's state they hold — are dropped once the call is answered, rejected or cancelled.
   */
  private end(state: 'rejected' | 'cancelled'): void {
    this.current = state;
    if (this.earlyDialog !== undefined) {
      this.earlyDialog.terminate();
      this.core.detach(this.earlyDialog);
    }
    this.core.forget(this);
  }

  private response(status: number, reason: string | undefined, headers: HeaderField[], body?: Buffer, contentType?: string): SipResponse {
    const response = createResponse(this.request, status, reason, {
      toTag: this.localTag,
      headers: [...headers, { name: 'Server', value: this.core.product }],
      ...(body === undefined ? {} : { body, contentType: contentType ?? 'application/sdp' }),
    });
    if (status < 300) {
      // RFC 3261 §12.1.1: "the UAS MUST add a Contact header field to the response" that creates a dialog.
      const secure = this.request.uri.scheme === 'sips';
      response.contact = [this.core.contactFor(this.received.remote.protocol, this.request.uri.user, secure)];
    }
    return response;
  }
}
