/**
 * One call leg's media endpoint: an RTP socket and (optionally) its RTCP socket.
 *
 * Receiving: every datagram is validated (RFC 3550 §5.1) through one reused RtpPacketView. The first
 * valid packet carrying a negotiated payload type latches the port to its source (symmetric RTP, RFC
 * 4961: behind a NAT the SDP address is useless, the source address is the one that works); from
 * then on packets from anyone else are dropped and counted, and what we send goes back to that
 * source. One exception: the endpoint the SDP names takes the latch over whenever it speaks. A forking
 * proxy's cancelled branch may still be sending early media when the answering branch's first packet
 * arrives; latching for good to whichever came first would leave the call one-way.
 * Once latched the socket is, by default, connect()ed to the source: the kernel then filters other
 * senders before they cost us anything, and Node's send skips its address lookup. A source other
 * than the SDP endpoint (a NAT) is connected to only after SDP_TAKEOVER_GRACE_MS without the SDP
 * endpoint speaking, since a connected socket would no longer hear it.
 *
 * Sending: `sendRtp` rewrites the packet in place onto this port's own outbound stream (SSRC,
 * sequence, timestamp: see RtpStreamRewriter) and hands it to the socket synchronously.
 *
 * Relaying on the I/O thread: a port whose RTP socket is on the I/O thread, bridged in relay mode
 * (`relayTo`), hands the steady state of its stream to the thread once nothing else here needs its
 * audio: latched and connected both ways, its source valid (A.1) and already mapped onto the other
 * port's outbound stream, no other 'packet' listener here, no 'sent' listener there. The thread then
 * relays those packets itself with the same offsets and reports what it did every ~250 ms (counters,
 * A.1/A.8 state, the other port's last sequence number). Whatever it may not decide on (a new SSRC,
 * CSRCs, a sequence jump, telephone events, anything not RTP) still comes here (a telephone event's
 * round trip through this thread is longer than the audio's path: under a backlog of more than a
 * packet interval the far end sees them reordered, which RTP's sequence numbers tell), and anything that
 * changes the picture (a listener, a re-latch, a prompt on the other port, close) takes the stream
 * back: the thread's last report comes before the stream's next packet, and a send on the other port
 * that would start a new source waits for that report.
 *
 * Lifecycle:  open ──(first valid packet)──> latched ──(setRemote)──> open …   any ──close()──> closed
 * `timeout` fires when no valid RTP arrived for `rtpTimeoutMs` (measured on the injected Clock);
 * RTCP reports go out every ~5 s (RFC 3550 §6.2) and a BYE on close (§6.6).
 */
import {
  canForwardRtp,
  randomToken,
  randomUint32,
  silentLogger,
  type Clock,
  type DatagramSocket,
  type Logger,
  type RemoteEndpoint,
  type RtpForwardingProgress,
  type TimerHandle,
} from '../../kernel/index.js';
import { RtpPacketView, RtpParseResult } from '../rtp/rtp-packet-view.js';
import { RtpReceiverStats, type RtpReceptionSummary } from '../rtp/rtp-receiver-stats.js';
import { RtpStreamRewriter } from '../rtp/rtp-stream-rewriter.js';
import { buildRtcp, ntpMiddle32, ntpTimestamp, parseRtcp, type RtcpPacket, type RtcpReportBlock } from '../rtp/rtcp-packet.js';
import { TypedEvents } from '../../kernel/index.js';

/**
 * How long a port latched to a source other than its SDP endpoint stays unconnected, so that the SDP
 * endpoint can still take the latch over: long enough for a cancelled fork's last packets to have
 * passed and the answering endpoint to have spoken, short against a call.
 */
export const SDP_TAKEOVER_GRACE_MS = 1000;

/** The codec negotiated for a leg, as the SDP layer describes it. */
export interface MediaFormat {
  payloadType: number;
  /** Encoding name from a=rtpmap (or the static table of RFC 3551): 'PCMU', 'PCMA', … */
  encodingName: string;
  clockRate: number;
  channels?: number;
  /** Packetisation time in ms (a=ptime; 20 for G.711 unless negotiated otherwise). */
  ptimeMs: number;
}

