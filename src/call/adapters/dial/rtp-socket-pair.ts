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
import { bindRtpPair, MediaPort, type MediaPortOptions, type NodeDatagramSocket, type PortAllocator } from '../../../media/index.js';

export class RtpSocketPair {
  private taken = false;

  private constructor(
    readonly port: number,
    private readonly rtp: NodeDatagramSocket,
    private readonly rtcp: NodeDatagramSocket,
    private readonly allocator: PortAllocator,
  ) {}

  static async bind(allocator: PortAllocator, bindAddress: string): Promise<RtpSocketPair> {
    const { rtpPort, rtp, rtcp } = await bindRtpPair(allocator, bindAddress);
    return new RtpSocketPair(rtpPort, rtp, rtcp, allocator);
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
