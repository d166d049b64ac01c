/**
 * RTCP (RFC 3550 §6): enough of SR, RR, SDES and BYE to send our own reports and read the peer's.
 * RTCP runs at a few packets per 5 s per leg, so this code favours plain objects over zero-copy.
 *
 * Common header (RFC 3550 §6.4.1):
 * |V=2|P|  RC/SC  |      PT       |             length            |
 * where length is the packet's size in 32-bit words minus one.
 */

export const RtcpPacketType = {
  senderReport: 200,
  receiverReport: 201,
  sourceDescription: 202,
  bye: 203,
  application: 204,
} as const;

/** RFC 3550 §6.4.1: one reception report block, 24 bytes. */
export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number with the point at the left (0–255). */
  fractionLost: number;
  /** Cumulative number of packets lost (signed 24-bit: duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units (RFC 3550 §6.4.1, Appendix A.8). */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source (0 if none). */
  lastSenderReport: number;
  /** Delay since that SR, in units of 1/65536 s (0 if none). */
  delaySinceLastSenderReport: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
}

export interface RtcpSdesChunk {
  ssrc: number;
  /** RFC 3550 §6.5.1: the canonical end-point identifier, the one item every compound packet carries. */
  cname?: string;
}

export interface RtcpSourceDescription {
  type: 'sdes';
  chunks: RtcpSdesChunk[];
}

export interface RtcpBye {
  type: 'bye';
  sources: number[];
  reason?: string;
}

