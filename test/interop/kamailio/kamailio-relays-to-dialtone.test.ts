/**
 * (b, d) Kamailio as a TLS (and TCP) client of our listener. SIPp (UDP) sends OPTIONS and calls
 * (uac-invite-200-bye) to Kamailio, which relays them over TLS or TCP to our SipEndpoint
 * ($du = sip:127.0.0.1:PORT;transport=tls, t_relay, record-routing so ACK and BYE follow). Our small
 * application answers INVITE 200 with a canned SDP, takes the ACK and answers the BYE 200. SIPp's
 * exit code is the verdict; Kamailio's log and our transport's counters show the transport used and
 * that one connection carried everything. Negative: when our listener presents a certificate
 * Kamailio's CA did not sign, Kamailio refuses the handshake and SIPp's call fails.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSippPassed, formatSippFailure, makeTestCertificate, requireSipp, runSipp, scenario } from '../../support/sipp.js';
import { formatKamailioLog, requireKamailio, startKamailio, type RunningKamailio } from '../../support/kamailio.js';
import { answerCalls, fixture, listenerOf, startDialtone, testTls } from './helpers.js';
import type { SipEndpoint } from '../../../src/sip/ua/index.js';
import type { TlsOptions } from '../../../src/sip/transport/index.js';

const kamailioTls = { cert: fixture('server.pem'), key: fixture('server.key'), ca: fixture('ca.pem') };
const SIPP_TIMEOUT_MS = 15_000;
const OPTIONS_SCENARIO = join(import.meta.dirname, 'scenarios', 'uac-options-200.xml');

async function withRelay(
  protocol: 'tls' | 'tcp',
  ourTls: TlsOptions,
  run: (kamailio: RunningKamailio, endpoint: SipEndpoint) => Promise<void>,
): Promise<void> {
  const endpoint = await startDialtone(protocol, ourTls);
  let kamailio: RunningKamailio | undefined;
  try {
    const us = listenerOf(endpoint, protocol);
    kamailio = await startKamailio({
      ...(protocol === 'tls' ? { tls: kamailioTls } : {}),
      routes: { dialtone: `sip:${us.address}:${us.port};transport=${protocol}` },
    });
    await run(kamailio, endpoint);
  } catch (error) {
    throw new Error(`${(error as Error).message}${kamailio ? `\n${formatKamailioLog(kamailio)}` : ''}`, { cause: error });
  } finally {
    await kamailio?.stop();
    await endpoint.close();
  }
}

describe('SIPp (UDP) → Kamailio → Dialtone over TLS and TCP', { timeout: 120_000 }, () => {
  for (const protocol of ['tls', 'tcp'] as const) {
    it(`OPTIONS relayed over ${protocol}: our endpoint answers 200 through Kamailio`, async (t: TestContext) => {
      if (!requireKamailio(t, { tls: protocol === 'tls' }) || !requireSipp(t)) return;
      await withRelay(protocol, testTls(), async (kamailio, endpoint) => {
        const result = await runSipp({
          scenario: OPTIONS_SCENARIO,
          remote: kamailio.address('udp'),
          transport: 'u1',
          calls: 1,
          timeoutMs: SIPP_TIMEOUT_MS,
          extraArgs: ['-s', 'dialtone'],
        });
        assertSippPassed(result, 1, 'SIPp OPTIONS UAC');
        assert.equal(endpoint.stats().requests['OPTIONS'], 1);
        const reply = await kamailio.waitForEvent((event) => event.kind === 'reply' && event.method === 'OPTIONS');
        assert.equal(reply.status, 200);
        assert.equal(reply.protocol, protocol, `Kamailio got our 200 over ${protocol}`);
      });
    });

    it(`two calls (uac-invite-200-bye) relayed over ${protocol}: INVITE, ACK and BYE reach us on one connection`, async (t: TestContext) => {
      if (!requireKamailio(t, { tls: protocol === 'tls' }) || !requireSipp(t)) return;
      await withRelay(protocol, testTls(), async (kamailio, endpoint) => {
        const calls = answerCalls(endpoint);
        const result = await runSipp({
          scenario: scenario('uac-invite-200-bye'),
          remote: kamailio.address('udp'),
          transport: 'u1',
          calls: 2,
          rate: 10,
          limit: 1,
          timeoutMs: SIPP_TIMEOUT_MS,
          callDurationMs: 100,
          extraArgs: ['-s', 'dialtone'],
        });
        assertSippPassed(result, 2, 'SIPp UAC');
        await calls.completed(2);
        assert.equal(calls.invites.length, 2);
        for (const received of [...calls.invites, ...calls.acks, ...calls.byes]) {
          assert.equal(received.remote.protocol, protocol, `${received.message.kind} over ${received.remote.protocol}`);
        }
        // Record-Route made the ACK and BYE go through Kamailio (SIPp sent them to Kamailio, not to us).
        assert.ok((calls.invites[0]?.message.recordRoute?.length ?? 0) >= 1, 'the INVITE was record-routed');
        assert.match(result.messagesLog, /^Route: /m, 'SIPp sent ACK/BYE with a Route set');
        // Connection reuse: Kamailio opened one connection to us and sent everything over it.
        const stats = endpoint.transport.stats();
        assert.equal(stats.connectionsOpened, 1, `connections opened: ${stats.connectionsOpened}`);
        assert.equal(new Set([...calls.invites, ...calls.acks, ...calls.byes].map((r) => r.connectionId)).size, 1);
        const relayedBye = kamailio.events().filter((event) => event.kind === 'reply' && event.method === 'BYE');
        assert.deepEqual(relayedBye.map((event) => [event.status, event.protocol]), [[200, protocol], [200, protocol]]);
      });
    });
  }

  it('negative: our listener presents a certificate outside Kamailio\'s CA; Kamailio refuses it and the call fails', async (t: TestContext) => {
    if (!requireKamailio(t) || !requireSipp(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-kam-badserver-'));
    try {
      const selfSigned = makeTestCertificate(dir);
      await withRelay('tls', testTls({ cert: readFileSync(selfSigned.cert), key: readFileSync(selfSigned.key) }), async (kamailio, endpoint) => {
        const calls = answerCalls(endpoint);
        const result = await runSipp({
          scenario: scenario('uac-invite-200-bye'),
          remote: kamailio.address('udp'),
          transport: 'u1',
          calls: 1,
          timeoutMs: 10_000,
          extraArgs: ['-s', 'dialtone'],
        });
        assert.notEqual(result.exitCode, 0, `SIPp must fail\n${formatSippFailure(result)}`);
        assert.equal(result.stats?.successful ?? 0, 0);
        assert.equal(calls.invites.length, 0, 'no INVITE reached our application');
        assert.match(kamailio.log(), /certificate verify failed/, 'Kamailio verified our certificate and refused it');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
