/**
 * The transport layer's contract (RFC 3261 §18). The transaction layer and the UA code against these
 * types only; `createTransport` in ./index.ts builds the implementation.
 */
import type { Clock, DatagramBinder, Logger } from '../../kernel/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** Where a message came from or goes to. `address` is an IP literal (IPv6 without brackets). */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

/** A message the transport received, after RFC 3261 §18.2.1 / RFC 3581 §4 Via processing. */
export interface ReceivedMessage {
  message: SipMessage;
  /** The source of the packet or the peer of the connection. */
  remote: Endpoint;
  /** The local endpoint it arrived on. */
  local: Endpoint;
  /** Set for TCP/TLS: the connection it arrived on, so that the response can go back over it. */
  connectionId?: string;
}

/** Where a request arrived: what sending its responses back needs (RFC 3261 §18.2.2, RFC 3581 §4). */
export type RequestArrival = Pick<ReceivedMessage, 'remote' | 'local' | 'connectionId'>;

/** The layer above (transactions). A listener that throws is isolated and logged. */
export interface TransportListener {
  onMessage(received: ReceivedMessage): void;
}

/** Optional details of one send. */
export interface SendOptions {
  /**
   * The host name the destination was resolved from (RFC 3263). Used as the TLS SNI server name and
   * for certificate verification; ignored for UDP and TCP.
   */
  hostname?: string;
}

/** What sendRequest used. */
export interface SentRequest {
  local: Endpoint;
  remote: Endpoint;
  /** The TCP/TLS connection written to, as in ReceivedMessage.connectionId; absent for UDP. */
  connectionId?: string;
}

export interface SipTransport {
  /**
   * RFC 3261 §18.1.1: sends a request. Fills the topmost Via's transport, sent-by host and port with the
   * local endpoint actually used (keeping branch and other params) and adds `rport` (RFC 3581 §3).
   * Switches UDP→TCP when the message is within 200 bytes of the path MTU (larger than 1300 bytes when
   * the MTU is unknown) per §18.1.1. Resolves with the local and remote endpoints used
   * (`remote.protocol` is 'tcp' after that switch, so the transaction layer knows whether to
   * retransmit; for TCP/TLS `local` is the connection's own address and port, while Via names our
   * listener when there is one); rejects with
   * DialtoneError(ErrorCodes.sipTransportFailure) when the connection or send fails (the transaction
   * layer turns that into 503 per §8.1.3.1).
   */
  sendRequest(request: SipRequest, destination: Endpoint, options?: SendOptions): Promise<SentRequest>;
  /**
   * RFC 3261 §18.2.2 + RFC 3581 §4: sends a response to where the top Via says: over the connection the
   * request arrived on if it is still open (reliable transports), else to received/rport, maddr, or
   * the sent-by port. Rejects with DialtoneError(ErrorCodes.sipTransportFailure) when it cannot.
   */
  sendResponse(response: SipResponse, request?: RequestArrival): Promise<void>;
  /** TCP and TLS are reliable (RFC 3261 §17: timers E/G/A are not retransmitted over them). */
  isReliable(protocol: TransportProtocol): boolean;
  /** The endpoints actually listening, with OS-assigned ports resolved. */
  listening(): Endpoint[];
  /** Counters for monitoring and tests. */
  stats(): TransportStats;
  /** Closes every socket and connection; idempotent. */
  close(): Promise<void>;
}

export interface TransportStats {
  /** Messages parsed and passed to the listener. */
  received: number;
  /** Messages written to a socket. */
  sent: number;
  /** Malformed messages dropped (responses, unanswerable requests, stream garbage). */
  malformedDropped: number;
  /** Malformed requests answered with createErrorResponse (400/505). */
  malformedAnswered: number;
  /** RFC 3261 §18.1.2: responses dropped because their top Via sent-by is not ours. */
  responsesMisrouted: number;
  /** Open TCP/TLS connections now. */
  connections: number;
  /** TCP/TLS connections accepted or opened since start. */
  connectionsOpened: number;
  /** Connections refused because maxConnections was reached. */
  connectionsRejected: number;
  /** Connections closed after idleTimeoutMs without traffic. */
  idleClosed: number;
  /** RFC 5626 §3.5.1 double-CRLF pings answered with a CRLF pong. */
  keepAlivesAnswered: number;
}

