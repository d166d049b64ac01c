/**
 * DialMedia over the media engine: ringback on the caller's port, and the bridge between a caller's
 * MediaPort (fed by a fake phone socket) and the callee's, dialled with createSipDialer to SIPp's
 * uas-echo-rtp (-rtp_echo): what the phone sends crosses the bridge to SIPp, comes back through the
 * echo and crosses the bridge again to the phone — audio relayed both ways. With the callee on PCMA
 * and the caller on PCMU the bridge transcodes in both directions.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import {
  buildRtpPacket,
  decodeMulaw,
  encodeMulaw,
  openMediaPort,
  PortAllocator,
  RtpPacketView,
  RtpParseResult,
  parseWav,
  pcmSamples,
  TelephoneEventReceiver,
  type MediaPort,
} from '../../../src/media/index.js';
import type { NewRecording, RecordingPatch, RecordingRepository } from '../../../src/store/index.js';
import { UserAgent } from '../../../src/sip/index.js';
import {
  createDialMedia,
  createDialRecording,
  createSipDialer,
  isSipOutboundLeg,
  type BridgeableLeg,
  type RecordableLeg,
  type RecordingServices,
} from '../../../src/call/adapters/dial/index.js';
import type { Leg } from '../../../src/call/index.js';
import type { LegAnswer, OutboundDialer, OutboundLeg, OutboundLegRequest } from '../../../src/call/dial/index.js';
import type { SipCodec } from '../../../src/markup/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';

const HOST = '127.0.0.1';
/** The Leg argument DialMedia's per-call adapter does not use (it is bound to the caller's media leg). */
const unusedLeg = {} as Leg;

/** The caller's phone: a UDP socket that keeps every RTP packet it receives. */
class Phone {
  readonly received: Array<{ payloadType: number; ssrc: number; payload: Buffer }> = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    const view = new RtpPacketView();
    socket.on('message', (message: Buffer) => {
      if (view.wrap(message) !== RtpParseResult.ok) return;
      this.received.push({ payloadType: view.payloadType, ssrc: view.ssrc, payload: Buffer.from(view.payload()) });
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static async open(): Promise<Phone> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return new Phone(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(to: number, packet: Buffer): void {
    this.socket.send(packet, to, HOST);
  }

  async until(test: () => boolean): Promise<void> {
    while (!test()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.close();
  }
}

/** 20 ms of a 1 kHz tone, µ-law, for packet `k` (phase carried across packets). */
function tone(k: number): Uint8Array {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++) pcm[i] = Math.round(8_000 * Math.sin((2 * Math.PI * 1000 * (k * 160 + i)) / 8000));
  const out = new Uint8Array(160);
  encodeMulaw(pcm, out);
  return out;
}

function pcmuCaller(port: MediaPort): BridgeableLeg & RecordableLeg {
  return {
    port,
    // A port that is never replaced: followers attach once.
    followPort: (attach) => attach(port),
    negotiated: {
      codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, sampleRate: 8000, channels: 1, ptimeMs: 20, fmtp: null },
      telephoneEventPayloadType: 101,
    },
  };
}

function legRequest(port: number, codecs: SipCodec[]): OutboundLegRequest {
  return {
    callSid: 'CA0123456789abcdef0123456789abcdef',
    requestUri: { scheme: 'sip', user: 'echo', host: HOST, port, portExplicit: true, transport: 'udp', params: [], text: `sip:echo@${HOST}:${port}` },
    region: 'us1',
    fromUser: 'caller',
    headers: [],
    codecs,
  };
}

/** Places a leg and resolves once it is answered (rejects on failure). */
function placeAnswered(dialer: OutboundDialer, request: OutboundLegRequest): Promise<{ leg: OutboundLeg; answer: LegAnswer; ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    let endedResolve!: (by: string) => void;
    const ended = new Promise<string>((r) => (endedResolve = r));
    const leg = dialer.place(request, {
      progress: () => undefined,
      answered: (answer) => resolve({ leg, answer, ended }),
      failed: (failure) => reject(new Error(`leg failed: ${failure.cause} ${failure.status} ${failure.reason}`)),
      ended: (by) => endedResolve(by),
    });
  });
}

