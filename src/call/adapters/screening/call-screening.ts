/**
 * CallScreening over real legs: the `<Sip url>` / `<Number url>` document runs on the answered
 * callee (seed 003: "runs on the called party's end, after they answer, but before the two parties
 * are connected … The current caller continues to hear ringing while the TwiML document executes on
 * the other end"), with the same building blocks an outbound-api call uses: a MediaLeg over the
 * callee's MediaPort, a CallLeg, a DocumentFetcher and a DocumentRunner.
 *
 * ```
 *   screen() ──fetch url (leg params + SipCallId + SipHeader_*)──> run verbs ──runs out──────────> connect
 *                                    │                                 ├─ <Hangup>, <Reject> ───> declined
 *                                    └─ no document (11200 …)          ├─ <Dial> (13201) ───────> declined
 *                                             └──────> declined        └─ signal (caller or callee gone) ──> declined
 * ```
 * The runner ends a document that runs out with a hang-up; a screening document that runs out means
 * "connect" instead, so every fetched document gets a marker verb appended (an object of our own,
 * matched by identity) whose executor ends the run with the verdict `connect`.
 *
 * The screening Call is a shadow of the child call run-dial owns: same SID and parameters, its status
 * moves are not stored (run-dial writes the child's). The MediaLeg is not closed at the end: it would
 * close the callee's port, which the bridge needs next (its port listeners go with the port).
 */
import type { AccountConfig } from '../../../config/index.js';
import { ErrorCodes, type Clock, type Logger } from '../../../kernel/index.js';
import type { Dial, Leave, VoiceDocument } from '../../../markup/index.js';
import { Call, type CallDirection, type CallEvents, type CallStatus } from '../../call.js';
import { CallLeg, type SipLegPort } from '../../call-leg.js';
import type { CallScreening, ScreeningRequest, ScreeningVerdict } from '../../dial/index.js';
import { DocumentFetcher, type DocumentTarget, type FetcherOptions, type FetchResult, type WebhookPort } from '../../document-fetcher.js';
import { DocumentRunner } from '../../document-runner.js';
import type { NotificationSink } from '../../notifications.js';
import type { VerbContext, VerbOutcome } from '../../verbs/index.js';
import type { WebhookParameters } from '../../webhook-parameters.js';
import { isSipOutboundLeg } from '../dial/index.js';
import { MediaLeg } from '../media-leg.js';
import type { MediaServices } from '../media-services.js';
import { StoreNotificationSink } from '../store-sinks.js';
import type { Store } from '../../../store/index.js';

export interface CallScreeningOptions {
  /** The engine's webhook client (signs with the account's token). */
  webhook: WebhookPort;
  /** Configured accounts: the screening request's AccountSid picks the auth token. */
  accounts: readonly AccountConfig[];
  /** Prompts, speech and DTMF for the callee's MediaLeg. */
  media: MediaServices;
  /** Where 13201 and fetch failures go; default a StoreNotificationSink on `store`. */
  notifications?: NotificationSink;
  store?: Store;
  clock: Clock;
  logger: Logger;
}

export interface EngineCallScreening extends CallScreening {
  /** Resolves when the notifications written so far have settled. */
  idle(): Promise<void>;
}

const noEvents: CallEvents = { created: () => undefined, statusChanged: () => undefined };
const callDirections: readonly CallDirection[] = ['inbound', 'outbound-api', 'outbound-dial'];
const callStatuses: readonly CallStatus[] = ['queued', 'ringing', 'in-progress'];

export function createCallScreening(options: CallScreeningOptions): EngineCallScreening {
  const logger = options.logger.child({ component: 'screening' });
  const ownSink = options.notifications === undefined && options.store !== undefined ? new StoreNotificationSink(options.store, logger) : undefined;
  const notifications: NotificationSink = options.notifications ?? ownSink ?? { record: () => undefined };
  return {
    screen: (request, signal) => screen(request, signal, { ...options, notifications, logger }),
    async idle() {
      await ownSink?.idle();
    },
  };
}