export interface MediaPortOptions {
  rtp: DatagramSocket;
  /** The RTCP socket (RTP port + 1); without it the port neither sends nor reads RTCP. */
  rtcp?: DatagramSocket;
  clock: Clock;
  format: MediaFormat;
  /** Payload type of RFC 4733 telephone-event, when negotiated. */
  telephoneEventPayloadType?: number;
  /** Where the peer's SDP said to send RTP; replaced by the latched source once it speaks. */
  remote?: RemoteEndpoint;
  /** Where the peer's SDP said to send RTCP (a=rtcp, RFC 3605); default remote port + 1. */
  remoteRtcp?: RemoteEndpoint;
  /** Silence after which `timeout` fires (ms); 0 disables. Default 30 000. */
  rtpTimeoutMs?: number;
  /** Mean interval between RTCP reports (ms); 0 disables them. Default 5 000 (RFC 3550 §6.2 minimum). */
  rtcpIntervalMs?: number;
  /** connect() the RTP socket to the latched source. Default true. */
  connectOnLatch?: boolean;
  /** Our SSRC and the first sequence number and timestamp (RFC 3550 §5.1: random by default). */
  ssrc?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  /** SDES CNAME (RFC 3550 §6.5.1); a random one (RFC 7022) by default. */
  cname?: string;
  logger?: Logger;
}

export interface MediaPortEvents {
  /** A valid audio packet from the latched source. The view is reused: read it now, keep nothing. */
  packet: (packet: RtpPacketView) => void;
  /** The same for the telephone-event payload type (RFC 4733). */
  'dtmf-packet': (packet: RtpPacketView) => void;
  /**
   * A packet `sendRtp` handed to the socket, as rewritten onto our stream (a call recording's
   * outbound track: prompts and relayed audio alike). The view is the sender's: read it now, keep nothing.
   */
  sent: (packet: RtpPacketView) => void;
  latched: (source: RemoteEndpoint) => void;
  /** A valid compound RTCP packet from the peer (reports, SDES, BYE). */
  rtcp: (packets: readonly RtcpPacket[]) => void;
  /** No valid RTP for the configured time: the call may be ended. */
  timeout: (silentForMs: number) => void;
  closed: () => void;
}

export interface MediaPortCounters {
  /** Datagrams read from the RTP socket. */
  rtpReceived: number;
  /** Valid packets from the latched source with a negotiated payload type, delivered as events. */
  rtpAccepted: number;
  /** Dropped: not a valid RTP packet (RFC 3550 §5.1). */
  rtpMalformed: number;
  /** Dropped: valid, but from a source other than the latched one. */
  rtpForeign: number;
  /** Dropped: valid, but with a payload type that was not negotiated. */
  rtpUnexpectedPayloadType: number;
  rtpSent: number;
  /** Payload octets sent (the SR octet count, RFC 3550 §6.4.1). */
  octetsSent: number;
  /** Not sent: no destination known yet (no SDP remote and nothing latched). */
  rtpUnsent: number;
  sendErrors: number;
  socketErrors: number;
  rtcpReceived: number;
  rtcpMalformed: number;
  rtcpForeign: number;
  rtcpSent: number;
  timeouts: number;
  listenerErrors: number;
}

type PacketListener = (packet: RtpPacketView) => void;
type PacketEvent = 'packet' | 'dtmf-packet' | 'sent';

function isPacketEvent(event: keyof MediaPortEvents): event is PacketEvent {
  return event === 'packet' || event === 'dtmf-packet' || event === 'sent';
}

/** Where the relay of this port's stream runs (see relayTo). */
const enum Forwarding {
  /** Here: every packet goes through onRtpMessage. */
  none,
  /** On the I/O thread. */
  onThread,
  /** Asked back from the thread; its last report has not arrived yet. */
  ending,
}

/** Sends held on a port while the thread still writes its stream (see sendRtp); more is not media. */
const MAX_HELD_WHILE_FORWARDED = 64;

const DEFAULT_RTP_TIMEOUT_MS = 30_000;
const DEFAULT_RTCP_INTERVAL_MS = 5_000;

export class MediaPort {
  // The fields the receive path, then the send path, read for every packet come first, in that order.
  // V8 lays an object's fields out in declaration order, and with a thousand calls each port's state
  // is a cache miss away from the last packet's: neighbouring fields of one object cost fewer misses
  // than as many separate objects (which is also why the counters are fields, not an object of their own).
  private closed = false;
  private rtpReceived = 0;
  private readonly view = new RtpPacketView();
  /** Latched RTP source; port 0 while not latched. */
  private latchedPort = 0;
  private latchedAddress = '';
  /** -1 when telephone-event is not negotiated, so the per-packet comparison never matches. */
  private readonly dtmfPayloadType: number;
  private readonly audioPayloadType: number;
  private readonly clock: Clock;
  /** Written per packet: a numeric initial value keeps it an unboxed number field (see RtpStreamRewriter.lastTimestamp). */
  private lastRtpAtMs = 0;
  private timedOut = false;
  private hasRemoteSsrc = false;
  private remoteSsrc = 0;
  private readonly stats: RtpReceiverStats;
  private rtpAccepted = 0;
  private packetListeners: readonly PacketListener[] = [];
  private dtmfPacketListeners: readonly PacketListener[] = [];
  private forwarding = Forwarding.none;
  /** The port this one's audio is relayed to (relayTo); undefined when not bridged in relay mode. */
  private relayTarget: MediaPort | undefined;
  private connected = false;
  private remotePort = 0;
  private readonly outbound: RtpStreamRewriter;
  private readonly rtp: DatagramSocket;
  private rtpSent = 0;
  /** Payload octets sent (the SR octet count, RFC 3550 §6.4.1). */
  private octetsSent = 0;
  private sentListeners: readonly PacketListener[] = [];

