/**
 * One side of the `sip-transactions` suite, run as a child process (forked by sip-transactions.bench.ts)
 * so that each side has its own event loop, heap and GC threads, and its CPU time can be read apart
 * (process.cpuUsage covers the whole process, so a worker thread would mix both sides' figures).
 *
 * Roles, given as the first argument:
 * - `server`: a SipEndpoint (OPTIONS answered 200 by the UA core) or, with `calls`, a UserAgent that
 *   answers every INVITE 200 with SDP and takes the ACK and the BYE.
 * - `client`: a SipEndpoint keeping `window` OPTIONS transactions in flight, or, with `calls`, a
 *   UserAgent keeping `window` calls in flight: INVITE → 200 → ACK, then BYE → 200 at once.
 *
 * Every run is bounded in count (`maxOperations`) and time (`durationMs`); the parent also kills the
 * process if it does not answer in time. IPC messages: see `Command` and `Reply`.
 */
import { randomToken } from '../src/kernel/index.js';
import type { NameAddr, SipRequest, SipUri } from '../src/sip/message/index.js';
import { SipEndpoint, UserAgent } from '../src/sip/ua/index.js';

export type Scenario = 'options' | 'calls';

export interface LoadSettings {
  serverPort: number;
  window: number;
  durationMs: number;
  /** Upper bound on operations started (transactions or calls). */
  maxOperations: number;
}

export interface SideCpu {
  /** CPU time (user + system) of the whole process over the measured interval, microseconds. */
  cpuUs: number;
  /** Wall time of the measured interval, milliseconds. */
  elapsedMs: number;
  /** Heap in use at the end of the interval, bytes. */
  heapUsed: number;
  /** SIP messages received and sent by the server's transport over the interval (retransmissions show here). */
  messages?: { received: number; sent: number };
}

export interface LoadResult extends SideCpu {
  completed: number;
  failed: number;
  latenciesMs: number[];
}

export type Command =
  | { type: 'start'; scenario: Scenario }
  | { type: 'mark' }
  | { type: 'report' }
  | { type: 'run'; scenario: Scenario; settings: LoadSettings }
  | { type: 'exit' };

export type Reply =
  | { type: 'ready'; port: number }
  | { type: 'marked' }
  | { type: 'report'; side: SideCpu }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

const answerSdp = Buffer.from('v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n');
const offerSdp = Buffer.from('v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n');

function uri(user: string, port?: number): SipUri {
  const value: SipUri = { scheme: 'sip', user, host: '127.0.0.1', params: new Map(), headers: [] };
  if (port !== undefined) value.port = port;
  return value;
}

function optionsRequest(serverPort: number, sequence: number): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: uri('bench', serverPort),
    via: [],
    from: { uri: uri('load'), params: new Map([['tag', randomToken()]]) },
    to: { uri: uri('bench'), params: new Map() },
    callId: `${randomToken()}-${sequence}`,
    cseq: { seq: 1, method: 'OPTIONS' },
    maxForwards: 70,
    headers: [],
    body: Buffer.alloc(0),
  };
}

interface Operation {
  /** Starts one operation; `done(ok)` is called once when it ends. */
  (sequence: number, done: (ok: boolean) => void): void;
}

/** Keeps `window` operations in flight until the time or the count runs out. */
function drive(settings: LoadSettings, operation: Operation): Promise<LoadResult> {
  return new Promise((resolve) => {
    const latenciesMs: number[] = [];
    let completed = 0;
    let failed = 0;
    let started = 0;
    let inFlight = 0;
    const begin = performance.now();
    const cpuBefore = process.cpuUsage();
    const launch = (): void => {
      while (inFlight < settings.window && started < settings.maxOperations && performance.now() - begin < settings.durationMs) {
        const sentAt = performance.now();
        inFlight++;
        started++;
        operation(started, (ok) => {
          inFlight--;
          if (ok) {
            completed++;
            latenciesMs.push(performance.now() - sentAt);
          } else {
            failed++;
          }
          launch();
        });
      }
      if (inFlight === 0) {
        const cpu = process.cpuUsage(cpuBefore);
        resolve({
          completed,
          failed,
          latenciesMs,
          cpuUs: cpu.user + cpu.system,
          elapsedMs: performance.now() - begin,
          heapUsed: process.memoryUsage().heapUsed,
        });
      }
    };
    launch();
  });
}

