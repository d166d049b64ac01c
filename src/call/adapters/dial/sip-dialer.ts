/**
 * OutboundDialer over the SIP UserAgent and the media engine: one `<Sip>` leg per `place()`.
 *
 * ```
 *   binding (RTP pair) ──> inviting ──1xx──> (progress) ──2xx──> answered (MediaPort, SipCall) ──BYE──> ended
 *        │                    │                                     └─ answer SDP unusable: BYE, failed 488
 *        └─ cancel(), bind error ──> failed      └─ 3xx–6xx, 401/407 unanswerable, timeout, transport, DNS ──> failed
 * ```
 * - The offer (RFC 3264 §5) names the request's codecs in order (PCMU, PCMA by default) and RFC 4733
 *   telephone-event, on an RTP pair bound before the INVITE; the MediaPort is built on that pair once
 *   an answer says which codec (RFC 3264 §6.1) and where to send (parseAnswer): the first 1xx with
 *   SDP (183 early media, which DialMedia may relay to the caller) or else the 2xx. Without 100rel the
 *   2xx repeats that answer; a 2xx that changes the codec is unusable (BYE, 488). A 2xx from another
 *   dialog (a forking proxy's other callee) has its own answer: a new MediaPort on the same pair.
 * - Request-URI from the request's structured URI; when its text carries no `;transport=` (the UDP
 *   default, seed 003: "By default, Twilio sends your SIP INVITE over UDP") the transport is added as
 *   a URI parameter so RFC 3263 does not pick another one.
 * - Events reach `runDial` only from the UA's callbacks or a later turn, never from inside `place()`.
 * - The port is closed when the leg fails or its dialog ends.
 */
import { DialtoneError, ErrorCodes, ownedBytes, randomToken, type Clock, type Logger } from '../../../kernel/index.js';
import type { SipHeader } from '../../../markup/index.js';
import {
  buildRtpPacket,
  buildTelephoneEventPackets,
  RtpPacketView,
  RtpParseResult,
  type CodecName,
  type MediaPort,
  type PortAllocator,
} from '../../../media/index.js';
import { createOffer, DEFAULT_OFFER_CODECS, parseAnswer, type NegotiatedMedia } from '../../../sdp/index.js';
import {
  ParamList,
  parseUri,
  type CallFailure,
  type CallProgress,
  type HeaderField,
  type NameAddr,
  type OutgoingCall,
  type Resolver,
  type SipCall,
  type SipResponse,
  type SipUri,
  type UserAgent,
} from '../../../sip/index.js';
import type { LegFailure, OutboundDialer, OutboundLeg, OutboundLegEvents, OutboundLegRequest } from '../../dial/index.js';
import { RtpSocketPair } from './rtp-socket-pair.js';
import { mediaFormatOf } from '../session-media.js';

export interface SipDialerOptions {
  ua: UserAgent;
  /** The engine's RTP port range (MediaServices.allocator). */
  allocator: PortAllocator;
  /** Local address the callee leg's RTP sockets bind to. */
  bindAddress: string;
  /** The address written in our SDP and in From (config `sip.publicAddress`, else the reachable host). */
  publicAddress?: string;
  clock: Clock;
  logger: Logger;
  /** RFC 3263 resolver for the INVITE; default the UserAgent's. */
  resolver?: Resolver;
  /** RTP silence (ms) after which an answered callee is hung up; 0 (default) never. */
  rtpTimeoutMs?: number;
}

/** What DialMedia needs of a leg this dialer placed: its media port once answered. */
export interface SipOutboundLeg extends OutboundLeg {
  /** The callee's MediaPort, from the answer until the leg ends. */
  readonly mediaPort: MediaPort | undefined;
  /** What the offer/answer settled, once answered. */
  readonly negotiated: NegotiatedMedia | undefined;
  /** Resolves when the digits `sendDigits` queued have all been sent (at once when there are none). */
  digitsSent(): Promise<void>;
}

/** `<Number sendDigits>` pacing (Twilio): 100 ms per digit, 100 ms between digits, `w` waits 500 ms. */
const DIGIT_MS = 100;
const DIGIT_GAP_MS = 100;
const DIGIT_WAIT_MS = 500;

export function isSipOutboundLeg(leg: OutboundLeg): leg is SipOutboundLeg {
  return leg instanceof PlacedLeg;
}

export function createSipDialer(options: SipDialerOptions): OutboundDialer {
  return {
    place(request: OutboundLegRequest, events: OutboundLegEvents): OutboundLeg {
      const leg = new PlacedLeg(options, request, events);
      leg.start();
      return leg;
    },
  };
}

type Phase = 'binding' | 'inviting' | 'answered' | 'done';

