/**
 * Dialtone's UserAgent against SIPp, both ways. SIPp's exit code and statistics are the verdict
 * (assertSippPassed: exit 0, every call successful, none failed); our side's outcomes are checked too.
 *
 * - Dialtone as UAC (`<Dial><Sip>`) against SIPp's uas-* scenarios: a plain call, 401 and 407
 *   challenges, CANCEL during ringing, 486, lossy UDP; over UDP, TCP, and TLS (through the harness's
 *   tls-to-tcp bridge, since Debian's SIPp has no OpenSSL: the bridge is our outbound proxy).
 * - SIPp as UAC against a small application on our UserAgent that rings and answers with a canned
 *   SDP: uac-invite-200-bye, uac-cancel-during-ringing, uac-401-then-200 (our DigestVerifier), lossy
 *   UDP; over UDP, TCP, and TLS (SIPp over TCP into the harness's tcp-to-tls bridge).
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/kernel/index.js';
import { DigestVerifier } from '../../../src/sip/auth/index.js';
import { formatUri, getHeaders, parseUri, type NameAddr, type SipUri } from '../../../src/sip/message/index.js';
import type { TransportProtocol } from '../../../src/sip/transport/index.js';
import { UserAgent, type IncomingCall, type OutgoingCallOutcome, type SipCall } from '../../../src/sip/ua/index.js';
import {
  assertSippPassed,
  formatSippFailure,
  makeTestCertificate,
  requireSipp,
  runSipp,
  scenario,
  startSipp,
  startTlsBridge,
  verifyDigestInLog,
  type SippTransport,
} from '../../support/sipp.js';

const offer = Buffer.from(
  'v=0\r\no=dialtone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n',
);
const canned = Buffer.from(
  'v=0\r\no=dialtone 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n',
);
const sippTransport: Record<'udp' | 'tcp', SippTransport> = { udp: 'u1', tcp: 't1' };
const SIPP_TIMEOUT = 20_000;

const fixtures = join(import.meta.dirname ?? '.', '..', '..', 'fixtures', 'tls');

async function startUa(protocol: TransportProtocol): Promise<UserAgent> {
  const { readFileSync } = await import('node:fs');
  return UserAgent.start({
    transport: {
      listen: [{ protocol, address: '127.0.0.1', port: 0 }],
      ...(protocol === 'tls'
        ? { tls: { cert: readFileSync(join(fixtures, 'server.pem')), key: readFileSync(join(fixtures, 'server.key')), verifyPeer: false } }
        : {}),
    },
    timers: { t1: 200, tryingDelay: 0 },
  });
}

function sippUri(address: string, protocol: TransportProtocol, user = 'service'): SipUri {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const params = new Map<string, string | null>();
  if (protocol !== 'udp') params.set('transport', protocol);
  return { scheme: 'sip', user, host, port, params, headers: [] };
}

const from: NameAddr = { uri: { scheme: 'sip', user: '+15551230000', host: '127.0.0.1', params: new Map(), headers: [] }, params: new Map() };

function answeredCall(outcome: OutgoingCallOutcome): SipCall {
  assert.equal(outcome.kind, 'answered', outcome.kind === 'failed' ? `failed: ${outcome.failure.cause} ${outcome.failure.status}` : '');
  return (outcome as { call: SipCall }).call;
}

/** Places `calls` calls one after the other to a SIPp UAS and hangs each up when answered. */
async function callAndHangUp(ua: UserAgent, target: SipUri, calls: number, extra: Partial<Parameters<UserAgent['invite']>[0]> = {}): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const outcome = await ua.invite({ target, from, body: offer, ...extra }).outcome;
    const call = answeredCall(outcome);
    assert.ok(call.remoteSdp?.toString().includes('m=audio'));
    const end = await call.bye();
    assert.equal(end.status, 200);
  }
}

