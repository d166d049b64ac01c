/**
 * Shared pieces of the media interop tests: Dialtone's real MediaPorts on loopback (opened the way
 * the engine opens them: a PortAllocator range and openMediaPort), an answerer on the real
 * UserAgent that negotiates with negotiateAnswer, recorders that copy what a port or a plain
 * socket received, and comparisons that return their differences (so a test can show they fail).
 */
import { createSocket, type Socket } from 'node:dgram';
import { systemClock } from '../../../src/kernel/index.js';
import {
  PortAllocator,
  TelephoneEventReceiver,
  openMediaPort,
  type DetectedDigit,
  type MediaFormat,
  type MediaPort,
  type RemoteEndpoint,
  type RtpPacketView,
} from '../../../src/media/index.js';
import { negotiateAnswer, type NegotiatedMedia } from '../../../src/sdp/index.js';
import type { IncomingCall, SipCall, UserAgent } from '../../../src/sip/ua/index.js';
import { findFreeMediaPort } from '../../support/sipp.js';

/** The MediaFormat a MediaPort needs, from what the SDP layer negotiated. */
export function formatOf(media: NegotiatedMedia): MediaFormat {
  return {
    payloadType: media.codec.payloadType,
    encodingName: media.codec.name,
    clockRate: media.codec.clockRate,
    channels: media.codec.channels,
    ptimeMs: media.codec.ptimeMs,
  };
}

export interface LoopbackPortOptions {
  format: MediaFormat;
  telephoneEventPayloadType?: number | null;
  remote?: RemoteEndpoint;
  /** The even RTP port to use (found free beforehand); default: one found now. */
  port?: number;
  ssrc?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
}

/**
 * A MediaPort on 127.0.0.1, opened through a PortAllocator whose range is the one free pair found at
 * run time (no fixed ports). RTP timeout and periodic RTCP are off: the tests look at RTP only.
 */
export async function openLoopbackPort(options: LoopbackPortOptions): Promise<MediaPort> {
  const rtpPort = options.port ?? (await findFreeMediaPort('127.0.0.1'));
  const allocator = new PortAllocator({ min: rtpPort, max: rtpPort + 1 });
  const port = await openMediaPort({
    allocator,
    bindAddress: '127.0.0.1',
    bindAttempts: 1,
    clock: systemClock,
    format: options.format,
    ...(options.telephoneEventPayloadType != null ? { telephoneEventPayloadType: options.telephoneEventPayloadType } : {}),
    ...(options.remote !== undefined ? { remote: options.remote } : {}),
    ...(options.ssrc !== undefined ? { ssrc: options.ssrc } : {}),
    ...(options.initialSequenceNumber !== undefined ? { initialSequenceNumber: options.initialSequenceNumber } : {}),
    ...(options.initialTimestamp !== undefined ? { initialTimestamp: options.initialTimestamp } : {}),
    rtpTimeoutMs: 0,
    rtcpIntervalMs: 0,
  });
  openPorts.add(port);
  port.once('closed', () => openPorts.delete(port));
  return port;
}

const openPorts = new Set<MediaPort>();

/**
 * Closes every port openLoopbackPort opened and nobody closed (a test that failed half-way): an
 * open socket would keep the test file's process alive. For each test's `finally`.
 */
export function closeOpenPorts(): void {
  for (const port of [...openPorts]) port.close();
}

/** One received RTP packet, copied out of the (reused) view or datagram. */
export interface ReceivedRtp {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
  arrivalMs: number;
}

function copyView(view: RtpPacketView): ReceivedRtp {
  return {
    payloadType: view.payloadType,
    sequenceNumber: view.sequenceNumber,
    timestamp: view.timestamp,
    ssrc: view.ssrc,
    marker: view.marker,
    payload: Buffer.from(view.payload()),
    arrivalMs: view.arrivalMs,
  };
}

/** Parses a datagram as a plain RTP packet (fixed header only, as a bridge sends it); undefined otherwise. */
export function parseRtp(datagram: Buffer, arrivalMs: number): ReceivedRtp | undefined {
  if (datagram.length < 12 || datagram[0]! >> 6 !== 2) return undefined;
  const csrc = datagram[0]! & 0x0f;
  let start = 12 + csrc * 4;
  if ((datagram[0]! & 0x10) !== 0) start += 4 + datagram.readUInt16BE(start + 2) * 4;
  const padding = (datagram[0]! & 0x20) !== 0 ? datagram[datagram.length - 1]! : 0;
  return {
    payloadType: datagram[1]! & 0x7f,
    sequenceNumber: datagram.readUInt16BE(2),
    timestamp: datagram.readUInt32BE(4),
    ssrc: datagram.readUInt32BE(8),
    marker: (datagram[1]! & 0x80) !== 0,
    payload: Buffer.from(datagram.subarray(start, datagram.length - padding)),
    arrivalMs,
  };
}

