/**
 * call: the engine. Routing, the Call and its leg, the document runner and one executor per verb.
 * Other modules (main.ts, api) reach it through this file. The SIP UA, the media engine and the
 * store are reached through the interfaces declared here, which the wiring implements.
 */
export { findRoute, routeMatches, type InboundAddress } from './routing.js';
export { OverloadGuard, type AdmissionDecision, type LagSensor, type OverloadLimits, type OverloadReason } from './overload-guard.js';
export {
  Call,
  isTerminal,
  type CallDirection,
  type CallEvents,
  type CallState,
  type CallStatus,
  type EndStatus,
  type NewCallInput,
  type SipFacts,
} from './call.js';
export { CallLeg, type SipLegPort } from './call-leg.js';
export type { Leg, LegControl, LegMedia, PlayOutcome, PlaySource, RecordingResult, RecordOptions } from './leg.js';
export type { NotificationInput, NotificationLevel, NotificationSink } from './notifications.js';
export {
  DocumentFetcher,
  isMarkupContentType,
  type DocumentTarget,
  type FetcherOptions,
  type FetchResult,
  type WebhookPort,
} from './document-fetcher.js';
export {
  DocumentRunner,
  applicationErrorText,
  type DocumentRunnerOptions,
  type DocumentSource,
  type OtherExecutors,
} from './document-runner.js';
export {
  admitInbound,
  startInboundCall,
  type Admission,
  type AdmissionRules,
  type InboundCall,
  type InboundCallDeps,
  type InboundInvite,
} from './inbound-call.js';
export { Interruption, interruptCause, wait, type InterruptCause } from './interruption.js';
export {
  apiVersion,
  fallbackParameters,
  verbResultParameters,
  voiceRequestParameters,
  type WebhookParameters,
} from './webhook-parameters.js';
export * from './verbs/index.js';
export * from './dial/index.js';
