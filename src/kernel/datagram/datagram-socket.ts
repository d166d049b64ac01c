/**
 * A UDP socket as the engine uses it, on this thread (NodeDatagramSocket over Node's dgram) or on the
 * I/O thread (DatagramThread). A MediaPort needs only DatagramSocket, small enough for an in-memory
 * pipe to implement in tests (test/support/udp-pipe.ts); the SIP transport's listeners and the media's
 * port pairs take a BoundDatagramSocket from a DatagramBinder.
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

/**
 * A socket as the binder hands it out: a DatagramSocket whose handlers can also come off again, so
 * that one bound pair can serve a succession of ports (an outbound leg's forked answers, RtpSocketPair).
 */
export interface BoundDatagramSocket extends DatagramSocket {
  offMessage(handler: DatagramHandler): void;
  offError(handler: (error: Error) => void): void;
  /** The receive buffer the kernel granted, in bytes as Linux reports it (twice the usable size). */
  receiveBufferBytes(): number;
  /** Closes the socket; `done` runs once it is closed (its port free again). */
  close(done?: () => void): void;
}

export interface BindOptions {
  /** SO_RCVBUF to ask for (bytes); absent or 0 keeps the system default. Linux caps it at net.core.rmem_max. */
  receiveBufferBytes?: number;
}

/**
 * Binds a UDP socket on `address:port`; rejects with the bind error, whose `code` is Node's (e.g.
 * EADDRINUSE). `bindUdpSocket` binds on the calling thread, `DatagramThread.bind` on its own.
 */
export type DatagramBinder = (address: string, port: number, options?: BindOptions) => Promise<BoundDatagramSocket>;
