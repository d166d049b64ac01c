/**
 * `<Dial answerOnBridge="true">` end to end (issue 6: "the inbound leg is not answered until the
 * callee is, and hears the callee's early media or ringback meanwhile"). Our caller calls the engine,
 * the application dials the demo's built-in phone, which rings for a known while before answering:
 *
 * - with a plain 180 from the callee, the engine answers the caller only after the callee's 200, and
 *   meanwhile sends it early media (183 with SDP) carrying the ringTone's ringback (US: 440 + 480 Hz);
 * - with a callee that sends 183 with SDP and audio (its 1 kHz tone), the caller gets a 183 with SDP
 *   from the engine and that audio before its own 200 OK.
 * After the answer both are bridged: the callee's tone reaches the caller.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoPhone } from '../../../src/cli/demo/demo-phone.js';
import { SipLadder } from '../../../src/cli/demo/sip-ladder.js';
import { systemClock } from '../../../src/kernel/index.js';
import { openMediaPort, PortAllocator, type MediaPort } from '../../../src/media/index.js';
import { negotiateAnswer } from '../../../src/sdp/index.js';
import type { IncomingCall, SipCall } from '../../../src/sip/index.js';
import { Caller, sleep, startTestEngine, WebhookApp, type PlacedCall, within } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { CALLEE_HZ, toneShare } from './support.js';

/** The early-media callee's RTP ports: a range apart from the harness's and the demo phones'. */
const allocator = new PortAllocator({ min: 38000 + Math.floor(Math.random() * 400) * 2, max: 39999 });

/** US ringback (ITU-T E.180): 440 Hz and 480 Hz together. */
const RINGBACK_HZ = [440, 480];

const RING_MS = 2_000;

interface CalleeCall {
  call: SipCall;
  port: MediaPort;
}

interface Scene {
  caller: Caller;
  /** The engine's SIP port. */
  sipPort: number;
  /** The callee's answered call, once its 200 OK was acknowledged. */
  calleeAnswered: Promise<CalleeCall>;
  /** Date.now() when the engine's INVITE reached the callee. */
  invitedAt(): number;
  close(): Promise<void>;
}

/** The engine, the application (<Dial answerOnBridge> to the phone, then <Hangup>), the caller; `answer` plays the callee. */
async function scene(answer: (callee: DemoPhone, incoming: IncomingCall) => Promise<CalleeCall>): Promise<Scene> {
  const callee = await DemoPhone.start('kate', new SipLadder());
  const app = await WebhookApp.start();
  app.on('/voice', `<Response><Dial action="/after" answerOnBridge="true"><Sip>${callee.uri}</Sip></Dial></Response>`);
  app.on('/after', '<Response><Hangup/></Response>');
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  let invitedAt = 0;
  const calleeAnswered = new Promise<CalleeCall>((resolve, reject) => {
    callee.ua.onIncomingCall((incoming: IncomingCall) => {
      invitedAt = Date.now();
      answer(callee, incoming).then(resolve, reject);
    });
  });
  return {
    caller,
    sipPort: setup.sipPort,
    calleeAnswered,
    invitedAt: () => invitedAt,
    async close() {
      await caller.close();
      await setup.close();
      await callee.close();
      await app.close();
    },
  };
}

/** What the caller got before its 200 OK. */
interface BeforeAnswer {
  placed: Extract<PlacedCall, { answered: true }>;
  /** The engine's provisional responses, and whether each carried SDP. */
  provisional: Array<{ status: number; sdp: boolean }>;
  /** Audio samples received before the 200 OK. */
  early: number[];
  answeredAt: number;
}

async function callAndWaitForAnswer(caller: Caller, sipPort: number): Promise<BeforeAnswer> {
  const provisional: Array<{ status: number; sdp: boolean }> = [];
  const placed = await within(
    caller.call(sipPort, undefined, [], (status, _cancel, sdp) => provisional.push({ status, sdp: sdp !== undefined && sdp.length > 0 })),
    20_000,
    'the engine’s 200 OK to the caller',
  );
  const answeredAt = Date.now();
  assert.ok(placed.answered, 'the caller is answered once the callee is');
  // The bridge sends the callee's audio only after the caller's ACK: all heard so far came before the 200.
  return { placed, provisional, early: [...placed.heard.samples], answeredAt };
}

