import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../../src/kernel/index.js';
import {
  MediaPort,
  PortAllocator,
  RelayBridge,
  RtpPacketView,
  bindUdpSocket,
  buildRtpPacket,
  openMediaPort,
  type MediaPortOptions,
} from '../../../src/media/index.js';
import { HOST, phone, type Phone } from '../../support/loopback.js';
import { until } from '../../support/eventually.js';

const PCMU = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 };

async function mediaPort(remotePort: number, options: Partial<MediaPortOptions> = {}): Promise<MediaPort> {
  const rtp = await bindUdpSocket(HOST, 0);
  const rtcp = await bindUdpSocket(HOST, 0);
  return new MediaPort({ rtp, rtcp, clock: systemClock, format: PCMU, telephoneEventPayloadType: 101, remote: { address: HOST, port: remotePort }, ...options });
}

/** Sends `count` G.711 packets in small paced batches (loopback drops when a receive buffer overflows). */
async function talk(from: Phone, toPort: number, count: number, ssrc: number, firstSeq: number, marker: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(160, marker);
    payload.writeUInt16BE(i, 0);
    from.socket.send(buildRtpPacket({ payloadType: 0, sequenceNumber: (firstSeq + i) & 0xffff, timestamp: i * 160, ssrc }, payload), toPort, HOST);
    if (i % 20 === 19) await sleep(2);
  }
}

function parse(datagrams: Buffer[]): RtpPacketView[] {
  return datagrams.map((datagram) => {
    const view = new RtpPacketView();
    assert.equal(view.wrap(datagram), 0);
    return view;
  });
}

function assertInOrderAndContinuous(views: RtpPacketView[], ssrc: number, marker: number): void {
  views.forEach((view, i) => {
    assert.equal(view.ssrc, ssrc);
    assert.equal(view.payload().readUInt16BE(0), i, `packet ${i} in order`);
    assert.equal(view.payload()[2], marker);
    if (i > 0) {
      assert.equal(view.sequenceNumber, (views[i - 1]!.sequenceNumber + 1) & 0xffff);
      assert.equal((view.timestamp - views[i - 1]!.timestamp) >>> 0, 160);
    }
  });
}

test('two MediaPorts on loopback relay 200 packets each way, in order, with continuous rewritten headers; a third source is refused', async () => {
  const caller = await phone();
  const callee = await phone();
  const intruder = await phone();
  const a = await mediaPort(caller.port);
  const b = await mediaPort(callee.port);
  const bridge = new RelayBridge(a, b);
  try {
    await talk(caller, a.local.port, 100, 0x1111, 65500, 0xa1);
    await talk(callee, b.local.port, 100, 0x2222, 10, 0xb2);
    await until(() => callee.received.length === 100 && caller.received.length === 100, 'the first 100 packets each way');
    assert.deepEqual(a.latched, { address: HOST, port: caller.port });
    // The intruder aims at both ports; then the real phones carry on.
    await talk(intruder, a.local.port, 10, 0x6666, 0, 0xee);
    await talk(intruder, b.local.port, 10, 0x6666, 0, 0xee);
    await talk(caller, a.local.port, 100, 0x1111, (65500 + 100) & 0xffff, 0xa1);
    await talk(callee, b.local.port, 100, 0x2222, 110, 0xb2);
    await until(() => callee.received.length >= 200 && caller.received.length >= 200, '200 packets each way');
    await sleep(20);
    const toCallee = parse(callee.received);
    const toCaller = parse(caller.received);
    assert.equal(toCallee.length, 200);
    assert.equal(toCaller.length, 200);
    // Payload counters restart at 0 for the second batch of 100: check each batch.
    assertInOrderAndContinuous(toCallee.slice(0, 100), b.ssrc, 0xa1);
    assertInOrderAndContinuous(toCallee.slice(100), b.ssrc, 0xa1);
    assertInOrderAndContinuous(toCaller.slice(0, 100), a.ssrc, 0xb2);
    assertInOrderAndContinuous(toCaller.slice(100), a.ssrc, 0xb2);
    assert.equal(toCallee[100]!.sequenceNumber, (toCallee[99]!.sequenceNumber + 1) & 0xffff, 'continuous across the batches');
    assert.ok(toCallee.every((view) => view.payload()[2] !== 0xee), 'nothing from the intruder crossed');
    assert.equal(a.isConnected, true);
    assert.equal(bridge.counters().aToB.relayed, 200);
    assert.equal(bridge.counters().bToA.relayed, 200);
    assert.equal(a.counters().rtpAccepted, 200);
    assert.equal(a.reception().lost, 0);
  } finally {
    bridge.close();
    a.close();
    b.close();
    for (const p of [caller, callee, intruder]) p.socket.close();
  }
});