describe('DialMedia over the media engine', { timeout: 120_000 }, () => {
  let ua: UserAgent;
  let allocator: PortAllocator;
  let dialer: OutboundDialer;

  before(async () => {
    ua = await UserAgent.start({
      transport: { listen: [{ protocol: 'udp', address: HOST, port: 0 }] },
      timers: { t1: 200, tryingDelay: 0 },
      clock: systemClock,
      logger: silentLogger,
    });
    const low = 38000 + Math.floor(Math.random() * 400) * 2;
    allocator = new PortAllocator({ min: low, max: low + 199 });
    dialer = createSipDialer({ ua, allocator, bindAddress: HOST, clock: systemClock, logger: silentLogger });
  });

  after(async () => {
    await ua.close();
    assert.equal(allocator.inUse, 0, 'every RTP pair went back to the allocator');
  });

  it('ringback: the caller hears the ringTone country\'s tone as PCMU from the caller port until the signal', async () => {
    const phone = await Phone.open();
    const port = await openMediaPort({ allocator, bindAddress: HOST, clock: systemClock, format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 }, remote: { address: HOST, port: phone.port }, rtpTimeoutMs: 0 });
    const stop = new AbortController();
    try {
      const media = createDialMedia({ caller: pcmuCaller(port), clock: systemClock });
      media.ringback(unusedLeg, 'uk', stop.signal);
      // 10 frames = 200 ms, inside the UK cadence's first 400 ms "on" period.
      await phone.until(() => phone.received.length >= 10);
      stop.abort();
      const first = phone.received.slice(0, 10);
      assert.ok(first.every((packet) => packet.payloadType === 0 && packet.payload.length === 160), '20 ms PCMU frames');
      assert.equal(new Set(first.map((packet) => packet.ssrc)).size, 1, 'one stream, the port\'s own SSRC');
      assert.equal(first[0]!.ssrc, port.ssrc);
      const pcm = new Int16Array(160);
      decodeMulaw(first[5]!.payload, pcm);
      const peak = pcm.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
      assert.ok(peak > 1000, `ringback is audible (peak ${peak})`);
    } finally {
      stop.abort();
      port.close();
      phone.close();
    }
  });

  for (const { codecs, calleeCodec } of [
    { codecs: [] as SipCodec[], calleeCodec: 'PCMU' },
    { codecs: ['PCMA'] as SipCodec[], calleeCodec: 'PCMA' },
  ]) {
    it(`bridge: caller PCMU ↔ callee ${calleeCodec} on SIPp uas-echo-rtp, audio relayed both ways`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 30_000, rtpEcho: true });
      const phone = await Phone.open();
      const callerPort = await openMediaPort({
        allocator,
        bindAddress: HOST,
        clock: systemClock,
        format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 },
        telephoneEventPayloadType: 101,
        remote: { address: HOST, port: phone.port },
        rtpTimeoutMs: 0,
      });
      try {
        const { leg, ended } = await placeAnswered(dialer, legRequest(sipp.port, codecs));
        assert.ok(isSipOutboundLeg(leg));
        assert.equal(leg.mediaPort?.format.encodingName, calleeCodec);
        let suspended = 0;
        let resumed = 0;
        const caller: BridgeableLeg = { ...pcmuCaller(callerPort), suspendOutput: () => suspended++, resumeOutput: () => resumed++ };
        const bridge = await createDialMedia({ caller, clock: systemClock }).bridge(unusedLeg, leg);
        assert.equal(suspended, 1, 'the caller leg\'s own output is suspended while bridged');

        const sent = 20;
        // Paced by the arrival of each echo: one packet in flight at a time, no timing assumed.
        for (let k = 0; k < sent; k++) {
          phone.send(callerPort.local.port, buildRtpPacket({ payloadType: 0, sequenceNumber: 1000 + k, timestamp: 5000 + k * 160, ssrc: 0xcafe, marker: k === 0 }, tone(k)));
          await phone.until(() => phone.received.length > k);
        }
        assert.equal(phone.received.length, sent);
        for (let k = 0; k < sent; k++) {
          const back = phone.received[k]!;
          assert.equal(back.payloadType, 0, 'the caller hears its own codec');
          assert.equal(back.ssrc, callerPort.ssrc, 'on the caller port\'s stream');
          if (calleeCodec === 'PCMU') {
            assert.deepEqual([...back.payload], [...tone(k)], `packet ${k} came back unchanged`);
          } else {
            // µ-law → A-law → (echo) → µ-law: the same tone within G.711's quantisation.
            const want = new Int16Array(160);
            const got = new Int16Array(160);
            decodeMulaw(tone(k), want);
            decodeMulaw(back.payload, got);
            const worst = want.reduce((max, sample, i) => Math.max(max, Math.abs(sample - got[i]!)), 0);
            assert.ok(worst < 600, `packet ${k}: transcoded audio matches (worst error ${worst})`);
          }
        }
        bridge.close();
        bridge.close();
        assert.equal(resumed, 1, 'closing the bridge resumes the caller\'s output, once');
        leg.hangup();
        assert.equal(await ended, 'local');
        assertSippPassed(await sipp.done, 1, 'SIPp echo UAS');
      } finally {
        callerPort.close();
        phone.close();
        await sipp.stop();
      }
    });
  }

  it('sendDigits: RFC 4733 events to the answered callee (SIPp echoes them back), and bridge() waits for them', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 30_000, rtpEcho: true });
    const phone = await Phone.open();
    const callerPort = await openMediaPort({
      allocator,
      bindAddress: HOST,
      clock: systemClock,
      format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 },
      remote: { address: HOST, port: phone.port },
      rtpTimeoutMs: 0,
    });
    try {
      const { leg, ended } = await placeAnswered(dialer, legRequest(sipp.port, []));
      assert.ok(isSipOutboundLeg(leg) && leg.mediaPort !== undefined && leg.sendDigits !== undefined);
      let heard = '';
      let allHeard!: () => void;
      const three = new Promise<void>((resolve) => (allHeard = resolve));
      const receiver = new TelephoneEventReceiver({
        onDigit: (digit) => {
          heard += digit.digit;
          if (heard.length === 3) allHeard();
        },
      });
      leg.mediaPort.on('dtmf-packet', (packet) => receiver.receive(packet.payload(), packet.timestamp, Date.now()));
      leg.sendDigits('1w2#');
      let digitsDone = false;
      void leg.digitsSent().then(() => (digitsDone = true));
      const bridge = await createDialMedia({ caller: pcmuCaller(callerPort), clock: systemClock }).bridge(unusedLeg, leg);
      assert.equal(digitsDone, true, 'bridge() resolved only after the digits were sent');
      // Their echoes arrive right behind.
      await three;
      assert.equal(heard, '12#');
      bridge.close();
      leg.hangup();
      assert.equal(await ended, 'local');
      assertSippPassed(await sipp.done, 1, 'SIPp echo UAS');
    } finally {
      callerPort.close();
      phone.close();
      await sipp.stop();
    }
  });

  it('<Dial record> dual: the caller (left) and the callee (right, through the PCMA transcoding bridge) are both in the WAV', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const dir = await mkdtemp(join(tmpdir(), 'dialtone-dial-recording-'));
    const rows = new Map<string, NewRecording & RecordingPatch>();
    const recordings = {
      create: async (input: NewRecording) => void rows.set(input.sid!, { ...input }),
      update: async (sid: string, patch: RecordingPatch) => void rows.set(sid, { ...rows.get(sid)!, ...patch }),
    } as unknown as RecordingRepository;
    const services: RecordingServices = {
      recordingsDir: join(dir, 'recordings'),
      recordings,
      recordingPath: (sid) => join(dir, 'recordings', `${sid}.wav`),
      recordingUrl: (accountSid, sid) => `http://127.0.0.1:8080/2010-04-01/Accounts/${accountSid}/Recordings/${sid}`,
    };
    const sipp = await startSipp({ scenario: scenario('uas-echo-rtp'), transport: 'u1', calls: 1, timeoutMs: 30_000, rtpEcho: true });
    const phone = await Phone.open();
    const callerPort = await openMediaPort({
      allocator,
      bindAddress: HOST,
      clock: systemClock,
      format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 },
      remote: { address: HOST, port: phone.port },
      rtpTimeoutMs: 0,
    });
    try {
      const caller = pcmuCaller(callerPort);
      const { leg, ended } = await placeAnswered(dialer, legRequest(sipp.port, ['PCMA']));
      const recording = createDialRecording({ caller, services, clock: systemClock, logger: silentLogger });
      // record-from-answer as runDial does it: the recording starts with the callee, then the bridge.
      const session = await recording.start(
        { accountSid: 'AC0123456789abcdef0123456789abcdef', callSid: 'CA0123456789abcdef0123456789abcdef', channels: 'dual', trimSilence: false, track: 'both' },
        unusedLeg,
        leg,
      );
      assert.match(session.recordingSid, /^RE[0-9a-f]{32}$/);
      assert.equal(rows.get(session.recordingSid)?.source, 'DialVerb');
      const bridge = await createDialMedia({ caller, clock: systemClock }).bridge(unusedLeg, leg);
      for (let k = 0; k < 50; k++) {
        phone.send(callerPort.local.port, buildRtpPacket({ payloadType: 0, sequenceNumber: 2000 + k, timestamp: 9000 + k * 160, ssrc: 0xbeef, marker: k === 0 }, tone(k)));
        await phone.until(() => phone.received.length > k);
      }
      bridge.close();
      const stopped = await session.stop();
      assert.equal(stopped.recordingSid, session.recordingSid);
      assert.equal(rows.get(session.recordingSid)?.status, stopped.durationSeconds > 0 ? 'completed' : 'absent');
      const wav = parseWav(await readFile(services.recordingPath(session.recordingSid)));
      assert.equal(wav.channels, 2);
      assert.equal(wav.sampleRate, 8000);
      const samples = pcmSamples(wav);
      let left = 0;
      let right = 0;
      for (let i = 0; i + 1 < samples.length; i += 2) {
        left = Math.max(left, Math.abs(samples[i]!));
        right = Math.max(right, Math.abs(samples[i + 1]!));
      }
      assert.ok(left > 4000, `the caller's tone is on the left channel (peak ${left})`);
      assert.ok(right > 4000, `the callee's echo is on the right channel (peak ${right})`);
      leg.hangup();
      assert.equal(await ended, 'local');
      assertSippPassed(await sipp.done, 1, 'SIPp echo UAS');
    } finally {
      callerPort.close();
      phone.close();
      await sipp.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
