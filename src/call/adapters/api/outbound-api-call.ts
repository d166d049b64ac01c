/**
 * One call placed through the REST API (`POST /Calls.json`, direction outbound-api): the INVITE goes
 * out, the callee rings and answers, and then the application's markup runs on the callee — Twilio's
 * "Url: the absolute URL that returns the TwiML instructions for the call", fetched when the call is
 * answered. Status callbacks follow the call as for a <Sip> leg (seed 003): initiated, ringing,
 * answered, completed, each only when asked, SequenceNumber from 0.
 *
 * ```
 *   queued ──INVITE──> (initiated) ──1xx──> ringing ──2xx──> in-progress ──document ends / BYE──> completed
 *      └──────────────────┴──────────────────┴─ final 3xx–6xx ─> busy | failed;  ring timeout ─> no-answer;
 *                                                 REST Status (CANCEL) ─> canceled
 * ```
 * Twilio's `initiated` is not a status of the Call (queued until it rings): it is the moment the
 * INVITE leaves, told to the store (its row shows `initiated`) and to the application.
 *
 * Record=true (call-recording.ts) records from the answer until the call ends; the recording's
 * status callbacks (in-progress, then completed or absent, as subscribed) go to RecordingStatusCallback,
 * and the `completed` status callback carries RecordingUrl, RecordingSid and RecordingDuration
 * (Twilio: "The recording_url is sent to the status_callback URL").
 */
import type { AccountConfig } from '../../../config/index.js';
import type { Clock, Logger, TimerHandle } from '../../../kernel/index.js';
import { ErrorCodes } from '../../../kernel/index.js';
import type { CallProgressEvent, HttpMethod } from '../../../markup/index.js';
import type { Store } from '../../../store/index.js';
import { Call, isTerminal, type CallEvents, type CallState, type EndStatus } from '../../call.js';
import { CallLeg, type SipLegPort } from '../../call-leg.js';
import {
  defaultResponseStatusTable,
  dialCallStatusOf,
  legStatusOf,
  RecordingStatusCallbacks,
  statusCallbackParameters,
  type LegFailure,
  type OutboundLegEvents,
  type OutboundLegRequest,
  type RecordingDescription,
  type ResponseStatusTable,
} from '../../dial/index.js';
import { DocumentFetcher, type WebhookPort } from '../../document-fetcher.js';
import { DocumentRunner, type DocumentSource, type OtherExecutors } from '../../document-runner.js';
import type { NotificationSink } from '../../notifications.js';
import type { RecordingServices, RecordingSession, StoppedRecording } from '../dial/dial-recording.js';
import { callDurationSeconds } from '../store-sinks.js';
import { startCallRecording, type CallRecordingSettings } from './call-recording.js';
import type { LiveCallHandle, LiveCalls } from './live-calls.js';
import type { MediaLeg } from '../media-leg.js';
import type { MediaDialer, MediaOutboundLeg } from './ua-media-dialer.js';

/** What a per-call executor factory gets (a <Dial> bridges the answered callee's media leg). */
export interface OutboundApiCallLegs {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  media: MediaLeg;
}

/** <Dial> and other executors: fixed, or made per call from its legs. */
export type OutboundExecutors = OtherExecutors | ((legs: OutboundApiCallLegs) => OtherExecutors);

/** What the call needs to know of the REST request (camelCase, validated by the API). */
export interface OutboundApiCallSettings {
  callSid: string;
  account: AccountConfig;
  from: string;
  to: string;
  /** The first document: the Url (with Method) or the Twiml. */
  start: DocumentSource;
  fallback?: { url: string; method: HttpMethod };
  statusCallback?: { url: string; method: HttpMethod; events: readonly CallProgressEvent[] };
  /** Seconds to let the callee ring. */
  timeoutSeconds: number;
  invite: OutboundLegRequest;
  /** Record=true; needs `recordingServices` in the deps. */
  recording?: CallRecordingSettings;
}