test('an unconnected port counts the third source’s packets as foreign', async () => {
  const caller = await phone();
  const intruder = await phone();
  const a = await mediaPort(caller.port, { connectOnLatch: false });
  try {
    await talk(caller, a.local.port, 5, 0x1111, 1, 0xa1);
    await until(() => a.counters().rtpAccepted === 5, 'the caller to latch');
    await talk(intruder, a.local.port, 7, 0x6666, 1, 0xee);
    await until(() => a.counters().rtpForeign === 7, 'the intruder’s packets to be counted');
    assert.deepEqual(a.latched, { address: HOST, port: caller.port });
  } finally {
    a.close();
    caller.socket.close();
    intruder.socket.close();
  }
});

test('a peer that stops sending is noticed: the RTP timeout fires (short real timeout)', async () => {
  const caller = await phone();
  const a = await mediaPort(caller.port, { rtpTimeoutMs: 150 });
  try {
    const fired = new Promise<number>((resolve) => a.on('timeout', resolve));
    await talk(caller, a.local.port, 3, 0x1111, 1, 0xa1);
    const silentFor = await Promise.race([fired, sleep(10_000).then(() => -1)]);
    assert.ok(silentFor >= 150, 'the timeout reports the silence it measured');
    assert.equal(a.counters().timeouts, 1);
  } finally {
    a.close();
    caller.socket.close();
  }
});

test('openMediaPort skips a pair another socket holds, binds RTP even / RTCP odd, and releases on close', async () => {
  const blocker = await phone();
  const first = blocker.port - (blocker.port % 2);
  const allocator = new PortAllocator({ min: first, max: first + 5 });
  let port: MediaPort | undefined;
  try {
    port = await openMediaPort({ allocator, bindAddress: HOST, clock: systemClock, format: PCMU });
    assert.notEqual(port.local.port, first, 'the held pair was skipped');
    assert.equal(port.local.port % 2, 0);
    assert.equal(allocator.inUse, 1);
  } finally {
    port?.close();
    blocker.socket.close();
  }
  assert.equal(allocator.inUse, 0);
});

test('after setRemote the port (bound to an allocated port) re-latches to the new source and keeps its port number', async () => {
  const probe = await phone();
  const first = probe.port - (probe.port % 2);
  probe.socket.close();
  const allocator = new PortAllocator({ min: first, max: first + 3 });
  const oldPhone = await phone();
  const newPhone = await phone();
  const port = await openMediaPort({ allocator, bindAddress: HOST, clock: systemClock, format: PCMU, remote: { address: HOST, port: oldPhone.port } });
  const local = port.local.port;
  const echo = new RtpPacketView();
  port.on('packet', (packet) => {
    echo.wrap(Buffer.from(packet.datagram()));
    port.sendRtp(echo);
  });
  try {
    await talk(oldPhone, local, 3, 0x1111, 1, 0xa1);
    await until(() => oldPhone.received.length === 3 && port.isConnected, 'the echo to the first source');
    port.setRemote({ address: HOST, port: newPhone.port });
    await talk(newPhone, local, 3, 0x2222, 1, 0xb2);
    await until(() => newPhone.received.length === 3, 'the echo to the new source');
    assert.equal(port.local.port, local, 'disconnect() kept the explicitly bound port');
    assert.deepEqual(port.latched, { address: HOST, port: newPhone.port });
    assert.equal(oldPhone.received.length, 3);
  } finally {
    port.close();
    oldPhone.socket.close();
    newPhone.socket.close();
  }
});
