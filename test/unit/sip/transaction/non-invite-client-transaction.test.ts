import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../../../src/kernel/index.js';
import { NonInviteClientTransaction } from '../../../../src/sip/transaction/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { settle } from './fake-transport.js';
import { harness, recordingClientUser } from './harness.js';
import { endpoint, request, response } from './messages.js';

function start(protocol: TransportProtocol, method = 'OPTIONS') {
  const h = harness();
  const user = recordingClientUser();
  const outgoing = request({ method, branch: 'z9hG4bKnict1', toTag: method === 'BYE' ? 'b1' : undefined });
  const transaction = new NonInviteClientTransaction(outgoing, { destination: endpoint(protocol) }, user, h.context);
  return { ...h, user, outgoing, transaction };
}

describe('NonInviteClientTransaction (RFC 3261 §17.1.2)', () => {
  describe('Trying: Timer E and Timer F', () => {
    it('UDP: retransmits with intervals doubling from T1 and capped at T2, then Timer F at 64*T1 gives the TU a 408', () => {
      const { clock, transport, user, transaction } = start('udp');
      assert.equal(transaction.state, 'trying');
      clock.advance(31_999);
      assert.deepEqual(transport.requestTimes('OPTIONS'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
      assert.equal(user.responses.length, 0);
      clock.advance(1);
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map(({ status, cause }) => ({ status, cause })), [{ status: 408, cause: 'timeout' }]);
      assert.equal(clock.pending(), 0);
    });

    it('TCP: sends once (no Timer E); Timer F still fires', () => {
      const { clock, transport, user, transaction } = start('tcp');
      clock.advance(32_000);
      assert.deepEqual(transport.requestTimes('OPTIONS'), [0]);
      assert.equal(transaction.state, 'terminated');
      assert.deepEqual(user.responses.map((r) => r.status), [408]);
    });
  });

  it('UDP Proceeding: Timer E is reset to T2 and Timer F still ends the transaction with 408', () => {
    const { clock, transport, user, transaction, outgoing } = start('udp');
    clock.advance(600);
    transaction.receiveResponse(response(outgoing, 100));
    assert.equal(transaction.state, 'proceeding');
    clock.advance(31_400);
    assert.deepEqual(transport.requestTimes('OPTIONS'), [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    assert.equal(transaction.state, 'terminated');
    assert.deepEqual(user.responses.map((r) => r.status), [100, 408]);
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    describe(`responses over ${protocol.toUpperCase()}`, () => {
      it('1xx: → Proceeding, each passed to the TU', () => {
        const { user, transaction, outgoing } = start(protocol);
        transaction.receiveResponse(response(outgoing, 100));
        transaction.receiveResponse(response(outgoing, 183, 'b1'));
        assert.equal(transaction.state, 'proceeding');
        assert.deepEqual(user.responses.map((r) => r.status), [100, 183]);
      });

      for (const from of ['trying', 'proceeding'] as const) {
        for (const status of [200, 202, 302, 401, 404, 481, 500, 603]) {
          it(`${status} in ${from}: passed to the TU, → Completed, Timer K ${protocol === 'udp' ? 'T4' : '0'}; retransmissions absorbed`, () => {
            const { clock, transport, user, transaction, outgoing } = start(protocol);
            if (from === 'proceeding') transaction.receiveResponse(response(outgoing, 100));
            transaction.receiveResponse(response(outgoing, status, 'b1'));
            const expected = from === 'proceeding' ? [100, status] : [status];
            assert.deepEqual(user.responses.map((r) => r.status), expected);
            if (protocol === 'tcp') {
              assert.equal(transaction.state, 'terminated');
              assert.equal(clock.pending(), 0);
              return;
            }
            assert.equal(transaction.state, 'completed');
            assert.throws(() => transaction.request, { code: ErrorCodes.internal }, 'the request is not kept for Timer K');
            assert.equal(transaction.branch, outgoing.via[0]!.params.get('branch'));
            transaction.receiveResponse(response(outgoing, status, 'b1'));
            assert.deepEqual(user.responses.map((r) => r.status), expected, 'a retransmitted final response is absorbed');
            clock.advance(4_999);
            assert.equal(transaction.state, 'completed');
            clock.advance(1);
            assert.equal(transaction.state, 'terminated');
            assert.deepEqual(transport.requestTimes('OPTIONS'), [0], 'no retransmission after the final response');
            assert.equal(clock.pending(), 0);
          });
        }
      }
    });
  }

  it('honours a configured T2 and T4', () => {
    const h = harness({ t2: 2_000, t4: 1_000 });
    const user = recordingClientUser();
    const transaction = new NonInviteClientTransaction(request({ method: 'INFO', branch: 'z9hG4bKt2', toTag: 'b1' }), { destination: endpoint('udp') }, user, h.context);
    h.clock.advance(8_000);
    assert.deepEqual(h.transport.requestTimes('INFO'), [0, 500, 1500, 3500, 5500, 7500]);
    transaction.receiveResponse(response(transaction.request, 200));
    h.clock.advance(1_000);
    assert.equal(transaction.state, 'terminated');
  });

  it('a transport error in Trying gives the TU a synthetic 503 and terminates', async () => {
    const h = harness();
    h.transport.failing = true;
    const user = recordingClientUser();
    const transaction = new NonInviteClientTransaction(request({ method: 'REGISTER', branch: 'z9hG4bKerr' }), { destination: endpoint('tls') }, user, h.context);
    await settle();
    assert.equal(transaction.state, 'terminated');
    assert.deepEqual(user.responses.map(({ status, cause }) => ({ status, cause })), [{ status: 503, cause: 'transport-error' }]);
    assert.equal(user.terminated, 1);
  });

  it('refuses INVITE and ACK', () => {
    const h = harness();
    for (const method of ['INVITE', 'ACK']) {
      assert.throws(() => new NonInviteClientTransaction(request({ method, branch: 'z9hG4bKx' }), { destination: endpoint('udp') }, recordingClientUser(), h.context), TypeError);
    }
  });
});
