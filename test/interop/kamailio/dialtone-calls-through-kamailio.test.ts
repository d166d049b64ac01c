/**
 * (c, d) The reverse direction: our side places calls over TLS (and TCP) to Kamailio, which relays
 * them over UDP to a SIPp UAS (uas-answer-200). We get the 200 with Kamailio's Record-Route, send the
 * ACK and the BYE along the route set (back through Kamailio over the same connection) and get 200
 * for the BYE. SIPp's exit code is the verdict for the far end; our exchanges and Kamailio's log are
 * asserted too. Negative: with a CA that did not sign Kamailio's certificate our INVITE fails with a
 * transport error and SIPp sees no call.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSippPassed, formatSippFailure, makeTestCertificate, requireSipp, scenario, startSipp, type RunningSipp } from '../../support/sipp.js';
import { formatKamailioLog, requireKamailio, startKamailio, type RunningKamailio } from '../../support/kamailio.js';
import { fixture, placeCall, startDialtone, testTls } from './helpers.js';
import type { SipEndpoint } from '../../../src/sip/ua/index.js';
import type { TlsOptions } from '../../../src/sip/transport/index.js';

const kamailioTls = { cert: fixture('server.pem'), key: fixture('server.key'), ca: fixture('ca.pem') };

async function withPath(
  protocol: 'tls' | 'tcp',
  calls: number,
  ourTls: TlsOptions,
  run: (kamailio: RunningKamailio, endpoint: SipEndpoint, sipp: RunningSipp) => Promise<void>,
): Promise<void> {
  const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls, timeoutMs: 20_000 });
  let kamailio: RunningKamailio | undefined;
  let endpoint: SipEndpoint | undefined;
  try {
    kamailio = await startKamailio({
      ...(protocol === 'tls' ? { tls: kamailioTls } : {}),
      routes: { sipp: `sip:${sipp.address}` },
    });
    endpoint = await startDialtone(protocol, ourTls);
    await run(kamailio, endpoint, sipp);
  } catch (error) {
    throw new Error(`${(error as Error).message}${kamailio ? `\n${formatKamailioLog(kamailio)}` : ''}`, { cause: error });
  } finally {
    await endpoint?.close();
    await kamailio?.stop();
    await sipp.stop();
  }
}

describe('Dialtone → Kamailio (TLS, TCP) → SIPp UAS (UDP)', { timeout: 120_000 }, () => {
  for (const protocol of ['tls', 'tcp'] as const) {
    it(`two calls over ${protocol}: 200, ACK and BYE → 200 through Kamailio on one connection`, async (t: TestContext) => {
      if (!requireKamailio(t, { tls: protocol === 'tls' }) || !requireSipp(t)) return;
      await withPath(protocol, 2, testTls(), async (kamailio, endpoint, sipp) => {
        for (let call = 0; call < 2; call++) {
          const placed = await placeCall(endpoint, {
            target: kamailio.uri(protocol, 'sipp'),
            proxy: { protocol, address: '127.0.0.1', port: kamailio.port(protocol) },
            holdMs: 100,
          });
          // Kamailio record-routed on both sides (its TLS/TCP side is first in our route set).
          assert.ok(placed.routeSet.length >= 1, 'the 200 carried Record-Route');
          assert.deepEqual(placed.nextHop, { protocol, address: '127.0.0.1', port: kamailio.port(protocol) });
          assert.equal(placed.bye.final.status, 200, `BYE answered ${placed.bye.final.status}${placed.bye.synthetic ? ` (synthetic ${JSON.stringify(placed.bye.synthetic)})` : ''}`);
          assert.equal(placed.bye.synthetic, undefined);
        }
        const result = await sipp.done;
        assertSippPassed(result, 2, 'SIPp UAS');
        // The ACK and BYE came to SIPp through Kamailio (its Via), not from us directly.
        assert.match(result.messagesLog, /^ACK [^\n]*\n(?:[^\n]+\n)*?Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/m);
        const inbound = kamailio.events().filter((event) => event.kind === 'request');
        assert.deepEqual(
          inbound.map((event) => `${event.method}/${event.protocol}`),
          ['INVITE', 'ACK', 'BYE', 'INVITE', 'ACK', 'BYE'].map((method) => `${method}/${protocol}`),
        );
        // Connection reuse: one connection to Kamailio carried both calls' requests and their responses.
        assert.equal(endpoint.transport.stats().connectionsOpened, 1, `connections opened: ${endpoint.transport.stats().connectionsOpened}`);
      });
    });
  }

  it('negative: a client trusting another CA cannot reach Kamailio; the INVITE fails with a transport error and SIPp sees no call', async (t: TestContext) => {
    if (!requireKamailio(t) || !requireSipp(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-kam-untrusted-'));
    try {
      const untrusted = makeTestCertificate(dir).cert;
      await withPath('tls', 1, testTls({ ca: readFileSync(untrusted) }), async (kamailio, endpoint, sipp) => {
        await assert.rejects(
          placeCall(endpoint, {
            target: kamailio.uri('tls', 'sipp'),
            proxy: { protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls') },
          }),
          /INVITE answered 503/,
        );
        assert.deepEqual(kamailio.events(), []);
        const result = await sipp.stop();
        assert.equal(result.stats?.incomingCalls ?? 0, 0, formatSippFailure(result));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
