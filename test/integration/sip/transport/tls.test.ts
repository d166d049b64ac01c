import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createTransport, type TransportOptions } from '../../../../src/sip/transport/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { Inbox, loopbacks, outgoingRequest, tlsFixture } from './helpers.js';
import { until } from '../../../support/eventually.js';

const serverTls = { cert: tlsFixture.cert, key: tlsFixture.key };

describe('TLS transport', { timeout: 30_000 }, () => {
  for (const loopback of loopbacks) {
    it(`carries a request and its response without verification over ${loopback}`, async () => {
      const aInbox = new Inbox();
      const bInbox = new Inbox();
      // A is a client only: no listener, so its Via names the connection's own port.
      const a = await createTransport({ listen: [], tls: { ...serverTls, verifyPeer: false } }, aInbox);
      const b = await createTransport({ listen: [{ protocol: 'tls', address: loopback, port: 0 }], tls: serverTls }, bInbox);
      try {
        const bEnd = b.listening()[0]!;
        assert.equal(bEnd.protocol, 'tls');
        const request = outgoingRequest({ branch: 'z9hG4bKtls1' });
        const sent = await a.sendRequest(request, bEnd);
        assert.equal(request.via[0]!.transport, 'TLS');
        assert.equal(request.via[0]!.port, sent.local.port);
        const got = await bInbox.next();
        assert.equal(got.remote.protocol, 'tls');
        assert.ok(got.connectionId !== undefined);
        await b.sendResponse(createResponse(got.message as SipRequest, 200, undefined, { toTag: 'answer' }), got);
        const response = await aInbox.next();
        assert.equal(response.message.kind === 'response' && response.message.status, 200);
        assert.equal(a.isReliable('tls'), true);
        assert.equal(a.stats().connectionsOpened, 1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it(`verifies the server against the CA over ${loopback} (by IP SAN and by host name)`, async () => {
      const bInbox = new Inbox();
      const a = await createTransport({ listen: [], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } }, new Inbox());
      const b = await createTransport({ listen: [{ protocol: 'tls', address: loopback, port: 0 }], tls: serverTls }, bInbox);
      try {
        await a.sendRequest(outgoingRequest(), b.listening()[0]!);
        await bInbox.next();
        const c = await createTransport({ listen: [], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } }, new Inbox());
        try {
          await c.sendRequest(outgoingRequest(), b.listening()[0]!, { hostname: 'localhost' });
          await bInbox.next();
        } finally {
          await c.close();
        }
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('rejects with sipTransportFailure when verification is on and the CA is unknown', async () => {
    const a = await createTransport({ listen: [], tls: { ...serverTls, verifyPeer: true } }, new Inbox());
    const b = await createTransport({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }], tls: serverTls }, new Inbox());
    try {
      await assert.rejects(a.sendRequest(outgoingRequest(), b.listening()[0]!, { hostname: 'localhost' }), { code: 90110 });
      assert.equal(a.stats().connections, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rejects when the verified certificate does not name the host asked for', async () => {
    const a = await createTransport({ listen: [], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } }, new Inbox());
    const b = await createTransport({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }], tls: serverTls }, new Inbox());
    try {
      await assert.rejects(a.sendRequest(outgoingRequest(), b.listening()[0]!, { hostname: 'sip.example.test' }), { code: 90110 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sends the host name as SNI, and the listener picks the certificate for it (RFC 6066 §3)', async () => {
    // A plain TLS server records what SNI the transport sends.
    const seen: Array<string | false | null> = [];
    const server = createTlsServer({ cert: tlsFixture.cert, key: tlsFixture.key }, (socket) => {
      seen.push(socket.servername);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const a = await createTransport({ listen: [], tls: { ...serverTls, verifyPeer: false } }, new Inbox());
    const bInbox = new Inbox();
    const bOptions: TransportOptions = {
      listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }],
      tls: { ...serverTls, certificates: [{ servername: 'sip.example.test', cert: tlsFixture.otherCert, key: tlsFixture.otherKey }] },
    };
    const b = await createTransport(bOptions, bInbox);
    const verifying = await createTransport({ listen: [], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } }, new Inbox());
    try {
      await a.sendRequest(outgoingRequest(), { protocol: 'tls', address: '127.0.0.1', port }, { hostname: 'sip.example.test' }).catch(() => undefined);
      await until(() => seen.length === 1, 'the TLS server saw a handshake');
      assert.deepEqual(seen, ['sip.example.test']);
      // Only the certificate chosen for sip.example.test passes verification for that name.
      await verifying.sendRequest(outgoingRequest(), b.listening()[0]!, { hostname: 'sip.example.test' });
      await bInbox.next();
    } finally {
      await a.close();
      await b.close();
      await verifying.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('requires and verifies the client certificate when the listener has verifyPeer', async () => {
    const bInbox = new Inbox();
    const b = await createTransport(
      { listen: [{ protocol: 'tls', address: '::1', port: 0 }], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } },
      bInbox,
    );
    const trusted = await createTransport({ listen: [], tls: { ...serverTls, ca: tlsFixture.ca, verifyPeer: true } }, new Inbox());
    try {
      await trusted.sendRequest(outgoingRequest(), b.listening()[0]!);
      await bInbox.next();
      assert.equal(b.stats().connections, 1);
    } finally {
      await trusted.close();
      await b.close();
    }
  });

  it('refuses to start a TLS listener without a certificate', async () => {
    await assert.rejects(createTransport({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }] }, new Inbox()), { code: 90001 });
  });

  it('counts a TLS connection once its handshake is done, so maxConnections admits exactly that many', async () => {
    const bInbox = new Inbox();
    const b = await createTransport({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }], tls: serverTls, maxConnections: 2 }, bInbox);
    const clients = [
      await createTransport({ listen: [], tls: serverTls }, new Inbox()),
      await createTransport({ listen: [], tls: serverTls }, new Inbox()),
    ];
    try {
      for (const client of clients) {
        await client.sendRequest(outgoingRequest(), b.listening()[0]!);
        await bInbox.next();
      }
      assert.equal(b.stats().connections, 2);
      assert.equal(b.stats().connectionsRejected, 0);
      const third = await createTransport({ listen: [], tls: serverTls }, new Inbox());
      try {
        await assert.rejects(third.sendRequest(outgoingRequest(), b.listening()[0]!), { code: 90110 });
        assert.equal(b.stats().connectionsRejected, 1);
      } finally {
        await third.close();
      }
    } finally {
      for (const client of clients) await client.close();
      await b.close();
    }
  });

  it('gives up on a TLS handshake that never completes after connectTimeoutMs (injected clock)', async () => {
    // A plain TCP server accepts and then says nothing, so the handshake hangs.
    const accepted: Socket[] = [];
    const silent = createNetServer((socket) => {
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const clock = new FakeClock();
    const a = await createTransport({ listen: [], tls: serverTls, clock, connectTimeoutMs: 3_000 }, new Inbox());
    try {
      const attempt = a.sendRequest(outgoingRequest(), { protocol: 'tls', address: '127.0.0.1', port });
      await until(() => accepted.length === 1, 'the silent server accepted');
      clock.advance(3_000);
      await assert.rejects(attempt, { code: 90110 });
      assert.equal(a.stats().connections, 0);
    } finally {
      await a.close();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
