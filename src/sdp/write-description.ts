/**
 * The SDP text of our offers and answers. sdp-transform parses every description we receive; ours
 * have a fixed handful of lines, which its generic writer (a pass over its whole grammar and a format
 * string per line) built with ~14 KiB of garbage each: 6 % of all a `<Dial>`ed call allocated. The
 * lines, their order (RFC 4566 §5) and their formatting are sdp-transform's; a test holds the two
 * writers to the same output.
 */
import type { MediaDirection } from './media-direction.js';

/** An a=rtpmap line (RFC 4566 §6). */
export interface RtpMapLine {
  payload: number;
  codec: string;
  rate: number;
  /** Channels, written only when present. */
  encoding?: number;
}

/** An a=fmtp line. */
export interface FmtpLine {
  payload: number;
  config: string;
}

/** One m= section as we write it; a rejected stream has port 0 and no attributes. */
export interface WrittenMedia {
  type: string;
  port: number;
  protocol: string;
  /** The m= line's formats, space-separated. */
  payloads: string;
  rtp: RtpMapLine[];
  fmtp: FmtpLine[];
  ptime?: number;
  direction?: MediaDirection;
}

/** A whole description as we write it (v=0, no session-level attributes). */
export interface WrittenDescription {
  origin: { username: string; sessionId: string; sessionVersion: number; netType: string; ipVer: number; address: string };
  name: string;
  connection: { version: number; ip: string };
  timing: { start: number; stop: number };
  media: WrittenMedia[];
}

export function writeDescription(description: WrittenDescription): string {
  const { origin, connection, timing } = description;
  let sdp =
    `v=0\r\no=${origin.username} ${origin.sessionId} ${origin.sessionVersion} ${origin.netType} IP${origin.ipVer} ${origin.address}\r\n` +
    `s=${description.name}\r\nc=IN IP${connection.version} ${connection.ip}\r\nt=${timing.start} ${timing.stop}\r\n`;
  for (const media of description.media) {
    sdp += `m=${media.type} ${media.port} ${media.protocol} ${media.payloads}\r\n`;
    for (const line of media.rtp) sdp += `a=rtpmap:${line.payload} ${line.codec}/${line.rate}${line.encoding === undefined ? '' : `/${line.encoding}`}\r\n`;
    for (const line of media.fmtp) sdp += `a=fmtp:${line.payload} ${line.config}\r\n`;
    if (media.ptime !== undefined) sdp += `a=ptime:${media.ptime}\r\n`;
    if (media.direction !== undefined) sdp += `a=${media.direction}\r\n`;
  }
  return sdp;
}