export interface OutboundApiCallDeps {
  store: Store;
  dialer: MediaDialer;
  webhook: WebhookPort;
  notifications: NotificationSink;
  liveCalls: LiveCalls;
  clock: Clock;
  logger: Logger;
  otherExecutors?: OutboundExecutors;
  responseStatusTable?: ResponseStatusTable;
  recordingServices?: RecordingServices;
}

type Outcome = { kind: 'answered'; status: number } | { kind: 'failed'; failure: LegFailure };

export class OutboundApiCall {
  readonly call: Call;
  /** Settles when the call is over and every store write and callback of it is queued. Never rejects. */
  readonly finished: Promise<void>;
  private readonly logger: Logger;
  private writes: Promise<void> = Promise.resolve();
  private sequenceNumber = 0;
  private sipResponseCode: number | undefined;
  private outbound: MediaOutboundLeg | undefined;
  private leg: CallLeg | undefined;
  private runner: DocumentRunner | undefined;
  private start: DocumentSource;
  private ringTimer: TimerHandle | undefined;
  private cancelledFor: 'ring-timeout' | 'caller' | undefined;
  private remoteEnded = false;
  /** The 2xx came (the leg may not exist yet: a REST end in between is applied once it does). */
  private answered = false;
  private hangupRequested = false;
  /** Record=true: the recording once started (undefined when it could not start). */
  private recording: Promise<RecordingSession | undefined> | undefined;
  private recordingStopped: Promise<StoppedRecording | undefined> | undefined;
  /** The recording's callbacks count from 0 in its own delivery queue, apart from the call's events (as <Dial record>'s do). */
  private readonly recordingCallbacks: RecordingStatusCallbacks;
  private settle!: (outcome: Outcome) => void;
  private readonly outcome = new Promise<Outcome>((resolve) => (this.settle = resolve));

  constructor(
    private readonly settings: OutboundApiCallSettings,
    private readonly deps: OutboundApiCallDeps,
  ) {
    this.logger = deps.logger.child({ callSid: settings.callSid });
    this.start = settings.start;
    this.recordingCallbacks = new RecordingStatusCallbacks(settings.recording?.statusCallback, ({ recordingSid, sequenceNumber, url, method, params }) =>
      this.write(async () => {
        await deps.store.outbox.enqueue({
          callSid: settings.callSid,
          deliveryQueue: recordingSid,
          sequenceNumber,
          accountSid: settings.account.sid,
          url,
          method,
          params,
        });
      }),
    );
    const events: CallEvents = {
      // The row was written by createCall before the call object existed.
      created: () => undefined,
      statusChanged: (state) => this.statusChanged(state),
    };
    this.call = new Call(
      { sid: settings.callSid, accountSid: settings.account.sid, direction: 'outbound-api', from: settings.from, to: settings.to, status: 'queued' },
      deps.clock,
      events,
      this.logger,
    );
    const unregister = deps.liveCalls.register(settings.callSid, this.handle);
    this.finished = this.run()
      .catch((error: unknown) => this.logger.error('outbound-api call failed', { error: String(error) }))
      .finally(() => unregister())
      .then(() => this.writes);
  }

  /** What the REST API reaches through LiveCalls. */
  readonly handle: LiveCallHandle = {
    redirect: (source) => this.redirect(source),
    end: (status) => this.end(status),
  };

  /** Resolves when the store writes started so far have settled. */
  idle(): Promise<void> {
    return this.writes;
  }