/** After the answer the parties are bridged: the callee's tone reaches the caller; then the caller hangs up. */
async function assertBridgedThenHangUp(placed: BeforeAnswer['placed'], calleeCall: SipCall, heardBefore: number): Promise<void> {
  const share = await within(
    eventually(async () => toneShare(placed.heard.samples.slice(Math.max(heardBefore, placed.heard.samples.length - 1600)), CALLEE_HZ), (value) => value > 0.3),
    10_000,
    'the callee’s audio through the bridge',
  );
  assert.ok(share > 0.3, `bridged: the caller hears the callee’s ${CALLEE_HZ} Hz (share ${share.toFixed(2)})`);
  await placed.call.bye();
  await within(calleeCall.ended, 10_000, 'the engine’s BYE to the callee');
}

test('answerOnBridge, callee rings (180): no 200 for the caller until the callee answers; meanwhile 183 with the ringTone’s ringback', { timeout: 60_000 }, async () => {
  const run = await scene(async (callee, incoming) => {
    // DemoPhone.answer: 180, then the 200 after RING_MS; it sends no early media.
    const answered = await callee.answer(incoming, RING_MS);
    callee.sendTone(answered.port, CALLEE_HZ);
    return answered;
  });
  try {
    const before = await callAndWaitForAnswer(run.caller, run.sipPort);
    const callee = await within(run.calleeAnswered, 5_000, 'the callee’s answer');
    assert.ok(before.answeredAt >= run.invitedAt() + RING_MS, 'the caller’s 200 OK came after the callee’s (which waited RING_MS after the INVITE)');
    assert.ok(
      before.provisional.some((progress) => progress.status === 183 && progress.sdp),
      `the engine sent 183 with SDP for the ringback (${JSON.stringify(before.provisional)})`,
    );
    for (const hz of RINGBACK_HZ) {
      const share = toneShare(before.early, hz);
      assert.ok(share > 0.1, `before its answer the caller hears the ringback’s ${hz} Hz (share ${share.toFixed(2)}, ${before.early.length} samples)`);
    }
    await assertBridgedThenHangUp(before.placed, callee.call, before.early.length);
  } finally {
    await run.close();
  }
});

test('answerOnBridge, callee sends 183 with SDP and early audio: the caller gets 183 with SDP and that audio before its 200 OK', { timeout: 60_000 }, async () => {
  const run = await scene(async (callee, incoming) => {
    const port = await openMediaPort({
      allocator,
      bindAddress: '127.0.0.1',
      clock: systemClock,
      format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 },
      rtpTimeoutMs: 0,
      rtcpIntervalMs: 0,
    });
    const negotiated = negotiateAnswer(incoming.remoteSdp?.toString('utf8') ?? '', {
      sessionId: '7',
      sessionVersion: 1,
      username: 'kate',
      address: '127.0.0.1',
      port: port.local.port,
      codecs: ['PCMU'],
      ptimeMs: 20,
    });
    if (!negotiated.ok) {
      port.close();
      incoming.reject(488);
      throw new Error(negotiated.reason);
    }
    port.setRemote({ address: negotiated.media.remote.address, port: negotiated.media.remote.port });
    const sdp = Buffer.from(negotiated.answerSdp);
    // RFC 3261 §13.3.1.1 with RFC 3264's answer in the 183: early media, the tone from now on.
    incoming.progress(183, sdp);
    const stopTone = callee.sendTone(port, CALLEE_HZ);
    await sleep(RING_MS);
    try {
      const call = await incoming.accept(sdp);
      void call.ended.then(() => port.close());
      return { call, port };
    } catch (error) {
      stopTone();
      port.close();
      throw error;
    }
  });
  try {
    const before = await callAndWaitForAnswer(run.caller, run.sipPort);
    const callee = await within(run.calleeAnswered, 5_000, 'the callee’s answer');
    assert.ok(before.answeredAt >= run.invitedAt() + RING_MS, 'the caller’s 200 OK came after the callee’s');
    assert.ok(
      before.provisional.some((progress) => progress.status === 183 && progress.sdp),
      `the engine relayed early media with a 183 with SDP (${JSON.stringify(before.provisional)})`,
    );
    const share = toneShare(before.early, CALLEE_HZ);
    assert.ok(share > 0.3, `before its answer the caller hears the callee’s early ${CALLEE_HZ} Hz (share ${share.toFixed(2)}, ${before.early.length} samples)`);
    await assertBridgedThenHangUp(before.placed, callee.call, before.early.length);
  } finally {
    await run.close();
  }
});