class PlacedLeg implements SipOutboundLeg {
  readonly sipCallId = `${randomToken(12)}@dialtone`;
  private phase: Phase = 'binding';
  private cancelRequested = false;
  private pair: RtpSocketPair | undefined;
  private outgoing: OutgoingCall | undefined;
  private call: SipCall | undefined;
  private port: MediaPort | undefined;
  private media: NegotiatedMedia | undefined;
  /** The remote tag of the (early) dialog whose 1xx answer `port` was built from. */
  private earlyDialogTag: string | undefined;
  private digits: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(
    private readonly options: SipDialerOptions,
    private readonly request: OutboundLegRequest,
    private readonly events: OutboundLegEvents,
  ) {
    this.logger = options.logger.child({ callSid: request.callSid, sipCallId: this.sipCallId });
  }

  get mediaPort(): MediaPort | undefined {
    return this.port;
  }

  get negotiated(): NegotiatedMedia | undefined {
    return this.media;
  }

  start(): void {
    void this.run().catch((error: unknown) => {
      this.logger.error('the outbound leg failed', { error: String(error) });
      this.fail({ cause: 'transport', status: 503, reason: 'Service Unavailable', headers: [] });
    });
  }

  cancel(): void {
    if (this.phase === 'done' || this.phase === 'answered') return;
    this.cancelRequested = true;
    // RFC 3261 §9.1: the UA sends CANCEL once a provisional response came; before the INVITE went out, nothing is sent.
    this.outgoing?.cancel();
  }

  hangup(): void {
    if (this.phase === 'binding' || this.phase === 'inviting') {
      this.cancel();
      return;
    }
    const call = this.call;
    if (this.phase !== 'answered' || call === undefined || call.isEnded) return;
    // RFC 3261 §15.1.1; `ended('local')` follows from the SipCall's `ended` event.
    void call.bye().catch((error: unknown) => this.logger.warn('BYE failed', { error: String(error) }));
  }

  /**
   * DTMF to the answered callee as RFC 4733 events (§2.5.1: a start packet with the marker, updates,
   * three end packets), on a source of their own that the port maps onto its stream. Queued after
   * any digits still being sent; DialMedia bridges only once they are out, so the caller's audio does
   * not interleave with an event. Without a negotiated telephone-event the digits are not sent.
   */
  sendDigits(digits: string): void {
    this.digits = this.digits.then(() => this.playDigits(digits)).catch((error: unknown) => this.logger.warn('digits not sent', { error: String(error) }));
  }

  digitsSent(): Promise<void> {
    return this.digits;
  }

  private async playDigits(digits: string): Promise<void> {
    const port = this.port;
    const media = this.media;
    if (port === undefined || media === undefined) {
      this.logger.warn('digits for a leg that is not answered; not sent', { digits });
      return;
    }
    const payloadType = media.telephoneEventPayloadType;
    if (payloadType === null) {
      this.logger.warn('the callee did not negotiate telephone-event (RFC 4733); digits not sent', { digits });
      return;
    }
    const clockRate = media.codec.clockRate;
    const clock = this.options.clock;
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
    const view = new RtpPacketView();
    const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
    let sequenceNumber = Math.floor(Math.random() * 0x10000);
    let timestamp = (Math.random() * 0x1_0000_0000) >>> 0;
    for (const character of digits) {
      if (port.isClosed) return;
      if (character === 'w' || character === 'W') {
        await sleep(DIGIT_WAIT_MS);
        continue;
      }
      let packets;
      try {
        packets = buildTelephoneEventPackets({ digit: character, timestamp, clockRate, durationMs: DIGIT_MS });
      } catch {
        this.logger.warn('not a DTMF digit; skipped', { digit: character });
        continue;
      }
      let sentAt = 0;
      for (const packet of packets) {
        if (packet.sendAtMs > sentAt) {
          await sleep(packet.sendAtMs - sentAt);
          sentAt = packet.sendAtMs;
        }
        if (port.isClosed) return;
        const datagram = buildRtpPacket({ payloadType, sequenceNumber, timestamp: packet.timestamp, ssrc, marker: packet.marker }, packet.payload);
        sequenceNumber = (sequenceNumber + 1) & 0xffff;
        if (view.wrap(datagram) === RtpParseResult.ok) port.sendRtp(view);
      }
      // §2.5.1.2: the event covers its duration on the media clock; the next one starts after it.
      timestamp = (timestamp + Math.round(((DIGIT_MS + DIGIT_GAP_MS) * clockRate) / 1000)) >>> 0;
      await sleep(DIGIT_GAP_MS);
    }
  }

