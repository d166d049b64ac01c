/**
 * An RTP/RTCP socket pair held for an outbound leg before its codec is known.
 *
 * A MediaPort's format is fixed when it is built, but a UAC learns the codec only from the answer
 * (RFC 3264 §6.1), while the offer already has to name the RTP port. So the pair is bound first
 * (the same allocation rules as media's `openMediaPort`: an even port from the configured range, RTCP
 * on the next one, RFC 3550 §11; pairs another process holds are skipped), and the MediaPort is built
 * on it once an answer is read.
 *
 * One INVITE can get several answers on the same offered port: a forking proxy's branches each answer
 * in their own dialog (RFC 3261 §13.2.2.4), so the 183 whose early media was heard and the 2xx that
 * connects the call may come from different callees with different codecs. So `open()` may be called
 * again: the newer port takes over the sockets (the older one is closed, which only detaches it), and
 * the newest port owns them: closing it closes the sockets and gives the pair back. Without a port,
 * `release()` closes them.
 */
import { canForwardRtp, DialtoneError, ErrorCodes, type RtpForwarding, type RtpForwardingProgress, type RtpForwardingSocket } from '../../../kernel/index.js';
import {
  MediaPort,
  type BoundDatagramSocket,
  type DatagramHandler,
  type DatagramSocket,
  type MediaPortOptions,
  type PortAllocator,
  type RemoteEndpoint,
} from '../../../media/index.js';

export class RtpSocketPair {
  private released = false;
  /** The sockets as the current port sees them; undefined while no port has been built. */
  private current: { rtp: HandedSocket; rtcp: HandedSocket; port: MediaPort } | undefined;

  private constructor(
    readonly port: number,
    private readonly rtp: BoundDatagramSocket,
    private readonly rtcp: BoundDatagramSocket,
    private readonly allocator: PortAllocator,
  ) {}

  static async bind(allocator: PortAllocator, bindAddress: string): Promise<RtpSocketPair> {
    const { rtpPort, rtp, rtcp } = await allocator.bindPair(bindAddress);
    return new RtpSocketPair(rtpPort, rtp, rtcp, allocator);
  }

  /**
   * Builds a MediaPort on the pair. A port built before (early media from another dialog) is closed
   * first and lets go of the sockets; the new port owns them and gives the pair back on close.
   */
  open(options: Omit<MediaPortOptions, 'rtp' | 'rtcp'>): MediaPort {
    if (this.released) throw new DialtoneError(ErrorCodes.internal, 'RTP socket pair already released');
    const previous = this.current;
    this.current = undefined;
    if (previous !== undefined) {
      previous.rtp.handBack();
      previous.rtcp.handBack();
      previous.port.close();
    }
    const rtp = new HandedSocket(this.rtp, () => this.allocator.release(this.port));
    const rtcp = new HandedSocket(this.rtcp);
    // A later port does not connect the socket to its peer: the previous port's connect() may still
    // be in flight (undone when it completes), and Node refuses connect() on a connecting socket.
    const port = new MediaPort({ ...options, rtp, rtcp, ...(previous === undefined ? {} : { connectOnLatch: false }) });
    this.current = { rtp, rtcp, port };
    port.once('closed', () => {
      if (this.current?.port === port) this.released = true;
    });
    return port;
  }

  /** Closes the sockets and gives the pair back, unless a MediaPort holds them. Idempotent. */
  release(): void {
    if (this.released || this.current !== undefined) return;
    this.released = true;
    this.rtp.close();
    this.rtcp.close();
    this.allocator.release(this.port);
  }
}

/**
 * One of the pair's sockets as one MediaPort sees it. Until handed back it is the socket (closing it
 * closes the socket); handed back, the port's handlers come off the socket, the socket is no longer
 * connected to that port's peer, and the port's close() leaves the socket open for the next port.
 */
class HandedSocket implements RtpForwardingSocket {
  private handedBack = false;
  private connected = false;
  private forwarding = false;
  private readonly messageHandlers: DatagramHandler[] = [];
  private readonly errorHandlers: Array<(error: Error) => void> = [];

  /** `onClosed` runs when the socket itself is closed through this port. */
  constructor(
    private readonly socket: BoundDatagramSocket,
    private readonly onClosed?: () => void,
  ) {}

  onMessage(handler: DatagramHandler): void {
    // Straight onto the socket: nothing runs between it and the port.
    this.socket.onMessage(handler);
    this.messageHandlers.push(handler);
  }

  onError(handler: (error: Error) => void): void {
    this.socket.onError(handler);
    this.errorHandlers.push(handler);
  }

  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void {
    if (this.handedBack) return;
    this.socket.send(message, port, address, done);
  }

  connect(port: number, address: string, done: (error?: Error) => void): void {
    if (this.handedBack) return;
    this.socket.connect(port, address, (error?: Error) => {
      if (this.handedBack) {
        // Handed back while connecting: the socket must not stay tied to this port's peer. It may be
        // closed by now (the port closed, or the next one did), and then there is nothing to undo.
        if (error === undefined) {
          try {
            this.socket.disconnect();
          } catch {
            // Closed.
          }
        }
        return;
      }
      if (error === undefined) this.connected = true;
      done(error);
    });
  }

  sendConnected(message: Buffer): void {
    if (!this.handedBack) this.socket.sendConnected(message);
  }

  disconnect(): void {
    if (this.handedBack) return;
    this.connected = false;
    this.socket.disconnect();
  }

  close(): void {
    if (this.handedBack) return;
    this.handedBack = true;
    this.socket.close();
    this.onClosed?.();
  }

  local(): RemoteEndpoint {
    return this.socket.local();
  }

  forwardingEndpoint(): DatagramSocket | undefined {
    return !this.handedBack && canForwardRtp(this.socket) ? this.socket.forwardingEndpoint() : undefined;
  }

  canForwardTo(to: DatagramSocket): boolean {
    return !this.handedBack && canForwardRtp(this.socket) && this.socket.canForwardTo(to);
  }

  forwardRtp(to: DatagramSocket, forwarding: RtpForwarding, onProgress: (progress: RtpForwardingProgress) => void): void {
    if (this.handedBack || !canForwardRtp(this.socket)) throw new DialtoneError(ErrorCodes.internal, 'this socket cannot forward');
    this.forwarding = true;
    this.socket.forwardRtp(to, forwarding, (progress) => {
      if (progress.ended) this.forwarding = false;
      onProgress(progress);
    });
  }

  stopForwarding(): void {
    if (this.forwarding && canForwardRtp(this.socket)) this.socket.stopForwarding();
  }

  /** The next port takes the socket: this port's handlers and connection go (a connect() in flight is undone when it completes). */
  handBack(): void {
    if (this.handedBack) return;
    // The forwarding's last report still reaches this port (its state), not the next one.
    this.stopForwarding();
    this.handedBack = true;
    for (const handler of this.messageHandlers) this.socket.offMessage(handler);
    for (const handler of this.errorHandlers) this.socket.offError(handler);
    if (this.connected) {
      this.connected = false;
      this.socket.disconnect();
    }
  }
}
