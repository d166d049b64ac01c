/**
 * DialMedia over the media engine, for one caller's leg.
 *
 * - ringback: Twilio's <Dial ringTone> ("the ringback tone played to the caller"): a ToneSource with
 *   the country's ITU-T E.180 plan (`us` when none is given or the code is unknown), paced in 20 ms
 *   frames by a PromptPlayer on the Clock, encoded with the caller's negotiated codec and sent on the
 *   caller's port as a source of its own (the port's RtpStreamRewriter keeps the caller's stream
 *   continuous, RFC 3550 §5.1), until the signal aborts.
 * - early media (answerOnBridge, the caller not answered yet): before the caller hears anything, its
 *   INVITE gets 183 Session Progress with our SDP answer (RFC 3261 §13.3.1.1; the 200 repeats that
 *   answer), through `sessionProgress`. Then either our ringback plays, or a callee's own early media
 *   (its 183 with SDP) is relayed to the caller over a RelayBridge until the answer.
 * - bridge: a RelayBridge between the caller's port and the answered callee's, relaying when the codecs
 *   match and transcoding through the codec module's Transcoder (PCMU ↔ PCMA ↔ G.722) when they do
 *   not; the caller leg's own prompt output is suspended while bridged. `close()` unbridges (the
 *   ports stay with their legs); the bridge also ends when either port closes.
 */
import { abortQuietly, silentLogger, type Clock, type Logger } from '../../../kernel/index.js';
import {
  buildRtpPacket,
  createPayloadCodec,
  PromptPlayer,
  RelayBridge,
  ringbackPlan,
  RtpPacketView,
  RtpParseResult,
  ToneSource,
  Transcoder,
  type CodecName,
  type MediaFormat,
  type PayloadTranscoder,
} from '../../../media/index.js';
import type { Bridge, DialMedia, OutboundLeg } from '../../dial/index.js';
import type { Leg } from '../../leg.js';
import type { BridgeableLeg } from './bridgeable-leg.js';
import { isSipOutboundLeg } from './sip-dialer.js';

/** Twilio's default ringTone is the United States' ringback. */
export const DEFAULT_RING_TONE = 'us';

export interface DialMediaOptions {
  /** The caller's media leg: the one the <Dial>'s document runs on. */
  caller: BridgeableLeg;
  clock: Clock;
  logger?: Logger;
  /**
   * Sends 183 Session Progress with our SDP answer on the caller's INVITE, so an unanswered caller
   * hears what we send (a no-op once the caller is answered). Without it an unanswered caller gets
   * no early media.
   */
  sessionProgress?: () => void;
}

export function createDialMedia(options: DialMediaOptions): DialMedia {
  const logger = options.logger ?? silentLogger;
  let inProgress = false;
  const sessionProgress = (): void => {
    if (inProgress) return;
    inProgress = true;
    options.sessionProgress?.();
  };
  return {
    ringback(_caller: Leg, ringTone: string | undefined, signal: AbortSignal): void {
      if (signal.aborted) return;
      sessionProgress();
      // After this turn's I/O (issue 8): runDial starts the ringback as the callees' INVITEs are being
      // built, and setting up the tone, codec and player (~0.4 ms) would otherwise delay them. Frames
      // are paced on the clock anyway; playRingback checks the signal and the port again when it runs.
      setImmediate(() => {
        try {
          playRingback(options.caller, ringTone, signal, options.clock, logger);
        } catch (error) {
          logger.error('ringback failed', { error: String(error) });
        }
      });
    },
    async bridge(_caller: Leg, callee: OutboundLeg): Promise<Bridge> {
      // <Number sendDigits> goes to the callee before the parties are connected.
      if (isSipOutboundLeg(callee)) await callee.digitsSent();
      return bridgeLegs(options.caller, callee, logger);
    },
    async earlyMedia(_caller: Leg, callee: OutboundLeg): Promise<Bridge> {
      if (options.sessionProgress === undefined) throw new Error('no way to send early media to the caller');
      sessionProgress();
      return bridgeLegs(options.caller, callee, logger, 'early media relayed');
    },
  };
}

