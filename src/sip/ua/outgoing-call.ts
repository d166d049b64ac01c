/**
 * A call we place: the UAC side of an INVITE (RFC 3261 §13.2) from locating the server (RFC 3263) to
 * the first 2xx (answered, with an established SipCall) or a final failure.
 *
 * ```
 *   locating ──targets──> calling ──1xx──> proceeding ──2xx──> answered (SipCall)
 *      │                   │  │ 401/407: re-send with credentials (§22.2), same Call-ID and From tag, CSeq+1
 *      │                   │  │ 503 / timeout / transport error before any 1xx: next target (RFC 3263 §4.3)
 *      V                   V  V
 *    failed (locate)     failed (3xx–6xx, 408, 503, cancelled)
 * ```
 * After `answered`, a 2xx from another fork is ACKed and BYEd (§13.2.2.4); a 2xx that crossed our CANCEL
 * is ACKed and BYEd too (the call stays cancelled).
 */
import { DialtoneError, ErrorCodes, noBytes, ownedBytes, randomToken, TypedEvents } from '../../kernel/index.js';
import { DigestClient, type DigestCredentials } from '../auth/index.js';
import {
  credentialsOf,
  handleUac422,
  negotiateUac,
  sessionTimerRequestHeaders,
  sessionTimerRequestState,
  UacDialogSet,
  Dialog,
  type SessionTimerOutcome,
  type SessionTimerRequest,
  type SessionTimerRequestState,
} from '../dialog/index.js';
import { failoverFor, TargetIterator, type Resolver, type SipTarget, type TargetFailure } from '../locate/index.js';
import { formatUri, getHeader, getHeaders, ParamList, parseKept, serializeMessage, type HeaderField, type NameAddr, type SipRequest, type SipResponse, type SipUri } from '../message/index.js';
import type { ClientTransactionUser, InviteClientTransaction, SyntheticCause } from '../transaction/index.js';
import { SipCall, type SipCallInit } from './sip-call.js';
import { hopOf, locateUri, sdpOf, type NextHop, type UaCore } from './ua-core.js';

export interface InviteOptions {
  /** The Request-URI: who we call (from `<Sip>`: user, host, port, `;transport=`, sips). */
  target: SipUri;
  /** Outbound proxy: every request of the call is sent there (RFC 3261 §8.1.2), with a loose Route to it. */
  proxy?: SipUri;
  /** From (the caller ID in its user part); our tag is added. */
  from: NameAddr;
  /** To; default the target. */
  to?: NameAddr;
  /** Extra headers for the INVITE (X-…, User-to-User, …). */
  headers?: HeaderField[];
  /** The offer, opaque here. */
  body?: Buffer;
  /** Default application/sdp when a body is given. */
  contentType?: string;
  /** Digest credentials for 401/407 (RFC 3261 §22.2). */
  credentials?: DigestCredentials | readonly DigestCredentials[];
  /**
   * RFC 4028 session timer to ask for (Session-Expires, Min-SE; a 422 is retried with its Min-SE).
   * Without it the UAS may still impose one (we list `timer` in Supported), which the call honours.
   */
  sessionTimer?: SessionTimerRequest;
  /** RFC 3263 resolver; numeric hosts need none. Default: the UserAgent's. */
  resolver?: Resolver;
  callId?: string;
}

/** A provisional response (RFC 3261 §13.2.2.1), with the early dialog it made and its SDP (early media). */
export interface CallProgress {
  status: number;
  reason: string;
  response: SipResponse;
  dialog: Dialog | undefined;
  remoteSdp: Buffer | undefined;
}

/** Why the call did not connect. */
export interface CallFailure {
  /**
   * rejected: a final 3xx–6xx from the far end (status, reason and headers in `response`); auth: our
   * credentials were refused or missing for a 401/407 (`response` is that challenge); cancelled: we
   * cancelled it; timeout: no answer (408, Timer B); transport: could not send (503); locate: RFC 3263
   * found no target; closed: the UserAgent closed.
   */
  cause: 'rejected' | 'auth' | 'cancelled' | 'timeout' | 'transport' | 'locate' | 'closed';
  status: number;
  reason: string;
  response?: SipResponse;
  error?: DialtoneError;
}

