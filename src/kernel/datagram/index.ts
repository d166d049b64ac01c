export type { BoundDatagramSocket, DatagramBinder, DatagramSocket, DatagramHandler, RemoteEndpoint } from './datagram-socket.js';
export { DatagramThread, type DatagramThreadOptions } from './datagram-thread.js';
export { NodeDatagramSocket, bindUdpSocket } from './node-datagram-socket.js';
