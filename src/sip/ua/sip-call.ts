/**
 * An established call: one confirmed INVITE dialog (RFC 3261 §12, §13–§15), made by an OutgoingCall
 * (we were the UAC) or an IncomingCall (we were the UAS). It answers what the peer sends in the dialog
 * (BYE §15.1.2, re-INVITE §14.2, INFO RFC 6086, UPDATE RFC 3311, OPTIONS §11), sends our own (BYE
 * §15.1.1, re-INVITE §14.1, INFO), keeps a 2xx alive until its ACK (§13.3.1.4) and acknowledges the 2xx
 * to our re-INVITEs (§13.2.2.4). Offer/answer bodies are opaque here; where the INVITE or re-INVITE
 * came without an offer, our 2xx carries ours and the ACK the answer (§13.2.1, §14.2), which
 * `offerAnswered` reports.
 *
 * ```
 *   confirmed ──(ACK of our 2xx, UAS only; ackPending until then)──> confirmed
 *       │  our BYE: 'ending' until its final response (or none: §15.1.1 ends it anyway)
 *       │  their BYE: 200, ended
 *       │  no ACK within 64*T1 (§13.3.1.4): BYE, ended
 *       V
 *     ended
 * ```
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import {
  Invite2xxRetransmitter,
  MIN_SESSION_EXPIRES,
  negotiateUac,
  negotiateUas,
  SessionTimer,
  sessionTimerRequestHeaders,
  subsequentRequestState,
  type Dialog,
  type SessionTimerOutcome,
} from '../dialog/index.js';
import type { Resolver } from '../locate/index.js';
import { createResponse, getHeader, getHeaders, listElements, type HeaderField, type SipRequest, type SipResponse } from '../message/index.js';
import type { ClientTransactionUser, InviteServerTransaction, ServerTransaction } from '../transaction/index.js';
import type { ReceivedMessage, TransportProtocol } from '../transport/index.js';
import { TypedEvents } from '../../kernel/index.js';
import { hopOf, locateUri, requestFinal, sdpOf, syntheticResponse, type DialogOwner, type NextHop, type UaCore } from './ua-core.js';

/** Why and how a call ended. */
export interface CallEnd {
  /** local: our BYE; remote: their BYE; ack-timeout: §13.3.1.4; session-expired: RFC 4028 §10; failure: 408/481 on a request in the dialog (§12.2.1.2). */
  by: 'local' | 'remote' | 'ack-timeout' | 'session-expired' | 'failure';
  /** The final response to our BYE, when we sent one. */
  status?: number;
  /** Their BYE, when they hung up (its headers carry Reason, X- headers …). */
  request?: SipRequest;
}

/** An INFO received in the dialog (RFC 6086), already answered 200. */
export interface InfoReceived {
  request: SipRequest;
  contentType: string | undefined;
  body: Buffer;
}

/** A remote re-INVITE (or UPDATE with a body) after we answered it. */
export interface ReinviteReceived {
  request: SipRequest;
  /** Their offer (undefined for an offerless re-INVITE: then our answer was an offer, and theirs comes in the ACK). */
  remoteSdp: Buffer | undefined;
  localSdp: Buffer | undefined;
}

export interface SipCallEvents {
  /** The ACK of our 2xx arrived (UAS side; the UAC side is confirmed from the start). */
  confirmed: () => void;
  ended: (end: CallEnd) => void;
  info: (info: InfoReceived) => void;
  reinvite: (event: ReinviteReceived) => void;
  /**
   * The ACK of a 2xx that carried our offer (the INVITE or re-INVITE had none, RFC 3261 §13.2.1, §14.2;
   * for the initial INVITE it comes before `accept` resolves, so `remoteSdp` is what to read): its SDP, the
   * answer (RFC 3264 §4 via §13.2.1), or undefined when the ACK carried none. `remoteSdp` follows it.
   */
  offerAnswered: (answer: Buffer | undefined, ack: SipRequest) => void;
}

/**
 * Our answer to a remote re-INVITE or UPDATE offer: the SDP to answer with, or a status to refuse it
 * (488 …). For an offerless re-INVITE (`offer` undefined) the SDP is our offer (RFC 3261 §14.2).
 */
export type ReinviteAnswer = { sdp: Buffer | undefined } | { status: number; reason?: string };
export type ReinviteHandler = (offer: Buffer | undefined, request: SipRequest) => ReinviteAnswer | Promise<ReinviteAnswer>;

