/**
 * A bridged call's steady audio relayed by the I/O thread itself (MediaPort.relayTo): what the far
 * phone hears must be exactly what the main thread would have sent (one continuous outbound stream),
 * and the ports' counters and RFC 3550 statistics must account for every packet, while the cases only
 * the main thread may decide (telephone events, a new SSRC, a listener, the bridge ending) still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RelayBridge, RtpPacketView, buildRtpPacket } from '../../../src/media/index.js';
import { HOST, type Phone } from '../../support/loopback.js';
import { until } from '../../support/eventually.js';
import { threadMediaCall, type ThreadMediaCall } from '../../support/thread-media.js';

const EVENT_PT = 101;

/**
 * A bridged call whose caller → callee direction the thread relays: the callee spoke first (b latched
 * and connected), then the caller's packets 100…109; the thread takes over at the first one after a
 * is latched and connected.
 */
async function relayingCall(): Promise<{ call: ThreadMediaCall; bridge: RelayBridge }> {
  const call = await threadMediaCall({ telephoneEventPayloadType: EVENT_PT });
  const bridge = new RelayBridge(call.a, call.b);
  call.callee.socket.send(audio(1, 0xbeef), call.b.local.port, HOST);
  await until(() => call.b.isConnected, 'b connected');
  await stream(call.caller, call.a.local.port, 100, 10, 0xcafe);
  await until(() => call.a.relayedOnThread, 'the thread to take the caller → callee direction');
  return { call, bridge };
}

function audio(sequenceNumber: number, ssrc: number, marker = 0): Buffer {
  const payload = Buffer.alloc(160, 0x55);
  payload.writeUInt16BE(marker, 0);
  return buildRtpPacket({ payloadType: 0, sequenceNumber, timestamp: sequenceNumber * 160, ssrc }, payload);
}

/** Sends `count` packets from `from` to `port`, 20 ms apart in groups of 5 (fast, but paced like media). */
async function stream(from: Phone, port: number, first: number, count: number, ssrc: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    from.socket.send(audio(first + i, ssrc, first + i), port, HOST);
    if (i % 5 === 4) await sleep(5);
  }
}

function continuous(heard: readonly Buffer[]): void {
  const ssrcs = new Set(heard.map((packet) => packet.readUInt32BE(8)));
  assert.equal(ssrcs.size, 1, 'one outbound SSRC');
  for (let i = 1; i < heard.length; i++) {
    assert.equal(heard[i]!.readUInt16BE(2), (heard[i - 1]!.readUInt16BE(2) + 1) & 0xffff, `sequence continues at packet ${i}`);
    assert.ok(((heard[i]!.readUInt32BE(4) - heard[i - 1]!.readUInt32BE(4)) >>> 0) < 0x8000_0000, `timestamp moves forward at packet ${i}`);
  }
}

test('the thread relays the steady stream itself: the callee hears every packet once, in order, on one stream, and the counters and reception statistics count them all', async () => {
  const { call, bridge } = await relayingCall();
  try {
    await stream(call.caller, call.a.local.port, 110, 190, 0xcafe);
    await until(() => call.callee.received.length === 200, 'all 200 packets at the callee');
    assert.deepEqual(call.callee.received.map((packet) => packet.readUInt16BE(12)), Array.from({ length: 200 }, (_, i) => 100 + i), 'every payload once, in order');
    continuous(call.callee.received);
    assert.ok(call.callee.received.every((packet) => (packet[1]! & 0x7f) === 0));
    await until(() => bridge.counters().aToB.relayed === 200, 'the relayed counter (reported every ~250 ms)');
    assert.equal(call.a.counters().rtpAccepted, 200);
    assert.equal(call.b.counters().rtpSent, 200);
    const reception = call.a.reception();
    assert.equal(reception.received, 199, 'A.1: the first packet is probation');
    assert.equal(reception.lost, 0);
    assert.equal(reception.extendedHighestSequence, 299);
  } finally {
    bridge.close();
    await call.close();
  }
});