  private async run(): Promise<void> {
    const { deps, settings, call } = this;
    const events: OutboundLegEvents = {
      progress: (progress) => {
        // Seed 003: "The call transitions from the initiated state to the ringing state when the phone starts ringing."
        if (progress.status > 100 && call.status === 'queued') call.setStatus('ringing');
      },
      answered: (answer) => {
        this.answered = true;
        this.settle({ kind: 'answered', status: answer.status });
      },
      failed: (failure) => this.settle({ kind: 'failed', failure }),
      ended: (by) => {
        if (by !== 'remote') return;
        this.remoteEnded = true;
        this.leg?.remoteHangup();
      },
    };
    let outbound: MediaOutboundLeg;
    try {
      outbound = deps.dialer.place(settings.invite, events);
    } catch (error) {
      this.logger.error('the INVITE could not be placed', { error: String(error) });
      this.notify(ErrorCodes.sipTransportFailure, `the INVITE to ${settings.invite.requestUri.text} could not be sent: ${String(error)}`);
      call.setStatus('failed');
      return;
    }
    this.outbound = outbound;
    try {
      this.initiated(outbound.sipCallId);
      // Twilio's Timeout: "the number of seconds that we should allow the phone to ring before assuming there is no answer".
      this.ringTimer = deps.clock.setTimeout(() => this.cancelRinging('ring-timeout'), settings.timeoutSeconds * 1000);
      const outcome = await this.outcome;
      deps.clock.clearTimeout(this.ringTimer);
      if (outcome.kind === 'failed') {
        this.failed(outcome.failure);
        return;
      }
      this.sipResponseCode = outcome.status;
      await this.runDocument(outbound);
    } finally {
      deps.clock.clearTimeout(this.ringTimer);
      // Normally stopped when the call ended (its `completed` callback waits for it); this covers an engine failure.
      await this.stopRecording();
      outbound.close();
    }
  }

  /** The callee answered: the application's document runs on its leg until it ends or the callee hangs up. */
  private async runDocument(outbound: MediaOutboundLeg): Promise<void> {
    const { deps, settings, call } = this;
    const media = outbound.media;
    if (media === undefined) throw new Error('the answered leg has no media');
    media.identity = { callSid: call.sid, accountSid: settings.account.sid }; // <Record> needs the call's SIDs (as inbound-calls.ts sets them)
    const sip: SipLegPort = {
      // The callee's 2xx is the answer: nothing more to send.
      answer: async () => undefined,
      reject: async () => undefined,
      bye: async () => outbound.hangup(),
    };
    const leg = new CallLeg(call, sip, media, this.logger);
    this.leg = leg;
    await leg.answer();
    // Twilio's Record=true records "the phone call" from the answer: before the first document is fetched.
    const recording = this.startRecording(media);
    if (this.remoteEnded) leg.remoteHangup();
    else if (this.hangupRequested) {
      leg.remoteHangup();
      outbound.hangup();
    }
    outbound.onMediaGone(() => {
      // RTP stopped: the callee is treated as gone and the dialog is ended on our side.
      leg.remoteHangup();
      outbound.hangup();
    });
    const fetcher = new DocumentFetcher({
      webhook: deps.webhook,
      authToken: settings.account.authToken,
      accountSid: settings.account.sid,
      callSid: call.sid,
      dialect: 'twiml',
      enhancedSip: settings.account.enhancedSip,
      ...(settings.fallback === undefined ? {} : { fallback: settings.fallback }),
      notifications: deps.notifications,
      logger: this.logger,
    });
    await recording;
    const start = this.start;
    const executors =
      typeof deps.otherExecutors === 'function'
        ? deps.otherExecutors({ callSid: call.sid, accountSid: settings.account.sid, from: settings.from, to: settings.to, media })
        : deps.otherExecutors;
    const runner = new DocumentRunner({
      call,
      leg,
      fetcher,
      voice: start.kind === 'url' ? { url: start.url, method: start.method } : { url: '', method: 'POST' },
      clock: deps.clock,
      logger: this.logger,
      ...(executors === undefined ? {} : { otherExecutors: executors }),
    });
    this.runner = runner;
    // The application hears of the answer only once the call's state is stored, so that a REST fetch
    // from its webhook finds the call in-progress (a store write resolves once it is durable).
    await this.writes;
    await runner.run(start);
    // The runner hangs up when a document runs out; anything left (an engine failure) ends here.
    if (!call.ended) await leg.hangup().catch((error: unknown) => this.logger.warn('hang-up failed', { error: String(error) }));
  }

