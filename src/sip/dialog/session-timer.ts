/**
 * Session timers (RFC 4028): the Session-Expires / Min-SE negotiation as pure functions over header
 * values, and a driver on the injected Clock that tells the dialog user when to refresh and when the
 * session has expired.
 *
 *   UAC:  sessionTimerRequestHeaders ─> 422? ─ handleUac422 ─> retry with the raised interval
 *                                      └ 2xx ─ negotiateUac ─> SessionTimerOutcome ─> SessionTimer.start
 *   UAS:  negotiateUas(request) ─> reject 422 with Min-SE, or accept with 2xx headers and an outcome
 *
 * The refresher parameter names a role in the transaction that negotiated it ("uac" is whoever sent
 * that INVITE or UPDATE), so outcomes also say whether the refresher is this end (`localRefresher`).
 */
import { type Clock, DialtoneError, ErrorCodes, type Logger, type TimerHandle } from '../../kernel/index.js';
import { listElements } from '../message/get-header.js';
import type { HeaderField } from '../message/types.js';

/** RFC 4028 §4, §5: no session interval or Min-SE below 90 seconds. */
export const MIN_SESSION_EXPIRES = 90;
/** RFC 4028 §4: "1800 seconds (30 minutes) is RECOMMENDED as the value for the Session-Expires". */
export const RECOMMENDED_SESSION_EXPIRES = 1800;
/** The option tag of RFC 4028 §3, for Supported and Require. */
export const TIMER_OPTION_TAG = 'timer';

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  /** The session interval, seconds. */
  deltaSeconds: number;
  refresher?: Refresher;
  /** Every parameter, names lower-cased, `null` for a flag; includes refresher. */
  params: Map<string, string | null>;
}

function malformed(header: string, value: string, why: string): DialtoneError {
  return new DialtoneError(ErrorCodes.sipMessageMalformed, `malformed ${header}: ${why}`, { header, value });
}

function parseDelta(header: string, value: string, text: string): number {
  // RFC 3261 §25.1: delta-seconds = 1*DIGIT
  if (!/^\d{1,10}$/.test(text)) throw malformed(header, value, `${JSON.stringify(text)} is not delta-seconds`);
  const seconds = Number(text);
  if (seconds > 0xffffffff) throw malformed(header, value, 'delta-seconds out of range');
  return seconds;
}

function parseParams(header: string, value: string, parts: readonly string[]): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const part of parts) {
    const [name = '', ...rest] = part.split('=');
    const key = name.trim().toLowerCase();
    if (key === '') throw malformed(header, value, 'empty parameter');
    params.set(key, rest.length === 0 ? null : rest.join('=').trim());
  }
  return params;
}

/**
 * Parses a Session-Expires value (the compact form `x` is the message layer's business):
 * RFC 4028 §4: Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params),
 * se-params = refresher-param / generic-param, refresher-param = "refresher" EQUAL ("uas" / "uac").
 * Throws a DialtoneError (sipMessageMalformed) on anything else.
 */
export function parseSessionExpires(value: string): SessionExpires {
  const [delta = '', ...parts] = value.split(';');
  const deltaSeconds = parseDelta('Session-Expires', value, delta.trim());
  const params = parseParams('Session-Expires', value, parts);
  const result: SessionExpires = { deltaSeconds, params };
  const refresher = params.get('refresher');
  if (refresher !== undefined) {
    const role = refresher?.toLowerCase();
    if (role !== 'uac' && role !== 'uas') throw malformed('Session-Expires', value, 'refresher must be uac or uas');
    result.refresher = role;
  }
  return result;
}

export function formatSessionExpires(deltaSeconds: number, refresher?: Refresher): string {
  return refresher === undefined ? String(deltaSeconds) : `${deltaSeconds};refresher=${refresher}`;
}

/** RFC 4028 §5: Min-SE = "Min-SE" HCOLON delta-seconds *(SEMI generic-param). */
export function parseMinSe(value: string): number {
  const [delta = '', ...parts] = value.split(';');
  parseParams('Min-SE', value, parts);
  return parseDelta('Min-SE', value, delta.trim());
}

export function formatMinSe(seconds: number): string {
  return String(seconds);
}

/** Whether Supported/Require values (one or many, comma lists allowed) carry an option tag. */
export function hasOptionTag(values: readonly string[], tag: string = TIMER_OPTION_TAG): boolean {
  return listElements(values).some((token) => token.toLowerCase() === tag);
}

