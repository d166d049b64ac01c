// End-to-end harness: the whole engine in-process on 127.0.0.1, a webhook application as a local
// HTTP server (documents built with twilio's VoiceResponse), and a caller — our own UserAgent with a
// MediaPort, which can send chosen RFC 4733 digits and keeps every audio sample it receives.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/config/index.js';
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import { startEngine, type Engine, type EngineOptions } from '../../../src/main.js';
import {
  buildRtpPacket,
  buildTelephoneEventPackets,
  createPayloadCodec,
  encodeMulaw,
  openMediaPort,
  PortAllocator,
  RtpPacketView,
  TelephoneEventReceiver,
  type MediaPort,
} from '../../../src/media/index.js';
import { parseNameAddr, parseUri, UserAgent, type CallFailure, type SipCall } from '../../../src/sip/index.js';

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = 'e2e-secret-token';

export interface AppRequest {
  path: string;
  method: string;
  /** The full URL as the engine requested it (what the signature covers). */
  url: string;
  params: Record<string, string>;
  signature: string | undefined;
}

export type AppAnswer = string | { status: number; body: string | Buffer; contentType?: string };

/** The application: answers each path with markup (or a failure) and records every request. */
export class WebhookApp {
  readonly requests: AppRequest[] = [];
  private readonly events = new EventEmitter();
  private readonly routes = new Map<string, (request: AppRequest) => AppAnswer | Promise<AppAnswer>>();

  private constructor(
    private readonly server: http.Server,
    readonly base: string,
  ) {}

  static async start(): Promise<WebhookApp> {
    let app: WebhookApp | undefined;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => app!.serve(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    app = new WebhookApp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return app;
  }

  on(path: string, answer: AppAnswer | ((request: AppRequest) => AppAnswer | Promise<AppAnswer>)): this {
    this.routes.set(path, typeof answer === 'function' ? answer : () => answer);
    return this;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Resolves with the `count`-th request to `path` (1-based), now or when it comes. */
  waitFor(path: string, count = 1): Promise<AppRequest> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const matching = this.requests.filter((request) => request.path === path);
        if (matching.length < count) return false;
        this.events.off('request', onRequest);
        resolve(matching[count - 1]!);
        return true;
      };
      const onRequest = (): void => void check();
      this.events.on('request', onRequest);
      check();
    });
  }

  requestsTo(path: string): AppRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  private serve(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const params = Object.fromEntries(req.method === 'GET' ? url.searchParams : new URLSearchParams(body));
    const request: AppRequest = {
      path: url.pathname,
      method: req.method ?? 'GET',
      url: req.method === 'GET' ? url.toString() : `${this.base}${url.pathname}${url.search}`,
      params,
      signature: req.headers['x-twilio-signature'] as string | undefined,
    };
    this.requests.push(request);
    this.events.emit('request', request);
    const route = this.routes.get(url.pathname);
    void Promise.resolve(route === undefined ? { status: 200, body: '' } : route(request)).then((answer) => {
      if (res.destroyed) return;
      if (typeof answer === 'string') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(answer);
      } else {
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/xml' });
        res.end(answer.body);
      }
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface EngineSetup {
  engine: Engine;
  dataDir: string;
  sipPort: number;
  close(): Promise<void>;
}

/**
 * A media port range of its own out of [base, base + 1000): parallel test files that each take one
 * from a different base, with a random start, do not compete for ports.
 */
export function ownPortRange(base: number): [number, number] {
  const low = base + Math.floor(Math.random() * 400) * 2;
  return [low, low + 199];
}

/** The engine on 127.0.0.1 with one account and routes given as YAML would give them. */
export async function startTestEngine(
  routes: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
  options: Pick<EngineOptions, 'onInboundCall'> = {},
): Promise<EngineSetup> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dialtone-e2e-'));
  const config = resolveConfig(
    {
      sip: { listen: ['udp:127.0.0.1:0'] },
      // Port 0: an HTTP listener (REST API) never collides between parallel tests; RecordingUrl uses publicUrl.
      http: { listen: '127.0.0.1:0', publicUrl: 'http://127.0.0.1:8080' },
      dataDir,
      accounts: [{ sid: ACCOUNT_SID, authToken: AUTH_TOKEN }],
      routes: routes.map((route) => ({ account: ACCOUNT_SID, ...route })),
      ...extra,
    },
    {},
    {},
  );
  const engine = await startEngine(config, { logger: process.env['E2E_LOG'] === '1' ? debugLogger() : silentLogger, ...options });
  const sipPort = engine.sipListening().find((endpoint) => endpoint.protocol === 'udp')!.port;
  return {
    engine,
    dataDir,
    sipPort,
    async close() {
      await engine.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The engine started again on a stopped one's data dir, as the next `dialtone start` would be: its
 * recovery marks any call the last one left live as failed, so `completed` there means a clean end.
 */
export function restartEngine(dataDir: string): Promise<Engine> {
  return startEngine(
    resolveConfig({ sip: { listen: ['udp:127.0.0.1:0'] }, http: { listen: '127.0.0.1:0' }, dataDir, accounts: [{ sid: ACCOUNT_SID, authToken: AUTH_TOKEN }] }, {}, {}),
    { logger: silentLogger },
  );
}

function debugLogger(): typeof silentLogger {
  const make = (fields: Record<string, unknown>): typeof silentLogger => ({
    debug: () => undefined,
    info: (message, extra) => process.stderr.write(`${JSON.stringify({ message, ...fields, ...extra })}\n`),
    warn: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...fields, ...extra })}\n`),
    error: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'error', message, ...fields, ...extra })}\n`),
    child: (more) => make({ ...fields, ...more }),
  });
  return make({});
}

