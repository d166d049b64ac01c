import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ErrorCodes } from '../../../../src/kernel/index.js';
import { InviteServerTransaction, type TimerSettings } from '../../../../src/sip/transaction/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { settle } from './fake-transport.js';
import { harness, recordingServerUser } from './harness.js';
import { received, request, response, retransmission } from './messages.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function start(protocol: TransportProtocol, timers: Partial<TimerSettings> = {}) {
  const h = harness(timers);
  const invite = request({ method: 'INVITE', branch: 'z9hG4bKist1', transport: protocol });
  const incoming = received(invite, protocol);
  const transaction = new InviteServerTransaction(incoming, h.context);
  const user = recordingServerUser();
  transaction.user = user;
  return { ...h, invite, incoming, transaction, user };
}

describe('InviteServerTransaction (RFC 3261 §17.2.1, RFC 6026 §7.1)', () => {
  describe('100 (Trying)', () => {
    it('is sent at 200 ms when the TU has not responded', () => {
      const { clock, transport } = start('udp');
      clock.advance(199);
      assert.deepEqual(transport.summary(), []);
      clock.advance(1);
      assert.deepEqual(transport.responseTimes(100), [200]);
      assert.equal(transport.lastResponse().to.params.has('tag'), false);
    });

    it('is not sent when the TU responds within 200 ms', () => {
      const { clock, transport, transaction, invite } = start('udp');
      clock.advance(150);
      transaction.respond(response(invite, 180, 'uas'));
      clock.advance(1_000);
      assert.deepEqual(transport.summary(), ['180']);
    });

    it('is sent at once with a zero delay, and copies the Timestamp (§8.2.6.1)', () => {
      const h = harness({ tryingDelay: 0 });
      const invite = request({ method: 'INVITE', branch: 'z9hG4bKts' });
      invite.headers.push({ name: 'Timestamp', value: '54' });
      new InviteServerTransaction(received(invite), h.context);
      assert.deepEqual(h.transport.responseTimes(100), [0]);
      assert.deepEqual(h.transport.lastResponse().headers, [{ name: 'Timestamp', value: '54' }]);
    });
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    describe(`over ${protocol.toUpperCase()}`, () => {
      it('Proceeding: a retransmitted INVITE is answered with the most recent provisional response', () => {
        const { clock, transport, transaction, invite, incoming } = start(protocol);
        transaction.receiveRequest(incoming);
        assert.deepEqual(transport.summary(), [], 'nothing to repeat yet');
        clock.advance(200);
        transaction.respond(response(invite, 180, 'uas'));
        transaction.receiveRequest(incoming);
        assert.deepEqual(transport.summary(), ['100', '180', '180']);
        assert.equal(transaction.state, 'proceeding');
      });

      for (const status of [300, 404, 486, 487, 500, 603]) {
        it(`${status} from the TU: → Completed, ${protocol === 'udp' ? 'Timer G retransmits (T1 doubling, capped at T2)' : 'no Timer G'}, Timer H at 64*T1 informs the TU`, () => {
          const { clock, transport, transaction, invite, user } = start(protocol);
          transaction.respond(response(invite, status, 'uas'));
          assert.equal(transaction.state, 'completed');
          clock.advance(31_999);
          const expected = protocol === 'udp' ? [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500] : [0];
          assert.deepEqual(transport.responseTimes(status), expected);
          assert.equal(user.timeouts, 0);
          clock.advance(1);
          assert.equal(transaction.state, 'terminated');
          assert.equal(user.timeouts, 1, 'Timer H: "MUST indicate to the TU that a transaction failure has occurred"');
          assert.equal(clock.pending(), 0);
        });

        it(`${status}, then the INVITE again: the final response is retransmitted; then ACK: → Confirmed, Timer I ${protocol === 'udp' ? 'T4' : '0'}`, () => {
          const { clock, transport, transaction, invite, incoming, user } = start(protocol);
          transaction.respond(response(invite, status, 'uas'));
          clock.advance(100);
          transaction.receiveRequest(incoming);
          assert.deepEqual(transport.responseTimes(status), [0, 100]);
          clock.advance(100);
          transaction.receiveAck();
          clock.advance(10_000);
          assert.deepEqual(transport.responseTimes(status), [0, 100], 'no retransmission after the ACK (Timer G ignored)');
          assert.equal(transaction.state, 'terminated');
          assert.equal(user.timeouts, 0);
        });
      }

      it('Confirmed absorbs further ACKs and INVITEs until Timer I', () => {
        const { clock, transport, transaction, invite, incoming } = start(protocol);
        transaction.respond(response(invite, 486, 'uas'));
        transaction.receiveAck();
        if (protocol === 'tcp') {
          assert.equal(transaction.state, 'terminated');
          return;
        }
        assert.equal(transaction.state, 'confirmed');
        transaction.receiveAck();
        transaction.receiveRequest(incoming);
        assert.deepEqual(transport.summary(), ['486']);
        clock.advance(4_999);
        assert.equal(transaction.state, 'confirmed');
        clock.advance(1);
        assert.equal(transaction.state, 'terminated');
      });

      it('2xx from the TU: → Accepted; INVITE retransmissions absorbed; the TU\'s 2xx retransmissions go out; Timer L ends it', () => {
        const { clock, transport, transaction, invite, incoming, user } = start(protocol);
        transaction.respond(response(invite, 180, 'uas'));
        const ok = response(invite, 200, 'uas');
        transaction.respond(ok);
        assert.equal(transaction.state, 'accepted');
        transaction.receiveRequest(incoming);
        assert.deepEqual(transport.summary(), ['180', '200'], 'the INVITE retransmission is absorbed');
        clock.advance(500);
        transaction.respond(ok);
        assert.deepEqual(transport.responseTimes(200), [0, 500]);
        transaction.respond(response(invite, 486, 'uas'));
        assert.deepEqual(transport.summary(), ['180', '200', '200'], 'a non-2xx after the 2xx is discarded');
        clock.advance(31_499);
        assert.equal(transaction.state, 'accepted');
        clock.advance(1);
        assert.equal(transaction.state, 'terminated');
        assert.equal(user.timeouts, 0);
        assert.equal(user.terminated, 1);
      });
    });
  }

  it('in Accepted it keeps the 2xx\'s To tag, not the 2xx itself, for the 64*T1 of Timer L (RFC 6026 §7.1: 2xx retransmissions are the TU\'s)', async () => {
    const { transport, transaction, invite } = start('udp');
    const answered = (): { ref: WeakRef<object>; tag: string } => {
      const ok = response(invite, 200, 'uas');
      transaction.respond(ok);
      return { ref: new WeakRef(ok), tag: ok.to.params.get('tag')! };
    };
    const { ref, tag } = answered();
    assert.equal(transaction.state, 'accepted');
    assert.equal(transaction.localTag, tag, 'the To tag still answers a CANCEL (§9.2) and matches an RFC 2543 ACK');
    transport.wire.length = 0; // the fake transport's own record of what it sent
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(ref.deref(), undefined, 'the 200 is not kept by the transaction');
    assert.equal(transaction.state, 'accepted');
  });

  describe('after its final response it keeps no request (its 64*T1 needs only the arrival, CSeq, branch and To tags)', () => {
    function answeredThenForgotten(status: number) {
      const h = harness();
      const user = recordingServerUser();
      const answer = () => {
        const invite = request({ method: 'INVITE', branch: 'z9hG4bKrelease', transport: 'udp' });
        const transaction = new InviteServerTransaction(received(invite, 'udp'), h.context);
        transaction.user = user;
        const final = response(invite, status, 'uas');
        transaction.respond(final);
        return { transaction, final, inviteRef: new WeakRef(invite), again: received(retransmission(invite), 'udp') };
      };
      return { ...h, user, ...answer() };
    }

    it('2xx → Accepted: the INVITE is collected; the TU\'s 2xx retransmissions still pass, INVITE retransmissions are absorbed', async () => {
      const { transport, transaction, final, inviteRef, again, clock, user } = answeredThenForgotten(200);
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      assert.equal(inviteRef.deref(), undefined, 'the transaction does not keep the INVITE');
      assert.throws(() => transaction.request, { code: ErrorCodes.internal }, 'reading it after the final response is a programming error');
      transaction.respond(final);
      transaction.receiveRequest(again);
      assert.deepEqual(transport.summary(), ['200', '200']);
      clock.advance(32_000);
      assert.equal(transaction.state, 'terminated');
      assert.equal(user.terminated, 1);
    });

    it('non-2xx → Completed: the INVITE is collected; a retransmission and Timer G still resend the response, the ACK confirms', async () => {
      const { transport, transaction, inviteRef, again, clock } = answeredThenForgotten(486);
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      assert.equal(inviteRef.deref(), undefined, 'the transaction does not keep the INVITE');
      transaction.receiveRequest(again);
      clock.advance(500);
      assert.deepEqual(transport.summary(), ['486', '486', '486']);
      transaction.receiveAck();
      assert.equal(transaction.state, 'confirmed');
    });
  });

  it('discards a second final response and provisional responses after the final one', () => {
    const { transport, transaction, invite } = start('udp');
    transaction.respond(response(invite, 486, 'uas'));
    transaction.respond(response(invite, 180, 'uas'));
    transaction.respond(response(invite, 200, 'uas'));
    assert.deepEqual(transport.summary(), ['486']);
  });

  it('refuses a response that does not answer its request', () => {
    const { transaction, invite } = start('udp');
    const wrong = response(invite, 200, 'uas');
    wrong.cseq = { seq: invite.cseq.seq + 1, method: 'INVITE' };
    assert.throws(() => transaction.respond(wrong), RangeError);
    const invalid = response(invite, 99, 'uas');
    assert.throws(() => transaction.respond(invalid), RangeError);
  });

  describe('transport errors (RFC 6026 §8.8: inform the TU, "MUST remain in the current state")', () => {
    it('in Proceeding: the TU is informed once; the transaction still absorbs retransmissions and takes the final response', async () => {
      const { transport, transaction, invite, incoming, user } = start('tcp');
      transport.failing = true;
      transaction.respond(response(invite, 180, 'uas'));
      await settle();
      transaction.receiveRequest(incoming);
      await settle();
      assert.equal(transaction.state, 'proceeding');
      assert.equal(user.errors, 1);
      transport.failing = false;
      transaction.respond(response(invite, 486, 'uas'));
      assert.equal(transaction.state, 'completed');
    });

    it('in Completed (Timer G retransmissions fail): the TU is informed once, Timer H still ends it', async () => {
      const { clock, transport, transaction, invite, user } = start('udp');
      transaction.respond(response(invite, 500, 'uas'));
      await settle();
      transport.failing = true;
      clock.advance(500);
      await settle();
      clock.advance(1000);
      await settle();
      assert.equal(transaction.state, 'completed');
      assert.equal(user.errors, 1);
      clock.advance(30_500);
      assert.equal(transaction.state, 'terminated');
      assert.equal(user.timeouts, 1);
      assert.equal(clock.pending(), 0);
    });

    it('in Accepted: the TU is informed and the state stays', async () => {
      const { transport, transaction, invite, user } = start('udp');
      transport.failing = true;
      transaction.respond(response(invite, 200, 'uas'));
      await settle();
      assert.equal(transaction.state, 'accepted');
      assert.equal(user.errors, 1);
    });
  });
});
