/**
 * An OutboundDialer over the UA whose legs carry their own media: `place()` opens an RTP port, sends
 * the INVITE with an SDP offer on it (RFC 3264 §5), and once the 2xx answers (RFC 3264 §7: the answer
 * is read against our offer) the leg has a MediaLeg — prompts, digits and recording — that a document
 * can run on. That is what an outbound-api call needs: Twilio runs the application's markup on the
 * called party once it answers.
 *
 * The offer is PCMU with RFC 4733 telephone-event: a port's format is fixed when it opens, before the
 * answer names a codec, so one codec is offered (Twilio's first choice, and what every trunk speaks).
 * When the <Dial> adapters' dialer exposes its leg's MediaPort and negotiated media, this file can go
 * and `MediaLeg` wrap that port instead.
 */
import type { Logger } from '../../../kernel/index.js';
import { ownedBytes, randomToken } from '../../../kernel/index.js';
import { openMediaPort, type MediaPort } from '../../../media/index.js';
import { createOffer, parseAnswer } from '../../../sdp/index.js';
import { ParamList, parseUri, type CallFailure, type HeaderField, type SipCall, type UserAgent } from '../../../sip/index.js';
import type { LegFailure, OutboundLeg, OutboundLegEvents, OutboundLegRequest } from '../../dial/index.js';
import { MediaLeg } from '../media-leg.js';
import type { MediaServices } from '../media-services.js';
import { newSessionOrigin } from '../session-media.js';

/** An outbound leg that, once answered, has media of its own. */
export interface MediaOutboundLeg extends OutboundLeg {
  /** The leg's media from the answer on (a MediaLeg, so a <Dial> can bridge it); undefined before it. */
  readonly media: MediaLeg | undefined;
  /** Arms the RTP timeout (media.rtpTimeoutSeconds) once a document runs on the leg. */
  onMediaGone(listener: () => void): void;
  /** Ends whatever is left: CANCEL while ringing, BYE once answered, and closes the media. Idempotent. */
  close(): void;
}

export interface MediaDialer {
  /** Sends the INVITE; events arrive asynchronously (never from inside `place`). */
  place(request: OutboundLegRequest, events: OutboundLegEvents): MediaOutboundLeg;
}

export interface UaMediaDialerOptions {
  ua: UserAgent;
  media: MediaServices;
  /** The address written in our SDP (c=): the public address, else the listener's own. */
  sdpAddress: string;
  logger: Logger;
}

const TELEPHONE_EVENT_PT = 101;

export function createUaMediaDialer(options: UaMediaDialerOptions): MediaDialer {
  return { place: (request, events) => new UaMediaLeg(options, request, events) };
}

class UaMediaLeg implements MediaOutboundLeg {
  readonly sipCallId = `${randomToken(12)}@dialtone`;
  private port: MediaPort | undefined;
  private mediaLeg: MediaLeg | undefined;
  private sipCall: SipCall | undefined;
  private outgoing: { cancel(reason?: string): boolean } | undefined;
  private cancelled = false;
  private closed = false;
  private settled = false;
  private readonly logger: Logger;
  private readonly goneListeners: Array<() => void> = [];

  constructor(
    private readonly options: UaMediaDialerOptions,
    private readonly request: OutboundLegRequest,
    private readonly events: OutboundLegEvents,
  ) {
    this.logger = options.logger.child({ callSid: request.callSid, sipCallId: this.sipCallId });
    void this.start().catch((error: unknown) => {
      this.logger.error('the INVITE could not be placed', { error: String(error) });
      this.fail({ cause: 'transport', status: 503, reason: String(error), headers: [] });
    });
  }

  get media(): MediaLeg | undefined {
    return this.mediaLeg;
  }

  onMediaGone(listener: () => void): void {
    this.goneListeners.push(listener);
    this.mediaLeg?.armRtpTimeout();
  }

  cancel(): void {
    if (this.settled) return;
    this.cancelled = true;
    if (this.outgoing !== undefined) this.outgoing.cancel();
    // Nothing sent yet: start() sees the flag and reports the cancel itself.
  }

