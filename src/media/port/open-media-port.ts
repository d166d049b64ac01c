/**
 * Opens a MediaPort on a pair from the configured range: binds RTP on the even port and RTCP on the
 * next one (RFC 3550 §11), skipping pairs another process holds, and gives the pair back when the
 * port closes.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { MediaPort, type MediaPortOptions } from './media-port.js';
import { bindUdpSocket, type NodeDatagramSocket } from './node-datagram-socket.js';
import type { PortAllocator } from './port-allocator.js';

export interface OpenMediaPortOptions extends Omit<MediaPortOptions, 'rtp' | 'rtcp'> {
  allocator: PortAllocator;
  /** Local address to bind ('0.0.0.0', '::', or one interface). */
  bindAddress: string;
  /** Pairs tried before giving up when ports are taken by other processes. Default 16. */
  bindAttempts?: number;
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** An RTP socket on an even port of the range and its RTCP socket on the next one, both bound. */
export interface BoundRtpPair {
  rtpPort: number;
  rtp: NodeDatagramSocket;
  rtcp: NodeDatagramSocket;
}

/**
 * Binds a pair from `allocator`, trying up to `attempts` pairs while other processes hold them. The
 * caller gives the pair back (`allocator.release(rtpPort)`) when it closes the sockets.
 */
export async function bindRtpPair(allocator: PortAllocator, bindAddress: string, attempts = 16): Promise<BoundRtpPair> {
  const tries = Math.min(attempts, allocator.capacity);
  let lastError: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    const rtpPort = allocator.allocate();
    let rtp: NodeDatagramSocket | undefined;
    try {
      rtp = await bindUdpSocket(bindAddress, rtpPort);
      const rtcp = await bindUdpSocket(bindAddress, rtpPort + 1);
      return { rtpPort, rtp, rtcp };
    } catch (error) {
      rtp?.close();
      // The pair goes back: another process holds it now, and round-robin allocation will not
      // offer it again until the rest of the range has been tried.
      allocator.release(rtpPort);
      if (!isAddressInUse(error)) {
        throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `cannot bind media port ${bindAddress}:${rtpPort}`, { bindAddress, rtpPort }, { cause: error });
      }
      lastError = error;
    }
  }
  throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `no free media port pair after ${tries} attempts`, { bindAddress, attempts: tries }, { cause: lastError });
}

export async function openMediaPort(options: OpenMediaPortOptions): Promise<MediaPort> {
  const { allocator, bindAddress, bindAttempts = 16, ...portOptions } = options;
  const { rtpPort, rtp, rtcp } = await bindRtpPair(allocator, bindAddress, bindAttempts);
  const port = new MediaPort({ ...portOptions, rtp, rtcp });
  port.once('closed', () => allocator.release(rtpPort));
  return port;
}
