/**
 * LegMedia over the media engine: one RTP port per call leg.
 *
 * - The SDP answer is negotiated from the INVITE's offer with the codecs we can transcode in process
 *   (PCMU, PCMA, G.722; RFC 3264 §6.1: the offer's first one we support) and RFC 4733 telephone-event.
 * - Outbound audio: the PromptPlayer paces 20 ms frames on the Clock; each frame is encoded with the
 *   negotiated codec and sent as one RTP packet (RFC 3550 §5.1: one SSRC, sequence +1 per packet,
 *   timestamp along the media clock, advanced by the wall time between prompts, marker bit at the start
 *   of each talkspurt, RFC 3551 §4.1). Nothing is sent while nothing plays.
 * - `play`: say → the speech synthesiser; url → the AudioLoader (cached); digits → RFC 4733 events
 *   (in-band tones when telephone-event was not negotiated); beep → a 500 ms 1 kHz tone. Every one
 *   honours the AbortSignal.
 * - Digits: RFC 4733 events when negotiated, else in-band detection (Goertzel) on the decoded audio —
 *   not both, so a phone that sends both does not press each key twice.
 * - `record`: a CallRecorder in `<dataDir>/recordings`, a recording row in the store, the leg's own
 *   silence detection for `<Record timeout>`.
 * - RTP timeout (armed at the answer): the caller is treated as gone (`gone` listeners).
 * - Late offer (an INVITE without SDP, RFC 3261 §13.2.1): `openLateOfferMediaLeg` binds the RTP pair and
 *   writes our offer for the 200; until the ACK's answer (`acceptAnswer`) fixes the codec and the
 *   remote address the leg's port is a detached one that sends nowhere (no early media can reach a
 *   caller who has no answer of ours), then the real port is built on the pair and the leg works as
 *   any other; what follows the leg's port (`followPort`: a recording's taps) moves to it. An
 *   offerless re-INVITE (§14.2) gets our current description as an offer (`reoffer`),
 *   and the ACK's answer to it goes to `acceptAnswer` as well.
 *
 * Owns its port and player; `close()` is idempotent and stops whatever plays or records.
 */
import { mkdir } from 'node:fs/promises';
import { ErrorCodes, newSid, ownedBytes, type Clock, type Logger } from '../../kernel/index.js';
import {
  buildRtpPacket,
  buildTelephoneEventPackets,
  createPayloadCodec,
  Downsampler16to8,
  generateDtmfSequence,
  findCodec,
  InbandDtmfDetector,
  MediaPort,
  openMediaPort,
  RtpPacketView,
  RtpParseResult,
  TelephoneEventReceiver,
  type CodecName,
  type DatagramSocket,
  type DetectedDigit,
  type MediaFormat,
  type PayloadCodec,
} from '../../media/index.js';
import { PcmSource, PromptPlayer, type AudioSource } from '../../media/playback/index.js';
import { CallRecorder } from '../../media/recording/index.js';
import { createOffer, negotiateAnswer, negotiateOffer, parseAnswer, withoutOrigin, type NegotiatedMedia } from '../../sdp/index.js';
import { mediaFormatOf, newSessionOrigin } from './session-media.js';
import { wait } from '../interruption.js';
import type { LegMedia, PlayOutcome, PlaySource, RecordingResult, RecordOptions } from '../leg.js';
import type { MediaServices } from './media-services.js';
import { RtpSocketPair } from './dial/rtp-socket-pair.js';

/** The codecs a leg that plays prompts can speak: those with an in-process codec. */
export const LEG_CODECS: readonly CodecName[] = ['PCMU', 'PCMA', 'G722'];

/** Our SSRC before the port's rewriter maps it onto the port's own (one stream, one source). */
const INTERNAL_SSRC = 0x4449_414c;
/** A frame whose peak is at or below this counts as silence for `<Record timeout>` (about −34 dBFS). */
const SILENCE_PEAK = 600;
/** RFC 4733 digit length and the gap after it (Twilio's sendDigits pace). */
const DIGIT_MS = 100;
const DIGIT_GAP_MS = 100;
/** `w` in `<Play digits>`: half a second (Twilio). */
const DIGIT_WAIT_MS = 500;

export interface MediaLegIdentity {
  callSid: string;
  accountSid: string;
}