  readonly format: Readonly<MediaFormat>;
  readonly telephoneEventPayloadType: number | undefined;
  readonly ssrc: number;
  readonly cname: string;
  private readonly rtcpSocket: DatagramSocket | undefined;
  private readonly logger: Logger;
  /** Every event but the per-packet ones (see `on`). */
  private readonly events: TypedEvents<MediaPortEvents>;
  private readonly connectOnLatch: boolean;
  private readonly rtcpIntervalMs: number;
  private readonly rtpCanForward: boolean;
  private relayListener: PacketListener | undefined;
  private onRelayedOnThread: ((packets: number) => void) | undefined;
  /** While on the thread: the port it relays to, and the SSRC it relays. */
  private forwardTarget: MediaPort | undefined;
  private forwardedSsrc = 0;
  /** The port whose thread-side relay writes this port's outbound stream. */
  private forwardedBy: MediaPort | undefined;
  private heldWhileForwarded: Buffer[] = [];

  private rtpMalformed = 0;
  private rtpForeign = 0;
  private rtpUnexpectedPayloadType = 0;
  private rtpUnsent = 0;
  private sendErrors = 0;
  private socketErrors = 0;
  private rtcpReceived = 0;
  private rtcpMalformed = 0;
  private rtcpForeign = 0;
  private rtcpSent = 0;
  private timeouts = 0;
  private listenerErrors = 0;

  private remoteAddress = '';
  private remoteRtcp: RemoteEndpoint | undefined;
  private explicitRemoteRtcp: RemoteEndpoint | undefined;
  private connecting = false;
  private connectAddress = '';
  private connectPort = 0;
  private rtcpLatched: RemoteEndpoint | undefined;

  private receivedSenderReport = false;
  private lastSenderReportMiddle = 0;
  private lastSenderReportAtMs = 0;
  private rtcpSentPacketsAtLastReport = 0;
  /** Round-trip time from the peer's last report about us (RFC 3550 §6.4.1), in ms. */
  private roundTrip: number | undefined;

  private rtpTimeoutMs: number;
  private timeoutTimer: TimerHandle | undefined;
  private rtcpTimer: TimerHandle | undefined;
  /** Pending connect() to a latched source that is not the SDP endpoint (see SDP_TAKEOVER_GRACE_MS). */
  private takeoverTimer: TimerHandle | undefined;

  constructor(options: MediaPortOptions) {
    this.rtp = options.rtp;
    this.rtcpSocket = options.rtcp;
    this.clock = options.clock;
    this.format = { ...options.format };
    this.telephoneEventPayloadType = options.telephoneEventPayloadType;
    this.dtmfPayloadType = options.telephoneEventPayloadType ?? -1;
    this.audioPayloadType = options.format.payloadType;
    this.logger = options.logger ?? silentLogger;
    this.connectOnLatch = options.connectOnLatch ?? true;
    this.rtcpIntervalMs = options.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS;
    this.rtpTimeoutMs = options.rtpTimeoutMs ?? DEFAULT_RTP_TIMEOUT_MS;
    this.ssrc = (options.ssrc ?? randomUint32()) >>> 0;
    this.cname = options.cname ?? randomToken(8);
    this.stats = new RtpReceiverStats(options.format.clockRate);
    this.outbound = new RtpStreamRewriter({
      ssrc: this.ssrc,
      clockRate: options.format.clockRate,
      samplesPerPacket: Math.round((options.format.ptimeMs * options.format.clockRate) / 1000),
      initialSequenceNumber: options.initialSequenceNumber ?? randomUint32() & 0xffff,
      initialTimestamp: options.initialTimestamp ?? randomUint32(),
    });
    this.events = new TypedEvents<MediaPortEvents>(this.onListenerError);
    this.explicitRemoteRtcp = options.remoteRtcp;
    if (options.remote !== undefined) this.applyRemote(options.remote);

    this.rtpCanForward = canForwardRtp(this.rtp);
    this.rtp.onMessage(this.onRtpMessage);
    this.rtp.onError(this.onSocketError);
    if (this.rtcpSocket !== undefined) {
      this.rtcpSocket.onMessage(this.onRtcpMessage);
      this.rtcpSocket.onError(this.onSocketError);
    }
    this.lastRtpAtMs = this.clock.monotonic();
    if (this.rtpTimeoutMs > 0) this.armTimeout(this.rtpTimeoutMs);
    this.scheduleRtcp();
  }

