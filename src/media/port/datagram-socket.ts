/**
 * The one thing a MediaPort needs from a UDP socket, small enough for an in-memory pipe to implement
 * in tests (test/support/udp-pipe.ts) and for Node's dgram to implement with no wrapper on the
 * receive path (see NodeDatagramSocket).
 */
export interface RemoteEndpoint {
  address: string;
  port: number;
}

export type DatagramHandler = (message: Buffer, from: RemoteEndpoint) => void;

export interface DatagramSocket {
  /** Installs the receive handler (one per socket: the port's). */
  onMessage(handler: DatagramHandler): void;
  /** Asynchronous socket errors (e.g. ICMP port unreachable reported on a connected socket). */
  onError(handler: (error: Error) => void): void;
  /** Sends to an explicit destination; `done` (optional, off the hot path) runs once the send is handed over. */
  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void;
  /**
   * Connects the socket to one peer: from then on the kernel delivers only that peer's datagrams and
   * `sendConnected` needs no address (Node skips its per-send address lookup).
   */
  connect(port: number, address: string, done: (error?: Error) => void): void;
  sendConnected(message: Buffer): void;
  disconnect(): void;
  close(): void;
  local(): RemoteEndpoint;
}