export interface OpenMediaLegOptions {
  /** The caller's SDP offer. */
  offerSdp: string;
  /** The address written in our SDP (c=). */
  sdpAddress: string;
  logger: Logger;
}

export type OpenMediaLegResult = { ok: true; leg: MediaLeg; answerSdp: Buffer } | { ok: false; status: number; reason: string };

/** Negotiates the offer, opens the RTP port and returns the leg with our SDP answer. */
export async function openMediaLeg(services: MediaServices, options: OpenMediaLegOptions): Promise<OpenMediaLegResult> {
  const origin = newSessionOrigin();
  // The port is opened for the chosen codec, and the answer written once it has its number.
  const negotiated = negotiateOffer(options.offerSdp, { ...origin, address: options.sdpAddress, codecs: LEG_CODECS, ptimeMs: 20 });
  if (!negotiated.ok) return { ok: false, status: negotiated.status, reason: negotiated.reason };
  const { codec } = negotiated.media;
  const port = await openMediaPort({
    allocator: services.allocator,
    bindAddress: services.bindAddress,
    clock: services.clock,
    logger: options.logger,
    format: formatOf(codec),
    ...(negotiated.media.telephoneEventPayloadType === null ? {} : { telephoneEventPayloadType: negotiated.media.telephoneEventPayloadType }),
    remote: { address: negotiated.media.remote.address, port: negotiated.media.remote.port },
    remoteRtcp: { address: negotiated.media.remote.rtcpAddress, port: negotiated.media.remote.rtcpPort },
    // Armed at the answer: before it the caller has no reason to send anything.
    rtpTimeoutMs: 0,
  });
  const answerSdp = negotiated.writeAnswer(port.local.port);
  const leg = new MediaLeg(services, port, negotiated.media, options.logger, { ...origin, address: options.sdpAddress, sdp: answerSdp, offered: false });
  return { ok: true, leg, answerSdp: ownedBytes(answerSdp) };
}

export interface OpenLateOfferMediaLegOptions {
  /** The address written in our SDP (c=). */
  sdpAddress: string;
  logger: Logger;
}

/**
 * For an INVITE without an offer (RFC 3261 §13.2.1): binds the RTP pair from the engine's range and
 * returns the leg, waiting for its answer, with our offer for the 200 — every codec a leg can speak and
 * RFC 4733 telephone-event (RFC 3264 §5). The ACK's answer goes to `leg.acceptAnswer`.
 */
export async function openLateOfferMediaLeg(services: MediaServices, options: OpenLateOfferMediaLegOptions): Promise<{ leg: MediaLeg; offerSdp: Buffer }> {
  const pair = await RtpSocketPair.bind(services.allocator, services.bindAddress);
  const origin = newSessionOrigin();
  const offerSdp = createOffer({ ...origin, address: options.sdpAddress, port: pair.port, codecs: LEG_CODECS, ptimeMs: 20 });
  const placeholder = new MediaPort({ rtp: detachedSocket, clock: services.clock, format: formatOf(UNSETTLED.codec), rtpTimeoutMs: 0, rtcpIntervalMs: 0, logger: options.logger });
  const leg = new MediaLeg(services, placeholder, UNSETTLED, options.logger, { ...origin, address: options.sdpAddress, sdp: offerSdp, offered: true }, pair);
  return { leg, offerSdp: ownedBytes(offerSdp) };
}

/** What the ACK's answer did: settled the media, or was missing or unusable (ErrorCodes.sdp*). */
export type AnswerOutcome = { ok: true } | { ok: false; code: number; reason: string };

/** A socket that neither sends nor receives: the port of a late-offer leg before its answer. */
const detachedSocket: DatagramSocket = {
  onMessage: () => undefined,
  onError: () => undefined,
  send: (_message, _port, _address, done) => done?.(null),
  connect: (_port, _address, done) => done(),
  sendConnected: () => undefined,
  disconnect: () => undefined,
  close: () => undefined,
  local: () => ({ address: '0.0.0.0', port: 0 }),
};

