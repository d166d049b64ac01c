/**
 * G.711 RTP load shared by the `media-relay` and `concurrency` benchmarks: UDP sockets on loopback, a
 * paced generator of 172-byte RTP packets (12-byte header + 160 bytes PCMU, one per 20 ms per stream),
 * a sink that measures one-way latency and RFC 3550 A.8 jitter from a send time carried in the
 * payload, the bare Node dgram forwarder both benchmarks use as their ceiling, and CPU pinning.
 *
 * Payload layout (after the 12-byte RTP header): send time (performance.now() of the sending process,
 * float64 LE) at 12, the sending flow's index (uint32 LE) at 20, the run's number (uint32 LE) at 24,
 * then PCMU silence. Relays forward the payload untouched, so the receiving side reads them back.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';
export const PACKET_SIZE = 172;
/** One G.711 20 ms stream each way: 100 packets per second through a relay per call. */
export const PACKETS_PER_CALL_PER_S = 100;
/** Latency histogram: 10 µs bins up to 1 s. */
const BIN_US = 10;
const BINS = 100_000;
const SEND_TIME_OFFSET = 12;
const FLOW_OFFSET = 20;
const RUN_OFFSET = 24;

export function bindSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, HOST, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function connectSocket(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.connect(port, HOST, (error?: Error) => (error ? reject(error) : resolve())));
}

export function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** What the sink saw over one run. Latencies and jitter in ms; -1 when nothing arrived (NaN does not survive IPC). */
export interface FlowStats {
  sent: number;
  received: number;
  wallS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** RFC 3550 A.8 interarrival jitter of each received stream at the end of the run: median, p99 and worst over streams. */
  jitterP50Ms: number;
  jitterP99Ms: number;
  jitterMaxMs: number;
  /** Flows none of whose packets came back (a stream the relay does not carry at all), and the first few of them. */
  silentFlows: number;
  silentFlowIndexes: number[];
}

/**
 * RTP streams over connected sockets, one per flow, each sending to whatever its socket is connected
 * to; `onMessage` is the sink for every socket. Sequence numbers and timestamps carry on across runs
 * (RFC 3550 §5.1), so a relay sees one continuous stream per flow.
 */
export class RtpFlows {
  readonly sockets: dgram.Socket[];
  private readonly packets: Buffer[];
  private readonly sequence: Uint16Array;
  private readonly timestamp: Uint32Array;
  private readonly histogram = new Uint32Array(BINS);
  /** Per flow, for A.8: last transit time (ms) and the running jitter estimate. */
  private readonly transit: Float64Array;
  private readonly jitter: Float64Array;
  private readonly seen: Uint8Array;
  private received = 0;
  /** Packets of an earlier run that came back late are not this run's (a backlogged relay drains them). */
  private runNumber = 0;

  constructor(sockets: dgram.Socket[]) {
    this.sockets = sockets;
    this.packets = sockets.map((_, flow) => {
      const packet = Buffer.alloc(PACKET_SIZE, 0xff); // PCMU silence
      packet[0] = 0x80; // V=2
      packet[1] = 0x00; // PT 0, PCMU
      packet.writeUInt32BE(0x10000 + flow, 8);
      packet.writeUInt32LE(flow, FLOW_OFFSET);
      return packet;
    });
    this.sequence = new Uint16Array(sockets.length);
    this.timestamp = new Uint32Array(sockets.length);
    this.transit = new Float64Array(sockets.length);
    this.jitter = new Float64Array(sockets.length);
    this.seen = new Uint8Array(sockets.length);
    for (const socket of sockets) socket.on('message', this.onMessage);
  }

