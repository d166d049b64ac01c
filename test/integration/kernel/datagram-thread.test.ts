import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramThread, DialtoneError, ErrorCodes, type BoundDatagramSocket, type Logger, type RemoteEndpoint } from '../../../src/kernel/index.js';
import { RelayBridge, buildRtpPacket } from '../../../src/media/index.js';
import { MAX_UNREAD_BYTES, RECEIVE_RECORD_HEADER } from '../../../src/kernel/datagram/datagram-thread-worker.js';
import { HOST, phone, sendWhileBlocked } from '../../support/loopback.js';
import { until } from '../../support/eventually.js';
import { threadMediaCall } from '../../support/thread-media.js';

function received(socket: BoundDatagramSocket): Array<{ message: Buffer; from: RemoteEndpoint }> {
  const all: Array<{ message: Buffer; from: RemoteEndpoint }> = [];
  socket.onMessage((message, from) => all.push({ message: Buffer.from(message), from }));
  return all;
}

test('a socket on the media I/O thread receives with the source address and sends to an explicit destination', async () => {
  const thread = new DatagramThread();
  const peer = await phone();
  try {
    const socket = await thread.bind(HOST, 0);
    const local = socket.local();
    assert.equal(local.address, HOST);
    assert.ok(local.port > 0);
    const inbox = received(socket);
    for (const text of ['one', 'two', 'three']) peer.socket.send(text, local.port, HOST);
    await until(() => inbox.length === 3, 'three datagrams');
    assert.deepEqual(
      inbox.map((each) => each.message.toString()),
      ['one', 'two', 'three'],
    );
    assert.deepEqual(inbox[0]!.from, { address: HOST, port: peer.port });
    socket.send(Buffer.from('back'), peer.port, HOST);
    await until(() => peer.received.length === 1, 'the reply');
    assert.equal(peer.received[0]!.toString(), 'back');
    socket.close();
    assert.equal(thread.openSockets, 0);
  } finally {
    peer.socket.close();
    await thread.close();
  }
});

test('a send addressed by name is looked up and goes out, between sends addressed by IP literal', async () => {
  const thread = new DatagramThread();
  const peer = await phone();
  try {
    const socket = await thread.bind(HOST, 0);
    socket.send(Buffer.from('literal'), peer.port, HOST);
    socket.send(Buffer.from('by name'), peer.port, 'localhost');
    await until(() => peer.received.length === 2, 'both datagrams');
    // The literal one goes out at once, the named one after its lookup: their order is not promised.
    assert.deepEqual(peer.received.map((each) => each.toString()).sort(), ['by name', 'literal']);
    socket.close();
  } finally {
    peer.socket.close();
    await thread.close();
  }
});

test('sends keep their order, and a send issued just before close() still goes out', async () => {
  const thread = new DatagramThread();
  // Room for all 3,000 in the kernel's buffer: this test's loop may wait for a core while
  // they arrive (parallel test files), and a datagram lost at its socket is not the thread's doing.
  const peer = await phone({ recvBufferSize: 4 * 1024 * 1024 });
  try {
    const socket = await thread.bind(HOST, 0);
    // 3,000 datagrams of 200 bytes; the last 50 (and the close) in one turn.
    const count = 3000;
    for (let i = 0; i < count; i++) {
      const message = Buffer.alloc(200, i & 0xff);
      message.writeUInt32BE(i, 0);
      socket.send(message, peer.port, HOST);
      // Paced every 50: a burst of more overflows the peer's receive buffer at Linux's default size.
      if (i % 50 === 49) await sleep(2);
    }
    socket.close();
    await until(() => peer.received.length === count, `${count} datagrams`);
    assert.deepEqual(
      peer.received.map((message) => message.readUInt32BE(0)),
      Array.from({ length: count }, (_, i) => i),
    );
  } finally {
    peer.socket.close();
    await thread.close();
  }
});