  /**
   * The per-packet events ('packet', 'dtmf-packet', 'sent') keep their listeners in fields of the port,
   * under the same contract as TypedEvents (copy-on-write lists, each listener isolated and counted
   * when it throws): at a thousand calls, TypedEvents' map lookup and the objects behind it were a
   * fifth of the relay's own time per packet, in cache misses.
   */
  on<K extends keyof MediaPortEvents>(event: K, listener: MediaPortEvents[K]): void {
    if (isPacketEvent(event)) this.setPacketListeners(event, [...this.packetListenersOf(event), listener as PacketListener]);
    else this.events.on(event, listener);
    // Someone here needs the packets the thread relays (this port's audio, or what the other port sends).
    if (event === 'packet' && listener !== this.relayListener) this.stopForwarding();
    if (event === 'sent') this.forwardedBy?.stopForwarding();
  }

  /** For the port's life events (latched, timeout, closed…): nothing listens once to a per-packet event. */
  once<K extends Exclude<keyof MediaPortEvents, PacketEvent>>(event: K, listener: MediaPortEvents[K]): void {
    this.events.once(event, listener);
  }

  off<K extends keyof MediaPortEvents>(event: K, listener: MediaPortEvents[K]): void {
    if (isPacketEvent(event)) this.setPacketListeners(event, this.packetListenersOf(event).filter((entry) => entry !== (listener as PacketListener)));
    else this.events.off(event, listener);
  }

  private packetListenersOf(event: PacketEvent): readonly PacketListener[] {
    if (event === 'sent') return this.sentListeners;
    return event === 'packet' ? this.packetListeners : this.dtmfPacketListeners;
  }

  private setPacketListeners(event: PacketEvent, listeners: readonly PacketListener[]): void {
    if (event === 'packet') this.packetListeners = listeners;
    else if (event === 'dtmf-packet') this.dtmfPacketListeners = listeners;
    else this.sentListeners = listeners;
  }

  private deliverPacket(listeners: readonly PacketListener[], event: PacketEvent, view: RtpPacketView): void {
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(view);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  private readonly onListenerError = (error: unknown, event: keyof MediaPortEvents): void => {
    this.listenerErrors++;
    this.logger.error('media port listener failed', { event: String(event), error: String(error) });
  };

  get isClosed(): boolean {
    return this.closed;
  }

  /** Our RTP socket's address (what goes into our SDP). */
  get local(): RemoteEndpoint {
    return this.rtp.local();
  }

  /** The latched source, once the peer has spoken. */
  get latched(): RemoteEndpoint | undefined {
    return this.latchedPort === 0 ? undefined : { address: this.latchedAddress, port: this.latchedPort };
  }

  /** Where RTP goes now: the latched source, else the SDP remote. */
  get destination(): RemoteEndpoint | undefined {
    if (this.latchedPort !== 0) return { address: this.latchedAddress, port: this.latchedPort };
    return this.remotePort === 0 ? undefined : { address: this.remoteAddress, port: this.remotePort };
  }

  /** Whether the RTP socket is connect()ed to the latched source. */
  get isConnected(): boolean {
    return this.connected;
  }

  get roundTripMs(): number | undefined {
    return this.roundTrip;
  }

  counters(): MediaPortCounters {
    return {
      rtpReceived: this.rtpReceived,
      rtpAccepted: this.rtpAccepted,
      rtpMalformed: this.rtpMalformed,
      rtpForeign: this.rtpForeign,
      rtpUnexpectedPayloadType: this.rtpUnexpectedPayloadType,
      rtpSent: this.rtpSent,
      octetsSent: this.octetsSent,
      rtpUnsent: this.rtpUnsent,
      sendErrors: this.sendErrors,
      socketErrors: this.socketErrors,
      rtcpReceived: this.rtcpReceived,
      rtcpMalformed: this.rtcpMalformed,
      rtcpForeign: this.rtcpForeign,
      rtcpSent: this.rtcpSent,
      timeouts: this.timeouts,
      listenerErrors: this.listenerErrors,
    };
  }

  /** Loss and jitter of what we receive (RFC 3550 A.3, A.8). */
  reception(): RtpReceptionSummary {
    return this.stats.summary();
  }

  /**
   * A new remote from SDP (a re-INVITE): the latch is released so the next valid packet latches
   * again, from wherever it comes.
   */
  setRemote(remote: RemoteEndpoint, remoteRtcp?: RemoteEndpoint): void {
    if (this.closed) return;
    this.explicitRemoteRtcp = remoteRtcp;
    this.applyRemote(remote);
    this.unlatch();
  }

  /** Changes the RTP timeout (e.g. 0 while the peer holds the call, RFC 3264 §8.4) and restarts it. */
  setRtpTimeout(timeoutMs: number): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.rtpTimeoutMs = timeoutMs;
    this.timedOut = false;
    this.lastRtpAtMs = this.clock.monotonic();
    if (timeoutMs > 0) this.armTimeout(timeoutMs);
  }

