/**
 * Reads the RTP packets out of a libpcap capture (the classic format, not pcapng), so the media
 * interop tests compare what arrives with what the pcap file holds instead of hard-coding it.
 *
 *   global header (24 bytes): magic a1b2c3d4 (µs) or a1b23c4d (ns), in either byte order; version;
 *                             thiszone; sigfigs; snaplen; network (the link type)
 *   per packet (16 bytes):    ts_sec, ts_usec, incl_len, orig_len; then incl_len bytes of frame
 *   frame:                    link header (Ethernet 14, + 4 per 802.1Q tag; Linux SLL 16; BSD
 *                             loopback 4; raw IP 0) → IPv4 (IHL × 4) or IPv6 (40) → UDP (8) → RTP
 *
 * Only what SIPp's play_pcap_audio can play is supported: UDP over IPv4 or IPv6, no IP fragments.
 */
import { readFileSync } from 'node:fs';

export interface PcapRtpPacket {
  /** Capture time in microseconds (relative to the first packet of the file). */
  timeUs: number;
  sourcePort: number;
  destinationPort: number;
  /** The UDP payload: the RTP packet as captured (header and payload). */
  rtp: Buffer;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** The RTP payload (after the fixed header, CSRCs and any extension, without padding). */
  payload: Buffer;
}

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;

/** Parses every UDP datagram of the capture that holds a version-2 RTP packet. */
export function readPcapRtp(path: string): PcapRtpPacket[] {
  return parsePcapRtp(readFileSync(path));
}

export function parsePcapRtp(file: Buffer): PcapRtpPacket[] {
  if (file.length < 24) throw new Error('pcap: shorter than its global header');
  const magicLe = file.readUInt32LE(0);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    littleEndian = true;
    nanoseconds = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = file.readUInt32BE(0);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) throw new Error(`pcap: bad magic ${magicBe.toString(16)} (pcapng is not supported)`);
    littleEndian = false;
    nanoseconds = magicBe === 0xa1b23c4d;
  }
  const u32 = (at: number): number => (littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20) & 0x0fffffff;
  const packets: PcapRtpPacket[] = [];
  let firstTimeUs: number | undefined;
  let offset = 24;
  while (offset + 16 <= file.length) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const included = u32(offset + 8);
    const frameStart = offset + 16;
    const frameEnd = frameStart + included;
    if (frameEnd > file.length) throw new Error(`pcap: packet at ${offset} runs past the end of the file`);
    offset = frameEnd;
    const timeUs = seconds * 1_000_000 + (nanoseconds ? Math.floor(fraction / 1000) : fraction);
    const udp = udpPayload(file.subarray(frameStart, frameEnd), linkType);
    if (udp === undefined) continue;
    const rtp = udp.payload;
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    firstTimeUs ??= timeUs;
    const csrcCount = rtp[0]! & 0x0f;
    let payloadStart = 12 + csrcCount * 4;
    if ((rtp[0]! & 0x10) !== 0) payloadStart += 4 + rtp.readUInt16BE(payloadStart + 2) * 4;
    const padding = (rtp[0]! & 0x20) !== 0 ? rtp[rtp.length - 1]! : 0;
    packets.push({
      timeUs: timeUs - firstTimeUs,
      sourcePort: udp.sourcePort,
      destinationPort: udp.destinationPort,
      rtp,
      marker: (rtp[1]! & 0x80) !== 0,
      payloadType: rtp[1]! & 0x7f,
      sequenceNumber: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      payload: rtp.subarray(payloadStart, rtp.length - padding),
    });
  }
  return packets;
}

function udpPayload(frame: Buffer, linkType: number): { sourcePort: number; destinationPort: number; payload: Buffer } | undefined {
  let at: number;
  let etherType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      at = 12;
      etherType = frame.readUInt16BE(at);
      while (etherType === 0x8100 || etherType === 0x88a8) {
        at += 4;
        etherType = frame.readUInt16BE(at);
      }
      at += 2;
      break;
    case LINKTYPE_LINUX_SLL:
      etherType = frame.readUInt16BE(14);
      at = 16;
      break;
    case LINKTYPE_NULL:
      at = 4;
      etherType = frame[0]! === 2 || frame[3]! === 2 ? 0x0800 : 0x86dd;
      break;
    case LINKTYPE_RAW:
      at = 0;
      etherType = frame[0]! >> 4 === 4 ? 0x0800 : 0x86dd;
      break;
    default:
      throw new Error(`pcap: link type ${linkType} not supported`);
  }
  let udpStart: number;
  if (etherType === 0x0800) {
    const ihl = (frame[at]! & 0x0f) * 4;
    if (frame[at + 9] !== 17) return undefined; // not UDP
    const flagsFragment = frame.readUInt16BE(at + 6);
    if ((flagsFragment & 0x3fff) !== 0) return undefined; // a fragment
    udpStart = at + ihl;
  } else if (etherType === 0x86dd) {
    if (frame[at + 6] !== 17) return undefined; // extension headers are not followed
    udpStart = at + 40;
  } else {
    return undefined;
  }
  const udpLength = frame.readUInt16BE(udpStart + 4);
  return {
    sourcePort: frame.readUInt16BE(udpStart),
    destinationPort: frame.readUInt16BE(udpStart + 2),
    payload: frame.subarray(udpStart + 8, udpStart + udpLength),
  };
}

/** One RFC 4733 event as the pcap encodes it: the digit code, its RTP timestamp, its final duration. */
export interface PcapTelephoneEvent {
  event: number;
  timestamp: number;
  /** Duration of the end packet(s), in timestamp units. */
  duration: number;
  /** Packets carrying this event (start, updates, the redundant ends). */
  packets: number;
  endPackets: number;
}

/**
 * Groups the telephone-event packets of a capture by RTP timestamp (RFC 4733 §2.3.1: every packet
 * of one event carries the event's start), independently of the engine's receiver.
 */
export function telephoneEventsOf(packets: readonly PcapRtpPacket[], payloadType: number): PcapTelephoneEvent[] {
  const events: PcapTelephoneEvent[] = [];
  for (const packet of packets) {
    if (packet.payloadType !== payloadType || packet.payload.length < 4) continue;
    const p = packet.payload;
    let current = events.find((e) => e.timestamp === packet.timestamp);
    if (current === undefined) {
      current = { event: p[0]!, timestamp: packet.timestamp, duration: 0, packets: 0, endPackets: 0 };
      events.push(current);
    }
    current.packets++;
    const duration = p.readUInt16BE(2);
    if (duration > current.duration) current.duration = duration;
    if ((p[1]! & 0x80) !== 0) current.endPackets++;
  }
  return events;
}

/** RFC 4733 §3.2 event codes 0-15 as digits. */
export function digitOfEvent(event: number): string {
  return '0123456789*#ABCD'[event] ?? '?';
}
