/**
 * An inbound INVITE becomes a running call: admission (403 for a source the configuration does not
 * allow, 404 when no route matches — both before any webhook), then the Call, its leg, and the
 * document runner on the route's voice URL.
 */
import type { AccountConfig, RouteConfig } from '../config/index.js';
import type { Clock, Logger } from '../kernel/index.js';
import { Call, type CallEvents, type SipFacts } from './call.js';
import { CallLeg, type SipLegPort } from './call-leg.js';
import { DocumentFetcher, type WebhookPort } from './document-fetcher.js';
import { DocumentRunner, type OtherExecutors } from './document-runner.js';
import type { LegMedia } from './leg.js';
import type { NotificationSink } from './notifications.js';
import { findRoute } from './routing.js';

export interface InboundInvite {
  /** Request-URI user and host, and the To user: what routing matches on. */
  requestUser?: string;
  requestHost: string;
  toUser?: string;
  /** The caller and the called party as the application sees them (From, To). */
  from: string;
  to: string;
  callerName?: string;
  forwardedFrom?: string;
  sip: SipFacts;
}

export interface AdmissionRules {
  routes: readonly RouteConfig[];
  accounts: readonly AccountConfig[];
  /** Whether the configuration lets this source address in; every source when absent. */
  isSourceAllowed?: (sourceIp: string) => boolean;
}

export type Admission =
  | { admitted: false; statusCode: 403 | 404; reason: string }
  | { admitted: true; route: RouteConfig; account: AccountConfig };

export function admitInbound(invite: InboundInvite, rules: AdmissionRules): Admission {
  // A source that may not call learns nothing, not even whether the number exists: 403 comes first.
  if (rules.isSourceAllowed !== undefined && !rules.isSourceAllowed(invite.sip.sourceIp)) {
    return { admitted: false, statusCode: 403, reason: 'Forbidden' };
  }
  const route = findRoute(rules.routes, {
    requestHost: invite.requestHost,
    ...(invite.requestUser === undefined ? {} : { requestUser: invite.requestUser }),
    ...(invite.toUser === undefined ? {} : { toUser: invite.toUser }),
  });
  if (route === undefined) return { admitted: false, statusCode: 404, reason: 'Not Found' };
  // A route without an account runs under the first one (main.ts puts the default account there).
  const account = route.account === undefined ? rules.accounts[0] : rules.accounts.find((known) => known.sid === route.account);
  if (account === undefined) return { admitted: false, statusCode: 404, reason: 'Not Found' };
  return { admitted: true, route, account };
}

export interface InboundCallDeps {
  clock: Clock;
  logger: Logger;
  webhook: WebhookPort;
  notifications: NotificationSink;
  callEvents: CallEvents;
  otherExecutors?: OtherExecutors;
}

export interface InboundCall {
  call: Call;
  /** The wiring calls `leg.remoteHangup()` on the caller's BYE or CANCEL. */
  leg: CallLeg;
  /** `runner.redirect(…)` for REST updates. */
  runner: DocumentRunner;
  /** Resolves when the application is done with the call. */
  done: Promise<void>;
}

/** Starts the application for an admitted INVITE: the call rings, then the voice URL is fetched. */
export function startInboundCall(
  invite: InboundInvite,
  admission: Extract<Admission, { admitted: true }>,
  sip: SipLegPort,
  media: LegMedia,
  deps: InboundCallDeps,
): InboundCall {
  const { route, account } = admission;
  const call = new Call(
    {
      accountSid: account.sid,
      direction: 'inbound',
      from: invite.from,
      to: invite.to,
      status: 'ringing',
      sip: invite.sip,
      ...(invite.callerName === undefined ? {} : { callerName: invite.callerName }),
      ...(invite.forwardedFrom === undefined ? {} : { forwardedFrom: invite.forwardedFrom }),
    },
    deps.clock,
    deps.callEvents,
    deps.logger,
  );
  const logger = deps.logger.child({ callSid: call.sid });
  const leg = new CallLeg(call, sip, media, logger);
  const fetcher = new DocumentFetcher({
    webhook: deps.webhook,
    authToken: account.authToken,
    accountSid: account.sid,
    callSid: call.sid,
    dialect: route.dialect,
    enhancedSip: account.enhancedSip,
    ...(route.voiceFallbackUrl === undefined ? {} : { fallback: { url: route.voiceFallbackUrl, method: route.voiceFallbackMethod } }),
    notifications: deps.notifications,
    logger,
  });
  const runner = new DocumentRunner({
    call,
    leg,
    fetcher,
    voice: { url: route.voiceUrl, method: route.voiceMethod },
    clock: deps.clock,
    logger,
    ...(deps.otherExecutors === undefined ? {} : { otherExecutors: deps.otherExecutors }),
  });
  return { call, leg, runner, done: runner.run() };
}
