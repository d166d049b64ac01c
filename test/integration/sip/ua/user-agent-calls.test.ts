import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../../../src/sip/message/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/index.js';
import type { CallProgress, SipCall } from '../../../../src/sip/ua/index.js';
import { answerSdp, caller, nextIncoming, offerSdp, startUa, uriOf } from './ua-helpers.js';

for (const protocol of ['udp', 'tcp', 'tls'] as TransportProtocol[]) {
  describe(`UserAgent to UserAgent over ${protocol}`, { timeout: 20_000 }, () => {
    it('call → 180 → 200 → ACK → BYE from the caller', async () => {
      const a = await startUa(protocol);
      const b = await startUa(protocol);
      try {
        const incoming = nextIncoming(b);
        const outgoing = a.invite({
          target: uriOf(b),
          from: caller(),
          body: offerSdp,
          headers: [{ name: 'X-Account', value: 'AC123' }, { name: 'User-to-User', value: '56a390f3d2b7310023a2;encoding=hex' }],
        });
        const progress: CallProgress[] = [];
        outgoing.on('progress', (p) => progress.push(p));
        const call = await incoming;
        assert.equal(call.request.method, 'INVITE');
        assert.deepEqual(call.remoteSdp, offerSdp);
        assert.equal(getHeader(call.request, 'X-Account'), 'AC123');
        assert.equal(getHeader(call.request, 'User-to-User'), '56a390f3d2b7310023a2;encoding=hex');
        const contact = call.request.contact?.[0];
        assert.ok(contact !== undefined && contact !== '*');
        assert.equal(contact.uri.port, a.endpoint.listening()[0]!.port);
        if (protocol !== 'udp') assert.equal(contact.uri.params.get('transport'), protocol);
        call.progress(180);
        const accepted = call.accept(answerSdp);
        const outcome = await outgoing.outcome;
        assert.equal(outcome.kind, 'answered');
        const callerSide = (outcome as { call: SipCall }).call;
        assert.deepEqual(callerSide.remoteSdp, answerSdp);
        assert.deepEqual(progress.map((p) => p.status), [180]);
        assert.equal(progress[0]!.dialog?.state, 'confirmed'); // the early dialog became the call's
        const calleeSide = await accepted; // resolves on the ACK
        assert.equal(calleeSide.awaitingAck, false);
        assert.equal(calleeSide.dialog.id.callId, callerSide.dialog.id.callId);
        const calleeEnded = calleeSide.ended;
        const end = await callerSide.bye();
        assert.deepEqual(end, { by: 'local', status: 200 });
        const remoteEnd = await calleeEnded;
        assert.equal(remoteEnd.by, 'remote');
        assert.equal(remoteEnd.request?.method, 'BYE');
        assert.equal(a.dialogCount, 0);
        assert.equal(b.dialogCount, 0);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('BYE from the callee ends the caller\'s call', async () => {
      const a = await startUa(protocol);
      const b = await startUa(protocol);
      try {
        const incoming = nextIncoming(b);
        const outgoing = a.invite({ target: uriOf(b), from: caller(), body: offerSdp });
        const calleeSide = await (await incoming).accept(answerSdp);
        const outcome = await outgoing.outcome;
        assert.equal(outcome.kind, 'answered');
        const callerSide = (outcome as { call: SipCall }).call;
        // A listener that throws is isolated: the next one still hears the event.
        callerSide.on('ended', () => {
          throw new Error('a faulty listener');
        });
        const heard = new Promise<string>((resolve) => callerSide.on('ended', (e) => resolve(e.by)));
        const end = await calleeSide.bye();
        assert.equal(end.status, 200);
        const remoteEnd = await callerSide.ended;
        assert.equal(remoteEnd.by, 'remote');
        assert.equal(await heard, 'remote');
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
