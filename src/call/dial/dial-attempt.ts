/**
 * One outbound leg of a <Dial>: one noun's child call (CA SID, direction outbound-dial, ParentCallSid),
 * its INVITE, its own status callbacks (numbered from 0 per leg), its REST handle, and how it ended.
 * Parallel dialling runs several at once, sequential one after another; which one wins, and what
 * happens after the answer, is run-dial.ts's business (the attempt's `owner`).
 *
 * ```
 *   new ──place()──> ringing ──2xx (the race picks it)──> answered ──finish()──> done
 *     │                 │  └─ lose(): CANCEL; a 2xx that crossed it is hung up (the UA ACKs, then BYEs) ─> done (canceled)
 *     │                 └─ final 3xx–6xx, DNS, transport; our CANCEL (ring timeout, caller, REST) ──> done
 *     └─ skipped noun (<Client>, <Number> without a trunk) or an INVITE that could not be placed ──> done (failed)
 * ```
 */
import { ErrorCodes, type Logger } from '../../kernel/index.js';
import type { CallProgressEvent, ClientNoun, Dial, NumberNoun, SipHeader, SipNoun } from '../../markup/index.js';
import { Call } from '../call.js';
import { resolveUrl } from '../verbs/verb-context.js';
import type { LegAnswer, LegFailure, LegProgress, OutboundLeg, OutboundLegEvents, OutboundLegRequest, StatusCallbackRequest } from './dial-ports.js';
import { statusCallbackParameters, type ProgressFacts } from './dial-parameters.js';
import { defaultResponseStatusTable, dialCallStatusOf, legStatusOf, type DialCallStatus, type DialRecordingFacts, type DialResult } from './dial-result.js';
import type { DialContext } from './run-dial.js';

/** What only the leg's end knows, carried by its completed callback. */
type EndFacts = Pick<ProgressFacts, 'callDurationSeconds' | 'sipResponseCode' | 'recording'>;

/** The nouns a <Dial> rings (issue 6: "up to 10 <Sip>, <Number> and <Client> nouns"). */
export type CalledNoun = SipNoun | NumberNoun | ClientNoun;

/** One noun, ready to dial: `request` absent means it is skipped (its notification is already recorded). */
export interface LegPlan {
  noun: CalledNoun;
  callSid: string;
  /** The child call's To: the Request-URI, the number, or `client:identity`. */
  to: string;
  request?: OutboundLegRequest;
}

/** What reaches the race's mailbox from one attempt, in arrival order. */
export type AttemptEvent =
  | { kind: 'answered'; answer: LegAnswer }
  | { kind: 'failed'; failure: LegFailure }
  | { kind: 'ended' }
  | { kind: 'rest-end' };

/** The race an attempt runs in (run-dial.ts). */
export interface AttemptOwner {
  /** Into the race's mailbox. */
  deliver(attempt: DialAttempt, event: AttemptEvent): void;
  /** At once, as a provisional response arrives (after the attempt's own ringing callback). */
  progressed(attempt: DialAttempt, progress: LegProgress): void;
  /** At once: the answered callee hung up, or the REST API ended it (a screening document stops now). */
  interrupted(attempt: DialAttempt): void;
  /** The attempt is done (its result is set). */
  finished(attempt: DialAttempt): void;
}

export type AttemptState = 'new' | 'ringing' | 'answered' | 'done';

export class DialAttempt {
  readonly callSid: string;
  readonly noun: CalledNoun;
  readonly child: Call;
  readonly logger: Logger;
  state: AttemptState = 'new';
  outbound: OutboundLeg | undefined;
  /** Why we sent CANCEL, if we did: our ring timeout, or the caller's hang-up, a REST cancel, or losing the race. */
  cancelledFor: 'ring-timeout' | 'caller' | undefined;
  /** Another leg answered first: this one was cancelled and its news no longer reaches the race. */
  lost = false;
  calleeEnded = false;
  /** The REST API ended the leg while it was answered, before it was bridged. */
  restEnded = false;
  result: DialResult | undefined;
  private answeredAt: number | undefined;
  private finalStatus: number | undefined;
  private finalHeaders: SipHeader[] = [];
  private sequenceNumber = 0;
  private unregister: (() => void) | undefined;

  constructor(
    private readonly plan: LegPlan,
    dial: Dial,
    private readonly context: DialContext,
    private readonly owner: AttemptOwner,
  ) {
    this.callSid = plan.callSid;
    this.noun = plan.noun;
    this.logger = context.logger.child({ callSid: this.callSid, parentCallSid: context.parent.sid });
    this.child = new Call(
      {
        sid: this.callSid,
        accountSid: context.accountSid,
        direction: 'outbound-dial',
        // Seed 003: "For SIP calls, the callerId attribute does not need to be a validated phone number."
        from: dial.callerId ?? context.parent.from,
        to: plan.to,
        parentCallSid: context.parent.sid,
      },
      context.clock,
      context.callEvents,
      this.logger,
    );
  }

