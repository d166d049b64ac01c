/**
 * The adapters that join the call engine to the layers under it: SipLegPort over the UA's
 * IncomingCall/SipCall, LegMedia over a media port with codecs, prompts, speech, DTMF and recording,
 * and the store-backed NotificationSink and CallEvents (with status callbacks through the outbox).
 * main.ts builds them; `InboundCalls` runs every inbound call.
 */
export { InboundCalls, inboundInvite, type InboundCallLegs, type InboundCallsOptions, type StartedInboundCall } from './inbound-calls.js';
export { MediaLeg, openMediaLeg, LEG_CODECS, type MediaLegIdentity, type OpenMediaLegOptions, type OpenMediaLegResult } from './media-leg.js';
export { MediaServices, type MediaServicesOptions } from './media-services.js';
export { SipLeg } from './sip-leg.js';
export { StoreCallEvents, StoreNotificationSink, callDurationSeconds, type StatusCallbackTarget } from './store-sinks.js';
export { createDialWiring, type DialWiring, type DialWiringOptions } from './dial/index.js';
export * from './api/index.js';
export { createCallScreening, type CallScreeningOptions, type EngineCallScreening } from './screening/index.js';
