import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../support/fake-clock.js';
import { UdpPipe, type PipeSocket } from '../../../support/udp-pipe.js';
import {
  MediaPort,
  RtpPacketView,
  SDP_TAKEOVER_GRACE_MS,
  buildRtcp,
  buildRtpPacket,
  parseRtcp,
  type MediaPortOptions,
  type RtcpPacket,
} from '../../../../src/media/index.js';

const PCMU = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 };
const LOCAL = '10.0.0.1';

interface Harness {
  pipe: UdpPipe;
  clock: FakeClock;
  port: MediaPort;
  rtp: PipeSocket;
  rtcp: PipeSocket;
  /** The caller as seen from us: behind a NAT, so not at the SDP address. */
  peer: PipeSocket;
  peerRtcp: PipeSocket;
  sdpTarget: PipeSocket;
}

const opened: MediaPort[] = [];
afterEach(() => {
  for (const port of opened.splice(0)) port.close();
});

function harness(options: Partial<MediaPortOptions> = {}): Harness {
  const pipe = new UdpPipe();
  const clock = new FakeClock(0);
  const rtp = pipe.socket(LOCAL, 20000);
  const rtcp = pipe.socket(LOCAL, 20001);
  const peer = pipe.socket('198.51.100.7', 40000);
  const peerRtcp = pipe.socket('198.51.100.7', 40001);
  const sdpTarget = pipe.socket('192.168.1.20', 5004);
  const port = new MediaPort({
    rtp,
    rtcp,
    clock,
    format: PCMU,
    telephoneEventPayloadType: 101,
    remote: { address: '192.168.1.20', port: 5004 },
    rtpTimeoutMs: 10_000,
    rtcpIntervalMs: 0,
    ssrc: 0x5555,
    initialSequenceNumber: 100,
    initialTimestamp: 0,
    ...options,
  });
  opened.push(port);
  return { pipe, clock, port, rtp, rtcp, peer, peerRtcp, sdpTarget };
}

function rtpPacket(seq: number, options: { ssrc?: number; payloadType?: number; marker?: boolean } = {}): Buffer {
  return buildRtpPacket(
    { payloadType: options.payloadType ?? 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: options.ssrc ?? 0x1234, marker: options.marker ?? false },
    Buffer.alloc(160, seq & 0xff),
  );
}

function sendTo(from: PipeSocket, data: Buffer, port = 20000): void {
  from.send(data, port, LOCAL);
}

function outbound(seq: number): RtpPacketView {
  const view = new RtpPacketView();
  view.wrap(rtpPacket(seq, { ssrc: 0x9999 }));
  return view;
}

test('latches to the first valid source and accepts nothing from anyone else afterwards', () => {
  const h = harness();
  const latched: string[] = [];
  const received: number[] = [];
  h.port.on('latched', (source) => latched.push(`${source.address}:${source.port}`));
  h.port.on('packet', (packet) => received.push(packet.sequenceNumber));
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  const intruder = h.pipe.socket('203.0.113.66', 9999);
  sendTo(intruder, rtpPacket(500, { ssrc: 0xbad }));
  sendTo(h.peer, rtpPacket(2));
  h.pipe.flush();
  assert.deepEqual(latched, ['198.51.100.7:40000']);
  assert.deepEqual(received, [1, 2]);
  assert.deepEqual(h.port.latched, { address: '198.51.100.7', port: 40000 });
  assert.equal(h.port.counters().rtpForeign, 1);
  // The peer is behind a NAT (not at its SDP address): the socket is connected to it only once the SDP
  // endpoint has had its chance to take over; from then on the kernel (here the pipe) filters the intruder.
  assert.equal(h.rtp.connectedTo, undefined);
  h.clock.advance(SDP_TAKEOVER_GRACE_MS);
  h.pipe.flush();
  assert.deepEqual(h.rtp.connectedTo, { address: '198.51.100.7', port: 40000 });
  sendTo(intruder, rtpPacket(501, { ssrc: 0xbad }));
  h.pipe.flush();
  assert.equal(h.pipe.filtered + h.port.counters().rtpForeign, 2);
});

test('a source at the SDP address is connected to at once', () => {
  const h = harness();
  sendTo(h.sdpTarget, rtpPacket(1));
  h.pipe.flush();
  assert.deepEqual(h.port.latched, { address: '192.168.1.20', port: 5004 });
  assert.deepEqual(h.rtp.connectedTo, { address: '192.168.1.20', port: 5004 });
});