  /** Sends the INVITE. False when nothing went out: the attempt is then done, failed. */
  place(): boolean {
    const { request } = this.plan;
    // A skipped noun: its notification says why; "everything else … → failed", with no SIP code.
    if (request === undefined) {
      this.finish('failed', false);
      return false;
    }
    const events: OutboundLegEvents = {
      progress: (progress) => {
        if (this.state !== 'ringing' || this.lost || progress.status <= 100) return;
        // Seed 003: "The call transitions from the initiated state to the ringing state when the phone starts ringing."
        if (this.child.status === 'queued') {
          this.child.setStatus('ringing');
          this.emit('ringing');
        }
        this.owner.progressed(this, progress);
      },
      answered: (answer) => this.arrive({ kind: 'answered', answer }),
      failed: (failure) => this.arrive({ kind: 'failed', failure }),
      ended: () => {
        this.calleeEnded = true;
        if (this.lost) return;
        this.owner.interrupted(this);
        this.owner.deliver(this, { kind: 'ended' });
      },
    };
    try {
      this.outbound = this.context.dialer.place(request, events);
    } catch (error) {
      this.logger.error('the INVITE could not be placed', { error: String(error) });
      notify(this.context, ErrorCodes.sipTransportFailure, 'error', `the INVITE to ${request.requestUri.text} could not be sent: ${String(error)}`);
      this.finish('failed', false);
      return false;
    }
    this.state = 'ringing';
    this.expectFinal();
    // Seed 003: "The initiated event is fired when Twilio starts dialing the call."
    this.emit('initiated');
    this.unregister = this.context.children?.register(this.callSid, { end: (status) => this.endFromRest(status) });
    return true;
  }

  /** Our CANCEL (RFC 3261 §9.1) while it rings; the leg then reports `failed`. At most once. */
  cancel(reason: 'ring-timeout' | 'caller'): void {
    if (this.state !== 'ringing' || this.cancelledFor !== undefined) return;
    this.cancelledFor = reason;
    this.outbound?.cancel();
  }

  /**
   * Seed 001: "The first user agent to accept the incoming connection is connected to the call and
   * the other connection attempts are canceled." Its child call ends canceled.
   */
  lose(): void {
    if (this.state !== 'ringing') return;
    this.lost = true;
    this.cancel('caller');
  }

  /** The race took the answer: the child call is in progress. */
  markAnswered(answer: LegAnswer): void {
    this.state = 'answered';
    this.finalStatus = answer.status;
    this.finalHeaders = answer.headers;
    this.answeredAt = this.context.clock.now();
    this.child.setStatus('in-progress');
    // Seed 003: "It transitions to the answered state when the call is picked up".
    this.emit('answered');
  }

  /** The final response of a leg that did not answer, through INTERFACE.md's table. */
  finishFailed(failure: LegFailure): DialResult {
    this.finalStatus = failure.status;
    this.finalHeaders = failure.headers;
    const end = this.cancelledFor === undefined ? { kind: 'failed' as const, failure } : { kind: 'failed' as const, failure, cancelledFor: this.cancelledFor };
    return this.finish(dialCallStatusOf(end, this.context.responseStatusTable ?? defaultResponseStatusTable), false);
  }

  /** The leg's end: its child call's final status and its completed callback. Once; later calls return the first result. */
  finish(status: DialCallStatus, bridged: boolean, extra: { recording?: DialRecordingFacts; endedAt?: number } = {}): DialResult {
    if (this.result !== undefined) return this.result;
    this.state = 'done';
    this.unregister?.();
    this.unregister = undefined;
    const endedAt = extra.endedAt ?? this.context.clock.now();
    const duration = this.answeredAt === undefined ? 0 : Math.round((endedAt - this.answeredAt) / 1000);
    this.child.setStatus(legStatusOf(status));
    // Seed 003: "The completed event is fired when the call is completed, regardless of the termination status".
    this.emit('completed', {
      callDurationSeconds: duration,
      ...(this.finalStatus === undefined ? {} : { sipResponseCode: this.finalStatus }),
      ...(extra.recording === undefined ? {} : { recording: extra.recording }),
    });
    this.result = {
      verb: 'dial',
      dialCallStatus: status,
      dialCallSid: this.callSid,
      dialCallDurationSeconds: duration,
      bridged,
      ...(this.outbound === undefined ? {} : { sipCallId: this.outbound.sipCallId }),
      ...(this.finalStatus === undefined ? {} : { sipResponseCode: this.finalStatus }),
      sipHeaders: this.finalHeaders.filter((header) => /^x-/i.test(header.name)).map((header) => ({ ...header })),
      ...(extra.recording === undefined ? {} : { recording: { ...extra.recording } }),
    };
    this.owner.finished(this);
    return this.result;
  }