  private async run(): Promise<void> {
    const { options, request } = this;
    const target = targetOf(request);
    const proxy = request.outboundProxy === undefined ? undefined : parseUri(request.outboundProxy);
    if (target === undefined || (request.outboundProxy !== undefined && proxy === undefined)) {
      // buildSipInvite made these from parsed markup: an engine bug, not a SIP answer.
      throw new DialtoneError(ErrorCodes.internal, `cannot read ${target === undefined ? request.requestUri.text : request.outboundProxy} as a SIP URI`);
    }
    let pair: RtpSocketPair;
    try {
      pair = await RtpSocketPair.bind(options.allocator, options.bindAddress);
    } catch (error) {
      this.logger.error('no RTP port for the outbound leg', { error: String(error) });
      this.fail({ cause: 'transport', status: 503, reason: 'Service Unavailable (no media port)', headers: [] });
      return;
    }
    this.pair = pair;
    if (this.cancelRequested) {
      this.fail({ cause: 'cancelled', status: 487, reason: 'Request Terminated', headers: [] });
      return;
    }
    const address = sdpAddressOf(options);
    const offer = createOffer({
      sessionId: Date.now(),
      sessionVersion: 1,
      username: 'dialtone',
      address,
      port: pair.port,
      // Seed 002: "Codecs are offered in the order specified."
      codecs: request.codecs.length === 0 ? DEFAULT_OFFER_CODECS : (request.codecs as readonly CodecName[]),
      telephoneEvent: true,
      ptimeMs: 20,
    });
    const from: NameAddr = {
      uri: { scheme: 'sip', user: decodeUser(request.fromUser), host: address, params: new ParamList(), headers: [] },
      params: new ParamList(),
    };
    const headers: HeaderField[] = request.headers.map((header) => ({ name: header.name, value: header.value }));
    this.phase = 'inviting';
    let outgoing: OutgoingCall;
    try {
      outgoing = options.ua.invite({
        target,
        ...(proxy === undefined ? {} : { proxy }),
        from,
        headers,
        body: ownedBytes(offer),
        contentType: 'application/sdp',
        ...(request.credentials === undefined ? {} : { credentials: { username: request.credentials.username, password: request.credentials.password } }),
        // RFC 4028 §7.1: Session-Expires as asked; our Min-SE may not exceed it.
        ...(request.sessionExpires === undefined
          ? {}
          : { sessionTimer: { sessionExpires: request.sessionExpires, minSe: Math.min(90, request.sessionExpires) } }),
        ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
        callId: this.sipCallId,
      });
    } catch (error) {
      // The UserAgent is closing.
      this.logger.warn('the INVITE could not be sent', { error: String(error) });
      this.fail({ cause: 'transport', status: 503, reason: 'Service Unavailable', headers: [] });
      return;
    }
    this.outgoing = outgoing;
    outgoing.on('progress', (progress: CallProgress) => {
      if (this.phase !== 'inviting') return;
      const earlyMedia = progress.remoteSdp !== undefined && progress.remoteSdp.length > 0 && this.openEarlyMedia(progress.remoteSdp, offer, progress.dialog?.id.remoteTag);
      this.events.progress({ status: progress.status, earlyMedia });
    });
    outgoing.on('answered', (call: SipCall, response: SipResponse) => this.onAnswered(call, offer, response));
    outgoing.on('failed', (failure: CallFailure) => this.fail(legFailureOf(failure)));
    if (this.cancelRequested) outgoing.cancel();
  }

