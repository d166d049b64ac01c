export { SipEndpoint, type HandledMethod, type RequestHandler, type SipEndpointOptions, type SipEndpointStats } from './sip-endpoint.js';
export { UserAgent, type IncomingCallHandler, type UserAgentOptions } from './user-agent.js';
export {
  OutgoingCall,
  type CallFailure,
  type CallProgress,
  type InviteOptions,
  type OutgoingCallEvents,
  type OutgoingCallOutcome,
} from './outgoing-call.js';
export { IncomingCall, type AcceptOptions, type IncomingCallEvents, type IncomingCallState } from './incoming-call.js';
export {
  SipCall,
  type CallEnd,
  type InfoReceived,
  type ReinviteAnswer,
  type ReinviteHandler,
  type ReinviteReceived,
  type ReinviteResult,
  type SipCallEvents,
} from './sip-call.js';
