/**
 * (a) Our TLS client → Kamailio's TLS listener (OpenSSL). An OPTIONS to Kamailio itself is answered
 * 200 by Kamailio's script (sl_send_reply), over a TLS connection our transport opened with
 * verifyPeer on and our CA. Negative checks: a client that trusts another CA, or expects another
 * server name, fails the handshake (synthetic 503, transport error) and Kamailio sees no request;
 * with Kamailio requiring client certificates, our certificate from the CA is accepted and a
 * self-signed one is refused.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificate } from '../../support/sipp.js';
import { formatKamailioLog, requireKamailio, startKamailio, type RunningKamailio } from '../../support/kamailio.js';
import { fixture, optionsRequest, sendAndWait, startDialtone, testTls } from './helpers.js';
import type { SipEndpoint } from '../../../src/sip/ua/index.js';

const kamailioTls = { cert: fixture('server.pem'), key: fixture('server.key'), ca: fixture('ca.pem') };

async function withBoth(
  kamailioOptions: Parameters<typeof startKamailio>[0],
  tls: Parameters<typeof testTls>[0],
  run: (kamailio: RunningKamailio, endpoint: SipEndpoint) => Promise<void>,
  t1 = 200,
): Promise<void> {
  const kamailio = await startKamailio(kamailioOptions);
  let endpoint: SipEndpoint | undefined;
  try {
    endpoint = await startDialtone('tls', testTls(tls), t1, kamailio.host);
    await run(kamailio, endpoint);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${formatKamailioLog(kamailio)}`, { cause: error });
  } finally {
    await endpoint?.close();
    await kamailio.stop();
  }
}

describe('Dialtone TLS client → Kamailio TLS listener', { timeout: 60_000 }, () => {
  it('OPTIONS over TLS, server verified against our CA: Kamailio itself answers 200', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    await withBoth({ tls: kamailioTls }, {}, async (kamailio, endpoint) => {
      const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
        protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
      });
      assert.equal(exchange.synthetic, undefined, `synthetic answer: ${JSON.stringify(exchange.synthetic)}`);
      assert.equal(exchange.final.status, 200);
      assert.equal(exchange.final.reason, 'Kamailio OK', 'the answer is the script\'s sl_send_reply');
      assert.equal(exchange.final.via[0]?.transport, 'TLS');
      const seen = await kamailio.waitForEvent((event) => event.method === 'OPTIONS');
      assert.equal(seen.protocol, 'tls', 'Kamailio received the OPTIONS over TLS');
      assert.equal(endpoint.transport.stats().connectionsOpened, 1);
      // A second OPTIONS reuses the connection.
      const again = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
        protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
      });
      assert.equal(again.final.status, 200);
      assert.equal(endpoint.transport.stats().connectionsOpened, 1, 'one TLS connection for both requests');
    });
  });

  it('OPTIONS over TLS on IPv6 loopback ([::1]), certificate verified for the address ::1', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    await withBoth({ host: '::1', udp: false, tls: kamailioTls }, {}, async (kamailio, endpoint) => {
      assert.equal(kamailio.uri('tls'), `sip:[::1]:${kamailio.port('tls')};transport=tls`);
      const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
        protocol: 'tls', address: '::1', port: kamailio.port('tls'),
      });
      assert.equal(exchange.synthetic, undefined, `synthetic answer: ${JSON.stringify(exchange.synthetic)}`);
      assert.equal(exchange.final.status, 200);
      const seen = await kamailio.waitForEvent((event) => event.method === 'OPTIONS');
      assert.equal(seen.protocol, 'tls');
      assert.match(seen.source, /^::1:|^\[::1\]:/, `source ${seen.source}`);
    });
  });

  it('negative: a client trusting another CA fails the handshake, and Kamailio sees no request', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-kam-untrusted-'));
    try {
      const untrustedCa = makeTestCertificate(dir).cert;
      await withBoth({ tls: kamailioTls }, { ca: readFileSync(untrustedCa) }, async (kamailio, endpoint) => {
        const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
          protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
        });
        assert.equal(exchange.final.status, 503, 'RFC 3261 §8.1.3.1: a transport failure is a 503');
        assert.equal(exchange.synthetic?.kind, 'transport-error');
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(kamailio.events().filter((event) => event.kind === 'request'), []);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('negative: a client expecting another server name (SNI sip.example.test) refuses Kamailio\'s certificate', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    await withBoth({ tls: kamailioTls }, { servername: 'sip.example.test' }, async (kamailio, endpoint) => {
      const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
        protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
      }, );
      assert.equal(exchange.final.status, 503);
      assert.equal(exchange.synthetic?.kind, 'transport-error');
      assert.deepEqual(kamailio.events().filter((event) => event.kind === 'request'), []);
    });
  });

  it('mutual TLS: Kamailio requires and verifies our client certificate (CA-signed accepted, self-signed refused)', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    const mutual = { tls: { ...kamailioTls, verifyClient: true } };
    await withBoth(mutual, {}, async (kamailio, endpoint) => {
      const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
        protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
      });
      assert.equal(exchange.final.status, 200, `synthetic: ${JSON.stringify(exchange.synthetic)}`);
    });
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-kam-selfsigned-'));
    try {
      const selfSigned = makeTestCertificate(dir);
      // With TLS 1.3 the client finishes its handshake before the server checks its certificate, so
      // our send succeeds and the refusal arrives as an alert: the transaction ends on Timer F (64*T1;
      // T1 = 50 ms here) or a transport error, never with a response.
      await withBoth(mutual, { cert: readFileSync(selfSigned.cert), key: readFileSync(selfSigned.key) }, async (kamailio, endpoint) => {
        const exchange = await sendAndWait(endpoint, optionsRequest(kamailio.uri('tls')), {
          protocol: 'tls', address: '127.0.0.1', port: kamailio.port('tls'),
        });
        assert.notEqual(exchange.final.status, 200);
        assert.ok(exchange.synthetic !== undefined, `a refused client certificate gives no real answer, got ${exchange.final.status}`);
        assert.deepEqual(kamailio.events().filter((event) => event.kind === 'request'), []);
        assert.match(kamailio.log(), /certificate verify failed/, 'Kamailio refused our certificate');
      }, 50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