/** APP, feedback and extended reports: recognised as well-formed and skipped. */
export interface RtcpOtherPacket {
  type: 'other';
  packetType: number;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSourceDescription | RtcpBye | RtcpOtherPacket;

const SDES_END = 0;
const SDES_CNAME = 1;

function readBlock(b: Buffer, at: number): RtcpReportBlock {
  // RFC 3550 §6.4.1: cumulative number of packets lost is a signed 24-bit integer.
  const lost = (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!;
  return {
    ssrc: b.readUInt32BE(at),
    fractionLost: b[at + 4]!,
    cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    extendedHighestSequence: b.readUInt32BE(at + 8),
    jitter: b.readUInt32BE(at + 12),
    lastSenderReport: b.readUInt32BE(at + 16),
    delaySinceLastSenderReport: b.readUInt32BE(at + 20),
  };
}

function readBlocks(b: Buffer, at: number, count: number, end: number): RtcpReportBlock[] | undefined {
  if (at + count * 24 > end) return undefined;
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) blocks.push(readBlock(b, at + i * 24));
  return blocks;
}

function parseSdes(b: Buffer, at: number, count: number, end: number): RtcpSourceDescription | undefined {
  const chunks: RtcpSdesChunk[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) return undefined;
    const chunk: RtcpSdesChunk = { ssrc: b.readUInt32BE(at) };
    at += 4;
    // RFC 3550 §6.5: items until a null octet, then padding to the next 32-bit boundary.
    for (;;) {
      if (at >= end) return undefined;
      const itemType = b[at]!;
      if (itemType === SDES_END) break;
      if (at + 2 > end) return undefined;
      const length = b[at + 1]!;
      if (at + 2 + length > end) return undefined;
      if (itemType === SDES_CNAME) chunk.cname = b.toString('utf8', at + 2, at + 2 + length);
      at += 2 + length;
    }
    at = (at + 4) & ~3;
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

function parseBye(b: Buffer, at: number, count: number, end: number): RtcpBye | undefined {
  if (at + count * 4 > end) return undefined;
  const sources: number[] = [];
  for (let i = 0; i < count; i++) sources.push(b.readUInt32BE(at + i * 4));
  at += count * 4;
  const bye: RtcpBye = { type: 'bye', sources };
  // RFC 3550 §6.6: an optional length-prefixed reason for leaving.
  if (at < end) {
    const length = b[at]!;
    if (at + 1 + length > end) return undefined;
    bye.reason = b.toString('utf8', at + 1, at + 1 + length);
  }
  return bye;
}

/**
 * Parses a compound RTCP packet with the validity checks of RFC 3550 Appendix A.2: version 2 in
 * every packet, the first one an SR or RR, padding only in the last, lengths that add up exactly to
 * the datagram. Returns undefined for a malformed datagram (the caller drops and counts it).
 */
export function parseRtcp(datagram: Buffer, length: number = datagram.length): RtcpPacket[] | undefined {
  if (length < 8 || length % 4 !== 0) return undefined;
  const first = datagram[1]!;
  if (first !== RtcpPacketType.senderReport && first !== RtcpPacketType.receiverReport) return undefined;
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < length) {
    if (at + 4 > length) return undefined;
    const b0 = datagram[at]!;
    if (b0 >>> 6 !== 2) return undefined;
    const count = b0 & 0x1f;
    const packetType = datagram[at + 1]!;
    const end = at + (datagram.readUInt16BE(at + 2) + 1) * 4;
    if (end > length) return undefined;
    let contentEnd = end;
    if ((b0 & 0x20) !== 0) {
      // A.2: "only the last packet in the compound may be padded".
      if (end !== length) return undefined;
      const padding = datagram[end - 1]!;
      if (padding === 0 || at + 4 + padding > end) return undefined;
      contentEnd = end - padding;
    }
    const body = at + 4;
    let packet: RtcpPacket | undefined;
    switch (packetType) {
      case RtcpPacketType.senderReport: {
        if (body + 24 > contentEnd) return undefined;
        const reports = readBlocks(datagram, body + 24, count, contentEnd);
        if (reports === undefined) return undefined;
        packet = {
          type: 'sr',
          ssrc: datagram.readUInt32BE(body),
          ntpSeconds: datagram.readUInt32BE(body + 4),
          ntpFraction: datagram.readUInt32BE(body + 8),
          rtpTimestamp: datagram.readUInt32BE(body + 12),
          packetCount: datagram.readUInt32BE(body + 16),
          octetCount: datagram.readUInt32BE(body + 20),
          reports,
        };
        break;
      }
      case RtcpPacketType.receiverReport: {
        if (body + 4 > contentEnd) return undefined;
        const reports = readBlocks(datagram, body + 4, count, contentEnd);
        if (reports === undefined) return undefined;
        packet = { type: 'rr', ssrc: datagram.readUInt32BE(body), reports };
        break;
      }
      case RtcpPacketType.sourceDescription:
        packet = parseSdes(datagram, body, count, contentEnd);
        break;
      case RtcpPacketType.bye:
        packet = parseBye(datagram, body, count, contentEnd);
        break;
      default:
        packet = { type: 'other', packetType };
    }
    if (packet === undefined) return undefined;
    packets.push(packet);
    at = end;
  }
  return packets;
}

function blocksLength(reports: readonly RtcpReportBlock[]): number {
  return reports.length * 24;
}

function sdesLength(packet: RtcpSourceDescription): number {
  let total = 4;
  for (const chunk of packet.chunks) {
    const item = chunk.cname === undefined ? 0 : 2 + Buffer.byteLength(chunk.cname);
    total += (4 + item + 1 + 3) & ~3; // SSRC, items, null terminator, pad to 32 bits
  }
  return total;
}

function packetLength(packet: RtcpPacket): number {
  switch (packet.type) {
    case 'sr':
      return 28 + blocksLength(packet.reports);
    case 'rr':
      return 8 + blocksLength(packet.reports);
    case 'sdes':
      return sdesLength(packet);
    case 'bye': {
      const reason = packet.reason === undefined ? 0 : 1 + Buffer.byteLength(packet.reason);
      return 4 + packet.sources.length * 4 + ((reason + 3) & ~3);
    }
    case 'other':
      throw new RangeError(`cannot build RTCP packet type ${packet.packetType}`);
  }
}

function writeBlocks(b: Buffer, at: number, reports: readonly RtcpReportBlock[]): void {
  for (const r of reports) {
    b.writeUInt32BE(r.ssrc >>> 0, at);
    b[at + 4] = r.fractionLost;
    // Clamp to the signed 24-bit range RFC 3550 §6.4.1 gives this field.
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)) & 0xffffff;
    b[at + 5] = lost >>> 16;
    b[at + 6] = lost >>> 8;
    b[at + 7] = lost;
    b.writeUInt32BE(r.extendedHighestSequence >>> 0, at + 8);
    b.writeUInt32BE(r.jitter >>> 0, at + 12);
    b.writeUInt32BE(r.lastSenderReport >>> 0, at + 16);
    b.writeUInt32BE(r.delaySinceLastSenderReport >>> 0, at + 20);
    at += 24;
  }
}