/** The result of our re-INVITE. */
export interface ReinviteResult {
  status: number;
  response: SipResponse;
  remoteSdp: Buffer | undefined;
}

export interface SipCallInit {
  core: UaCore;
  dialog: Dialog;
  role: 'uac' | 'uas';
  /** The CSeq number of the INVITE that created the dialog. */
  inviteSeq: number;
  localSdp: Buffer | undefined;
  remoteSdp: Buffer | undefined;
  resolver: Resolver;
  /** Every request of the call goes here (an outbound proxy, RFC 3261 §8.1.2), whatever the dialog's target. */
  fixedHop?: NextHop;
  /** The transport the dialog was made over: the default for a remote target without `;transport=`. */
  protocol: TransportProtocol;
  /** RFC 4028: what the INVITE's 2xx settled (started when the call is). */
  sessionTimer?: SessionTimerOutcome;
  /** The largest Min-SE seen while negotiating (a 422's), for refreshes. */
  minSe?: number;
  /** The peer's Allow values: of its INVITE (UAS side) or of the 2xx that created the dialog (UAC side). */
  peerAllow?: readonly string[];
}

interface PendingAck {
  cseq: number;
  retransmitter: Invite2xxRetransmitter;
  /** The 2xx carried our offer: the ACK carries the answer (RFC 3261 §13.2.1). */
  offered: boolean;
}

export class SipCall implements DialogOwner {
  readonly role: 'uac' | 'uas';
  readonly dialog: Dialog;
  /**
   * The CSeq number of the INVITE that created the dialog. The INVITE itself is not kept for the
   * call's lifetime: the dialog holds what later requests need.
   */
  readonly inviteSeq: number;
  private readonly core: UaCore;
  private readonly events: TypedEvents<SipCallEvents>;
  private readonly resolver: Resolver;
  private readonly fixedHop: NextHop | undefined;
  private readonly protocol: TransportProtocol;
  private local: Buffer | undefined;
  private remote: Buffer | undefined;
  private pendingAck: PendingAck | undefined;
  private ending: Promise<CallEnd> | undefined;
  private endInfo: CallEnd | undefined;
  private reinviteHandler: ReinviteHandler | undefined;
  private readonly endedPromise: Promise<CallEnd>;
  private resolveEnded!: (end: CallEnd) => void;
  /** Waiting for the ACK of our 2xx to be over (arrived, or given up): BYE must wait for it (§15). */
  private ackWaiters: Array<() => void> = [];
  private readonly sessionTimer: SessionTimer;
  /** Set once our BYE is out: a BYE of theirs crossing it does not change who ended the call. */
  private hangingUp: CallEnd['by'] | undefined;
  private readonly minSe: number;
  /** RFC 4028 §7.4: the peer allows UPDATE, so a session refresh needs no re-INVITE. */
  private readonly peerTakesUpdate: boolean;

  constructor(init: SipCallInit) {
    this.core = init.core;
    this.role = init.role;
    this.dialog = init.dialog;
    this.inviteSeq = init.inviteSeq;
    this.local = init.localSdp;
    this.remote = init.remoteSdp;
    this.resolver = init.resolver;
    this.fixedHop = init.fixedHop;
    this.protocol = init.protocol;
    this.events = new TypedEvents<SipCallEvents>((error, event) =>
      this.core.logger.error('call listener threw', { event: String(event), error: String(error) }));
    this.endedPromise = new Promise((resolve) => (this.resolveEnded = resolve));
    this.minSe = init.minSe ?? MIN_SESSION_EXPIRES;
    this.peerTakesUpdate = listElements(init.peerAllow ?? []).some((method) => method.toUpperCase() === 'UPDATE');
    this.sessionTimer = new SessionTimer({
      clock: this.core.clock,
      logger: this.core.logger,
      onRefresh: () => void this.refreshSession(),
      // RFC 4028 §10: no refresh in time: "it SHOULD send a BYE to terminate the session".
      onExpired: () => {
        this.ending ??= this.hangUp('session-expired', [{ name: 'Reason', value: 'SIP;cause=408;text="Session expired"' }]);
      },
    });
    this.core.attach(this.dialog, this);
    this.core.remember(this);
    if (init.sessionTimer !== undefined) this.sessionTimer.start(init.sessionTimer);
  }