  /** Makes the next packet sent start a new source in our outbound stream (see RtpStreamRewriter). */
  breakOutboundSource(): void {
    this.outbound.breakSource();
    this.forwardedBy?.stopForwarding();
  }

  /**
   * This port's audio is relayed into `target` by `listener` (RelayBridge, same codec on both legs):
   * when both sockets are on the I/O thread, the thread may take the relay over (see the class
   * comment), and `onRelayed` then counts the packets it relayed. `undefined` ends it.
   */
  relayTo(target: MediaPort | undefined, listener?: PacketListener, onRelayed?: (packets: number) => void): void {
    this.stopForwarding();
    this.relayTarget = target;
    this.relayListener = listener;
    this.onRelayedOnThread = onRelayed;
  }

  /** Whether the I/O thread relays this port's stream now (until its last report, when asked back). */
  get relayedOnThread(): boolean {
    return this.forwarding !== Forwarding.none;
  }

  /**
   * Sends one packet to the peer, rewritten in place onto this port's outbound stream. Synchronous;
   * returns false when there is nowhere to send yet or the socket refused.
   */
  sendRtp(packet: RtpPacketView): boolean {
    if (this.closed) return false;
    if (!this.connected && this.latchedPort === 0 && this.remotePort === 0) {
      this.rtpUnsent++;
      return false;
    }
    if (this.forwardedBy !== undefined && this.outbound.wouldRebase(packet.ssrc)) {
      // A new source continues from the last packet the thread sent, known once its last report is in.
      this.holdWhileForwarded(packet);
      return true;
    }
    const now = packet.arrivalMs >= 0 ? packet.arrivalMs : this.clock.monotonic();
    this.outbound.rewrite(packet, now, packet.payloadType !== this.dtmfPayloadType);
    const datagram = packet.datagram();
    try {
      if (this.connected) this.rtp.sendConnected(datagram);
      else if (this.latchedPort !== 0) this.rtp.send(datagram, this.latchedPort, this.latchedAddress);
      else this.rtp.send(datagram, this.remotePort, this.remoteAddress);
    } catch {
      this.sendErrors++;
      return false;
    }
    this.rtpSent++;
    this.octetsSent += packet.payloadLength;
    if (this.sentListeners.length !== 0) this.deliverPacket(this.sentListeners, 'sent', packet);
    return true;
  }

  private holdWhileForwarded(packet: RtpPacketView): void {
    if (this.heldWhileForwarded.length < MAX_HELD_WHILE_FORWARDED) this.heldWhileForwarded.push(Buffer.from(packet.datagram()));
    else this.rtpUnsent++;
    this.forwardedBy?.stopForwarding();
  }

  private sendHeld(): void {
    const held = this.heldWhileForwarded;
    if (held.length === 0) return;
    this.heldWhileForwarded = [];
    const view = new RtpPacketView();
    for (const datagram of held) {
      if (view.wrap(datagram) === RtpParseResult.ok) this.sendRtp(view);
    }
  }

  // ------------------------------------------------------------------------- relay on the I/O thread

  /** Hands the stream to the thread when nothing here needs it (see the class comment). */
  private forwardIfIdle(target: MediaPort): void {
    if (this.closed || target.closed || !this.connected || !target.connected || this.timedOut || !this.hasRemoteSsrc) return;
    if (this.packetListeners.length !== 1 || this.packetListeners[0] !== this.relayListener) return;
    if (target.sentListeners.length !== 0 || target.forwardedBy !== undefined) return;
    // Checked per packet until it holds: what allocates comes last.
    if (!canForwardRtp(this.rtp) || !this.rtp.canForwardTo(target.rtp)) return;
    const offsets = target.outbound.offsetsFor(this.remoteSsrc);
    const receiver = this.stats.forwardingState();
    if (offsets === undefined || receiver === undefined) return;
    this.forwarding = Forwarding.onThread;
    this.forwardTarget = target;
    this.forwardedSsrc = this.remoteSsrc;
    target.forwardedBy = this;
    this.rtp.forwardRtp(
      target.rtp,
      {
        payloadType: this.audioPayloadType,
        ssrc: this.remoteSsrc,
        clockRate: this.format.clockRate,
        outPayloadType: target.audioPayloadType,
        outSsrc: target.ssrc,
        ...offsets,
        ...receiver,
      },
      this.onForwardingProgress,
    );
  }