/** Bounds on what one peer can make us hold (RFC 3261 §18.3 framing). */
export interface TransportLimits {
  /** Largest header section (start line to the empty line), in bytes. Default 16 KiB. */
  maxHeaderBytes: number;
  /** Largest body, in bytes. Default 65 535. */
  maxBodyBytes: number;
  /** Largest UDP datagram accepted for parsing, in bytes. Default 65 535. */
  maxDatagramBytes: number;
  /**
   * Most bytes queued for one TCP/TLS connection that the peer has not read yet; a peer that stops
   * reading is disconnected beyond it instead of growing our memory. Default 1 MiB.
   */
  maxPendingWriteBytes: number;
}

/**
 * Our TLS listener's certificate. Without `TransportOptions.tlsClient` it also sets up the client side
 * (the certificate presented, `ca` and `verifyPeer` for the server's), as before `tlsClient` existed.
 */
export interface TlsOptions {
  /** PEM certificate (chain) presented by our listeners and, when asked, by our client connections. */
  cert: string | Buffer;
  key: string | Buffer;
  /** Trusted CAs for verifying peers; Node's defaults when absent. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Request and verify the client's certificate on incoming connections; without `tlsClient`, also
   * verify the server's on outgoing ones (against `ca` and the SNI host name or address). Default false.
   */
  verifyPeer?: boolean;
  /** Default SNI server name for outgoing connections when a send gives no hostname. */
  servername?: string;
  /**
   * Extra certificates our TLS listeners present to clients that ask for these server names through
   * SNI (RFC 6066 §3); `cert`/`key` serve every other name and clients that send none.
   */
  certificates?: Array<{ servername: string; cert: string | Buffer; key: string | Buffer }>;
}

/** Our outgoing TLS connections (we are the TLS client), independent of any listener. */
export interface TlsClientOptions {
  /**
   * Verify the server's certificate against Node's root certificates plus `ca`, and its name against
   * the SNI host name or, for an IP literal, the address. Default true.
   */
  verifyPeer?: boolean;
  /** Extra trusted CAs (a private PBX's), added to Node's root certificates. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A client certificate to present when a server asks for one; none when absent. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default SNI server name when a send gives no hostname. */
  servername?: string;
}

export interface ListenOptions {
  protocol: TransportProtocol;
  /** IP literal to bind (IPv6 without brackets). */
  address: string;
  /** 0 lets the OS choose; listening() reports the result. */
  port: number;
}

export interface TransportOptions {
  listen: ListenOptions[];
  /** Required when any listener uses TLS. */
  tls?: TlsOptions;
  /**
   * The TLS client, always available: TLS destinations need no listener certificate. Absent: derived
   * from `tls` when that is given (its cert, ca and verifyPeer), else the defaults of TlsClientOptions.
   */
  tlsClient?: TlsClientOptions;
  /**
   * Host or address written into Via sent-by instead of the bound address: set it behind NAT and for
   * wildcard (0.0.0.0, ::) UDP listeners, whose bound address names no interface. TCP/TLS over a
   * wildcard listener without it use the connection's own local address.
   */
  publicAddress?: string;
  /** Close a TCP/TLS connection after this long without traffic (also a stalled partial message). Default 32 000 ms. */
  idleTimeoutMs?: number;
  /** Most TCP/TLS connections open at once (accepted plus outgoing). Default 1024. */
  maxConnections?: number;
  /** Connect timeout for outgoing TCP/TLS connections. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * SO_RCVBUF of each UDP listener: what it holds while the event loop is busy. Default 4 MiB; Linux
   * caps it at net.core.rmem_max (a warning says so); 0 leaves the system's default.
   */
  udpReceiveBufferBytes?: number;
  /**
   * Binds the UDP listeners: on this thread by default (bindUdpSocket), on the engine's I/O thread in
   * `dialtone start` (DatagramThread.bind), where receiving and sending cost the event loop a copy.
   */
  udpBinder?: DatagramBinder;
  /**
   * RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than 1300
   * bytes and the path MTU is unknown", it goes over TCP. With `mtu` set the threshold is mtu − 200;
   * unset, it is 1300 bytes.
   */
  mtu?: number;
  /**
   * Turns the §18.1.1 UDP→TCP switch off, for peers known to speak UDP only (PJSIP's
   * PJSIP_DONT_SWITCH_TO_TCP, Kamailio's udp_mtu_try_proto=UDP). Default true: the RFC's MUST.
   */
  switchLargeRequestsToTcp?: boolean;
  clock?: Clock;
  logger?: Logger;
  limits?: Partial<TransportLimits>;
}
