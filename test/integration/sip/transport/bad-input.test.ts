import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../../../src/sip/transport/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { Inbox, RawTcpPeer, RawUdpPeer, loopbacks, parse, requestText, responseText, seededBytes } from './helpers.js';
import { until } from '../../../support/eventually.js';

/** A request whose essentials (Via, From, To, Call-ID, CSeq) parse but whose Max-Forwards does not. */
function malformedRequest(branch: string): string {
  return requestText({ via: `SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}` }).replace('Max-Forwards: 70', 'Max-Forwards: seventy');
}

describe('bad input at the transport edge', { timeout: 60_000 }, () => {
  for (const loopback of loopbacks) {
    it(`answers a malformed request over UDP with 400, to its source, over ${loopback}`, async () => {
      const inbox = new Inbox();
      const transport = await createTransport({ listen: [{ protocol: 'udp', address: loopback, port: 0 }] }, inbox);
      const peer = await RawUdpPeer.open(loopback);
      try {
        await peer.send(malformedRequest('z9hG4bKbad1'), transport.listening()[0]!.port, loopback);
        const answer = parse(await peer.next());
        assert.equal(answer.kind, 'response');
        assert.equal(answer.kind === 'response' && answer.status, 400);
        assert.equal(answer.via[0]!.params.get('branch'), 'z9hG4bKbad1');
        assert.equal(answer.callId, 'a84b4c76e66710');
        assert.equal(inbox.messages.length, 0);
        assert.equal(transport.stats().malformedAnswered, 1);
      } finally {
        await peer.close();
        await transport.close();
      }
    });
  }

  it('drops and counts a malformed response over UDP', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      const port = transport.listening()[0]!.port;
      await peer.send(responseText(`SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK1`).replace('CSeq: 1 OPTIONS', 'CSeq: one'), port, '127.0.0.1');
      await until(() => transport.stats().malformedDropped === 1, 'the response was dropped');
      assert.equal(peer.received.length, 0);
      assert.equal(inbox.messages.length, 0);
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('survives a flood of 5,000 garbage datagrams, counting each, and still serves', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '::1', port: 0 }] }, inbox);
    const peer = await RawUdpPeer.open('::1');
    const bytes = seededBytes(3261);
    try {
      const port = transport.listening()[0]!.port;
      const handled = (): number => transport.stats().malformedDropped + transport.stats().malformedAnswered;
      // Small batches keep the receive buffer from overflowing in the kernel, so that every datagram
      // reaches the transport and can be accounted for.
      for (let sent = 0; sent < 5_000; ) {
        for (let i = 0; i < 20; i++, sent++) {
          const garbage = bytes(1 + (sent % 1_400));
          garbage[0] = 0x41; // never a pure CRLF keep-alive
          await peer.send(garbage, port, '::1');
        }
        const target = sent;
        await until(() => handled() === target, `${target} datagrams handled`);
      }
      assert.equal(handled(), 5_000);
      assert.equal(inbox.messages.length, 0);
      await peer.send(requestText({ via: `SIP/2.0/UDP [::1]:${peer.port};branch=z9hG4bKafter` }), port, '::1');
      const received = await inbox.next();
      assert.equal(received.message.via[0]!.params.get('branch'), 'z9hG4bKafter');
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('survives a flood of 5,000 framed garbage messages over one TCP connection without closing it', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawTcpPeer.open('127.0.0.1', transport.listening()[0]!.port);
    const bytes = seededBytes(18);
    try {
      for (let i = 0; i < 5_000; i++) {
        const junk = bytes(20 + (i % 200)).toString('base64');
        peer.write(`${junk}\r\nContent-Length: 0\r\n\r\n`);
      }
      await until(() => transport.stats().malformedDropped + transport.stats().malformedAnswered === 5_000, 'all framed');
      assert.equal(peer.closed, false);
      assert.equal(transport.stats().connections, 1);
      peer.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKstill' }));
      const received = await inbox.next();
      assert.equal(received.message.via[0]!.params.get('branch'), 'z9hG4bKstill');
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('closes a TCP stream of unframeable garbage once it passes the header limit, holding no more', async () => {
    const transport = await createTransport(
      { listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], limits: { maxHeaderBytes: 2_048 } },
      new Inbox(),
    );
    const bytes = seededBytes(7);
    try {
      for (let round = 0; round < 20; round++) {
        const peer = await RawTcpPeer.open('127.0.0.1', transport.listening()[0]!.port);
        // No CRLFCRLF anywhere: the end of the headers never comes.
        for (let i = 0; i < 250 && !peer.closed; i++) peer.write(bytes(64).toString('hex'));
        await peer.waitClosed();
        peer.close();
      }
      assert.equal(transport.stats().malformedDropped, 20);
      await until(() => transport.stats().connections === 0, 'every garbage connection released');
    } finally {
      await transport.close();
    }
  });

  it('answers a bad Content-Length over TCP with 400 and closes the connection', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'tcp', address: '::1', port: 0 }] }, inbox);
    const peer = await RawTcpPeer.open('::1', transport.listening()[0]!.port);
    try {
      peer.write(requestText({ via: 'SIP/2.0/TCP [::1]:5060;branch=z9hG4bKcl', contentLength: '-5' }));
      await peer.waitClosed();
      assert.match(peer.text, /^SIP\/2\.0 400 [^\r]*\r\n/);
      assert.match(peer.text, /branch=z9hG4bKcl/);
      assert.equal(transport.stats().malformedAnswered, 1);
      assert.equal(inbox.messages.length, 0);
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('answers a missing Content-Length over TCP with 400 and an oversize body with 513, then closes', async () => {
    const transport = await createTransport(
      { listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], limits: { maxBodyBytes: 1_000 } },
      new Inbox(),
    );
    const port = transport.listening()[0]!.port;
    const missing = await RawTcpPeer.open('127.0.0.1', port);
    const oversize = await RawTcpPeer.open('127.0.0.1', port);
    try {
      missing.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKm' }).replace(/Content-Length: 0\r\n/, ''));
      await missing.waitClosed();
      assert.match(missing.text, /^SIP\/2\.0 400 Missing Content-Length\r\n/);
      oversize.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKo', contentLength: '5000' }));
      await oversize.waitClosed();
      assert.match(oversize.text, /^SIP\/2\.0 513 Message Too Large\r\n/);
      assert.equal(transport.stats().malformedAnswered, 2);
    } finally {
      missing.close();
      oversize.close();
      await transport.close();
    }
  });

  it('drops a malformed response over TCP and keeps the connection', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawTcpPeer.open('127.0.0.1', transport.listening()[0]!.port);
    try {
      peer.write(responseText('SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1').replace('Call-ID: a84b4c76e66710\r\n', ''));
      await until(() => transport.stats().malformedDropped === 1, 'dropped');
      assert.equal(peer.text, '');
      assert.equal(peer.closed, false);
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('answers a malformed but well-framed request over TCP with 400 and keeps the connection', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawTcpPeer.open('127.0.0.1', transport.listening()[0]!.port);
    try {
      peer.write(malformedRequest('z9hG4bKframed').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      await peer.waitFor('\r\n\r\n');
      assert.match(peer.text, /^SIP\/2\.0 400 /);
      peer.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKnext' }));
      const received = await inbox.next();
      assert.equal(received.connectionId !== undefined, true);
      assert.equal(peer.closed, false);
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('drops and counts a datagram larger than maxDatagramBytes without parsing it', async () => {
    const inbox = new Inbox();
    const transport = await createTransport(
      { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], limits: { maxDatagramBytes: 200 } },
      inbox,
    );
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKbig` }), transport.listening()[0]!.port, '127.0.0.1');
      await until(() => transport.stats().malformedDropped === 1, 'dropped');
      assert.equal(inbox.messages.length, 0);
      assert.equal(peer.received.length, 0);
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('ignores CRLF keep-alive datagrams without counting them as malformed', async () => {
    const inbox = new Inbox();
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] }, inbox);
    const peer = await RawUdpPeer.open('127.0.0.1');
    try {
      const port = transport.listening()[0]!.port;
      await peer.send('\r\n\r\n', port, '127.0.0.1');
      await peer.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKafterping` }), port, '127.0.0.1');
      await inbox.next();
      assert.equal(transport.stats().malformedDropped, 0);
      assert.equal(peer.received.length, 0);
    } finally {
      await peer.close();
      await transport.close();
    }
  });

  it('disconnects a peer that stops reading once maxPendingWriteBytes would be exceeded', async () => {
    const inbox = new Inbox();
    const transport = await createTransport(
      { listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], limits: { maxPendingWriteBytes: 256 * 1024 } },
      inbox,
    );
    const peer = await RawTcpPeer.open('127.0.0.1', transport.listening()[0]!.port);
    try {
      peer.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKslow' }));
      const got = await inbox.next();
      peer.socket.pause();
      const response = createResponse(got.message as SipRequest, 200, undefined, { toTag: 'answer' });
      response.body = Buffer.alloc(60_000, 0x61);
      const outcomes: Array<Promise<unknown>> = [];
      // The kernel's socket buffers absorb the first few megabytes; after that Node queues, up to the limit.
      for (let i = 0; i < 2_000 && transport.stats().connections === 1; i++) {
        outcomes.push(transport.sendResponse(response, got).then(() => 'sent', (error: unknown) => error));
      }
      assert.equal(transport.stats().connections, 0, 'the connection was dropped before 2,000 sends');
      const settled = await Promise.all(outcomes);
      assert.ok(settled.some((outcome) => (outcome as { code?: number }).code === 90110));
    } finally {
      peer.close();
      await transport.close();
    }
  });
});
