/**
 * <Dial> with up to ten <Sip>, <Number> and <Client> nouns (seed 004 "Parallel Calling … You can mix
 * up to ten different <Sip>, <Number>, or <Client> nouns within a Dial verb"), rung all at once
 * (seed 001: "The first user agent to accept the incoming connection is connected to the call and the
 * other connection attempts are canceled") or, with `sequential="true"`, one after another in
 * document order, each for `timeout` (seed 004 "Serial Calling … if Alice rejects or does not answer
 * then the call will go to Bob"). The leg that answers is screened (`url`), recorded (`record`) and
 * bridged with the caller; its end becomes the Dial action's parameters. Without a winner, the action
 * reports the last leg to end. Markup already enforces the classic rule (one <Sip> alone) on accounts
 * without enhanced SIP, so the engine does not re-check it.
 *
 * ```
 *   race: every leg ringing ──first 2xx──> winner (the others: CANCEL) ──[screening: connect]──> bridged ──> done
 *     │                                      └─ declined, or either side gone before the bridge ──> done (answered, not bridged)
 *     └─ every leg ended (busy, failed; our CANCEL on timeout or the caller's hang-up) ──> done (the last one's result)
 *   sequential: one race per noun, in order, until one has a winner or the caller is gone.
 * ```
 * One interruption path: the caller's hang-up and an outside redirect arrive through `signal`.
 */
import type { RegionConfig, TrunkConfig } from '../../config/index.js';
import { abortQuietly, ErrorCodes, type Logger, newSid, type TimerHandle } from '../../kernel/index.js';
import type { Dial, DialNoun, HttpMethod } from '../../markup/index.js';
import type { CallEvents } from '../call.js';
import { interruptCause } from '../interruption.js';
import type { NotificationSink } from '../notifications.js';
import { resolveUrl, type VerbContext } from '../verbs/verb-context.js';
import { buildNumberInvite, dialledNumber } from './build-number-invite.js';
import { buildSipInvite } from './build-sip-invite.js';
import { DialAttempt, notify, type AttemptEvent, type AttemptOwner, type CalledNoun, type LegPlan } from './dial-attempt.js';
import type {
  Bridge,
  CallbackSink,
  CallScreening,
  ChildCallRegistry,
  DialMedia,
  DialRecording,
  LegAnswer,
  LegProgress,
  OutboundDialer,
  OutboundLeg,
  ScreeningVerdict,
} from './dial-ports.js';
import { screeningParameters } from './dial-parameters.js';
import { DialRecordingControl } from './dial-recording-control.js';
import type { DialCallStatus, DialRecordingFacts, DialResult, ResponseStatusTable } from './dial-result.js';

/** What runDial needs beyond the verb context; the wiring builds it once per call. */
export interface DialContext extends VerbContext {
  accountSid: string;
  /** The caller's call: its SID (the child's ParentCallSid), From (the caller) and To (the number dialled). */
  parent: { sid: string; from: string; to: string };
  dialer: OutboundDialer;
  media: DialMedia;
  /** Runs a `<Sip url>` screening document on the answered callee; without it, `url` is warned about and not run. */
  screening?: CallScreening;
  /** Where the REST API finds the live outbound leg by its SID; none when nothing may reach it. */
  children?: ChildCallRegistry;
  callbacks: CallbackSink;
  notifications: NotificationSink;
  /** The store side of the outbound leg's Call. */
  callEvents: CallEvents;
  regions: readonly RegionConfig[];
  logger: Logger;
  /** INTERFACE.md: "the table is configuration"; default defaultResponseStatusTable. */
  responseStatusTable?: ResponseStatusTable;
  /** INTERFACE.md `trunks`: "where <Number> goes". Without it a <Number> is skipped with an error notification. */
  trunk?: TrunkConfig;
  /** `<Dial record>`; without it `record` is warned about and nothing is recorded. */
  recording?: DialRecording;
}

