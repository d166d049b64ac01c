/**
 * UDP sockets whose system calls run on a thread of their own: the engine's I/O thread, which carries
 * the SIP transport's UDP listeners and every call's RTP and RTCP.
 *
 * Why: a call's RTP is ~100 datagrams through the engine's sockets (25 a leg each way, received and
 * sent, in the e2e suite), its SIP ~20, and on the main thread each costs Node's per-datagram receive
 * machinery and a system call whose loopback path runs the receiver's side too (a SIP send that wakes
 * an idle peer: ~56 µs). Here the main thread keeps everything that decides (parsing, transactions,
 * MediaPort's validation, latching, rewriting, the bridge, DTMF, recording), and the I/O thread only
 * receives and sends. They exchange one batch of datagrams per turn of either event loop (see
 * datagram-thread-worker.ts), so a datagram costs the main thread a copy into or out of a batch.
 *
 * `bind` is a DatagramBinder: the SIP transport binds its UDP listeners with it, and a PortAllocator
 * built with it its RTP and RTCP sockets.
 * One exception to "the main thread decides": a relayed RTP stream in its steady state (RtpForwarding,
 * set up by MediaPort when its bridge needs nothing more than the header rewritten) is relayed by the
 * thread itself, socket to socket, and reported every ~250 ms; the rest of the stream still comes here.
 * A received datagram is a view of its batch, like Node's own Buffers read now and not kept.
 * Sends and commands (bind, connect, disconnect, close, forwarding) queue up in the current batch,
 * which goes at the end of this turn of the loop (setImmediate): one message a turn, in which the
 * thread carries them out in the order issued.
 *
 * When the main thread falls behind, what the thread has posted and the main thread not yet read is
 * bounded (MAX_UNREAD_BYTES); past it datagrams are dropped on arrival and counted (`droppedDatagrams`,
 * and a warning at most every 10 s), as a full socket buffer drops them.
 *
 * If the thread dies (it runs only Node's dgram; nothing of ours can throw there), every open socket
 * reports the error (ioThreadStopped), new binds are refused and an error is logged: the engine no
 * longer hears SIP over UDP, and the calls up lose their media until their RTP timeout. The thread
 * keeps the process alive only while a socket is open or being bound, as a bound dgram socket does.
 */
import { Worker } from 'node:worker_threads';
import { isIP } from 'node:net';
import { DialtoneError, ErrorCodes } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BoundDatagramSocket, DatagramBinder, DatagramHandler, DatagramSocket, RemoteEndpoint, RtpForwarding, RtpForwardingProgress, RtpForwardingSocket } from './datagram-socket.js';
import {
  BATCH_ADDRESSES,
  BATCH_CAPACITY,
  CONNECTED_ADDRESS,
  COUNTER_BYTES_READ,
  COUNTER_DROPPED,
  COUNTER_SLOTS,
  datagramWorkerSource,
  RECEIVE_RECORD_HEADER,
  SEND_RECORD_HEADER,
  type BoundSocket,
  type FromThread,
  type PlacedCommand,
  type ThreadError,
  type ToThread,
  type WorkerData,
} from './datagram-thread-worker.js';

type ErrorHandler = (error: Error) => void;
type Completion = (error: Error | undefined) => void;

/** Least time between two warnings about dropped datagrams. */
const DROP_WARNING_INTERVAL_MS = 10_000;

export interface DatagramThreadOptions {
  logger?: Logger;
}

/** An error reported by the thread, as Node's own: message and errno `code`. */
function threadError(error: ThreadError): Error {
  const result: NodeJS.ErrnoException = new Error(error.message);
  if (error.code !== undefined) result.code = error.code;
  return result;
}

