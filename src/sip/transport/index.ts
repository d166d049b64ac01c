export { createTransport } from './create-transport.js';
export { StreamFramer, type FramerEvent, type FramingFailure, type FramingFailureKind, type StreamFramerLimits } from './stream-framer.js';
export { canonicalAddress, defaultPort, endpointKey, formatEndpoint, sameEndpoint } from './endpoint.js';
export type {
  Endpoint,
  ListenOptions,
  ReceivedMessage,
  RequestArrival,
  SendOptions,
  SentRequest,
  SipTransport,
  TlsClientOptions,
  TlsOptions,
  TransportLimits,
  TransportListener,
  TransportOptions,
  TransportProtocol,
  TransportStats,
} from './types.js';