/** Shaped as the runner's VerbOutcome, with the Dial's result (see dial/index.ts for the hand-over). */
export type DialOutcome =
  | { kind: 'next' }
  | { kind: 'interrupted' }
  | { kind: 'request'; url: string; method: HttpMethod; result: DialResult; follow: boolean };

export async function runDial(dial: Dial, context: DialContext, signal: AbortSignal): Promise<DialOutcome> {
  const called = dial.nouns.filter(isCalledNoun);
  if (called.length === 0 || called.length !== dial.nouns.length) {
    notify(context, ErrorCodes.schemaValidationWarning, 'warning', '<Dial> with <Conference> or <Queue> is not supported by this engine yet; skipped');
    return { kind: 'next' };
  }
  if (signal.aborted) return { kind: 'interrupted' };
  // Not available in this wiring: each is a warning notification on the caller's call rather than ignored in silence.
  for (const noun of called) {
    if (noun.url !== undefined && context.screening === undefined) {
      notify(context, ErrorCodes.schemaValidationWarning, 'warning', `<${nounTag(noun)} url> (call screening) is not run by this engine yet; the call is connected without it`);
    }
  }
  if (dial.record !== 'do-not-record' && context.recording === undefined) {
    notify(context, ErrorCodes.schemaValidationWarning, 'warning', `<Dial record="${dial.record}"> is not supported by this engine yet; the call is not recorded`);
  }
  const plans = called.map((noun) => planLeg(noun, dial, context));
  // Twilio's answerOnBridge: without it the caller's call is answered when the Dial starts and the
  // caller hears ringing from us; with it, the caller is answered only when the callee answers.
  // Nothing to dial at all (every noun skipped): the caller is not answered for nothing.
  //
  // The 200 goes out now (leg.answer() sends it synchronously), but the callees' INVITEs do not wait
  // for the caller's ACK: that round trip through the caller was 1–3 ms of post-dial delay (issue 8).
  // The answer is awaited before the caller is bridged to a callee (DialRun.onAnswered) and before
  // the Dial returns; a caller gone meanwhile aborts `signal`, which cancels the attempts.
  let answering: Promise<void> | undefined;
  if (!dial.answerOnBridge && plans.some((plan) => plan.request !== undefined)) {
    answering = context.leg.answer();
    if (signal.aborted) {
      await answering;
      return { kind: 'interrupted' };
    }
  }
  let result: DialResult;
  try {
    result = await new DialRun(dial, plans, context, signal).run();
  } finally {
    // Settled before anything else runs on the caller's leg (as when it was awaited up front).
    await answering;
  }

  const cause = interruptCause(signal);
  // An outside redirect abandons the Dial; the new document takes over.
  if (cause === 'redirect') return { kind: 'interrupted' };
  // Twilio's <Dial action>: without it, "Twilio will move on to the next TwiML verb in the document"
  // (unlike Gather and Record, a Dial's action does not default to the current document).
  if (dial.action === undefined) return cause === 'hangup' ? { kind: 'interrupted' } : { kind: 'next' };
  // INTERFACE.md's table reports "the caller hanging up … while ringing → canceled" to the action:
  // after a hang-up the request is still made, but nothing it answers can run.
  return { kind: 'request', url: resolveUrl(dial.action, context.documentUrl), method: dial.method, result, follow: cause !== 'hangup' };
}

function isCalledNoun(noun: DialNoun): noun is CalledNoun {
  return noun.noun === 'sip' || noun.noun === 'number' || noun.noun === 'client';
}

function nounTag(noun: CalledNoun): string {
  return noun.noun === 'sip' ? 'Sip' : noun.noun === 'number' ? 'Number' : 'Client';
}