async function runOptionsClient(settings: LoadSettings): Promise<LoadResult> {
  const client = await SipEndpoint.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  const destination = { protocol: 'udp' as const, address: '127.0.0.1', port: settings.serverPort };
  try {
    return await drive(settings, (sequence, done) => {
      client.transactions.request(optionsRequest(settings.serverPort, sequence), destination, {
        onResponse(response) {
          if (response.status >= 200) done(response.status === 200);
        },
      });
    });
  } finally {
    await client.close();
  }
}

async function runCallClient(settings: LoadSettings): Promise<LoadResult> {
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] } });
  const from: NameAddr = { uri: uri('load'), params: new Map() };
  const target = uri('bench', settings.serverPort);
  try {
    return await drive(settings, (_sequence, done) => {
      const outgoing = ua.invite({ target, from, body: offerSdp });
      outgoing.outcome.then(
        (outcome) => {
          if (outcome.kind !== 'answered') {
            done(false);
            return;
          }
          outcome.call.bye().then(
            (end) => done(end.status === 200),
            () => done(false),
          );
        },
        () => done(false),
      );
    });
  } finally {
    await ua.close();
  }
}

interface Server {
  port: number;
  close: () => Promise<void>;
  stats: () => { received: number; sent: number };
}

async function startServer(scenario: Scenario): Promise<Server> {
  const transport = { listen: [{ protocol: 'udp' as const, address: '127.0.0.1', port: 0 }] };
  if (scenario === 'options') {
    const endpoint = await SipEndpoint.start({ transport });
    return { port: endpoint.listening()[0]!.port, close: () => endpoint.close(), stats: () => endpoint.transport.stats() };
  }
  const ua = await UserAgent.start({ transport });
  ua.onIncomingCall((call) => {
    call.accept(answerSdp).catch(() => undefined);
  });
  return { port: ua.endpoint.listening()[0]!.port, close: () => ua.close(), stats: () => ua.endpoint.transport.stats() };
}

function send(reply: Reply): void {
  process.send?.(reply);
}

if (process.send !== undefined) {
  let server: Server | undefined;
  let markStats = { received: 0, sent: 0 };
  let markCpu = process.cpuUsage();
  let markAt = performance.now();
  process.on('message', (command: Command) => {
    void (async () => {
      try {
        switch (command.type) {
          case 'start':
            server = await startServer(command.scenario);
            send({ type: 'ready', port: server.port });
            return;
          case 'mark':
            markStats = server?.stats() ?? markStats;
            markCpu = process.cpuUsage();
            markAt = performance.now();
            send({ type: 'marked' });
            return;
          case 'report': {
            const cpu = process.cpuUsage(markCpu);
            const stats = server?.stats() ?? markStats;
            send({
              type: 'report',
              side: {
                cpuUs: cpu.user + cpu.system,
                elapsedMs: performance.now() - markAt,
                heapUsed: process.memoryUsage().heapUsed,
                messages: { received: stats.received - markStats.received, sent: stats.sent - markStats.sent },
              },
            });
            return;
          }
          case 'run': {
            const result = command.scenario === 'options' ? await runOptionsClient(command.settings) : await runCallClient(command.settings);
            send({ type: 'result', result });
            return;
          }
          case 'exit':
            await server?.close();
            process.disconnect?.();
            process.exit(0);
        }
      } catch (error) {
        send({ type: 'error', message: String((error as Error)?.stack ?? error) });
      }
    })();
  });
}
