import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../../src/kernel/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import {
  InviteClientTransaction,
  InviteServerTransaction,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  TransactionManager,
  type ServerTransaction,
  type TransactionLayerUser,
} from '../../../../src/sip/transaction/index.js';
import type { ReceivedMessage } from '../../../../src/sip/transport/types.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeTransport } from './fake-transport.js';
import { recordingClientUser } from './harness.js';
import { endpoint, received, request, response, retransmission } from './messages.js';

interface LayerUserRecord extends TransactionLayerUser {
  requests: ServerTransaction[];
  acks: ReceivedMessage[];
  cancels: Array<{ invite: InviteServerTransaction; cancel: ReceivedMessage }>;
}

function layerUser(onRequest: (transaction: ServerTransaction) => void = () => {}): LayerUserRecord {
  const user: LayerUserRecord = {
    requests: [],
    acks: [],
    cancels: [],
    onRequest(transaction) {
      user.requests.push(transaction);
      onRequest(transaction);
    },
    onAck(ack) {
      user.acks.push(ack);
    },
    onCancel(invite, cancel) {
      user.cancels.push({ invite, cancel });
    },
  };
  return user;
}

function setup(onRequest?: (transaction: ServerTransaction) => void) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const user = layerUser(onRequest);
  const manager = new TransactionManager({ transport, user, clock, logger: silentLogger });
  return { clock, transport, user, manager };
}

function outgoingInvite(): SipRequest {
  const invite = request({ method: 'INVITE' });
  invite.via = [];
  return invite;
}

