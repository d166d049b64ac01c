export {
  RelayBridge,
  type RelayBridgeMode,
  type RelayBridgeOptions,
  type RelayBridgeCounters,
  type RelayBridgeEvents,
  type BridgeDirectionCounters,
} from './relay-bridge.js';
export type { PayloadTranscoder, TranscoderFactory } from './payload-transcoder.js';
