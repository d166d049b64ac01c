/**
 * The engine behind the REST API: `createCallControl` (CallControl: outbound-api calls and updates of
 * live calls), `LiveCalls` (every live call by SID, also <Dial>'s ChildCallRegistry), and the dialer
 * whose legs carry media for a document to run on.
 */
export { createCallControl, type CallControlOptions, type EngineCallControl, type OutboundCallRequest, type OutboundCallUpdate } from './call-control.js';
export { callTargetOf, toInvalidCode, type CallTarget, type CallTargetContext, type CallTargetInput } from './call-target.js';
export { LiveCalls, inboundLiveCall, type LiveCallHandle } from './live-calls.js';
export { OutboundApiCall, type OutboundApiCallDeps, type OutboundApiCallLegs, type OutboundApiCallSettings, type OutboundExecutors } from './outbound-api-call.js';
export { mediaDialerOver } from './media-dialer-over.js';
export { outboundDialExecutors } from './outbound-dial-executors.js';
export { createUaMediaDialer, type MediaDialer, type MediaOutboundLeg, type UaMediaDialerOptions } from './ua-media-dialer.js';