  /**
   * A lost leg's news. An answer that crossed our CANCEL is hung up at once (the UA ACKs the 2xx,
   * then sends BYE: RFC 3261 §9.1 "the UAC … should send a BYE"); its child call ends canceled.
   */
  late(event: AttemptEvent): void {
    if (event.kind === 'answered') {
      this.outbound?.hangup();
      if (this.state === 'done') return;
      this.finalStatus = event.answer.status;
      this.finalHeaders = event.answer.headers;
      this.finish('canceled', false);
    } else if (event.kind === 'failed' && this.state !== 'done') {
      this.finishFailed(event.failure);
    }
  }

  private arrive(event: AttemptEvent): void {
    if (this.lost) this.late(event);
    else this.owner.deliver(this, event);
  }

  /** REST `Status` on the outbound leg's own SID (seed 003: "modify the child call"). */
  private endFromRest(status: 'canceled' | 'completed'): boolean {
    // INTERFACE.md: "a REST cancel while ringing → canceled"; only this leg, the others ring on.
    if (this.state === 'ringing' && !this.lost && this.cancelledFor === undefined) {
      this.cancel('caller');
      return true;
    }
    if (this.state === 'answered' && status === 'completed' && !this.calleeEnded && !this.restEnded) {
      this.restEnded = true;
      this.owner.interrupted(this);
      this.owner.deliver(this, { kind: 'rest-end' });
      return true;
    }
    return false;
  }

  /** A status callback for `event` when the noun subscribed to it, numbered from 0 per leg. */
  private emit(event: CallProgressEvent, extra: EndFacts = {}): void {
    const url = this.noun.statusCallback;
    if (url === undefined || !this.noun.statusCallbackEvents.includes(event)) return;
    const sequenceNumber = this.sequenceNumber++;
    try {
      this.context.callbacks.enqueue({ ...this.statusCallback(url, event, sequenceNumber, extra), sequenceNumber });
    } catch (error) {
      this.logger.error('status callback could not be queued', { event, error: String(error) });
    }
  }

  /**
   * The noun asked for `completed` (alone, too, when it gave a statusCallback without events): the
   * sink keeps where that callback goes while the leg lives, so that a crash before its end still
   * ends in it (CallbackSink.expectFinal). Its parameters are the completed callback's as they stand
   * when the INVITE goes out; only the end's facts are missing.
   */
  private expectFinal(): void {
    const url = this.noun.statusCallback;
    const { callbacks } = this.context;
    if (url === undefined || !this.noun.statusCallbackEvents.includes('completed') || callbacks.expectFinal === undefined) return;
    try {
      callbacks.expectFinal(this.statusCallback(url, 'completed', this.sequenceNumber));
    } catch (error) {
      this.logger.error('the final status callback could not be kept', { error: String(error) });
    }
  }

  /** The leg's status callback for `event` as it stands now (its SequenceNumber is the caller's to set on the request). */
  private statusCallback(url: string, event: CallProgressEvent, sequenceNumber: number, extra: EndFacts = {}): Omit<StatusCallbackRequest, 'sequenceNumber'> {
    const { noun, context } = this;
    return {
      callSid: this.callSid,
      accountSid: context.accountSid,
      url: resolveUrl(url, context.documentUrl),
      method: noun.statusCallbackMethod,
      params: statusCallbackParameters(this.child.snapshot(), {
        event,
        sequenceNumber,
        at: context.clock.now(),
        ...(this.outbound === undefined ? {} : { sipCallId: this.outbound.sipCallId }),
        ...extra,
      }),
    };
  }
}

/** A notification on the caller's call; fire and forget (notifications.ts: "a failing store is logged, never fails the call"). */
export function notify(context: DialContext, errorCode: number, logLevel: 'error' | 'warning', messageText: string): void {
  const failed = (error: unknown): void => context.logger.error('notification could not be recorded', { errorCode, error: String(error) });
  try {
    const pending = context.notifications.record({ accountSid: context.accountSid, callSid: context.parent.sid, errorCode, logLevel, messageText });
    if (pending !== undefined) pending.catch(failed);
  } catch (error) {
    failed(error);
  }
}
