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

export async function openMediaPort(options: OpenMediaPortOptions): Promise<MediaPort> {
  const { allocator, bindAddress, bindAttempts = 16, ...portOptions } = options;
  const attempts = Math.min(bindAttempts, allocator.capacity);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const rtpPort = allocator.allocate();
    let rtp: NodeDatagramSocket | undefined;
    try {
      rtp = await bindUdpSocket(bindAddress, rtpPort);
      const rtcp = await bindUdpSocket(bindAddress, rtpPort + 1);
      const port = new MediaPort({ ...portOptions, rtp, rtcp });
      port.once('closed', () => allocator.release(rtpPort));
      return port;
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
  throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `no free media port pair after ${attempts} attempts`, { bindAddress, attempts }, { cause: lastError });
}
