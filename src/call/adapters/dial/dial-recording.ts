/**
 * DialRecording (`<Dial record>`) over the media CallRecorder and the recordings store, for one
 * caller's leg: a WAV under the recordings folder, 8 kHz, mono (both parties mixed) or dual (caller
 * left, callee right, Twilio's `-dual`), and its row (source DialVerb) on the caller's call.
 *
 * The audio is tapped from the legs' ports as it arrives ('packet' events) and decoded there. A tap
 * may be attached after the bridge, which rewrites relayed packets in place into the other leg's
 * codec, so each packet is decoded by the codec its payload type now names (either leg's).
 * `recordingTrack`: `inbound` keeps the caller, `outbound` the callee, `both` both.
 */
import { mkdir } from 'node:fs/promises';
import { newSid, type Clock, type Logger } from '../../../kernel/index.js';
import {
  CallRecorder,
  createPayloadCodec,
  Downsampler16to8,
  type MediaPort,
  type PayloadCodec,
  type RtpPacketView,
} from '../../../media/index.js';
import type { RecordingRepository } from '../../../store/index.js';
import type { DialRecording, DialRecordingRequest, DialRecordingSession, OutboundLeg } from '../../dial/index.js';
import type { Leg } from '../../leg.js';
import type { BridgeableLeg } from './bridgeable-leg.js';
import { isSipOutboundLeg } from './sip-dialer.js';

/** What recording needs of the engine's MediaServices (where files go, how they are linked, the store). */
export interface RecordingServices {
  readonly recordingsDir: string;
  readonly recordings: RecordingRepository;
  recordingPath(recordingSid: string): string;
  recordingUrl(accountSid: string, recordingSid: string): string;
}

export interface DialRecordingOptions {
  caller: BridgeableLeg;
  services: RecordingServices;
  clock: Clock;
  logger: Logger;
}

const RECORDING_RATE = 8000;

export function createDialRecording(options: DialRecordingOptions): DialRecording {
  return {
    async start(request: DialRecordingRequest, _caller: Leg, callee?: OutboundLeg): Promise<DialRecordingSession> {
      const session = new RecordingSession(options, request);
      await session.begin();
      if (callee !== undefined) session.addCallee(callee);
      return session;
    },
  };
}

class RecordingSession implements DialRecordingSession {
  readonly recordingSid = newSid('RE');
  readonly recordingUrl: string;
  private readonly path: string;
  private readonly recorder: CallRecorder;
  private readonly untaps: Array<() => void> = [];
  private calleePort: MediaPort | undefined;
  private stopping: Promise<{ recordingSid: string; recordingUrl: string; durationSeconds: number }> | undefined;

  constructor(
    private readonly options: DialRecordingOptions,
    private readonly request: DialRecordingRequest,
  ) {
    this.recordingUrl = options.services.recordingUrl(request.accountSid, this.recordingSid);
    this.path = options.services.recordingPath(this.recordingSid);
    this.recorder = new CallRecorder({
      path: this.path,
      clock: options.clock,
      channels: request.channels,
      sampleRate: RECORDING_RATE,
      trimSilence: request.trimSilence,
      logger: options.logger,
    });
  }

  async begin(): Promise<void> {
    const { services, clock } = this.options;
    await mkdir(services.recordingsDir, { recursive: true });
    await services.recordings.create({
      sid: this.recordingSid,
      accountSid: this.request.accountSid,
      callSid: this.request.callSid,
      filePath: this.path,
      source: 'DialVerb',
      track: this.request.track,
      channels: this.request.channels === 'dual' ? 2 : 1,
      startTime: clock.now(),
    });
    try {
      await this.recorder.start();
    } catch (error) {
      await services.recordings.update(this.recordingSid, { status: 'failed' }).catch(() => undefined);
      throw error;
    }
    if (this.request.track !== 'outbound') this.tap(this.options.caller.port, 'caller');
  }

  addCallee(callee: OutboundLeg): void {
    if (this.stopping !== undefined || this.request.track === 'inbound') return;
    if (!isSipOutboundLeg(callee) || callee.mediaPort === undefined) throw new Error('the dialled leg has no media to record');
    if (this.calleePort === callee.mediaPort) return;
    this.calleePort = callee.mediaPort;
    this.tap(callee.mediaPort, 'callee');
  }

  stop(): Promise<{ recordingSid: string; recordingUrl: string; durationSeconds: number }> {
    this.stopping ??= (async () => {
      for (const untap of this.untaps.splice(0)) untap();
      const { recordings } = this.options.services;
      try {
        const result = await this.recorder.close();
        const durationSeconds = Math.round(result.durationSeconds);
        await recordings
          .update(this.recordingSid, { status: durationSeconds > 0 ? 'completed' : 'absent', duration: durationSeconds })
          .catch((error: unknown) => this.options.logger.error('recording row not updated', { recordingSid: this.recordingSid, error: String(error) }));
        return { recordingSid: this.recordingSid, recordingUrl: this.recordingUrl, durationSeconds };
      } catch (error) {
        this.options.logger.error('the <Dial> recording could not be written', { recordingSid: this.recordingSid, error: String(error) });
        await recordings.update(this.recordingSid, { status: 'failed' }).catch(() => undefined);
        return { recordingSid: this.recordingSid, recordingUrl: this.recordingUrl, durationSeconds: 0 };
      }
    })();
    return this.stopping;
  }

  /** Decodes what `port` receives into the recorder's `track`, by whichever leg's codec the packet now carries. */
  private tap(port: MediaPort, track: 'caller' | 'callee'): void {
    const decoders = new Map<number, { codec: PayloadCodec; downsampler: Downsampler16to8 | undefined }>();
    const add = (payloadType: number, name: string): void => {
      if (decoders.has(payloadType)) return;
      try {
        const codec = createPayloadCodec(name.toUpperCase() as Parameters<typeof createPayloadCodec>[0]);
        decoders.set(payloadType, { codec, downsampler: codec.sampleRate === 16000 ? new Downsampler16to8() : undefined });
      } catch {
        // A codec without an in-process decoder (G.729): that leg is not recorded.
      }
    };
    add(port.format.payloadType, port.format.encodingName);
    const other = track === 'caller' ? this.calleePort : this.options.caller.port;
    if (other !== undefined) add(other.format.payloadType, other.format.encodingName);
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
      this.recorder.write(track, samples);
    };
    port.on('packet', onPacket);
    this.untaps.push(() => {
      port.off('packet', onPacket);
      for (const { codec } of decoders.values()) codec.close();
    });
  }
}