export class DatagramThread {
  private readonly worker: Worker;
  private readonly logger: Logger;
  private readonly sockets = new Map<number, ThreadDatagramSocket>();
  private readonly binding = new Map<number, { resolve: (socket: ThreadDatagramSocket) => void; reject: (error: Error) => void }>();
  private readonly completions = new Map<number, Completion>();
  private nextSocketId = 1;
  private nextCompletionId = 1;
  private referenced = false;
  private failure: DialtoneError | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters = new Int32Array(new SharedArrayBuffer(COUNTER_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private droppedWarned = 0;
  private lastDropWarningMs = -Infinity;
  // The batch of sends being gathered this turn.
  private readonly batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
  private used = 0;
  private addresses: string[] = [];
  private addressIndex = new Map<string, number>();
  private commands: PlacedCommand[] = [];
  private flushScheduled = false;

  constructor(options: DatagramThreadOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    const workerData: WorkerData = { counters: this.counters.buffer as SharedArrayBuffer, mainTimeOrigin: performance.timeOrigin };
    this.worker = new Worker(datagramWorkerSource, { eval: true, workerData });
    this.worker.unref();
    this.worker.on('message', (message: FromThread) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(`the I/O thread failed: ${error.message}`, error));
    this.worker.on('exit', (code) => this.fail(`the I/O thread exited (code ${code})`));
  }

  /** Binds a UDP socket on the thread (a DatagramBinder). */
  readonly bind: DatagramBinder = (address, port, options = {}) => {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextSocketId++;
    return new Promise<BoundDatagramSocket>((resolve, reject) => {
      this.binding.set(id, { resolve, reject });
      this.updateReference();
      this.command({ type: 'bind', id, address, port, udp6: isIP(address) === 6, receiveBufferBytes: Math.max(0, options.receiveBufferBytes ?? 0) });
    });
  };

  /** Sockets open on the thread. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Datagrams dropped on arrival because the main thread had too much unread (MAX_UNREAD_BYTES). */
  get droppedDatagrams(): number {
    return Atomics.load(this.counters, COUNTER_DROPPED);
  }

  /** Stops the thread, which closes its sockets; idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.worker.terminate().then(() => undefined);
      this.fail('the I/O thread is closed');
      // Referenced until it has exited (fail() let go of it): otherwise the event loop may stop before
      // the exit, and whoever awaits close() is left with a promise nothing keeps alive.
      this.worker.ref();
    }
    return this.closing;
  }

  // ---- used by ThreadDatagramSocket

  /** Adds a datagram to this turn's batch; `port` 0 with no address sends on the connected socket. */
  queueSend(id: number, message: Buffer, port: number, address: string | undefined, done: Completion | undefined): void {
    if (this.failure !== undefined) {
      done?.(this.failure);
      return;
    }
    const length = message.length;
    if (this.used + SEND_RECORD_HEADER + length > BATCH_CAPACITY || this.addresses.length === BATCH_ADDRESSES) this.flush();
    let index = CONNECTED_ADDRESS;
    if (address !== undefined) {
      index = this.addressIndex.get(address) ?? -1;
      if (index === -1) {
        index = this.addresses.length;
        this.addresses.push(address);
        this.addressIndex.set(address, index);
      }
    }
    const batch = this.batch;
    const at = this.used;
    batch.writeUInt32LE(id, at);
    batch.writeUInt32LE(done === undefined ? 0 : this.completion(done), at + 4);
    batch.writeUInt16LE(port, at + 8);
    batch.writeUInt16LE(index, at + 10);
    batch.writeUInt16LE(length, at + 12);
    message.copy(batch, at + SEND_RECORD_HEADER);
    this.used = at + SEND_RECORD_HEADER + length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  connect(id: number, port: number, address: string, done: Completion): void {
    if (this.failure !== undefined) {
      done(this.failure);
      return;
    }
    this.command({ type: 'connect', id, port, address, callback: this.completion(done) });
  }

  disconnect(id: number): void {
    if (this.failure === undefined) this.command({ type: 'disconnect', id });
  }

  forward(id: number, to: number, forwarding: RtpForwarding): void {
    if (this.failure === undefined) this.command({ type: 'forward', id, to, forwarding });
  }

  unforward(id: number): void {
    if (this.failure === undefined) this.command({ type: 'unforward', id });
  }

  closeSocket(id: number, done: (() => void) | undefined): void {
    this.sockets.delete(id);
    if (this.failure !== undefined) {
      done?.();
    } else {
      this.command({ type: 'close', id, callback: done === undefined ? 0 : this.completion(() => done()) });
    }
    this.updateReference();
  }

  // ---- internals

  private completion(done: Completion): number {
    const id = this.nextCompletionId;
    this.nextCompletionId = id === 0xffff_ffff ? 1 : id + 1;
    this.completions.set(id, done);
    this.updateReference();
    return id;
  }

  /** Goes with this turn's batch, placed after the sends issued before it. */
  private command(command: PlacedCommand['command']): void {
    this.commands.push({ at: this.used, command });
    this.scheduleFlush();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if ((this.used === 0 && this.commands.length === 0) || this.failure !== undefined) return;
    let records: ArrayBuffer | null = null;
    if (this.used > 0) {
      records = new ArrayBuffer(this.used);
      new Uint8Array(records).set(this.batch.subarray(0, this.used));
    }
    const batch: ToThread = { records, addresses: this.addresses, commands: this.commands };
    this.used = 0;
    this.addresses = [];
    this.addressIndex = new Map();
    this.commands = [];
    this.worker.postMessage(batch, records === null ? [] : [records]);
  };

  private onMessage(message: FromThread): void {
    switch (message.type) {
      case 'received':
        // Binds first: a socket bound in this batch may have received in it too.
        for (const bound of message.bound) this.bound(bound);
        if (message.records !== null) this.deliver(message.records, message.addresses);
        for (const callback of message.completed) this.complete(callback, undefined);
        return;
      case 'bind-failed': {
        const waiting = this.binding.get(message.id);
        this.binding.delete(message.id);
        this.updateReference();
        waiting?.reject(threadError(message.error));
        return;
      }
      case 'done':
        this.complete(message.callback, threadError(message.error));
        return;
      case 'error': {
        const socket = this.sockets.get(message.id);
        if (socket !== undefined) this.isolated('socket error handler', () => socket.emitError(threadError(message.error)));
        return;
      }
      case 'forwarded':
        for (const report of message.reports) {
          const socket = this.sockets.get(report.id);
          if (socket !== undefined) this.isolated('forwarding report', () => socket.emitForwarded(report));
        }
        return;
    }
  }

  private bound({ id, address, port, receiveBufferBytes }: BoundSocket): void {
    const waiting = this.binding.get(id);
    this.binding.delete(id);
    if (waiting === undefined) return;
    const socket = new ThreadDatagramSocket(this, id, { address, port }, receiveBufferBytes);
    this.sockets.set(id, socket);
    waiting.resolve(socket);
  }

  private complete(callback: number, error: Error | undefined): void {
    const done = this.completions.get(callback);
    this.completions.delete(callback);
    this.updateReference();
    if (done === undefined) return;
    // Inline rather than through isolated(): every SIP send over UDP has a completion, and a closure
    // for each would be an allocation per message.
    try {
      done(error);
    } catch (thrown) {
      this.logger.error('datagram completion threw', { error: thrown instanceof Error ? thrown.message : String(thrown) });
    }
  }

  /** As for a datagram handler: what one socket's user throws must not stop the rest of the thread's messages. */
  private isolated(what: string, run: () => void): void {
    try {
      run();
    } catch (thrown) {
      this.logger.error(`${what} threw`, { error: thrown instanceof Error ? thrown.message : String(thrown) });
    }
  }

  private deliver(records: ArrayBuffer, addresses: string[]): void {
    const bytes = Buffer.from(records);
    let offset = 0;
    while (offset < bytes.length) {
      const id = bytes.readUInt32LE(offset);
      const port = bytes.readUInt16LE(offset + 4);
      const address = addresses[bytes.readUInt16LE(offset + 6)]!;
      const start = offset + RECEIVE_RECORD_HEADER;
      offset = start + bytes.readUInt16LE(offset + 8);
      // Absent: closed here while the datagram was on its way.
      const socket = this.sockets.get(id);
      if (socket === undefined) continue;
      try {
        socket.emitMessage(bytes.subarray(start, offset), { address, port });
      } catch (error) {
        // A handler must not throw (nothing throws out of a socket handler); if one does, the rest of
        // the batch still reaches its sockets.
        this.logger.error('datagram handler threw', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    Atomics.add(this.counters, COUNTER_BYTES_READ, records.byteLength);
    this.warnOfDrops();
  }

  private warnOfDrops(): void {
    const dropped = this.droppedDatagrams;
    if (dropped === this.droppedWarned) return;
    const now = performance.now();
    if (now - this.lastDropWarningMs < DROP_WARNING_INTERVAL_MS) return;
    this.logger.warn('datagrams dropped: the main thread fell behind the I/O thread', { dropped: dropped - this.droppedWarned, total: dropped });
    this.droppedWarned = dropped;
    this.lastDropWarningMs = now;
  }

  /** Referenced while a socket is open, being bound, or waits for a completion. */
  private updateReference(): void {
    const busy = this.failure === undefined && (this.sockets.size > 0 || this.binding.size > 0 || this.completions.size > 0);
    if (busy === this.referenced) return;
    this.referenced = busy;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  private fail(reason: string, cause?: unknown): void {
    if (this.failure !== undefined) return;
    const failure = new DialtoneError(ErrorCodes.ioThreadStopped, reason, {}, cause === undefined ? undefined : { cause });
    const closed = this.closing !== undefined;
    this.failure = failure;
    if (!closed) this.logger.error('I/O thread stopped: its sockets (SIP over UDP, RTP) no longer send or receive', { reason, sockets: this.sockets.size });
    for (const waiting of this.binding.values()) waiting.reject(failure);
    this.binding.clear();
    const completions = [...this.completions.values()];
    this.completions.clear();
    for (const done of completions) done(failure);
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    for (const socket of sockets) {
      socket.abandonForwarding();
      if (!closed) socket.emitError(failure);
    }
    this.updateReference();
  }
}

/** The thread socket under `socket` (a wrapper such as an outbound leg's handed socket says which). */
function forwardingEndpointOf(socket: DatagramSocket): DatagramSocket | undefined {
  const endpoint = (socket as Partial<RtpForwardingSocket>).forwardingEndpoint;
  return typeof endpoint === 'function' ? endpoint.call(socket) : undefined;
}

/** One socket on the thread, as a MediaPort sees it. */
class ThreadDatagramSocket implements BoundDatagramSocket, RtpForwardingSocket {
  private messageHandlers: readonly DatagramHandler[] = [];
  private errorHandlers: readonly ErrorHandler[] = [];
  private closed = false;
  private forwardingListener: ((progress: RtpForwardingProgress) => void) | undefined;

  constructor(
    readonly thread: DatagramThread,
    readonly id: number,
    private readonly bound: RemoteEndpoint,
    private readonly grantedReceiveBuffer: number,
  ) {}

  onMessage(handler: DatagramHandler): void {
    // Replaced, not changed in place: a handler may come off while a datagram is being delivered.
    this.messageHandlers = [...this.messageHandlers, handler];
  }

  offMessage(handler: DatagramHandler): void {
    this.messageHandlers = this.messageHandlers.filter((each) => each !== handler);
  }

  onError(handler: ErrorHandler): void {
    this.errorHandlers = [...this.errorHandlers, handler];
  }

  offError(handler: ErrorHandler): void {
    this.errorHandlers = this.errorHandlers.filter((each) => each !== handler);
  }

  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void {
    this.assertOpen();
    this.thread.queueSend(this.id, message, port, address, done === undefined ? undefined : (error) => done(error ?? null));
  }

  connect(port: number, address: string, done: (error?: Error) => void): void {
    this.assertOpen();
    this.thread.connect(this.id, port, address, done);
  }

  sendConnected(message: Buffer): void {
    this.assertOpen();
    this.thread.queueSend(this.id, message, 0, undefined, undefined);
  }

  disconnect(): void {
    this.assertOpen();
    this.thread.disconnect(this.id);
  }

  forwardingEndpoint(): DatagramSocket | undefined {
    return this.closed ? undefined : this;
  }

  canForwardTo(to: DatagramSocket): boolean {
    const target = forwardingEndpointOf(to);
    // One forwarding at a time: a new one waits for the last one's final report.
    return !this.closed && this.forwardingListener === undefined && target instanceof ThreadDatagramSocket && target !== this && target.thread === this.thread;
  }

  forwardRtp(to: DatagramSocket, forwarding: RtpForwarding, onProgress: (progress: RtpForwardingProgress) => void): void {
    const target = forwardingEndpointOf(to);
    if (!(target instanceof ThreadDatagramSocket) || !this.canForwardTo(target)) throw new DialtoneError(ErrorCodes.internal, 'cannot forward to a socket on another thread');
    this.forwardingListener = onProgress;
    this.thread.forward(this.id, target.id, forwarding);
  }

  stopForwarding(): void {
    if (!this.closed && this.forwardingListener !== undefined) this.thread.unforward(this.id);
  }

  /** The thread is gone: a forwarding ends with nothing more to report. */
  abandonForwarding(): void {
    this.emitForwarded({ packets: 0, octets: 0, highestSequence: 0, highestTimestamp: 0, lastArrivalMs: 0, jitterUnits: 0, transit: 0, ended: true });
  }

  emitForwarded(progress: RtpForwardingProgress): void {
    const listener = this.forwardingListener;
    if (progress.ended) this.forwardingListener = undefined;
    listener?.(progress);
  }

  close(done?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.forwardingListener = undefined;
    this.messageHandlers = [];
    this.errorHandlers = [];
    this.thread.closeSocket(this.id, done);
  }

  local(): RemoteEndpoint {
    return { address: this.bound.address, port: this.bound.port };
  }

  receiveBufferBytes(): number {
    return this.grantedReceiveBuffer;
  }

  emitMessage(message: Buffer, from: RemoteEndpoint): void {
    for (const handler of this.messageHandlers) handler(message, from);
  }

  emitError(error: Error): void {
    for (const handler of this.errorHandlers) handler(error);
  }

  /** As Node's dgram: using a closed socket throws (MediaPort counts it as a send error). */
  private assertOpen(): void {
    if (this.closed) throw new DialtoneError(ErrorCodes.internal, 'socket is closed', { local: `${this.bound.address}:${this.bound.port}` });
  }
}
