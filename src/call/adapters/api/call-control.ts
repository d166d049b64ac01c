/**
 * The engine side of the REST API's `CallControl` (src/api/call-control.ts): `createCall` places an
 * outbound-api call, `updateCall` redirects or ends a live call found in LiveCalls.
 *
 * The layers forbid `call` to import `api`, so the request and update types are restated here; they
 * are structurally the API's, and main.ts hands this object to `createApiServer({ control })` where
 * the compiler checks that it is a CallControl.
 */
import type { AccountConfig, RegionConfig, TrunkConfig } from '../../../config/index.js';
import { DialtoneError, ErrorCodes, newSid, type Clock, type Logger } from '../../../kernel/index.js';
import type { CallProgressEvent, HttpMethod, RecordingStatusEvent, RecordingTrack } from '../../../markup/index.js';
import type { CallRecord, Store } from '../../../store/index.js';
import type { ResponseStatusTable } from '../../dial/index.js';
import type { WebhookPort } from '../../document-fetcher.js';
import type { DocumentSource } from '../../document-runner.js';
import type { NotificationSink } from '../../notifications.js';
import type { RecordingServices } from '../dial/dial-recording.js';
import { StoreNotificationSink } from '../store-sinks.js';
import type { CallRecordingSettings } from './call-recording.js';
import { callTargetOf } from './call-target.js';
import type { LiveCalls } from './live-calls.js';
import { OutboundApiCall, type OutboundExecutors } from './outbound-api-call.js';
import type { MediaDialer } from './ua-media-dialer.js';

/** `POST /Calls.json`, validated (the API's CreateCallRequest). */
export interface OutboundCallRequest {
  accountSid: string;
  to: string;
  from: string;
  url?: string;
  twiml?: string;
  method: HttpMethod;
  fallbackUrl?: string;
  fallbackMethod: HttpMethod;
  statusCallback?: string;
  statusCallbackEvents: CallProgressEvent[];
  statusCallbackMethod: HttpMethod;
  timeout: number;
  /** `false` unless Record=true (the API's CallRecordingRequest). */
  record: false | CallRecordingRequest;
  sipAuthUsername?: string;
  sipAuthPassword?: string;
  machineDetection?: string;
}

/** Record=true with its Recording* parameters, validated and defaulted. */
export interface CallRecordingRequest {
  channels: 'mono' | 'dual';
  track: RecordingTrack;
  trimSilence: boolean;
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: RecordingStatusEvent[];
}

/** `POST /Calls/{Sid}.json`, validated (the API's CallUpdate). */
export type OutboundCallUpdate =
  | { kind: 'redirect'; url: string; method: HttpMethod }
  | { kind: 'twiml'; twiml: string }
  | { kind: 'end'; status: 'canceled' | 'completed' };

export interface CallControlOptions {
  store: Store;
  accounts: readonly AccountConfig[];
  /** INTERFACE.md `trunks`: a number goes to the one named `default`, else the first. */
  trunks: readonly TrunkConfig[];
  /** INTERFACE.md `regions`: the egress of the INVITE. */
  regions: readonly RegionConfig[];
  dialer: MediaDialer;
  webhook: WebhookPort;
  /** Where application problems go; a store-backed sink by default. */
  notifications?: NotificationSink;
  liveCalls: LiveCalls;
  clock: Clock;
  logger: Logger;
  /** <Dial> and other executors: fixed, or per call (`outboundDialExecutors(dialWiring, …)`). */
  otherExecutors?: OutboundExecutors;
  /** Where Record=true recordings go (the engine's MediaServices); without it Record=true only warns. */
  recordingServices?: RecordingServices;
  responseStatusTable?: ResponseStatusTable;
}

export interface EngineCallControl {
  createCall(request: OutboundCallRequest): Promise<CallRecord>;
  updateCall(callSid: string, update: OutboundCallUpdate): Promise<CallRecord | 'not-found' | 'not-live'>;
  /** Outbound-api calls running now. */
  readonly size: number;
  /** Ends every live outbound-api call (CANCEL or BYE) and waits for their final state. Idempotent. */
  close(): Promise<void>;
}

