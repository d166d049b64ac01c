/**
 * Takes the UA's incoming calls and runs them: an INVITE becomes an InboundInvite (routing facts and
 * what the application sees), admission answers 403/404 before any webhook, an admitted call rings
 * (180), gets its media leg (SDP answer from the offer; 488 when nothing matches) and runs its
 * application through startInboundCall. An INVITE without an offer (RFC 3261 §13.2.1, the "late offer"
 * of CUCM and some carriers) gets a leg waiting for its answer: our offer goes in the 200 and the ACK's
 * answer settles the media before any verb plays (a missing or unusable one ends the call with BYE).
 * The caller's BYE or CANCEL, or their RTP stopping, reach the leg as a remote hang-up (the one
 * interruption path).
 *
 * Past capacity (OverloadGuard) a new INVITE gets 503 with Retry-After before any work is done for it.
 *
 * Owns the live calls: `close()` refuses new ones, ends each live one (480 while ringing; completed
 * and BYE once answered), waits for their applications to stop and for their store writes.
 */
import type { AccountConfig, RouteConfig } from '../../config/index.js';
import { ErrorCodes, isDialtoneError, ownedString, type Clock, type Logger } from '../../kernel/index.js';
import type { IncomingCall, SipRequest } from '../../sip/index.js';
import type { WebhookPort } from '../document-fetcher.js';
import type { OtherExecutors } from '../document-runner.js';
import { admitInbound, startInboundCall, type InboundCall, type InboundInvite } from '../inbound-call.js';
import { OverloadGuard, type LagSensor, type OverloadLimits, type OverloadReason } from '../overload-guard.js';
import { openLateOfferMediaLeg, openMediaLeg, type MediaLeg } from './media-leg.js';
import type { MediaServices } from './media-services.js';
import { SipLeg } from './sip-leg.js';
import { StoreCallEvents, StoreNotificationSink } from './store-sinks.js';
import type { Store } from '../../store/index.js';

export interface InboundCallsOptions {
  routes: readonly RouteConfig[];
  accounts: readonly AccountConfig[];
  isSourceAllowed?: (sourceIp: string) => boolean;
  store: Store;
  webhook: WebhookPort;
  media: MediaServices;
  /** The address written in our SDP when no public address is configured and the listener is a wildcard. */
  sdpAddress?: string;
  clock: Clock;
  logger: Logger;
  /**
   * <Dial> (call/dial) and other verbs whose executors live elsewhere: fixed, or made per call from
   * the call's own legs (a <Dial> bridges the caller's media port to the callee's).
   */
  otherExecutors?: OtherExecutors | ((call: InboundCallLegs) => OtherExecutors);
  /**
   * Told of each call once its application starts (e.g. the REST API registers it with
   * `inboundLiveCall(inbound, () => sip.close())`); the function it returns is called when the call is over.
   */
  onCallStarted?: (call: StartedInboundCall) => (() => void) | void;
  /** Capacity (config `limits`); without it every call is admitted. */
  limits?: OverloadLimits;
  /** The event loop's lag, for `limits.maxEventLoopLagMs`. */
  lag?: LagSensor;
}

/** A call that started: its engine objects and its legs (for the REST API's live-call registry). */
export interface StartedInboundCall extends InboundCallLegs {
  inbound: InboundCall;
}

/** What a per-call executor factory gets: what the caller's INVITE said, its SIP and media legs, its route and account. */
export interface InboundCallLegs {
  /** What the INVITE said (From, To, SIP facts): the SipLeg keeps the INVITE itself only until the answer. */
  invite: InboundInvite;
  sip: SipLeg;
  media: MediaLeg;
  route: RouteConfig;
  account: AccountConfig;
}

interface LiveCall {
  sip: SipLeg;
  media: MediaLeg;
  inbound: InboundCall;
  finished: Promise<void>;
}