test('the SDP endpoint takes the latch over from an earlier source: a cancelled fork\'s stray early media does not make the call one-way', () => {
  const h = harness();
  const latched: string[] = [];
  const received: number[] = [];
  h.port.on('latched', (source) => latched.push(`${source.address}:${source.port}`));
  h.port.on('packet', (packet) => received.push(packet.ssrc));
  const strayFork = h.pipe.socket('198.51.100.50', 7000);
  sendTo(strayFork, rtpPacket(1, { ssrc: 0xf0f0 }));
  h.pipe.flush();
  // The answering fork, at the address its SDP gave, speaks; the stray one sends a last packet after.
  sendTo(h.sdpTarget, rtpPacket(1, { ssrc: 0xa1a1 }));
  sendTo(strayFork, rtpPacket(2, { ssrc: 0xf0f0 }));
  sendTo(h.sdpTarget, rtpPacket(2, { ssrc: 0xa1a1 }));
  h.pipe.flush();
  assert.deepEqual(latched, ['198.51.100.50:7000', '192.168.1.20:5004']);
  assert.deepEqual(received, [0xf0f0, 0xa1a1, 0xa1a1]);
  assert.deepEqual(h.rtp.connectedTo, { address: '192.168.1.20', port: 5004 });
  assert.equal(h.port.counters().rtpForeign, 1);
  // What we send goes to the answering fork, and the grace timer of the first latch is gone.
  h.port.sendRtp(outbound(9));
  h.pipe.flush();
  assert.equal(h.sdpTarget.received.length, 1);
  assert.equal(h.clock.pending(), 1, 'only the RTP timeout is left');
});

test('a packet from the SDP endpoint with a payload type nobody negotiated does not take the latch over', () => {
  const h = harness();
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  sendTo(h.sdpTarget, rtpPacket(1, { payloadType: 18 }));
  h.pipe.flush();
  assert.deepEqual(h.port.latched, { address: '198.51.100.7', port: 40000 });
  assert.equal(h.port.counters().rtpForeign, 1);
});

test('a packet from another source that arrives before connect() completes is dropped and counted', () => {
  const h = harness();
  const intruder = h.pipe.socket('203.0.113.66', 9999);
  sendTo(h.peer, rtpPacket(1));
  sendTo(intruder, rtpPacket(7, { ssrc: 0xbad }));
  h.pipe.flush();
  assert.equal(h.port.counters().rtpForeign, 1);
  assert.equal(h.port.counters().rtpAccepted, 1);
});

test('without connectOnLatch foreign packets keep reaching the port and are all counted', () => {
  const h = harness({ connectOnLatch: false });
  const intruder = h.pipe.socket('203.0.113.66', 9999);
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  for (let i = 0; i < 5; i++) sendTo(intruder, rtpPacket(100 + i, { ssrc: 0xbad }));
  h.pipe.flush();
  assert.equal(h.port.isConnected, false);
  assert.equal(h.port.counters().rtpForeign, 5);
  assert.equal(h.port.counters().rtpAccepted, 1);
});

test('malformed packets and unnegotiated payload types are dropped, counted, and do not latch', () => {
  const h = harness();
  const stranger = h.pipe.socket('203.0.113.66', 9999);
  sendTo(stranger, Buffer.from('hello, not rtp'));
  sendTo(stranger, rtpPacket(1, { payloadType: 8 }));
  h.pipe.flush();
  assert.equal(h.port.latched, undefined);
  sendTo(h.peer, rtpPacket(2));
  h.pipe.flush();
  assert.deepEqual(h.port.latched, { address: '198.51.100.7', port: 40000 });
  const counters = h.port.counters();
  assert.equal(counters.rtpMalformed, 1);
  assert.equal(counters.rtpUnexpectedPayloadType, 1);
  assert.equal(counters.rtpReceived, 3);
  assert.equal(counters.rtpAccepted, 1);
});

test('telephone-event packets come out as dtmf-packet events, audio as packet events', () => {
  const h = harness();
  const events: string[] = [];
  h.port.on('packet', (p) => events.push(`audio ${p.sequenceNumber}`));
  h.port.on('dtmf-packet', (p) => events.push(`dtmf ${p.sequenceNumber} pt ${p.payloadType}`));
  sendTo(h.peer, rtpPacket(1));
  sendTo(h.peer, rtpPacket(2, { payloadType: 101, marker: true }));
  h.pipe.flush();
  assert.deepEqual(events, ['audio 1', 'dtmf 2 pt 101']);
});