test('with the thread relaying: a telephone event still reaches the main thread and the callee; a new SSRC continues the stream; a listener or the end of the bridge takes the stream back', async () => {
  const { call, bridge } = await relayingCall();
  try {
    // An RFC 4733 event on the same stream: the main thread's bridge maps its payload type and sends it.
    let events = 0;
    call.a.on('dtmf-packet', () => void events++);
    call.caller.socket.send(buildRtpPacket({ payloadType: EVENT_PT, sequenceNumber: 110, timestamp: 110 * 160, ssrc: 0xcafe }, Buffer.from([5, 0x0a, 0, 160])), call.a.local.port, HOST);
    // The event takes the main thread's path, a round trip longer than the audio's: real packets 20 ms
    // apart do not overtake it, this test's bursts could.
    await until(() => call.callee.received.length === 11, 'the event at the callee');
    await stream(call.caller, call.a.local.port, 111, 10, 0xcafe);
    await until(() => call.callee.received.length === 21, 'the audio after it');
    assert.equal(events, 1);
    assert.equal(call.callee.received.filter((packet) => (packet[1]! & 0x7f) === EVENT_PT).length, 1);
    assert.equal(call.a.relayedOnThread, true, 'an event does not take the stream back');
    // The caller's phone restarts with a new SSRC: the main thread rebases, the callee hears one stream.
    await stream(call.caller, call.a.local.port, 5000, 10, 0xd00d);
    await until(() => call.callee.received.length === 31, 'the new source at the callee');
    continuous(call.callee.received);
    const afterRestart = call.callee.received[21]!;
    assert.equal(afterRestart[1]! & 0x80, 0x80, 'the marker bit tells the callee a new talkspurt starts');
    await stream(call.caller, call.a.local.port, 5010, 10, 0xd00d);
    await until(() => call.a.relayedOnThread, 'the thread relaying the new source');
    // Someone needs the audio here (digit detection, a recording): the main thread gets it again.
    let heardHere = 0;
    call.a.on('packet', () => heardHere++);
    await until(() => !call.a.relayedOnThread, 'the stream back from the thread');
    await stream(call.caller, call.a.local.port, 5020, 10, 0xd00d);
    await until(() => heardHere === 10, 'the packets on the main thread');
    await until(() => call.callee.received.length === 51, 'still relayed');
    continuous(call.callee.received);
    await until(() => bridge.counters().aToB.relayed === 50 && bridge.counters().aToB.dtmfRelayed === 1, 'the counters');
    assert.equal(call.a.reception().lost, 0);
  } finally {
    bridge.close();
  }
  try {
    // After the bridge: a prompt's packets on b continue the callee's stream where the thread left it.
    const prompt = new RtpPacketView();
    for (let i = 0; i < 5; i++) {
      prompt.wrap(audio(i, 0x1234, 900 + i));
      if (i === 0) call.b.breakOutboundSource();
      assert.ok(call.b.sendRtp(prompt));
    }
    await until(() => call.callee.received.length === 56, 'the prompt at the callee');
    continuous(call.callee.received);
  } finally {
    await call.close();
  }
});

test('a send on the far port that starts a new source while the thread writes its stream waits for the thread to hand the stream back', async () => {
  const { call, bridge } = await relayingCall();
  try {
    await stream(call.caller, call.a.local.port, 110, 20, 0xcafe);
    // Sent at once, before the thread's last report can have arrived: held, then sent after it.
    const prompt = new RtpPacketView();
    prompt.wrap(audio(0, 0x1234, 999));
    call.b.breakOutboundSource();
    assert.ok(call.b.sendRtp(prompt));
    await until(() => call.callee.received.length === 31, 'everything at the callee');
    continuous(call.callee.received);
    assert.equal(call.callee.received.at(-1)!.readUInt16BE(12), 999, 'the prompt last, after the relayed packets');
  } finally {
    bridge.close();
    await call.close();
  }
});
