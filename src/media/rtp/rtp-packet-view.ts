/**
 * A zero-copy view of an RTP packet (RFC 3550 §5.1) over the Buffer a socket delivered.
 *
 * One view is reused for every datagram of a port: `wrap()` validates the fixed header, the CSRC list,
 * the header extension and the padding against the datagram's length and caches the fields as
 * numbers, so the hot path neither allocates nor re-reads bytes. The setters rewrite the header in
 * place, which is what lets a relay forward the very Buffer it received.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |           synchronization source (SSRC) identifier            |
 * |            contributing source (CSRC) identifiers             |  CC × 32 bits
 */

export const RTP_HEADER_LENGTH = 12;
export const RTP_VERSION = 2;

/** Why `wrap()` refused a datagram; 0 means the packet is valid. */
export const RtpParseResult = {
  ok: 0,
  /** Shorter than the 12-byte fixed header. */
  tooShort: 1,
  /** RFC 3550 §5.1: "This field identifies the version of RTP … (2)". */
  badVersion: 2,
  /** The CSRC list (CC × 4 bytes) runs past the end of the datagram. */
  csrcOverflow: 3,
  /** RFC 3550 §5.3.1: the extension header or its declared length runs past the end. */
  extensionOverflow: 4,
  /** RFC 3550 §5.1: the last padding octet counts the padding, itself included; 0 or too many is invalid. */
  badPadding: 5,
  /** RFC 5761 §4: payload types 72–76 collide with RTCP packet types 200–204 (marker bit set). */
  rtcpPayloadType: 6,
} as const;

export type RtpParseResult = (typeof RtpParseResult)[keyof typeof RtpParseResult];

const EMPTY = Buffer.alloc(0);

export class RtpPacketView {
  /** The datagram being viewed (the socket's Buffer, not a copy). */
  buffer: Buffer = EMPTY;
  /** Offset of the RTP header inside `buffer` (non-zero only after `stripCsrcAndExtension()`). */
  start = 0;
  /** One past the last byte of the packet inside `buffer`. */
  end = 0;
  payloadOffset = 0;
  payloadLength = 0;
  paddingLength = 0;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  csrcCount = 0;
  hasExtension = false;
  /**
   * Monotonic time (ms) the datagram arrived, set by the port that received it; -1 for a packet built
   * locally. A relay sends in the same tick it receives, so the sending port reuses this reading
   * instead of reading the clock again (a clock read allocates in V8: at 100k packets/s it counts).
   */
  arrivalMs = -1;

  /**
   * Points the view at `buffer[0, length)` and validates it (RFC 3550 §5.1, §5.3.1 and the checks of
   * Appendix A.1 that need no state). On failure the view's fields are meaningless.
   */
  wrap(buffer: Buffer, length: number = buffer.length): RtpParseResult {
    this.buffer = buffer;
    this.start = 0;
    this.end = length;
    this.arrivalMs = -1;
    if (length < RTP_HEADER_LENGTH) return RtpParseResult.tooShort;
    const b0 = buffer[0]!;
    if (b0 >>> 6 !== RTP_VERSION) return RtpParseResult.badVersion;
    const b1 = buffer[1]!;
    const payloadType = b1 & 0x7f;
    if (payloadType >= 72 && payloadType <= 76) return RtpParseResult.rtcpPayloadType;
    const csrcCount = b0 & 0x0f;
    let offset = RTP_HEADER_LENGTH + csrcCount * 4;
    if (offset > length) return RtpParseResult.csrcOverflow;
    const hasExtension = (b0 & 0x10) !== 0;
    if (hasExtension) {
      // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words excluding this header.
      if (offset + 4 > length) return RtpParseResult.extensionOverflow;
      offset += 4 + ((buffer[offset + 2]! << 8) | buffer[offset + 3]!) * 4;
      if (offset > length) return RtpParseResult.extensionOverflow;
    }
    let paddingLength = 0;
    if ((b0 & 0x20) !== 0) {
      // RFC 3550 §5.1: "The last octet of the padding contains a count of how many padding octets
      // should be ignored, including itself."
      paddingLength = buffer[length - 1]!;
      if (paddingLength === 0 || offset + paddingLength > length) return RtpParseResult.badPadding;
    }
    this.payloadOffset = offset;
    this.payloadLength = length - offset - paddingLength;
    this.paddingLength = paddingLength;
    this.marker = (b1 & 0x80) !== 0;
    this.payloadType = payloadType;
    this.sequenceNumber = (buffer[2]! << 8) | buffer[3]!;
    this.timestamp = ((buffer[4]! << 24) | (buffer[5]! << 16) | (buffer[6]! << 8) | buffer[7]!) >>> 0;
    this.ssrc = ((buffer[8]! << 24) | (buffer[9]! << 16) | (buffer[10]! << 8) | buffer[11]!) >>> 0;
    this.csrcCount = csrcCount;
    this.hasExtension = hasExtension;
    return RtpParseResult.ok;
  }

