/**
 * The <Dial><Sip> OutboundDialer (createSipDialer) over the real UserAgent and RTP sockets, against
 * SIPp as the called endpoint: each test checks the events runDial would see and SIPp's own verdict.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import { PortAllocator } from '../../../src/media/index.js';
import { UserAgent, type Resolver } from '../../../src/sip/index.js';
import { createSipDialer, isSipOutboundLeg } from '../../../src/call/adapters/dial/index.js';
import type { LegAnswer, LegFailure, LegProgress, OutboundDialer, OutboundLeg, OutboundLegRequest, RequestUri } from '../../../src/call/dial/index.js';
import { assertSippPassed, requireSipp, scenario, startSipp, type RunningSipp } from '../../support/sipp.js';

const HOST = '127.0.0.1';
const SIPP_TIMEOUT = 20_000;

type LegEvent =
  | { kind: 'progress'; progress: LegProgress }
  | { kind: 'answered'; answer: LegAnswer }
  | { kind: 'failed'; failure: LegFailure }
  | { kind: 'ended'; by: 'remote' | 'local' };

/** One placed leg and what it reported, in order; `next(kind)` waits for the first event of that kind. */
class PlacedLeg {
  readonly events: LegEvent[] = [];
  readonly leg: OutboundLeg;
  private waiters: Array<() => void> = [];
  private placing = true;

  constructor(dialer: OutboundDialer, request: OutboundLegRequest) {
    const push = (event: LegEvent): void => {
      assert.equal(this.placing, false, `${event.kind} fired from inside place()`);
      this.events.push(event);
      for (const waiter of this.waiters.splice(0)) waiter();
    };
    this.leg = dialer.place(request, {
      progress: (progress) => push({ kind: 'progress', progress }),
      answered: (answer) => push({ kind: 'answered', answer }),
      failed: (failure) => push({ kind: 'failed', failure }),
      ended: (by) => push({ kind: 'ended', by }),
    });
    this.placing = false;
  }