test('sends to the SDP address until latched, then back to the latched source, rewritten onto our stream', () => {
  const h = harness();
  assert.equal(h.port.sendRtp(outbound(1)), true);
  h.pipe.flush();
  assert.equal(h.sdpTarget.received.length, 1);
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  assert.equal(h.port.sendRtp(outbound(2)), true);
  h.pipe.flush();
  assert.equal(h.peer.received.length, 1);
  const view = new RtpPacketView();
  view.wrap(h.peer.received[0]!.data);
  assert.deepEqual([view.ssrc, view.sequenceNumber, view.timestamp], [0x5555, 101, 160]);
  assert.equal(h.port.counters().rtpSent, 2);
  assert.equal(h.port.counters().octetsSent, 320);
});

test('with no SDP remote and nothing latched, sendRtp refuses and counts', () => {
  const h = harness({ remote: undefined });
  assert.equal(h.port.sendRtp(outbound(1)), false);
  assert.equal(h.port.counters().rtpUnsent, 1);
});

test('the RTP timeout fires once after the configured silence on the clock, and not while packets flow', () => {
  const h = harness();
  const timeouts: number[] = [];
  h.port.on('timeout', (silentFor) => timeouts.push(silentFor));
  for (let i = 0; i < 20; i++) {
    h.clock.advance(1_000);
    sendTo(h.peer, rtpPacket(i));
    h.pipe.flush();
  }
  assert.deepEqual(timeouts, [], '20 s of packets every second: no timeout');
  h.clock.advance(9_999);
  assert.deepEqual(timeouts, []);
  h.clock.advance(1);
  assert.deepEqual(timeouts, [10_000]);
  h.clock.advance(60_000);
  assert.equal(timeouts.length, 1, 'one timeout per silence');
  sendTo(h.peer, rtpPacket(100));
  h.pipe.flush();
  h.clock.advance(10_000);
  assert.equal(timeouts.length, 2, 're-armed when media resumed');
  assert.equal(h.port.counters().timeouts, 2);
});

test('a port that never hears anything times out too; setRtpTimeout(0) disables the timeout', () => {
  const silent = harness();
  let fired = 0;
  silent.port.on('timeout', () => fired++);
  silent.clock.advance(10_000);
  assert.equal(fired, 1);

  const held = harness();
  held.port.setRtpTimeout(0);
  let heldFired = 0;
  held.port.on('timeout', () => heldFired++);
  held.clock.advance(100_000);
  assert.equal(heldFired, 0);
  assert.equal(held.clock.pending(), 0);
});

test('setRemote releases the latch so the next valid source latches', () => {
  const h = harness();
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  h.port.setRemote({ address: '198.51.100.99', port: 6000 });
  assert.equal(h.port.latched, undefined);
  assert.equal(h.rtp.connectedTo, undefined);
  const moved = h.pipe.socket('198.51.100.99', 6000);
  sendTo(moved, rtpPacket(1, { ssrc: 77 }));
  h.pipe.flush();
  assert.deepEqual(h.port.latched, { address: '198.51.100.99', port: 6000 });
  assert.deepEqual(h.rtp.connectedTo, { address: '198.51.100.99', port: 6000 });
});

test('a throwing packet listener is isolated: counted, and the next listener still runs', () => {
  const h = harness();
  let second = 0;
  h.port.on('packet', () => {
    throw new Error('listener bug');
  });
  h.port.on('packet', () => second++);
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  assert.equal(second, 1);
  assert.equal(h.port.counters().listenerErrors, 1);
});

