// The sockets a port runs on are the kernel's (on this thread or the I/O thread); re-exported for the port's users.
export type { BoundDatagramSocket, DatagramBinder, DatagramSocket, DatagramHandler, RemoteEndpoint } from '../../kernel/index.js';
export { bindUdpSocket } from '../../kernel/index.js';
export { PortAllocator, type BoundRtpPair, type PortRange } from './port-allocator.js';
export { MediaPort, SDP_TAKEOVER_GRACE_MS, type MediaPortOptions, type MediaPortEvents, type MediaPortCounters, type MediaFormat } from './media-port.js';
export { openMediaPort, type OpenMediaPortOptions } from './open-media-port.js';
