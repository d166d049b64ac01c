/**
 * The sip module's public entry (ARCHITECTURE.md: `sip` imports only `kernel`; the call engine reaches
 * it through here). The UA layer is what the engine drives; the message model, URIs, digest
 * credentials and the RFC 3263 resolver are what it needs to build the options it passes.
 */
export * from './ua/index.js';
export {
  type HeaderField,
  type NameAddr,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
  formatNameAddr,
  formatUri,
  getHeader,
  getHeaders,
  ParamList,
  parseNameAddr,
  parseUri,
  quote,
} from './message/index.js';
export type { DigestCredentials, DigestPasswordLookup } from './auth/index.js';
export { DigestVerifier, type DigestVerifierOptions } from './auth/index.js';
export { createSystemResolver, type Resolver, type SystemResolverOptions } from './locate/index.js';
export type { Endpoint, TlsOptions, TransportOptions, TransportProtocol } from './transport/index.js';
export type { TimerSettings } from './transaction/index.js';
export type { Dialog, DialogId, SessionTimerOutcome, SessionTimerRequest, UasSessionTimerPolicy } from './dialog/index.js';
