import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../support/fake-clock.js';
import { UdpPipe, type PipeSocket } from '../../../support/udp-pipe.js';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  MediaPort,
  RelayBridge,
  RtpPacketView,
  buildRtpPacket,
  type MediaFormat,
  type PayloadTranscoder,
} from '../../../../src/media/index.js';
import { Transcoder, alawToMulaw, encodeMulaw, mulawToAlaw, type CodecName } from '../../../../src/media/codec/index.js';

const PCMU: MediaFormat = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 };
const PCMA: MediaFormat = { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, ptimeMs: 20 };

interface Leg {
  port: MediaPort;
  rtp: PipeSocket;
  phone: PipeSocket;
}

interface World {
  pipe: UdpPipe;
  clock: FakeClock;
  caller: Leg;
  callee: Leg;
}

const opened: MediaPort[] = [];
afterEach(() => {
  // Closing the ports also closes any bridge still joining them.
  for (const port of opened.splice(0)) port.close();
});

function world(callerFormat = PCMU, calleeFormat = PCMU, dtmf: [number | undefined, number | undefined] = [101, 101]): World {
  const pipe = new UdpPipe();
  const clock = new FakeClock(0);
  const leg = (localPort: number, phoneAddress: string, format: MediaFormat, dtmfPt: number | undefined, ssrc: number): Leg => {
    const rtp = pipe.socket('10.0.0.1', localPort);
    const phone = pipe.socket(phoneAddress, 4000);
    const port = new MediaPort({
      rtp,
      clock,
      format,
      telephoneEventPayloadType: dtmfPt,
      remote: { address: phoneAddress, port: 4000 },
      rtcpIntervalMs: 0,
      ssrc,
      initialSequenceNumber: 1000,
      initialTimestamp: 50_000,
    });
    opened.push(port);
    return { port, rtp, phone };
  };
  return {
    pipe,
    clock,
    caller: leg(20000, '198.51.100.1', callerFormat, dtmf[0], 0xa1a1a1a1),
    callee: leg(20002, '198.51.100.2', calleeFormat, dtmf[1], 0xb2b2b2b2),
  };
}

function speak(leg: Leg, seq: number, options: { ssrc?: number; payloadType?: number; payload?: Buffer; ts?: number } = {}): void {
  const packet = buildRtpPacket(
    { payloadType: options.payloadType ?? leg.port.format.payloadType, sequenceNumber: seq, timestamp: options.ts ?? seq * 160, ssrc: options.ssrc ?? 0x1111 },
    options.payload ?? Buffer.alloc(160, seq & 0xff),
  );
  leg.phone.send(packet, leg.rtp.port, '10.0.0.1');
}

function heard(leg: Leg): RtpPacketView[] {
  return leg.phone.received.map(({ data }) => {
    const view = new RtpPacketView();
    view.wrap(data);
    return view;
  });
}

function assertContinuous(views: RtpPacketView[], ssrc: number): void {
  for (let i = 1; i < views.length; i++) {
    const previous = views[i - 1]!;
    const current = views[i]!;
    assert.equal(current.ssrc, ssrc);
    assert.equal(current.sequenceNumber, (previous.sequenceNumber + 1) & 0xffff, `sequence continuous at ${i}`);
    assert.ok(((current.timestamp - previous.timestamp) >>> 0) >= 160, `timestamp advances at ${i}`);
  }
}

test('same codec: relays both ways without decoding, payload intact, header rewritten to each leg’s stream', () => {
  const w = world();
  const bridge = new RelayBridge(w.caller.port, w.callee.port);
  assert.equal(bridge.mode, 'relay');
  for (let i = 0; i < 50; i++) {
    speak(w.caller, 10 + i, { ssrc: 0x1111 });
    speak(w.callee, 900 + i, { ssrc: 0x2222 });
    w.clock.advance(20);
  }
  w.pipe.flush();
  const toCallee = heard(w.callee);
  const toCaller = heard(w.caller);
  assert.equal(toCallee.length, 50);
  assert.equal(toCaller.length, 50);
  assert.deepEqual([toCallee[0]!.ssrc, toCallee[0]!.sequenceNumber, toCallee[0]!.timestamp], [0xb2b2b2b2, 1000, 50_000]);
  assertContinuous(toCallee, 0xb2b2b2b2);
  assertContinuous(toCaller, 0xa1a1a1a1);
  assert.deepEqual([...toCallee[7]!.payload()], [...Buffer.alloc(160, 17)]);
  assert.equal(bridge.counters().aToB.relayed, 50);
  assert.equal(bridge.counters().bToA.relayed, 50);
});

