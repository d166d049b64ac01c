// The harness's own proof: every committed SIPp scenario run against its SIPp counterpart on
// loopback, over UDP, TCP and IPv6, with lossy UDP, digest challenges, CANCEL and media. Later the
// same scenarios are pointed at `dialtone start` (docs/interop.md); here both ends are SIPp (or,
// for media, a small Node peer), so a failure here is a broken scenario or harness, not Dialtone.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createTlsServer, connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SCENARIO_DIR,
  SippCapabilityError,
  assertPairPassed,
  assertSippPassed,
  buildSippArgs,
  findFreeMediaPort,
  findFreePort,
  formatSippFailure,
  makeTestCertificate,
  parseStatCsv,
  parseStatScreen,
  requireSipp,
  runSipp,
  runSippPair,
  scenario,
  sippInfo,
  startSipp,
  startTlsBridge,
  verifyDigestInLog,
  type SippTransport,
} from '../support/sipp.js';

const TIMEOUT_MS = 15_000;
const USER = 'alice';
const PASSWORD = 's3cret-Pa55';

/** Runs uac-X against uas-Y (`calls` calls each, loopback, credentials when `auth`); the caller asserts. */
async function pair(
  t: TestContext,
  uas: string,
  uac: string,
  options: { transport?: SippTransport; calls?: number; localHost?: string; auth?: boolean; uacPassword?: string } = {},
) {
  const calls = options.calls ?? 2;
  const common = {
    transport: options.transport ?? ('u1' as const),
    calls,
    timeoutMs: TIMEOUT_MS,
    localHost: options.localHost ?? '127.0.0.1',
    callDurationMs: 100,
  };
  const credentials = options.auth ? { authUser: USER, authPassword: PASSWORD } : {};
  const result = await runSippPair(
    common,
    { scenario: scenario(uas), ...credentials },
    { scenario: scenario(uac), ...credentials, ...(options.uacPassword ? { authPassword: options.uacPassword } : {}) },
  );
  t.diagnostic(`${uac} → ${uas} over ${common.transport}: UAC ${result.uac.durationMs} ms, UAS ${result.uas.durationMs} ms`);
  return result;
}

