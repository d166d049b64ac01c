export type { BoundDatagramSocket, DatagramBinder, DatagramSocket, DatagramHandler, RemoteEndpoint, RtpForwarding, RtpForwardingProgress, RtpForwardingSocket } from './datagram-socket.js';
export { canForwardRtp } from './datagram-socket.js';
export { DatagramThread, type DatagramThreadOptions } from './datagram-thread.js';
export { NodeDatagramSocket, bindUdpSocket } from './node-datagram-socket.js';
