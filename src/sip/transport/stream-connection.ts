/**
 * One TCP or TLS connection: frames what arrives (RFC 3261 §18.3), answers keep-alive pings
 * (RFC 5626 §3.5.1), and closes itself when no whole message has passed for idleTimeoutMs, so that
 * a peer that stalls mid-message or just sits there cannot hold a connection slot forever.
 */
import type { Socket } from 'node:net';
import { DialtoneError, ErrorCodes, type Clock, type Logger, type TimerHandle } from '../../kernel/index.js';
import { StreamFramer, type FramingFailure, type StreamFramerLimits } from './stream-framer.js';
import type { Endpoint } from './types.js';

export interface StreamConnectionEvents {
  onMessage(connection: StreamConnection, data: Buffer): void;
  /** Framing is lost; the connection ends after `answer`, if one is given, is written. */
  onFramingError(connection: StreamConnection, failure: FramingFailure): Buffer | undefined;
  onKeepAlive(connection: StreamConnection): void;
  onIdle(connection: StreamConnection): void;
  onClose(connection: StreamConnection): void;
}

export interface StreamConnectionOptions {
  id: string;
  socket: Socket;
  local: Endpoint;
  remote: Endpoint;
  direction: 'inbound' | 'outbound';
  limits: StreamFramerLimits;
  maxPendingWriteBytes: number;
  idleTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  events: StreamConnectionEvents;
}

const PONG = Buffer.from('\r\n', 'latin1');

export class StreamConnection {
  readonly id: string;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly direction: 'inbound' | 'outbound';
  private readonly socket: Socket;
  private readonly framer: StreamFramer;
  private readonly options: StreamConnectionOptions;
  private idleTimer: TimerHandle | undefined;
  private closed = false;

  constructor(options: StreamConnectionOptions) {
    this.options = options;
    this.id = options.id;
    this.local = options.local;
    this.remote = options.remote;
    this.direction = options.direction;
    this.socket = options.socket;
    this.framer = new StreamFramer(options.limits);
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (error) {
        // Nothing may throw out of a socket handler; a connection we failed to follow is dropped.
        options.logger.error('sip connection handler failed', { connection: this.id, error: String(error) });
        this.destroy();
      }
    });
    this.socket.on('error', (error: Error) => {
      options.logger.debug('sip connection error', { connection: this.id, error: error.message });
    });
    this.socket.on('close', () => this.onSocketClose());
    this.touch();
  }

  isOpen(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  /** Writes one whole message; resolves once the kernel has it. */
  write(data: Buffer): Promise<void> {
    if (!this.isOpen()) {
      return Promise.reject(new DialtoneError(ErrorCodes.sipTransportFailure, 'connection is closed', { connection: this.id }));
    }
    if (this.socket.writableLength + data.length > this.options.maxPendingWriteBytes) {
      // The peer has stopped reading; holding ever more for it would let it grow our memory.
      this.options.logger.warn('peer not reading; dropping connection', { connection: this.id, queued: this.socket.writableLength });
      this.destroy();
      return Promise.reject(new DialtoneError(ErrorCodes.sipTransportFailure, 'peer is not reading', { connection: this.id }));
    }
    this.touch();
    return new Promise((resolve, reject) => {
      this.socket.write(data, (error) => {
        if (error === undefined || error === null) resolve();
        else reject(new DialtoneError(ErrorCodes.sipTransportFailure, 'write failed', { connection: this.id }, { cause: error }));
      });
    });
  }

  /** Closes after flushing what was written. */
  end(): void {
    if (this.closed) return;
    this.socket.end();
    // A peer that never reads must not keep the socket: the idle timer destroys it if end() stalls.
  }

  destroy(): void {
    this.socket.destroy();
    this.onSocketClose();
  }

  private touch(): void {
    const { clock } = this.options;
    clock.clearTimeout(this.idleTimer);
    if (this.closed) return;
    this.idleTimer = clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.closed) return;
      this.options.events.onIdle(this);
      this.destroy();
    }, this.options.idleTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const { events } = this.options;
    for (const event of this.framer.push(chunk)) {
      if (event.kind === 'message') {
        this.touch();
        events.onMessage(this, event.data);
      } else if (event.kind === 'ping') {
        // RFC 5626 §3.5.1: "When a server receives a double-CRLF sequence ... it MUST immediately respond
        // with a single CRLF over the same connection."
        this.touch();
        events.onKeepAlive(this);
        if (this.isOpen()) this.socket.write(PONG);
      } else {
        const answer = events.onFramingError(this, event.failure);
        if (answer !== undefined && this.isOpen()) this.socket.write(answer);
        this.end();
      }
      if (this.closed) return;
    }
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.options.events.onClose(this);
  }
}