  /** Record=true: starts the recording of `media`; a recording that cannot start is a notification, not a failed call. */
  private startRecording(media: MediaLeg): Promise<RecordingSession | undefined> {
    const settings = this.settings.recording;
    const services = this.deps.recordingServices;
    // A call that ended while answering (the callee's BYE) is not recorded: nothing would stop it.
    if (settings === undefined || services === undefined || this.call.ended || this.recordingStopped !== undefined) return Promise.resolve(undefined);
    const call = { accountSid: this.settings.account.sid, callSid: this.call.sid };
    this.recording = startCallRecording(media, call, settings, { services, clock: this.deps.clock, logger: this.logger }).then(
      (session) => {
        this.recordingCallbacks.started(session, this.recordingDescription(session));
        return session;
      },
      (error: unknown) => {
        this.logger.error('the call recording could not start', { error: String(error) });
        this.notify(ErrorCodes.recordingWriteFailed, `Record=true: the call recording could not start: ${String(error)}`);
        return undefined;
      },
    );
    return this.recording;
  }

  /** Ends the recording once (when the call ends); resolves with what it kept, if it was recording. */
  private stopRecording(): Promise<StoppedRecording | undefined> {
    this.recordingStopped ??= (this.recording ?? Promise.resolve(undefined)).then(async (session) => {
      if (session === undefined) return undefined;
      const stopped = await session.stop();
      this.recordingCallbacks.stopped(session, this.recordingDescription(session), stopped.durationSeconds);
      return stopped;
    });
    return this.recordingStopped;
  }

  private recordingDescription(session: RecordingSession): RecordingDescription {
    return {
      accountSid: this.settings.account.sid,
      callSid: this.call.sid,
      channels: session.channels,
      startedAt: session.startedAt,
      track: session.track,
      source: 'OutboundAPI',
    };
  }

  private failed(failure: LegFailure): void {
    this.sipResponseCode = failure.status;
    const end = this.cancelledFor === undefined ? { kind: 'failed' as const, failure } : { kind: 'failed' as const, failure, cancelledFor: this.cancelledFor };
    const status: EndStatus = legStatusOf(dialCallStatusOf(end, this.deps.responseStatusTable ?? defaultResponseStatusTable));
    this.logger.info('the call did not connect', { status, sipStatus: failure.status, cause: failure.cause });
    this.call.setStatus(status);
  }

  private cancelRinging(why: 'ring-timeout' | 'caller'): void {
    if (this.cancelledFor !== undefined || this.answered || this.call.ended) return;
    this.cancelledFor = why;
    this.deps.clock.clearTimeout(this.ringTimer);
    this.outbound?.cancel();
  }

  /** REST `Url`/`Twiml`: before the answer it replaces the first document; after, it interrupts the running one. */
  private redirect(source: DocumentSource): boolean {
    if (this.call.ended) return false;
    if (this.runner === undefined) {
      if (this.cancelledFor !== undefined) return false;
      this.start = source;
      return true;
    }
    return this.runner.redirect(source);
  }

  /**
   * REST `Status`: `canceled` stops a call that is queued or ringing (Twilio: "If the call is
   * currently queued or ringing, it will stop the call"); `completed` also hangs up an answered one.
   */
  private end(status: 'canceled' | 'completed'): boolean {
    if (this.call.ended) return false;
    if (!this.answered) {
      if (this.cancelledFor === undefined) this.cancelRinging('caller');
      return true;
    }
    if (status === 'canceled') return false;
    if (this.leg === undefined) {
      this.hangupRequested = true;
      return true;
    }
    // The one interruption path: the running verb stops as on a hang-up (CallLeg.hangup() alone would
    // leave a <Pause> running), the call ends completed, and the BYE goes.
    this.leg.remoteHangup();
    this.outbound?.hangup();
    return true;
  }