  setSsrc(ssrc: number): void {
    const b = this.buffer;
    const at = this.start + 8;
    b[at] = ssrc >>> 24;
    b[at + 1] = ssrc >>> 16;
    b[at + 2] = ssrc >>> 8;
    b[at + 3] = ssrc;
    this.ssrc = ssrc >>> 0;
  }

  setSequenceNumber(sequenceNumber: number): void {
    const b = this.buffer;
    const at = this.start + 2;
    b[at] = sequenceNumber >>> 8;
    b[at + 1] = sequenceNumber;
    this.sequenceNumber = sequenceNumber & 0xffff;
  }

  setTimestamp(timestamp: number): void {
    const b = this.buffer;
    const at = this.start + 4;
    b[at] = timestamp >>> 24;
    b[at + 1] = timestamp >>> 16;
    b[at + 2] = timestamp >>> 8;
    b[at + 3] = timestamp;
    this.timestamp = timestamp >>> 0;
  }

  setPayloadType(payloadType: number): void {
    const at = this.start + 1;
    this.buffer[at] = (this.buffer[at]! & 0x80) | (payloadType & 0x7f);
    this.payloadType = payloadType & 0x7f;
  }

  setMarker(marker: boolean): void {
    const at = this.start + 1;
    this.buffer[at] = marker ? this.buffer[at]! | 0x80 : this.buffer[at]! & 0x7f;
    this.marker = marker;
  }

  /**
   * Drops the CSRC list and header extension by moving the 12-byte fixed header up against the
   * payload, in place. Each leg of a bridge is its own RTP session: the far leg's contributing
   * sources and negotiated extensions mean nothing to the other one (RFC 3550 §7.1 lets only a
   * mixer name CSRCs, and an extension must be negotiated per session, RFC 8285 §4).
   */
  stripCsrcAndExtension(): void {
    if (this.csrcCount === 0 && !this.hasExtension) return;
    const newStart = this.payloadOffset - RTP_HEADER_LENGTH;
    this.buffer.copyWithin(newStart, this.start, this.start + RTP_HEADER_LENGTH);
    this.buffer[newStart] = this.buffer[newStart]! & 0xe0; // keep V and P, clear X and CC
    this.start = newStart;
    this.csrcCount = 0;
    this.hasExtension = false;
  }

  /**
   * Replaces the payload length (the bytes at `payloadOffset` are the caller's) and drops any padding,
   * for a transcoder that wrote its output over the inbound payload.
   */
  setPayloadLength(length: number): void {
    this.buffer[this.start] = this.buffer[this.start]! & 0xdf;
    this.paddingLength = 0;
    this.payloadLength = length;
    this.end = this.payloadOffset + length;
  }

  /** The bytes to put on the wire: the Buffer itself unless the header moved or the length changed. */
  datagram(): Buffer {
    return this.start === 0 && this.end === this.buffer.length ? this.buffer : this.buffer.subarray(this.start, this.end);
  }

  /** A copy-free slice of the payload (allocates a Buffer object: not for the relay hot path). */
  payload(): Buffer {
    return this.buffer.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }
}

export interface RtpHeaderFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

/** Writes a 12-byte RTP header (V=2, no padding, extension or CSRC) at `offset`; returns its length. */
export function writeRtpHeader(target: Buffer, fields: RtpHeaderFields, offset = 0): number {
  target[offset] = RTP_VERSION << 6;
  target[offset + 1] = (fields.marker === true ? 0x80 : 0) | (fields.payloadType & 0x7f);
  target.writeUInt16BE(fields.sequenceNumber & 0xffff, offset + 2);
  target.writeUInt32BE(fields.timestamp >>> 0, offset + 4);
  target.writeUInt32BE(fields.ssrc >>> 0, offset + 8);
  return RTP_HEADER_LENGTH;
}

/** Builds a whole RTP packet (header and payload) in a new Buffer: for players and tests, not relays. */
export function buildRtpPacket(fields: RtpHeaderFields, payload: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length);
  writeRtpHeader(packet, fields);
  packet.set(payload, RTP_HEADER_LENGTH);
  return packet;
}