  private onAnswered(call: SipCall, offer: string, response: SipResponse): void {
    if (this.phase !== 'inviting') {
      void call.bye();
      return;
    }
    this.call = call;
    const hasSdp = call.remoteSdp !== undefined && call.remoteSdp.length > 0;
    // The early answer binds its own dialog only: behind a forking proxy the 2xx may come from another
    // callee, in another dialog with its own answer (RFC 3261 §13.2.2.4, RFC 3264 §4).
    const early = call.dialog.id.remoteTag === this.earlyDialogTag ? this.media : undefined;
    // A 2xx without SDP after a 183 with one: the early answer stands (RFC 3264 §6: one answer per offer).
    const answer = hasSdp ? parseAnswer(call.remoteSdp!.toString('utf8'), offer) : early === undefined ? undefined : { ok: true as const, media: early };
    const problem =
      answer === undefined
        ? 'the 2xx carried no SDP answer'
        : !answer.ok
          ? answer.reason
          : early !== undefined && (answer.media.codec.payloadType !== early.codec.payloadType || answer.media.telephoneEventPayloadType !== early.telephoneEventPayloadType)
            ? 'the 2xx changed the payload types of the early answer'
            : undefined;
    if (answer === undefined || !answer.ok || problem !== undefined) {
      // A 2xx whose answer we cannot use: the dialog exists, so it is ended (RFC 3261 §15), and the
      // leg counts as not connected (RFC 3264 §6: "not acceptable here").
      this.logger.warn('unusable SDP answer; hanging up', { reason: problem });
      void call.bye([{ name: 'Reason', value: 'SIP;cause=488;text="Not Acceptable Here"' }]).catch(() => undefined);
      this.fail({ cause: 'response', status: 488, reason: `Not Acceptable Here (${problem})`, headers: [] });
      return;
    }
    const media = answer.media;
    // Another dialog's early-media port gives way to a port for this answer (its codec, its peer).
    let port = early === undefined ? undefined : this.port;
    if (port === undefined) {
      port = this.openPort(media);
    } else if (media.remote.address !== early?.remote.address || media.remote.port !== early.remote.port) {
      port.setRemote({ address: media.remote.address, port: media.remote.port }, { address: media.remote.rtcpAddress, port: media.remote.rtcpPort });
    }
    // Armed only now: early media may pause while the callee rings.
    port.setRtpTimeout(this.options.rtpTimeoutMs ?? 0);
    port.on('timeout', () => {
      this.logger.info('no RTP from the callee: hanging up');
      this.hangup();
    });
    this.port = port;
    this.media = media;
    this.phase = 'answered';
    // Settled: cancel() no longer applies, and the OutgoingCall (its INVITE, its 2xx) need not live as long as the call.
    this.outgoing = undefined;
    call.on('ended', (end) => {
      if (this.phase !== 'answered') return;
      this.phase = 'done';
      port.close();
      this.events.ended(end.by === 'local' ? 'local' : 'remote');
    });
    // The 2xx's own status and headers (DialSipHeader_<name> for its X- headers, as for a failure).
    this.events.answered({ status: response.status, headers: response.headers.map((header) => ({ name: header.name, value: header.value })) });
    // A BYE that came before we listened (the dialog can end in the same turn as the 2xx).
    if (call.isEnded && this.phase === 'answered') {
      this.phase = 'done';
      port.close();
      this.events.ended('remote');
    }
  }

  /**
   * The first 1xx with SDP (RFC 3261 §13.2.1: early media): the MediaPort is built from that answer so
   * DialMedia can relay it. False when it is not usable (the 2xx's answer is then awaited).
   */
  private openEarlyMedia(sdp: Buffer, offer: string, dialogTag: string | undefined): boolean {
    if (this.port !== undefined) return true;
    const answer = parseAnswer(sdp.toString('utf8'), offer);
    if (!answer.ok) {
      this.logger.info('early SDP answer not usable; waiting for the 2xx', { reason: answer.reason });
      return false;
    }
    this.port = this.openPort(answer.media);
    this.media = answer.media;
    this.earlyDialogTag = dialogTag;
    return true;
  }

  /** The leg's MediaPort on the bound pair; its RTP timeout is armed at the answer. */
  private openPort(media: NegotiatedMedia): MediaPort {
    return this.pair!.open({
      clock: this.options.clock,
      logger: this.logger,
      format: mediaFormatOf(media.codec),
      ...(media.telephoneEventPayloadType === null ? {} : { telephoneEventPayloadType: media.telephoneEventPayloadType }),
      remote: { address: media.remote.address, port: media.remote.port },
      remoteRtcp: { address: media.remote.rtcpAddress, port: media.remote.rtcpPort },
      rtpTimeoutMs: 0,
    });
  }

  private fail(failure: LegFailure): void {
    if (this.phase === 'done' || this.phase === 'answered') return;
    this.phase = 'done';
    this.outgoing = undefined;
    // An early-media port goes with the leg; otherwise the unused socket pair.
    this.port?.close();
    this.pair?.release();
    // Never from inside place() or cancel(): a later turn.
    queueMicrotask(() => this.events.failed(failure));
  }
}

/** The UA's failure causes in the port's terms: locate → dns, rejected and auth → response, closed → transport. */
function legFailureOf(failure: CallFailure): LegFailure {
  const cause: LegFailure['cause'] =
    failure.cause === 'rejected' || failure.cause === 'auth'
      ? 'response'
      : failure.cause === 'locate'
        ? 'dns'
        : failure.cause === 'closed'
          ? 'transport'
          : failure.cause;
  const headers: SipHeader[] = (failure.response?.headers ?? []).map((header) => ({ name: header.name, value: header.value }));
  return { cause, status: failure.status, reason: failure.reason, headers };
}

/** The Request-URI; the transport as a URI parameter when the text leaves it to the default. */
function targetOf(request: OutboundLegRequest): SipUri | undefined {
  const uri = parseUri(request.requestUri.text);
  if (uri === undefined) return undefined;
  if (!uri.params.has('transport') && uri.scheme === 'sip') uri.params.set('transport', request.requestUri.transport);
  return uri;
}

function sdpAddressOf(options: SipDialerOptions): string {
  if (options.publicAddress !== undefined) return options.publicAddress;
  const bind = options.bindAddress;
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
}

/** `fromUser` is %-escaped for the wire; the SIP URI model holds it decoded and escapes it again. */
function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}
