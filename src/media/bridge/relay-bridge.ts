/**
 * Joins two call legs' MediaPorts so each hears the other.
 *
 * Relay mode (both legs negotiated the same codec): every packet accepted by one port is handed,
 * synchronously and in the very Buffer the socket delivered, to the other port's `sendRtp`, which
 * rewrites SSRC, sequence number and timestamp in place onto that leg's own outbound stream (RFC
 * 3550 §5.1; see RtpStreamRewriter): a prompt played on the leg before the bridge, or the far leg
 * changing SSRC, shows the receiver one continuous stream. Nothing is decoded, allocated, awaited or
 * logged per packet.
 *
 * Transcode mode (different codecs): each payload goes through the direction's PayloadTranscoder (the
 * codec module's work: decode to PCM, resample, encode); one packet in is one packet out covering the
 * same time, so the header is kept and rewritten as in relay mode, its timestamp scaled when the legs'
 * RTP clocks differ (Opus counts 48 kHz units, RFC 7587 §4.1; G.711 and G.722 count 8 kHz units).
 *
 * In relay mode each port may hand its direction to the I/O thread (MediaPort.relayTo), which then
 * relays the steady stream itself with the same rewriting; the counters include what it relayed.
 *
 * Telephone events (RFC 4733) cross in both modes with the payload type mapped to the one the other
 * leg negotiated, or are dropped and counted when it negotiated none.
 *
 * The bridge does not own the ports (the legs do: a leg outlives its bridge to hear a prompt), but it
 * closes itself when either port closes. close() is idempotent.
 */
import { DialtoneError, ErrorCodes, silentLogger, type Logger } from '../../kernel/index.js';
import { RTP_HEADER_LENGTH, RtpPacketView, writeRtpHeader } from '../rtp/rtp-packet-view.js';
import type { MediaFormat, MediaPort } from '../port/media-port.js';
import { TypedEvents } from '../../kernel/index.js';
import { RtpTimestampScaler } from '../codec/index.js';
import type { PayloadTranscoder, TranscoderFactory } from './payload-transcoder.js';

export type RelayBridgeMode = 'relay' | 'transcode';

export interface RelayBridgeOptions {
  /** Builds the codec module's transcoders; needed only when the legs' codecs differ. */
  transcoders?: TranscoderFactory;
  logger?: Logger;
}

export interface BridgeDirectionCounters {
  /** Audio packets relayed unchanged but for the header. */
  relayed: number;
  /** Audio packets decoded and re-encoded. */
  transcoded: number;
  transcodeFailures: number;
  dtmfRelayed: number;
  /** Telephone events the other leg did not negotiate. */
  dtmfDropped: number;
  /** Packets the outbound port could not send (no destination yet, socket error). */
  unsent: number;
}

export interface RelayBridgeCounters {
  aToB: BridgeDirectionCounters;
  bToA: BridgeDirectionCounters;
}

export interface RelayBridgeEvents {
  closed: () => void;
}

function sameCodec(a: Readonly<MediaFormat>, b: Readonly<MediaFormat>): boolean {
  return a.encodingName.toLowerCase() === b.encodingName.toLowerCase() && a.clockRate === b.clockRate && (a.channels ?? 1) === (b.channels ?? 1);
}

/** Largest payload a transcoder may produce: a 1500-byte MTU bounds what one datagram carries. */
const MAX_PAYLOAD_BYTES = 1500;

/** One direction of the bridge; its handlers are created once, at construction. */
class BridgeDirection {
  // What the relay path reads per packet first (see MediaPort on field order); counters are fields
  // rather than an object of their own for the same reason.
  readonly transcoder: PayloadTranscoder | undefined;
  private readonly outPayloadType: number;
  private readonly to: MediaPort;
  private relayed = 0;
  private unsent = 0;
  private transcoded = 0;
  private transcodeFailures = 0;
  private dtmfRelayed = 0;
  private dtmfDropped = 0;
  private readonly outDtmfPayloadType: number | undefined;
  private readonly outView = new RtpPacketView();
  /** Set when the legs' RTP clocks differ; restarted whenever the inbound source changes. */
  private readonly scaler: RtpTimestampScaler | undefined;
  private scaledSsrc = -1;