/** What a negotiation settled: no timer, or an interval and who refreshes. */
export type SessionTimerOutcome =
  | { active: false }
  | {
      active: true;
      /** Session interval, seconds. */
      interval: number;
      /** As written in the response that settled it. */
      refresher: Refresher;
      /** Whether this end sends the refreshes. */
      localRefresher: boolean;
    };

// ---------------------------------------------------------------------------------------------- UAC

/** What a UAC asks for in an INVITE or UPDATE that starts or refreshes a session. */
export interface SessionTimerRequest {
  /** Desired session interval, seconds; default 1800 (RFC 4028 §4). */
  sessionExpires?: number;
  /** Our Min-SE, seconds; default 90. */
  minSe?: number;
  /**
   * RFC 4028 §7.1: the UAC "MAY include the refresher parameter with value 'uac' if it wishes to
   * perform the refreshes. However, it is RECOMMENDED that the parameter be omitted so that it can
   * be selected by the negotiation mechanisms." So the default is to omit it. A refresh sent by the
   * current refresher uses 'uac'; a re-INVITE sent by the other end uses 'uas' (§7.4).
   */
  refresher?: Refresher;
}

/** The request parameters with defaults applied, as kept between a 422 and its retry. */
export interface SessionTimerRequestState {
  sessionExpires: number;
  minSe: number;
  refresher?: Refresher;
}

export function sessionTimerRequestState(request: SessionTimerRequest = {}): SessionTimerRequestState {
  const minSe = Math.max(MIN_SESSION_EXPIRES, request.minSe ?? MIN_SESSION_EXPIRES);
  // RFC 4028 §7.1: "the value of the Session-Expires MUST be greater than or equal to the value in
  // Min-SE" when both are present.
  const sessionExpires = Math.max(minSe, request.sessionExpires ?? RECOMMENDED_SESSION_EXPIRES);
  return request.refresher === undefined ? { sessionExpires, minSe } : { sessionExpires, minSe, refresher: request.refresher };
}

/**
 * Headers for a session refresh request: Supported: timer (RFC 4028 §7.1: a UAC that supports the
 * extension "MUST include a Supported header field in each request (except ACK), listing the option
 * tag 'timer'"), Session-Expires, and Min-SE. The caller merges Supported with its other tags.
 */
export function sessionTimerRequestHeaders(state: SessionTimerRequestState): HeaderField[] {
  return [
    { name: 'Supported', value: TIMER_OPTION_TAG },
    { name: 'Session-Expires', value: formatSessionExpires(state.sessionExpires, state.refresher) },
    { name: 'Min-SE', value: formatMinSe(state.minSe) },
  ];
}

/**
 * The request parameters for a later INVITE or UPDATE in a dialog with an active timer (RFC 4028
 * §7.4): the current interval, and refresher=uac when this end, as the refresher, sends the refresh,
 * or refresher=uas when the other end stays the refresher (a re-INVITE for hold, say). `minSe` is the
 * largest Min-SE seen on the dialog (from a 422 or from the peer's requests).
 */
export function subsequentRequestState(
  outcome: Extract<SessionTimerOutcome, { active: true }>,
  minSe: number = MIN_SESSION_EXPIRES,
): SessionTimerRequestState {
  return sessionTimerRequestState({
    sessionExpires: outcome.interval,
    minSe,
    refresher: outcome.localRefresher ? 'uac' : 'uas',
  });
}

/**
 * A 422 (Session Interval Too Small, RFC 4028 §6) answers the request: the UAC retries with
 * Session-Expires and Min-SE raised to the Min-SE of the 422 (§7.3), and remembers it for later
 * refreshes on the dialog. A 422 without a usable Min-SE, or one that asks for no more than we
 * already offered, cannot be satisfied by retrying and is reported instead of looping.
 */
