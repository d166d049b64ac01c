import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createResponse, serializeMessage } from '../../../../src/sip/message/index.js';
import { NonInviteServerTransaction } from '../../../../src/sip/transaction/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { bytesInUseKeeping, parsePadded } from '../../../support/retained-memory.js';
import { settle } from './fake-transport.js';
import { harness, recordingServerUser } from './harness.js';
import { received, request, response, retransmission } from './messages.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function start(protocol: TransportProtocol) {
  const h = harness();
  const bye = request({ method: 'BYE', branch: 'z9hG4bKnist1', toTag: 'uas', transport: protocol });
  const incoming = received(bye, protocol);
  const transaction = new NonInviteServerTransaction(incoming, h.context);
  const user = recordingServerUser();
  transaction.user = user;
  return { ...h, bye, incoming, transaction, user };
}

describe('NonInviteServerTransaction (RFC 3261 §17.2.2)', () => {
  it('in Completed it keeps no request: the BYE is collected during Timer J, and a retransmission still gets the final response', async () => {
    const h = harness();
    const answer = () => {
      const bye = request({ method: 'BYE', branch: 'z9hG4bKrelease', toTag: 'uas', transport: 'udp' });
      const transaction = new NonInviteServerTransaction(received(bye, 'udp'), h.context);
      transaction.respond(response(bye, 200));
      return { transaction, byeRef: new WeakRef(bye), again: received(retransmission(bye), 'udp') };
    };
    const { transaction, byeRef, again } = answer();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(byeRef.deref(), undefined, 'the transaction does not keep the BYE');
    transaction.receiveRequest(again);
    assert.deepEqual(h.transport.summary(), ['200', '200']);
    assert.equal(transaction.branch, 'z9hG4bKrelease', 'its branch is kept for the logger');
    h.clock.advance(32_000);
    assert.equal(transaction.state, 'terminated');
  });

  it('in Completed it keeps its final response as the bytes sent: the parsed 200 is collected, and a retransmission sends the same bytes', async () => {
    const h = harness();
    const answer = () => {
      const bye = request({ method: 'BYE', branch: 'z9hG4bKbytes', toTag: 'uas', transport: 'udp' });
      const transaction = new NonInviteServerTransaction(received(bye, 'udp'), h.context);
      const ok = response(bye, 200);
      ok.headers.push({ name: 'X-Reason', value: 'call ended' });
      transaction.respond(ok);
      return { transaction, okRef: new WeakRef(ok), sent: serializeMessage(ok).toString('latin1'), again: received(retransmission(bye), 'udp') };
    };
    const { transaction, okRef, sent, again } = answer();
    h.transport.wire.splice(0); // the fake transport's record of the first send, not the transaction's
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(okRef.deref(), undefined, 'the transaction does not keep the parsed 200');
    transaction.receiveRequest(again);
    const resent = h.transport.wire.map((record) => serializeMessage(record.message).toString('latin1'));
    assert.deepEqual(resent, [sent]);
  });

  it('in Completed nothing it keeps is cut from the received BYE’s text (16 MiB of padding stays uncollected otherwise)', async () => {
    const h = harness();
    const pad = 16 * 2 ** 20;
    const baseline = await bytesInUseKeeping(() => h);
    const withTransaction = await bytesInUseKeeping(() => {
      const bye = parsePadded([
        'BYE sip:alice@192.0.2.10:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-long-branch-0123456789',
        'From: <sip:bob@b.example.com>;tag=remote-tag-0123456789',
        'To: <sip:alice@a.example.com>;tag=local-tag-0123456789',
        'Call-ID: call-id-0123456789abcdef@b.example.com',
        'CSeq: 2 BYE',
      ], pad);
      assert.ok(bye.kind === 'request');
      const transaction = new NonInviteServerTransaction(received(bye, 'udp'), h.context);
      transaction.respond(createResponse(bye, 200));
      h.transport.wire.splice(0); // the fake transport's record of the send, not the transaction's
      return transaction;
    });
    assert.ok(withTransaction - baseline < pad / 4, `the completed transaction keeps ${((withTransaction - baseline) / 2 ** 20).toFixed(1)} MiB`);
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    describe(`over ${protocol.toUpperCase()}`, () => {
      it('Trying: request retransmissions are discarded; no 100 is sent on its own', () => {
        const { clock, transport, transaction, incoming } = start(protocol);
        transaction.receiveRequest(incoming);
        clock.advance(10_000);
        assert.deepEqual(transport.summary(), []);
        assert.equal(transaction.state, 'trying');
      });

      it('1xx from the TU: → Proceeding; a retransmission gets the last provisional response again', () => {
        const { transport, transaction, bye, incoming } = start(protocol);
        transaction.respond(response(bye, 100));
        assert.equal(transaction.state, 'proceeding');
        transaction.respond(response(bye, 183));
        transaction.receiveRequest(incoming);
        assert.deepEqual(transport.summary(), ['100', '183', '183']);
      });

      for (const from of ['trying', 'proceeding'] as const) {
        for (const status of [200, 202, 400, 481, 487, 500, 603]) {
          it(`${status} in ${from}: → Completed; retransmissions answered with it; later finals discarded; Timer J ${protocol === 'udp' ? '64*T1' : '0'}`, () => {
            const { clock, transport, transaction, bye, incoming, user } = start(protocol);
            if (from === 'proceeding') transaction.respond(response(bye, 100));
            transaction.respond(response(bye, status));
            const before = from === 'proceeding' ? ['100'] : [];
            if (protocol === 'tcp') {
              assert.equal(transaction.state, 'terminated');
              assert.equal(user.terminated, 1);
              return;
            }
            assert.equal(transaction.state, 'completed');
            clock.advance(1_000);
            transaction.receiveRequest(incoming);
            transaction.respond(response(bye, 500));
            assert.deepEqual(transport.summary(), [...before, String(status), String(status)]);
            assert.deepEqual(transport.responseTimes(status), [0, 1000]);
            clock.advance(30_999);
            assert.equal(transaction.state, 'completed');
            clock.advance(1);
            assert.equal(transaction.state, 'terminated');
            assert.equal(clock.pending(), 0);
          });
        }
      }
    });
  }

  it('a transport error is reported to the TU once and the transaction stays (RFC 6026 §8.8) until Timer J', async () => {
    const { clock, transport, transaction, bye, incoming, user } = start('udp');
    transport.failing = true;
    transaction.respond(response(bye, 200));
    await settle();
    transaction.receiveRequest(incoming);
    await settle();
    assert.equal(transaction.state, 'completed');
    assert.equal(user.errors, 1);
    assert.deepEqual(transport.summary(), ['200', '200'], 'the retransmission is still answered');
    clock.advance(32_000);
    assert.equal(transaction.state, 'terminated');
  });

  it('refuses INVITE and ACK', () => {
    const h = harness();
    for (const method of ['INVITE', 'ACK']) {
      assert.throws(() => new NonInviteServerTransaction(received(request({ method, branch: 'z9hG4bKx' })), h.context), TypeError);
    }
  });
});