  /** The sink: latency into the histogram, A.8 jitter per sending flow (transit in ms instead of RTP units). */
  private readonly onMessage = (message: Buffer): void => {
    if (message.length < RUN_OFFSET + 4 || message.readUInt32LE(RUN_OFFSET) !== this.runNumber) return;
    this.received++;
    const transit = performance.now() - message.readDoubleLE(SEND_TIME_OFFSET);
    let bin = Math.floor((transit * 1000) / BIN_US);
    if (bin < 0) bin = 0;
    else if (bin >= BINS) bin = BINS - 1;
    this.histogram[bin]!++;
    const flow = message.readUInt32LE(FLOW_OFFSET);
    if (flow >= this.seen.length) return;
    if (this.seen[flow] === 1) {
      const d = Math.abs(transit - this.transit[flow]!);
      this.jitter[flow]! += (d - this.jitter[flow]!) / 16;
    }
    this.transit[flow] = transit;
    this.seen[flow] = 1;
  };

  /**
   * Sends `rate` packets per second spread evenly over the flows for `durationS`, then waits `drainMs`
   * for the last ones to come back. Smooth pacing as in peers/node-udp-limit.mjs: on each event-loop
   * turn send what is due, at most 256 packets so that the sink is polled in between, round-robin.
   */
  async run(rate: number, durationS: number, drainMs: number): Promise<FlowStats> {
    this.runNumber++;
    for (const packet of this.packets) packet.writeUInt32LE(this.runNumber, RUN_OFFSET);
    this.received = 0;
    this.histogram.fill(0);
    this.jitter.fill(0);
    this.seen.fill(0);
    const { sockets, packets, sequence, timestamp } = this;
    const count = sockets.length;
    let sent = 0;
    let flow = 0;
    const start = performance.now();
    const endMs = durationS * 1000;
    const wallS = await new Promise<number>((resolve) => {
      const turn = (): void => {
        const elapsed = performance.now() - start;
        if (elapsed >= endMs || count === 0) {
          resolve(elapsed / 1000);
          return;
        }
        let due = Math.floor((elapsed / 1000) * rate) - sent;
        if (due > 256) due = 256;
        for (let k = 0; k < due; k++) {
          const packet = packets[flow]!;
          sequence[flow]!++;
          timestamp[flow]! += 160;
          packet.writeUInt16BE(sequence[flow]!, 2);
          packet.writeUInt32BE(timestamp[flow]!, 4);
          packet.writeDoubleLE(performance.now(), SEND_TIME_OFFSET);
          sockets[flow]!.send(packet);
          sent++;
          if (++flow === count) flow = 0;
        }
        if (due > 0 || rate * 0.0005 >= 1) setImmediate(turn);
        else setTimeout(turn, 0);
      };
      turn();
    });
    await new Promise((resolve) => setTimeout(resolve, drainMs));
    const jitters = Array.from(this.jitter).filter((_, i) => this.seen[i] === 1).sort((a, b) => a - b);
    const silent: number[] = [];
    this.seen.forEach((seen, flow) => {
      if (seen === 0) silent.push(flow);
    });
    const at = (q: number): number => (jitters.length === 0 ? -1 : jitters[Math.min(jitters.length - 1, Math.floor(q * jitters.length))]!);
    return {
      sent,
      received: this.received,
      wallS,
      p50Ms: percentile(this.histogram, 0.5),
      p99Ms: percentile(this.histogram, 0.99),
      maxMs: percentile(this.histogram, 1),
      jitterP50Ms: at(0.5),
      jitterP99Ms: at(0.99),
      jitterMaxMs: jitters.length === 0 ? -1 : jitters[jitters.length - 1]!,
      silentFlows: silent.length,
      silentFlowIndexes: silent.slice(0, 8),
    };
  }
}

function percentile(histogram: Uint32Array, q: number): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  if (total === 0) return -1;
  const rank = Math.max(1, Math.ceil(total * q));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return ((i + 1) * BIN_US) / 1000;
  }
  return (histogram.length * BIN_US) / 1000;
}

/** A relay under test: the ports the load's two sides of each call send to. */
export interface Relay {
  portsA: number[];
  portsB: number[];
  close(): Promise<void>;
}