  async next<K extends LegEvent['kind']>(kind: K, matches: (event: Extract<LegEvent, { kind: K }>) => boolean = () => true): Promise<Extract<LegEvent, { kind: K }>> {
    for (;;) {
      const found = this.events.find((event) => event.kind === kind && matches(event as Extract<LegEvent, { kind: K }>));
      if (found !== undefined) return found as Extract<LegEvent, { kind: K }>;
      if (kind !== 'failed' && this.events.some((event) => event.kind === 'failed')) {
        assert.fail(`the leg failed while waiting for ${kind}: ${JSON.stringify(this.events)}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

function requestUri(host: string, port: number, transport: 'udp' | 'tcp' = 'udp'): RequestUri {
  return {
    scheme: 'sip',
    user: 'service',
    host,
    port,
    portExplicit: true,
    transport,
    params: [],
    text: `sip:service@${host.includes(':') ? `[${host}]` : host}:${port}${transport === 'udp' ? '' : `;transport=${transport}`}`,
  };
}

function request(uri: RequestUri, extra: Partial<OutboundLegRequest> = {}): OutboundLegRequest {
  const callSid = `CA${'0'.repeat(31)}${Math.floor(Math.random() * 10)}`;
  return {
    callSid,
    requestUri: uri,
    region: 'us1',
    fromUser: '+15551230000',
    headers: [
      { name: 'X-Twilio-AccountSid', value: 'AC0123456789abcdef0123456789abcdef' },
      { name: 'X-Twilio-CallSid', value: callSid },
      { name: 'X-Twilio-ApiVersion', value: '2010-04-01' },
    ],
    codecs: [],
    ...extra,
  };
}

function sippUri(sipp: RunningSipp): RequestUri {
  return requestUri(HOST, sipp.port);
}

describe('createSipDialer against SIPp', { timeout: 120_000 }, () => {
  let ua: UserAgent;
  let allocator: PortAllocator;
  let dialer: OutboundDialer;

  before(async () => {
    ua = await UserAgent.start({
      transport: { listen: [{ protocol: 'udp', address: HOST, port: 0 }, { protocol: 'tcp', address: HOST, port: 0 }] },
      timers: { t1: 200, tryingDelay: 0 },
      clock: systemClock,
      logger: silentLogger,
    });
    const low = 36000 + Math.floor(Math.random() * 400) * 2;
    allocator = new PortAllocator({ min: low, max: low + 199 });
    dialer = createSipDialer({ ua, allocator, bindAddress: HOST, clock: systemClock, logger: silentLogger });
  });

  after(async () => {
    await ua.close();
    assert.equal(allocator.inUse, 0, 'every RTP pair went back to the allocator');
  });

  it('uas-answer-200: progress, answered with a media port on the answer, then our BYE ends it (local)', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      const placed = new PlacedLeg(dialer, request(sippUri(sipp)));
      assert.match(placed.leg.sipCallId, /@dialtone$/);
      const progress = await placed.next('progress');
      assert.equal(progress.progress.status, 180);
      assert.equal(progress.progress.earlyMedia, false);
      const answered = await placed.next('answered');
      assert.equal(answered.answer.status, 200);
      assert.ok(isSipOutboundLeg(placed.leg));
      const port = placed.leg.mediaPort;
      assert.ok(port !== undefined, 'the answered leg has its media port');
      assert.equal(port.format.encodingName, 'PCMU');
      assert.equal(port.telephoneEventPayloadType, 101);
      assert.equal(port.destination?.port, sipp.mediaPort, 'RTP goes where the answer said');
      placed.leg.hangup();
      const ended = await placed.next('ended');
      assert.equal(ended.by, 'local');
      assert.equal(port.isClosed, true, 'the port closes with the dialog');
      assert.deepEqual(placed.events.map((event) => event.kind), ['progress', 'answered', 'ended']);
      const result = await sipp.done;
      assertSippPassed(result, 1, 'SIPp UAS');
      // INTERFACE.md "The outbound INVITE of a <Sip> leg", as SIPp received it.
      const invite = result.messagesLog.slice(result.messagesLog.indexOf('INVITE sip:'));
      assert.match(invite, /^INVITE sip:service@127\.0\.0\.1:\d+;transport=udp SIP\/2\.0/);
      assert.match(invite, /\nFrom: <sip:\+15551230000@127\.0\.0\.1>;tag=/);
      assert.match(invite, /\nX-Twilio-AccountSid: AC0123456789abcdef0123456789abcdef\r?\n/);
      assert.match(invite, /\nX-Twilio-ApiVersion: 2010-04-01\r?\n/);
      assert.ok(invite.includes(`Call-ID: ${placed.leg.sipCallId}`), 'the Call-ID reported is the one sent');
      // The engine's default offer: PCMU, PCMA, telephone-event.
      assert.match(invite, /\nm=audio \d+ RTP\/AVP 0 8 \d+\r?\n/);
      assert.match(invite, /telephone-event\/8000/);
    } finally {
      await sipp.stop();
    }
  });

  it('uas-busy-486: failed with cause response and status 486', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({ scenario: scenario('uas-busy-486'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      const placed = new PlacedLeg(dialer, request(sippUri(sipp)));
      const failed = await placed.next('failed');
      assert.equal(failed.failure.cause, 'response');
      assert.equal(failed.failure.status, 486);
      assert.equal(placed.events.at(-1)?.kind, 'failed');
      assertSippPassed(await sipp.done, 1, 'SIPp UAS');
    } finally {
      await sipp.stop();
    }
  });

  it('uas-decline-603: failed with cause response and status 603', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({ scenario: scenario('uas-decline-603'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      const placed = new PlacedLeg(dialer, request(sippUri(sipp)));
      const failed = await placed.next('failed');
      assert.equal(failed.failure.cause, 'response');
      assert.equal(failed.failure.status, 603);
      assertSippPassed(await sipp.done, 1, 'SIPp UAS');
    } finally {
      await sipp.stop();
    }
  });

  it('uas-401-challenge with credentials: SIPp verifies our digest, the leg is answered', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({
      scenario: scenario('uas-401-challenge'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT, authUser: 'alice', authPassword: 'secret',
    });
    try {
      const placed = new PlacedLeg(
        dialer,
        request(sippUri(sipp), { credentials: { username: 'alice', password: 'secret' }, codecs: ['PCMA', 'PCMU'], sessionExpires: 1800 }),
      );
      await placed.next('answered');
      placed.leg.hangup();
      assert.equal((await placed.next('ended')).by, 'local');
      const result = await sipp.done;
      assertSippPassed(result, 1, 'SIPp UAS');
      // Seed 002: "Codecs are offered in the order specified"; RFC 4028 Session-Expires from sessionTimeout.
      assert.match(result.messagesLog, /\nm=audio \d+ RTP\/AVP 8 0 \d+\r?\n/);
      assert.match(result.messagesLog, /\nSession-Expires: 1800/);
    } finally {
      await sipp.stop();
    }
  });

  it('uas-no-answer then cancel(): CANCEL goes out, the leg fails with cause cancelled (487)', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const sipp = await startSipp({ scenario: scenario('uas-no-answer'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      const placed = new PlacedLeg(dialer, request(sippUri(sipp)));
      const early = await placed.next('progress');
      assert.equal(early.progress.status, 183);
      assert.equal(early.progress.earlyMedia, true, 'the 183 carried SDP');
      // SIPp takes a CANCEL only once it has sent its 180 as well (the scenario's own note).
      await placed.next('progress', (event) => event.progress.status === 180);
      placed.leg.cancel();
      const failed = await placed.next('failed');
      assert.equal(failed.failure.cause, 'cancelled');
      assert.equal(failed.failure.status, 487);
      assertSippPassed(await sipp.done, 1, 'SIPp UAS');
    } finally {
      await sipp.stop();
    }
  });

  it('cancel() before anything was sent: failed cancelled, asynchronously', async () => {
    const placed = new PlacedLeg(dialer, request(requestUri(HOST, 9)));
    placed.leg.cancel();
    assert.equal(placed.events.length, 0, 'nothing fires from inside cancel() either');
    const failed = await placed.next('failed');
    assert.equal(failed.failure.cause, 'cancelled');
  });

  it('a closed TCP port: failed with cause transport', async () => {
    // A port that was just free and is closed again: the TCP connect is refused.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const placed = new PlacedLeg(dialer, request(requestUri(HOST, port, 'tcp')));
    const failed = await placed.next('failed');
    assert.equal(failed.failure.cause, 'transport');
    assert.equal(failed.failure.status, 503);
  });

  it('a host with no DNS records: failed with cause dns', async () => {
    const nothing: Resolver = {
      resolveNaptr: async () => [],
      resolveSrv: async () => [],
      resolve4: async () => [],
      resolve6: async () => [],
    };
    const dnsDialer = createSipDialer({ ua, allocator, bindAddress: HOST, clock: systemClock, logger: silentLogger, resolver: nothing });
    const uri: RequestUri = { ...requestUri('nowhere.invalid', 5060), portExplicit: false, text: 'sip:service@nowhere.invalid' };
    const placed = new PlacedLeg(dnsDialer, request(uri));
    const failed = await placed.next('failed');
    assert.equal(failed.failure.cause, 'dns');
  });
});