  /** RFC 4028: the session timer in force (interval, refresher), or inactive. */
  get sessionTimerOutcome(): SessionTimerOutcome {
    return this.sessionTimer.outcome;
  }

  on<K extends keyof SipCallEvents>(event: K, listener: SipCallEvents[K]): this {
    this.events.on(event, listener);
    return this;
  }

  off<K extends keyof SipCallEvents>(event: K, listener: SipCallEvents[K]): this {
    this.events.off(event, listener);
    return this;
  }

  get callId(): string {
    return this.dialog.id.callId;
  }

  get localSdp(): Buffer | undefined {
    return this.local;
  }

  get remoteSdp(): Buffer | undefined {
    return this.remote;
  }

  /** True once the call ended (BYE either way, ACK timeout, failure). */
  get isEnded(): boolean {
    return this.endInfo !== undefined;
  }

  /** True while our 2xx waits for its ACK (UAS side). */
  get awaitingAck(): boolean {
    return this.pendingAck !== undefined;
  }

  /** Resolves once when the call ends, however it ends. */
  get ended(): Promise<CallEnd> {
    return this.endedPromise;
  }

  /** Decides our answer to a remote re-INVITE or UPDATE offer; without one we answer with our current SDP. */
  onReinvite(handler: ReinviteHandler | undefined): void {
    this.reinviteHandler = handler;
  }

  /**
   * RFC 3261 §15.1.1: ends the call with a BYE; resolves when the BYE has its final response (or none
   * came: "the UAC MUST consider the session and the dialog terminated" either way). A UAS whose 2xx
   * is not acknowledged yet waits for the ACK first (§15: "the callee's UA MUST NOT send a BYE on a
   * confirmed dialog until it has received an ACK for its 2xx response or until the server transaction
   * times out"). Idempotent: later calls return the same end.
   */
  bye(headers: HeaderField[] = []): Promise<CallEnd> {
    if (this.endInfo !== undefined) return Promise.resolve(this.endInfo);
    this.ending ??= this.hangUp('local', headers);
    return this.ending;
  }

  /** Sends INFO (RFC 6086; application/dtmf-relay for SIP INFO DTMF) and resolves with its final response. */
  async sendInfo(body: Buffer | string, contentType: string): Promise<SipResponse> {
    this.assertLive();
    const request = this.dialog.createRequest('INFO', { body: Buffer.from(body), contentType });
    const { response } = await this.send(request);
    this.afterResponse(request, response);
    return response;
  }

  /**
   * RFC 3261 §14.1: a re-INVITE with a new offer (hold and unhold are SDP-level). Resolves with the final
   * response; on 2xx the ACK is sent and the remote SDP updated. §14.1: "If a UA receives a non-2xx final
   * response to a re-INVITE, the session parameters MUST remain unchanged". Throws while another INVITE
   * is pending in either direction (§14.1; a 491 from the peer is returned for the caller to retry).
   */
  reinvite(sdp: Buffer | undefined, headers: HeaderField[] = []): Promise<ReinviteResult> {
    this.assertLive();
    const request = this.dialog.createRequest('INVITE', {
      headers: [...headers, ...this.core.capabilityHeaders(), { name: 'User-Agent', value: this.core.product }],
      ...(sdp === undefined ? {} : { body: sdp, contentType: 'application/sdp' }),
    });
    return new Promise((resolve) => {
      let settled = false;
      let hop: NextHop | undefined;
      const settle = (response: SipResponse): void => {
        if (settled) return;
        settled = true;
        const remoteSdp = sdpOf(response);
        if (response.status >= 200 && response.status < 300) {
          if (sdp !== undefined) this.local = sdp;
          if (remoteSdp !== undefined) this.remote = remoteSdp;
        }
        resolve({ status: response.status, response, remoteSdp });
        if (response.status === 481 || response.status === 408) this.finish({ by: 'failure', status: response.status });
      };
      const user: ClientTransactionUser = {
        onResponse: (response) => {
          if (response.status < 200) return;
          this.dialog.receiveResponse(request, response);
          if (response.status < 300 && hop !== undefined) {
            // RFC 3261 §13.2.2.4: every 2xx the transaction passes up (retransmissions included) is ACKed.
            this.core.transactions.sendAck(this.dialog.ackFor(request), hop.destination, hop.sendOptions).catch((error: unknown) =>
              this.core.logger.warn('ACK of re-INVITE 2xx failed', { error: String(error) }));
          }
          settle(response);
        },
        onTerminated: () => giveUp(408),
      };
      // No response at all (the layer closed, no next hop): treated as §8.1.3.1's 408/503, which also
      // clears the dialog's pending INVITE (§14.1) so that a later re-INVITE may go.
      const giveUp = (status: 408 | 503): void => {
        if (settled) return;
        const response = syntheticResponse(request, status);
        this.dialog.receiveResponse(request, response);
        settle(response);
      };
      this.nextHop().then(
        (found) => {
          hop = found;
          try {
            this.core.transactions.request(request, found, user);
          } catch (error) {
            this.core.logger.warn('re-INVITE not sent', { callId: this.callId, error: String(error) });
            giveUp(503);
          }
        },
        () => giveUp(503),
      );
    });
  }