export class InboundCalls {
  readonly notifications: StoreNotificationSink;
  readonly callEvents: StoreCallEvents;
  private readonly live = new Set<LiveCall>();
  private readonly starting = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private draining = false;
  private readonly overload: OverloadGuard | undefined;
  private refusalsSinceLog = 0;
  private refusalLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: InboundCallsOptions) {
    this.notifications = new StoreNotificationSink(options.store, options.logger);
    this.callEvents = new StoreCallEvents(options.store, options.logger);
    if (options.limits !== undefined) {
      this.overload = new OverloadGuard({
        limits: options.limits,
        clock: options.clock,
        activeCalls: () => this.live.size + this.starting.size,
        ...(options.lag === undefined ? {} : { lag: options.lag }),
      });
    }
  }

  /** New calls refused for capacity so far, by reason. */
  overloadRefusals(): ReadonlyMap<OverloadReason, number> {
    return this.overload?.refusals() ?? new Map();
  }

  /** Calls running now. */
  get size(): number {
    return this.live.size;
  }

  /** The UA's incoming-call handler. */
  readonly handle = (incoming: IncomingCall): void => {
    if (this.closing !== undefined || this.draining) {
      // RFC 3261 §21.5.4: 503 tells the caller to try elsewhere while we wind down.
      incoming.reject(this.draining ? 503 : 480);
      return;
    }
    const decision = this.overload?.admit();
    if (decision !== undefined && !decision.admitted) {
      incoming.reject(503, 'Service Unavailable', [{ name: 'Retry-After', value: String(decision.retryAfterSeconds) }]);
      this.noteRefusal(decision.reason);
      return;
    }
    const starting = this.start(incoming).catch((error: unknown) => {
      this.options.logger.error('inbound call failed to start', { callId: incoming.request.callId, error: String(error) });
      // No RTP port left is a capacity problem (503: try elsewhere); anything else is ours (500).
      const busy = isDialtoneError(error) && (error.code === ErrorCodes.mediaPortsExhausted || error.code === ErrorCodes.mediaPortBindFailed);
      if (incoming.state === 'offered' || incoming.state === 'early') incoming.reject(busy ? 503 : 500);
    });
    this.starting.add(starting);
    void starting.finally(() => this.starting.delete(starting));
  };

  /** One warning per 10 s at most while refusing: a flood must not become a flood of log lines. */
  private noteRefusal(reason: OverloadReason): void {
    this.refusalsSinceLog++;
    const now = this.options.clock.monotonic();
    if (now - this.refusalLoggedAt < 10_000) return;
    this.options.logger.warn('over capacity: new calls refused with 503', { reason, refused: this.refusalsSinceLog, live: this.live.size });
    this.refusalsSinceLog = 0;
    this.refusalLoggedAt = now;
  }

  private async start(incoming: IncomingCall): Promise<void> {
    const { logger } = this.options;
    const request = incoming.request;
    const invite = inboundInvite(request, incoming.received.remote.address);
    const admission = admitInbound(invite, {
      routes: this.options.routes,
      accounts: this.options.accounts,
      ...(this.options.isSourceAllowed === undefined ? {} : { isSourceAllowed: this.options.isSourceAllowed }),
    });
    logger.info('inbound INVITE', { callId: request.callId, to: invite.to, from: invite.from, admitted: admission.admitted });
    if (!admission.admitted) {
      incoming.reject(admission.statusCode);
      return;
    }
    const callLogger = logger.child({ sipCallId: request.callId });
    const opened = await this.openMedia(incoming, callLogger);
    if (opened === undefined) return;
    const { media, sdp } = opened;
    if (incoming.state !== 'offered' && incoming.state !== 'early') {
      // Cancelled while the media port opened.
      media.close();
      return;
    }
    // A late offer: the ACK's answer settles the media; when it cannot, the leg ends the call and
    // the application hears why (a notification) as for any other media problem.
    const sip = new SipLeg(incoming, sdp, callLogger, incoming.offerless ? (call) => {
      const outcome = media.acceptAnswer(call.remoteSdp);
      if (!outcome.ok) media.onProblem(outcome.code, outcome.reason);
      return outcome;
    } : undefined);
    sip.ring();
    const { route, account } = admission;
    const executors = this.options.otherExecutors;
    const otherExecutors = typeof executors === 'function' ? executors({ invite, sip, media, route, account }) : executors;
    const inbound = startInboundCall(invite, admission, sip, media, {
      clock: this.options.clock,
      logger: callLogger,
      webhook: this.options.webhook,
      notifications: this.notifications,
      callEvents: this.callEvents.forCall(route.statusCallback === undefined ? undefined : { url: route.statusCallback, method: route.statusCallbackMethod }),
      ...(otherExecutors === undefined ? {} : { otherExecutors }),
    });
    const { call, leg } = inbound;
    media.identity = { callSid: call.sid, accountSid: account.sid };
    media.onProblem = (errorCode, messageText) =>
      void this.notifications.record({ accountSid: account.sid, callSid: call.sid, errorCode, logLevel: 'warning', messageText });
    sip.onGone(() => leg.remoteHangup());
    media.onGone(() => {
      // RTP stopped: the caller is treated as gone; the dialog is ended on our side.
      leg.remoteHangup();
      void sip.bye();
    });
    sip.onAnswered(() => {
      media.armRtpTimeout();
      // RFC 3264 §8: re-INVITEs (hold, resume, a new address) are answered by the media leg; an
      // offerless one (RFC 3261 §14.2) gets our offer, and the ACK's answer goes back to the leg.
      sip.call?.onReinvite((offer) => media.reoffer(offer));
      sip.call?.on('offerAnswered', (answer) => {
        const outcome = media.acceptAnswer(answer);
        if (outcome.ok) return;
        // RFC 3264 has no way to refuse an answer; the session stays as the last exchange left it.
        callLogger.warn('the answer to our re-INVITE offer is not usable; the session is unchanged', { code: outcome.code, reason: outcome.reason });
        media.onProblem(outcome.code, outcome.reason);
      });
    });
    let forget: (() => void) | void = undefined;
    try {
      forget = this.options.onCallStarted?.({ inbound, invite, sip, media, route, account });
    } catch (error) {
      callLogger.error('onCallStarted failed', { error: String(error) });
    }
    const entry: LiveCall = { sip, media, inbound, finished: Promise.resolve() };
    entry.finished = (async () => {
      try {
        await inbound.done;
      } finally {
        // The application is done: whatever SIP state is left goes (the runner has normally hung up).
        if (!call.ended && !sip.callerGone) {
          try {
            if (leg.answered) await leg.hangup();
            else {
              await sip.close();
              leg.remoteHangup();
            }
          } catch (error) {
            callLogger.warn('ending the call failed', { error: String(error) });
          }
        }
        await sip.bye().catch(() => undefined);
        media.close();
        this.live.delete(entry);
        try {
          forget?.();
        } catch (error) {
          callLogger.error('forgetting the call failed', { error: String(error) });
        }
        callLogger.info('call finished', { callSid: call.sid, status: call.status });
      }
    })();
    this.live.add(entry);
  }

  /**
   * The caller's media leg and the SDP for our 200: the answer to the INVITE's offer (refused 488 or
   * 400 when nothing matches: then undefined), or, for an INVITE without one, our offer (RFC 3261 §13.2.1).
   */
  private async openMedia(incoming: IncomingCall, callLogger: Logger): Promise<{ media: MediaLeg; sdp: Buffer } | undefined> {
    const sdpAddress = this.sdpAddressFor(incoming);
    const offer = incoming.remoteSdp;
    if (offer === undefined) {
      const late = await openLateOfferMediaLeg(this.options.media, { sdpAddress, logger: callLogger });
      return { media: late.leg, sdp: late.offerSdp };
    }
    const opened = await openMediaLeg(this.options.media, { offerSdp: offer.toString('utf8'), sdpAddress, logger: callLogger });
    if (!opened.ok) {
      incoming.reject(opened.status);
      callLogger.info('offer not acceptable', { status: opened.status, reason: opened.reason });
      return undefined;
    }
    return { media: opened.leg, sdp: opened.answerSdp };
  }

  /** Where our RTP is reachable: the configured public address, else the address the INVITE came in on. */
  private sdpAddressFor(incoming: IncomingCall): string {
    if (this.options.sdpAddress !== undefined) return this.options.sdpAddress;
    const local = incoming.received.local.address;
    if (local === '0.0.0.0' || local === '::' || local === '') return '127.0.0.1';
    return local;
  }

  /**
   * Ctrl-C (INTERFACE.md "Commands"): new calls are refused (503) and live ones go on, for up to
   * `graceMs`; resolves when they have all finished or the grace period is over (then `close()`).
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    await Promise.all([...this.starting]);
    if (this.live.size === 0 || graceMs <= 0) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    await Promise.race([
      Promise.all([...this.live].map((entry) => entry.finished)),
      new Promise<void>((resolve) => (timer = this.options.clock.setTimeout(resolve, graceMs))),
    ]);
    this.options.clock.clearTimeout(timer);
  }

  /**
   * Refuses new calls; ends live ones (480 ringing, BYE answered, status completed or canceled);
   * waits for their applications and their store writes. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.starting]);
      await Promise.all(
        [...this.live].map(async (entry) => {
          const { leg, call } = entry.inbound;
          if (!call.ended) {
            // The one interruption path: the running verb stops as on a hang-up.
            leg.remoteHangup();
            await entry.sip.close();
          }
          await entry.finished;
        }),
      );
      await this.callEvents.idle();
      await this.notifications.idle();
    })();
    return this.closing;
  }
}

/** What routing and the application learn from the INVITE. */
export function inboundInvite(request: SipRequest, sourceIp: string): InboundInvite {
  // Kept for the whole call: its strings are copied, so that they do not keep the INVITE's text alive.
  const fromUri = request.from.uri;
  const toUri = request.to.uri;
  const xHeaders = request.headers
    .filter((header) => /^x-/i.test(header.name))
    .map((header) => ({ name: ownedString(header.name), value: ownedString(header.value) }));
  const displayName = request.from.displayName;
  const requestUser = request.uri.user === undefined ? undefined : ownedString(request.uri.user);
  const requestHost = ownedString(request.uri.host);
  const toUser = toUri.user === undefined ? undefined : ownedString(toUri.user);
  return {
    ...(requestUser === undefined ? {} : { requestUser }),
    requestHost,
    ...(toUser === undefined ? {} : { toUser }),
    from: ownedString(partyOf(fromUri.user, fromUri.host)),
    to: ownedString(partyOf(toUser ?? requestUser, toUri.host)),
    ...(displayName === undefined || displayName === '' ? {} : { callerName: ownedString(displayName) }),
    sip: { callId: ownedString(request.callId), sourceIp, domain: requestHost, xHeaders },
  };
}

/**
 * Twilio's From/To for SIP: a telephone number as it is (`+15551230000`), anything else as a SIP URI
 * (`sip:alice@example.com`).
 */
function partyOf(user: string | undefined, host: string): string {
  if (user !== undefined && /^\+?[0-9]+$/.test(user)) return user;
  return user === undefined ? `sip:${host}` : `sip:${user}@${host}`;
}