  private stopForwarding(): void {
    if (this.forwarding !== Forwarding.onThread || !canForwardRtp(this.rtp)) return;
    this.forwarding = Forwarding.ending;
    this.rtp.stopForwarding();
  }

  private readonly onForwardingProgress = (progress: RtpForwardingProgress): void => {
    const target = this.forwardTarget;
    if (progress.packets > 0) {
      if (this.hasRemoteSsrc && this.remoteSsrc === this.forwardedSsrc) {
        this.stats.absorbForwarded(progress.packets, progress.highestSequence, progress.jitterUnits, progress.transit);
      }
      this.rtpReceived += progress.packets;
      this.rtpAccepted += progress.packets;
      if (progress.lastArrivalMs > this.lastRtpAtMs) this.lastRtpAtMs = progress.lastArrivalMs;
      if (this.timedOut) this.recoverFromTimeout();
      if (target !== undefined) {
        target.outbound.absorbForwarded(progress.highestSequence, progress.highestTimestamp, progress.lastArrivalMs);
        target.rtpSent += progress.packets;
        target.octetsSent += progress.octets;
      }
      this.onRelayedOnThread?.(progress.packets);
    }
    if (progress.ended) this.forwardingEnded();
  };

  private forwardingEnded(): void {
    const target = this.forwardTarget;
    this.forwarding = Forwarding.none;
    this.forwardTarget = undefined;
    if (target !== undefined && target.forwardedBy === this) {
      target.forwardedBy = undefined;
      target.sendHeld();
    }
  }