test('RTCP: periodic reports go to the RTCP port of the SDP remote: SR after sending, with a block about what we received', () => {
  const h = harness({ rtcpIntervalMs: 5_000, remote: { address: '198.51.100.7', port: 40000 } });
  for (let i = 0; i < 10; i++) {
    sendTo(h.peer, rtpPacket(i));
    h.port.sendRtp(outbound(i));
    h.clock.advance(20);
  }
  h.pipe.flush();
  h.clock.advance(7_500);
  h.pipe.flush();
  assert.ok(h.peerRtcp.received.length >= 1);
  const compound = parseRtcp(h.peerRtcp.received[0]!.data)!;
  assert.deepEqual(compound.map((p) => p.type), ['sr', 'sdes']);
  const sr = compound[0] as Extract<RtcpPacket, { type: 'sr' }>;
  assert.equal(sr.ssrc, 0x5555);
  assert.equal(sr.packetCount, 10);
  assert.equal(sr.octetCount, 1600);
  assert.equal(sr.reports.length, 1);
  assert.equal(sr.reports[0]!.ssrc, 0x1234);
  assert.equal(sr.reports[0]!.extendedHighestSequence, 9);
  const sdes = compound[1] as Extract<RtcpPacket, { type: 'sdes' }>;
  assert.equal(sdes.chunks[0]!.cname, h.port.cname);
});

test('RTCP: the peer SR is read (LSR echoed in our next report) and malformed RTCP is counted', () => {
  const h = harness({ rtcpIntervalMs: 5_000 });
  const seen: string[] = [];
  h.port.on('rtcp', (packets) => seen.push(packets.map((p) => p.type).join('+')));
  sendTo(h.peer, rtpPacket(1));
  sendTo(h.peer, rtpPacket(2));
  sendTo(h.peerRtcp, buildRtcp([{ type: 'sr', ssrc: 0x1234, ntpSeconds: 0x00011234, ntpFraction: 0x56780000, rtpTimestamp: 0, packetCount: 2, octetCount: 320, reports: [] }]), 20001);
  sendTo(h.peerRtcp, Buffer.from('garbage!'), 20001);
  const stranger = h.pipe.socket('203.0.113.66', 9999);
  sendTo(stranger, buildRtcp([{ type: 'bye', sources: [0x1234] }]), 20001);
  h.pipe.flush();
  assert.equal(h.port.counters().rtcpMalformed, 2, 'a compound must start with SR or RR (RFC 3550 A.2)');
  sendTo(stranger, buildRtcp([{ type: 'rr', ssrc: 0x6666, reports: [] }]), 20001);
  h.pipe.flush();
  assert.equal(h.port.counters().rtcpForeign, 1, 'RTCP from another host than the latched RTP source');
  assert.deepEqual(seen, ['sr']);
  h.clock.advance(7_500);
  h.pipe.flush();
  const report = parseRtcp(h.peerRtcp.received[0]!.data)!;
  const rr = report[0] as Extract<RtcpPacket, { type: 'rr' }>;
  assert.equal(rr.type, 'rr', 'nothing sent yet: a receiver report');
  assert.equal(rr.reports[0]!.lastSenderReport, 0x12345678);
  assert.ok(rr.reports[0]!.delaySinceLastSenderReport > 0);
});

test('close sends an RTCP BYE, closes both sockets, emits closed once and is idempotent', () => {
  const h = harness();
  const sdpRtcp = h.pipe.socket('192.168.1.20', 5005);
  let closed = 0;
  h.port.on('closed', () => closed++);
  sendTo(h.peer, rtpPacket(1));
  h.pipe.flush();
  h.port.close();
  h.port.close();
  h.pipe.flush();
  assert.equal(closed, 1);
  assert.equal(h.rtp.isClosed, true);
  assert.equal(h.rtcp.isClosed, true);
  assert.equal(h.port.isClosed, true);
  assert.equal(h.port.sendRtp(outbound(1)), false);
  // No RTCP heard from the peer: the BYE goes to the SDP address, RTP port + 1 (RFC 3605 default).
  const compound = parseRtcp(sdpRtcp.received[0]!.data)!;
  assert.deepEqual(compound.map((p) => p.type), ['rr', 'sdes', 'bye']);
  assert.equal(h.clock.pending(), 0, 'no timer left behind');
});

test('the BYE goes to the latched RTCP source', () => {
  const h = harness();
  sendTo(h.peerRtcp, buildRtcp([{ type: 'rr', ssrc: 0x1234, reports: [] }]), 20001);
  h.pipe.flush();
  h.port.close();
  h.pipe.flush();
  const compound = parseRtcp(h.peerRtcp.received[0]!.data)!;
  assert.deepEqual(compound.map((p) => p.type), ['rr', 'sdes', 'bye']);
  assert.deepEqual((compound[2] as Extract<RtcpPacket, { type: 'bye' }>).sources, [0x5555]);
});