/** A late-offer leg before its answer: our first codec, no peer, nothing to send or expect (RFC 3264 §4: nothing is agreed yet). */
const UNSETTLED: NegotiatedMedia = (() => {
  const info = findCodec(LEG_CODECS[0]!)!;
  return {
    codec: { name: info.name, payloadType: info.defaultPayloadType, clockRate: info.clockRate, sampleRate: info.sampleRate, channels: info.channels, ptimeMs: 20, fmtp: null },
    telephoneEventPayloadType: null,
    remote: { address: '0.0.0.0', family: 'IP4', port: 9, rtcpAddress: '0.0.0.0', rtcpPort: 10 },
    direction: 'inactive',
    remoteHold: true,
    mediaIndex: 0,
    remoteOrigin: { username: '-', sessionId: '0', sessionVersion: '0' },
  };
})();

/** The leg's port format: what it sends itself (prompts, tones) are 20 ms frames, whatever ptime was offered. */
function formatOf(codec: NegotiatedMedia['codec']): MediaFormat {
  return mediaFormatOf(codec, 20);
}

/** What a re-INVITE's offer gets: our SDP answer, or a refusal status (488). */
export type MediaReoffer = { sdp: Buffer } | { status: number; reason: string };

interface LocalDescription {
  sessionId: string;
  sessionVersion: number;
  username: string;
  address: string;
  /** The last SDP we sent (empty for a leg made from our own offer elsewhere, an outbound leg). */
  sdp: string;
  /** Whether `sdp` was our offer (a late-offer call) rather than our answer to the caller's. */
  offered: boolean;
}

export class MediaLeg implements LegMedia {
  /** Who the leg belongs to, for recordings; set by the wiring once the call exists. */
  identity: MediaLegIdentity | undefined;
  /** Where problems the application should hear about go (a `<Play>` URL that fails, a synthesis error). */
  onProblem: (errorCode: number, message: string) => void = () => undefined;

