/**
 * An RTP/RTCP socket pair held for an outbound leg before its codec is known.
 *
 * A MediaPort's format is fixed when it is built, but a UAC learns the codec only from the answer
 * (RFC 3264 §6.1), while the offer already has to name the RTP port. So the pair is bound first
 * (the same allocation rules as media's `openMediaPort`: an even port from the configured range, RTCP
 * on the next one, RFC 3550 §11; pairs another process holds are skipped), and the MediaPort is built
 * on it once the answer is read. Whoever takes the sockets owns them; otherwise `release()` closes them.
 */
import { DialtoneError, ErrorCodes } from '../../../kernel/index.js';
import { bindUdpSocket, MediaPort, type MediaPortOptions, type NodeDatagramSocket, type PortAllocator } from '../../../media/index.js';

const BIND_ATTEMPTS = 16;

export class RtpSocketPair {
  private taken = false;

  private constructor(
    readonly port: number,
    private readonly rtp: NodeDatagramSocket,
    private readonly rtcp: NodeDatagramSocket,
    private readonly allocator: PortAllocator,
  ) {}

  static async bind(allocator: PortAllocator, bindAddress: string): Promise<RtpSocketPair> {
    const attempts = Math.min(BIND_ATTEMPTS, allocator.capacity);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const rtpPort = allocator.allocate();
      let rtp: NodeDatagramSocket | undefined;
      try {
        rtp = await bindUdpSocket(bindAddress, rtpPort);
        const rtcp = await bindUdpSocket(bindAddress, rtpPort + 1);
        return new RtpSocketPair(rtpPort, rtp, rtcp, allocator);
      } catch (error) {
        rtp?.close();
        allocator.release(rtpPort);
        if ((error as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') {
          throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `cannot bind media port ${bindAddress}:${rtpPort}`, { bindAddress, rtpPort }, { cause: error });
        }
        lastError = error;
      }
    }
    throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `no free media port pair after ${attempts} attempts`, { bindAddress, attempts }, { cause: lastError });
  }

  /** Builds the leg's MediaPort on the pair; the port then owns the sockets and gives the pair back on close. */
  open(options: Omit<MediaPortOptions, 'rtp' | 'rtcp'>): MediaPort {
    if (this.taken) throw new DialtoneError(ErrorCodes.internal, 'RTP socket pair already used');
    this.taken = true;
    const port = new MediaPort({ ...options, rtp: this.rtp, rtcp: this.rtcp });
    port.once('closed', () => this.allocator.release(this.port));
    return port;
  }

  /** Closes the sockets and gives the pair back, unless a MediaPort took them. Idempotent. */
  release(): void {
    if (this.taken) return;
    this.taken = true;
    this.rtp.close();
    this.rtcp.close();
    this.allocator.release(this.port);
  }
}