  // ---------------------------------------------------------------------------- store and callbacks

  private initiated(sipCallId: string): void {
    const at = this.deps.clock.now();
    const snapshot = { ...this.call.snapshot() };
    // When the application asked for `completed`, the row keeps where it goes: a crash with the call
    // live still ends in that callback (CallStatus=failed, sent by the store's recovery).
    const callback = this.settings.statusCallback;
    const finalCallback =
      callback === undefined || !callback.events.includes('completed')
        ? undefined
        : { url: callback.url, method: callback.method, params: statusCallbackParameters(snapshot, { event: 'completed', sequenceNumber: 0, at, sipCallId }) };
    this.write(async () => {
      await this.deps.store.calls.update(this.call.sid, { status: 'initiated', startTime: at, sipCallId, ...(finalCallback === undefined ? {} : { finalCallback }) });
    });
    // Seed 003: "The initiated event is fired when Twilio starts dialing the call."
    this.event('initiated', snapshot, at);
  }

  private statusChanged(state: Readonly<CallState>): void {
    const terminal = isTerminal(state.status);
    const patch = {
      status: state.status,
      ...(state.answerTime === undefined ? {} : { answerTime: state.answerTime }),
      ...(state.endTime === undefined ? {} : { endTime: state.endTime, duration: callDurationSeconds(state) }),
      ...(terminal && this.sipResponseCode !== undefined ? { sipResponseCode: this.sipResponseCode } : {}),
    };
    this.write(async () => {
      await this.deps.store.calls.update(state.sid, patch);
    });
    const at = this.deps.clock.now();
    if (state.status === 'ringing') this.event('ringing', state, at);
    else if (state.status === 'in-progress') this.event('answered', state, at);
    else if (terminal) this.event('completed', state, at);
  }

  /**
   * A call event in the store, and the status callback when the application asked for it. The
   * `completed` event is kept even without a callback (the call's history, as for inbound calls).
   */
  private event(event: CallProgressEvent, state: Readonly<CallState>, at: number): void {
    const callback = this.settings.statusCallback;
    const wanted = callback !== undefined && callback.events.includes(event);
    if (!wanted && event !== 'completed') return;
    const sequenceNumber = this.sequenceNumber++;
    const completed = event === 'completed';
    const snapshot = { ...state };
    const facts = {
      event,
      sequenceNumber,
      at,
      ...(this.outbound === undefined ? {} : { sipCallId: this.outbound.sipCallId }),
      ...(completed ? { callDurationSeconds: callDurationSeconds(state) } : {}),
      ...(completed && this.sipResponseCode !== undefined ? { sipResponseCode: this.sipResponseCode } : {}),
    };
    // The call's end ends its recording, whose link and length the `completed` callback carries.
    const recording = completed ? this.stopRecording() : undefined;
    this.write(async () => {
      const stopped = await recording;
      const params = statusCallbackParameters(snapshot, stopped === undefined || stopped.durationSeconds === 0 ? facts : { ...facts, recording: stopped });
      await this.deps.store.callEvents.append(
        { callSid: state.sid, sequenceNumber, name: event, timestamp: at, params },
        wanted ? { accountSid: state.accountSid, url: callback.url, method: callback.method } : undefined,
      );
    });
  }

  /** Writes of one call go in order (the row's update before the event after it); a failing store is logged. */
  private write(work: () => Promise<void>): void {
    this.writes = this.writes.then(work).catch((error: unknown) => this.logger.error('call state not stored', { error: String(error) }));
  }

  private notify(errorCode: number, messageText: string, logLevel: 'error' | 'warning' = 'error'): void {
    try {
      const pending = this.deps.notifications.record({ accountSid: this.settings.account.sid, callSid: this.call.sid, errorCode, logLevel, messageText });
      if (pending instanceof Promise) pending.catch(() => undefined);
    } catch (error) {
      this.logger.error('notification not recorded', { error: String(error) });
    }
  }
}