/** The ceiling: per call two connected sockets, each datagram sent on as is (peers/node-udp-limit.mjs). */
export async function bareForwarder(loadA: number[], loadB: number[]): Promise<Relay> {
  const sockets: dgram.Socket[] = [];
  const portsA: number[] = [];
  const portsB: number[] = [];
  for (let i = 0; i < loadA.length; i++) {
    const a = await bindSocket();
    const b = await bindSocket();
    await connectSocket(a, loadA[i]!);
    await connectSocket(b, loadB[i]!);
    a.on('message', (message: Buffer) => b.send(message));
    b.on('message', (message: Buffer) => a.send(message));
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    sockets.push(a, b);
    portsA.push(a.address().port);
    portsB.push(b.address().port);
  }
  return {
    portsA,
    portsB,
    async close() {
      await Promise.all(sockets.map(closeSocket));
    },
  };
}

const hasTaskset = existsSync('/usr/bin/taskset') || existsSync('/bin/taskset');

/** Pins a process (all its threads) to `cpu`; returns its previous affinity list to restore, or undefined. */
export function pinProcess(pid: number, cpu: number): string | undefined {
  if (!hasTaskset) return undefined;
  try {
    const before = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
    const list = before.split(':').pop()?.trim();
    execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: 'ignore' });
    return list;
  } catch {
    return undefined;
  }
}

export function restoreAffinity(pid: number, list: string): void {
  try {
    execFileSync('taskset', ['-a', '-c', '-p', list, String(pid)], { stdio: 'ignore' });
  } catch {
    // The process is gone or the run is over: nothing to restore.
  }
}

/** The command prefix that starts a program pinned to `cpu`, or none without taskset. */
export function pinnedCommand(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  return cpu === undefined || !hasTaskset ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** The kernel's count of UDP datagrams dropped for a full receive buffer (all sockets, /proc/net/snmp). */
export function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const index = names.indexOf('RcvbufErrors');
  return index < 0 ? 0 : Number(values[index]);
}

/** Node flags of this process that load TypeScript (tsx when run from source), for a child running a bench file. */
export function loaderArgs(): string[] {
  const args: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--import' || arg === '--loader' || arg === '--require' || arg === '-r') {
      args.push(arg, process.execArgv[++i]!);
    } else if (arg.startsWith('--import=') || arg.startsWith('--loader=') || arg.startsWith('--require=')) {
      args.push(arg);
    }
  }
  return args;
}

/**
 * A bench file run as a child process (pinned to a cpu when taskset exists) and spoken to over IPC:
 * each request names the reply it waits for, with a deadline, so a stuck child cannot hang the bench.
 */
export class IpcChild<Request extends { cmd: string }, Reply extends { cmd: string }> {
  readonly child: ChildProcess;
  private readonly waiting: Array<{ cmd: string; resolve: (reply: Reply) => void }> = [];

  constructor(script: string, env: Record<string, string>, pinCpu: number | undefined) {
    const [command, args] = pinnedCommand(pinCpu, process.execPath, [...loaderArgs(), script]);
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: Reply) => {
      const index = this.waiting.findIndex((entry) => entry.cmd === reply.cmd);
      if (index >= 0) this.waiting.splice(index, 1)[0]!.resolve(reply);
    });
  }

  ask<R extends Reply>(request: Request, reply: R['cmd'], limitMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child process: no '${reply}' within ${limitMs} ms`)), limitMs);
      this.waiting.push({
        cmd: reply,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as R);
        },
      });
      this.child.send(request);
    });
  }

  /** Asks the child to exit (it must handle `{ cmd: 'exit' }`), then kills it, by its pid, after 2 s. */
  async exit(request: Request): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send(request);
    const result = await Promise.race([exited.then(() => 'exited'), sleep(2_000).then(() => 'timeout')]);
    if (result === 'timeout') this.child.kill('SIGKILL');
  }
}