  hangup(): void {
    const call = this.sipCall;
    if (call === undefined || call.isEnded) return;
    void call.bye().catch((error: unknown) => this.logger.warn('BYE failed', { error: String(error) }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sipCall === undefined) this.cancel();
    else this.hangup();
    this.mediaLeg?.close();
    if (this.mediaLeg === undefined) this.port?.close();
  }

  private async start(): Promise<void> {
    const { media, ua, sdpAddress } = this.options;
    const { request } = this;
    const port = await openMediaPort({
      allocator: media.allocator,
      bindAddress: media.bindAddress,
      clock: media.clock,
      logger: this.logger,
      format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20 },
      telephoneEventPayloadType: TELEPHONE_EVENT_PT,
      // Armed once a document runs on the answered leg.
      rtpTimeoutMs: 0,
    });
    this.port = port;
    if (this.cancelled || this.closed) {
      port.close();
      this.fail({ cause: 'cancelled', status: 487, reason: 'Request Terminated', headers: [] });
      return;
    }
    const offer = createOffer({
      ...newSessionOrigin(),
      address: sdpAddress,
      port: port.local.port,
      codecs: ['PCMU'],
      ptimeMs: 20,
    });
    const target = parseUri(request.requestUri.text);
    if (target === undefined) {
      port.close();
      this.fail({ cause: 'transport', status: 400, reason: `unusable Request-URI ${request.requestUri.text}`, headers: [] });
      return;
    }
    const proxy = request.outboundProxy === undefined ? undefined : parseUri(request.outboundProxy);
    const protocol = request.requestUri.transport;
    const from = ua.contactFor(protocol === 'tls' ? 'tls' : protocol, request.fromUser, false);
    from.uri.params = new ParamList();
    delete from.uri.port;
    const headers: HeaderField[] = request.headers.map((header) => ({ name: header.name, value: header.value }));
    const outgoing = ua.invite({
      target,
      ...(proxy === undefined ? {} : { proxy }),
      from,
      headers,
      body: ownedBytes(offer),
      callId: this.sipCallId,
      ...(request.credentials === undefined ? {} : { credentials: request.credentials }),
      ...(request.sessionExpires === undefined ? {} : { sessionTimer: { sessionExpires: request.sessionExpires } }),
    });
    this.outgoing = outgoing;
    outgoing.on('progress', (progress) => {
      if (!this.settled) this.events.progress({ status: progress.status, earlyMedia: progress.remoteSdp !== undefined });
    });
    const outcome = await outgoing.outcome;
    if (outcome.kind === 'failed') {
      port.close();
      this.fail(legFailureOf(outcome.failure));
      return;
    }
    const call = outcome.call;
    this.sipCall = call;
    const answered = parseAnswer(call.remoteSdp?.toString('utf8') ?? '', offer);
    if (!answered.ok) {
      // RFC 3264 §7 leaves no way to refuse an answer: the dialog is ended with BYE.
      this.logger.warn('the answer is not usable; hanging up', { reason: answered.reason });
      port.close();
      void call.bye().catch(() => undefined);
      this.fail({ cause: 'response', status: answered.status, reason: answered.reason, headers: [] });
      return;
    }
    port.setRemote(
      { address: answered.media.remote.address, port: answered.media.remote.port },
      { address: answered.media.remote.rtcpAddress, port: answered.media.remote.rtcpPort },
    );
    const leg = new MediaLeg(media, port, answered.media, this.logger);
    this.mediaLeg = leg;
    leg.onGone(() => {
      for (const listener of this.goneListeners) listener();
    });
    if (this.goneListeners.length > 0) leg.armRtpTimeout();
    this.settled = true;
    call.on('ended', (end) => {
      leg.close();
      this.events.ended(end.by === 'local' ? 'local' : 'remote');
    });
    if (this.closed) {
      this.hangup();
      leg.close();
    }
    this.events.answered({ status: 200, headers: [] });
    if (call.isEnded) {
      leg.close();
      this.events.ended('remote');
    }
  }

  private fail(failure: LegFailure): void {
    if (this.settled) return;
    this.settled = true;
    this.events.failed(failure);
  }
}

/** The UA's failure causes in the <Dial> port's terms (dial-ports.ts LegFailure). */
function legFailureOf(failure: CallFailure): LegFailure {
  const headers = (failure.response?.headers ?? []).map((header) => ({ name: header.name, value: header.value }));
  const base = { status: failure.status, reason: failure.reason, headers };
  switch (failure.cause) {
    case 'rejected':
    case 'auth':
      return { cause: 'response', ...base };
    case 'cancelled':
      return { cause: 'cancelled', ...base };
    case 'timeout':
      return { cause: 'timeout', ...base };
    case 'locate':
      return { cause: 'dns', ...base };
    case 'transport':
    case 'closed':
      return { cause: 'transport', ...base };
  }
}
