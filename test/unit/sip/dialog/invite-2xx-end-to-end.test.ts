import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../../src/kernel/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import { Dialog, DialogRegistry, Invite2xxRetransmitter, UacDialogSet } from '../../../../src/sip/dialog/index.js';
import { TransactionManager, type InviteServerTransaction } from '../../../../src/sip/transaction/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { nameAddr, request, uri } from '../transaction/messages.js';
import { Link } from './linked-transports.js';

/**
 * A UAC and a UAS, each a TransactionManager with a small UA core on top, over a lossy in-memory link:
 * the 2xx to INVITE is retransmitted by the UAS core until the ACK (RFC 3261 §13.3.1.4), every 2xx that
 * reaches the UAC is passed up by the INVITE client transaction in its Accepted state (RFC 6026) and
 * acknowledged by the UAC core (§13.2.2.4), then BYE ends the dialog.
 */
function call() {
  const clock = new FakeClock();
  const link = new Link(clock);
  const uasDialogs = new DialogRegistry();
  let retransmitter: Invite2xxRetransmitter | undefined;
  let ackTimeouts = 0;

  const uas = new TransactionManager({
    transport: link.b,
    clock,
    logger: silentLogger,
    user: {
      onRequest(transaction) {
        const incoming = transaction.request;
        const routed = uasDialogs.dispatch(incoming);
        if (routed.kind === 'dialog') {
          transaction.respond(createResponse(incoming, routed.verdict.accept ? 200 : routed.verdict.status));
          return;
        }
        if (incoming.method !== 'INVITE') {
          transaction.respond(createResponse(incoming, 481, undefined, { toTag: 'x' }));
          return;
        }
        const invite = transaction as InviteServerTransaction;
        const ok = createResponse(incoming, 200, undefined, { toTag: 'uas-tag' });
        ok.contact = [nameAddr(uri('bob', '198.51.100.20'))];
        uasDialogs.add(Dialog.fromUasResponse(incoming, ok));
        invite.respond(ok);
        retransmitter = new Invite2xxRetransmitter({
          clock,
          timers: uas.timers,
          retransmit: () => invite.respond(ok),
          onAckTimeout: () => {
            ackTimeouts++;
          },
        });
        retransmitter.start();
      },
      onAck(ack) {
        const routed = uasDialogs.dispatch(ack.message as SipRequest);
        if (routed.kind === 'dialog') retransmitter?.ackReceived();
      },
      onCancel() {},
    },
  });
  link.b.listener = uas;

  const uacResponses: number[] = [];
  const offer = request({ method: 'INVITE', fromTag: 'uac-tag' });
  offer.via = [];
  offer.contact = [nameAddr(uri('alice', '192.0.2.10'))];
  const dialogs = new UacDialogSet(offer);
  const uac = new TransactionManager({
    transport: link.a,
    clock,
    logger: silentLogger,
    user: { onRequest() {}, onAck() {}, onCancel() {} },
  });
  link.a.listener = uac;
  const destination = link.b.local;
  const onInviteResponse = (response: SipResponse): void => {
    uacResponses.push(response.status);
    const dialog = dialogs.receiveResponse(response);
    // RFC 3261 §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
    // transaction layer."
    if (dialog !== undefined && response.status < 300) void uac.sendAck(dialog.ackFor(offer), destination);
  };
  uac.request(offer, destination, { onResponse: onInviteResponse });
  return { clock, link, uac, uas, dialogs, uacResponses, ackTimeouts: () => ackTimeouts, uasDialogs, destination };
}

describe('INVITE 2xx and its ACK, end to end (RFC 3261 §13.2.2.4, §13.3.1.4, RFC 6026)', () => {
  it('a lossless call: one 200, one ACK, no retransmission', () => {
    const { clock, link, dialogs } = call();
    clock.advance(10_000);
    assert.deepEqual(link.ladder(), ['a:INVITE@0', 'b:200 INVITE@10', 'a:ACK@20']);
    assert.equal(dialogs.confirmed().length, 1);
  });

  it('lost 2xx: the UAS retransmits at T1, 2*T1…; the ACK for the one that arrives stops it', () => {
    const { clock, link, uacResponses, ackTimeouts } = call();
    let lost = 0;
    link.drop = (message) => message.kind === 'response' && message.status === 200 && lost++ < 2;
    clock.advance(40_000);
    assert.deepEqual(link.ladder(), [
      'a:INVITE@0',
      'b:200 INVITE@10 ✗',
      'a:INVITE@500',
      'b:200 INVITE@510 ✗',
      'a:INVITE@1500', // Timer A: still Calling at the UAC; absorbed by the UAS's Accepted state
      'b:200 INVITE@1510', // the UAS core's retransmission (T1 then 2*T1 after the first 2xx)
      'a:ACK@1520',
    ]);
    assert.deepEqual(uacResponses, [200]);
    assert.equal(ackTimeouts(), 0);
  });

  it('lost ACK: the retransmitted 2xx reaches the UAC core through the Accepted state and is ACKed again', () => {
    const { clock, link, uacResponses, ackTimeouts } = call();
    let lost = 0;
    link.drop = (message) => message.kind === 'request' && message.method === 'ACK' && lost++ < 1;
    clock.advance(40_000);
    assert.deepEqual(link.ladder(), ['a:INVITE@0', 'b:200 INVITE@10', 'a:ACK@20 ✗', 'b:200 INVITE@510', 'a:ACK@520']);
    assert.deepEqual(uacResponses, [200, 200]);
    const acks = link.sent.filter((message) => message.kind === 'request' && message.method === 'ACK');
    assert.equal(acks.length, 2);
    assert.equal(acks[0]?.via[0]?.params.get('branch'), acks[1]?.via[0]?.params.get('branch'), 'the same ACK again');
    assert.notEqual(acks[0]?.via[0]?.params.get('branch'), link.sent[0]?.via[0]?.params.get('branch'), 'not the INVITE\'s branch');
    assert.equal(ackTimeouts(), 0);
  });

  it('no ACK ever: retransmissions for 64*T1, then the UAS core is told', () => {
    const { clock, link, ackTimeouts } = call();
    link.drop = (message) => message.kind === 'request' && message.method === 'ACK';
    clock.advance(40_000);
    assert.equal(link.ladder().filter((line) => line.startsWith('b:200')).length, 11);
    assert.equal(ackTimeouts(), 1);
  });

  it('BYE in the dialog ends it on both sides; a second BYE gets 481', async () => {
    const { clock, link, uac, dialogs, uasDialogs, destination } = call();
    clock.advance(1_000);
    const dialog = dialogs.confirmed()[0];
    assert.ok(dialog);
    const byeResponses: number[] = [];
    const bye = dialog.createRequest('BYE');
    uac.request(bye, destination, {
      onResponse: (response) => {
        byeResponses.push(response.status);
        dialog.receiveResponse(bye, response);
      },
    });
    clock.advance(1_000);
    assert.deepEqual(byeResponses, [200]);
    assert.equal(dialog.state, 'terminated');
    assert.equal(uasDialogs.size, 0);
    const again = request({ method: 'BYE', fromTag: 'uac-tag', toTag: 'uas-tag', seq: bye.cseq.seq + 1 });
    again.via = [];
    uac.request(again, destination, { onResponse: (response) => byeResponses.push(response.status) });
    clock.advance(1_000);
    assert.deepEqual(byeResponses, [200, 481]);
    assert.deepEqual(link.ladder().slice(-4), ['a:BYE@1000', 'b:200 BYE@1010', 'a:BYE@2000', 'b:481 BYE@2010']);
  });
});