export function createCallControl(options: CallControlOptions): EngineCallControl {
  const logger = options.logger.child({ component: 'call-control' });
  const notifications = options.notifications ?? new StoreNotificationSink(options.store, logger);
  const calls = new Map<string, OutboundApiCall>();
  let closing: Promise<void> | undefined;

  function warn(accountSid: string, callSid: string, messageText: string): void {
    void Promise.resolve(
      notifications.record({ accountSid, callSid, errorCode: ErrorCodes.schemaValidationWarning, logLevel: 'warning', messageText }),
    ).catch(() => undefined);
  }

  return {
    get size() {
      return calls.size;
    },

    async createCall(request) {
      if (closing !== undefined) throw new DialtoneError(ErrorCodes.internal, 'the engine is stopping: no new calls');
      const account = options.accounts.find((known) => known.sid === request.accountSid);
      // The API authenticated the account; one missing here is a configuration change under us.
      if (account === undefined) throw new DialtoneError(20404, `account ${request.accountSid} is not configured`);
      const callSid = newSid('CA');
      const target = callTargetOf(
        {
          accountSid: account.sid,
          callSid,
          to: request.to,
          from: request.from,
          ...(request.sipAuthUsername === undefined ? {} : { sipAuthUsername: request.sipAuthUsername }),
          ...(request.sipAuthPassword === undefined ? {} : { sipAuthPassword: request.sipAuthPassword }),
        },
        { trunks: options.trunks, regions: options.regions },
      );
      let start: DocumentSource;
      if (request.twiml !== undefined) start = { kind: 'markup', text: request.twiml };
      else if (request.url !== undefined) start = { kind: 'url', url: request.url, method: request.method };
      else throw new DialtoneError(21205, 'Url or Twiml is required');

      const record = await options.store.calls.create({
        sid: callSid,
        accountSid: account.sid,
        direction: 'outbound-api',
        from: request.from,
        to: request.to,
        status: 'queued',
      });
      for (const warning of target.warnings) warn(account.sid, callSid, warning);
      if (request.record !== false && options.recordingServices === undefined) {
        warn(account.sid, callSid, 'Record=true: this engine has no recordings folder; the call is not recorded');
      }
      const recording = request.record === false || options.recordingServices === undefined ? undefined : callRecordingSettings(request.record);
      if (request.machineDetection !== undefined) {
        warn(account.sid, callSid, `MachineDetection=${request.machineDetection} is not supported by this engine yet; AnsweredBy is not set`);
      }
      const call = new OutboundApiCall(
        {
          callSid,
          account,
          from: request.from,
          to: request.to,
          start,
          ...(request.fallbackUrl === undefined ? {} : { fallback: { url: request.fallbackUrl, method: request.fallbackMethod } }),
          ...(request.statusCallback === undefined
            ? {}
            : { statusCallback: { url: request.statusCallback, method: request.statusCallbackMethod, events: request.statusCallbackEvents } }),
          timeoutSeconds: request.timeout,
          invite: target.request,
          ...(recording === undefined ? {} : { recording }),
        },
        {
          store: options.store,
          dialer: options.dialer,
          webhook: options.webhook,
          notifications,
          liveCalls: options.liveCalls,
          clock: options.clock,
          logger,
          ...(options.otherExecutors === undefined ? {} : { otherExecutors: options.otherExecutors }),
          ...(options.responseStatusTable === undefined ? {} : { responseStatusTable: options.responseStatusTable }),
          ...(options.recordingServices === undefined ? {} : { recordingServices: options.recordingServices }),
        },
      );
      calls.set(callSid, call);
      void call.finished.then(() => calls.delete(callSid));
      logger.info('outbound-api call placed', { callSid, to: target.request.requestUri.text, via: target.via });
      return record;
    },

    async updateCall(callSid, update) {
      const handle = options.liveCalls.get(callSid);
      if (handle === undefined) return (await options.store.calls.get(callSid)) === undefined ? 'not-found' : 'not-live';
      let applied: boolean;
      if (update.kind === 'end') applied = handle.end(update.status);
      else if (handle.redirect === undefined) applied = false;
      else if (update.kind === 'twiml') applied = handle.redirect({ kind: 'markup', text: update.twiml });
      else applied = handle.redirect({ kind: 'url', url: update.url, method: update.method });
      if (!applied) return 'not-live';
      // What the change wrote so far (a hang-up's status; a CANCEL's shows once the 487 came).
      await calls.get(callSid)?.idle();
      return (await options.store.calls.get(callSid)) ?? 'not-found';
    },

    close() {
      closing ??= (async () => {
        const live = [...calls.values()];
        for (const call of live) call.handle.end('completed');
        await Promise.all(live.map((call) => call.finished));
        await (notifications instanceof StoreNotificationSink ? notifications.idle() : Promise.resolve());
      })();
      return closing;
    },
  };
}

function callRecordingSettings(request: CallRecordingRequest): CallRecordingSettings {
  return {
    channels: request.channels,
    track: request.track,
    trimSilence: request.trimSilence,
    ...(request.statusCallback === undefined
      ? {}
      : { statusCallback: { url: request.statusCallback, method: request.statusCallbackMethod, events: request.statusCallbackEvents } }),
  };
}