  /** Ends the call (BYE) if it is still up; idempotent. */
  async close(): Promise<void> {
    if (this.endInfo !== undefined) return;
    // Closing cannot wait 64*T1 for an ACK: stop retransmitting and say goodbye now.
    this.stopAckWait();
    await this.bye().catch(() => undefined);
  }

  // ------------------------------------------------------------------ used by IncomingCall / UserAgent

  /**
   * UAS: our 2xx to `invite` went out; retransmit it until its ACK (RFC 3261 §13.3.1.4). `offered`: the
   * 2xx carried our offer (the INVITE had none), so the ACK's body is the answer.
   */
  expectAck(transaction: InviteServerTransaction, response: SipResponse, offered = false): void {
    const retransmitter = new Invite2xxRetransmitter({
      clock: this.core.clock,
      timers: this.core.timers,
      retransmit: () => transaction.respond(response),
      onAckTimeout: () => {
        // §13.3.1.4: "If the server retransmits the 2xx response for 64*T1 seconds without receiving an
        // ACK, the dialog is confirmed, but the session SHOULD be terminated. This is accomplished with a BYE".
        if (this.pendingAck?.retransmitter !== retransmitter) return;
        this.pendingAck = undefined;
        // A re-INVITE's lost ACK does not end the call; the initial INVITE's does.
        if (response.cseq.seq !== this.inviteSeq) return;
        this.core.logger.warn('no ACK for our 2xx: ending the call', { callId: this.callId });
        this.ending ??= this.hangUp('ack-timeout', []);
        this.ackWaitOver();
      },
    });
    this.pendingAck = { cseq: response.cseq.seq, retransmitter, offered };
    retransmitter.start();
  }

  handleAck(ack: ReceivedMessage): void {
    const request = ack.message as SipRequest;
    const pending = this.pendingAck;
    if (pending === undefined || request.cseq.seq !== pending.cseq) return;
    // §13.3.1.4: "Response retransmissions cease when an ACK request for the response is received."
    pending.retransmitter.ackReceived();
    this.pendingAck = undefined;
    this.ackWaitOver();
    if (pending.offered) {
      // The answer to the offer we put in the 2xx (RFC 3264 §4 via RFC 3261 §13.2.1); an ACK without
      // one leaves the offer unanswered, for the application to end the session.
      const answer = sdpOf(request);
      if (answer !== undefined) this.remote = answer;
      this.events.emit('offerAnswered', answer, request);
    }
    this.events.emit('confirmed');
  }

  handleRequest(transaction: ServerTransaction, _dialog: Dialog): void {
    const request = transaction.request;
    switch (request.method) {
      case 'BYE':
        // RFC 3261 §15.1.2: "the UAS MUST ... terminate the session ... and generate a 2xx response to the BYE".
        this.respond(transaction, 200);
        this.stopAckWait();
        this.finish(this.hangingUp === undefined ? { by: 'remote', request } : { by: this.hangingUp });
        return;
      case 'INFO': {
        this.respond(transaction, 200);
        this.events.emit('info', { request, contentType: request.contentType, body: request.body });
        return;
      }
      case 'OPTIONS':
        // RFC 3261 §11.2 within a dialog: the same capabilities.
        this.respond(transaction, 200, undefined, this.core.capabilityHeaders());
        return;
      case 'UPDATE':
      case 'INVITE':
        this.answerOffer(transaction).catch((error: unknown) => {
          this.core.logger.error('answering an offer failed', { method: request.method, error: String(error) });
          if (transaction.state === 'proceeding' || transaction.state === 'trying') this.respond(transaction, 500);
        });
        return;
      default:
        this.respond(transaction, 501);
    }
  }