  /** Sends our final RTCP BYE (RFC 3550 §6.6), closes both sockets and emits `closed`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The thread forgets a closed socket's forwarding without a last report.
    if (this.forwarding !== Forwarding.none) this.forwardingEnded();
    this.forwardedBy?.stopForwarding();
    this.heldWhileForwarded = [];
    this.clock.clearTimeout(this.timeoutTimer);
    this.clock.clearTimeout(this.rtcpTimer);
    this.clock.clearTimeout(this.takeoverTimer);
    this.timeoutTimer = undefined;
    this.rtcpTimer = undefined;
    this.rtp.close();
    const rtcp = this.rtcpSocket;
    if (rtcp !== undefined) {
      const to = this.rtcpDestination();
      if (to === undefined) {
        rtcp.close();
      } else {
        // The socket closes once the BYE is handed over: closing at once could cancel the send.
        try {
          rtcp.send(this.buildReport(true), to.port, to.address, () => rtcp.close());
          this.rtcpSent++;
        } catch {
          rtcp.close();
        }
      }
    }
    this.events.emit('closed');
    this.events.removeAll();
    this.packetListeners = [];
    this.dtmfPacketListeners = [];
    this.sentListeners = [];
  }

  // ----------------------------------------------------------------------------------------- receive

  private readonly onRtpMessage = (message: Buffer, from: RemoteEndpoint): void => {
    if (this.closed) return;
    this.rtpReceived++;
    const view = this.view;
    if (view.wrap(message) !== RtpParseResult.ok) {
      this.rtpMalformed++;
      return;
    }
    if (this.latchedPort !== 0 && (from.port !== this.latchedPort || from.address !== this.latchedAddress)) {
      // Symmetric RTP: once latched, nobody else's audio is accepted, but the SDP endpoint's.
      const payloadType = view.payloadType;
      const negotiated = payloadType === this.audioPayloadType || payloadType === this.dtmfPayloadType;
      if (from.port !== this.remotePort || from.address !== this.remoteAddress || !negotiated) {
        this.rtpForeign++;
        return;
      }
      this.unlatch();
    }
    const payloadType = view.payloadType;
    const isEvent = payloadType === this.dtmfPayloadType;
    if (!isEvent && payloadType !== this.audioPayloadType) {
      this.rtpUnexpectedPayloadType++;
      return;
    }
    if (this.latchedPort === 0) this.latch(from);
    // The one clock read per packet: A.8 jitter needs each arrival time; the RTP timeout and the
    // port that relays this packet reuse it.
    const now = this.clock.monotonic();
    view.arrivalMs = now;
    this.lastRtpAtMs = now;
    if (this.timedOut) this.recoverFromTimeout();
    if (!this.hasRemoteSsrc || view.ssrc !== this.remoteSsrc) {
      // RFC 3550 §8.2: a new SSRC is a new source; its statistics start afresh.
      this.remoteSsrc = view.ssrc;
      this.hasRemoteSsrc = true;
      this.stats.reset();
    }
    this.stats.updateSequence(view.sequenceNumber);
    // A.8 jitter is defined over the media clock; RFC 4733 events keep one timestamp per event.
    if (!isEvent) this.stats.updateJitter(view.timestamp, now);
    this.rtpAccepted++;
    if (isEvent) this.deliverPacket(this.dtmfPacketListeners, 'dtmf-packet', view);
    else this.deliverPacket(this.packetListeners, 'packet', view);
    if (this.rtpCanForward && this.relayTarget !== undefined && this.forwarding === Forwarding.none) this.forwardIfIdle(this.relayTarget);
  };

  private latch(from: RemoteEndpoint): void {
    this.latchedAddress = from.address;
    this.latchedPort = from.port;
    if (this.connectOnLatch) {
      const isSdpEndpoint = this.remotePort === 0 || (from.port === this.remotePort && from.address === this.remoteAddress);
      if (isSdpEndpoint) this.connectToLatched();
      else this.takeoverTimer = this.clock.setTimeout(this.connectToLatched, SDP_TAKEOVER_GRACE_MS);
    }
    this.events.emit('latched', { address: from.address, port: from.port });
  }

  private readonly connectToLatched = (): void => {
    this.takeoverTimer = undefined;
    if (!this.closed && this.latchedPort !== 0 && !this.connecting && !this.connected) this.startConnect();
  };

  private startConnect(): void {
    this.connecting = true;
    this.connectAddress = this.latchedAddress;
    this.connectPort = this.latchedPort;
    this.rtp.connect(this.connectPort, this.connectAddress, this.onConnected);
  }

  private readonly onConnected = (error?: Error): void => {
    this.connecting = false;
    if (this.closed) return;
    if (error !== undefined) {
      this.socketErrors++;
      this.logger.warn('media port could not connect to latched source', { error: error.message });
      return;
    }
    if (this.latchedPort === this.connectPort && this.latchedAddress === this.connectAddress) {
      this.connected = true;
      return;
    }
    // The latch moved while connect() was in flight (setRemote, then perhaps a new source): follow it.
    this.rtp.disconnect();
    if (this.latchedPort !== 0) this.startConnect();
  };

  private unlatch(): void {
    // Before the disconnect below: the thread must stop relaying first (commands keep their order).
    this.stopForwarding();
    this.forwardedBy?.stopForwarding();
    this.clock.clearTimeout(this.takeoverTimer);
    this.takeoverTimer = undefined;
    this.latchedPort = 0;
    this.latchedAddress = '';
    this.rtcpLatched = undefined;
    this.hasRemoteSsrc = false;
    if (this.connected) {
      this.connected = false;
      this.rtp.disconnect();
    }
  }

  private applyRemote(remote: RemoteEndpoint): void {
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.remoteRtcp = this.explicitRemoteRtcp ?? { address: remote.address, port: remote.port + 1 };
  }

  private readonly onSocketError = (error: Error): void => {
    // RFC 3550 says nothing here; in practice these are ICMP unreachables reported on a connected
    // socket while the peer is not listening. Counted, never thrown: the RTP timeout decides.
    this.socketErrors++;
    this.logger.debug('media socket error', { error: error.message });
  };

  // ---------------------------------------------------------------------------------------- timeout

  private armTimeout(delayMs: number): void {
    this.timeoutTimer = this.clock.setTimeout(this.onTimeoutCheck, delayMs);
  }

  /** One timer per timeout period, not one per packet: packets only stamp `lastRtpAtMs`. */
  private readonly onTimeoutCheck = (): void => {
    this.timeoutTimer = undefined;
    if (this.closed || this.rtpTimeoutMs <= 0) return;
    const silentFor = this.clock.monotonic() - this.lastRtpAtMs;
    if (silentFor >= this.rtpTimeoutMs) {
      this.timedOut = true;
      this.timeouts++;
      this.events.emit('timeout', silentFor);
    } else {
      this.armTimeout(this.rtpTimeoutMs - silentFor);
    }
  };

  private recoverFromTimeout(): void {
    this.timedOut = false;
    if (this.rtpTimeoutMs > 0 && this.timeoutTimer === undefined) this.armTimeout(this.rtpTimeoutMs);
  }

  // ------------------------------------------------------------------------------------------- RTCP

