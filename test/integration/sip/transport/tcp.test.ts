import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createTransport } from '../../../../src/sip/transport/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { Inbox, RawTcpPeer, RawUdpPeer, loopbacks, outgoingRequest, requestText } from './helpers.js';
import { until } from '../../../support/eventually.js';

describe('TCP transport', { timeout: 30_000 }, () => {
  for (const loopback of loopbacks) {
    describe(`over ${loopback}`, () => {
      it('reuses one connection for the request, its response and the next request', async () => {
        const aInbox = new Inbox();
        const bInbox = new Inbox();
        const a = await createTransport({ listen: [{ protocol: 'tcp', address: loopback, port: 0 }] }, aInbox);
        const b = await createTransport({ listen: [{ protocol: 'tcp', address: loopback, port: 0 }] }, bInbox);
        try {
          const aEnd = a.listening()[0]!;
          const bEnd = b.listening()[0]!;
          const request = outgoingRequest({ branch: 'z9hG4bKtcp1' });
          const sent = await a.sendRequest(request, bEnd);
          assert.deepEqual(sent.remote, bEnd);
          assert.equal(sent.local.protocol, 'tcp');
          // RFC 3261 §18.1.1: sent-by is the listener, where responses go should the connection fail.
          assert.equal(request.via[0]!.transport, 'TCP');
          assert.equal(request.via[0]!.port, aEnd.port);

          const got = await bInbox.next();
          assert.ok(got.connectionId !== undefined);
          assert.deepEqual(got.remote, { protocol: 'tcp', address: loopback, port: sent.local.port });
          assert.equal(got.message.via[0]!.params.get('rport'), String(sent.local.port));

          await b.sendResponse(createResponse(got.message as SipRequest, 200, undefined, { toTag: 'answer' }), got);
          const response = await aInbox.next();
          assert.equal(response.message.kind === 'response' && response.message.status, 200);
          // Same socket both ways: the response arrived from B's listening port to A's ephemeral one.
          assert.deepEqual(response.remote, bEnd);
          assert.deepEqual(response.local, sent.local);
          assert.equal(response.connectionId, sent.connectionId);

          await a.sendRequest(outgoingRequest({ branch: 'z9hG4bKtcp2' }), bEnd);
          const second = await bInbox.next();
          assert.equal(second.connectionId, got.connectionId);
          assert.equal(a.stats().connectionsOpened, 1);
          assert.equal(b.stats().connectionsOpened, 1);
          assert.equal(a.stats().connections, 1);
          assert.equal(b.stats().connections, 1);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('answers over the connection found from received/rport when no request is given', async () => {
        const inbox = new Inbox();
        const b = await createTransport({ listen: [{ protocol: 'tcp', address: loopback, port: 0 }] }, inbox);
        const bEnd = b.listening()[0]!;
        const peer = await RawTcpPeer.open(loopback, bEnd.port);
        try {
          peer.write(requestText({ via: 'SIP/2.0/TCP 192.0.2.1:5060;rport;branch=z9hG4bKnat' }));
          const got = await inbox.next();
          await b.sendResponse(createResponse(got.message as SipRequest, 202, undefined, { toTag: 'answer' }));
          await peer.waitFor('SIP/2.0 202 Accepted');
          assert.equal(b.stats().connectionsOpened, 1);
        } finally {
          peer.close();
          await b.close();
        }
      });
    });
  }

  it('closes an idle connection after idleTimeoutMs (injected clock)', async () => {
    const clock = new FakeClock();
    const aInbox = new Inbox();
    const bInbox = new Inbox();
    const a = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, aInbox);
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], clock, idleTimeoutMs: 5_000 }, bInbox);
    try {
      await a.sendRequest(outgoingRequest(), b.listening()[0]!);
      await bInbox.next();
      clock.advance(4_999);
      assert.equal(b.stats().connections, 1);
      clock.advance(1);
      assert.equal(b.stats().idleClosed, 1);
      assert.equal(b.stats().connections, 0);
      await until(() => a.stats().connections === 0, 'the client saw the connection close');
      // The next request opens a fresh connection.
      await a.sendRequest(outgoingRequest({ branch: 'z9hG4bKafter' }), b.listening()[0]!);
      await bInbox.next();
      assert.equal(a.stats().connectionsOpened, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('closes a stream that never completes a message; traffic that completes messages keeps it open', async () => {
    const clock = new FakeClock();
    const inbox = new Inbox();
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], clock, idleTimeoutMs: 1_000 }, inbox);
    const peer = await RawTcpPeer.open('127.0.0.1', b.listening()[0]!.port);
    try {
      await until(() => b.stats().connections === 1, 'accepted');
      clock.advance(900);
      peer.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1' }));
      await inbox.next();
      clock.advance(900);
      assert.equal(b.stats().connections, 1, 'a whole message restarted the idle time');
      // Bytes that never complete a message do not restart the idle time.
      peer.write('OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127');
      clock.advance(1_000);
      await peer.waitClosed();
      assert.equal(b.stats().idleClosed, 1);
    } finally {
      peer.close();
      await b.close();
    }
  });

  it('answers a double-CRLF ping with a single CRLF (RFC 5626 §3.5.1)', async () => {
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '::1', port: 0 }] }, new Inbox());
    const peer = await RawTcpPeer.open('::1', b.listening()[0]!.port);
    try {
      peer.write('\r\n\r\n');
      await peer.waitFor('\r\n');
      assert.equal(peer.text, '\r\n');
      assert.equal(b.stats().keepAlivesAnswered, 1);
    } finally {
      peer.close();
      await b.close();
    }
  });

  for (const loopback of loopbacks) {
    it(`switches a request larger than 1300 bytes from UDP to TCP (RFC 3261 §18.1.1) over ${loopback}`, async () => {
      const inbox = new Inbox();
      const a = await createTransport(
        {
          listen: [
            { protocol: 'udp', address: loopback, port: 0 },
            { protocol: 'tcp', address: loopback, port: 0 },
          ],
        },
        new Inbox(),
      );
      // The far end listens on TCP only: the large request can arrive no other way.
      const b = await createTransport({ listen: [{ protocol: 'tcp', address: loopback, port: 0 }] }, inbox);
      try {
        const port = b.listening()[0]!.port;
        const request = outgoingRequest({ method: 'INVITE', body: 'v=0\r\n' + 'a=x\r\n'.repeat(300) });
        const sent = await a.sendRequest(request, { protocol: 'udp', address: loopback, port });
        assert.equal(sent.remote.protocol, 'tcp');
        assert.equal(request.via[0]!.transport, 'TCP', 'RFC 3261 §18.1.1: "the value in the top Via MUST be changed"');
        const got = await inbox.next();
        assert.equal(got.remote.protocol, 'tcp');
        assert.equal(got.message.via[0]!.transport, 'TCP');
        assert.equal(got.message.body.length, request.body.length);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('keeps a request at or under the threshold on UDP, and honours a configured MTU', async () => {
    const a = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], mtu: 9000 }, new Inbox());
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      // 3 000 bytes is over 1300 but within a 9 000-byte MTU less 200.
      const request = outgoingRequest({ body: 'x'.repeat(3_000) });
      const sent = await a.sendRequest(request, { protocol: 'udp', address: '127.0.0.1', port: peer.port });
      assert.equal(sent.remote.protocol, 'udp');
      assert.ok((await peer.next()).length > 3_000);
    } finally {
      await peer.close();
      await a.close();
    }
  });

  it('keeps a large request on UDP when switchLargeRequestsToTcp is off', async () => {
    const a = await createTransport(
      { listen: [{ protocol: 'udp', address: '::1', port: 0 }], switchLargeRequestsToTcp: false },
      new Inbox(),
    );
    const peer = await RawUdpPeer.open('::1');
    try {
      const request = outgoingRequest({ body: 'x'.repeat(3_000) });
      const sent = await a.sendRequest(request, { protocol: 'udp', address: '::1', port: peer.port });
      assert.equal(sent.remote.protocol, 'udp');
      assert.equal(request.via[0]!.transport, 'UDP');
      assert.ok((await peer.next()).length > 3_000);
    } finally {
      await peer.close();
      await a.close();
    }
  });

  it('reuses an inbound connection for requests to its RFC 5923 alias', async () => {
    const inbox = new Inbox();
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawTcpPeer.open('127.0.0.1', b.listening()[0]!.port);
    try {
      peer.write(requestText({ method: 'REGISTER', via: 'SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKreg;alias' }));
      await inbox.next();
      await b.sendRequest(outgoingRequest({ branch: 'z9hG4bKback' }), { protocol: 'tcp', address: '127.0.0.1', port: 5999 });
      await peer.waitFor('branch=z9hG4bKback');
      assert.equal(b.stats().connectionsOpened, 1);
    } finally {
      peer.close();
      await b.close();
    }
  });

  it('rejects with sipTransportFailure when the connection is refused', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const a = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, new Inbox());
    try {
      await assert.rejects(a.sendRequest(outgoingRequest(), { protocol: 'tcp', address: '127.0.0.1', port }), { code: 90110 });
      assert.equal(a.stats().connections, 0);
    } finally {
      await a.close();
    }
  });

  it('refuses connections beyond maxConnections', async () => {
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], maxConnections: 1 }, new Inbox());
    const port = b.listening()[0]!.port;
    const first = await RawTcpPeer.open('127.0.0.1', port);
    try {
      await until(() => b.stats().connections === 1, 'first accepted');
      const second = await RawTcpPeer.open('127.0.0.1', port);
      await second.waitClosed();
      assert.equal(b.stats().connectionsRejected, 1);
      assert.equal(first.closed, false);
      await assert.rejects(b.sendRequest(outgoingRequest(), { protocol: 'tcp', address: '127.0.0.1', port: 9 }), { code: 90110 });
    } finally {
      first.close();
      await b.close();
    }
  });

  it('close() ends every connection it holds', async () => {
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, new Inbox());
    const peer = await RawTcpPeer.open('127.0.0.1', b.listening()[0]!.port);
    await until(() => b.stats().connections === 1, 'accepted');
    await b.close();
    await peer.waitClosed();
    assert.equal(b.stats().connections, 0);
  });
});

describe('TCP responses when the request connection is gone (RFC 3261 §18.2.2)', { timeout: 30_000 }, () => {
  it('opens a connection to received and the sent-by port', async () => {
    const clock = new FakeClock();
    const aInbox = new Inbox();
    const bInbox = new Inbox();
    const a = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, aInbox);
    const b = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], clock, idleTimeoutMs: 1_000 }, bInbox);
    try {
      await a.sendRequest(outgoingRequest({ branch: 'z9hG4bKgone' }), b.listening()[0]!);
      const got = await bInbox.next();
      clock.advance(1_000);
      assert.equal(b.stats().connections, 0);
      await b.sendResponse(createResponse(got.message as SipRequest, 200, undefined, { toTag: 'answer' }), got);
      const response = await aInbox.next();
      assert.equal(response.message.via[0]!.params.get('branch'), 'z9hG4bKgone');
      // The response came in over a connection B opened to A's listener.
      assert.deepEqual(response.local, a.listening()[0]);
      assert.equal(b.stats().connectionsOpened, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
