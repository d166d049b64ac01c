/**
 * What the call adapters' media legs (the caller's, a dialled callee's, a REST-created call's) share
 * when they start a session: our o= line and the MediaFormat a negotiated codec gives a MediaPort.
 */
import type { MediaFormat } from '../../media/index.js';
import type { NegotiatedMedia } from '../../sdp/index.js';

/** The o= fields of a new session of ours (RFC 4566 §5.2). */
export function newSessionOrigin(): { sessionId: string; sessionVersion: number; username: string } {
  return { sessionId: String(Date.now()), sessionVersion: 1, username: 'dialtone' };
}

/** The MediaFormat of a negotiated codec; `ptimeMs` is the packet time of what the port sends. */
export function mediaFormatOf(codec: NegotiatedMedia['codec'], ptimeMs = codec.ptimeMs): MediaFormat {
  return { payloadType: codec.payloadType, encodingName: codec.name, clockRate: codec.clockRate, channels: codec.channels, ptimeMs };
}