const TELEPHONE_EVENT_PT = 101;
const allocator = new PortAllocator({ min: 42000 + Math.floor(Math.random() * 400) * 2, max: 44999 });

/** What the caller heard: every PCMU packet decoded. */
export interface Heard {
  /** Sample rate of `samples` (16000 for G.722). */
  sampleRate: number;
  packets: number;
  samples: number[];
  /** RFC 4733 digits received, in order. */
  digits: string;
}

export type PlacedCall =
  | { answered: true; call: SipCall; port: MediaPort; heard: Heard; ended: Promise<unknown> }
  | { answered: false; failure: CallFailure; provisional: number[] };

/** The caller's SDP: PCMU and telephone-event on `mediaPort`, `direction` (hold: sendonly), o= version. */
export type CallerCodec = 'PCMU' | 'PCMA' | 'G722';
const codecPayloadType: Record<CallerCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };

export function callerOffer(mediaPort: number, direction = 'sendrecv', version = 1, codec: CallerCodec = 'PCMU'): string {
  const pt = codecPayloadType[codec];
  return [
    'v=0',
    `o=caller 4242 ${version} IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${mediaPort} RTP/AVP ${pt} ${TELEPHONE_EVENT_PT}`,
    `a=rtpmap:${pt} ${codec}/8000`,
    `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/8000`,
    `a=fmtp:${TELEPHONE_EVENT_PT} 0-15`,
    'a=ptime:20',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

/** The calling side: our UserAgent with a media port offering PCMU and telephone-event. */
export class Caller {
  private readonly ports = new Set<MediaPort>();

  private constructor(readonly ua: UserAgent) {}

  static async start(): Promise<Caller> {
    return new Caller(await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } }));
  }

  /** INVITE sip:{user}@127.0.0.1:{sipPort}; resolves on the final answer. `onProgress` sees each 1xx, with its SDP if any (and may cancel). */
  async call(
    sipPort: number,
    user = '+15551230000',
    headers: Array<{ name: string; value: string }> = [],
    onProgress?: (status: number, cancel: () => void, sdp: Buffer | undefined) => void,
    codec: CallerCodec = 'PCMU',
  ): Promise<PlacedCall> {
    const port = await openMediaPort({
      allocator,
      bindAddress: '127.0.0.1',
      clock: systemClock,
      format: { payloadType: codecPayloadType[codec], encodingName: codec, clockRate: 8000, ptimeMs: 20 },
      telephoneEventPayloadType: TELEPHONE_EVENT_PT,
      rtpTimeoutMs: 0,
      rtcpIntervalMs: 0,
    });
    this.ports.add(port);
    const decoder = createPayloadCodec(codec);
    const heard: Heard = { sampleRate: decoder.sampleRate, packets: 0, samples: [], digits: '' };
    const receiver = new TelephoneEventReceiver({ onDigit: (digit) => (heard.digits += digit.digit) });
    port.on('dtmf-packet', (packet) => receiver.receive(packet.payload(), packet.timestamp, Date.now()));
    const pcm = new Int16Array(1024);
    port.on('packet', (packet) => {
      heard.packets++;
      const payload = packet.payload();
      const count = decoder.decode(payload, pcm);
      for (let i = 0; i < count; i++) heard.samples.push(pcm[i]!);
    });
    const offer = callerOffer(port.local.port, 'sendrecv', 1, codec);
    const provisional: number[] = [];
    const target = parseUri(`sip:${user}@127.0.0.1:${sipPort}`);
    const from = parseNameAddr('"Alice" <sip:alice@127.0.0.1>');
    if (target === undefined || from === undefined) throw new Error('bad test URI');
    const outgoing = this.ua.invite({
      target,
      from,
      headers,
      body: Buffer.from(offer),
    });
    outgoing.on('progress', (progress) => {
      provisional.push(progress.status);
      onProgress?.(progress.status, () => outgoing.cancel(), progress.remoteSdp);
    });
    const outcome = await outgoing.outcome;
    if (outcome.kind === 'failed') {
      port.close();
      return { answered: false, failure: outcome.failure, provisional };
    }
    const answer = outcome.call.remoteSdp?.toString('utf8') ?? '';
    const address = /^c=IN IP4 (\S+)/m.exec(answer)?.[1];
    const mediaPort = /^m=audio (\d+)/m.exec(answer)?.[1];
    if (address === undefined || mediaPort === undefined) throw new Error(`no media address in the answer:\n${answer}`);
    port.setRemote({ address, port: Number(mediaPort) });
    return { answered: true, call: outcome.call, port, heard, ended: outcome.call.ended };
  }

  /** Sends `digits` as RFC 4733 events (100 ms each, 100 ms apart), paced on real time. */
  async sendDigits(port: MediaPort, digits: string): Promise<void> {
    const view = new RtpPacketView();
    let sequenceNumber = 1000;
    let timestamp = 160_000;
    for (const digit of digits) {
      const packets = buildTelephoneEventPackets({ digit, timestamp, durationMs: 100 });
      let sentAt = 0;
      for (const packet of packets) {
        if (packet.sendAtMs > sentAt) {
          await sleep(packet.sendAtMs - sentAt);
          sentAt = packet.sendAtMs;
        }
        const datagram = buildRtpPacket({ payloadType: TELEPHONE_EVENT_PT, sequenceNumber: sequenceNumber++, timestamp: packet.timestamp, ssrc: 0x1234, marker: packet.marker }, packet.payload);
        view.wrap(datagram);
        port.sendRtp(view);
      }
      timestamp += 1600;
      await sleep(100);
    }
  }

  /** Sends `ms` of a 440 Hz tone as PCMU, one 20 ms packet at a time (real time). */
  async sendTone(port: MediaPort, ms: number): Promise<void> {
    const view = new RtpPacketView();
    const frame = new Int16Array(160);
    const payload = new Uint8Array(160);
    let sample = 0;
    for (let packet = 0; packet < ms / 20; packet++) {
      for (let i = 0; i < frame.length; i++, sample++) frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * sample) / 8000));
      encodeMulaw(frame, payload);
      view.wrap(buildRtpPacket({ payloadType: 0, sequenceNumber: 5000 + packet, timestamp: 320_000 + packet * 160, ssrc: 0x5678, marker: packet === 0 }, payload));
      port.sendRtp(view);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    for (const port of this.ports) port.close();
    await this.ua.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Bounds a wait: a stuck step fails the test (and its `finally` closes everything) instead of hanging. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Root mean square of samples, a crude loudness. */
export function rms(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

/** A 16-bit mono 8 kHz WAV of `ms` of a 600 Hz tone (what a `<Play>` URL serves). */
export function toneWav(ms: number): Buffer {
  const samples = Math.round((ms * 8000) / 1000);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVE', 8);
  wav.write('fmt ', 12);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(9000 * Math.sin((2 * Math.PI * 600 * i) / 8000)), 44 + i * 2);
  return wav;
}
