import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../../../src/sip/transport/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { Inbox, RawUdpPeer, loopbacks, outgoingRequest, parse, requestText, responseText } from './helpers.js';
import { until } from '../../../support/eventually.js';

describe('UDP transport', { timeout: 30_000 }, () => {
  for (const loopback of loopbacks) {
    describe(`over ${loopback}`, () => {
      it('fills received and rport on an incoming request (RFC 3581 §4) and answers to received:rport', async () => {
        const inbox = new Inbox();
        const transport = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, inbox);
        const peer = await RawUdpPeer.open(loopback);
        try {
          const local = transport.listening()[0]!;
          assert.equal(local.protocol, 'udp');
          assert.equal(local.address, loopback);
          assert.ok(local.port > 0);
          await peer.send(requestText({ via: 'SIP/2.0/UDP 192.0.2.1:5099;rport;branch=z9hG4bKraw1' }), local.port, loopback);
          const received = await inbox.next();
          assert.equal(received.message.kind, 'request');
          const top = received.message.via[0]!;
          assert.equal(top.params.get('received'), loopback);
          assert.equal(top.params.get('rport'), String(peer.port));
          assert.equal(top.params.get('branch'), 'z9hG4bKraw1');
          assert.deepEqual(received.remote, { protocol: 'udp', address: loopback, port: peer.port });
          assert.deepEqual(received.local, local);
          assert.equal(received.connectionId, undefined);

          // The sent-by (192.0.2.1:5099) is unreachable; only received/rport lead back to the peer.
          await transport.sendResponse(createResponse(received.message as SipRequest, 200, undefined, { toTag: 'answer' }), received);
          const answer = parse(await peer.next());
          assert.equal(answer.kind, 'response');
          assert.equal(answer.kind === 'response' && answer.status, 200);
          assert.equal(answer.via[0]!.params.get('received'), loopback);
          assert.equal(answer.via[0]!.params.get('rport'), String(peer.port));
          assert.equal(transport.stats().received, 1);
          assert.equal(transport.stats().sent, 1);
        } finally {
          await peer.close();
          await transport.close();
        }
      });

      it('adds received without rport when the sent-by host differs, and answers to received:sent-by port', async () => {
        const inbox = new Inbox();
        const transport = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, inbox);
        const peer = await RawUdpPeer.open(loopback);
        try {
          const local = transport.listening()[0]!;
          await peer.send(requestText({ via: `SIP/2.0/UDP sender.invalid:${peer.port};branch=z9hG4bKraw2` }), local.port, loopback);
          const received = await inbox.next();
          const top = received.message.via[0]!;
          assert.equal(top.params.get('received'), loopback);
          assert.ok(!top.params.has('rport'));
          await transport.sendResponse(createResponse(received.message as SipRequest, 486, undefined, { toTag: 'answer' }));
          assert.match(await peer.next(), /^SIP\/2\.0 486 Busy Here\r\n/);
        } finally {
          await peer.close();
          await transport.close();
        }
      });

      it('carries a request and its response between two transports', async () => {
        const aInbox = new Inbox();
        const bInbox = new Inbox();
        const a = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, aInbox);
        const b = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, bInbox);
        try {
          const aEnd = a.listening()[0]!;
          const bEnd = b.listening()[0]!;
          const request = outgoingRequest({ branch: 'z9hG4bKab1' });
          const sent = await a.sendRequest(request, bEnd);
          assert.deepEqual(sent, { local: aEnd, remote: bEnd });
          // RFC 3261 §18.1.1: the top Via now names what was actually used, and asks for rport.
          const sentVia = request.via[0]!;
          assert.equal(sentVia.transport, 'UDP');
          assert.equal(sentVia.host, loopback);
          assert.equal(sentVia.port, aEnd.port);
          assert.equal(sentVia.params.get('branch'), 'z9hG4bKab1');
          assert.equal(sentVia.params.get('rport'), null);

          const got = await bInbox.next();
          assert.equal(got.message.via[0]!.params.get('rport'), String(aEnd.port));
          assert.equal(got.message.via[0]!.params.get('received'), loopback);
          assert.deepEqual(got.remote, aEnd);

          await b.sendResponse(createResponse(got.message as SipRequest, 180, undefined, { toTag: 'answer' }), got);
          const response = await aInbox.next();
          assert.equal(response.message.kind === 'response' && response.message.status, 180);
          assert.deepEqual(response.remote, bEnd);
          assert.equal(a.stats().responsesMisrouted, 0);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('drops and counts a response whose top Via is not ours (RFC 3261 §18.1.2)', async () => {
        const inbox = new Inbox();
        const transport = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, inbox);
        const peer = await RawUdpPeer.open(loopback);
        try {
          const local = transport.listening()[0]!;
          await peer.send(responseText('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKother'), local.port, loopback);
          const host = loopback.includes(':') ? `[${loopback}]` : loopback;
          await peer.send(responseText(`SIP/2.0/UDP ${host}:${local.port};branch=z9hG4bKours`), local.port, loopback);
          await until(() => transport.stats().responsesMisrouted === 1 && inbox.messages.length === 1, 'both responses handled');
          assert.equal(inbox.messages[0]!.message.via[0]!.params.get('branch'), 'z9hG4bKours');
        } finally {
          await peer.close();
          await transport.close();
        }
      });
    });
  }

  it('listens on IPv4 and IPv6 at once and sends from the matching family', async () => {
    const inbox = new Inbox();
    const transport = await createTransport(
      {
        listen: [
          { protocol: 'udp', address: '127.0.0.1', port: 0 },
          { protocol: 'udp', address: '::1', port: 0 },
        ],
      },
      inbox,
    );
    const v4 = await RawUdpPeer.open('127.0.0.1');
    const v6 = await RawUdpPeer.open('::1');
    try {
      const [first, second] = transport.listening();
      assert.equal(first!.address, '127.0.0.1');
      assert.equal(second!.address, '::1');
      const viaV6 = await transport.sendRequest(outgoingRequest(), { protocol: 'udp', address: '::1', port: v6.port });
      assert.deepEqual(viaV6.local, second);
      assert.match(await v6.next(), new RegExp(`Via: SIP/2\\.0/UDP \\[::1\\]:${second!.port};`));
      const viaV4 = await transport.sendRequest(outgoingRequest(), { protocol: 'udp', address: '127.0.0.1', port: v4.port });
      assert.deepEqual(viaV4.local, first);
      assert.match(await v4.next(), new RegExp(`Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${first!.port};`));
    } finally {
      await v4.close();
      await v6.close();
      await transport.close();
    }
  });

  it('writes publicAddress into Via sent-by and accepts responses addressed to it', async () => {
    const inbox = new Inbox();
    const transport = await createTransport(
      { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], publicAddress: '198.51.100.7' },
      inbox,
    );
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      const request = outgoingRequest();
      await transport.sendRequest(request, { protocol: 'udp', address: '127.0.0.1', port: peer.port });
      assert.equal(request.via[0]!.host, '198.51.100.7');
      const port = transport.listening()[0]!.port;
      await peer.next();
      await peer.send(responseText(`SIP/2.0/UDP 198.51.100.7:${port};branch=z9hG4bKtest1;rport=1;received=127.0.0.1`), port, '127.0.0.1');
      const response = await inbox.next();
      assert.equal(response.message.kind, 'response');
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('isolates a listener that throws', async () => {
    let calls = 0;
    const transport = await createTransport(
      { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] },
      {
        onMessage() {
          calls++;
          throw new Error('listener bug');
        },
      },
    );
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      const port = transport.listening()[0]!.port;
      await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1' }), port, '127.0.0.1');
      await peer.send(requestText({ via: 'SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK2' }), port, '127.0.0.1');
      await until(() => calls === 2, 'both requests reached the listener');
      assert.equal(transport.stats().received, 2);
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('rejects a send it cannot make with sipTransportFailure, and close() is idempotent', async () => {
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] }, new Inbox());
    await assert.rejects(transport.sendRequest(outgoingRequest(), { protocol: 'udp', address: '::1', port: 5060 }), { code: 90110 });
    await assert.rejects(transport.sendRequest(outgoingRequest(), { protocol: 'udp', address: 'example.com', port: 5060 }), { code: 90110 });
    await transport.close();
    await transport.close();
    await assert.rejects(transport.sendRequest(outgoingRequest(), { protocol: 'udp', address: '127.0.0.1', port: 5060 }), { code: 90110 });
  });
});
