import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { NameAddr, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import { Dialog } from '../../../../src/sip/dialog/index.js';
import { nameAddr, request, uri } from '../transaction/messages.js';

const aliceContact = nameAddr(uri('alice', '192.0.2.10'));
const bobContact = nameAddr(uri('bob', '192.0.2.4'));
const p1 = nameAddr(uri('', 'p1.example.com', [['lr', null]]));
const p2 = nameAddr(uri('', 'p2.example.com', [['lr', null]]));

function invite(): SipRequest {
  const message = request({ method: 'INVITE', branch: 'z9hG4bKd1', seq: 101, fromTag: 'alice-tag' });
  message.contact = [aliceContact];
  return message;
}

/** A response as it arrives at the UAC, Record-Route as the proxies left it (p1 nearest the UAS … as listed). */
function answer(to: SipRequest, status: number, tag: string | undefined, options: { contact?: NameAddr; recordRoute?: NameAddr[] } = {}): SipResponse {
  const response = createResponse(to, status, undefined, tag === undefined ? {} : { toTag: tag });
  if (options.contact !== undefined) response.contact = [options.contact];
  if (options.recordRoute !== undefined) response.recordRoute = options.recordRoute;
  return response;
}

function uacDialog(status = 200): { dialog: Dialog; invite: SipRequest } {
  const offer = invite();
  const dialog = Dialog.fromUacResponse(offer, answer(offer, status, 'bob-tag', { contact: bobContact, recordRoute: [p2, p1] }));
  assert.ok(dialog);
  return { dialog, invite: offer };
}

describe('Dialog (RFC 3261 §12)', () => {
  describe('UAC construction (§12.1.2)', () => {
    it('a 180 with a To tag creates an early dialog: ID, URIs, target from Contact, Record-Route reversed, CSeq', () => {
      const { dialog, invite: offer } = uacDialog(180);
      assert.equal(dialog.state, 'early');
      assert.deepEqual(dialog.id, { callId: offer.callId, localTag: 'alice-tag', remoteTag: 'bob-tag' });
      assert.equal(dialog.localUri.uri.user, 'alice');
      assert.equal(dialog.localUri.params.has('tag'), false);
      assert.equal(dialog.remoteUri.uri.user, 'bob');
      assert.equal(dialog.remoteTarget.host, '192.0.2.4');
      assert.deepEqual(dialog.routeSet.map((route) => route.host), ['p1.example.com', 'p2.example.com']);
      assert.equal(dialog.localSeq, 101);
      assert.equal(dialog.remoteSeq, undefined);
      assert.equal(dialog.secure, false);
    });

    it('a 2xx creates it confirmed', () => {
      assert.equal(uacDialog(200).dialog.state, 'confirmed');
    });

    it('no dialog from a 100, a response without To tag, or a final non-2xx', () => {
      const offer = invite();
      assert.equal(Dialog.fromUacResponse(offer, answer(offer, 100, 'x')), undefined);
      assert.equal(Dialog.fromUacResponse(offer, answer(offer, 180, undefined)), undefined);
      assert.equal(Dialog.fromUacResponse(offer, answer(offer, 486, 'x')), undefined);
    });

    it('the 2xx confirms an early dialog and recomputes route set and remote target from it (§13.2.2.4)', () => {
      const { dialog, invite: offer } = uacDialog(180);
      const moved = nameAddr(uri('bob', '192.0.2.99'));
      dialog.receiveResponse(offer, answer(offer, 200, 'bob-tag', { contact: moved, recordRoute: [p1] }));
      assert.equal(dialog.state, 'confirmed');
      assert.equal(dialog.remoteTarget.host, '192.0.2.99');
      assert.deepEqual(dialog.routeSet.map((route) => route.host), ['p1.example.com']);
    });

    it('a non-2xx final response to the INVITE ends the early dialog (§12.3)', () => {
      const { dialog, invite: offer } = uacDialog(183);
      dialog.receiveResponse(offer, answer(offer, 480, 'bob-tag'));
      assert.equal(dialog.state, 'terminated');
    });

    it('secure only for a sips: Request-URI over TLS', () => {
      const offer = invite();
      offer.uri = { ...offer.uri, scheme: 'sips' };
      assert.equal(Dialog.fromUacResponse(offer, answer(offer, 200, 't', { contact: bobContact }), { secure: true })?.secure, true);
      assert.equal(Dialog.fromUacResponse(invite(), answer(invite(), 200, 't', { contact: bobContact }), { secure: true })?.secure, false);
    });
  });

  describe('UAS construction (§12.1.1)', () => {
    function uasDialog(): Dialog {
      const incoming = invite();
      incoming.recordRoute = [p1, p2];
      const ok = createResponse(incoming, 200, undefined, { toTag: 'bob-tag' });
      ok.contact = [bobContact];
      return Dialog.fromUasResponse(incoming, ok);
    }

    it('takes Record-Route in order, the remote target from the request Contact, the remote CSeq from the request', () => {
      const dialog = uasDialog();
      assert.deepEqual(dialog.id, { callId: invite().callId, localTag: 'bob-tag', remoteTag: 'alice-tag' });
      assert.deepEqual(dialog.routeSet.map((route) => route.host), ['p1.example.com', 'p2.example.com']);
      assert.equal(dialog.remoteTarget.host, '192.0.2.10');
      assert.equal(dialog.remoteSeq, 101);
      assert.equal(dialog.localSeq, undefined);
      assert.equal(dialog.localUri.uri.user, 'bob');
      assert.equal(dialog.remoteUri.uri.user, 'alice');
      assert.equal(dialog.localContact?.uri.host, '192.0.2.4');
    });

    it('the first request picks a local CSeq below 2^31 (§8.1.1.5), the next ones increment it', () => {
      const dialog = uasDialog();
      const bye = dialog.createRequest('BYE');
      assert.ok(bye.cseq.seq >= 1 && bye.cseq.seq < 2 ** 31);
      assert.equal(dialog.createRequest('INFO').cseq.seq, bye.cseq.seq + 1);
      assert.equal(bye.to.params.get('tag'), 'alice-tag');
      assert.equal(bye.from.params.get('tag'), 'bob-tag');
      assert.equal(bye.uri.host, '192.0.2.10');
      assert.deepEqual(bye.route?.map((route) => route.uri.host), ['p1.example.com', 'p2.example.com']);
    });

    it('a 180 creates an early dialog that our 2xx confirms', () => {
      const incoming = invite();
      const ringing = createResponse(incoming, 180, undefined, { toTag: 'bob-tag' });
      const dialog = Dialog.fromUasResponse(incoming, ringing);
      assert.equal(dialog.state, 'early');
      assert.equal(dialog.localContact, undefined);
      dialog.confirm();
      assert.equal(dialog.state, 'confirmed');
      dialog.terminate();
      dialog.confirm();
      assert.equal(dialog.state, 'terminated');
    });

    it('an RFC 2543 UAC without From tag gets a dialog whose remote tag is empty, and requests without To tag', () => {
      const incoming = invite();
      incoming.from.params.delete('tag');
      const ok = createResponse(incoming, 200, undefined, { toTag: 'bob-tag' });
      const dialog = Dialog.fromUasResponse(incoming, ok);
      assert.equal(dialog.id.remoteTag, '');
      assert.equal(dialog.createRequest('BYE').to.params.has('tag'), false);
    });

    it('requires the UAS\'s To tag and a 101-299 status', () => {
      const incoming = invite();
      assert.throws(() => Dialog.fromUasResponse(incoming, createResponse(incoming, 200)), TypeError);
      assert.throws(() => Dialog.fromUasResponse(incoming, createResponse(incoming, 486, undefined, { toTag: 'x' })), RangeError);
    });
  });

  describe('requests within the dialog (§12.2.1.1)', () => {
    it('BYE, INFO, OPTIONS: tags, Call-ID, CSeq incremented by one each, no Via yet, no Contact', () => {
      const { dialog, invite: offer } = uacDialog();
      const methods = ['BYE', 'INFO', 'OPTIONS'];
      const built = methods.map((method) => dialog.createRequest(method));
      assert.deepEqual(built.map((r) => r.cseq), [
        { seq: 102, method: 'BYE' },
        { seq: 103, method: 'INFO' },
        { seq: 104, method: 'OPTIONS' },
      ]);
      for (const r of built) {
        assert.equal(r.callId, offer.callId);
        assert.equal(r.from.params.get('tag'), 'alice-tag');
        assert.equal(r.to.params.get('tag'), 'bob-tag');
        assert.deepEqual(r.via, []);
        assert.equal(r.contact, undefined);
        assert.equal(r.maxForwards, 70);
      }
      assert.equal(dialog.localSeq, 104);
    });

    it('re-INVITE and UPDATE carry our Contact (target refresh) and the body given', () => {
      const { dialog } = uacDialog();
      const reinvite = dialog.createRequest('INVITE', { body: Buffer.from('v=0\r\n'), contentType: 'application/sdp' });
      const update = dialog.createRequest('UPDATE');
      assert.equal((reinvite.contact?.[0] as NameAddr).uri.host, '192.0.2.10');
      assert.equal((update.contact?.[0] as NameAddr).uri.host, '192.0.2.10');
      assert.equal(reinvite.contentType, 'application/sdp');
      assert.equal(reinvite.body.toString(), 'v=0\r\n');
    });

    it('empty route set: Request-URI = remote target, no Route', () => {
      const offer = invite();
      const dialog = Dialog.fromUacResponse(offer, answer(offer, 200, 't', { contact: bobContact }));
      const bye = dialog?.createRequest('BYE');
      assert.equal(bye?.uri.host, '192.0.2.4');
      assert.equal(bye?.route, undefined);
    });

    it('loose routing (first route has ;lr): Request-URI = remote target, Route = the route set with its parameters', () => {
      const { dialog } = uacDialog();
      const bye = dialog.createRequest('BYE');
      assert.equal(bye.uri.host, '192.0.2.4');
      assert.deepEqual(bye.route?.map((route) => route.uri.host), ['p1.example.com', 'p2.example.com']);
      assert.ok(bye.route?.every((route) => route.uri.params.has('lr')));
    });

    it('strict routing (no ;lr): Request-URI = first route without method/headers, Route = the rest then the remote target', () => {
      const offer = invite();
      const strict = nameAddr(uri('', 'strict.example.com', [['method', 'INVITE'], ['transport', 'tcp']]));
      strict.uri.headers = [['Subject', 'x']];
      const dialog = Dialog.fromUacResponse(offer, answer(offer, 200, 't', { contact: bobContact, recordRoute: [p2, strict] }));
      const bye = dialog?.createRequest('BYE');
      assert.equal(bye?.uri.host, 'strict.example.com');
      assert.equal(bye?.uri.params.get('transport'), 'tcp');
      assert.equal(bye?.uri.params.has('method'), false);
      assert.deepEqual(bye?.uri.headers, []);
      assert.deepEqual(bye?.route?.map((route) => route.uri.host), ['p2.example.com', '192.0.2.4']);
      assert.deepEqual(dialog?.routeSet[0]?.params.get('method'), 'INVITE', 'the route set itself is untouched');
    });

    it('refuses ACK and CANCEL, and any request once terminated', () => {
      const { dialog } = uacDialog();
      assert.throws(() => dialog.createRequest('ACK'), TypeError);
      assert.throws(() => dialog.createRequest('CANCEL'), TypeError);
      dialog.terminate();
      assert.throws(() => dialog.createRequest('BYE'), TypeError);
    });
  });

  describe('the ACK of a 2xx (§13.2.2.4)', () => {
    it('has the INVITE\'s CSeq number with method ACK, does not use up a CSeq, routes like any in-dialog request, keeps credentials', () => {
      const { dialog, invite: offer } = uacDialog();
      offer.headers.push({ name: 'Proxy-Authorization', value: 'Digest username="alice"' }, { name: 'Subject', value: 'no' });
      const ack = dialog.createAck(offer);
      assert.deepEqual(ack.cseq, { seq: 101, method: 'ACK' });
      assert.equal(dialog.localSeq, 101);
      assert.equal(ack.uri.host, '192.0.2.4');
      assert.deepEqual(ack.route?.map((route) => route.uri.host), ['p1.example.com', 'p2.example.com']);
      assert.deepEqual(ack.headers, [{ name: 'Proxy-Authorization', value: 'Digest username="alice"' }]);
      assert.equal(ack.to.params.get('tag'), 'bob-tag');
      const reinvite = dialog.createRequest('INVITE');
      assert.deepEqual(dialog.createAck(reinvite).cseq, { seq: 102, method: 'ACK' });
      assert.throws(() => dialog.createAck(dialog.createRequest('BYE')), TypeError);
    });

    it('ackFor gives the same ACK for every 2xx of one INVITE, and a new one for the next INVITE', () => {
      const { dialog, invite: offer } = uacDialog();
      const first = dialog.ackFor(offer, { body: Buffer.from('answer'), contentType: 'application/sdp' });
      assert.equal(dialog.ackFor(offer), first);
      assert.equal(first.body.toString(), 'answer');
      const reinvite = dialog.createRequest('INVITE');
      dialog.receiveResponse(reinvite, answer(reinvite, 200, 'bob-tag'));
      const second = dialog.ackFor(reinvite);
      assert.notEqual(second, first);
      assert.equal(second.cseq.seq, reinvite.cseq.seq);
    });
  });

  describe('requests received in the dialog (§12.2.2)', () => {
    function peerRequest(method: string, seq: number, contact?: NameAddr): SipRequest {
      const message = request({ method, seq, fromTag: 'bob-tag', toTag: 'alice-tag' });
      if (contact !== undefined) message.contact = [contact];
      return message;
    }

    it('an empty remote CSeq takes the first request\'s; lower is rejected with 500; higher is in order', () => {
      const { dialog } = uacDialog();
      assert.deepEqual(dialog.receiveRequest(peerRequest('INFO', 5000)), { accept: true });
      assert.equal(dialog.remoteSeq, 5000);
      assert.deepEqual(dialog.receiveRequest(peerRequest('INFO', 4999)), { accept: false, status: 500, reason: 'CSeq out of order', headers: [] });
      assert.equal(dialog.remoteSeq, 5000);
      assert.deepEqual(dialog.receiveRequest(peerRequest('OPTIONS', 5007)), { accept: true });
      assert.equal(dialog.remoteSeq, 5007);
    });

    it('ACK and CANCEL are outside the ordering', () => {
      const { dialog } = uacDialog();
      dialog.receiveRequest(peerRequest('INVITE', 10));
      dialog.receiveRequest(peerRequest('INFO', 11));
      assert.deepEqual(dialog.receiveRequest(peerRequest('ACK', 10)), { accept: true });
      assert.equal(dialog.remoteSeq, 11);
    });

    it('a target refresh (re-INVITE, UPDATE) replaces the remote target; other methods do not', () => {
      const { dialog } = uacDialog();
      dialog.receiveRequest(peerRequest('INFO', 1, nameAddr(uri('bob', '203.0.113.1'))));
      assert.equal(dialog.remoteTarget.host, '192.0.2.4');
      dialog.receiveRequest(peerRequest('INVITE', 2, nameAddr(uri('bob', '203.0.113.2'))));
      assert.equal(dialog.remoteTarget.host, '203.0.113.2');
      dialog.receiveRequest(peerRequest('UPDATE', 3, nameAddr(uri('bob', '203.0.113.3'))));
      assert.equal(dialog.remoteTarget.host, '203.0.113.3');
    });

    it('a BYE terminates the dialog', () => {
      const { dialog } = uacDialog();
      dialog.receiveRequest(peerRequest('BYE', 1));
      assert.equal(dialog.state, 'terminated');
    });
  });

  describe('re-INVITE glare (§14.1, §14.2)', () => {
    function peerInvite(seq: number): SipRequest {
      return request({ method: 'INVITE', seq, fromTag: 'bob-tag', toTag: 'alice-tag' });
    }

    it('a peer INVITE while ours is in progress gets 491; after our final response it is accepted', () => {
      const { dialog } = uacDialog();
      const reinvite = dialog.createRequest('INVITE');
      assert.deepEqual(dialog.receiveRequest(peerInvite(20)), { accept: false, status: 491, reason: 'Request Pending', headers: [] });
      assert.equal(dialog.remoteSeq, undefined, 'a refused request does not move the remote CSeq');
      dialog.receiveResponse(reinvite, answer(reinvite, 200, 'bob-tag'));
      assert.deepEqual(dialog.receiveRequest(peerInvite(20)), { accept: true });
    });

    it('a second peer INVITE before we answered the first gets 500 with Retry-After 0-10 s; inviteAnswered() clears it', () => {
      const { dialog } = uacDialog();
      assert.deepEqual(dialog.receiveRequest(peerInvite(20)), { accept: true });
      const second = dialog.receiveRequest(peerInvite(21));
      assert.equal(second.accept, false);
      if (second.accept) return;
      assert.equal(second.status, 500);
      const retryAfter = Number(second.headers.find((field) => field.name === 'Retry-After')?.value);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 0 && retryAfter <= 10);
      assert.throws(() => dialog.createRequest('INVITE'), /in progress/, 'nor may we start one (§14.1)');
      dialog.inviteAnswered();
      assert.deepEqual(dialog.receiveRequest(peerInvite(22)), { accept: true });
    });

    it('no re-INVITE of ours while the initial INVITE of an early dialog is unanswered, nor while our re-INVITE is', () => {
      const { dialog, invite: offer } = uacDialog(180);
      assert.throws(() => dialog.createRequest('INVITE'), /in progress/);
      dialog.receiveResponse(offer, answer(offer, 200, 'bob-tag', { contact: bobContact }));
      const reinvite = dialog.createRequest('INVITE');
      assert.throws(() => dialog.createRequest('INVITE'), /in progress/);
      dialog.receiveResponse(reinvite, answer(reinvite, 488, 'bob-tag'));
      assert.equal(dialog.createRequest('INVITE').cseq.method, 'INVITE');
    });

    it('a 491 retry waits 2.1-4 s for the Call-ID owner (the UAC), 0-2 s for the other side, in 10 ms units', () => {
      const { dialog } = uacDialog();
      const incoming = invite();
      const ok = createResponse(incoming, 200, undefined, { toTag: 'bob-tag' });
      const uas = Dialog.fromUasResponse(incoming, ok);
      for (let i = 0; i < 200; i++) {
        const owner = dialog.glareRetryDelay();
        const other = uas.glareRetryDelay();
        assert.ok(owner >= 2100 && owner <= 4000 && owner % 10 === 0);
        assert.ok(other >= 0 && other <= 2000 && other % 10 === 0);
      }
    });
  });

  describe('responses to our in-dialog requests (§12.2.1.2)', () => {
    it('a 2xx to a re-INVITE or UPDATE replaces the remote target; to INFO it does not', () => {
      const { dialog } = uacDialog();
      const info = dialog.createRequest('INFO');
      dialog.receiveResponse(info, answer(info, 200, 'bob-tag', { contact: nameAddr(uri('bob', '203.0.113.9')) }));
      assert.equal(dialog.remoteTarget.host, '192.0.2.4');
      const reinvite = dialog.createRequest('INVITE');
      dialog.receiveResponse(reinvite, answer(reinvite, 200, 'bob-tag', { contact: nameAddr(uri('bob', '203.0.113.10')) }));
      assert.equal(dialog.remoteTarget.host, '203.0.113.10');
      const update = dialog.createRequest('UPDATE');
      dialog.receiveResponse(update, answer(update, 488, 'bob-tag', { contact: nameAddr(uri('bob', '203.0.113.11')) }));
      assert.equal(dialog.remoteTarget.host, '203.0.113.10', 'only a 2xx refreshes the target');
      assert.equal(dialog.state, 'confirmed');
    });

    for (const status of [481, 408]) {
      it(`a ${status} terminates the dialog`, () => {
        const { dialog } = uacDialog();
        const options = dialog.createRequest('OPTIONS');
        dialog.receiveResponse(options, answer(options, status, 'bob-tag'));
        assert.equal(dialog.state, 'terminated');
      });
    }

    it('a final response to our BYE terminates the dialog', () => {
      const { dialog } = uacDialog();
      const bye = dialog.createRequest('BYE');
      dialog.receiveResponse(bye, answer(bye, 200, 'bob-tag'));
      assert.equal(dialog.state, 'terminated');
    });
  });
});
