export type { DatagramSocket, DatagramHandler, RemoteEndpoint } from './datagram-socket.js';
export { NodeDatagramSocket, bindUdpSocket } from './node-datagram-socket.js';
export { PortAllocator, type PortRange } from './port-allocator.js';
export { MediaPort, SDP_TAKEOVER_GRACE_MS, type MediaPortOptions, type MediaPortEvents, type MediaPortCounters, type MediaFormat } from './media-port.js';
export { bindRtpPair, openMediaPort, type BoundRtpPair, type OpenMediaPortOptions } from './open-media-port.js';