/**
 * Records what a MediaPort delivers (audio and telephone-event, in arrival order) and feeds its
 * telephone events to a TelephoneEventReceiver, the engine's own digit detector.
 */
export class PortRecorder {
  readonly audio: ReceivedRtp[] = [];
  readonly events: ReceivedRtp[] = [];
  readonly all: ReceivedRtp[] = [];
  readonly digits: DetectedDigit[] = [];
  readonly latches: RemoteEndpoint[] = [];
  readonly receiver = new TelephoneEventReceiver({ onDigit: (digit) => this.digits.push(digit) });

  constructor(port: MediaPort) {
    port.on('packet', (view) => {
      const packet = copyView(view);
      this.audio.push(packet);
      this.all.push(packet);
      this.receiver.expire(view.arrivalMs);
    });
    port.on('dtmf-packet', (view) => {
      const packet = copyView(view);
      this.events.push(packet);
      this.all.push(packet);
      this.receiver.receive(view.payload(), view.timestamp, view.arrivalMs);
    });
    port.on('latched', (source) => this.latches.push(source));
  }

  /** Ends an event whose end packets were all lost (none should be, on loopback). */
  flush(): void {
    this.receiver.expire(Number.MAX_SAFE_INTEGER);
  }
}

/** A plain UDP socket on 127.0.0.1 that records every RTP datagram it receives (leg B's far end). */
export class PlainRtpReceiver {
  readonly packets: ReceivedRtp[] = [];
  readonly digits: DetectedDigit[] = [];
  readonly sources = new Set<string>();
  nonRtp = 0;
  private readonly receiver: TelephoneEventReceiver;

  private constructor(
    private readonly socket: Socket,
    private readonly telephoneEventPayloadType: number,
  ) {
    this.receiver = new TelephoneEventReceiver({ onDigit: (digit) => this.digits.push(digit) });
    socket.on('message', (message, from) => {
      const now = systemClock.monotonic();
      const packet = parseRtp(message, now);
      if (packet === undefined) {
        this.nonRtp++;
        return;
      }
      this.sources.add(`${from.address}:${from.port}`);
      this.packets.push(packet);
      if (packet.payloadType === this.telephoneEventPayloadType) this.receiver.receive(packet.payload, packet.timestamp, now);
      else this.receiver.expire(now);
    });
  }

  static async open(telephoneEventPayloadType: number): Promise<PlainRtpReceiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new PlainRtpReceiver(socket, telephoneEventPayloadType);
  }

  get endpoint(): RemoteEndpoint {
    return { address: '127.0.0.1', port: this.socket.address().port };
  }

  flush(): void {
    this.receiver.expire(Number.MAX_SAFE_INTEGER);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** What a stream should carry, packet by packet. */
export interface ExpectedRtp {
  sequenceNumber?: number;
  timestamp?: number;
  payload: Uint8Array;
}

/**
 * Compares a received stream with the expected one: count, payload byte for byte, and sequence
 * number / timestamp where the expectation names them. Returns the differences (empty = identical),
 * at most `limit` of them.
 */
export function diffStreams(expected: readonly ExpectedRtp[], received: readonly ReceivedRtp[], limit = 10): string[] {
  const problems: string[] = [];
  if (expected.length !== received.length) problems.push(`count: expected ${expected.length} packets, received ${received.length}`);
  const n = Math.min(expected.length, received.length);
  for (let i = 0; i < n && problems.length < limit; i++) {
    const e = expected[i]!;
    const r = received[i]!;
    if (e.sequenceNumber !== undefined && e.sequenceNumber !== r.sequenceNumber) {
      problems.push(`packet ${i}: sequence number ${r.sequenceNumber}, expected ${e.sequenceNumber}`);
    }
    if (e.timestamp !== undefined && e.timestamp >>> 0 !== r.timestamp) {
      problems.push(`packet ${i}: timestamp ${r.timestamp}, expected ${e.timestamp >>> 0}`);
    }
    const a = Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength);
    if (!a.equals(r.payload)) {
      let at = 0;
      while (at < a.length && at < r.payload.length && a[at] === r.payload[at]) at++;
      problems.push(`packet ${i}: payload differs at byte ${at} (${a.length} expected, ${r.payload.length} received)`);
    }
  }
  return problems;
}

