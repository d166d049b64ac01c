/**
 * Loopback peers for integration tests: a plain dgram "phone" that records what it receives, and a
 * burst sent from another thread while this one's event loop is blocked (what arrives during a GC
 * pause or a burst of work).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export const HOST = '127.0.0.1';

export interface Phone {
  socket: dgram.Socket;
  port: number;
  received: Buffer[];
}

/**
 * A UDP socket on loopback that keeps every datagram it receives. `recvBufferSize` lets a test that
 * counts every datagram of a burst hold it while its own event loop waits for a core.
 */
export async function phone(options: { recvBufferSize?: number } = {}): Promise<Phone> {
  const socket = dgram.createSocket({ type: 'udp4', ...options });
  const received: Buffer[] = [];
  socket.on('message', (message) => received.push(message));
  socket.bind(0, HOST);
  await once(socket, 'listening');
  return { socket, port: socket.address().port, received };
}

export interface BlockedBurst {
  port: number;
  count: number;
  /** The datagram's text; `{i}` in it becomes the datagram's index (0, 1, …). */
  template: string;
  /** Pause 1 ms after every this many datagrams (0: none), to stay below what the receiver reads. */
  pauseEvery?: number;
}

/** The sender: one send after the other (each after the previous one's callback), then the flag. */
const senderSource = `
const { workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const socket = dgram.createSocket('udp4');
const flag = new Int32Array(workerData.shared);
const { port, count, template, pauseEvery } = workerData;
let sent = 0;
const next = () => {
  if (sent === count) {
    socket.close();
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    return;
  }
  const text = template.replaceAll('{i}', String(sent));
  sent++;
  socket.send(text, port, '127.0.0.1', () => (pauseEvery > 0 && sent % pauseEvery === 0 ? setTimeout(next, 1) : next()));
};
next();
`;

/** Keeps this thread's event loop blocked until another thread has sent the burst (or 20 s pass). */
export async function sendWhileBlocked(burst: BlockedBurst): Promise<void> {
  const shared = new SharedArrayBuffer(4);
  const flag = new Int32Array(shared);
  const worker = new Worker(senderSource, { eval: true, workerData: { shared, pauseEvery: 0, ...burst } });
  await once(worker, 'online');
  Atomics.wait(flag, 0, 0, 20_000);
  assert.equal(Atomics.load(flag, 0), 1, 'the sender finished while the loop was blocked');
  await worker.terminate();
}