/** `response`: the 2xx that established the call (its status and headers, e.g. the callee's X- headers). */
export type OutgoingCallOutcome = { kind: 'answered'; call: SipCall; response: SipResponse } | { kind: 'failed'; failure: CallFailure };

export interface OutgoingCallEvents {
  progress: (progress: CallProgress) => void;
  /** The first 2xx: the established call, and that 2xx itself (additive second argument). */
  answered: (call: SipCall, response: SipResponse) => void;
  failed: (failure: CallFailure) => void;
}

interface Attempt {
  request: SipRequest;
  target: SipTarget;
  hop: NextHop;
  transaction: InviteClientTransaction | undefined;
  dialogs: UacDialogSet;
  answers: InviteAnswers;
}

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
const CANCELLED = 'SIP;cause=487;text="Call cancelled"';

export class OutgoingCall {
  readonly callId: string;
  readonly localTag = randomToken();
  private readonly core: UaCore;
  private readonly options: InviteOptions;
  private readonly resolver: Resolver;
  private readonly events: TypedEvents<OutgoingCallEvents>;
  private readonly digest: DigestClient | undefined;
  private readonly outcomePromise: Promise<OutgoingCallOutcome>;
  private resolveOutcome!: (outcome: OutgoingCallOutcome) => void;
  private settled: OutgoingCallOutcome | undefined;
  private attempt: Attempt | undefined;
  private targets: TargetIterator | undefined;
  private cseq = 1;
  private provisionalSeen = false;
  private cancelRequested = false;
  private sessionTimer: SessionTimerRequestState | undefined;

  constructor(core: UaCore, options: InviteOptions, resolver: Resolver) {
    this.core = core;
    this.options = options;
    this.resolver = options.resolver ?? resolver;
    this.callId = options.callId ?? `${randomToken(12)}@dialtone`;
    this.digest = options.credentials === undefined ? undefined : new DigestClient({ credentials: options.credentials });
    this.events = new TypedEvents<OutgoingCallEvents>((error, event) =>
      core.logger.error('outgoing call listener threw', { event: String(event), error: String(error) }));
    this.outcomePromise = new Promise((resolve) => (this.resolveOutcome = resolve));
    this.sessionTimer = options.sessionTimer === undefined ? undefined : sessionTimerRequestState(options.sessionTimer);
    core.remember(this);
    queueMicrotask(() => void this.start());
  }

  on<K extends keyof OutgoingCallEvents>(event: K, listener: OutgoingCallEvents[K]): this {
    this.events.on(event, listener);
    return this;
  }

  off<K extends keyof OutgoingCallEvents>(event: K, listener: OutgoingCallEvents[K]): this {
    this.events.off(event, listener);
    return this;
  }

  /** Resolves once: answered (with the call) or failed. */
  get outcome(): Promise<OutgoingCallOutcome> {
    return this.outcomePromise;
  }

  /** The INVITE most recently sent (after a challenge, the one with credentials). */
  get request(): SipRequest | undefined {
    return this.attempt?.request;
  }

  /**
   * RFC 3261 §9.1: cancels the call while no final response has come. The CANCEL itself waits for a
   * provisional response ("the client MUST wait for the arrival of a provisional response before sending
   * the request"); the call fails with cause `cancelled` on the 487 (or §9.1's 64*T1 later). A 200 that
   * crosses the CANCEL is ACKed and then ended with BYE. Returns false when the call already settled.
   */
  cancel(reason?: string): boolean {
    if (this.settled !== undefined) return false;
    if (this.cancelRequested) return true;
    this.cancelRequested = true;
    const transaction = this.attempt?.transaction;
    if (transaction === undefined) {
      // Still locating: nothing was sent, nothing to cancel on the wire.
      this.fail({ cause: 'cancelled', status: 487, reason: 'Request Terminated' });
      return true;
    }
    const headers: HeaderField[] = reason === undefined ? [] : [{ name: 'Reason', value: reason }];
    // False when the INVITE has its final response already: its handler settles the call (a 2xx that
    // crossed is ACKed and BYEd there).
    this.core.transactions.cancel(transaction, { onResponse: () => undefined }, headers);
    return true;
  }