/** A copy of `expected` with one payload byte flipped: the negative control of diffStreams. */
export function withFlippedByte(expected: readonly ExpectedRtp[], index: number, byte: number): ExpectedRtp[] {
  return expected.map((e, i) => {
    if (i !== index) return e;
    const payload = Uint8Array.from(e.payload);
    payload[byte] = payload[byte]! ^ 0xff;
    return { ...e, payload };
  });
}

/**
 * Runs recorded telephone-event packets through a fresh TelephoneEventReceiver (the engine's
 * detector) and returns the digits: for negative controls on a doctored copy of a capture.
 */
export function detectDigits(packets: readonly ReceivedRtp[], payloadType: number): DetectedDigit[] {
  const digits: DetectedDigit[] = [];
  const receiver = new TelephoneEventReceiver({ onDigit: (digit) => digits.push(digit) });
  for (const p of packets) if (p.payloadType === payloadType) receiver.receive(p.payload, p.timestamp, p.arrivalMs);
  receiver.expire(Number.MAX_SAFE_INTEGER);
  return digits;
}

/** Digits as a string, in the order reported. */
export function digitString(digits: readonly DetectedDigit[]): string {
  return digits.map((d) => d.digit).join('');
}

/** Sequence number steps between consecutive packets (mod 2^16). */
export function sequenceSteps(packets: readonly { sequenceNumber: number }[]): number[] {
  const steps: number[] = [];
  for (let i = 1; i < packets.length; i++) steps.push((packets[i]!.sequenceNumber - packets[i - 1]!.sequenceNumber) & 0xffff);
  return steps;
}

/** Timestamp steps between consecutive packets (mod 2^32). */
export function timestampSteps(packets: readonly { timestamp: number }[]): number[] {
  const steps: number[] = [];
  for (let i = 1; i < packets.length; i++) steps.push((packets[i]!.timestamp - packets[i - 1]!.timestamp) >>> 0);
  return steps;
}

export interface AnsweredLeg {
  incoming: IncomingCall;
  call: SipCall;
  port: MediaPort;
  media: NegotiatedMedia;
  answerSdp: string;
  offerSdp: string;
}

/**
 * Answers the next incoming call on `ua` the way the engine will: negotiateAnswer on the offer
 * (PCMA, and telephone-event unless refused), a MediaPort on the port named in the answer, `prepare` (attach
 * recorders, bridges) before the 200 goes out, then accept. Rejects with 488 when negotiation fails.
 */
export function answerNextCall(
  ua: UserAgent,
  prepare: (port: MediaPort, media: NegotiatedMedia) => void,
  options: { telephoneEvent?: boolean } = {},
): Promise<AnsweredLeg> {
  return new Promise<AnsweredLeg>((resolve, reject) => {
    ua.onIncomingCall((incoming) => {
      ua.onIncomingCall(undefined);
      void (async () => {
        const offerSdp = incoming.remoteSdp?.toString('utf8') ?? '';
        const rtpPort = await findFreeMediaPort('127.0.0.1');
        const answer = negotiateAnswer(offerSdp, {
          sessionId: Date.now(),
          sessionVersion: 1,
          username: 'dialtone',
          address: '127.0.0.1',
          port: rtpPort,
          codecs: ['PCMA'],
          telephoneEvent: options.telephoneEvent ?? true,
        });
        if (!answer.ok) {
          incoming.reject(answer.status);
          throw new Error(`negotiateAnswer refused SIPp's offer: ${answer.reason}`);
        }
        const port = await openLoopbackPort({
          format: formatOf(answer.media),
          telephoneEventPayloadType: answer.media.telephoneEventPayloadType,
          remote: { address: answer.media.remote.address, port: answer.media.remote.port },
          port: rtpPort,
        });
        try {
          prepare(port, answer.media);
          const call = await incoming.accept(Buffer.from(answer.answerSdp));
          return { incoming, call, port, media: answer.media, answerSdp: answer.answerSdp, offerSdp };
        } catch (error) {
          port.close();
          throw error;
        }
      })().then(resolve, reject);
    });
  });
}
