/**
 * The SIP transport layer (RFC 3261 §18): UDP, TCP and TLS listeners over IPv4 and IPv6, connection
 * reuse, RFC 3581 rport/received, and the edge where bad input becomes a protocol answer: a malformed
 * request is answered 400 straight from here, a malformed response is dropped and counted, and nothing
 * throws out of a socket handler.
 */
import { connect as netConnect, createServer as createNetServer, isIP, type Server, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  createServer as createTlsServer,
  rootCertificates,
  type ConnectionOptions,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import {
  bindUdpSocket,
  DialtoneError,
  ErrorCodes,
  randomToken,
  silentLogger,
  systemClock,
  type BoundDatagramSocket,
  type Clock,
  type DatagramBinder,
  type Logger,
  type RemoteEndpoint,
} from '../../kernel/index.js';
import { createErrorResponse, createRawErrorResponse, createResponse, parseMessage, serializeMessage, type ParseLimits, type SipParseError } from '../message/index.js';
import type { SipRequest, SipResponse, Via } from '../message/types.js';
import { ConnectionPool } from './connection-pool.js';
import {
  addressFamily,
  canonicalAddress,
  defaultPort,
  endpointKey,
  formatEndpoint,
  isIpLiteral,
  protocolOfViaTransport,
} from './endpoint.js';
import { StreamConnection } from './stream-connection.js';
import type { FramingFailure } from './stream-framer.js';
import type {
  Endpoint,
  ReceivedMessage,
  RequestArrival,
  SendOptions,
  SentRequest,
  SipTransport,
  TlsClientOptions,
  TransportListener,
  TransportLimits,
  TransportOptions,
  TransportProtocol,
  TransportStats,
} from './types.js';
import { fillTopVia, responseRoute, stampReceivedVia, viaAliasEndpoint, viaSourceEndpoint } from './via-processing.js';

/** Defaults, applied in one place. */
const DEFAULTS = {
  // RFC 3261 Table 4 has no connection idle time; 32 s is Timer B/F, long enough for any transaction.
  idleTimeoutMs: 32_000,
  maxConnections: 1024,
  connectTimeoutMs: 10_000,
  limits: { maxHeaderBytes: 16 * 1024, maxBodyBytes: 65_535, maxDatagramBytes: 65_535, maxPendingWriteBytes: 1024 * 1024 } satisfies TransportLimits,
  // About a second of SIP at 500 calls/s (~4,000 datagrams a second, ~2 KiB each as the kernel counts them).
  udpReceiveBufferBytes: 4 * 1024 * 1024,
} as const;

/** RFC 3261 §18.1.1: "larger than 1300 bytes and the path MTU is unknown". */
const UNKNOWN_MTU_THRESHOLD = 1300;
/** RFC 3261 §18.1.1: "within 200 bytes of the path MTU". */
const MTU_MARGIN = 200;

interface UdpListener {
  socket: BoundDatagramSocket;
  local: Endpoint;
}

interface StreamListener {
  server: Server;
  local: Endpoint;
}

/** Builds the transport and resolves once every listener is bound. */
export async function createTransport(options: TransportOptions, listener: TransportListener): Promise<SipTransport> {
  const transport = new Transport(options, listener);
  try {
    await transport.start();
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

class Transport implements SipTransport {
  private readonly listener: TransportListener;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limits: TransportLimits;
  /** What the message layer may accept: no less than what framing lets through. */
  private readonly parseLimits: Partial<ParseLimits>;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly connectTimeoutMs: number;
  private readonly udpThreshold: number;
  private readonly udpReceiveBufferBytes: number;
  private readonly bindUdp: DatagramBinder;
  private readonly publicAddress: string | undefined;
  private readonly tls: TransportOptions['tls'];
  /** Options of every outgoing TLS connect, settled once (see clientTlsOptions). */
  private readonly tlsClient: ConnectionOptions;
  /** SNI server name of outgoing TLS connects whose send names no host. */
  private readonly tlsServername: string | undefined;
  private readonly listenOptions: TransportOptions['listen'];
  private readonly sniContexts = new Map<string, SecureContext>();

  private readonly udpListeners: UdpListener[] = [];
  private readonly streamListeners: StreamListener[] = [];
  private readonly pool = new ConnectionPool<StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  /** Accepted TLS sockets whose handshake is still running; they hold a connection slot. */
  private readonly handshaking = new Set<Socket>();
  /** Outgoing sockets still connecting. */
  private readonly connectingSockets = new Set<Socket>();
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;

  /*
   * One message a turn. Several messages can arrive in one synchronous run: a batch from the I/O thread,
   * or several framed out of one TCP read. The layers above were written, as Node's dgram delivers, for
   * a message to be handled with the promise continuations it starts (an ACK settling `accept()`, whose
   * continuation installs the call's re-INVITE handler) run before the next message is. So the first
   * message of a run is handed over at once and the rest each in an immediate of its own, in order, with
   * the microtask queue drained between them (Node drains it after every immediate).
   */
  private readonly waiting: ReceivedMessage[] = [];
  private handedInThisRun = false;
  private readonly endRun = (): void => {
    this.handedInThisRun = false;
  };
  private readonly handNext = (): void => {
    const received = this.waiting.shift();
    // A transport closed meanwhile hands nothing more up.
    if (received !== undefined && this.closing === undefined) this.hand(received);
  };

  private readonly counters: Omit<TransportStats, 'connections'> = {
    received: 0,
    sent: 0,
    malformedDropped: 0,
    malformedAnswered: 0,
    responsesMisrouted: 0,
    connectionsOpened: 0,
    connectionsRejected: 0,
    idleClosed: 0,
    keepAlivesAnswered: 0,
  };

  constructor(options: TransportOptions, listener: TransportListener) {
    this.listener = listener;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'sip-transport' });
    this.limits = { ...DEFAULTS.limits, ...options.limits };
    this.parseLimits = {
      maxBodyBytes: this.limits.maxBodyBytes,
      maxMessageBytes: Math.max(this.limits.maxDatagramBytes, this.limits.maxHeaderBytes + this.limits.maxBodyBytes),
    };
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    this.maxConnections = options.maxConnections ?? DEFAULTS.maxConnections;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    this.udpThreshold =
      options.switchLargeRequestsToTcp === false
        ? Number.POSITIVE_INFINITY
        : options.mtu !== undefined
          ? options.mtu - MTU_MARGIN
          : UNKNOWN_MTU_THRESHOLD;
    this.udpReceiveBufferBytes = options.udpReceiveBufferBytes ?? DEFAULTS.udpReceiveBufferBytes;
    this.bindUdp = options.udpBinder ?? bindUdpSocket;
    this.publicAddress = options.publicAddress;
    this.tls = options.tls;
    this.tlsClient = clientTlsOptions(options);
    this.tlsServername = options.tlsClient === undefined ? options.tls?.servername : options.tlsClient.servername;
    this.listenOptions = options.listen;
  }

  async start(): Promise<void> {
    for (const entry of this.listenOptions) {
      if (!isIpLiteral(entry.address)) {
        throw new DialtoneError(ErrorCodes.configInvalid, `listen address must be an IP literal: ${entry.address}`);
      }
      if (entry.protocol === 'tls' && this.tls === undefined) {
        throw new DialtoneError(ErrorCodes.configInvalid, 'a TLS listener needs tls.cert and tls.key');
      }
    }
    for (const certificate of this.tls?.certificates ?? []) {
      this.sniContexts.set(certificate.servername.toLowerCase(), createSecureContext({ cert: certificate.cert, key: certificate.key }));
    }
    for (const entry of this.listenOptions) {
      const address = canonicalAddress(entry.address);
      if (entry.protocol === 'udp') await this.listenUdp(address, entry.port);
      else await this.listenStream(entry.protocol, address, entry.port);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Listeners

  /**
   * What arrives while the event loop (or the I/O thread) is busy, a GC pause, a burst of calls, waits
   * in the socket's receive buffer; Linux's default (208 KiB, ~200 SIP datagrams as it counts them)
   * fills in a fraction of a second at a few hundred calls per second, and every datagram after it is
   * dropped and comes back as a retransmission, which is more load. So the listener asks for
   * `udpReceiveBufferBytes`; Linux caps the size at net.core.rmem_max: when that grants less than
   * asked, the operator is told how to raise it.
   */
  private async listenUdp(address: string, port: number): Promise<void> {
    let socket: BoundDatagramSocket;
    try {
      socket = await this.bindUdp(address, port, { receiveBufferBytes: this.udpReceiveBufferBytes });
    } catch (error) {
      throw new DialtoneError(ErrorCodes.sipTransportFailure, `cannot bind udp ${address}:${port}`, {}, { cause: error });
    }
    const bound = socket.local();
    const local: Endpoint = { protocol: 'udp', address: canonicalAddress(bound.address), port: bound.port };
    socket.onError((error) => this.logger.warn('udp socket error', { local: formatEndpoint(local), error: error.message }));
    socket.onMessage((data, remote) => this.onDatagram(local, data, remote));
    this.udpListeners.push({ socket, local });
    // Linux reports twice what it granted (the other half is its bookkeeping).
    const granted = socket.receiveBufferBytes();
    if (this.udpReceiveBufferBytes > 0 && granted < this.udpReceiveBufferBytes) {
      this.logger.warn('udp receive buffer smaller than asked: bursts beyond it are dropped (raise net.core.rmem_max)', {
        local: formatEndpoint(local),
        askedBytes: this.udpReceiveBufferBytes,
        grantedBytes: granted,
      });
    }
  }

  private listenStream(protocol: 'tcp' | 'tls', address: string, port: number): Promise<void> {
    const server =
      protocol === 'tls'
        ? createTlsServer({
            cert: this.tls!.cert,
            key: this.tls!.key,
            ...(this.tls!.ca !== undefined ? { ca: this.tls!.ca } : {}),
            // The client's certificate is asked for and checked only when verification is on.
            requestCert: this.tls!.verifyPeer === true,
            rejectUnauthorized: this.tls!.verifyPeer === true,
            ...(this.sniContexts.size > 0
              ? {
                  SNICallback: (servername: string, callback: (error: Error | null, context?: SecureContext) => void) =>
                    callback(null, this.sniContexts.get(servername.toLowerCase())),
                }
              : {}),
          })
        : createNetServer();
    server.on('connection', (socket: Socket) => this.onRawConnection(protocol, socket));
    if (protocol === 'tls') {
      server.on('secureConnection', (socket: TLSSocket) => this.onSecureConnection(socket));
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.logger.debug('tls handshake failed', { remote: socket.remoteAddress, error: error.message });
      });
    }
    return new Promise((resolve, reject) => {
      const onListenError = (error: Error): void =>
        reject(new DialtoneError(ErrorCodes.sipTransportFailure, `cannot listen ${protocol} ${address}:${port}`, {}, { cause: error }));
      server.once('error', onListenError);
      server.listen({ host: address, port, exclusive: true, ipv6Only: addressFamily(address) === 6 }, () => {
        server.off('error', onListenError);
        server.on('error', (error) => this.logger.warn('listener error', { protocol, error: error.message }));
        const bound = server.address();
        const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
        this.streamListeners.push({ server, local: { protocol, address, port: boundPort } });
        resolve();
      });
    });
  }

  /** A TCP connection was accepted (for TLS, before its handshake). */
  private onRawConnection(protocol: 'tcp' | 'tls', socket: Socket): void {
    if (this.closing !== undefined || this.slotsInUse() >= this.maxConnections) {
      this.counters.connectionsRejected++;
      socket.destroy();
      return;
    }
    if (protocol === 'tcp') {
      this.adopt(socket, 'tcp', 'inbound');
      return;
    }
    this.handshaking.add(socket);
    socket.once('close', () => this.handshaking.delete(socket));
    // The handshake counts against the idle time like any stalled stream.
    const timer = this.clock.setTimeout(() => {
      if (this.handshaking.has(socket)) socket.destroy();
    }, this.idleTimeoutMs);
    socket.once('close', () => this.clock.clearTimeout(timer));
  }

  private onSecureConnection(socket: TLSSocket): void {
    // The TLS socket wraps the raw one tracked in onRawConnection; from here the connection owns it.
    for (const raw of this.handshaking) {
      if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) this.handshaking.delete(raw);
    }
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.adopt(socket, 'tls', 'inbound');
  }

  private adopt(socket: Socket, protocol: 'tcp' | 'tls', direction: 'inbound' | 'outbound', key?: string): StreamConnection {
    const id = `${protocol}-${this.nextConnectionId++}`;
    const local: Endpoint = { protocol, address: canonicalAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    const remote: Endpoint = { protocol, address: canonicalAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const connection = new StreamConnection({
      id,
      socket,
      local,
      remote,
      direction,
      limits: this.limits,
      maxPendingWriteBytes: this.limits.maxPendingWriteBytes,
      idleTimeoutMs: this.idleTimeoutMs,
      clock: this.clock,
      logger: this.logger,
      events: {
        onMessage: (from, data) => this.onMessageBytes(data, from.remote, from.local, from),
        onFramingError: (from, failure) => this.onFramingError(from, failure),
        onKeepAlive: () => {
          this.counters.keepAlivesAnswered++;
        },
        onIdle: (from) => {
          this.counters.idleClosed++;
          this.logger.debug('closing idle connection', { connection: from.id, direction: from.direction, remote: formatEndpoint(from.remote) });
        },
        onClose: (from) => this.pool.remove(from),
      },
    });
    this.counters.connectionsOpened++;
    // Keyed by the peer's address and port (where a NATed client's responses go, RFC 3581 §4) and, for
    // outgoing connections, by the destination asked for.
    this.pool.add(connection, key === undefined ? [endpointKey(remote)] : [endpointKey(remote), key]);
    return connection;
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving

  private onDatagram(local: Endpoint, data: Buffer, info: RemoteEndpoint): void {
    const remote: Endpoint = { protocol: 'udp', address: canonicalAddress(info.address), port: info.port };
    try {
      if (data.length > this.limits.maxDatagramBytes) {
        this.counters.malformedDropped++;
        return;
      }
      // Keep-alive CRLFs sent over UDP by some user agents (the RFC 5626 §3.5.1 ping is for streams) are
      // not messages and get no answer.
      if (isOnlyLineBreaks(data)) return;
      // From the I/O thread `data` is a view of a batch of datagrams: parseMessage keeps none of it (the
      // body is copied, the rest decoded into strings), so no message keeps a batch alive.
      this.onMessageBytes(data, remote, local, undefined);
    } catch (error) {
      this.logger.error('udp receive failed', { remote: formatEndpoint(remote), error: String(error) });
    }
  }

  private onMessageBytes(data: Buffer, remote: Endpoint, local: Endpoint, connection: StreamConnection | undefined): void {
    const result = parseMessage(data, this.parseLimits);
    if (!result.ok) {
      this.onMalformed(data, result.error, remote, local, connection);
      return;
    }
    const message = result.message;
    const top = message.via[0];
    if (top === undefined) {
      this.counters.malformedDropped++;
      return;
    }
    if (message.kind === 'request') {
      stampReceivedVia(top, remote);
      if (connection !== undefined) {
        const alias = viaAliasEndpoint(top, remote);
        if (alias !== undefined) this.pool.alias(connection, endpointKey(alias));
      }
    } else if (!this.isOwnSentBy(top)) {
      // RFC 3261 §18.1.2: "If the value of the 'sent-by' parameter in that header field value does not
      // correspond to a value that the client transport is configured to insert into requests, the
      // response MUST be silently discarded."
      this.counters.responsesMisrouted++;
      return;
    }
    this.counters.received++;
    const received: ReceivedMessage =
      connection === undefined ? { message, remote, local } : { message, remote, local, connectionId: connection.id };
    if (this.handedInThisRun || this.waiting.length > 0) {
      this.waiting.push(received);
      setImmediate(this.handNext);
      return;
    }
    this.handedInThisRun = true;
    queueMicrotask(this.endRun);
    this.hand(received);
  }

  private hand(received: ReceivedMessage): void {
    try {
      this.listener.onMessage(received);
    } catch (error) {
      // The layer above must not be able to take a socket handler down.
      this.logger.error('transport listener threw', { error: String(error), stack: (error as Error)?.stack });
    }
  }

  /** Bad input becomes a protocol answer at the edge: 400/505 for requests, silence for responses. */
  private onMalformed(
    data: Buffer,
    error: SipParseError,
    remote: Endpoint,
    local: Endpoint,
    connection: StreamConnection | undefined,
  ): void {
    const modelled = error.isRequest ? createErrorResponse(error) : undefined;
    const bytes = modelled !== undefined ? serializeMessage(modelled) : createRawErrorResponse(data, error);
    if (bytes === undefined) {
      this.counters.malformedDropped++;
      this.logger.debug('dropped malformed message', { remote: formatEndpoint(remote), reason: error.reason });
      return;
    }
    this.counters.malformedAnswered++;
    this.logger.debug('answered malformed request', { remote: formatEndpoint(remote), status: error.status });
    if (connection !== undefined) {
      connection.write(bytes).then(
        () => this.counters.sent++,
        () => undefined,
      );
      return;
    }
    // A request that did not parse may carry an unusable Via, so the answer goes back to where the
    // datagram came from, as RFC 3581 §4 does for every response.
    const udp = this.udpListeners.find((candidate) => endpointKey(candidate.local) === endpointKey(local));
    if (udp !== undefined) this.sendDatagram(udp, bytes, remote).catch(() => undefined);
  }

  /** The stream cannot be followed any further; answer what can be answered, then the connection ends. */
  private onFramingError(connection: StreamConnection, failure: FramingFailure): Buffer | undefined {
    let answer: SipResponse | undefined;
    if (failure.headerSection !== undefined) {
      const parsed = parseMessage(failure.headerSection, this.parseLimits);
      if (parsed.ok) {
        if (parsed.message.kind === 'request') answer = createResponse(parsed.message, failure.status, failure.reason, { toTag: randomToken() });
      } else if (parsed.error.isRequest) {
        answer = createErrorResponse(parsed.error);
      }
    }
    this.logger.debug('stream framing failed', { connection: connection.id, failure: failure.kind });
    if (answer === undefined) {
      this.counters.malformedDropped++;
      return undefined;
    }
    this.counters.malformedAnswered++;
    this.counters.sent++;
    return serializeMessage(answer);
  }

  /** RFC 3261 §18.1.2: the sent-by values this transport writes into requests. */
  private isOwnSentBy(via: Via): boolean {
    const protocol = protocolOfViaTransport(via.transport);
    if (protocol === undefined) return false;
    const host = canonicalAddress(via.host);
    const port = via.port ?? defaultPort(protocol);
    // A wildcard listener answers on every local address, so any host it was reached by is ours.
    const hostMatches = (entry: UdpListener | StreamListener): boolean => entry.local.address === host || isUnspecified(entry.local.address);
    const portMatches = (entry: UdpListener | StreamListener): boolean => entry.local.port === port;
    const ownHost =
      (this.publicAddress !== undefined && canonicalAddress(this.publicAddress) === host) ||
      this.udpListeners.some(hostMatches) ||
      this.streamListeners.some(hostMatches);
    if (ownHost && (this.udpListeners.some(portMatches) || this.streamListeners.some(portMatches))) return true;
    // Without a listener for its transport, a request's sent-by is the connection's own local endpoint.
    return this.pool.all().some((connection) => connection.local.port === port && (ownHost || connection.local.address === host));
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  async sendRequest(request: SipRequest, destination: Endpoint, options: SendOptions = {}): Promise<SentRequest> {
    this.assertOpen();
    if (!isIpLiteral(destination.address)) {
      throw new DialtoneError(ErrorCodes.sipTransportFailure, `destination must be an IP literal: ${destination.address}`);
    }
    if (request.via.length === 0) throw new DialtoneError(ErrorCodes.sipTransportFailure, 'request has no Via');
    const remote: Endpoint = { ...destination, address: canonicalAddress(destination.address) };
    if (remote.protocol === 'udp') {
      const udp = this.udpListenerFor(remote.address);
      fillTopVia(request, 'udp', this.sentByHost(udp.local.address), udp.local.port);
      const bytes = serializeMessage(request);
      // RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than 1300
      // bytes and the path MTU is unknown, the request MUST be sent using an RFC 2914 congestion
      // controlled transport protocol, such as TCP. If this causes a change in the transport protocol
      // from the one indicated in the top Via, the value in the top Via MUST be changed."
      if (bytes.length <= this.udpThreshold) {
        await this.sendDatagram(udp, bytes, remote);
        return { local: udp.local, remote };
      }
      remote.protocol = 'tcp';
    }
    const connection = await this.connectionFor(remote, options.hostname);
    // RFC 3261 §18.1.1: sent-by names where responses may be sent should this connection fail: the
    // listener of this transport and family when there is one, otherwise the connection's own port.
    const listener = this.streamListeners.find(
      (entry) => entry.local.protocol === remote.protocol && addressFamily(entry.local.address) === addressFamily(remote.address),
    );
    const viaAddress = listener !== undefined && !isUnspecified(listener.local.address) ? listener.local.address : connection.local.address;
    fillTopVia(request, remote.protocol, this.sentByHost(viaAddress), listener?.local.port ?? connection.local.port);
    await connection.write(serializeMessage(request));
    this.counters.sent++;
    return { local: connection.local, remote, connectionId: connection.id };
  }

  async sendResponse(response: SipResponse, request?: RequestArrival): Promise<void> {
    this.assertOpen();
    const via = response.via[0];
    if (via === undefined) throw new DialtoneError(ErrorCodes.sipTransportFailure, 'response has no Via');
    const bytes = serializeMessage(response);
    // RFC 3261 §18.2.2: "If the 'sent-protocol' is a reliable transport protocol such as TCP or SCTP, or
    // TLS over those, the response MUST be sent using the existing connection to the source of the
    // original request that created the transaction, if that connection is still open."
    const viaProtocol = protocolOfViaTransport(via.transport);
    if (viaProtocol !== undefined && this.isReliable(viaProtocol)) {
      const byId = request?.connectionId !== undefined ? this.pool.getById(request.connectionId) : undefined;
      const source = viaSourceEndpoint(via);
      const existing =
        byId?.isOpen() === true ? byId : source !== undefined ? this.pool.get(endpointKey(source)) : undefined;
      if (existing !== undefined && existing.isOpen()) {
        await existing.write(bytes);
        this.counters.sent++;
        return;
      }
    }
    const route = responseRoute(via);
    if (route.kind === 'unroutable') throw new DialtoneError(ErrorCodes.sipTransportFailure, route.reason);
    const destination = route.destination;
    if (destination.protocol === 'udp') {
      // RFC 3581 §4: "The response MUST be sent from the same address and port that the corresponding
      // request was received on."
      const udp =
        (request !== undefined ? this.udpListeners.find((entry) => endpointKey(entry.local) === endpointKey(request.local)) : undefined) ??
        this.udpListenerFor(destination.address);
      await this.sendDatagram(udp, bytes, destination);
      return;
    }
    // "If the connection is no longer open, the server SHOULD open a connection to the IP address in the
    // 'received' parameter, if present, using the port in the 'sent-by' value".
    const connection = await this.connectionFor(destination, undefined);
    await connection.write(bytes);
    this.counters.sent++;
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'udp';
  }

  listening(): Endpoint[] {
    return [...this.udpListeners.map((entry) => ({ ...entry.local })), ...this.streamListeners.map((entry) => ({ ...entry.local }))];
  }

  stats(): TransportStats {
    return { ...this.counters, connections: this.pool.size() };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const socket of [...this.handshaking, ...this.connectingSockets]) socket.destroy();
    this.handshaking.clear();
    this.connectingSockets.clear();
    for (const connection of this.pool.all()) connection.destroy();
    await Promise.all([
      ...this.udpListeners.map((entry) => new Promise<void>((resolve) => entry.socket.close(resolve))),
      ...this.streamListeners.map((entry) => new Promise<void>((resolve) => entry.server.close(() => resolve()))),
    ]);
    // Connects still in flight were destroyed above; wait for them to settle so nothing outlives close().
    await Promise.allSettled([...this.connecting.values()]);
  }

  /** Connections open, handshaking or connecting: what maxConnections bounds. */
  private slotsInUse(): number {
    return this.pool.size() + this.handshaking.size + this.connectingSockets.size;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new DialtoneError(ErrorCodes.sipTransportFailure, 'transport is closed');
  }

  private sentByHost(boundAddress: string): string {
    return this.publicAddress ?? boundAddress;
  }

  private udpListenerFor(address: string): UdpListener {
    const family = addressFamily(address);
    const found = this.udpListeners.find((entry) => addressFamily(entry.local.address) === family);
    if (found === undefined) {
      throw new DialtoneError(ErrorCodes.sipTransportFailure, `no udp listener for IPv${family}`, { destination: address });
    }
    return found;
  }

  private sendDatagram(udp: UdpListener, bytes: Buffer, destination: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      udp.socket.send(bytes, destination.port, destination.address, (error) => {
        if (error !== null) {
          reject(
            new DialtoneError(ErrorCodes.sipTransportFailure, 'udp send failed', { destination: formatEndpoint(destination) }, { cause: error }),
          );
          return;
        }
        this.counters.sent++;
        resolve();
      });
    });
  }

  /** An open connection to `destination`: reused when one is known, else opened (one connect at a time per key). */
  private connectionFor(destination: Endpoint, hostname: string | undefined): Promise<StreamConnection> {
    const key = endpointKey(destination);
    const existing = this.pool.get(key);
    if (existing !== undefined && existing.isOpen()) return Promise.resolve(existing);
    const pending = this.connecting.get(key);
    if (pending !== undefined) return pending;
    if (this.slotsInUse() >= this.maxConnections) {
      this.counters.connectionsRejected++;
      return Promise.reject(
        new DialtoneError(ErrorCodes.sipTransportFailure, 'connection limit reached', { maxConnections: this.maxConnections }),
      );
    }
    const opening = this.openConnection(destination, key, hostname).finally(() => this.connecting.delete(key));
    this.connecting.set(key, opening);
    return opening;
  }

  private openConnection(destination: Endpoint, key: string, hostname: string | undefined): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      let readyEvent: 'connect' | 'secureConnect';
      if (destination.protocol === 'tls') {
        // SNI (RFC 6066 §3) carries a host name only, never an IP literal; the certificate is then
        // checked against the address.
        const servername = hostname ?? this.tlsServername;
        socket = tlsConnect({
          ...this.tlsClient,
          host: destination.address,
          port: destination.port,
          ...(servername !== undefined && isIP(servername) === 0 ? { servername } : {}),
        });
        readyEvent = 'secureConnect';
      } else {
        socket = netConnect({ host: destination.address, port: destination.port });
        readyEvent = 'connect';
      }
      this.connectingSockets.add(socket);
      let settled = false;
      const cleanUp = (): void => {
        settled = true;
        this.clock.clearTimeout(timer);
        this.connectingSockets.delete(socket);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.off(readyEvent, onReady);
      };
      const fail = (reason: string, cause?: unknown): void => {
        if (settled) return;
        cleanUp();
        // The socket keeps an error listener so that a late error after destroy() cannot escape.
        socket.on('error', () => undefined);
        socket.destroy();
        reject(
          new DialtoneError(ErrorCodes.sipTransportFailure, reason, { destination: formatEndpoint(destination) }, cause !== undefined ? { cause } : undefined),
        );
      };
      const onError = (error: Error): void => fail(`connect failed: ${error.message}`, error);
      const onClose = (): void => fail('connection closed while connecting');
      const onReady = (): void => {
        if (settled) return;
        if (this.closing !== undefined) {
          fail('transport is closed');
          return;
        }
        cleanUp();
        resolve(this.adopt(socket, destination.protocol as 'tcp' | 'tls', 'outbound', key));
      };
      const timer = this.clock.setTimeout(() => fail('connect timed out'), this.connectTimeoutMs);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on(readyEvent, onReady);
    });
  }
}

