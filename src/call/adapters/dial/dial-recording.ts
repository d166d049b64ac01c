/**
 * Call recordings over the media CallRecorder and the recordings store: a WAV under the recordings
 * folder, 8 kHz, mono (both parties mixed) or dual (two channels), and its row on the call.
 *
 * RecordingSession is one such recording, fed by taps that decode RTP as a port receives it ('packet')
 * or sends it ('sent'). Two recordings are made of it:
 * - `<Dial record>` (createDialRecording, source DialVerb), for one caller's leg: the caller (what the
 *   caller's port receives) left, the callee (what the dialled leg's port receives) right, Twilio's
 *   `-dual`. `recordingTrack`: `inbound` keeps the caller, `outbound` the callee, `both` both.
 * - `Record=true` of a REST call (src/call/adapters/api/call-recording.ts, source OutboundAPI).
 *
 * A tap may be attached after a bridge, which rewrites relayed packets in place into the other leg's
 * codec, so each packet is decoded by the codec its payload type now names (the tap is told the
 * formats of both legs). A leg's port may be replaced mid-call (a late offer's answer builds the real
 * port once the ACK came): taps on a RecordableLeg follow it onto each port it uses.
 */
import { mkdir } from 'node:fs/promises';
import { newSid, type Clock, type Logger } from '../../../kernel/index.js';
import {
  CallRecorder,
  createPayloadCodec,
  Downsampler16to8,
  type MediaFormat,
  type MediaPort,
  type PayloadCodec,
  type RecordingChannels,
  type RecordingTrack as RecorderChannel,
  type RtpPacketView,
} from '../../../media/index.js';
import type { RecordingRepository, RecordingSource, RecordingTrack } from '../../../store/index.js';
import type { DialRecording, DialRecordingRequest, DialRecordingSession, OutboundLeg } from '../../dial/index.js';
import type { Leg } from '../../leg.js';
import { isSipOutboundLeg } from './sip-dialer.js';

/** What recording needs of the engine's MediaServices (where files go, how they are linked, the store). */
export interface RecordingServices {
  readonly recordingsDir: string;
  readonly recordings: RecordingRepository;
  recordingPath(recordingSid: string): string;
  recordingUrl(accountSid: string, recordingSid: string): string;
}

/**
 * A leg whose RTP port may be replaced during the call (MediaLeg: a late offer's answer).
 * `followPort` calls `attach` with the current port and again with each port that replaces it (after
 * calling the previous attachment's detach); the function it returns detaches and stops following.
 */
export interface RecordableLeg {
  followPort(attach: (port: MediaPort) => () => void): () => void;
}

export interface RecordingSessionOptions {
  services: RecordingServices;
  clock: Clock;
  logger: Logger;
}

export interface RecordingSessionRequest {
  accountSid: string;
  /** The call the recording is listed under. */
  callSid: string;
  /** Twilio's RecordingSource: DialVerb, OutboundAPI… */
  source: RecordingSource;
  channels: RecordingChannels;
  trimSilence: boolean;
  /** Twilio's RecordingTrack, as stored on the row. */
  track: RecordingTrack;
}

export interface StoppedRecording {
  recordingSid: string;
  recordingUrl: string;
  /** Whole seconds after trimming; 0 when nothing was kept or the file could not be written. */
  durationSeconds: number;
}

/** Which of a port's packets a tap reads: those it receives, or those it sends. */
export type TapDirection = 'packet' | 'sent';

const RECORDING_RATE = 8000;

/** One recording: its row, its CallRecorder, and the taps that feed it, released at `stop()`. */
export class RecordingSession {
  readonly recordingSid = newSid('RE');
  readonly recordingUrl: string;
  /** Channels of the file (RecordingChannels). */
  readonly channels: 1 | 2;
  /** Wall-clock milliseconds when `begin()` started it (RecordingStartTime). */
  startedAt = 0;
  private readonly path: string;
  private readonly recorder: CallRecorder;
  private readonly releases = new Set<() => void>();
  private stopping: Promise<StoppedRecording> | undefined;

  /** Which side is recorded (RecordingTrack). */
  get track(): RecordingTrack {
    return this.request.track;
  }

  constructor(
    private readonly options: RecordingSessionOptions,
    private readonly request: RecordingSessionRequest,
  ) {
    this.recordingUrl = options.services.recordingUrl(request.accountSid, this.recordingSid);
    this.path = options.services.recordingPath(this.recordingSid);
    this.channels = request.channels === 'dual' ? 2 : 1;
    this.recorder = new CallRecorder({
      path: this.path,
      clock: options.clock,
      channels: request.channels,
      sampleRate: RECORDING_RATE,
      trimSilence: request.trimSilence,
      logger: options.logger,
    });
  }

  /** Creates the row (in-progress) and the file; rejects, with the row marked failed, when the file cannot be made. */
  async begin(): Promise<void> {
    const { services, clock } = this.options;
    this.startedAt = clock.now();
    await mkdir(services.recordingsDir, { recursive: true });
    await services.recordings.create({
      sid: this.recordingSid,
      accountSid: this.request.accountSid,
      callSid: this.request.callSid,
      filePath: this.path,
      source: this.request.source,
      track: this.request.track,
      channels: this.channels,
      startTime: this.startedAt,
    });
    try {
      await this.recorder.start();
    } catch (error) {
      await services.recordings.update(this.recordingSid, { status: 'failed' }).catch(() => undefined);
      throw error;
    }
  }