  constructor(from: MediaPort, to: MediaPort, transcoder: PayloadTranscoder | undefined) {
    this.to = to;
    this.outPayloadType = to.format.payloadType;
    this.outDtmfPayloadType = to.telephoneEventPayloadType;
    this.transcoder = transcoder;
    this.scaler = from.format.clockRate === to.format.clockRate ? undefined : new RtpTimestampScaler(from.format.clockRate, to.format.clockRate);
  }

  counters(): BridgeDirectionCounters {
    const { relayed, transcoded, transcodeFailures, dtmfRelayed, dtmfDropped, unsent } = this;
    return { relayed, transcoded, transcodeFailures, dtmfRelayed, dtmfDropped, unsent };
  }

  /** The packet's timestamp on the outbound leg's clock. */
  private outTimestamp(packet: RtpPacketView): number {
    if (this.scaler === undefined) return packet.timestamp;
    if (packet.ssrc !== this.scaledSsrc) {
      // A new source's timestamps bear no relation to the last one's (RFC 3550 §5.1).
      this.scaler.reset();
      this.scaledSsrc = packet.ssrc;
    }
    return this.scaler.scale(packet.timestamp);
  }

  readonly onPacket = (packet: RtpPacketView): void => {
    if (this.transcoder !== undefined) {
      this.transcode(packet);
      return;
    }
    if (packet.payloadType !== this.outPayloadType) packet.setPayloadType(this.outPayloadType);
    packet.stripCsrcAndExtension();
    if (this.to.sendRtp(packet)) this.relayed++;
    else this.unsent++;
  };

  /** Packets the I/O thread relayed for this direction (MediaPort.relayTo). */
  readonly countRelayedOnThread = (packets: number): void => {
    this.relayed += packets;
  };

  readonly onDtmfPacket = (packet: RtpPacketView): void => {
    if (this.outDtmfPayloadType === undefined) {
      this.dtmfDropped++;
      return;
    }
    packet.setPayloadType(this.outDtmfPayloadType);
    packet.stripCsrcAndExtension();
    if (this.scaler !== undefined) {
      // RFC 4733 §2.5.1.3: the event's timestamp and duration count the RTP clock's units.
      packet.setTimestamp(this.outTimestamp(packet));
      if (packet.payloadLength >= 4) {
        const durationOffset = packet.payloadOffset + 2;
        packet.buffer.writeUInt16BE(this.scaler.scaleDuration(packet.buffer.readUInt16BE(durationOffset)), durationOffset);
      }
    }
    if (this.to.sendRtp(packet)) this.dtmfRelayed++;
    else this.unsent++;
  };

  private transcode(packet: RtpPacketView): void {
    let encoded: Uint8Array;
    try {
      encoded = this.transcoder!.transcode(packet.payload());
    } catch {
      // A payload the codec cannot read: dropped and counted like any malformed packet, not logged
      // (it could happen 50 times a second).
      this.transcodeFailures++;
      return;
    }
    const bytes = encoded.length;
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.transcodeFailures++;
      return;
    }
    let out = packet;
    packet.stripCsrcAndExtension();
    const timestamp = this.outTimestamp(packet);
    if (packet.payloadOffset + bytes <= packet.buffer.length) {
      // Same size or smaller (G.711 µ-law ↔ A-law, anything → Opus): the new payload overwrites the old one in place.
      packet.buffer.set(encoded, packet.payloadOffset);
      packet.setPayloadLength(bytes);
      packet.setPayloadType(this.outPayloadType);
      packet.setTimestamp(timestamp);
    } else {
      // A larger payload needs a new datagram; the socket may still hold earlier ones, so never reuse.
      const datagram = Buffer.allocUnsafe(RTP_HEADER_LENGTH + bytes);
      writeRtpHeader(datagram, {
        payloadType: this.outPayloadType,
        sequenceNumber: packet.sequenceNumber,
        timestamp,
        ssrc: packet.ssrc,
        marker: packet.marker,
      });
      datagram.set(encoded, RTP_HEADER_LENGTH);
      this.outView.wrap(datagram);
      this.outView.arrivalMs = packet.arrivalMs;
      out = this.outView;
    }
    if (this.to.sendRtp(out)) this.transcoded++;
    else this.unsent++;
  }
}