export function handleUac422(
  state: SessionTimerRequestState,
  minSeValue: string | undefined,
): { ok: true; state: SessionTimerRequestState } | { ok: false; error: DialtoneError } {
  let required: number;
  try {
    if (minSeValue === undefined) throw malformed('Min-SE', '', 'missing from 422');
    required = parseMinSe(minSeValue);
  } catch (error) {
    return {
      ok: false,
      error: new DialtoneError(ErrorCodes.sipSessionIntervalTooSmall, '422 without a usable Min-SE', { minSe: minSeValue }, { cause: error }),
    };
  }
  if (required <= state.sessionExpires) {
    return {
      ok: false,
      error: new DialtoneError(ErrorCodes.sipSessionIntervalTooSmall, `422 asks for Min-SE ${required} but we sent ${state.sessionExpires}`, {
        minSe: required,
        sessionExpires: state.sessionExpires,
      }),
    };
  }
  const next: SessionTimerRequestState = { ...state, sessionExpires: required, minSe: Math.max(state.minSe, required) };
  return { ok: true, state: next };
}

/**
 * The UAC reads the 2xx (RFC 4028 §7.2): "If the 2xx response did not contain a Session-Expires
 * header field, there is no session expiration." Otherwise its refresher parameter says who
 * refreshes; a Session-Expires without one can only come from a proxy acting for a UAS without the
 * extension (§8.2 has the proxy set refresher=uac then), so the UAC refreshes.
 */
export function negotiateUac(response: { sessionExpires?: string }): SessionTimerOutcome {
  if (response.sessionExpires === undefined) return { active: false };
  const parsed = parseSessionExpires(response.sessionExpires);
  const refresher = parsed.refresher ?? 'uac';
  return { active: true, interval: parsed.deltaSeconds, refresher, localRefresher: refresher === 'uac' };
}

// ---------------------------------------------------------------------------------------------- UAS

export interface UasSessionTimerPolicy {
  /** Our minimum, seconds; default 90. Requests below it get 422. */
  minSe?: number;
  /** The interval we prefer; a request asking for more is brought down to it. Default 1800. */
  sessionExpires?: number;
  /** Who refreshes when the UAC leaves the choice to us; default 'uac' (the other end). */
  preferredRefresher?: Refresher;
}

export interface UasSessionTimerRequest {
  /** The request's Session-Expires value, if present. */
  sessionExpires?: string;
  /** The request's Min-SE value, if present. */
  minSe?: string;
  /** The request's Supported values. */
  supported: readonly string[];
}

export type UasSessionTimerDecision =
  | { kind: 'reject'; status: 422; headers: HeaderField[] }
  | { kind: 'accept'; headers: HeaderField[]; outcome: SessionTimerOutcome };

/**
 * The UAS decision for an INVITE or UPDATE (RFC 4028 §9). Headers of the 422, or of the 2xx
 * (Session-Expires with the refresher, and Require: timer when the UAC supports the extension).
 * Throws sipMessageMalformed for a malformed Session-Expires or Min-SE (the caller answers 400).
 */
export function negotiateUas(request: UasSessionTimerRequest, policy: UasSessionTimerPolicy = {}): UasSessionTimerDecision {
  const localMinSe = Math.max(MIN_SESSION_EXPIRES, policy.minSe ?? MIN_SESSION_EXPIRES);
  const preferred = Math.max(localMinSe, policy.sessionExpires ?? RECOMMENDED_SESSION_EXPIRES);
  const uacSupports = hasOptionTag(request.supported);
  const requested = request.sessionExpires === undefined ? undefined : parseSessionExpires(request.sessionExpires);
  const requestMinSe = request.minSe === undefined ? MIN_SESSION_EXPIRES : parseMinSe(request.minSe);

  if (requested === undefined && !uacSupports) {
    // Neither the UAC nor any proxy asked for a timer, and the UAC could not take part in one.
    return { kind: 'accept', headers: [], outcome: { active: false } };
  }

  let interval: number;
  if (requested === undefined) {
    // §9: the UAC supports timers but is not requesting one; "The UAS may request a session timer in
    // the 2XX response by including a Session-Expires header field. The value MUST NOT be set to a
    // duration lower than the value in the Min-SE header field in the request, if it is present."
    interval = Math.max(preferred, requestMinSe);
  } else if (requested.deltaSeconds < localMinSe) {
    if (uacSupports) {
      // §9: an interval below our minimum is refused with 422, which "MUST contain a Min-SE header
      // field" with our minimum (§6).
      return { kind: 'reject', status: 422, headers: [{ name: 'Min-SE', value: formatMinSe(localMinSe) }] };
    }
    // A UAC without the extension cannot act on a 422 (a proxy inserted this Session-Expires), so,
    // like a proxy in §8.1, we raise the interval to our minimum rather than fail the call.
    interval = localMinSe;
  } else {
    // §9: the UAS may shorten the interval, but never below the request's Min-SE (nor our own).
    interval = Math.max(Math.min(requested.deltaSeconds, preferred), requestMinSe, localMinSe);
  }

  // §9, Table 2: a UAC without the extension cannot refresh, so the UAS does; a refresher named in
  // the request is kept; otherwise the UAS chooses.
  const refresher: Refresher = !uacSupports ? 'uas' : (requested?.refresher ?? policy.preferredRefresher ?? 'uac');
  const headers: HeaderField[] = [{ name: 'Session-Expires', value: formatSessionExpires(interval, refresher) }];
  // §9: with a UAC that supports the extension the response carries Require: timer, so the UAC (and
  // proxies) know the UAS took part in the negotiation.
  if (uacSupports) headers.push({ name: 'Require', value: TIMER_OPTION_TAG });
  return { kind: 'accept', headers, outcome: { active: true, interval, refresher, localRefresher: refresher === 'uas' } };
}