  /** The UserAgent closes: cancel or fail. */
  close(): void {
    if (this.settled !== undefined) return;
    if (!this.cancel()) return;
    if (this.settled === undefined && this.attempt?.transaction?.state === 'calling') this.fail({ cause: 'closed', status: 487, reason: 'Request Terminated' });
  }

  // ------------------------------------------------------------------------------------ internals

  private async start(): Promise<void> {
    const next = this.options.proxy ?? this.options.target;
    let targets: SipTarget[];
    try {
      targets = await locateUri(next, this.resolver, this.core.protocols());
    } catch (error) {
      const failure = error instanceof DialtoneError ? error : new DialtoneError(ErrorCodes.sipLocateFailed, String(error), {}, { cause: error });
      this.fail({ cause: 'locate', status: 503, reason: 'Service Unavailable', error: failure });
      return;
    }
    if (this.settled !== undefined) return;
    this.targets = new TargetIterator(targets);
    this.tryNextTarget(undefined);
  }

  private tryNextTarget(last: { failure: CallFailure } | undefined): void {
    const target = this.targets?.next();
    if (target === undefined) {
      this.fail(last?.failure ?? { cause: 'locate', status: 503, reason: 'Service Unavailable' });
      return;
    }
    this.send(target, []);
  }

  /** One INVITE to `target` (RFC 3261 §13.2.1, §8.1.1): a new branch, the next CSeq, the same Call-ID and From tag. */
  private send(target: SipTarget, authorization: HeaderField[]): void {
    const options = this.options;
    const secure = target.protocol === 'tls' && options.target.scheme === 'sips';
    const from: NameAddr = { ...options.from, params: new ParamList(options.from.params) };
    from.params.set('tag', this.localTag);
    const to: NameAddr = options.to === undefined
      ? { uri: { ...options.target, params: new ParamList(), headers: [] }, params: new ParamList() }
      : { ...options.to, params: new ParamList(options.to.params) };
    to.params.delete('tag');
    const headers: HeaderField[] = [
      ...(options.headers ?? []).map((field) => ({ ...field })),
      ...authorization,
      // RFC 4028 §7.1 (Supported: timer is among our capabilities already).
      ...(this.sessionTimer === undefined ? [] : sessionTimerRequestHeaders(this.sessionTimer).filter((field) => field.name !== 'Supported')),
      ...this.core.capabilityHeaders(),
      { name: 'User-Agent', value: this.core.product },
    ];
    const request: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: { ...options.target, params: new ParamList(options.target.params), headers: [] },
      via: [],
      from,
      to,
      callId: this.callId,
      cseq: { seq: this.cseq++, method: 'INVITE' },
      maxForwards: 70,
      contact: [this.core.contactFor(target.protocol, options.from.uri.user, secure)],
      headers,
      body: options.body ?? noBytes,
    };
    if (options.body !== undefined) request.contentType = options.contentType ?? 'application/sdp';
    if (options.proxy !== undefined) {
      // RFC 3261 §8.1.2: a UAC with an outbound proxy puts it in a Route (loose routing, §16.12.1.1).
      const proxyUri: SipUri = { ...options.proxy, params: new ParamList(options.proxy.params), headers: [] };
      proxyUri.params.set('lr', null);
      request.route = [{ uri: proxyUri, params: new ParamList() }];
    }
    const hop = hopOf(target);
    const dialogs = new UacDialogSet(request, { secure });
    const answers = new InviteAnswers(this.core, this.resolver, { request, target, dialogs, fixedHop: options.proxy === undefined ? undefined : hop, localSdp: options.body, secure });
    const attempt: Attempt = { request, target, hop, transaction: undefined, dialogs, answers };
    this.attempt = attempt;
    const user: ClientTransactionUser = {
      onResponse: (response, synthetic) => this.onResponse(attempt, response, synthetic),
      onTerminated: () => {
        attempt.dialogs.inviteCompleted();
        // The transaction layer closed under a pending INVITE (the UserAgent is closing): settle now.
        if (this.attempt === attempt && this.settled === undefined) {
          this.fail({ cause: this.cancelRequested ? 'cancelled' : 'closed', status: 487, reason: 'Request Terminated' });
        }
      },
    };
    try {
      attempt.transaction = this.core.transactions.request(request, attempt.hop, user) as InviteClientTransaction;
    } catch (error) {
      this.fail({ cause: 'closed', status: 503, reason: 'Service Unavailable', error: new DialtoneError(ErrorCodes.internal, String(error), {}, { cause: error }) });
      return;
    }
    // A cancel() that came while we were re-sending (after a challenge or failover) applies to the new INVITE.
    if (this.cancelRequested) this.core.transactions.cancel(attempt.transaction, { onResponse: () => undefined });
  }

  private onResponse(attempt: Attempt, response: SipResponse, synthetic: SyntheticCause | undefined): void {
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.on2xx(attempt, response);
      return;
    }
    if (this.settled !== undefined || attempt !== this.attempt) return;
    if (status < 200) {
      if (status > 100) this.provisionalSeen = true;
      const dialog = attempt.dialogs.receiveResponse(response);
      if (status > 100) {
        this.events.emit('progress', { status, reason: response.reason, response, dialog, remoteSdp: sdpOf(response) });
      }
      return;
    }
    attempt.dialogs.receiveResponse(response);
    if (this.cancelRequested) {
      this.fail({ cause: 'cancelled', status, reason: response.reason, response });
      return;
    }
    // RFC 3263 §4.3: a transport error, a timeout or a 503 moves on to the next target — before any
    // provisional response (after one, the server has the request and ringing must not be repeated).
    const failover: TargetFailure | undefined = this.provisionalSeen ? undefined : failoverFor(
      synthetic?.kind === 'timeout' ? 'timeout' : synthetic?.kind === 'transport-error' ? 'transport' : retryAfterOf(response),
    );
    const failure = this.failureOf(response, synthetic);
    if (failover !== undefined && this.targets?.hasNext === true) {
      this.targets.fail(attempt.target, failover);
      this.core.logger.info('INVITE failed over to the next target', { status, callId: this.callId });
      this.tryNextTarget({ failure });
      return;
    }
    if ((status === 401 || status === 407) && synthetic === undefined) {
      this.onChallenge(attempt, response);
      return;
    }
    if (status === 422 && synthetic === undefined && this.sessionTimer !== undefined) {
      // RFC 4028 §7.3: retry with Session-Expires and Min-SE raised to the 422's Min-SE.
      const retry = handleUac422(this.sessionTimer, getHeader(response, 'Min-SE'));
      if (!retry.ok) {
        this.fail({ ...failure, error: retry.error });
        return;
      }
      this.sessionTimer = retry.state;
      const credentials = this.digest?.authorize({ method: 'INVITE', uri: formatUri(attempt.request.uri), body: attempt.request.body }) ?? [];
      this.send(attempt.target, credentials);
      return;
    }
    this.fail(failure);
  }

  /** RFC 3261 §22.2: "the client SHOULD retry the request, including an Authorization header field". */
  private onChallenge(attempt: Attempt, response: SipResponse): void {
    if (this.digest === undefined) {
      this.fail({ cause: 'auth', status: response.status, reason: response.reason, response, error: new DialtoneError(ErrorCodes.sipAuthRejected, 'challenged without credentials', { status: response.status }) });
      return;
    }
    const header = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const result = this.digest.handleChallenge(
      { status: response.status, challenges: getHeaders(response, header) },
      { method: 'INVITE', uri: formatUri(attempt.request.uri), body: attempt.request.body },
    );
    if (!result.ok) {
      // Wrong credentials (a second challenge right after our answer, RFC 2617 §3.2.1), or none usable.
      this.fail({ cause: 'auth', status: response.status, reason: response.reason, response, error: result.error });
      return;
    }
    // §22.2: same Call-ID and From tag, CSeq incremented, new branch: a new INVITE transaction.
    this.send(attempt.target, result.headers);
  }

  /** A 2xx from any fork, first or not (RFC 3261 §13.2.2.4, RFC 6026 §7.2), while this call has its INVITE's user. */
  private on2xx(attempt: Attempt, response: SipResponse): void {
    const answers = attempt.answers;
    const dialog = answers.acknowledge(response);
    if (dialog === undefined || !answers.isNew(dialog)) return;
    if (this.settled === undefined && !this.cancelRequested && attempt === this.attempt) {
      this.provisionalSeen = true;
      answers.keep(dialog);
      const call = new SipCall({
        ...answers.callInit(dialog, response),
        sessionTimer: sessionTimerOf(response),
        peerAllow: getHeaders(response, 'Allow'),
        ...(this.sessionTimer === undefined ? {} : { minSe: this.sessionTimer.minSe }),
      });
      this.settle({ kind: 'answered', call, response });
      this.events.emit('answered', call, response);
      this.events.removeAll();
      return;
    }
    // §13.2.2.4: a second 2xx from another fork ("If the UAC does not want to continue with that
    // dialog, then the UAC MUST terminate the dialog by sending a BYE request") — and a 2xx that crossed
    // our CANCEL: ACKed above, then BYE.
    answers.discard(dialog, response, this.cancelRequested ? CANCELLED : COMPLETED_ELSEWHERE);
    if (this.settled === undefined) this.fail({ cause: 'cancelled', status: 487, reason: 'Request Terminated', response });
  }

  private failureOf(response: SipResponse, synthetic: SyntheticCause | undefined): CallFailure {
    const base = { status: response.status, reason: response.reason, response };
    if (synthetic?.kind === 'timeout') {
      return { ...base, cause: 'timeout', error: new DialtoneError(ErrorCodes.sipTransactionTimeout, 'no response to the INVITE', { timer: synthetic.timer }) };
    }
    if (synthetic?.kind === 'transport-error') return { ...base, cause: 'transport', error: synthetic.error };
    if (synthetic?.kind === 'cancel-timeout') return { ...base, cause: 'cancelled' };
    return { ...base, cause: 'rejected' };
  }

  private fail(failure: CallFailure): void {
    if (this.settled !== undefined) return;
    this.settle({ kind: 'failed', failure });
    this.events.emit('failed', failure);
    this.events.removeAll();
  }

  /**
   * Once settled, no event is emitted again. The INVITE client transaction lives on, for Timer M (64*T1,
   * RFC 6026 §7.2) after a 2xx or Timer D after a failure: its user becomes the attempt's InviteAnswers,
   * so that it keeps neither this object nor the outcome (the SipCall, its 200), and the listeners are
   * dropped right after the last event, so that the call layer's state they hold is not kept either.
   */
  private settle(outcome: OutgoingCallOutcome): void {
    this.settled = outcome;
    this.core.forget(this);
    const attempt = this.attempt;
    if (attempt?.transaction !== undefined) {
      attempt.answers.takeOver(attempt.transaction, outcome.kind === 'failed' && this.cancelRequested ? CANCELLED : COMPLETED_ELSEWHERE);
    }
    this.resolveOutcome(outcome);
  }
}

