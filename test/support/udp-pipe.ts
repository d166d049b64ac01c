/**
 * An in-memory UDP network for unit tests: sockets are (address, port) endpoints, sends are queued
 * and delivered in order by `flush()`, so a test decides when packets arrive and nothing needs real
 * time. Like the kernel, a send copies the datagram, and a connected socket only receives from its
 * peer (others are counted as `filtered`).
 */
import type { DatagramHandler, DatagramSocket, RemoteEndpoint } from '../../src/media/index.js';

type Queued = { kind: 'datagram'; to: string; from: RemoteEndpoint; data: Buffer; done?: (error: Error | null) => void } | { kind: 'connected'; done: (error?: Error) => void };

export class UdpPipe {
  private readonly sockets = new Map<string, PipeSocket>();
  private readonly queue: Queued[] = [];
  /** Datagrams sent to an endpoint nobody holds. */
  unreachable = 0;
  /** Datagrams a connected socket refused because they came from someone other than its peer. */
  filtered = 0;

  socket(address: string, port: number): PipeSocket {
    const key = `${address}:${port}`;
    if (this.sockets.has(key)) throw new Error(`${key} is already bound`);
    const socket = new PipeSocket(this, address, port);
    this.sockets.set(key, socket);
    return socket;
  }

  /** Delivers queued datagrams (and anything they cause to be sent) until the queue is empty. */
  flush(maxDeliveries = 100_000): number {
    let delivered = 0;
    while (this.queue.length > 0) {
      if (delivered++ >= maxDeliveries) throw new Error('udp pipe: delivery loop did not settle');
      const item = this.queue.shift()!;
      if (item.kind === 'connected') {
        item.done();
        continue;
      }
      item.done?.(null);
      const target = this.sockets.get(item.to);
      if (target === undefined || target.isClosed) {
        this.unreachable++;
        continue;
      }
      target.deliver(item.data, item.from);
    }
    return delivered;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** @internal */
  enqueue(item: Queued): void {
    this.queue.push(item);
  }

  /** @internal */
  unbind(socket: PipeSocket): void {
    this.sockets.delete(`${socket.address}:${socket.port}`);
  }
}

export class PipeSocket implements DatagramSocket {
  readonly address: string;
  readonly port: number;
  /** Every datagram this socket sent, in order (copies). */
  readonly sent: Buffer[] = [];
  /** Every datagram delivered to this socket, in order, with its source. */
  readonly received: Array<{ data: Buffer; from: RemoteEndpoint }> = [];
  isClosed = false;
  private readonly pipe: UdpPipe;
  private handler: DatagramHandler | undefined;
  private peer: RemoteEndpoint | undefined;

  constructor(pipe: UdpPipe, address: string, port: number) {
    this.pipe = pipe;
    this.address = address;
    this.port = port;
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onError(): void {
    // The pipe never fails asynchronously.
  }

  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void {
    if (this.isClosed) throw new Error('send on a closed socket');
    if (this.peer !== undefined) throw new Error('send with an address on a connected socket');
    this.push(message, `${address}:${port}`, done);
  }

  sendConnected(message: Buffer): void {
    if (this.isClosed) throw new Error('send on a closed socket');
    if (this.peer === undefined) throw new Error('sendConnected on an unconnected socket');
    this.push(message, `${this.peer.address}:${this.peer.port}`);
  }

  connect(port: number, address: string, done: (error?: Error) => void): void {
    // Like Node, the socket counts as connected only once the callback has run.
    this.pipe.enqueue({
      kind: 'connected',
      done: () => {
        this.peer = { address, port };
        done();
      },
    });
  }

  disconnect(): void {
    this.peer = undefined;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.pipe.unbind(this);
  }

  local(): RemoteEndpoint {
    return { address: this.address, port: this.port };
  }

  get connectedTo(): RemoteEndpoint | undefined {
    return this.peer;
  }

  /** @internal */
  deliver(data: Buffer, from: RemoteEndpoint): void {
    if (this.peer !== undefined && (this.peer.address !== from.address || this.peer.port !== from.port)) {
      this.pipe.filtered++;
      return;
    }
    this.received.push({ data: Buffer.from(data), from });
    this.handler?.(data, from);
  }

  private push(message: Buffer, to: string, done?: (error: Error | null) => void): void {
    const data = Buffer.from(message);
    this.sent.push(Buffer.from(message));
    const item: Queued = { kind: 'datagram', to, from: { address: this.address, port: this.port }, data };
    if (done !== undefined) item.done = done;
    this.pipe.enqueue(item);
  }
}