async function screen(
  request: ScreeningRequest,
  signal: AbortSignal,
  options: CallScreeningOptions & { notifications: NotificationSink },
): Promise<ScreeningVerdict> {
  const logger = options.logger.child({ callSid: request.callSid });
  const { callee, params } = request;
  if (signal.aborted) return 'declined';
  const accountSid = params['AccountSid'] ?? '';
  const account = options.accounts.find((known) => known.sid === accountSid);
  if (account === undefined) {
    logger.error('screening: unknown account', { accountSid });
    return 'declined';
  }
  const port = isSipOutboundLeg(callee) ? callee.mediaPort : undefined;
  const negotiated = isSipOutboundLeg(callee) ? callee.negotiated : undefined;
  if (port === undefined || negotiated === undefined || port.isClosed) {
    logger.error('screening: the answered leg has no media');
    return 'declined';
  }

  const direction = callDirections.find((known) => known === params['Direction']) ?? 'outbound-dial';
  const status = callStatuses.find((known) => known === params['CallStatus']) ?? 'in-progress';
  const call = new Call(
    {
      sid: request.callSid,
      accountSid,
      direction,
      from: params['From'] ?? '',
      to: params['To'] ?? '',
      status,
      ...(params['ParentCallSid'] === undefined ? {} : { parentCallSid: params['ParentCallSid'] }),
    },
    options.clock,
    noEvents,
    logger,
  );
  let verdict: ScreeningVerdict = 'declined';
  const media = new MediaLeg(options.media, port, negotiated, logger);
  media.identity = { callSid: request.callSid, accountSid };
  // The callee answered already: nothing goes on the wire for answer; a hang-up or reject of the
  // screening document declines (run-dial sends the BYE).
  const sip: SipLegPort = { answer: async () => undefined, reject: async () => undefined, bye: async () => undefined };
  const leg = new CallLeg(call, sip, media, logger);
  await leg.answer();

  const ranOut: Leave = { verb: 'leave' };
  const fetcher = new ScreeningFetcher(
    {
      webhook: options.webhook,
      authToken: account.authToken,
      accountSid,
      callSid: request.callSid,
      dialect: 'twiml',
      enhancedSip: account.enhancedSip,
      notifications: options.notifications,
      logger,
    },
    params,
    ranOut,
  );
  media.onProblem = (code, message) => fetcher.report(code, message, 'warning');
  const runner = new DocumentRunner({
    call,
    leg,
    fetcher,
    voice: { url: request.url, method: request.method },
    clock: options.clock,
    logger,
    otherExecutors: {
      // Issue 6: "<Dial> inside it is error 13201", and the screening ends as by a hang-up.
      dial: async (_dial: Dial, _context: VerbContext, _signal: AbortSignal): Promise<VerbOutcome> => {
        fetcher.report(ErrorCodes.dialInvalidNestedVerb, '<Dial> is not allowed in a call screening document; the callee is not connected', 'error');
        verdict = 'declined';
        return { kind: 'ended' };
      },
      leave: async (verb: Leave): Promise<VerbOutcome> => {
        if (verb === ranOut) verdict = 'connect';
        else fetcher.report(ErrorCodes.schemaValidationWarning, '<Leave> has no queue to leave in a screening document; skipped', 'warning');
        return verb === ranOut ? { kind: 'ended' } : { kind: 'next' };
      },
    },
  });
  // The caller's hang-up or the callee's BYE: the one interruption path of the runner.
  const onAbort = (): void => leg.remoteHangup();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await runner.run();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted || call.ended) verdict = 'declined';
  logger.info('screening done', { verdict });
  return verdict;
}

/**
 * The document fetcher of a screening run: every request carries the screening parameters
 * (SipCallId and SipHeader_<name> of the 200) under the leg's voice parameters, and every document
 * gets the `ranOut` marker as its last verb.
 */
class ScreeningFetcher extends DocumentFetcher {
  constructor(
    options: FetcherOptions,
    private readonly base: WebhookParameters,
    private readonly ranOut: Leave,
  ) {
    super(options);
  }

  override async fetch(target: DocumentTarget, params: WebhookParameters, signal: AbortSignal): Promise<FetchResult> {
    const result = await super.fetch(target, { ...this.base, ...params }, signal);
    return result.ok ? { ...result, document: this.marked(result.document) } : result;
  }

  override parseInline(text: string): VoiceDocument | undefined {
    const document = super.parseInline(text);
    return document === undefined ? undefined : this.marked(document);
  }

  private marked(document: VoiceDocument): VoiceDocument {
    return { ...document, verbs: [...document.verbs, this.ranOut] };
  }
}