  /** Calls `attach` with `leg`'s port, and again with each port that replaces it, until `stop()`. */
  follow(leg: RecordableLeg, attach: (port: MediaPort) => () => void): void {
    if (this.stopping !== undefined) return;
    this.releases.add(leg.followPort(attach));
  }

  /** Decodes what `port` receives or sends into `channel`, by whichever of `formats` the packet's payload type names; returns the untap. */
  tap(port: MediaPort, direction: TapDirection, channel: RecorderChannel, formats: readonly Readonly<MediaFormat>[]): () => void {
    if (this.stopping !== undefined) return () => undefined;
    const decoders = new Map<number, { codec: PayloadCodec; downsampler: Downsampler16to8 | undefined }>();
    for (const format of formats) {
      if (decoders.has(format.payloadType)) continue;
      try {
        const codec = createPayloadCodec(format.encodingName.toUpperCase() as Parameters<typeof createPayloadCodec>[0]);
        decoders.set(format.payloadType, { codec, downsampler: codec.sampleRate === 16000 ? new Downsampler16to8() : undefined });
      } catch {
        // A codec without an in-process decoder (G.729): that side is not recorded.
      }
    }
    let pcm = new Int16Array(960);
    let narrow = new Int16Array(480);
    const onPacket = (packet: RtpPacketView): void => {
      const decoder = decoders.get(packet.payloadType);
      if (decoder === undefined) return;
      const payload = packet.payload();
      const needed = Math.max(payload.length * Math.max(1, decoder.codec.samplesPerByte), 960);
      if (pcm.length < needed) pcm = new Int16Array(needed);
      let samples: Int16Array;
      try {
        samples = pcm.subarray(0, decoder.codec.decode(payload, pcm));
      } catch {
        return;
      }
      if (decoder.downsampler !== undefined) {
        if (narrow.length < samples.length) narrow = new Int16Array(samples.length);
        samples = narrow.subarray(0, decoder.downsampler.process(samples, narrow));
      }
      this.recorder.write(channel, samples);
    };
    port.on(direction, onPacket);
    const release = (): void => {
      if (!this.releases.delete(release)) return;
      port.off(direction, onPacket);
      for (const { codec } of decoders.values()) codec.close();
    };
    this.releases.add(release);
    return release;
  }

  /** Releases every tap, closes the file and settles the row; idempotent, never rejects (a failed write reports 0 s). */
  stop(): Promise<StoppedRecording> {
    this.stopping ??= (async () => {
      for (const release of [...this.releases]) release();
      this.releases.clear();
      const { recordings } = this.options.services;
      const stopped = { recordingSid: this.recordingSid, recordingUrl: this.recordingUrl };
      try {
        const result = await this.recorder.close();
        const durationSeconds = Math.round(result.durationSeconds);
        await recordings
          .update(this.recordingSid, { status: durationSeconds > 0 ? 'completed' : 'absent', duration: durationSeconds })
          .catch((error: unknown) => this.options.logger.error('recording row not updated', { recordingSid: this.recordingSid, error: String(error) }));
        return { ...stopped, durationSeconds };
      } catch (error) {
        this.options.logger.error('the recording could not be written', { recordingSid: this.recordingSid, error: String(error) });
        await recordings.update(this.recordingSid, { status: 'failed' }).catch(() => undefined);
        return { ...stopped, durationSeconds: 0 };
      }
    })();
    return this.stopping;
  }
}

export interface DialRecordingOptions {
  /** The caller's media leg (the one the <Dial>'s document runs on). */
  caller: RecordableLeg;
  services: RecordingServices;
  clock: Clock;
  logger: Logger;
}

export function createDialRecording(options: DialRecordingOptions): DialRecording {
  return {
    async start(request: DialRecordingRequest, _caller: Leg, callee?: OutboundLeg): Promise<DialRecordingSession> {
      const session = new DialSession(options, request);
      await session.begin();
      if (callee !== undefined) session.addCallee(callee);
      return session;
    },
  };
}

/** `<Dial record>`: the caller's port (whichever it is now) on the left, the callee's on the right. */
class DialSession implements DialRecordingSession {
  private readonly recording: RecordingSession;
  private callerPort: MediaPort | undefined;
  private calleePort: MediaPort | undefined;

  constructor(
    private readonly options: DialRecordingOptions,
    private readonly request: DialRecordingRequest,
  ) {
    this.recording = new RecordingSession(options, { ...request, source: 'DialVerb' });
  }

  get recordingSid(): string {
    return this.recording.recordingSid;
  }

  get recordingUrl(): string {
    return this.recording.recordingUrl;
  }

  async begin(): Promise<void> {
    await this.recording.begin();
    // The caller is followed, not tapped once: with a late offer, record-from-ringing starts on the
    // port that waits for the ACK's answer, and the caller's audio arrives on the one built after it.
    this.recording.follow(this.options.caller, (port) => {
      this.callerPort = port;
      if (this.request.track === 'outbound') return () => undefined;
      return this.recording.tap(port, 'packet', 'caller', [port.format, ...(this.calleePort === undefined ? [] : [this.calleePort.format])]);
    });
  }

  addCallee(callee: OutboundLeg): void {
    if (this.request.track === 'inbound') return;
    if (!isSipOutboundLeg(callee) || callee.mediaPort === undefined) throw new Error('the dialled leg has no media to record');
    if (this.calleePort === callee.mediaPort) return;
    this.calleePort = callee.mediaPort;
    this.recording.tap(callee.mediaPort, 'packet', 'callee', [callee.mediaPort.format, ...(this.callerPort === undefined ? [] : [this.callerPort.format])]);
  }

  stop(): Promise<StoppedRecording> {
    return this.recording.stop();
  }
}