  // ------------------------------------------------------------------------------------ internals

  /** RFC 3261 §14.2 (re-INVITE) and RFC 3311 §5.2 (UPDATE): answer the offer, or refuse it. */
  private async answerOffer(transaction: ServerTransaction): Promise<void> {
    const request = transaction.request;
    const offer = sdpOf(request);
    let answer: ReinviteAnswer;
    if (offer === undefined && request.method === 'UPDATE') {
      answer = { sdp: undefined }; // a session refresh without a body (RFC 4028 §7.4): nothing to answer
    } else if (this.reinviteHandler === undefined) {
      answer = { sdp: this.local };
    } else {
      try {
        answer = await this.reinviteHandler(offer, request);
      } catch (error) {
        this.core.logger.error('re-INVITE handler threw', { error: String(error) });
        answer = { status: 500, reason: 'Server Internal Error' };
      }
    }
    if (request.method === 'INVITE') this.dialog.inviteAnswered();
    if ('status' in answer) {
      this.respond(transaction, answer.status, answer.reason);
      return;
    }
    // RFC 4028 §9: a re-INVITE or UPDATE is a session refresh when it carries Session-Expires.
    let timerHeaders: HeaderField[] = [];
    let timerOutcome: SessionTimerOutcome | undefined;
    const sessionExpires = getHeader(request, 'Session-Expires');
    if (sessionExpires !== undefined) {
      try {
        const minSe = getHeader(request, 'Min-SE');
        const decision = negotiateUas(
          { sessionExpires, ...(minSe === undefined ? {} : { minSe }), supported: getHeaders(request, 'Supported') },
          this.core.sessionTimerPolicy,
        );
        if (decision.kind === 'reject') {
          this.respond(transaction, 422, undefined, decision.headers);
          return;
        }
        timerHeaders = decision.headers;
        timerOutcome = decision.outcome;
      } catch {
        this.respond(transaction, 400, 'Malformed Session-Expires or Min-SE');
        return;
      }
    }
    const contact = this.dialog.localContact;
    const response = createResponse(request, 200, undefined, {
      headers: [...timerHeaders, ...this.core.capabilityHeaders(), { name: 'Server', value: this.core.product }],
      ...(answer.sdp === undefined ? {} : { body: answer.sdp, contentType: 'application/sdp' }),
    });
    if (contact !== undefined) response.contact = [contact];
    transaction.respond(response);
    if (answer.sdp !== undefined) this.local = answer.sdp;
    if (offer !== undefined) this.remote = offer;
    // §14.2: an offerless re-INVITE makes our 2xx the offer; its answer comes in the ACK.
    if (request.method === 'INVITE') this.expectAck(transaction as InviteServerTransaction, response, offer === undefined && answer.sdp !== undefined);
    if (timerOutcome !== undefined) this.sessionTimer.start(timerOutcome);
    this.events.emit('reinvite', { request, remoteSdp: offer, localSdp: answer.sdp });
  }

  private respond(transaction: ServerTransaction, status: number, reason?: string, headers: HeaderField[] = []): void {
    transaction.respond(createResponse(transaction.request, status, reason, { headers: [...headers, { name: 'Server', value: this.core.product }] }));
  }

  private stopAckWait(): void {
    if (this.pendingAck === undefined) return;
    this.pendingAck.retransmitter.stop();
    this.pendingAck = undefined;
    this.ackWaitOver();
  }

