/**
 * `<Dial><Sip>` over the real SIP UA and media engine: the ports of call/dial (OutboundDialer,
 * DialMedia, CallbackSink and the child call's CallEvents) implemented, and the executor main.ts
 * plugs into InboundCalls with `otherExecutors: dial.executorsFor`.
 */
export { createDialWiring, createDialExecutor, type DialWiring, type DialWiringOptions, type DialExecutorDeps, type DialParent } from './dial-executor.js';
export { createSipDialer, isSipOutboundLeg, type SipDialerOptions, type SipOutboundLeg } from './sip-dialer.js';
export { createDialMedia, bridgeLegs, playRingback, DEFAULT_RING_TONE, type DialMediaOptions } from './dial-media.js';
export { createDialRecording, type DialRecordingOptions, type RecordableLeg, type RecordingServices } from './dial-recording.js';
export { DialStore } from './dial-store.js';
export { RtpSocketPair } from './rtp-socket-pair.js';
export type { BridgeableLeg } from './bridgeable-leg.js';
