/**
 * Messages that arrive together (a batch from the I/O thread, several framed out of one TCP read) are
 * handed up one a turn: what the first one's handling set in motion through promises has run before the
 * next is handled. The late-offer e2e test failed once in CI because of this: SIPp's ACK and its
 * offerless re-INVITE came in one batch, the ACK settled `accept()`, and the re-INVITE was handled
 * before the continuation that installs the call's re-INVITE handler, so it was answered with the stale
 * offer and the call's media stayed on the old address.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { BoundDatagramSocket, DatagramBinder, DatagramHandler } from '../../../../src/kernel/index.js';
import { createTransport, type ReceivedMessage, type TransportListener } from '../../../../src/sip/transport/index.js';
import { requestText } from './helpers.js';
import { until } from '../../../support/eventually.js';

/** A listener whose handling of each message starts a chain of promise continuations, as a call's would. */
class ChainingListener implements TransportListener {
  /** For each message: its Call-ID, and which earlier messages' chains had finished when it was handed up. */
  readonly handled: { callId: string; chainsDone: string[] }[] = [];
  private readonly chainsDone: string[] = [];

  onMessage(received: ReceivedMessage): void {
    const callId = received.message.callId;
    this.handled.push({ callId, chainsDone: [...this.chainsDone] });
    void (async () => {
      // Three continuations deep, like accept() → SipLeg.answer → the answered listeners.
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve();
      this.chainsDone.push(callId);
    })();
  }
}

/** A UDP socket the test delivers to by hand, several datagrams in one synchronous run as the I/O thread does. */
function handDrivenBinder(): { binder: DatagramBinder; deliver: (...texts: string[]) => void } {
  let handler: DatagramHandler | undefined;
  const socket: BoundDatagramSocket = {
    onMessage: (each) => void (handler = each),
    offMessage: () => void (handler = undefined),
    onError: () => undefined,
    offError: () => undefined,
    send: (_message, _port, _address, done) => done?.(null),
    connect: (_port, _address, done) => done(),
    sendConnected: () => undefined,
    disconnect: () => undefined,
    close: (done) => done?.(),
    local: () => ({ address: '127.0.0.1', port: 5060 }),
    receiveBufferBytes: () => 0,
  };
  return {
    binder: async () => socket,
    deliver: (...texts) => {
      for (const text of texts) handler!(Buffer.from(text), { address: '127.0.0.1', port: 5099 });
    },
  };
}

const request = (callId: string): string => requestText({ via: `SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK${callId}`, callId });

describe('SIP transport: one message a turn', () => {
  it('UDP: each message of a batch is handed up after the continuations the previous one started, in order', async () => {
    const listener = new ChainingListener();
    const udp = handDrivenBinder();
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }], udpBinder: udp.binder }, listener);
    try {
      udp.deliver(request('m1'), request('m2'), request('m3'));
      // A second batch in the same turn (the thread's next message, before any immediate ran) queues
      // behind what is still waiting.
      queueMicrotask(() => udp.deliver(request('m4')));
      // The first message is handed up at once.
      assert.deepEqual(listener.handled, [{ callId: 'm1', chainsDone: [] }]);
      await until(() => listener.handled.length === 4, 'all four messages handed up');
      assert.deepEqual(listener.handled, [
        { callId: 'm1', chainsDone: [] },
        { callId: 'm2', chainsDone: ['m1'] },
        { callId: 'm3', chainsDone: ['m1', 'm2'] },
        { callId: 'm4', chainsDone: ['m1', 'm2', 'm3'] },
      ]);
    } finally {
      await transport.close();
    }
  });

  it('UDP: a message that arrives on its own is handed up at once', async () => {
    const listener = new ChainingListener();
    const udp = handDrivenBinder();
    const transport = await createTransport({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }], udpBinder: udp.binder }, listener);
    try {
      udp.deliver(request('a'));
      assert.equal(listener.handled.length, 1);
      await new Promise((resolve) => setImmediate(resolve));
      udp.deliver(request('b'));
      assert.deepEqual(listener.handled, [
        { callId: 'a', chainsDone: [] },
        { callId: 'b', chainsDone: ['a'] },
      ]);
    } finally {
      await transport.close();
    }
  });

  it('TCP: two messages in one segment are handed up one a turn', async () => {
    const listener = new ChainingListener();
    const transport = await createTransport({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] }, listener);
    const client = connect(transport.listening()[0]!.port, '127.0.0.1');
    try {
      await once(client, 'connect');
      const tcpRequest = (callId: string): string => requestText({ via: `SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK${callId}`, callId });
      client.write(tcpRequest('t1') + tcpRequest('t2'));
      await until(() => listener.handled.length === 2, 'both messages handed up');
      assert.deepEqual(listener.handled, [
        { callId: 't1', chainsDone: [] },
        { callId: 't2', chainsDone: ['t1'] },
      ]);
    } finally {
      client.destroy();
      await transport.close();
    }
  });
});