/** One noun's INVITE, or why it is skipped (as a notification on the caller's call). */
function planLeg(noun: CalledNoun, dial: Dial, context: DialContext): LegPlan {
  const callSid = newSid('CA');
  const callerId = dial.callerId === undefined ? {} : { callerId: dial.callerId };
  const caller = { from: context.parent.from, to: context.parent.to };
  switch (noun.noun) {
    case 'sip': {
      const built = buildSipInvite(noun, { accountSid: context.accountSid, callSid, ...callerId, caller, regions: context.regions });
      for (const warning of built.warnings) notify(context, ErrorCodes.schemaValidationWarning, 'warning', warning);
      return { noun, callSid, to: built.request.requestUri.text, request: built.request };
    }
    case 'number': {
      const to = dialledNumber(noun.number);
      if (context.trunk === undefined) {
        notify(context, ErrorCodes.schemaValidationWarning, 'error', `<Number>${noun.number}</Number> needs a trunk (INTERFACE.md "trunks") and none is configured; the noun is skipped`);
        return { noun, callSid, to };
      }
      const built = buildNumberInvite(noun, { accountSid: context.accountSid, callSid, ...callerId, caller, trunk: context.trunk, regions: context.regions });
      if ('problem' in built) {
        notify(context, ErrorCodes.configInvalid, 'error', `<Number>${noun.number}</Number> is skipped: ${built.problem}`);
        return { noun, callSid, to };
      }
      for (const warning of built.warnings) notify(context, ErrorCodes.schemaValidationWarning, 'warning', warning);
      return { noun, callSid, to, request: built.request };
    }
    case 'client':
      // Issue 6: "<Client> until the registrar exists is a clear error … and the noun skipped".
      notify(
        context,
        ErrorCodes.schemaValidationWarning,
        'error',
        `<Client>${noun.identity}</Client> cannot be dialled: this engine has no client registrar yet; the noun is skipped`,
      );
      return { noun, callSid, to: `client:${noun.identity}` };
  }
}

type RaceItem =
  | { kind: 'attempt'; attempt: DialAttempt; event: AttemptEvent }
  | { kind: 'ring-timeout' }
  | { kind: 'caller-gone' }
  | { kind: 'star' }
  | { kind: 'time-limit' };

/** Items in arrival order; the run takes them one at a time. */
class Mailbox<T> {
  private readonly items: T[] = [];
  private waiter: ((item: T) => void) | undefined;

  push(item: T): void {
    const waiter = this.waiter;
    if (waiter === undefined) {
      this.items.push(item);
      return;
    }
    this.waiter = undefined;
    waiter(item);
  }

  next(): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Early media relayed to the unanswered caller (answerOnBridge), from one ringing leg. */
interface EarlyMedia {
  attempt: DialAttempt;
  bridge: Bridge | undefined;
  closed: boolean;
}

class DialRun implements AttemptOwner {
  private readonly mailbox = new Mailbox<RaceItem>();
  private readonly logger: Logger;
  private readonly all: DialAttempt[] = [];
  private attempts: DialAttempt[] = [];
  private winner: DialAttempt | undefined;
  private lastEnded: DialAttempt | undefined;
  private ringTimer: TimerHandle | undefined;
  private limitTimer: TimerHandle | undefined;
  private bridge: Bridge | undefined;
  private stopDigits: (() => void) | undefined;
  private ringback: AbortController | undefined;
  private early: EarlyMedia | undefined;
  private stopScreening: (() => void) | undefined;
  private readonly recording: DialRecordingControl | undefined;
  private readonly onAbort = (): void => {
    this.stopScreening?.();
    this.mailbox.push({ kind: 'caller-gone' });
  };

  constructor(
    private readonly dial: Dial,
    private readonly plans: readonly LegPlan[],
    private readonly context: DialContext,
    private readonly signal: AbortSignal,
  ) {
    this.logger = context.logger.child({ parentCallSid: context.parent.sid });
    this.recording = dial.record !== 'do-not-record' && context.recording !== undefined ? new DialRecordingControl(dial, context, context.recording) : undefined;
  }

