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

/**
 * The I/O thread's fast path for one relayed RTP stream (RFC 3550 §5.1 header, nothing more): the
 * packets a socket receives from its connected peer with this payload type and SSRC, without CSRCs
 * or a header extension, leave on `to` (connected too) rewritten onto `to`'s outbound stream, never
 * reaching the main thread. Every other datagram reaches the handler as before. The media layer
 * decides when a stream qualifies (RelayBridge and MediaPort); the thread only applies the offsets.
 */
export interface RtpForwarding {
  payloadType: number;
  ssrc: number;
  /** RTP clock of the stream (A.8 jitter is counted in its units). */
  clockRate: number;
  outPayloadType: number;
  outSsrc: number;
  /** Added to sequence number and timestamp (mod 2^16, 2^32): RtpStreamRewriter's offsets for the source. */
  sequenceDelta: number;
  timestampDelta: number;
  /** The receiver's A.1 highest sequence number and A.8 jitter state, carried on by the thread. */
  highestSequence: number;
  jitterUnits: number;
  transit: number;
}

/** What the thread forwarded since its previous report (about every 250 ms, and a last one when forwarding ends). */
export interface RtpForwardingProgress {
  packets: number;
  /** Payload octets (RFC 3550 §6.4.1 sender's octet count). */
  octets: number;
  /** A.1's highest sequence number among the packets forwarded so far (16 bits: reports come far more often than a wrap). */
  highestSequence: number;
  /** Timestamp of the packet with the highest sequence number, as it arrived. */
  highestTimestamp: number;
  /** Arrival of the last packet, on the main thread's monotonic clock (ms). */
  lastArrivalMs: number;
  jitterUnits: number;
  transit: number;
  /** The last report: the thread no longer forwards (asked to stop, or a packet it may not decide on arrived). */
  ended: boolean;
}

/** A socket whose thread can relay an RTP stream itself (DatagramThread's). */
export interface RtpForwardingSocket extends DatagramSocket {
  /** The thread's socket this one is (or wraps, while it may use it); undefined once it may not. */
  forwardingEndpoint(): DatagramSocket | undefined;
  /** Whether `to` is a socket this one can forward to (on the same thread). */
  canForwardTo(to: DatagramSocket): boolean;
  /** Starts forwarding; `onProgress` hears every report, the last with `ended`. Replaces an earlier forwarding's rule only after its `ended`. */
  forwardRtp(to: DatagramSocket, forwarding: RtpForwarding, onProgress: (progress: RtpForwardingProgress) => void): void;
  /** Stops forwarding; the last report (`ended`) comes before any datagram received after it. */
  stopForwarding(): void;
}

export function canForwardRtp(socket: DatagramSocket): socket is RtpForwardingSocket {
  return typeof (socket as Partial<RtpForwardingSocket>).forwardRtp === 'function';
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