test('a prompt played on the leg before the bridge and the far leg changing SSRC leave one continuous stream', () => {
  const w = world();
  // A prompt player sends on the callee's port first (its own SSRC and numbering).
  const prompt = new RtpPacketView();
  for (let i = 0; i < 5; i++) {
    prompt.wrap(buildRtpPacket({ payloadType: 0, sequenceNumber: 7 + i, timestamp: 123 + i * 160, ssrc: 0xfeed }, Buffer.alloc(160)));
    w.callee.port.sendRtp(prompt);
    w.clock.advance(20);
  }
  const bridge = new RelayBridge(w.caller.port, w.callee.port);
  for (let i = 0; i < 5; i++) {
    speak(w.caller, 30_000 + i, { ssrc: 0x1111 });
    w.clock.advance(20);
    w.pipe.flush();
  }
  // re-INVITE on the caller side: new SSRC, new numbering.
  for (let i = 0; i < 5; i++) {
    speak(w.caller, 5 + i, { ssrc: 0x3333, ts: 9_999_999 + i * 160 });
    w.clock.advance(20);
    w.pipe.flush();
  }
  const views = heard(w.callee);
  assert.equal(views.length, 15);
  assertContinuous(views, 0xb2b2b2b2);
  assert.equal(views[5]!.marker, true, 'marker on the first packet after the prompt');
  assert.equal(views[10]!.marker, true, 'marker on the first packet of the new SSRC');
  assert.equal(views[6]!.marker, false);
  bridge.close();
});

test('different payload type numbers for the same codec are mapped, telephone events too', () => {
  const dynamicOpus: MediaFormat = { payloadType: 96, encodingName: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 };
  const otherOpus: MediaFormat = { payloadType: 111, encodingName: 'OPUS', clockRate: 48000, channels: 2, ptimeMs: 20 };
  const w = world(dynamicOpus, otherOpus, [101, 126]);
  new RelayBridge(w.caller.port, w.callee.port);
  speak(w.caller, 1);
  speak(w.caller, 2, { payloadType: 101, payload: Buffer.from([1, 0x8a, 0, 160]) });
  w.pipe.flush();
  const views = heard(w.callee);
  assert.deepEqual(views.map((v) => v.payloadType), [111, 126]);
  assert.deepEqual([...views[1]!.payload()], [1, 0x8a, 0, 160], 'the RFC 4733 event payload crosses untouched');
});

test('the far leg’s CSRC list and header extension do not cross the bridge (each leg is its own RTP session)', () => {
  const w = world();
  new RelayBridge(w.caller.port, w.callee.port);
  // V=2 X=1 CC=1, PT 0, seq 1, ts 160, SSRC 0x1111, one CSRC, a one-word extension, then 3 payload bytes.
  const packet = Buffer.from('9100000100000a0000001111' + 'cccccccc' + 'bede0001' + '10ff0000' + '010203', 'hex');
  w.caller.phone.send(packet, w.caller.rtp.port, '10.0.0.1');
  w.pipe.flush();
  const [view] = heard(w.callee);
  assert.deepEqual([view!.csrcCount, view!.hasExtension, view!.ssrc, ...view!.payload()], [0, false, 0xb2b2b2b2, 1, 2, 3]);
  assert.equal(w.callee.phone.received[0]!.data.length, 15);
});

test('telephone events are dropped and counted when the other leg negotiated none', () => {
  const w = world(PCMU, PCMU, [101, undefined]);
  const bridge = new RelayBridge(w.caller.port, w.callee.port);
  speak(w.caller, 1, { payloadType: 101, payload: Buffer.from([5, 0x0a, 0, 80]) });
  w.pipe.flush();
  assert.equal(heard(w.callee).length, 0);
  assert.equal(bridge.counters().aToB.dtmfDropped, 1);
});

test('different codecs go through the transcoder hook, one transcoder per direction (the codec module’s Transcoder)', () => {
  const w = world(PCMU, PCMA);
  const asked: string[] = [];
  const bridge = new RelayBridge(w.caller.port, w.callee.port, {
    transcoders: (from, to) => {
      asked.push(`${from.encodingName}->${to.encodingName}`);
      return new Transcoder(from.encodingName as CodecName, to.encodingName as CodecName);
    },
  });
  assert.equal(bridge.mode, 'transcode');
  assert.deepEqual(asked, ['PCMU->PCMA', 'PCMA->PCMU']);
  const mulaw = Buffer.from([0xff, 0x80, 0x00, 0x7f, 0x55]);
  const alaw = Buffer.from([0xd5, 0x2a, 0x55, 0xaa, 0x13]);
  speak(w.caller, 1, { payload: mulaw });
  speak(w.callee, 1, { payload: alaw });
  w.pipe.flush();
  const [toCallee] = heard(w.callee);
  const [toCaller] = heard(w.caller);
  const expectedAlaw = new Uint8Array(5);
  mulawToAlaw(mulaw, expectedAlaw);
  const expectedMulaw = new Uint8Array(5);
  alawToMulaw(alaw, expectedMulaw);
  assert.deepEqual([toCallee!.payloadType, ...toCallee!.payload()], [8, ...expectedAlaw]);
  assert.deepEqual([toCaller!.payloadType, ...toCaller!.payload()], [0, ...expectedMulaw]);
  assert.deepEqual([toCallee!.ssrc, toCallee!.sequenceNumber], [0xb2b2b2b2, 1000], 'the header is rewritten as in relay mode');
  assert.equal(bridge.counters().aToB.transcoded, 1);
  assert.equal(bridge.counters().bToA.transcoded, 1);
});