  private readonly services: MediaServices;
  private readonly clock: Clock;
  private readonly logger: Logger;
  // The port and everything the codec decides: set by `use`, once, or twice for a late offer (a
  // detached port until the ACK's answer names the codec).
  private mediaPort!: MediaPort;
  private media!: NegotiatedMedia;
  private codec!: PayloadCodec;
  private player!: PromptPlayer;
  private unitsPerFrame = 0;
  private payloadBuffer = new Uint8Array(0);
  private downsampler: Downsampler16to8 | undefined;
  private eventReceiver: TelephoneEventReceiver | undefined;
  private inband: InbandDtmfDetector | undefined;
  private readonly view = new RtpPacketView();
  private sequenceNumber = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x1_0000_0000);
  private lastSentAt: number | undefined;
  private marker = true;
  private decodeBuffer = new Int16Array(320);
  private downsampleBuffer = new Int16Array(160);
  private readonly digitListeners = new Set<(digit: string) => void>();
  private readonly audioListeners = new Set<(pcm: Int16Array) => void>();
  /** Whether onPacket is on the port (see listenForAudio). */
  private hearingAudio = false;
  private readonly goneListeners = new Set<() => void>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;
  private answered = false;
  private held = false;
  private readonly local: LocalDescription;
  /** Our offer whose answer the ACK brings (late offer, offerless re-INVITE). */
  private pendingOffer: string | undefined;
  /** A late-offer leg's RTP pair, until the answer builds the port on it. */
  private unsettledPair: RtpSocketPair | undefined;
  /** Taps that follow the leg onto each port it uses (`followPort`), with the current attachment's detach. */
  private readonly portFollowers = new Set<{ attach: (port: MediaPort) => () => void; detach: () => void }>();

  /**
   * `local`: our SDP as sent (session id and version, the c= address), for re-INVITEs; a leg made from
   * our own offer (an outbound leg) may leave it out and re-INVITEs are then answered from the port's
   * address. `pair`: a late-offer leg's RTP pair, `local.sdp` being our offer on it.
   */
  constructor(services: MediaServices, port: MediaPort, negotiated: NegotiatedMedia, logger: Logger, local?: LocalDescription, pair?: RtpSocketPair) {
    this.services = services;
    this.local = local === undefined
      ? { ...newSessionOrigin(), address: port.local.address, sdp: '', offered: false }
      : { ...local };
    this.clock = services.clock;
    this.logger = logger;
    this.unsettledPair = pair;
    if (pair !== undefined) this.pendingOffer = this.local.sdp;
    this.use(port, negotiated);
  }

  /** The leg's RTP port (a detached one while a late offer waits for its answer). */
  get port(): MediaPort {
    return this.mediaPort;
  }

  /** The media agreed with the caller. */
  get negotiated(): NegotiatedMedia {
    return this.media;
  }

  /** PCM rate of the leg's audio (8000, 16000 for G.722). */
  get sampleRate(): number {
    return this.codec.sampleRate;
  }

  /**
   * Calls `attach` with the leg's port now and with each port that replaces it (a late offer's answer),
   * after detaching from the previous one, so that a recording keeps hearing the leg. The function
   * returned detaches and stops following.
   */
  followPort(attach: (port: MediaPort) => () => void): () => void {
    const follower = { attach, detach: attach(this.mediaPort) };
    this.portFollowers.add(follower);
    return () => {
      if (this.portFollowers.delete(follower)) follower.detach();
    };
  }

  /** Takes `port` with the codec of `negotiated`: the encoder, the player, the digit detection and the followers move to it. */
  private use(port: MediaPort, negotiated: NegotiatedMedia): void {
    const previous = this.mediaPort as MediaPort | undefined;
    if (previous !== undefined) {
      for (const follower of this.portFollowers) follower.detach();
      previous.close();
      this.player.close();
      this.codec.close();
    }
    this.mediaPort = port;
    for (const follower of this.portFollowers) follower.detach = follower.attach(port);
    this.media = negotiated;
    this.codec = createPayloadCodec(negotiated.codec.name);
    const sampleRate = this.codec.sampleRate;
    this.unitsPerFrame = Math.round((negotiated.codec.clockRate * 20) / 1000);
    this.payloadBuffer = new Uint8Array(Math.ceil((sampleRate * 20) / 1000 / this.codec.samplesPerByte));
    this.player = new PromptPlayer({ clock: this.clock, sampleRate, logger: this.logger });
    this.player.on('frame', this.onFrame);
    const onDigit = (digit: DetectedDigit): void => this.emitDigit(digit.digit);
    this.eventReceiver = undefined;
    this.inband = undefined;
    this.downsampler = undefined;
    if (negotiated.telephoneEventPayloadType !== null) {
      this.eventReceiver = new TelephoneEventReceiver({ onDigit, clockRate: negotiated.codec.clockRate });
    } else {
      this.inband = new InbandDtmfDetector({ onDigit });
      if (sampleRate === 16000) this.downsampler = new Downsampler16to8();
    }
    this.hearingAudio = false;
    this.listenForAudio();
    port.on('dtmf-packet', this.onEventPacket);
    port.on('timeout', () => {
      this.logger.info('no RTP from the caller: treating the caller as gone', { rtpTimeoutMs: this.services.rtpTimeoutMs });
      for (const listener of [...this.goneListeners]) this.isolate(listener, undefined);
    });
  }

  /** Our SDP as last sent (the 200's answer, or offer for a late-offer call); empty for a leg made from our own offer. */
  get localSdp(): Buffer {
    return ownedBytes(this.local.sdp);
  }

  /** Starts the RTP timeout (media.rtpTimeoutSeconds); the wiring calls it once the call is answered. */
  armRtpTimeout(): void {
    this.answered = true;
    if (this.services.rtpTimeoutMs > 0 && !this.held) this.port.setRtpTimeout(this.services.rtpTimeoutMs);
  }

  /** Whether the caller holds the call (their last offer was sendonly, inactive, or c=0.0.0.0). */
  get onHold(): boolean {
    return this.held;
  }

  /**
   * A re-INVITE's offer (RFC 3264 §8): hold and resume, a new address. The codec stays (the port's
   * format is fixed), so an offer without it is refused 488 (§8.3.2 lets the answerer refuse and the
   * old session then stays). An offerless re-INVITE (RFC 3261 §14.2) gets our current description as
   * an offer, whose answer comes in the ACK (`acceptAnswer`).
   * While held (§8.4) the RTP timeout is off: a holding phone sends nothing.
   */
  reoffer(offer: Buffer | undefined): MediaReoffer {
    if (this.closed) return { status: 481, reason: 'Call Does Not Exist' };
    if (offer === undefined) {
      if (this.local.sdp === '') return { status: 488, reason: 'an offer is required' };
      const current = this.currentDescription();
      this.pendingOffer = current;
      return { sdp: ownedBytes(current) };
    }
    const result = negotiateAnswer(offer.toString('utf8'), {
      sessionId: this.local.sessionId,
      sessionVersion: this.local.sessionVersion + 1,
      username: this.local.username,
      address: this.local.address,
      port: this.port.local.port,
      codecs: [this.negotiated.codec.name],
      ptimeMs: 20,
    });
    if (!result.ok) return { status: result.status, reason: result.reason };
    if (!this.samePayloadTypes(result.media)) return { status: 488, reason: 'payload types cannot change during the call' };
    // §8: the version moves only when the description does, and ours did (direction, perhaps port).
    this.local.sessionVersion++;
    this.local.sdp = result.answerSdp;
    this.local.offered = false;
    this.pendingOffer = undefined;
    this.applyRemote(result.media);
    return { sdp: ownedBytes(result.answerSdp) };
  }

  /**
   * The ACK's answer to the offer we put in a 200 (RFC 3264 §4 via RFC 3261 §13.2.1 and §14.2). The
   * first one fixes the codec: the real port is built on the bound pair with it and the remote address.
   * A later one (an offerless re-INVITE's) may move the remote address or hold; its codec must stay.
   * A missing or unusable answer changes nothing (RFC 3264 offers no way to refuse an answer: a call
   * whose first answer fails is for the wiring to end).
   */
  acceptAnswer(answer: Buffer | undefined): AnswerOutcome {
    const offer = this.pendingOffer;
    if (offer === undefined || this.closed) return { ok: false, code: ErrorCodes.internal, reason: 'no offer of ours is waiting for an answer' };
    if (answer === undefined) return { ok: false, code: ErrorCodes.sdpNotAcceptable, reason: 'the ACK carried no SDP answer to our offer (RFC 3261 §13.2.1)' };
    const parsed = parseAnswer(answer.toString('utf8'), offer);
    if (!parsed.ok) return { ok: false, code: parsed.code, reason: `the SDP answer in the ACK is not usable: ${parsed.reason}` };
    const pair = this.unsettledPair;
    if (pair === undefined && !this.samePayloadTypes(parsed.media)) {
      return { ok: false, code: ErrorCodes.sdpNotAcceptable, reason: 'the SDP answer in the ACK changes the payload types of the call' };
    }
    this.pendingOffer = undefined;
    if (pair !== undefined) {
      this.unsettledPair = undefined;
      const { codec, telephoneEventPayloadType, remote, remoteHold } = parsed.media;
      const port = pair.open({
        clock: this.clock,
        logger: this.logger,
        format: formatOf(codec),
        ...(telephoneEventPayloadType === null ? {} : { telephoneEventPayloadType }),
        // A held answer (c=0.0.0.0) names nowhere to send to.
        ...(remoteHold ? {} : { remote: { address: remote.address, port: remote.port }, remoteRtcp: { address: remote.rtcpAddress, port: remote.rtcpPort } }),
        // Armed at the answer, by the wiring.
        rtpTimeoutMs: 0,
      });
      this.use(port, parsed.media);
    }
    this.applyRemote(parsed.media);
    return { ok: true };
  }

  /** Whether `media` keeps the codec and telephone-event payload types the port was built with. */
  private samePayloadTypes(media: NegotiatedMedia): boolean {
    return media.codec.payloadType === this.negotiated.codec.payloadType && media.telephoneEventPayloadType === this.negotiated.telephoneEventPayloadType;
  }

  /** The peer's latest description: its address (unless it holds with c=0.0.0.0) and whether it holds us. */
  private applyRemote(media: NegotiatedMedia): void {
    const remote = media.remote;
    if (!media.remoteHold && (remote.address !== this.negotiated.remote.address || remote.port !== this.negotiated.remote.port)) {
      this.port.setRemote({ address: remote.address, port: remote.port }, { address: remote.rtcpAddress, port: remote.rtcpPort });
    }
    this.media = media;
    const held = media.remoteHold || media.direction === 'recvonly' || media.direction === 'inactive';
    if (held !== this.held) {
      this.held = held;
      this.logger.info(held ? 'the caller holds the call' : 'the caller resumed the call');
      if (held) this.port.setRtpTimeout(0);
      else if (this.answered) this.armRtpTimeout();
    }
  }

  /**
   * Our session as it is, as an offer. After our answer that is the answer itself (it names the one
   * codec in use). After a late offer, whose first offer listed every codec, it is an offer of the
   * codec in use alone, under a new o= version since it differs (RFC 3264 §8).
   */
  private currentDescription(): string {
    if (!this.local.offered) return this.local.sdp;
    const build = (sessionVersion: number): string =>
      createOffer({
        sessionId: this.local.sessionId,
        sessionVersion,
        username: this.local.username,
        address: this.local.address,
        port: this.port.local.port,
        codecs: [this.negotiated.codec.name],
        telephoneEvent: this.negotiated.telephoneEventPayloadType !== null,
        ptimeMs: 20,
      });
    let offer = build(this.local.sessionVersion);
    if (withoutOrigin(offer) !== withoutOrigin(this.local.sdp)) offer = build(++this.local.sessionVersion);
    this.local.sdp = offer;
    return offer;
  }

  /** The caller stopped sending RTP for longer than the timeout. Returns the function that stops listening. */
  onGone(listener: () => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // --------------------------------------------------------------------------------------- play

  async play(source: PlaySource, signal: AbortSignal): Promise<PlayOutcome> {
    if (signal.aborted || this.closed) return 'interrupted';
    switch (source.kind) {
      case 'say': {
        const request = {
          text: source.text,
          ...(source.voice === undefined ? {} : { voice: source.voice }),
          ...(source.language === undefined ? {} : { language: source.language }),
        };
        let speech;
        try {
          speech = await this.services.speech(this.sampleRate).synthesize(request, { signal });
        } catch (error) {
          if (signal.aborted) return 'interrupted';
          this.problem(error, `<Say> could not be synthesised: ${String(error)}`);
          return 'finished';
        }
        return this.playSources([new PcmSource(speech.samples, { sampleRate: this.sampleRate })], signal);
      }
      case 'url': {
        let audio;
        try {
          audio = await this.services.loader(this.sampleRate).load(source.url, { signal });
        } catch (error) {
          if (signal.aborted) return 'interrupted';
          this.problem(error, `<Play> ${source.url} could not be played: ${String(error)}`);
          return 'finished';
        }
        return this.playSources([new PcmSource(audio.samples, { sampleRate: this.sampleRate })], signal);
      }
      case 'beep':
        return this.playSources([new PcmSource(beep(this.sampleRate), { sampleRate: this.sampleRate })], signal);
      case 'digits':
        if (this.negotiated.telephoneEventPayloadType === null) {
          const tones = generateDtmfSequence(source.digits.replace(/[^0-9*#a-dw]/gi, ''), { sampleRate: this.sampleRate });
          return this.playSources([new PcmSource(tones, { sampleRate: this.sampleRate })], signal);
        }
        return this.sendDigits(source.digits, this.negotiated.telephoneEventPayloadType, signal);
    }
  }

  private async playSources(sources: AudioSource[], signal: AbortSignal): Promise<PlayOutcome> {
    if (signal.aborted || this.closed) return 'interrupted';
    this.beginTalkspurt();
    try {
      const result = await this.player.play(sources, { signal });
      return result.outcome === 'finished' && !this.closed ? 'finished' : 'interrupted';
    } catch (error) {
      // The player closed under us (the call is ending).
      if (!this.closed) this.logger.warn('prompt could not play', { error: String(error) });
      return 'interrupted';
    }
  }

  /** RFC 4733 §2.5.1: each digit as an event (start with marker, updates, three end packets). */
  private async sendDigits(digits: string, payloadType: number, signal: AbortSignal): Promise<PlayOutcome> {
    this.player.stop();
    for (const character of digits) {
      if (signal.aborted || this.closed) return 'interrupted';
      if (character === 'w' || character === 'W') {
        if ((await wait(this.clock, DIGIT_WAIT_MS, signal)) !== 'elapsed') return 'interrupted';
        continue;
      }
      let packets;
      try {
        this.beginTalkspurt();
        packets = buildTelephoneEventPackets({ digit: character, timestamp: this.timestamp, clockRate: this.negotiated.codec.clockRate, durationMs: DIGIT_MS });
      } catch {
        this.logger.warn('not a DTMF digit; skipped', { digit: character });
        continue;
      }
      let sentAt = 0;
      for (const packet of packets) {
        if (packet.sendAtMs > sentAt) {
          if ((await wait(this.clock, packet.sendAtMs - sentAt, signal)) !== 'elapsed') return 'interrupted';
          sentAt = packet.sendAtMs;
        }
        if (this.closed) return 'interrupted';
        this.send(payloadType, packet.payload, packet.timestamp, packet.marker);
      }
      // The audio clock moves on by the event's length (§2.5.1.2: the event covers those samples).
      this.timestamp = (this.timestamp + Math.round((DIGIT_MS * this.negotiated.codec.clockRate) / 1000)) >>> 0;
      if ((await wait(this.clock, DIGIT_GAP_MS, signal)) !== 'elapsed') return 'interrupted';
    }
    return 'finished';
  }

  /** A new talkspurt: the timestamp catches up with the wall time since the last packet; marker set. */
  private beginTalkspurt(): void {
    if (this.lastSentAt !== undefined) {
      const elapsed = Math.round(((this.clock.monotonic() - this.lastSentAt) * this.negotiated.codec.clockRate) / 1000);
      if (elapsed > this.unitsPerFrame) this.timestamp = (this.timestamp + elapsed - this.unitsPerFrame) >>> 0;
    }
    this.marker = true;
  }

  private readonly onFrame = (frame: Int16Array): void => {
    const length = this.codec.encode(frame, this.payloadBuffer);
    this.send(this.negotiated.codec.payloadType, this.payloadBuffer.subarray(0, length), this.timestamp, this.marker);
    this.marker = false;
    this.timestamp = (this.timestamp + this.unitsPerFrame) >>> 0;
  };

  private send(payloadType: number, payload: Uint8Array, timestamp: number, marker: boolean): void {
    if (this.closed) return;
    const datagram = buildRtpPacket({ payloadType, sequenceNumber: this.sequenceNumber, timestamp, ssrc: INTERNAL_SSRC, marker }, payload);
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.lastSentAt = this.clock.monotonic();
    if (this.view.wrap(datagram) !== RtpParseResult.ok) return;
    this.port.sendRtp(this.view);
  }

  // ------------------------------------------------------------------------------------- receive

  onDigit(listener: (digit: string) => void): () => void {
    this.digitListeners.add(listener);
    this.listenForAudio();
    return () => {
      this.digitListeners.delete(listener);
      this.listenForAudio();
    };
  }

  /**
   * The leg hears its port's audio only while a digit or audio listener needs it (decoding, in-band
   * detection, RFC 4733 expiry): a bridged leg's audio can then stay on the I/O thread (MediaPort.relayTo).
   */
  private listenForAudio(): void {
    const wanted = !this.closed && (this.digitListeners.size > 0 || this.audioListeners.size > 0);
    if (wanted === this.hearingAudio) return;
    this.hearingAudio = wanted;
    if (wanted) this.mediaPort.on('packet', this.onPacket);
    else this.mediaPort.off('packet', this.onPacket);
  }

  private emitDigit(digit: string): void {
    for (const listener of [...this.digitListeners]) this.isolate(listener, digit);
  }

  /** On the port only while something listens for digits or audio (listenForAudio): decoding costs more than relaying. */
  private readonly onPacket = (packet: RtpPacketView): void => {
    const payload = packet.payload();
    const needed = payload.length * this.codec.samplesPerByte;
    if (needed > this.decodeBuffer.length) this.decodeBuffer = new Int16Array(needed);
    const samples = this.codec.decode(payload, this.decodeBuffer);
    const pcm = this.decodeBuffer.subarray(0, samples);
    this.eventReceiver?.expire(this.clock.monotonic());
    if (this.inband !== undefined) {
      if (this.downsampler !== undefined) {
        if (this.downsampleBuffer.length < samples) this.downsampleBuffer = new Int16Array(samples);
        const written = this.downsampler.process(pcm, this.downsampleBuffer);
        this.inband.process(this.downsampleBuffer.subarray(0, written));
      } else {
        this.inband.process(pcm);
      }
    }
    // No closure per packet and listener: isolate() takes the argument.
    for (const listener of this.audioListeners) this.isolate(listener, pcm);
  };

  private readonly onEventPacket = (packet: RtpPacketView): void => {
    this.eventReceiver?.receive(packet.payload(), packet.timestamp, this.clock.monotonic());
  };

  // -------------------------------------------------------------------------------------- record

  async record(options: RecordOptions, signal: AbortSignal): Promise<RecordingResult> {
    const identity = this.identity;
    if (identity === undefined) throw new Error('the media leg has no call yet');
    const recordingSid = newSid('RE');
    const recordingUrl = this.services.recordingUrl(identity.accountSid, recordingSid);
    const path = this.services.recordingPath(recordingSid);
    const empty: RecordingResult = { recordingSid, recordingUrl, durationSeconds: 0, endedBy: 'stopped' };
    const recorder = new CallRecorder({ path, clock: this.clock, sampleRate: this.sampleRate, trimSilence: options.trimSilence, logger: this.logger });
    try {
      await mkdir(this.services.recordingsDir, { recursive: true });
      await this.services.recordings.create({
        sid: recordingSid,
        accountSid: identity.accountSid,
        callSid: identity.callSid,
        filePath: path,
        source: 'RecordVerb',
        track: 'inbound',
        channels: 1,
        startTime: this.clock.now(),
      });
      await recorder.start();
    } catch (error) {
      this.problem(error, `<Record> could not start: ${String(error)}`);
      await recorder.close().catch(() => undefined);
      await this.services.recordings.update(recordingSid, { status: 'failed' }).catch(() => undefined);
      return empty;
    }
    const endedBy = await new Promise<'silence' | 'stopped'>((resolve) => {
      const silenceMs = options.silenceTimeoutSeconds * 1000;
      let lastVoiceAt = this.clock.monotonic();
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const finish = (why: 'silence' | 'stopped'): void => {
        this.audioListeners.delete(onAudio);
        this.listenForAudio();
        this.closeListeners.delete(onClose);
        signal.removeEventListener('abort', onClose);
        this.clock.clearTimeout(timer);
        resolve(why);
      };
      const onAudio = (pcm: Int16Array): void => {
        recorder.write('caller', pcm);
        if (peak(pcm) > SILENCE_PEAK) lastVoiceAt = this.clock.monotonic();
      };
      const onClose = (): void => finish('stopped');
      const check = (): void => {
        const quietFor = this.clock.monotonic() - lastVoiceAt;
        if (quietFor >= silenceMs) finish('silence');
        else timer = this.clock.setTimeout(check, silenceMs - quietFor);
      };
      if (signal.aborted || this.closed) {
        resolve('stopped');
        return;
      }
      this.audioListeners.add(onAudio);
      this.listenForAudio();
      this.closeListeners.add(onClose);
      signal.addEventListener('abort', onClose, { once: true });
      if (silenceMs > 0) timer = this.clock.setTimeout(check, silenceMs);
    });
    try {
      const result = await recorder.close();
      const durationSeconds = Math.round(result.durationSeconds);
      await this.services.recordings.update(recordingSid, { status: 'completed', duration: durationSeconds }).catch((error: unknown) =>
        this.logger.error('recording row not updated', { recordingSid, error: String(error) }));
      return { recordingSid, recordingUrl, durationSeconds, endedBy };
    } catch (error) {
      this.problem(error, `<Record> could not be written: ${String(error)}`);
      await this.services.recordings.update(recordingSid, { status: 'failed' }).catch(() => undefined);
      return { ...empty, endedBy };
    }
  }

  // -------------------------------------------------------------------------------------- close

  /** Stops playback and recording, closes the port (RTCP BYE); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.closeListeners]) this.isolate(listener, undefined);
    this.goneListeners.clear();
    this.digitListeners.clear();
    this.player.close();
    this.port.close();
    this.unsettledPair?.release();
    this.unsettledPair = undefined;
  }

  private problem(error: unknown, message: string): void {
    const code = typeof (error as { code?: unknown } | undefined)?.code === 'number' ? (error as { code: number }).code : 90_000;
    this.logger.warn(message);
    this.isolate(() => this.onProblem(code, message), undefined);
  }

  private isolate<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.logger.error('media leg listener failed', { error: String(error) });
    }
  }
}

function peak(pcm: Int16Array): number {
  let max = 0;
  for (let i = 0; i < pcm.length; i++) {
    const value = Math.abs(pcm[i]!);
    if (value > max) max = value;
  }
  return max;
}

/** `<Record playBeep>`: 500 ms of 1 kHz at about −10 dBFS, faded in and out over 5 ms. */
function beep(sampleRate: number): Int16Array {
  const length = Math.round(sampleRate / 2);
  const fade = Math.round(sampleRate / 200);
  const samples = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const envelope = Math.min(1, i / fade, (length - 1 - i) / fade);
    samples[i] = Math.round(10_000 * envelope * Math.sin((2 * Math.PI * 1000 * i) / sampleRate));
  }
  return samples;
}
