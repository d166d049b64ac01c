/**
 * Opens a MediaPort on a pair from the configured range: binds RTP on the even port and RTCP on the
 * next one (RFC 3550 §11), skipping pairs another process holds, and gives the pair back when the
 * port closes.
 */
import { DialtoneError, ErrorCodes, type BoundDatagramSocket } from '../../kernel/index.js';
import { MediaPort, type MediaPortOptions } from './media-port.js';
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
  rtp: BoundDatagramSocket;
  rtcp: BoundDatagramSocket;
}

/**
 * Binds a pair from `allocator` (with its binder), trying up to `attempts` pairs while other processes hold them. The
 * caller gives the pair back (`allocator.release(rtpPort)`) when it closes the sockets.
 */
export async function bindRtpPair(allocator: PortAllocator, bindAddress: string, attempts = 16): Promise<BoundRtpPair> {
  const tries = Math.min(attempts, allocator.capacity);
  let lastError: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    const rtpPort = allocator.allocate();
    // Both at once: on the media I/O thread each bind is a round trip, on the path of the post-dial delay.
    const [rtp, rtcp] = await Promise.allSettled([allocator.bind(bindAddress, rtpPort), allocator.bind(bindAddress, rtpPort + 1)]);
    if (rtp.status === 'fulfilled' && rtcp.status === 'fulfilled') return { rtpPort, rtp: rtp.value, rtcp: rtcp.value };
    if (rtp.status === 'fulfilled') rtp.value.close();
    if (rtcp.status === 'fulfilled') rtcp.value.close();
    const error: unknown = rtp.status === 'rejected' ? rtp.reason : (rtcp as PromiseRejectedResult).reason;
    // The pair goes back: another process holds it now, and round-robin allocation will not
    // offer it again until the rest of the range has been tried.
    allocator.release(rtpPort);
    if (!isAddressInUse(error)) {
      throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `cannot bind media port ${bindAddress}:${rtpPort}`, { bindAddress, rtpPort }, { cause: error });
    }
    lastError = error;
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