interface InviteAnswersInit {
  request: SipRequest;
  target: SipTarget;
  dialogs: UacDialogSet;
  /** The outbound proxy's hop, when there is one: every request of the call goes there. */
  fixedHop: NextHop | undefined;
  localSdp: Buffer | undefined;
  /** RFC 3261 §12.1.2: the INVITE went over TLS to a SIPS URI. */
  secure: boolean;
}

/** An ACK sent for a 2xx: sent again for each retransmission of that 2xx. */
interface SentAck {
  /** The ACK; once sent, the bytes sent, parsed again for a retransmitted 2xx (the same ACK, §13.2.2.4). */
  ack: SipRequest | Buffer;
  /** Where the ACK goes: the first route or the remote target, located once. */
  next: SipUri;
  hop: NextHop | undefined;
}

/**
 * The 2xx responses to one INVITE of ours (RFC 3261 §13.2.2.4, RFC 6026 §7.2): "The UAC core MUST
 * generate an ACK request for each 2xx received from the transaction layer" (the same ACK again for a
 * retransmission), and one whose dialog we do not keep (another fork's, or one that crossed our CANCEL)
 * is then ended with BYE. Once the call has settled, this is the INVITE transaction's user for the 64*T1
 * of Timer M: it then keeps the ACKs sent and what a late fork needs of the INVITE, not the call's
 * outcome, the dialogs, nor the whole INVITE (measured, docs/performance.md). A 2xx of a dialog not
 * seen by then is another fork's: a dialog is made for it, ACKed and ended.
 */