/** Plays ringback on `caller` until `signal` aborts (or the caller's port closes). */
export function playRingback(caller: BridgeableLeg, ringTone: string | undefined, signal: AbortSignal, clock: Clock, logger: Logger): void {
  if (signal.aborted || caller.port.isClosed) return;
  let plan = ringbackPlan(ringTone ?? DEFAULT_RING_TONE);
  if (plan === undefined) {
    logger.warn('unknown ringTone; playing the default ringback', { ringTone, default: DEFAULT_RING_TONE });
    plan = ringbackPlan(DEFAULT_RING_TONE)!;
  }
  const { codec } = caller.negotiated;
  const payloadCodec = createPayloadCodec(codec.name);
  const sampleRate = payloadCodec.sampleRate;
  const player = new PromptPlayer({ clock, sampleRate, logger });
  const payload = new Uint8Array(Math.ceil((sampleRate * 20) / 1000 / Math.max(1, payloadCodec.samplesPerByte)) + 64);
  const unitsPerFrame = Math.round((codec.clockRate * 20) / 1000);
  const view = new RtpPacketView();
  // A source of our own: the port maps it onto the caller's outbound stream (RtpStreamRewriter).
  const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
  let sequenceNumber = Math.floor(Math.random() * 0x10000);
  let timestamp = (Math.random() * 0x1_0000_0000) >>> 0;
  let marker = true;
  player.on('frame', (frame) => {
    const length = payloadCodec.encode(frame, payload);
    const datagram = buildRtpPacket({ payloadType: codec.payloadType, sequenceNumber, timestamp, ssrc, marker }, payload.subarray(0, length));
    marker = false;
    sequenceNumber = (sequenceNumber + 1) & 0xffff;
    timestamp = (timestamp + unitsPerFrame) >>> 0;
    if (view.wrap(datagram) === RtpParseResult.ok) caller.port.sendRtp(view);
  });
  const stop = new AbortController();
  const onAbort = (): void => abortQuietly(stop);
  const onClosed = (): void => abortQuietly(stop);
  signal.addEventListener('abort', onAbort, { once: true });
  caller.port.once('closed', onClosed);
  void player
    .play(new ToneSource(plan, sampleRate), { signal: stop.signal })
    .catch((error: unknown) => logger.warn('ringback could not play', { error: String(error) }))
    .finally(() => {
      signal.removeEventListener('abort', onAbort);
      caller.port.off('closed', onClosed);
      player.close();
      payloadCodec.close();
    });
}

/** Joins the caller's port with the callee's (answered, or sending early media); throws when the callee has no media or the codecs cannot meet. */
export function bridgeLegs(caller: BridgeableLeg, callee: OutboundLeg, logger: Logger, what = 'legs bridged'): Bridge {
  if (!isSipOutboundLeg(callee) || callee.mediaPort === undefined || callee.mediaPort.isClosed) {
    throw new Error('the dialled leg has no media to bridge');
  }
  const transcoders: Transcoder[] = [];
  const factory = (from: Readonly<MediaFormat>, to: Readonly<MediaFormat>): PayloadTranscoder | undefined => {
    try {
      const transcoder = new Transcoder(from.encodingName.toUpperCase() as CodecName, to.encodingName.toUpperCase() as CodecName);
      transcoders.push(transcoder);
      return transcoder;
    } catch {
      return undefined;
    }
  };
  let relay: RelayBridge;
  try {
    relay = new RelayBridge(caller.port, callee.mediaPort, { transcoders: factory, logger });
  } catch (error) {
    for (const transcoder of transcoders) transcoder.close();
    throw error;
  }
  caller.suspendOutput?.();
  logger.info(what, { mode: relay.mode, caller: caller.port.format.encodingName, callee: callee.mediaPort.format.encodingName });
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const transcoder of transcoders) transcoder.close();
    caller.resumeOutput?.();
  };
  // Either port closing ends the bridge (RelayBridge closes itself).
  relay.on('closed', release);
  return {
    close(): void {
      relay.close();
      release();
    },
  };
}