  private readonly onRtcpMessage = (message: Buffer, from: RemoteEndpoint): void => {
    if (this.closed) return;
    this.rtcpReceived++;
    const packets = parseRtcp(message);
    if (packets === undefined) {
      this.rtcpMalformed++;
      return;
    }
    if (this.rtcpLatched === undefined) {
      // RTCP latches like RTP, to its first valid source; once RTP is latched, only from that host
      // (the peer's RTCP comes from the same address, on a port NAT may have changed).
      if (this.latchedPort !== 0 && from.address !== this.latchedAddress) {
        this.rtcpForeign++;
        return;
      }
      this.rtcpLatched = { address: from.address, port: from.port };
    } else if (from.port !== this.rtcpLatched.port || from.address !== this.rtcpLatched.address) {
      this.rtcpForeign++;
      return;
    }
    const nowMs = this.clock.monotonic();
    for (const packet of packets) {
      if (packet.type === 'sr') {
        // Kept for the LSR/DLSR fields of our next report (RFC 3550 §6.4.1).
        this.lastSenderReportMiddle = ntpMiddle32(packet.ntpSeconds, packet.ntpFraction);
        this.lastSenderReportAtMs = nowMs;
        this.receivedSenderReport = true;
      }
      if (packet.type === 'sr' || packet.type === 'rr') this.readReportsAboutUs(packet.reports);
    }
    this.events.emit('rtcp', packets);
  };

  private readReportsAboutUs(reports: readonly RtcpReportBlock[]): void {
    for (const block of reports) {
      if (block.ssrc !== this.ssrc || block.lastSenderReport === 0) continue;
      // RFC 3550 §6.4.1: round trip = A − LSR − DLSR, all in 1/65536 s.
      const now = ntpTimestamp(this.clock.now());
      const a = ntpMiddle32(now.seconds, now.fraction);
      const rtt = (a - block.lastSenderReport - block.delaySinceLastSenderReport) >>> 0;
      if (rtt < 0x80000000) this.roundTrip = (rtt * 1000) / 65536;
    }
  }

  private rtcpDestination(): RemoteEndpoint | undefined {
    return this.rtcpLatched ?? this.remoteRtcp;
  }

  private scheduleRtcp(): void {
    if (this.rtcpSocket === undefined || this.rtcpIntervalMs <= 0) return;
    // RFC 3550 §6.3.1: randomise over [0.5, 1.5] × interval so that sessions do not synchronise.
    this.rtcpTimer = this.clock.setTimeout(this.onRtcpTimer, this.rtcpIntervalMs * (0.5 + Math.random()));
  }

  private readonly onRtcpTimer = (): void => {
    this.rtcpTimer = undefined;
    if (this.closed) return;
    const to = this.rtcpDestination();
    if (to !== undefined && this.rtcpSocket !== undefined) {
      try {
        this.rtcpSocket.send(this.buildReport(false), to.port, to.address);
        this.rtcpSent++;
      } catch {
        this.sendErrors++;
      }
    }
    this.scheduleRtcp();
  };

  /** SR when we sent since the last report, else RR (RFC 3550 §6.4); SDES CNAME always (§6.1). */
  private buildReport(bye: boolean): Buffer {
    const nowMs = this.clock.monotonic();
    const reports: RtcpReportBlock[] = [];
    if (this.hasRemoteSsrc && this.stats.received > 0) {
      // RFC 3550 §6.4.1: LSR and DLSR are 0 until an SR has been received from the source.
      const dlsr = this.receivedSenderReport ? Math.round(((nowMs - this.lastSenderReportAtMs) / 1000) * 65536) : 0;
      reports.push(this.stats.reportBlock(this.remoteSsrc, this.lastSenderReportMiddle, dlsr));
    }
    const packets: RtcpPacket[] = [];
    if (this.rtpSent > this.rtcpSentPacketsAtLastReport) {
      const ntp = ntpTimestamp(this.clock.now());
      // The RTP timestamp "corresponds to the same time as the NTP timestamp" (§6.4.1): extrapolated
      // from the last packet sent along the media clock.
      const elapsedUnits = Math.round(((nowMs - this.outbound.lastSentAtMs) * this.format.clockRate) / 1000);
      packets.push({
        type: 'sr',
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: (this.outbound.lastTimestamp + elapsedUnits) >>> 0,
        packetCount: this.rtpSent >>> 0,
        octetCount: this.octetsSent >>> 0,
        reports,
      });
    } else {
      packets.push({ type: 'rr', ssrc: this.ssrc, reports });
    }
    this.rtcpSentPacketsAtLastReport = this.rtpSent;
    packets.push({ type: 'sdes', chunks: [{ ssrc: this.ssrc, cname: this.cname }] });
    if (bye) packets.push({ type: 'bye', sources: [this.ssrc] });
    return buildRtcp(packets);
  }
}
