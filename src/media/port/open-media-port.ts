/**
 * Opens a MediaPort on a pair from the configured range: binds RTP on the even port and RTCP on the
 * next one (RFC 3550 §11), skipping pairs another process holds, and gives the pair back when the
 * port closes.
 */
import { MediaPort, type MediaPortOptions } from './media-port.js';
import type { PortAllocator } from './port-allocator.js';

export interface OpenMediaPortOptions extends Omit<MediaPortOptions, 'rtp' | 'rtcp'> {
  allocator: PortAllocator;
  /** Local address to bind ('0.0.0.0', '::', or one interface). */
  bindAddress: string;
  /** Pairs tried before giving up when ports are taken by other processes. Default 16. */
  bindAttempts?: number;
}

export async function openMediaPort(options: OpenMediaPortOptions): Promise<MediaPort> {
  const { allocator, bindAddress, bindAttempts = 16, ...portOptions } = options;
  const { rtpPort, rtp, rtcp } = await allocator.bindPair(bindAddress, bindAttempts);
  const port = new MediaPort({ ...portOptions, rtp, rtcp });
  port.once('closed', () => allocator.release(rtpPort));
  return port;
}