  async run(): Promise<DialResult> {
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    try {
      let result: DialResult | undefined;
      if (this.dial.sequential) {
        // Seed 004: "The priority of the calls is based on the order within the <Dial> verb"; busy,
        // decline, failure and no answer all move on; the caller's hang-up stops the sequence.
        for (const plan of this.plans) {
          if (result !== undefined && this.signal.aborted) break;
          result = await this.race([plan]);
          if (this.winner !== undefined) break;
        }
      } else {
        result = await this.race(this.plans);
      }
      if (result === undefined) throw new Error('a <Dial> with no noun to dial');
      this.releaseMedia();
      // Without a winner, a record-from-ringing recording still ends with the Dial and goes to the action.
      const recording = await this.recording?.stop();
      return recording === undefined || result.recording !== undefined ? result : { ...result, recording };
    } finally {
      this.signal.removeEventListener('abort', this.onAbort);
      this.releaseMedia();
      // Losers whose CANCEL has not been answered yet end with the Dial; a 2xx that still crosses it is hung up.
      for (const attempt of this.all) if (attempt.lost && attempt.state !== 'done') attempt.finish('canceled', false);
    }
  }

  /** Rings `plans` at once until one answers and its bridge ends, or all of them end. */
  private async race(plans: readonly LegPlan[]): Promise<DialResult> {
    const attempts = plans.map((plan) => new DialAttempt(plan, this.dial, this.context, this));
    this.attempts = attempts;
    this.all.push(...attempts);
    let placed = false;
    for (const attempt of attempts) if (attempt.place()) placed = true;
    if (placed) {
      // Twilio's <Dial timeout>: how long to let the call ring before assuming there is no answer.
      this.ringTimer = this.context.clock.setTimeout(() => this.mailbox.push({ kind: 'ring-timeout' }), this.dial.timeout * 1000);
      // The caller hears ringing from us while the callee rings (Twilio's ringTone): answered, or with
      // answerOnBridge as early media before its answer, until a callee's own early media replaces it.
      if (this.ringback === undefined) {
        this.ringback = new AbortController();
        this.context.media.ringback(this.context.leg, this.dial.ringTone, this.ringback.signal);
      }
      if (this.signal.aborted) for (const attempt of attempts) attempt.cancel('caller');
    }
    try {
      for (;;) {
        if (this.winner === undefined && attempts.every((attempt) => attempt.state === 'done')) {
          const last = this.lastEnded?.result;
          if (last === undefined) throw new Error('a race ended without a result');
          return last;
        }
        const item = await this.mailbox.next();
        const result = await this.take(item);
        if (result !== undefined) return result;
      }
    } finally {
      this.context.clock.clearTimeout(this.ringTimer);
      this.ringTimer = undefined;
    }
  }

  private async take(item: RaceItem): Promise<DialResult | undefined> {
    if (item.kind === 'attempt') {
      const { attempt, event } = item;
      if (attempt.lost) {
        attempt.late(event);
        return undefined;
      }
      if (attempt.state === 'done') return undefined;
      if (this.winner === undefined) return this.whileRinging(attempt, event);
      return attempt === this.winner ? this.whileAnswered(event.kind, attempt) : undefined;
    }
    if (this.winner !== undefined) return this.whileAnswered(item.kind, this.winner);
    if (item.kind === 'ring-timeout' || item.kind === 'caller-gone') {
      // INTERFACE.md: "our own ring timeout (CANCEL, 487) → no-answer; the caller hanging up or a
      // REST cancel while ringing → canceled". Each leg reports `failed` once the CANCEL took effect.
      this.context.clock.clearTimeout(this.ringTimer);
      for (const attempt of this.attempts) attempt.cancel(item.kind === 'ring-timeout' ? 'ring-timeout' : 'caller');
    }
    return undefined;
  }

  private async whileRinging(attempt: DialAttempt, event: AttemptEvent): Promise<DialResult | undefined> {
    switch (event.kind) {
      case 'failed':
        attempt.finishFailed(event.failure);
        return undefined;
      case 'answered':
        return this.onAnswered(attempt, event.answer);
      default:
        return undefined;
    }
  }