// ------------------------------------------------------------------------------------------- driver

export interface SessionTimerOptions {
  clock: Clock;
  /** Time to send a session refresh (re-INVITE or UPDATE); this end is the refresher. */
  onRefresh: () => void;
  /** The session is about to expire without a refresh: send BYE (RFC 4028 §10). */
  onExpired: () => void;
  /** Where a callback's exception is reported; it never reaches the clock. */
  logger?: Logger;
}

/**
 * Runs the timers of one dialog. `start(outcome)` after every successful negotiation (the initial
 * 2xx and each refresh) re-arms them; `stop()` on BYE.
 *
 *   refresher side:     ──── interval/2: onRefresh ──── interval − margin: onExpired (no 2xx came)
 *   other side:         ──────────────────────────────── interval − margin: onExpired
 *
 * RFC 4028 §7.2 and §9: "It is RECOMMENDED that this refresh be sent once half the session interval
 * has elapsed"; §10: "If the side not performing refreshes does not receive a session refresh request
 * before the session expiration, it SHOULD send a BYE to terminate the session, slightly before the
 * session expiration. The minimum of 32 seconds and one third of the session interval is
 * RECOMMENDED." The refresher likewise gives up when its refresh has not succeeded by then.
 */
export class SessionTimer {
  private readonly clock: Clock;
  private readonly onRefresh: () => void;
  private readonly onExpired: () => void;
  private readonly logger: Logger | undefined;
  private refreshTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private current: SessionTimerOutcome = { active: false };

  constructor(options: SessionTimerOptions) {
    this.clock = options.clock;
    this.onRefresh = options.onRefresh;
    this.onExpired = options.onExpired;
    this.logger = options.logger;
  }

  /** The negotiation in force. */
  get outcome(): SessionTimerOutcome {
    return this.current;
  }

  start(outcome: SessionTimerOutcome): void {
    this.stop();
    this.current = outcome;
    if (!outcome.active) return;
    const intervalMs = outcome.interval * 1000;
    if (outcome.localRefresher) {
      this.refreshTimer = this.clock.setTimeout(() => {
        this.refreshTimer = undefined;
        this.fire('refresh', this.onRefresh);
      }, intervalMs / 2);
    }
    // RFC 4028 §10: the side not refreshing sends BYE "slightly before the session expiration"; the
    // refresher gives up only when the session has expired without a successful refresh, so that the
    // two ends' BYEs do not cross at the same instant.
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.current = { active: false };
      this.fire('expired', this.onExpired);
    }, outcome.localRefresher ? intervalMs : expiryDelayMs(outcome.interval));
  }

  /** Cancels both timers; idempotent. */
  stop(): void {
    this.clock.clearTimeout(this.refreshTimer);
    this.clock.clearTimeout(this.expiryTimer);
    this.refreshTimer = undefined;
    this.expiryTimer = undefined;
    this.current = { active: false };
  }

  private fire(what: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger?.error('session timer callback threw', { event: what, error: String(error) });
    }
  }
}

/** RFC 4028 §10: BYE at the session expiration minus min(32 s, interval/3). */
export function expiryDelayMs(intervalSeconds: number): number {
  return (intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000;
}