class InviteAnswers implements ClientTransactionUser {
  private readonly core: UaCore;
  private readonly resolver: Resolver;
  private init: Omit<InviteAnswersInit, 'dialogs'>;
  /** The INVITE's dialogs, until the call settles. */
  private dialogs: UacDialogSet | undefined;
  /** Early dialogs left when the call settled, ended with the INVITE transaction (§13.2.2.4). */
  private earlyAtSettlement: Dialog[] = [];
  /** The ACK of each 2xx dialog, by remote tag. */
  private readonly acks = new Map<string, SentAck>();
  private keptTag: string | undefined;
  /** Remote tags of 2xx dialogs we ACKed and BYEd. */
  private readonly discarded = new Set<string>();
  /** The Reason of the BYE for a 2xx that comes after the call settled. */
  private lateReason = COMPLETED_ELSEWHERE;

  constructor(core: UaCore, resolver: Resolver, init: InviteAnswersInit) {
    this.core = core;
    this.resolver = resolver;
    const { dialogs, ...rest } = init;
    this.init = rest;
    this.dialogs = dialogs;
  }

  /** Receives a 2xx into its dialog and ACKs it; undefined (the 2xx dropped) without a To tag. */
  acknowledge(response: SipResponse): Dialog | undefined {
    const dialog = this.dialogs === undefined ? Dialog.fromUacResponse(this.init.request, response, { secure: this.init.secure }) : this.dialogs.receiveResponse(response);
    if (dialog === undefined) {
      this.core.logger.warn('2xx without a To tag dropped', { callId: response.callId });
      return undefined;
    }
    this.sendAck(dialog);
    return dialog;
  }