/**
 * The TLS client's connect options, but the server name. With `tlsClient`: verification on unless
 * turned off, against Node's roots plus its extra CAs. Without it but with `tls`: the listener's
 * certificate, CAs and verifyPeer, as before the client had options of its own. With neither: verify
 * against Node's roots.
 */
function clientTlsOptions(options: TransportOptions): ConnectionOptions {
  const legacy = options.tls;
  if (options.tlsClient === undefined && legacy !== undefined) {
    return {
      cert: legacy.cert,
      key: legacy.key,
      rejectUnauthorized: legacy.verifyPeer === true,
      ...(legacy.ca !== undefined ? { ca: legacy.ca } : {}),
    };
  }
  const client: TlsClientOptions = options.tlsClient ?? {};
  const extraCas = client.ca === undefined ? [] : Array.isArray(client.ca) ? client.ca : [client.ca];
  return {
    rejectUnauthorized: client.verifyPeer !== false,
    // Node's `ca` replaces its bundled roots, so a private CA is added to them rather than alone.
    ...(extraCas.length > 0 ? { ca: [...rootCertificates, ...extraCas] } : {}),
    ...(client.cert !== undefined && client.key !== undefined ? { cert: client.cert, key: client.key } : {}),
  };
}

function isOnlyLineBreaks(data: Buffer): boolean {
  for (const byte of data) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