function writeHeader(b: Buffer, at: number, count: number, packetType: number, length: number): void {
  b[at] = 0x80 | count;
  b[at + 1] = packetType;
  b.writeUInt16BE(length / 4 - 1, at + 2);
}

/**
 * Serialises a compound RTCP packet. RFC 3550 §6.1: it should start with an SR or RR and carry an
 * SDES CNAME; that composition is the caller's (MediaPort builds SR|RR + SDES [+ BYE]).
 */
export function buildRtcp(packets: readonly RtcpPacket[]): Buffer {
  let total = 0;
  for (const packet of packets) total += packetLength(packet);
  const b = Buffer.alloc(total);
  let at = 0;
  for (const packet of packets) {
    const length = packetLength(packet);
    switch (packet.type) {
      case 'sr':
        if (packet.reports.length > 31) throw new RangeError('at most 31 report blocks per SR');
        writeHeader(b, at, packet.reports.length, RtcpPacketType.senderReport, length);
        b.writeUInt32BE(packet.ssrc >>> 0, at + 4);
        b.writeUInt32BE(packet.ntpSeconds >>> 0, at + 8);
        b.writeUInt32BE(packet.ntpFraction >>> 0, at + 12);
        b.writeUInt32BE(packet.rtpTimestamp >>> 0, at + 16);
        b.writeUInt32BE(packet.packetCount >>> 0, at + 20);
        b.writeUInt32BE(packet.octetCount >>> 0, at + 24);
        writeBlocks(b, at + 28, packet.reports);
        break;
      case 'rr':
        if (packet.reports.length > 31) throw new RangeError('at most 31 report blocks per RR');
        writeHeader(b, at, packet.reports.length, RtcpPacketType.receiverReport, length);
        b.writeUInt32BE(packet.ssrc >>> 0, at + 4);
        writeBlocks(b, at + 8, packet.reports);
        break;
      case 'sdes': {
        writeHeader(b, at, packet.chunks.length, RtcpPacketType.sourceDescription, length);
        let p = at + 4;
        for (const chunk of packet.chunks) {
          b.writeUInt32BE(chunk.ssrc >>> 0, p);
          p += 4;
          if (chunk.cname !== undefined) {
            const written = b.write(chunk.cname, p + 2, 'utf8');
            if (written > 255) throw new RangeError('SDES CNAME longer than 255 bytes');
            b[p] = SDES_CNAME;
            b[p + 1] = written;
            p += 2 + written;
          }
          p = (p + 4) & ~3; // the null item (already zero) and padding to 32 bits
        }
        break;
      }
      case 'bye': {
        writeHeader(b, at, packet.sources.length, RtcpPacketType.bye, length);
        let p = at + 4;
        for (const source of packet.sources) {
          b.writeUInt32BE(source >>> 0, p);
          p += 4;
        }
        if (packet.reason !== undefined) {
          b[p] = b.write(packet.reason, p + 1, 'utf8');
        }
        break;
      }
      case 'other':
        throw new RangeError(`cannot build RTCP packet type ${packet.packetType}`);
    }
    at += length;
  }
  return b;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** RFC 3550 §4: a 64-bit NTP timestamp (seconds since 1900 and a binary fraction) from Unix milliseconds. */
export function ntpTimestamp(unixMs: number): { seconds: number; fraction: number } {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: (seconds + NTP_UNIX_OFFSET_SECONDS) >>> 0, fraction: fraction >>> 0 };
}

/** RFC 3550 §6.4.1 (LSR): the middle 32 bits of a 64-bit NTP timestamp. */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