describe('SIPp harness', () => {
  test('finds SIPp and reads its build features from the version banner', (t) => {
    if (!requireSipp(t)) return;
    const info = sippInfo();
    assert.ok(info);
    assert.match(info.version, /^3\.\d+/);
    assert.ok(info.pcap, `this SIPp has no pcap play: ${info.features.join('-')}`);
    t.diagnostic(`SIPp ${info.version} features: ${info.features.join(', ')} (TLS: ${info.tls})`);
  });

  test('every committed scenario is named uac-… or uas-… and is exercised by this file', () => {
    const names = readdirSync(SCENARIO_DIR).filter((name) => name.endsWith('.xml'));
    assert.ok(names.length >= 16);
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    for (const name of names) {
      assert.match(name, /^ua[cs]-[a-z0-9-]+\.xml$/);
      assert.ok(self.includes(`'${name.replace(/\.xml$/, '')}'`), `${name} is not run by sipp-scenarios.test.ts`);
    }
  });

  test('builds a command line with a call count, a global timeout that fails, and loopback-only sockets', () => {
    const args = buildSippArgs(
      {
        scenario: '/x/uac-a.xml',
        remote: '127.0.0.1:5070',
        transport: 'l1',
        calls: 3,
        rate: 5,
        timeoutMs: 2_500,
        authUser: 'u',
        authPassword: 'p',
        tlsCert: '/c.pem',
        tlsKey: '/k.pem',
        rtpEcho: true,
      },
      { role: 'uac', localHost: '::1', localPort: 5071, mediaPort: 6000, controlPort: 7000, workDir: '/w' },
    );
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    assert.equal(after('-sf'), '/x/uac-a.xml');
    assert.equal(args[2], '127.0.0.1:5070');
    assert.equal(after('-t'), 'l1');
    assert.equal(after('-m'), '3');
    assert.equal(after('-r'), '5');
    assert.equal(after('-timeout'), '3s');
    assert.ok(args.includes('-timeout_error'));
    assert.equal(after('-i'), '::1');
    assert.equal(after('-mi'), '::1');
    assert.equal(after('-ci'), '127.0.0.1');
    assert.equal(after('-cp'), '7000');
    assert.equal(after('-au'), 'u');
    assert.equal(after('-ap'), 'p');
    assert.equal(after('-tls_cert'), '/c.pem');
    assert.equal(after('-tls_key'), '/k.pem');
    assert.ok(args.includes('-rtp_echo'));
    assert.deepEqual(args.slice(args.indexOf('auth_user') - 1, args.indexOf('auth_user') + 2), ['-key', 'auth_user', 'u']);
    assert.equal(after('-stf'), '/w/stats.csv');
    assert.equal(after('-message_file'), '/w/messages.log');
    assert.throws(() =>
      buildSippArgs(
        { scenario: '/x/uac-a.xml', transport: 'u1', calls: 1, timeoutMs: 1_000 },
        { role: 'uac', localHost: '127.0.0.1', localPort: 1, mediaPort: 2, controlPort: 3, workDir: '/w' },
      ),
    );
  });

  test('parses the last row of a -trace_stat CSV and the final statistics screen', () => {
    const csv = [
      'StartTime;IncomingCall(C);OutgoingCall(C);SuccessfulCall(C);FailedCall(C);Retransmissions(C);FailedTimeoutOnRecv(C);',
      '2026-11-23\t11:23:37.678785\t1795433017.678785;0;0;0;0;0;0;',
      '2026-11-23\t11:23:37.678785\t1795433017.678785;0;7;6;1;4;1;',
      '',
    ].join('\n');
    const stats = parseStatCsv(csv);
    assert.ok(stats);
    assert.equal(stats.successful, 6);
    assert.equal(stats.failed, 1);
    assert.equal(stats.retransmissions, 4);
    assert.equal(stats.outgoingCalls, 7);
    assert.equal(stats.raw['FailedTimeoutOnRecv(C)'], '1');
    assert.equal(parseStatCsv('StartTime;\n'), undefined);
    const screen = [
      '  Successful call        |        0                  |        5                 ',
      '  Failed call            |        0                  |        2                 ',
      '  Retransmissions        |        0                  |        3                 ',
    ].join('\n');
    const fromScreen = parseStatScreen(screen);
    assert.equal(fromScreen?.successful, 5);
    assert.equal(fromScreen?.failed, 2);
    assert.equal(fromScreen?.retransmissions, 3);
  });

  test('finds free ports at run time on 127.0.0.1 and ::1 (media ports even, with +2 free)', async () => {
    const v4 = await findFreePort('127.0.0.1');
    const v6 = await findFreePort('::1');
    const media = await findFreeMediaPort('127.0.0.1');
    assert.ok(v4 > 1024 && v6 > 1024);
    assert.equal(media % 2, 0);
  });

  test('verifies a digest from a message log, and rejects a wrong password or a stale nonce', () => {
    // RFC 2617 §3.5's example, moved into SIP.
    const log = [
      'SIP/2.0 401 Unauthorized',
      'WWW-Authenticate: Digest realm="testrealm@host.com", qop="auth", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      '',
      'GET sip:dir/index.html SIP/2.0',
      'Authorization: Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ].join('\n');
    assert.equal(verifyDigestInLog(log, { username: 'Mufasa', password: 'Circle Of Life', proxy: false }).ok, true);
    assert.equal(verifyDigestInLog(log, { username: 'Mufasa', password: 'circle of life', proxy: false }).ok, false);
    const stale = log.replace('nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque', 'nonce="0000", opaque');
    assert.match(verifyDigestInLog(stale, { username: 'Mufasa', password: 'Circle Of Life', proxy: false }).reason, /nonce/);
    assert.equal(verifyDigestInLog(log, { username: 'Mufasa', password: 'Circle Of Life', proxy: true }).ok, false);
  });

  test('a scenario that is not met fails the run: the verdict is not vacuous', async (t) => {
    if (!requireSipp(t)) return;
    // The UAC expects a 200 and gets 486: SIPp must exit non-zero with the call counted failed.
    const result = await pair(t, 'uas-busy-486', 'uac-invite-200-bye', { calls: 1 });
    assert.notEqual(result.uac.exitCode, 0, formatSippFailure(result.uac));
    assert.equal(result.uac.stats?.failed, 1);
    assert.equal(result.uac.stats?.successful, 0);
    assert.throws(() => assertSippPassed(result.uac, 1), /did not pass 1 call/);
    assert.match(result.uac.messagesLog, /SIP\/2\.0 486 Busy Here/);
  });

  test('startSipp waits until the UAS listens (UDP and TCP); stop() ends it, and no call is no pass', async (t) => {
    if (!requireSipp(t)) return;
    for (const transport of ['u1', 't1'] as const) {
      const uas = await startSipp({ scenario: scenario('uas-answer-200'), transport, calls: 1, timeoutMs: TIMEOUT_MS });
      const started = Date.now();
      const result = await uas.stop();
      assert.ok(Date.now() - started < 2_500, 'SIGUSR1 stops SIPp without waiting for the kill');
      assert.equal(result.killed, false);
      assert.equal(result.stats?.successful, 0);
      assert.throws(() => assertSippPassed(result, 1), /did not pass/);
      assert.match(result.command.join(' '), new RegExp(`-t ${transport} `));
    }
  });

  test("SIPp's embedded uac and uas scenarios run through the same harness (builtin:)", async (t) => {
    if (!requireSipp(t)) return;
    const result = await runSippPair(
      { transport: 'u1', calls: 2, timeoutMs: TIMEOUT_MS, callDurationMs: 50 },
      { scenario: 'builtin:uas' },
      { scenario: 'builtin:uac' },
    );
    assertPairPassed(result, 2);
    assert.ok(result.uac.command.includes('-sn'));
  });

  test('runSipp fails a UAC with nobody listening within its timeout, and reports it', async (t) => {
    if (!requireSipp(t)) return;
    const port = await findFreePort();
    const result = await runSipp({
      scenario: scenario('uac-invite-200-bye'),
      remote: `127.0.0.1:${port}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 2_000,
    });
    assert.notEqual(result.exitCode, 0);
    assert.equal(result.killed, false, 'SIPp ended on its own -timeout, before the kill timeout');
    assert.match(result.messagesLog, /INVITE sip:service@127\.0\.0\.1/);
  });
});

describe('SIPp scenarios against SIPp', { concurrency: 4 }, () => {
  test('uac-invite-200-bye vs uas-answer-200 over UDP', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-answer-200', 'uac-invite-200-bye', { calls: 3 });
    assertPairPassed(result, 3);
    // The ACK and BYE went to the 200's Contact, with the UAS's tag.
    assert.match(result.uac.messagesLog, /ACK sip:sipp@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/);
    assert.match(result.uac.messagesLog, /BYE sip:sipp@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/);
  });

  test('uac-invite-200-bye vs uas-answer-200 over TCP (t1)', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-answer-200', 'uac-invite-200-bye', { transport: 't1', calls: 3 });
    assertPairPassed(result, 3);
    assert.match(result.uac.messagesLog, /^TCP message sent/m);
  });

  test('uac-invite-200-bye vs uas-answer-200 over UDP on ::1', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-answer-200', 'uac-invite-200-bye', { localHost: '::1', calls: 2 });
    assertPairPassed(result, 2);
    assert.match(result.uac.messagesLog, /^Via: SIP\/2\.0\/UDP \[::1\]:\d+/m);
    assert.match(result.uac.messagesLog, /^c=IN IP6 ::1$/m);
  });

  test('uac-401-then-200 vs uas-401-challenge: SIPp verifies the digest (<verifyauth>)', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-401-challenge', 'uac-401-then-200', { auth: true, calls: 2 });
    assertPairPassed(result, 2);
    const check = verifyDigestInLog(result.uas.messagesLog, { username: USER, password: PASSWORD, proxy: false });
    assert.equal(check.ok, true, check.reason);
    assert.equal(check.params?.['qop'], 'auth');
  });

  test('uac-401-then-200 with a wrong password: uas-401-challenge answers 403 and fails the call', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-401-challenge', 'uac-401-then-200', { auth: true, calls: 1, uacPassword: 'wrong' });
    assert.equal(result.uas.exitCode, 1, formatSippFailure(result.uas, 'UAS'));
    assert.equal(result.uas.stats?.failed, 1);
    assert.match(result.uas.messagesLog, /SIP\/2\.0 403 Forbidden/);
    assert.notEqual(result.uac.exitCode, 0);
  });

  test('uac-407-then-200 vs uas-407-challenge over TCP (tn); the test verifies Proxy-Authorization', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-407-challenge', 'uac-407-then-200', { auth: true, transport: 'tn', calls: 2 });
    assertPairPassed(result, 2);
    const check = verifyDigestInLog(result.uas.messagesLog, { username: USER, password: PASSWORD, proxy: true });
    assert.equal(check.ok, true, check.reason);
    const wrong = verifyDigestInLog(result.uas.messagesLog, { username: USER, password: 'wrong', proxy: true });
    assert.equal(wrong.ok, false);
  });

  test('uac-cancel-during-ringing vs uas-ring-then-487-on-cancel over UDP and TCP', async (t) => {
    if (!requireSipp(t)) return;
    for (const transport of ['u1', 't1'] as const) {
      const result = await pair(t, 'uas-ring-then-487-on-cancel', 'uac-cancel-during-ringing', { transport, calls: 2 });
      assertPairPassed(result, 2);
      assert.match(result.uac.messagesLog, /SIP\/2\.0 487 Request Terminated/);
      assert.match(result.uac.messagesLog, /^CANCEL sip:/m);
    }
  });

  test('uac-cancel-during-ringing vs uas-ring-then-487-before-200-on-cancel (the other order)', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-ring-then-487-before-200-on-cancel', 'uac-cancel-during-ringing', { calls: 2 });
    assertPairPassed(result, 2);
    const log = result.uac.messagesLog;
    assert.ok(log.indexOf('SIP/2.0 487 Request Terminated') < log.lastIndexOf('SIP/2.0 200 OK'), 'the 487 arrived first');
  });

  test('uac-cancel-during-ringing vs uas-no-answer (early media, never answers)', async (t) => {
    if (!requireSipp(t)) return;
    const result = await pair(t, 'uas-no-answer', 'uac-cancel-during-ringing', { calls: 2 });
    assertPairPassed(result, 2);
    assert.match(result.uac.messagesLog, /SIP\/2\.0 183 Session Progress/);
  });

  test('uac-invite-486-busy vs uas-busy-486, and uac-invite-603-decline vs uas-decline-603', async (t) => {
    if (!requireSipp(t)) return;
    const busy = await pair(t, 'uas-busy-486', 'uac-invite-486-busy', { calls: 2 });
    assertPairPassed(busy, 2);
    const decline = await pair(t, 'uas-decline-603', 'uac-invite-603-decline', { transport: 't1', calls: 2 });
    assertPairPassed(decline, 2);
  });

  test('uac-invite-200-bye-lossy vs uas-answer-200-lossy: calls complete through retransmissions', async (t) => {
    if (!requireSipp(t)) return;
    // ~6 lossy points per call at 10%: P(no retransmission in 20 calls) ≈ 0.53^20 ≈ 3·10⁻⁶.
    const calls = 20;
    const result = await runSippPair(
      { transport: 'u1', calls, rate: 20, timeoutMs: 30_000, callDurationMs: 200 },
      { scenario: scenario('uas-answer-200-lossy') },
      { scenario: scenario('uac-invite-200-bye-lossy') },
    );
    // SIPp's UAS does not absorb an INVITE retransmission that crosses its 2xx: when the caller lost
    // the 100, the 180 and the first 2xx (about 1 call in 500 here) and retransmits, SIPp aborts that
    // call "while expecting 'ACK' (index 4), received 'INVITE'" (seen in CI once; reproduced by making
    // the caller lose every provisional: 1–2 such calls in 20). Dialtone's UAS absorbs them (RFC 6026
    // Accepted state), and these scenarios are run against it; this pair only checks the scenarios,
    // so such calls, and only they, may fail.
    const crossedInvite = /Aborting call on unexpected message for Call-Id '([^']+)': while expecting 'ACK' \(index 4\), received 'INVITE/g;
    const crossed = new Set([...result.uas.errorsLog.matchAll(crossedInvite)].map((match) => match[1]));
    if (crossed.size === 0) assertPairPassed(result, calls);
    else {
      const context = `${formatSippFailure(result.uas, 'UAS')}\n\n${formatSippFailure(result.uac, 'UAC')}`;
      assert.ok(crossed.size <= 3, `${crossed.size} calls crossed: more than a 1-in-500 event explains\n${context}`);
      assert.equal(result.uas.stats?.failed, crossed.size, `the UAS failed only the calls whose INVITE crossed its 2xx\n${context}`);
      assert.equal(result.uas.stats?.successful, calls - crossed.size, context);
      // The caller's side of such a call never ends (SIPp's BYE finds it still waiting for a 200): it
      // is left to the run's timeout, so every other call must have succeeded.
      assert.equal(result.uac.stats?.failed, 0, `the UAC failed no call\n${context}`);
      assert.ok((result.uac.stats?.successful ?? 0) >= calls - crossed.size, `the UAC completed every other call\n${context}`);
    }
    const retransmissions = (result.uac.stats?.retransmissions ?? 0) + (result.uas.stats?.retransmissions ?? 0);
    t.diagnostic(`retransmissions: UAC ${result.uac.stats?.retransmissions}, UAS ${result.uas.stats?.retransmissions}; INVITEs that crossed the 2xx: ${crossed.size}`);
    assert.ok(retransmissions > 0, 'with 10% loss on both sides some message must have been retransmitted');
  });

  test('uas-echo-rtp (-rtp_echo) answers with its echo port and echoes RTP; uac-invite-200-bye completes', async (t) => {
    if (!requireSipp(t)) return;
    const uas = await startSipp({
      scenario: scenario('uas-echo-rtp'),
      transport: 'u1',
      calls: 1,
      timeoutMs: TIMEOUT_MS,
      rtpEcho: true,
    });
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const rtp = Buffer.from('80000001000000a0deadbeef' + 'd5'.repeat(160), 'hex');
      const echoed = new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no RTP echoed within 2 s')), 2_000);
        socket.once('message', (message: Buffer) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
      socket.send(rtp, uas.mediaPort, '127.0.0.1');
      assert.deepEqual(await echoed, rtp);
      const uac = await runSipp({ scenario: scenario('uac-invite-200-bye'), remote: uas.address, transport: 'u1', calls: 1, timeoutMs: TIMEOUT_MS });
      assertSippPassed(uac, 1, 'UAC');
      const uasResult = await uas.done;
      assertSippPassed(uasResult, 1, 'UAS');
      assert.match(uac.messagesLog, new RegExp(`^m=audio ${uas.mediaPort} RTP/AVP 0 8 101$`, 'm'));
    } finally {
      socket.close();
      await uas.stop();
    }
  });

  test('uac-play-pcap sends G.711 A-law (PT 8) then RFC 2833 DTMF (PT 101) to the answer SDP', async (t) => {
    if (!requireSipp(t)) return;
    const peer = await startNodeUas();
    try {
      const uac = await runSipp({
        scenario: scenario('uac-play-pcap'),
        remote: `127.0.0.1:${peer.sipPort}`,
        transport: 'u1',
        calls: 1,
        timeoutMs: TIMEOUT_MS,
        callDurationMs: 1_000,
      });
      assertSippPassed(uac, 1, 'UAC');
      assert.ok(peer.byes >= 1, 'the Node UAS got the BYE');
      const pcma = peer.rtp.filter((p) => p.payloadType === 8);
      const dtmf = peer.rtp.filter((p) => p.payloadType === 101);
      t.diagnostic(`RTP received: ${pcma.length} PCMA, ${dtmf.length} telephone-event`);
      assert.ok(pcma.length >= 20, `expected ≥ 20 PCMA packets (30 ms each) in 1 s, got ${pcma.length}`);
      assert.ok(dtmf.length >= 3, `expected the digit's telephone-event packets, got ${dtmf.length}`);
      assert.equal(dtmf[0]?.payload[0], 1, 'the event is the digit 1');
      assert.equal(pcma[0]?.payload.length, 240, '30 ms of A-law per packet');
      assert.equal(peer.rtp[0]?.payloadType, 8, 'the speech comes first');
      const firstEvent = peer.rtp.findIndex((p) => p.payloadType === 101);
      assert.ok(peer.rtp.slice(firstEvent).every((p) => p.payloadType === 101), 'then only the digit');
    } finally {
      peer.close();
    }
  });

  test('TLS (l1): runs a call when this SIPp has TLS; Debian 3.6.1 has none, and the harness refuses l1 up front', async (t) => {
    if (!requireSipp(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-tls-'));
    try {
      const { cert, key } = makeTestCertificate(dir);
      await assertCertificateWorks(cert, key);
      const info = sippInfo();
      assert.ok(info);
      if (info.tls) {
        const result = await runSippPair(
          { transport: 'l1', calls: 2, timeoutMs: TIMEOUT_MS, tlsCert: cert, tlsKey: key, callDurationMs: 100 },
          { scenario: scenario('uas-answer-200') },
          { scenario: scenario('uac-invite-200-bye') },
        );
        assertPairPassed(result, 2);
        return;
      }
      t.diagnostic(`SIPp ${info.version} (${info.features.join('-')}) has no TLS: checking the up-front refusal`);
      await assert.rejects(
        runSipp({ scenario: scenario('uac-invite-200-bye'), remote: '127.0.0.1:5061', transport: 'l1', calls: 1, timeoutMs: 2_000, tlsCert: cert, tlsKey: key }),
        (error: unknown) => error instanceof SippCapabilityError && /without OpenSSL/.test(error.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TLS through bridges: SIPp t1 → TCP-to-TLS → TLS-to-TCP → SIPp t1 (uac-invite-200-bye, uac-cancel-during-ringing)', async (t) => {
    if (!requireSipp(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-tls-'));
    const { cert, key } = makeTestCertificate(dir);
    try {
      for (const [uasName, uacName] of [
        ['uas-answer-200', 'uac-invite-200-bye'],
        ['uas-ring-then-487-on-cancel', 'uac-cancel-during-ringing'],
      ] as const) {
        const uas = await startSipp({ scenario: scenario(uasName), transport: 't1', calls: 2, timeoutMs: TIMEOUT_MS });
        const terminator = await startTlsBridge({ direction: 'tls-to-tcp', target: { host: '127.0.0.1', port: uas.port }, cert, key });
        const originator = await startTlsBridge({ direction: 'tcp-to-tls', target: { host: '127.0.0.1', port: terminator.port }, ca: cert });
        try {
          const uac = await runSipp({ scenario: scenario(uacName), remote: originator.address, transport: 't1', calls: 2, timeoutMs: TIMEOUT_MS, callDurationMs: 100 });
          assertSippPassed(uac, 2, `UAC ${uacName}`);
          assertSippPassed(await uas.done, 2, `UAS ${uasName}`);
          assert.ok(originator.sessions.length >= 1, 'the calls went over a TLS session');
          assert.match(originator.sessions[0] ?? '', /^TLSv1\.[23]$/);
        } finally {
          await uas.stop();
          await originator.close();
          await terminator.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers for the media tests

async function assertCertificateWorks(cert: string, key: string): Promise<void> {
  const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => socket.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connectTls({ host: '127.0.0.1', port, ca: readFileSync(cert), servername: 'localhost' }, () => undefined);
      let data = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.equal(reply, 'ok');
  } finally {
    server.close();
  }
}

interface RtpPacket {
  payloadType: number;
  payload: Buffer;
}

/**
 * A minimal UDP UAS in Node: answers any INVITE with 200 and an SDP pointing at its own RTP sink,
 * answers BYE with 200, ignores ACK, and records the RTP it receives. Enough to see what
 * uac-play-pcap sends; not a SIP stack.
 */
async function startNodeUas(): Promise<{ sipPort: number; rtp: RtpPacket[]; byes: number; close(): void }> {
  const sip = createSocket('udp4');
  const media = createSocket('udp4');
  await new Promise<void>((resolve) => sip.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => media.bind(0, '127.0.0.1', resolve));
  const state = { sipPort: sip.address().port, rtp: [] as RtpPacket[], byes: 0, close: () => undefined as void };
  media.on('message', (message: Buffer) => {
    if (message.length >= 12 && message[0] !== undefined && message[0] >> 6 === 2) {
      state.rtp.push({ payloadType: (message[1] ?? 0) & 0x7f, payload: message.subarray(12) });
    }
  });
  sip.on('message', (message: Buffer, from: RemoteInfo) => reply(sip, media, state, message.toString('utf8'), from));
  state.close = () => {
    sip.close();
    media.close();
  };
  return state;
}

function reply(sip: Socket, media: Socket, state: { byes: number }, text: string, from: RemoteInfo): void {
  const method = /^([A-Z]+) /.exec(text)?.[1];
  if (!method || method === 'ACK') return;
  const headers = (name: string): string[] =>
    [...text.matchAll(new RegExp(`^${name}:.*$`, 'gim'))].map((m) => m[0]);
  const to = headers('To')[0] ?? '';
  const lines = [
    'SIP/2.0 200 OK',
    ...headers('Via'),
    headers('From')[0] ?? '',
    /;tag=/.test(to) ? to : `${to};tag=node-uas`,
    headers('Call-ID')[0] ?? '',
    headers('CSeq')[0] ?? '',
    `Contact: <sip:node@127.0.0.1:${sip.address().port}>`,
  ];
  let body = '';
  if (method === 'INVITE') {
    body = [
      'v=0',
      'o=node 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${media.address().port} RTP/AVP 8 101`,
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=recvonly',
      '',
    ].join('\r\n');
    lines.push('Content-Type: application/sdp');
  }
  if (method === 'BYE') state.byes++;
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  sip.send(lines.join('\r\n'), from.port, from.address);
}