export class RelayBridge {
  readonly mode: RelayBridgeMode;
  readonly a: MediaPort;
  readonly b: MediaPort;
  private readonly aToB: BridgeDirection;
  private readonly bToA: BridgeDirection;
  private readonly events: TypedEvents<RelayBridgeEvents>;
  private closed = false;

  constructor(a: MediaPort, b: MediaPort, options: RelayBridgeOptions = {}) {
    if (a === b) throw new DialtoneError(ErrorCodes.internal, 'cannot bridge a media port to itself');
    if (a.isClosed || b.isClosed) throw new DialtoneError(ErrorCodes.internal, 'cannot bridge a closed media port');
    const logger = options.logger ?? silentLogger;
    this.a = a;
    this.b = b;
    this.events = new TypedEvents<RelayBridgeEvents>((error) => logger.error('relay bridge listener failed', { error: String(error) }));
    if (sameCodec(a.format, b.format)) {
      // Same codec: relay. A different ptime is left as is (no repacketisation): RFC 3264 §6.1
      // makes ptime a preference, and a G.711 receiver plays any whole number of samples.
      this.mode = 'relay';
      this.aToB = new BridgeDirection(a, b, undefined);
      this.bToA = new BridgeDirection(b, a, undefined);
    } else {
      const aToB = options.transcoders?.(a.format, b.format);
      const bToA = options.transcoders?.(b.format, a.format);
      if (aToB === undefined || bToA === undefined) {
        // The one that was made holds codec memory (Opus's WebAssembly heap).
        aToB?.close?.();
        bToA?.close?.();
        throw new DialtoneError(ErrorCodes.mediaFormatMismatch, `cannot bridge ${a.format.encodingName}/${a.format.clockRate} with ${b.format.encodingName}/${b.format.clockRate}`, {
          a: a.format.encodingName,
          b: b.format.encodingName,
        });
      }
      this.mode = 'transcode';
      this.aToB = new BridgeDirection(a, b, aToB);
      this.bToA = new BridgeDirection(b, a, bToA);
    }
    // Whatever each leg heard before (a prompt) is a different source from what it hears now.
    a.breakOutboundSource();
    b.breakOutboundSource();
    if (this.mode === 'relay') {
      a.relayTo(b, this.aToB.onPacket, this.aToB.countRelayedOnThread);
      b.relayTo(a, this.bToA.onPacket, this.bToA.countRelayedOnThread);
    }
    a.on('packet', this.aToB.onPacket);
    a.on('dtmf-packet', this.aToB.onDtmfPacket);
    b.on('packet', this.bToA.onPacket);
    b.on('dtmf-packet', this.bToA.onDtmfPacket);
    a.on('closed', this.onPortClosed);
    b.on('closed', this.onPortClosed);
  }

  on<K extends keyof RelayBridgeEvents>(event: K, listener: RelayBridgeEvents[K]): void {
    this.events.on(event, listener);
  }

  off<K extends keyof RelayBridgeEvents>(event: K, listener: RelayBridgeEvents[K]): void {
    this.events.off(event, listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  counters(): RelayBridgeCounters {
    return { aToB: this.aToB.counters(), bToA: this.bToA.counters() };
  }

  /** Stops relaying; the ports stay open (their legs own them). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.mode === 'relay') {
      this.a.relayTo(undefined);
      this.b.relayTo(undefined);
    }
    this.a.off('packet', this.aToB.onPacket);
    this.a.off('dtmf-packet', this.aToB.onDtmfPacket);
    this.b.off('packet', this.bToA.onPacket);
    this.b.off('dtmf-packet', this.bToA.onDtmfPacket);
    this.a.off('closed', this.onPortClosed);
    this.b.off('closed', this.onPortClosed);
    this.aToB.transcoder?.close?.();
    this.bToA.transcoder?.close?.();
    this.events.emit('closed');
    this.events.removeAll();
  }

  private readonly onPortClosed = (): void => {
    this.close();
  };
}
