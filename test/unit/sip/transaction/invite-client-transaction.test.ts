import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../../../src/kernel/index.js';
import { InviteClientTransaction } from '../../../../src/sip/transaction/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { settle } from './fake-transport.js';
import { harness, recordingClientUser } from './harness.js';
import { endpoint, nameAddr, request, response, uri } from './messages.js';

function start(protocol: TransportProtocol) {
  const h = harness();
  const user = recordingClientUser();
  const invite = request({
    method: 'INVITE',
    branch: 'z9hG4bKict1',
    route: [nameAddr(uri('', 'proxy.example.com', [['lr', null]]))],
  });
  const transaction = new InviteClientTransaction(invite, { destination: endpoint(protocol) }, user, h.context);
  return { ...h, user, invite, transaction };
}

describe('InviteClientTransaction (RFC 3261 §17.1.1, RFC 6026 §7.2)', () => {
  describe('Calling: Timer A and Timer B', () => {
    it('UDP: retransmits at 500, 1500, 3500, 7500, 15500, 31500 ms (doubling, no cap), then Timer B at 32 s gives the TU a 408', () => {
      const { clock, transport, user, transaction } = start('udp');
      assert.equal(transaction.state, 'calling');
      clock.advance(31_999);
      assert.deepEqual(transport.requestTimes('INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
      assert.equal(user.responses.length, 0);
      clock.advance(1);
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map(({ status, cause }) => ({ status, cause })), [{ status: 408, cause: 'timeout' }]);
      assert.equal(transport.requestTimes('ACK').length, 0, 'Timer B: "The client transaction MUST NOT generate an ACK"');
      assert.equal(user.terminated, 1);
      assert.equal(clock.pending(), 0);
    });

    it('TCP: sends the INVITE once (no Timer A) and Timer B still fires at 64*T1', () => {
      const { clock, transport, user, transaction } = start('tcp');
      clock.advance(31_999);
      assert.deepEqual(transport.requestTimes('INVITE'), [0]);
      clock.advance(1);
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map((r) => r.status), [408]);
    });

    it('UDP moved to TCP by the transport (§18.1.1): retransmissions stop once the send reports TCP', async () => {
      const h = harness();
      h.transport.upgradeUdpToTcp = true;
      const user = recordingClientUser();
      const transaction = new InviteClientTransaction(request({ method: 'INVITE', branch: 'z9hG4bKbig' }), { destination: endpoint('udp') }, user, h.context);
      await settle();
      h.clock.advance(20_000);
      assert.deepEqual(h.transport.requestTimes('INVITE'), [0]);
      assert.equal(transaction.reliable, true);
      transaction.receiveResponse(response(transaction.request, 486, 'b1'));
      assert.equal(transaction.state, 'terminated', 'Timer D is zero over a reliable transport');
    });

    it('honours a configured T1', () => {
      const h = harness({ t1: 100 });
      const user = recordingClientUser();
      new InviteClientTransaction(request({ method: 'INVITE', branch: 'z9hG4bKt1' }), { destination: endpoint('udp') }, user, h.context);
      h.clock.advance(6_400);
      assert.deepEqual(h.transport.requestTimes('INVITE'), [0, 100, 300, 700, 1500, 3100, 6300]);
      assert.deepEqual(user.responses.map((r) => r.status), [408]);
    });
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    describe(`responses over ${protocol.toUpperCase()}`, () => {
      it('1xx in Calling: → Proceeding, passed to the TU, no more retransmissions, and Timer B no longer ends it', () => {
        const { clock, transport, user, transaction, invite } = start(protocol);
        clock.advance(600);
        transaction.receiveResponse(response(invite, 100));
        assert.equal(transaction.state, 'proceeding');
        transaction.receiveResponse(response(invite, 180, 'b1'));
        transaction.receiveResponse(response(invite, 183, 'b1'));
        clock.advance(120_000);
        assert.deepEqual(transport.requestTimes('INVITE'), protocol === 'udp' ? [0, 500] : [0]);
        assert.deepEqual(user.responses.map((r) => r.status), [100, 180, 183]);
        assert.equal(transaction.state, 'proceeding');
      });

      for (const from of ['calling', 'proceeding'] as const) {
        it(`2xx in ${from}: → Accepted, passed to the TU, no ACK from the transaction; every later 2xx goes to the TU until Timer M`, () => {
          const { clock, transport, user, transaction, invite } = start(protocol);
          if (from === 'proceeding') transaction.receiveResponse(response(invite, 180, 'b1'));
          transaction.receiveResponse(response(invite, 200, 'b1'));
          assert.equal(transaction.state, 'accepted');
          assert.throws(() => transaction.request, { code: ErrorCodes.internal }, 'the TU keeps what it needs of the INVITE for Timer M');
          transaction.receiveResponse(response(invite, 200, 'b1')); // retransmission
          transaction.receiveResponse(response(invite, 200, 'b2')); // another fork
          transaction.receiveResponse(response(invite, 180, 'b3')); // absorbed
          transaction.receiveResponse(response(invite, 486, 'b4')); // absorbed
          const statuses = user.responses.map((r) => r.status);
          assert.deepEqual(statuses, from === 'proceeding' ? [180, 200, 200, 200] : [200, 200, 200]);
          assert.deepEqual(transport.summary(), ['INVITE'], 'the ACK of a 2xx is the TU\'s (§13.2.2.4)');
          clock.advance(31_999);
          assert.equal(transaction.state, 'accepted');
          clock.advance(1);
          assert.equal(transaction.state, 'terminated');
          assert.equal(clock.pending(), 0);
        });

        for (const status of [302, 404, 486, 487, 503, 603]) {
          it(`${status} in ${from}: → Completed, ACK sent, response to the TU once; Timer D ${protocol === 'udp' ? '32 s' : '0 s'}`, () => {
            const { clock, transport, user, transaction, invite } = start(protocol);
            if (from === 'proceeding') transaction.receiveResponse(response(invite, 180, 'b1'));
            clock.advance(100);
            transaction.receiveResponse(response(invite, status, 'b1'));
            assert.deepEqual(user.responses.map((r) => r.status), from === 'proceeding' ? [180, status] : [status]);
            assert.deepEqual(transport.requestTimes('ACK'), [100]);
            if (protocol === 'tcp') {
              assert.equal(transaction.state, 'terminated');
              return;
            }
            assert.equal(transaction.state, 'completed');
            assert.throws(() => transaction.request, { code: ErrorCodes.internal }, 'the INVITE is not kept for the 32 s of Timer D');
            assert.equal(transaction.branch, invite.via[0]!.params.get('branch'));
            clock.advance(1_000);
            transaction.receiveResponse(response(invite, status, 'b1')); // retransmitted final response
            assert.deepEqual(transport.requestTimes('ACK'), [100, 1100], 'the ACK is re-sent');
            assert.equal(user.responses.filter((r) => r.status === status).length, 1, 'not passed up again');
            clock.advance(30_999);
            assert.equal(transaction.state, 'completed');
            clock.advance(1);
            assert.equal(transaction.state, 'terminated');
            assert.deepEqual(transport.requestTimes('INVITE'), [0], 'no INVITE retransmission after the final response');
          });
        }
      }
    });
  }

  it('builds the ACK for a non-2xx per §17.1.1.3', () => {
    const { transport, transaction, invite } = start('udp');
    const busy = response(invite, 486, 'callee-tag');
    transaction.receiveResponse(busy);
    const ack = transport.lastRequest('ACK');
    assert.deepEqual(ack.uri, invite.uri);
    assert.equal(ack.via.length, 1);
    assert.deepEqual(ack.via[0], invite.via[0]);
    assert.equal(ack.via[0]?.params.get('branch'), 'z9hG4bKict1');
    assert.equal(ack.to.params.get('tag'), 'callee-tag');
    assert.deepEqual(ack.from, invite.from);
    assert.equal(ack.callId, invite.callId);
    assert.deepEqual(ack.cseq, { seq: invite.cseq.seq, method: 'ACK' });
    assert.deepEqual(ack.route, invite.route);
    assert.equal(ack.body.length, 0);
    assert.deepEqual(transport.wire.at(-1)?.destination, endpoint('udp'));
  });

  describe('transport errors (§17.1.4, §8.1.3.1)', () => {
    it('in Calling: the TU gets a synthetic 503 and the transaction terminates', async () => {
      const h = harness();
      h.transport.failing = true;
      const user = recordingClientUser();
      const transaction = new InviteClientTransaction(request({ method: 'INVITE', branch: 'z9hG4bKfail' }), { destination: endpoint('tcp') }, user, h.context);
      await settle();
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map(({ status, cause }) => ({ status, cause })), [{ status: 503, cause: 'transport-error' }]);
      assert.equal(h.clock.pending(), 0);
      assert.equal(h.layerTerminations(), 1);
    });

    it('on a retransmission in Calling: the same', async () => {
      const { clock, transport, user, transaction } = start('udp');
      transport.failing = true;
      clock.advance(500);
      await settle();
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map((r) => r.status), [503]);
    });

    it('sending the ACK in Completed: the TU is told of the failure and the transaction terminates', async () => {
      const { transport, user, transaction, invite } = start('udp');
      transport.failing = true;
      transaction.receiveResponse(response(invite, 404, 'b1'));
      await settle();
      assert.equal(transaction.state, 'terminated');
      assert.equal(user.errors, 1);
      assert.deepEqual(user.responses.map((r) => r.status), [404]);
    });
  });

  it('§9.1: after a CANCEL, no final response within 64*T1 ends the INVITE with a synthetic 487', () => {
    const { clock, user, transaction, invite } = start('udp');
    transaction.receiveResponse(response(invite, 180, 'b1'));
    clock.advance(1_000);
    transaction.cancelSent();
    clock.advance(31_999);
    assert.equal(transaction.state, 'proceeding');
    clock.advance(1);
    assert.equal(transaction.state, 'terminated');
    assert.deepEqual(user.responses.map(({ status, cause }) => ({ status, cause })), [
      { status: 180, cause: undefined },
      { status: 487, cause: 'cancel-timeout' },
    ]);
  });

  describe('Timer C (a proxy\'s timer, RFC 3261 §16.8, applied to our INVITEs)', () => {
    it('fires 180 s after the last provisional response while Proceeding, once', () => {
      const { clock, transaction, invite } = start('udp');
      let fired = 0;
      transaction.onProceedingTimeout(() => fired++);
      transaction.receiveResponse(response(invite, 180, 'b1'));
      clock.advance(100_000);
      transaction.receiveResponse(response(invite, 183, 'b1'));
      clock.advance(179_999);
      assert.equal(fired, 0, 'each provisional response restarts it');
      clock.advance(1);
      assert.equal(fired, 1);
      clock.advance(600_000);
      assert.equal(fired, 1);
      assert.equal(transaction.state, 'proceeding', 'the final response (or the CANCEL\'s 64*T1) ends the INVITE');
    });

    it('is stopped by a final response and can be turned off', () => {
      const { clock, transaction, invite } = start('tcp');
      let fired = 0;
      transaction.onProceedingTimeout(() => fired++);
      transaction.receiveResponse(response(invite, 180, 'b1'));
      transaction.receiveResponse(response(invite, 200, 'b1'));
      clock.advance(400_000);
      assert.equal(fired, 0);

      const h = harness({ timerC: 0 });
      const quiet = new InviteClientTransaction(request({ method: 'INVITE', branch: 'z9hG4bKnoc' }), { destination: endpoint('udp') }, recordingClientUser(), h.context);
      quiet.onProceedingTimeout(() => fired++);
      quiet.receiveResponse(response(quiet.request, 180, 'b1'));
      h.clock.advance(400_000);
      assert.equal(fired, 0);
      assert.equal(h.clock.pending(), 0);
    });
  });

  it('a final response after the CANCEL stops the cancel timer', () => {
    const { clock, user, transaction, invite } = start('tcp');
    transaction.receiveResponse(response(invite, 180, 'b1'));
    transaction.cancelSent();
    transaction.receiveResponse(response(invite, 487, 'b1'));
    clock.advance(64_000);
    assert.deepEqual(user.responses.map((r) => r.status), [180, 487]);
    assert.equal(clock.pending(), 0);
  });

  it('a TU callback that throws does not break the state machine', () => {
    const h = harness();
    const transaction = new InviteClientTransaction(
      request({ method: 'INVITE', branch: 'z9hG4bKthrow' }),
      { destination: endpoint('udp') },
      { onResponse: () => { throw new Error('TU bug'); } },
      h.context,
    );
    transaction.receiveResponse(response(transaction.request, 480, 'b1'));
    assert.equal(transaction.state, 'completed');
    assert.deepEqual(h.transport.summary(), ['INVITE', 'ACK']);
  });

  it('refuses a request other than INVITE', () => {
    const h = harness();
    assert.throws(() => new InviteClientTransaction(request({ method: 'OPTIONS', branch: 'z9hG4bKx' }), { destination: endpoint('udp') }, recordingClientUser(), h.context), TypeError);
  });
});