  private ackWaitOver(): void {
    const waiters = this.ackWaiters;
    this.ackWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * RFC 4028 §7.4 / §10: we are the refresher and half the interval went by. An UPDATE without a body
   * when the peer allows it (no offer/answer needed), else a re-INVITE with our current SDP; the 2xx
   * settles the next interval. A failed refresh leaves the expiry timer to end the call.
   */
  private async refreshSession(): Promise<void> {
    const outcome = this.sessionTimer.outcome;
    if (!outcome.active || this.endInfo !== undefined || this.dialog.state === 'terminated') return;
    const headers = sessionTimerRequestHeaders(subsequentRequestState(outcome, this.minSe)).filter((field) => field.name !== 'Supported');
    let response: SipResponse;
    try {
      if (this.peerTakesUpdate) {
        const request = this.dialog.createRequest('UPDATE', { headers: [...headers, ...this.core.capabilityHeaders(), { name: 'User-Agent', value: this.core.product }] });
        response = (await this.send(request)).response;
        this.afterResponse(request, response);
      } else {
        response = (await this.reinvite(this.local, headers)).response;
      }
    } catch (error) {
      this.core.logger.warn('session refresh not sent', { callId: this.callId, error: String(error) });
      return;
    }
    if (response.status >= 200 && response.status < 300) {
      try {
        this.sessionTimer.start(negotiateUac({ ...(getHeader(response, 'Session-Expires') === undefined ? {} : { sessionExpires: getHeader(response, 'Session-Expires')! }) }));
      } catch {
        this.sessionTimer.stop();
      }
    }
  }

  /** Sends BYE (after the ACK of our 2xx, §15) and ends the call on its final response, or on none (§15.1.1). */
  private async hangUp(by: 'local' | 'ack-timeout' | 'session-expired', headers: HeaderField[]): Promise<CallEnd> {
    if (this.pendingAck !== undefined) {
      await new Promise<void>((resolve) => this.ackWaiters.push(resolve));
      if (this.endInfo !== undefined) return this.endInfo;
    }
    if (this.dialog.state === 'terminated') return this.finish({ by });
    this.hangingUp = by;
    try {
      const request = this.dialog.createRequest('BYE', { headers: [...headers, { name: 'User-Agent', value: this.core.product }] });
      const { response } = await this.send(request);
      this.dialog.receiveResponse(request, response);
      return this.finish({ by, status: response.status });
    } catch (error) {
      // §15.1.1: the session and the dialog are over for us whatever became of the BYE.
      this.core.logger.warn('BYE not sent', { callId: this.callId, error: String(error) });
      return this.finish({ by });
    }
  }

  private afterResponse(request: SipRequest, response: SipResponse): void {
    this.dialog.receiveResponse(request, response);
    // RFC 3261 §12.2.1.2: "If the response for a request within a dialog is a 481 ... or a 408 ..., the
    // UAC SHOULD terminate the dialog."
    if (response.status === 481 || response.status === 408) this.finish({ by: 'failure', status: response.status });
  }

  /** The next hop of a request in the dialog: the outbound proxy, else the first route, else the remote target (§12.2.1.1, RFC 3263). */
  private async nextHop(): Promise<NextHop> {
    if (this.fixedHop !== undefined) return this.fixedHop;
    const routes = this.dialog.routeSet;
    const uri = routes[0] ?? this.dialog.remoteTarget;
    const [first] = await locateUri(uri, this.resolver, this.core.protocols(), this.protocol);
    return hopOf(first!);
  }

  /** Sends `request` to the dialog's next hop and resolves with its final response. */
  private async send(request: SipRequest): Promise<{ response: SipResponse }> {
    let hop: NextHop;
    try {
      hop = await this.nextHop();
    } catch (error) {
      this.core.logger.warn('no next hop for an in-dialog request', { method: request.method, error: String(error) });
      return { response: syntheticResponse(request, 503) };
    }
    return requestFinal(this.core, request, hop);
  }

  private assertLive(): void {
    if (this.endInfo !== undefined || this.dialog.state === 'terminated') {
      throw new DialtoneError(ErrorCodes.internal, 'the call has ended', { callId: this.callId });
    }
  }

  private finish(end: CallEnd): CallEnd {
    if (this.endInfo !== undefined) return this.endInfo;
    this.endInfo = end;
    this.dialog.terminate();
    this.pendingAck?.retransmitter.stop();
    this.pendingAck = undefined;
    this.ackWaitOver();
    this.sessionTimer.stop();
    this.core.detach(this.dialog);
    this.core.forget(this);
    this.resolveEnded(end);
    this.events.emit('ended', end);
    // Nothing is emitted after 'ended' and no re-INVITE reaches an ended call, but the call stays
    // reachable from SIP state kept for the RFC 3261 timers (the INVITE client transaction's
    // OutgoingCall for Timer M, 64*T1): the application's listeners and handler, and the legs and
    // media ports they hold, are let go now.
    this.events.removeAll();
    this.reinviteHandler = undefined;
    return end;
  }
}