describe('TransactionManager', () => {
  describe('client side (RFC 3261 §17.1, §17.1.3)', () => {
    it('adds a Via with a z9hG4bK branch and creates an INVITE client transaction', () => {
      const { manager, transport } = setup();
      const transaction = manager.request(outgoingInvite(), endpoint('udp'), recordingClientUser());
      assert.ok(transaction instanceof InviteClientTransaction);
      const branch = transaction.request.via[0]?.params.get('branch') ?? '';
      assert.match(branch, /^z9hG4bK[0-9a-f]{16}$/);
      assert.deepEqual(transport.summary(), ['INVITE']);
      assert.equal(manager.stats().clientTransactions, 1);
    });

    it('gives a Via without a branch a new one, keeps an existing branch, and uses a non-INVITE transaction for other methods', () => {
      const { manager } = setup();
      const options = request({ method: 'OPTIONS' });
      const a = manager.request(options, { destination: endpoint('tcp') }, recordingClientUser());
      assert.ok(a instanceof NonInviteClientTransaction);
      assert.match(a.branch, /^z9hG4bK/);
      const b = manager.request(request({ method: 'OPTIONS', branch: 'z9hG4bKmine' }), endpoint('tcp'), recordingClientUser());
      assert.equal(b.branch, 'z9hG4bKmine');
      assert.throws(() => manager.request(request({ method: 'OPTIONS', branch: 'z9hG4bKmine' }), endpoint('tcp'), recordingClientUser()), /already exists/);
    });

    it('refuses ACK', () => {
      const { manager } = setup();
      assert.throws(() => manager.request(request({ method: 'ACK', branch: 'z9hG4bKa' }), endpoint('udp'), recordingClientUser()), TypeError);
    });

    it('matches responses by top Via branch and CSeq method, drops and counts the rest', () => {
      const { manager } = setup();
      const tu = recordingClientUser();
      const transaction = manager.request(request({ method: 'INFO', branch: 'z9hG4bKinfo', toTag: 'b1' }), endpoint('udp'), tu);
      const ok = response(transaction.request, 200);
      const otherMethod = response(transaction.request, 200);
      otherMethod.cseq = { ...otherMethod.cseq, method: 'CANCEL' };
      const otherBranch = response(request({ method: 'INFO', branch: 'z9hG4bKelse', toTag: 'b1' }), 200);
      const noVia = response(transaction.request, 200);
      noVia.via = [];
      for (const message of [otherMethod, otherBranch, noVia, ok]) manager.onMessage(received(message));
      assert.deepEqual(tu.responses.map((r) => r.status), [200]);
      assert.equal(manager.stats().strayResponses, 3);
    });

    it('forgets a client transaction when it terminates', () => {
      const { manager } = setup();
      const options = request({ method: 'OPTIONS', branch: 'z9hG4bKgone' });
      const transaction = manager.request(options, endpoint('tcp'), recordingClientUser());
      manager.onMessage(received(response(options, 200), 'tcp'));
      assert.equal(transaction.state, 'terminated');
      assert.equal(manager.stats().clientTransactions, 0);
      manager.onMessage(received(response(options, 200), 'tcp'));
      assert.equal(manager.stats().strayResponses, 1);
    });

    it('catches 2xx retransmissions and forked 2xx in the Accepted state (RFC 6026) and drops them after Timer M', () => {
      const { manager, clock } = setup();
      const tu = recordingClientUser();
      const invite = outgoingInvite();
      manager.request(invite, endpoint('udp'), tu);
      manager.onMessage(received(response(invite, 200, 'fork-1')));
      manager.onMessage(received(response(invite, 200, 'fork-2')));
      clock.advance(32_000);
      manager.onMessage(received(response(invite, 200, 'fork-1')));
      assert.deepEqual(tu.responses.map((r) => r.response.to.params.get('tag')), ['fork-1', 'fork-2']);
      assert.equal(manager.stats().strayResponses, 1);
    });

    it('sendAck sends the ACK of a 2xx outside any transaction, with a new branch', async () => {
      const { manager, transport } = setup();
      const ack = request({ method: 'ACK', toTag: 'b1' });
      ack.via = [];
      await manager.sendAck(ack, endpoint('udp'));
      assert.deepEqual(transport.summary(), ['ACK']);
      assert.match(ack.via[0]?.params.get('branch') ?? '', /^z9hG4bK/);
      assert.equal(manager.stats().clientTransactions, 0);
      await assert.rejects(manager.sendAck(request({ method: 'BYE' }), endpoint('udp')), TypeError);
    });
  });

  describe('CANCEL from the client (RFC 3261 §9.1)', () => {
    it('waits for a provisional response, then sends a CANCEL with the INVITE\'s branch in its own transaction', () => {
      const { manager, transport } = setup();
      const inviteUser = recordingClientUser();
      const cancelUser = recordingClientUser();
      const invite = manager.request(outgoingInvite(), endpoint('udp'), inviteUser) as InviteClientTransaction;
      assert.equal(manager.cancel(invite, cancelUser, [{ name: 'Reason', value: 'SIP;cause=487' }]), true);
      assert.equal(manager.cancel(invite, cancelUser), true, 'a second call adds nothing');
      assert.deepEqual(transport.summary(), ['INVITE'], '"the CANCEL request MUST NOT be sent" before a provisional response');
      manager.onMessage(received(response(invite.request, 180, 'b1')));
      assert.deepEqual(transport.summary(), ['INVITE', 'CANCEL']);
      manager.cancel(invite, cancelUser);
      assert.deepEqual(transport.summary(), ['INVITE', 'CANCEL'], 'one CANCEL per INVITE');
      const cancel = transport.lastRequest('CANCEL');
      assert.equal(cancel.via[0]?.params.get('branch'), invite.branch);
      assert.deepEqual(cancel.cseq, { seq: invite.request.cseq.seq, method: 'CANCEL' });
      assert.deepEqual(cancel.headers, [{ name: 'Reason', value: 'SIP;cause=487' }]);
      assert.equal(cancel.to.params.has('tag'), false, 'To as in the INVITE, without the response\'s tag');
      manager.onMessage(received(response(cancel, 200, 'b1')));
      manager.onMessage(received(response(invite.request, 487, 'b1')));
      assert.deepEqual(cancelUser.responses.map((r) => r.status), [200]);
      assert.deepEqual(inviteUser.responses.map((r) => r.status), [180, 487]);
      assert.deepEqual(transport.summary(), ['INVITE', 'CANCEL', 'ACK']);
    });

    it('Timer C: an INVITE left ringing for 180 s is CANCELled; its TU gets the 487', () => {
      const { manager, transport, clock } = setup();
      const tu = recordingClientUser();
      const invite = manager.request(outgoingInvite(), endpoint('udp'), tu) as InviteClientTransaction;
      manager.onMessage(received(response(invite.request, 180, 'b1')));
      clock.advance(180_000);
      assert.deepEqual(transport.summary(), ['INVITE', 'CANCEL']);
      manager.onMessage(received(response(transport.lastRequest('CANCEL'), 200, 'b1')));
      manager.onMessage(received(response(invite.request, 487, 'b1')));
      assert.deepEqual(tu.responses.map((r) => r.status), [180, 487]);
      assert.deepEqual(transport.summary(), ['INVITE', 'CANCEL', 'ACK']);
    });

    it('does not send a CANCEL once a final response has arrived', () => {
      const { manager, transport } = setup();
      const invite = manager.request(outgoingInvite(), endpoint('tcp'), recordingClientUser()) as InviteClientTransaction;
      const pendingUser = recordingClientUser();
      assert.equal(manager.cancel(invite, pendingUser), true);
      manager.onMessage(received(response(invite.request, 486, 'b1'), 'tcp'));
      assert.equal(manager.cancel(invite, recordingClientUser()), false);
      assert.deepEqual(transport.summary(), ['INVITE', 'ACK']);
    });
  });

  describe('server side (RFC 3261 §17.2, §17.2.3)', () => {
    it('passes a new request to the TU in a new server transaction and absorbs its retransmissions', () => {
      const { manager, transport, user, clock } = setup();
      const invite = request({ method: 'INVITE', branch: 'z9hG4bKin1' });
      manager.onMessage(received(invite));
      assert.equal(user.requests.length, 1);
      const transaction = user.requests[0];
      assert.ok(transaction instanceof InviteServerTransaction);
      clock.advance(200);
      manager.onMessage(received(retransmission(invite)));
      assert.equal(user.requests.length, 1);
      assert.deepEqual(transport.summary(), ['100', '100']);
      const options = request({ method: 'OPTIONS', branch: 'z9hG4bKin2' });
      manager.onMessage(received(options));
      assert.ok(user.requests[1] instanceof NonInviteServerTransaction);
      assert.equal(manager.stats().serverTransactions, 2);
    });

    it('tells transactions apart by sent-by and method as well as branch', () => {
      const { manager, user } = setup();
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKsame' })));
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKsame', viaHost: 'other.example.com' })));
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKsame', viaPort: 5070 })));
      manager.onMessage(received(request({ method: 'OPTIONS', branch: 'z9hG4bKsame' })));
      assert.equal(user.requests.length, 4);
    });

    it('routes the ACK of a non-2xx to the INVITE transaction and the ACK of a 2xx to the TU', () => {
      const { manager, user } = setup((transaction) => {
        if (transaction.request.cseq.seq === 1) transaction.respond(response(transaction.request, 486, 'uas'));
        else transaction.respond(response(transaction.request, 200, 'uas'));
      });
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKbusy', seq: 1 })));
      const busy = user.requests[0] as InviteServerTransaction;
      manager.onMessage(received(request({ method: 'ACK', branch: 'z9hG4bKbusy', seq: 1, toTag: 'uas' })));
      assert.equal(busy.state, 'confirmed');
      assert.equal(user.acks.length, 0);
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKok', seq: 2 })));
      const ok = user.requests[1] as InviteServerTransaction;
      assert.equal(ok.state, 'accepted');
      manager.onMessage(received(request({ method: 'ACK', branch: 'z9hG4bKnew', seq: 2, toTag: 'uas' })));
      manager.onMessage(received(request({ method: 'ACK', branch: 'z9hG4bKok', seq: 2, toTag: 'uas' })));
      assert.equal(user.acks.length, 2, 'a new-branch 2xx ACK, and one matching the Accepted transaction (RFC 6026: "ACK / to TU")');
      assert.equal(ok.state, 'accepted');
    });

    it('RFC 2543 peers (no magic cookie): matches retransmissions and the ACK by Request-URI, tags, Call-ID, CSeq and top Via', () => {
      const { manager, user, transport } = setup((transaction) => transaction.respond(response(transaction.request, 404, 'uas')));
      const invite = request({ method: 'INVITE', branch: '1234abcd' });
      manager.onMessage(received(invite));
      manager.onMessage(received(retransmission(invite)));
      assert.equal(user.requests.length, 1);
      assert.deepEqual(transport.summary(), ['404', '404']);
      const wrongTagAck = request({ method: 'ACK', branch: '1234abcd', toTag: 'not-ours' });
      manager.onMessage(received(wrongTagAck));
      assert.equal(user.acks.length, 1, 'an ACK whose To tag is not the response\'s is not this transaction\'s');
      const ack = request({ method: 'ACK', branch: '1234abcd', toTag: 'uas' });
      manager.onMessage(received(ack));
      assert.equal((user.requests[0] as InviteServerTransaction).state, 'confirmed');
      const noBranch = request({ method: 'INVITE', seq: 7 });
      manager.onMessage(received(noBranch));
      manager.onMessage(received(retransmission(noBranch)));
      assert.equal(user.requests.length, 2);
    });

    it('RFC 2543 peers: a re-INVITE with a To tag is still matched by it after the final response (the transaction keeps the tag, not the request)', () => {
      const { manager, user, transport } = setup((transaction) => transaction.respond(response(transaction.request, 491)));
      const reinvite = request({ method: 'INVITE', branch: '5678efgh', toTag: 'dialog-tag-of-some-length' });
      manager.onMessage(received(reinvite));
      manager.onMessage(received(retransmission(reinvite)));
      assert.equal(user.requests.length, 1);
      assert.deepEqual(transport.summary(), ['491', '491']);
      const otherDialog = request({ method: 'INVITE', branch: '5678efgh', toTag: 'another-dialog-tag' });
      manager.onMessage(received(otherDialog));
      assert.equal(user.requests.length, 2, 'a different To tag is another request');
    });

    it('forgets a server transaction when it terminates', () => {
      const { manager, user } = setup((transaction) => transaction.respond(response(transaction.request, 200)));
      const options = request({ method: 'OPTIONS', branch: 'z9hG4bKo' });
      manager.onMessage(received(options, 'tcp'));
      assert.equal(manager.stats().serverTransactions, 0);
      manager.onMessage(received(retransmission(options), 'tcp'));
      assert.equal(user.requests.length, 2, 'after Timer J (0 over TCP) a copy is a new request');
    });
  });

  describe('CANCEL at the server (RFC 3261 §9.2)', () => {
    function ringing() {
      const context = setup((transaction) => {
        if (transaction.request.method === 'INVITE') transaction.respond(response(transaction.request, 180, 'uas'));
      });
      const invite = request({ method: 'INVITE', branch: 'z9hG4bKring' });
      context.manager.onMessage(received(invite));
      return { ...context, invite, transaction: context.user.requests[0] as InviteServerTransaction };
    }

    it('answers a matching CANCEL with 200 (To tag of the INVITE\'s response) and hands the INVITE to the TU once', () => {
      const { manager, user, transport, transaction } = ringing();
      const cancel = request({ method: 'CANCEL', branch: 'z9hG4bKring' });
      manager.onMessage(received(cancel));
      assert.equal(user.cancels.length, 1);
      assert.equal(user.cancels[0]?.invite, transaction);
      const ok = transport.lastResponse();
      assert.equal(ok.status, 200);
      assert.equal(ok.cseq.method, 'CANCEL');
      assert.equal(ok.to.params.get('tag'), 'uas');
      transaction.respond(response(transaction.request, 487, 'uas'));
      manager.onMessage(received(retransmission(cancel)));
      assert.equal(user.cancels.length, 1, 'a CANCEL retransmission is absorbed by its own transaction');
      assert.deepEqual(transport.summary(), ['180', '200', '487', '200']);
      assert.equal(user.requests.length, 1, 'the CANCEL itself is not a new request for the TU');
    });

    it('answers 200 but does not disturb an INVITE that already has a final response', () => {
      const { manager, user, transport, transaction } = ringing();
      transaction.respond(response(transaction.request, 486, 'uas'));
      manager.onMessage(received(request({ method: 'CANCEL', branch: 'z9hG4bKring' })));
      assert.equal(user.cancels.length, 0);
      assert.equal(transport.lastResponse().status, 200);
    });

    it('answers an unmatched CANCEL with 481 and counts it', () => {
      const { manager, user, transport } = ringing();
      manager.onMessage(received(request({ method: 'CANCEL', branch: 'z9hG4bKnothing' })));
      const answer = transport.lastResponse();
      assert.equal(answer.status, 481);
      assert.ok(answer.to.params.get('tag'));
      assert.equal(user.cancels.length, 0);
      assert.equal(manager.stats().unmatchedCancels, 1);
    });
  });

  describe('robustness', () => {
    it('drops and counts a request without Via; nothing escapes onMessage', () => {
      const { manager, user } = setup(() => {
        throw new Error('TU bug');
      });
      const broken = request({ method: 'OPTIONS', branch: 'z9hG4bKb' });
      broken.via = [];
      manager.onMessage(received(broken));
      assert.equal(manager.stats().malformedDropped, 1);
      manager.onMessage(received(request({ method: 'OPTIONS', branch: 'z9hG4bKthrows' })));
      assert.equal(user.requests.length, 1);
    });

    it('close() ends every transaction, stops every timer, is idempotent, and refuses new work', () => {
      const { manager, clock } = setup();
      const tu = recordingClientUser();
      manager.request(outgoingInvite(), endpoint('udp'), tu);
      manager.onMessage(received(request({ method: 'INVITE', branch: 'z9hG4bKc' })));
      manager.close();
      manager.close();
      assert.equal(clock.pending(), 0);
      assert.equal(tu.terminated, 1);
      assert.deepEqual(manager.stats(), { clientTransactions: 0, serverTransactions: 0, strayResponses: 0, unmatchedCancels: 0, malformedDropped: 0 });
      assert.throws(() => manager.request(outgoingInvite(), endpoint('udp'), tu), /closed/);
    });
  });
});