  private async onAnswered(winner: DialAttempt, answer: LegAnswer): Promise<DialResult | undefined> {
    const { context } = this;
    const outbound = winner.outbound as OutboundLeg;
    this.winner = winner;
    context.clock.clearTimeout(this.ringTimer);
    winner.markAnswered(answer);
    // Seed 004: "the first call that connects will cancel all the other attempts".
    for (const attempt of this.attempts) if (attempt !== winner) attempt.lose();
    // Early media ends with the answer: what the winner sends now is its screening document, which the
    // caller must not hear (seed 004: "the current caller will continue to hear ringing").
    this.closeEarly();
    // Twilio's <Number sendDigits>: "play DTMF tones when the call is answered".
    if (winner.noun.noun === 'number' && winner.noun.sendDigits !== undefined) this.sendDigits(outbound, winner.noun.sendDigits);

    // Seed 003: the url document "runs on the called party's end, after they answer, but before the
    // two parties are connected … The current caller continues to hear ringing while the TwiML
    // document executes on the other end."
    if (winner.noun.url !== undefined && context.screening !== undefined) {
      const verdict = await this.screen(winner, winner.noun.url, winner.noun.method, context.screening, answer, outbound);
      if (verdict === 'declined') return this.endUnbridged(winner, outbound);
    }
    if (this.ringback !== undefined) abortQuietly(this.ringback);
    // Twilio's answerOnBridge: the caller's call is answered only now, when the callee has answered.
    // Without it runDial sent the 200 when the Dial started, without waiting for the ACK: the same
    // (idempotent) answer is awaited here, so the caller is answered before being bridged.
    await context.leg.answer();
    if (this.oneSideGone(winner)) return this.endUnbridged(winner, outbound);
    // Twilio's record-from-answer: the recording starts when the parties are connected.
    this.recording?.atAnswer(outbound);
    let bridge: Bridge;
    try {
      bridge = await context.media.bridge(context.leg, outbound);
    } catch (error) {
      this.logger.error('bridging the dialled leg failed', { error: String(error) });
      notify(context, ErrorCodes.internal, 'error', `the dialled call could not be connected: ${String(error)}`);
      if (!winner.calleeEnded) outbound.hangup();
      return this.finishWinner(winner, 'failed', false);
    }
    this.bridge = bridge;
    if (this.oneSideGone(winner)) return this.endUnbridged(winner, outbound);

    // Twilio's <Dial timeLimit>: "the maximum duration of the <Dial> in seconds".
    this.limitTimer = context.clock.setTimeout(() => this.mailbox.push({ kind: 'time-limit' }), this.dial.timeLimit * 1000);
    // Twilio's hangupOnStar: "lets the calling party hang up on the called party by pressing the '*'
    // key"; the caller's call goes on with the action or the next verb.
    if (this.dial.hangupOnStar) {
      this.stopDigits = context.leg.onDigit((digit) => {
        if (digit === '*') this.mailbox.push({ kind: 'star' });
      });
    }
    return undefined;
  }

  private async whileAnswered(kind: RaceItem['kind'] | AttemptEvent['kind'], winner: DialAttempt): Promise<DialResult | undefined> {
    const outbound = winner.outbound as OutboundLeg;
    switch (kind) {
      // The callee's BYE ends the bridge and the Dial.
      case 'ended':
        return this.finishWinner(winner, 'completed', true);
      // The caller's BYE, `*` with hangupOnStar, timeLimit and REST end the callee's leg.
      case 'caller-gone':
      case 'rest-end':
      case 'star':
      case 'time-limit':
        if (!winner.calleeEnded) outbound.hangup();
        return this.finishWinner(winner, 'completed', true);
      default:
        return undefined;
    }
  }

  /** Runs the screening document on the callee; the caller's hang-up or the callee's BYE stop it. */
  private async screen(
    winner: DialAttempt,
    url: string,
    method: HttpMethod,
    screening: CallScreening,
    answer: LegAnswer,
    outbound: OutboundLeg,
  ): Promise<ScreeningVerdict> {
    const stop = new AbortController();
    this.stopScreening = () => abortQuietly(stop);
    if (this.oneSideGone(winner)) return 'declined';
    try {
      return await screening.screen(
        {
          callSid: winner.callSid,
          url: resolveUrl(url, this.context.documentUrl),
          method,
          params: screeningParameters(winner.child.snapshot(), outbound.sipCallId, answer.headers),
          callee: outbound,
        },
        stop.signal,
      );
    } catch (error) {
      winner.logger.error('the screening document failed', { error: String(error) });
      return 'declined';
    } finally {
      this.stopScreening = undefined;
    }
  }

