/**
 * RtpSocketPair on real loopback sockets: the port offered in an INVITE carries one MediaPort after
 * another when a forking proxy's branches answer in different dialogs (early media from one callee,
 * the 2xx from another, each with its own codec). The later port takes the sockets over; the earlier
 * one hears and sends nothing more and is no longer tied to its peer; the last port gives the pair back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { DatagramThread, systemClock } from '../../../src/kernel/index.js';
import { buildRtpPacket, PortAllocator, RtpPacketView, type MediaPort } from '../../../src/media/index.js';
import { RtpSocketPair } from '../../../src/call/adapters/dial/index.js';

const HOST = '127.0.0.1';
const PCMU = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 };
const PCMA = { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, ptimeMs: 20 };

/** A callee's RTP socket on loopback, keeping every datagram it receives. */
async function peer(): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message) => received.push(message));
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return { socket, port: socket.address().port, received };
}

function rtp(payloadType: number, sequenceNumber: number): Buffer {
  return buildRtpPacket({ payloadType, sequenceNumber, timestamp: sequenceNumber * 160, ssrc: 0xabc, marker: false }, new Uint8Array(160));
}

/** Sends one RTP packet from `from` to the pair and resolves with what `port` made of it, if anything. */
async function deliver(from: Socket, pairPort: number, packet: Buffer, port: MediaPort): Promise<number | undefined> {
  return new Promise((resolve) => {
    const onPacket = (view: RtpPacketView): void => {
      clearTimeout(timer);
      resolve(view.payloadType);
    };
    const timer = setTimeout(() => {
      port.off('packet', onPacket);
      resolve(undefined);
    }, 300);
    port.on('packet', onPacket);
    from.send(packet, pairPort, HOST);
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('RtpSocketPair', { timeout: 30_000 }, () => {
  it('a second port (another dialog’s answer) takes the sockets over from the early one; the last gives the pair back', async () => {
    const allocator = new PortAllocator({ min: 47000 + Math.floor(Math.random() * 200) * 2, max: 48999 });
    const pair = await RtpSocketPair.bind(allocator, HOST);
    const a = await peer();
    const b = await peer();
    try {
      // Early media from A (PCMA): the port latches to A and connects to it.
      const early = pair.open({ clock: systemClock, format: PCMA, remote: { address: HOST, port: a.port }, rtpTimeoutMs: 0, rtcpIntervalMs: 0 });
      assert.equal(await deliver(a.socket, pair.port, rtp(8, 1), early), 8);
      await until(() => early.isConnected);
      assert.ok(early.isConnected, 'the early port connected to A');

      // B answers in another dialog with PCMU: a new port on the same offered port number.
      const answered = pair.open({ clock: systemClock, format: PCMU, remote: { address: HOST, port: b.port }, rtpTimeoutMs: 0, rtcpIntervalMs: 0 });
      assert.equal(early.isClosed, true, 'the early port gave way');
      assert.equal(answered.local.port, pair.port, 'the offered port carries on');
      assert.equal(allocator.inUse, 1, 'the pair is still held');

      // B's audio reaches the new port, in B's codec; our audio goes to B, not to the early peer.
      assert.equal(await deliver(b.socket, pair.port, rtp(0, 2), answered), 0);
      const view = new RtpPacketView();
      view.wrap(rtp(0, 3));
      assert.ok(answered.sendRtp(view));
      await until(() => b.received.length > 0);
      assert.equal(b.received.length, 1, 'B got our packet');
      assert.equal(a.received.length, 0, 'A got nothing: the socket is no longer tied to it');

      // Closing the port in use closes the sockets and gives the pair back; the pair is then spent.
      answered.close();
      assert.equal(allocator.inUse, 0);
      pair.release();
      assert.throws(() => pair.open({ clock: systemClock, format: PCMU, rtpTimeoutMs: 0 }), /released/);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it('a port closed while its connect() is in flight on the I/O thread: the late completion finds the socket closed, and nothing throws', async () => {
    const thread = new DatagramThread();
    const errors: string[] = [];
    const allocator = new PortAllocator({ min: 45000 + Math.floor(Math.random() * 200) * 2, max: 46999 }, thread.bind);
    const a = await peer();
    const uncaught = (error: Error): void => void errors.push(error.message);
    process.on('uncaughtException', uncaught);
    try {
      const pair = await RtpSocketPair.bind(allocator, HOST);
      const early = pair.open({ clock: systemClock, format: PCMA, remote: { address: HOST, port: a.port }, rtpTimeoutMs: 0, rtcpIntervalMs: 0 });
      let latched = false;
      early.on('latched', () => {
        // The latch starts connect() on the thread; the port closes before its completion returns.
        latched = true;
        early.close();
      });
      a.socket.send(rtp(8, 1), pair.port, HOST);
      await until(() => latched && thread.openSockets === 0);
      assert.equal(thread.openSockets, 0, 'the pair closed');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(errors, []);
      assert.equal(allocator.inUse, 0);
    } finally {
      process.off('uncaughtException', uncaught);
      a.socket.close();
      await thread.close();
    }
  });

  it('release() without a port closes the sockets and gives the pair back', async () => {
    const allocator = new PortAllocator({ min: 49000 + Math.floor(Math.random() * 200) * 2, max: 49999 });
    const pair = await RtpSocketPair.bind(allocator, HOST);
    assert.equal(allocator.inUse, 1);
    pair.release();
    pair.release();
    assert.equal(allocator.inUse, 0);
    // The port number is free again: a socket can bind it.
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(pair.port, HOST, resolve);
    });
    socket.close();
  });
});