test('sends of one turn that outgrow a batch go out in two, in order', async () => {
  const thread = new DatagramThread();
  // Six datagrams of 60,000 bytes (~360 KiB, the batch holds 256): the peer's buffer is raised to hold them.
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const sizes: number[] = [];
  const marks: number[] = [];
  socket.on('message', (message) => {
    sizes.push(message.length);
    marks.push(message[59_999]!);
  });
  socket.bind(0, HOST);
  await once(socket, 'listening');
  try {
    const sender = await thread.bind(HOST, 0);
    for (let i = 0; i < 6; i++) sender.send(Buffer.alloc(60_000, i + 1), socket.address().port, HOST);
    await until(() => sizes.length === 6, 'six large datagrams');
    assert.deepEqual(sizes, [60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    assert.deepEqual(marks, [1, 2, 3, 4, 5, 6]);
    sender.close();
  } finally {
    socket.close();
    await thread.close();
  }
});

test('connect(): sends held while it is in flight go out connected, strangers are filtered, done callbacks run', async () => {
  const thread = new DatagramThread();
  const peer = await phone();
  const stranger = await phone();
  try {
    const socket = await thread.bind(HOST, 0);
    const inbox = received(socket);
    let connected = false;
    socket.connect(peer.port, HOST, (error) => {
      assert.equal(error, undefined);
      connected = true;
    });
    // Issued before connect() completes, with the destination it connects to (MediaPort's latch).
    socket.send(Buffer.from('while connecting'), peer.port, HOST);
    await until(() => connected, 'connect()');
    socket.sendConnected(Buffer.from('connected'));
    const sent = await new Promise<Error | null>((resolve) => socket.send(Buffer.from('with done'), peer.port, HOST, resolve));
    assert.ok(sent instanceof Error, 'an addressed send on a connected socket fails, as with Node on the main thread');
    await until(() => peer.received.length === 2, 'both datagrams');
    assert.deepEqual(
      peer.received.map((message) => message.toString()),
      ['while connecting', 'connected'],
    );
    stranger.socket.send('not you', socket.local().port, HOST);
    peer.socket.send('you', socket.local().port, HOST);
    await until(() => inbox.length === 1, "the peer's datagram");
    await sleep(50);
    assert.deepEqual(
      inbox.map((each) => each.message.toString()),
      ['you'],
    );
    socket.disconnect();
    const done = await new Promise<Error | null>((resolve) => socket.send(Buffer.from('after disconnect'), stranger.port, HOST, resolve));
    assert.equal(done, null);
    await until(() => stranger.received.length === 1, 'the datagram after disconnect');
    socket.close();
  } finally {
    peer.socket.close();
    stranger.socket.close();
    await thread.close();
  }
});

test("an error on the thread's socket reaches the main thread with Node's code (ICMP port unreachable on a connected socket)", async () => {
  const thread = new DatagramThread();
  const gone = await phone();
  const gonePort = gone.port;
  gone.socket.close();
  try {
    const socket = await thread.bind(HOST, 0);
    const errors: Error[] = [];
    socket.onError((error) => errors.push(error));
    await new Promise<void>((resolve, reject) => socket.connect(gonePort, HOST, (error) => (error === undefined ? resolve() : reject(error))));
    socket.sendConnected(Buffer.from('anyone?'));
    await until(() => errors.length > 0, 'the socket error');
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    socket.close();
  } finally {
    await thread.close();
  }
});

test('bind: a port held elsewhere is refused with EADDRINUSE, a closed one is free again at once, a closed thread refuses', async () => {
  const thread = new DatagramThread();
  const holder = await phone();
  try {
    await assert.rejects(thread.bind(HOST, holder.port), (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE');
    const socket = await thread.bind(HOST, 0);
    const port = socket.local().port;
    socket.close();
    // The close is ordered before the next bind on the thread: the port is free when the bind runs.
    const again = await thread.bind(HOST, port);
    assert.equal(again.local().port, port);
    again.close();
  } finally {
    holder.socket.close();
    await thread.close();
  }
  await assert.rejects(thread.bind(HOST, 0), (error: unknown) => error instanceof DialtoneError && error.code === ErrorCodes.ioThreadStopped);
  assert.equal(thread.openSockets, 0);
});

test('two media ports on the thread, bridged: each phone hears the other, on the rewritten stream, and the ports go back on close', async () => {
  const { thread, allocator, caller, callee, a, b, close } = await threadMediaCall();
  const bridge = new RelayBridge(a, b);
  try {
    assert.equal(thread.openSockets, 4, 'RTP and RTCP of both ports');
    const count = 40;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(160, 0x55);
      payload.writeUInt16BE(i, 0);
      caller.socket.send(buildRtpPacket({ payloadType: 0, sequenceNumber: 1000 + i, timestamp: i * 160, ssrc: 0xcafe }, payload), a.local.port, HOST);
      callee.socket.send(buildRtpPacket({ payloadType: 0, sequenceNumber: 7 + i, timestamp: i * 160, ssrc: 0xbeef }, payload), b.local.port, HOST);
      if (i % 10 === 9) await sleep(2);
    }
    await until(() => callee.received.length === count && caller.received.length === count, 'the relayed packets');
    for (const [heard, sourceSsrc] of [
      [callee.received, 0xcafe],
      [caller.received, 0xbeef],
    ] as const) {
      assert.deepEqual(
        heard.map((packet) => packet.readUInt16BE(12)),
        Array.from({ length: count }, (_, i) => i),
        'every payload, in order',
      );
      const ssrcs = new Set(heard.map((packet) => packet.readUInt32BE(8)));
      assert.equal(ssrcs.size, 1);
      assert.notEqual([...ssrcs][0], sourceSsrc, "the port's own SSRC, not the far leg's");
      const sequences = heard.map((packet) => packet.readUInt16BE(2));
      for (let i = 1; i < sequences.length; i++) assert.equal(sequences[i], (sequences[i - 1]! + 1) & 0xffff);
    }
    assert.deepEqual(a.latched, { address: HOST, port: caller.port });
    // What the thread relayed itself is counted at its next report (~250 ms).
    await until(() => bridge.counters().aToB.relayed === count && bridge.counters().bToA.relayed === count, 'the relayed counters');
  } finally {
    bridge.close();
    await close();
  }
  assert.equal(allocator.inUse, 0);
});

test('when the main thread falls behind, what it has not read stays bounded: the excess is dropped, counted and logged, and reception resumes', async () => {
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (message) => void warnings.push(message), error: () => undefined, child: () => logger };
  const thread = new DatagramThread({ logger });
  const size = 8000;
  const count = 4000;
  try {
    // A receive buffer as the SIP transport asks for: with the default (~200 KiB, some 20 of these
    // datagrams) the kernel drops the burst whenever the I/O thread waits a few ms for a core (parallel
    // test files), and the test is about what the thread drops, not the kernel.
    const socket = await thread.bind(HOST, 0, { receiveBufferBytes: 4 * 1024 * 1024 });
    let arrived = 0;
    socket.onMessage(() => arrived++);
    // This thread's loop stays blocked while another thread sends 32 MB (twice MAX_UNREAD_BYTES), ten
    // datagrams a millisecond: slow enough for the I/O thread to read them all off its socket.
    await sendWhileBlocked({ port: socket.local().port, count, template: 'B'.repeat(size), pauseEvery: 10 });
    await until(() => warnings.length > 0, 'the backlog to be read');
    await sleep(100);
    const bound = Math.ceil(MAX_UNREAD_BYTES / (RECEIVE_RECORD_HEADER + size)) + 1;
    assert.ok(arrived <= bound, `${arrived} read, at most ${bound} can be unread at once`);
    assert.ok(thread.droppedDatagrams > 0);
    // The kernel dropped none or a few (the sender is paced): the rest is accounted for.
    assert.ok(arrived + thread.droppedDatagrams >= count * 0.95, `${arrived} read + ${thread.droppedDatagrams} dropped of ${count}`);
    assert.ok(warnings.some((message) => message.includes('dropped')));
    const before = arrived;
    const peer = await phone();
    for (let i = 0; i < 10; i++) peer.socket.send(Buffer.alloc(size), socket.local().port, HOST);
    await until(() => arrived === before + 10, 'reception to resume');
    peer.socket.close();
    socket.close();
  } finally {
    await thread.close();
  }
});