  /** False for the dialog the call kept and for those already ended: a retransmission needs only its ACK. */
  isNew(dialog: Dialog): boolean {
    const remoteTag = dialog.id.remoteTag;
    return remoteTag !== this.keptTag && !this.discarded.has(remoteTag);
  }

  keep(dialog: Dialog): void {
    this.keptTag = dialog.id.remoteTag;
  }

  /** The call settled: this becomes `transaction`'s user, and BYEs a later new dialog with `reason`. */
  takeOver(transaction: InviteClientTransaction, reason: string): void {
    this.lateReason = reason;
    this.earlyAtSettlement = this.dialogs?.early() ?? [];
    this.dialogs = undefined;
    this.init = { ...this.init, request: inviteForLateForks(this.init.request), localSdp: undefined };
    transaction.user = this;
  }

  /** What a SipCall on one of these dialogs is made with (the answered call adds its negotiated extras). */
  callInit(dialog: Dialog, response: SipResponse): SipCallInit {
    const { request, target, fixedHop, localSdp } = this.init;
    return {
      core: this.core,
      dialog,
      role: 'uac',
      inviteSeq: request.cseq.seq,
      localSdp,
      remoteSdp: sdpOf(response),
      resolver: this.resolver,
      ...(fixedHop === undefined ? {} : { fixedHop }),
      protocol: target.protocol,
    };
  }