  private sendDigits(outbound: OutboundLeg, digits: string): void {
    if (outbound.sendDigits === undefined) {
      notify(this.context, ErrorCodes.schemaValidationWarning, 'warning', `<Number sendDigits="${digits}"> is not supported by this engine yet; the digits are not sent`);
      return;
    }
    try {
      outbound.sendDigits(digits);
    } catch (error) {
      this.logger.error('sendDigits failed', { error: String(error) });
    }
  }

  /** Before the bridge: the callee hung up, the caller hung up, or the REST API ended the leg. */
  private oneSideGone(winner: DialAttempt): boolean {
    return winner.calleeEnded || this.signal.aborted || winner.restEnded;
  }

  /** The callee answered but one side was gone before the media met: INTERFACE.md "answered when not bridged". */
  private endUnbridged(winner: DialAttempt, outbound: OutboundLeg): Promise<DialResult> {
    if (!winner.calleeEnded) outbound.hangup();
    return this.finishWinner(winner, 'answered', false);
  }

  /** The winner's end: the media released, the recording stopped, then its completed callback (which carries the recording). */
  private async finishWinner(winner: DialAttempt, status: DialCallStatus, bridged: boolean): Promise<DialResult> {
    const endedAt = this.context.clock.now();
    this.releaseMedia();
    const recording: DialRecordingFacts | undefined = await this.recording?.stop();
    return winner.finish(status, bridged, { endedAt, ...(recording === undefined ? {} : { recording }) });
  }

  private releaseMedia(): void {
    this.context.clock.clearTimeout(this.ringTimer);
    this.context.clock.clearTimeout(this.limitTimer);
    this.ringTimer = undefined;
    this.limitTimer = undefined;
    this.stopDigits?.();
    this.stopDigits = undefined;
    this.bridge?.close();
    this.bridge = undefined;
    if (this.ringback !== undefined) abortQuietly(this.ringback);
    this.closeEarly();
  }

  private closeEarly(): void {
    const early = this.early;
    if (early === undefined) return;
    this.early = undefined;
    early.closed = true;
    early.bridge?.close();
  }

  // ---------------------------------------------------------------------------------- AttemptOwner

  deliver(attempt: DialAttempt, event: AttemptEvent): void {
    this.mailbox.push({ kind: 'attempt', attempt, event });
  }

  progressed(attempt: DialAttempt, progress: LegProgress): void {
    if (this.winner !== undefined) return;
    // Twilio's record-from-ringing: the recording starts when the Dial starts ringing.
    this.recording?.atRinging();
    // Issue 6: answerOnBridge with early media (183 with SDP): the caller hears the callee's early
    // media rather than nothing; one leg at a time, the first that sends it.
    const { earlyMedia } = this.context.media;
    if (!this.dial.answerOnBridge || !progress.earlyMedia || this.early !== undefined || earlyMedia === undefined || attempt.outbound === undefined) return;
    const early: EarlyMedia = { attempt, bridge: undefined, closed: false };
    this.early = early;
    if (this.ringback !== undefined) abortQuietly(this.ringback);
    let pending: Promise<Bridge>;
    try {
      pending = earlyMedia.call(this.context.media, this.context.leg, attempt.outbound);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (bridge) => {
        if (early.closed) bridge.close();
        else early.bridge = bridge;
      },
      (error: unknown) => {
        this.logger.error('early media could not be relayed', { error: String(error) });
        if (this.early === early) this.early = undefined;
      },
    );
  }

  interrupted(attempt: DialAttempt): void {
    if (attempt === this.winner) this.stopScreening?.();
  }

  finished(attempt: DialAttempt): void {
    this.lastEnded = attempt;
    if (this.early?.attempt === attempt) this.closeEarly();
  }
}