/** The test application for SIPp UACs: ring, then answer with the canned SDP (or only ring). */
function answerCalls(ua: UserAgent, mode: 'answer' | 'ring', verifier?: DigestVerifier): { calls: IncomingCall[]; ended: Promise<unknown>[] } {
  const calls: IncomingCall[] = [];
  const ended: Promise<unknown>[] = [];
  ua.onIncomingCall((call) => {
    calls.push(call);
    void (async () => {
      if (verifier !== undefined) {
        const verdict = await verifier.verify({
          method: call.request.method,
          uri: formatUri(call.request.uri),
          authorization: getHeaders(call.request, verifier.challengeStatus === 407 ? 'Proxy-Authorization' : 'Authorization'),
        });
        if (!verdict.ok) {
          call.reject(verdict.status, undefined, verdict.challenge);
          return;
        }
      }
      call.progress(180);
      if (mode === 'ring') return;
      const established = call.accept(canned);
      ended.push(established.then((sip) => sip.ended));
    })();
  });
  return { calls, ended };
}

describe('Dialtone UAC against SIPp UAS', { timeout: 120_000 }, () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    it(`plain call over ${protocol}: uas-answer-200`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa(protocol);
      const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: sippTransport[protocol], calls: 2, timeoutMs: SIPP_TIMEOUT });
      try {
        await callAndHangUp(ua, sippUri(sipp.address, protocol), 2);
        assertSippPassed(await sipp.done, 2, 'SIPp UAS');
      } finally {
        await sipp.stop();
        await ua.close();
      }
    });

    it(`401 challenge over ${protocol}: uas-401-challenge verifies our digest`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa(protocol);
      const sipp = await startSipp({
        scenario: scenario('uas-401-challenge'), transport: sippTransport[protocol], calls: 1, timeoutMs: SIPP_TIMEOUT,
        authUser: 'alice', authPassword: 'secret',
      });
      try {
        await callAndHangUp(ua, sippUri(sipp.address, protocol), 1, { credentials: { username: 'alice', password: 'secret' } });
        assertSippPassed(await sipp.done, 1, 'SIPp UAS');
      } finally {
        await sipp.stop();
        await ua.close();
      }
    });
  }

  it('401 with the wrong password: SIPp refuses with 403, the call fails with it', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('udp');
    const sipp = await startSipp({
      scenario: scenario('uas-401-challenge'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT, authUser: 'alice', authPassword: 'secret',
    });
    try {
      const outcome = await ua.invite({ target: sippUri(sipp.address, 'udp'), from, body: offer, credentials: { username: 'alice', password: 'wrong' } }).outcome;
      assert.equal(outcome.kind, 'failed');
      if (outcome.kind === 'failed') {
        assert.equal(outcome.failure.cause, 'rejected');
        assert.equal(outcome.failure.status, 403);
      }
      // SIPp answered 403, got our ACK, and counts the call failed: its verdict agrees with ours.
      const result = await sipp.done;
      assert.match(result.messagesLog, /SIP\/2.0 403 Forbidden/, formatSippFailure(result));
      assert.match(result.messagesLog, /CSeq: 2 ACK/);
      assert.equal(result.exitCode, 1, formatSippFailure(result));
      assert.equal(result.stats?.failed, 1, formatSippFailure(result));
    } finally {
      await sipp.stop();
      await ua.close();
    }
  });

  it('407 challenge over udp: uas-407-challenge, Proxy-Authorization verified from the trace', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('udp');
    const sipp = await startSipp({ scenario: scenario('uas-407-challenge'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      await callAndHangUp(ua, sippUri(sipp.address, 'udp'), 1, { credentials: { username: 'alice', password: 'secret' } });
      const result = await sipp.done;
      assertSippPassed(result, 1, 'SIPp UAS');
      const check = verifyDigestInLog(result.messagesLog, { username: 'alice', password: 'secret', proxy: true });
      assert.ok(check.ok, check.reason);
    } finally {
      await sipp.stop();
      await ua.close();
    }
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    it(`CANCEL during ringing over ${protocol}: uas-ring-then-487-on-cancel`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa(protocol);
      const sipp = await startSipp({ scenario: scenario('uas-ring-then-487-on-cancel'), transport: sippTransport[protocol], calls: 1, timeoutMs: SIPP_TIMEOUT });
      try {
        const outgoing = ua.invite({ target: sippUri(sipp.address, protocol), from, body: offer });
        outgoing.on('progress', (progress) => {
          if (progress.status === 180) outgoing.cancel();
        });
        const outcome = await outgoing.outcome;
        assert.equal(outcome.kind, 'failed');
        if (outcome.kind === 'failed') {
          assert.equal(outcome.failure.cause, 'cancelled');
          assert.equal(outcome.failure.status, 487);
        }
        assertSippPassed(await sipp.done, 1, 'SIPp UAS');
      } finally {
        await sipp.stop();
        await ua.close();
      }
    });
  }

  it('busy over udp: uas-busy-486, the failure carries the 486', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('udp');
    const sipp = await startSipp({ scenario: scenario('uas-busy-486'), transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    try {
      const outcome = await ua.invite({ target: sippUri(sipp.address, 'udp'), from, body: offer }).outcome;
      assert.equal(outcome.kind, 'failed');
      if (outcome.kind === 'failed') {
        assert.equal(outcome.failure.cause, 'rejected');
        assert.equal(outcome.failure.status, 486);
        assert.equal(outcome.failure.response?.status, 486);
      }
      assertSippPassed(await sipp.done, 1, 'SIPp UAS');
    } finally {
      await sipp.stop();
      await ua.close();
    }
  });

  it('lossy UDP: 10 calls against uas-answer-200-lossy (10% of INVITE, ACK, BYE and 200 lost)', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('udp');
    const sipp = await startSipp({ scenario: scenario('uas-answer-200-lossy'), transport: 'u1', calls: 10, timeoutMs: 60_000 });
    try {
      await callAndHangUp(ua, sippUri(sipp.address, 'udp'), 10);
      assertSippPassed(await sipp.done, 10, 'SIPp UAS');
    } finally {
      await sipp.stop();
      await ua.close();
    }
  });

  it('TLS: our TLS client through a tls-to-tcp bridge (as outbound proxy) to uas-answer-200', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-ua-tls-'));
    const ua = await startUa('tls');
    const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 't1', calls: 1, timeoutMs: SIPP_TIMEOUT });
    const { cert, key } = makeTestCertificate(dir);
    const bridge = await startTlsBridge({ direction: 'tls-to-tcp', target: { host: '127.0.0.1', port: sipp.port }, cert, key });
    try {
      const proxy: SipUri = { scheme: 'sip', host: '127.0.0.1', port: bridge.port, params: new Map([['transport', 'tls']]), headers: [] };
      await callAndHangUp(ua, sippUri(sipp.address, 'tls'), 1, { proxy });
      assertSippPassed(await sipp.done, 1, 'SIPp UAS');
      assert.ok(bridge.sessions.length >= 1, 'the call went over TLS');
    } finally {
      await sipp.stop();
      await ua.close();
      await bridge.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SIPp UAC against Dialtone UAS', { timeout: 120_000 }, () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    it(`plain call over ${protocol}: uac-invite-200-bye`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa(protocol);
      const app = answerCalls(ua, 'answer');
      try {
        const local = ua.endpoint.listening()[0]!;
        const result = await runSipp({
          scenario: scenario('uac-invite-200-bye'), remote: `127.0.0.1:${local.port}`, transport: sippTransport[protocol], calls: 3, rate: 10, timeoutMs: SIPP_TIMEOUT,
        });
        assertSippPassed(result, 3, 'SIPp UAC');
        assert.equal(app.calls.length, 3);
        const ends = (await Promise.all(app.ended)) as Array<{ by: string }>;
        assert.deepEqual(ends.map((end) => end.by), ['remote', 'remote', 'remote']);
      } finally {
        await ua.close();
      }
    });

    it(`CANCEL during ringing over ${protocol}: uac-cancel-during-ringing gets 200 and 487`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa(protocol);
      const app = answerCalls(ua, 'ring');
      const cancelled: string[] = [];
      ua.onIncomingCall((call) => {
        app.calls.push(call);
        call.on('cancelled', () => cancelled.push(call.request.callId));
        call.progress(180);
      });
      try {
        const local = ua.endpoint.listening()[0]!;
        const result = await runSipp({
          scenario: scenario('uac-cancel-during-ringing'), remote: `127.0.0.1:${local.port}`, transport: sippTransport[protocol], calls: 2, rate: 10, timeoutMs: SIPP_TIMEOUT,
        });
        assertSippPassed(result, 2, 'SIPp UAC');
        assert.equal(cancelled.length, 2);
        assert.ok(app.calls.every((call) => call.state === 'cancelled'));
      } finally {
        await ua.close();
      }
    });
  }

  for (const proxy of [false, true]) {
    const name = proxy ? 'uac-407-then-200' : 'uac-401-then-200';
    it(`${proxy ? 407 : 401} challenge: ${name} answers our DigestVerifier's challenge`, async (t: TestContext) => {
      if (!requireSipp(t)) return;
      const ua = await startUa('udp');
      const verifier = new DigestVerifier({
        realm: 'dialtone.test', secret: 'a-test-secret-of-enough-bytes', clock: systemClock, algorithms: ['MD5'], proxy,
        lookup: (username) => (username === 'alice' ? 'secret' : undefined),
        // SIPp's [authentication] writes uri="sip:host:port" (no user part) whatever the Request-URI:
        // accept a digest-uri naming the same host and port.
        uriMatches: (digestUri, requestUri) => {
          const given = parseUri(digestUri);
          const asked = parseUri(requestUri);
          return given !== undefined && asked !== undefined && given.host === asked.host && given.port === asked.port;
        },
      });
      const app = answerCalls(ua, 'answer', verifier);
      try {
        const local = ua.endpoint.listening()[0]!;
        const result = await runSipp({
          scenario: scenario(name), remote: `127.0.0.1:${local.port}`, transport: 'u1', calls: 1, timeoutMs: SIPP_TIMEOUT,
          authUser: 'alice', authPassword: 'secret',
        });
        assertSippPassed(result, 1, 'SIPp UAC');
        assert.equal(app.calls.length, 2); // the challenged INVITE and the authorised one
        assert.equal(app.calls[0]!.state, 'rejected');
        assert.equal(app.calls[1]!.state, 'answered');
      } finally {
        await ua.close();
      }
    });
  }

  it('lossy UDP: 10 calls of uac-invite-200-bye-lossy', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('udp');
    answerCalls(ua, 'answer');
    try {
      const local = ua.endpoint.listening()[0]!;
      const result = await runSipp({
        scenario: scenario('uac-invite-200-bye-lossy'), remote: `127.0.0.1:${local.port}`, transport: 'u1', calls: 10, rate: 10, timeoutMs: 60_000,
      });
      assertSippPassed(result, 10, 'SIPp UAC');
    } finally {
      await ua.close();
    }
  });

  it('TLS: SIPp over TCP into a tcp-to-tls bridge to our TLS listener, uac-invite-200-bye', async (t: TestContext) => {
    if (!requireSipp(t)) return;
    const ua = await startUa('tls');
    answerCalls(ua, 'answer');
    const local = ua.endpoint.listening()[0]!;
    const bridge = await startTlsBridge({ direction: 'tcp-to-tls', target: { host: '127.0.0.1', port: local.port } });
    try {
      const result = await runSipp({
        scenario: scenario('uac-invite-200-bye'), remote: bridge.address, transport: 't1', calls: 2, rate: 10, timeoutMs: SIPP_TIMEOUT,
      });
      assertSippPassed(result, 2, 'SIPp UAC');
      assert.ok(bridge.sessions.length >= 1);
    } finally {
      await ua.close();
      await bridge.close();
    }
  });
});