  /** §13.2.2.4: "the UAC MUST terminate the dialog by sending a BYE request" (after the ACK). */
  discard(dialog: Dialog, response: SipResponse, reason: string): void {
    this.discarded.add(dialog.id.remoteTag);
    const hangUp = new SipCall(this.callInit(dialog, response));
    void hangUp.bye([{ name: 'Reason', value: reason }]);
  }

  /** A 2xx after the call settled: a retransmission gets its ACK again, another fork's dialog ACK and BYE. */
  onResponse(response: SipResponse): void {
    if (response.status < 200 || response.status >= 300) return;
    const sent = this.acks.get(response.to.params.get('tag') ?? '');
    if (sent !== undefined) {
      void this.transmit(sent);
      return;
    }
    const dialog = this.acknowledge(response);
    if (dialog !== undefined && this.isNew(dialog)) this.discard(dialog, response, this.lateReason);
  }

  onTerminated(): void {
    this.dialogs?.inviteCompleted();
    for (const dialog of this.earlyAtSettlement) if (dialog.state === 'early') dialog.terminate();
  }

  /** ACKs the dialog's 2xx: the same ACK each time (Dialog.ackFor), its next hop located once. */
  private sendAck(dialog: Dialog): void {
    const remoteTag = dialog.id.remoteTag;
    let sent = this.acks.get(remoteTag);
    if (sent === undefined) {
      sent = { ack: dialog.ackFor(this.init.request), next: dialog.routeSet[0] ?? dialog.remoteTarget, hop: this.init.fixedHop };
      this.acks.set(remoteTag, sent);
    }
    void this.transmit(sent);
  }

  private async transmit(sent: SentAck): Promise<void> {
    try {
      const ack = Buffer.isBuffer(sent.ack) ? parseKept(sent.ack, 'request') : sent.ack;
      if (sent.hop === undefined) {
        const [first] = await locateUri(sent.next, this.resolver, this.core.protocols(), this.init.target.protocol);
        sent.hop = hopOf(first!);
      }
      await this.core.transactions.sendAck(ack, sent.hop.destination, sent.hop.sendOptions);
      // Kept for Timer M's 32 s as the bytes sent (with the Via the transport completed), not as ~1.5 KiB
      // of parsed objects.
      if (!Buffer.isBuffer(sent.ack)) sent.ack = ownedBytes(serializeMessage(ack));
    } catch (error) {
      this.core.logger.warn('ACK could not be sent', { callId: this.init.request.callId, error: String(error) });
    }
  }
}

/**
 * What a settled call keeps of its INVITE for Timer M: what a late fork's dialog, ACK and BYE are made
 * from (RFC 3261 §12.1.2: From, To, Call-ID, Request-URI, CSeq, Contact; §13.2.2.4: "The ACK MUST contain
 * the same credentials as the INVITE"), not its body, Via, route or other header fields.
 */
function inviteForLateForks(invite: SipRequest): SipRequest {
  const kept: SipRequest = {
    kind: 'request',
    method: invite.method,
    uri: invite.uri,
    via: [],
    from: invite.from,
    to: invite.to,
    callId: invite.callId,
    cseq: invite.cseq,
    headers: credentialsOf(invite),
    body: noBytes,
  };
  if (invite.maxForwards !== undefined) kept.maxForwards = invite.maxForwards;
  if (invite.contact !== undefined) kept.contact = invite.contact;
  return kept;
}

/** RFC 4028 §7.2: the UAC reads the 2xx's Session-Expires; a malformed one counts as none. */
function sessionTimerOf(response: SipResponse): SessionTimerOutcome {
  const value = getHeader(response, 'Session-Expires');
  try {
    return negotiateUac(value === undefined ? {} : { sessionExpires: value });
  } catch {
    return { active: false };
  }
}

function retryAfterOf(response: SipResponse): { status: number; retryAfterSeconds?: number } {
  const value = getHeader(response, 'Retry-After');
  const seconds = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(seconds) ? { status: response.status, retryAfterSeconds: seconds } : { status: response.status };
}