test('a transcoder whose output is larger than the input gets a new datagram; one that throws is counted', () => {
  const doubling: PayloadTranscoder = { transcode: (payload) => Uint8Array.from([...payload].flatMap((byte) => [0, byte])) };
  const L16: MediaFormat = { payloadType: 97, encodingName: 'L16', clockRate: 8000, ptimeMs: 20 };
  const w = world(PCMU, L16);
  const failing: PayloadTranscoder = {
    transcode: () => {
      throw new Error('corrupt payload');
    },
  };
  const bridge = new RelayBridge(w.caller.port, w.callee.port, { transcoders: (from) => (from.encodingName === 'PCMU' ? doubling : failing) });
  speak(w.caller, 1, { payload: Buffer.from([1, 2]) });
  speak(w.callee, 1, { payload: Buffer.from([1, 2]) });
  w.pipe.flush();
  const [toCallee] = heard(w.callee);
  assert.deepEqual([toCallee!.payloadType, ...toCallee!.payload()], [97, 0, 1, 0, 2]);
  assert.equal(heard(w.caller).length, 0);
  assert.equal(bridge.counters().bToA.transcodeFailures, 1);
});

test('PCMU and Opus legs are transcoded with timestamps and DTMF durations scaled between 8 kHz and 48 kHz units', () => {
  const opus: MediaFormat = { payloadType: 111, encodingName: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 };
  const w = world(PCMU, opus, [101, 110]);
  const transcoders: Transcoder[] = [];
  const bridge = new RelayBridge(w.caller.port, w.callee.port, {
    transcoders: (from, to) => {
      const transcoder = new Transcoder(from.encodingName as CodecName, to.encodingName as CodecName);
      transcoders.push(transcoder);
      return transcoder;
    },
  });
  assert.equal(bridge.mode, 'transcode');
  const tone = (seq: number): Buffer => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 1000 * (seq * 160 + i)) / 8000));
    const payload = Buffer.alloc(160);
    encodeMulaw(pcm, payload);
    return payload;
  };
  for (let seq = 1; seq <= 5; seq++) speak(w.caller, seq, { payload: tone(seq), ts: 8000 + seq * 160 });
  // An RFC 4733 event: digit 5, duration 800 units of 8 kHz (100 ms).
  speak(w.caller, 6, { payloadType: 101, ts: 9000, payload: Buffer.from([5, 0x80, 0x03, 0x20]) });
  w.pipe.flush();
  const toCallee = heard(w.callee);
  const audio = toCallee.filter((packet) => packet.payloadType === 111);
  assert.equal(audio.length, 5);
  for (let i = 1; i < audio.length; i++) {
    assert.equal((audio[i]!.timestamp - audio[i - 1]!.timestamp) >>> 0, 960, 'a 20 ms step is 960 units at 48 kHz');
  }
  const event = toCallee.find((packet) => packet.payloadType === 110);
  assert.ok(event, 'the event crossed with the payload type the Opus leg negotiated');
  assert.equal(event.payload().readUInt16BE(2), 4800, 'the 100 ms duration is 4800 units at 48 kHz');

  // And back: Opus packets from the callee reach the caller as PCMU stepping 160 units.
  const opusEncoder = new Transcoder('PCMU', 'OPUS');
  for (let seq = 1; seq <= 3; seq++) {
    speak(w.callee, seq, { payload: Buffer.from(opusEncoder.transcode(tone(seq))), ts: 96_000 + seq * 960 });
  }
  opusEncoder.close();
  w.pipe.flush();
  const toCaller = heard(w.caller);
  assert.equal(toCaller.length, 3);
  assert.deepEqual(toCaller.map((packet) => [packet.payloadType, packet.payloadLength]), [[0, 160], [0, 160], [0, 160]]);
  assert.equal((toCaller[2]!.timestamp - toCaller[1]!.timestamp) >>> 0, 160);

  bridge.close();
  assert.equal(transcoders.length, 2);
  // Closed transcoders have released their codecs: using one again fails rather than leaking.
  assert.throws(() => transcoders[0]!.transcode(tone(1)));
});

test('different codecs without a transcoder cannot be bridged (mediaFormatMismatch)', () => {
  const w = world(PCMU, PCMA);
  assert.throws(
    () => new RelayBridge(w.caller.port, w.callee.port),
    (error) => isDialtoneError(error) && error.code === ErrorCodes.mediaFormatMismatch,
  );
});

test('closing the bridge stops the relay and leaves the ports open; closing a port closes the bridge', () => {
  const w = world();
  const first = new RelayBridge(w.caller.port, w.callee.port);
  let closedEvents = 0;
  first.on('closed', () => closedEvents++);
  first.close();
  first.close();
  assert.equal(closedEvents, 1);
  speak(w.caller, 1);
  w.pipe.flush();
  assert.equal(heard(w.callee).length, 0);
  assert.equal(w.caller.port.isClosed, false);

  const second = new RelayBridge(w.caller.port, w.callee.port);
  w.callee.port.close();
  assert.equal(second.isClosed, true);
  assert.throws(() => new RelayBridge(w.caller.port, w.callee.port));
  w.caller.port.close();
});
