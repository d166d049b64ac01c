/**
 * Issue 8 (RSS per idle bridged call): an answered inbound call may last hours. What the call layer
 * keeps of its INVITE for that long is the InboundInvite (From, To, the SIP facts the webhooks carry),
 * not the parsed INVITE nor its text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inboundInvite } from '../../../../src/call/adapters/inbound-calls.js';
import { SipLeg } from '../../../../src/call/adapters/sip-leg.js';
import { silentLogger } from '../../../../src/kernel/index.js';
import type { IncomingCall, SipCall, SipRequest } from '../../../../src/sip/index.js';
import { bytesInUseKeeping, collected, parsePadded } from '../../../support/retained-memory.js';

const PAD = 16 * 2 ** 20;

function paddedInvite(): SipRequest {
  const message = parsePadded([
    'INVITE sip:+15551230000@pbx-with-a-long-name.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1',
    'From: "Alice Caller From Far Away" <sip:alice-the-caller@caller-domain.example.com>;tag=from-tag-0123456789',
    'To: <sip:+15551230000@pbx-with-a-long-name.example.com>',
    'Call-ID: a-call-id-long-enough-to-be-sliced@192.0.2.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.10:5060>',
    'X-Customer-Reference: customer-0123456789-abcdef',
  ], PAD, 'Subject');
  assert.ok(message.kind === 'request');
  return message;
}

test('the InboundInvite kept for the call keeps neither the parsed INVITE nor its text', async () => {
  const baseline = await bytesInUseKeeping(() => ({}));
  let invite: ReturnType<typeof inboundInvite> | undefined;
  const kept = await bytesInUseKeeping(() => (invite = inboundInvite(paddedInvite(), '192.0.2.10')));
  assert.equal(invite?.from, 'sip:alice-the-caller@caller-domain.example.com');
  assert.equal(invite.to, '+15551230000');
  assert.equal(invite.callerName, 'Alice Caller From Far Away');
  assert.deepEqual(invite.sip, {
    callId: 'a-call-id-long-enough-to-be-sliced@192.0.2.10',
    sourceIp: '192.0.2.10',
    domain: 'pbx-with-a-long-name.example.com',
    xHeaders: [{ name: 'X-Customer-Reference', value: 'customer-0123456789-abcdef' }],
  });
  assert.ok(kept - baseline < PAD / 4, `the InboundInvite keeps ${((kept - baseline) / 2 ** 20).toFixed(1)} MiB (the INVITE is ${PAD / 2 ** 20} MiB)`);
});

test('once answered, the SipLeg lets go of the IncomingCall and its INVITE; the SipCall goes on', async () => {
  const call = { isEnded: false, on: () => call } as unknown as SipCall;
  const answeredLeg = async (): Promise<{ leg: SipLeg; incomingRef: WeakRef<object> }> => {
    const incoming = {
      state: 'offered',
      request: paddedInvite(),
      on() {
        return this;
      },
      progress: () => undefined,
      accept: async () => call,
    };
    const leg = new SipLeg(incoming as unknown as IncomingCall, Buffer.from('v=0\r\n'), silentLogger);
    let answered = false;
    leg.onAnswered(() => (answered = true));
    await leg.answer();
    assert.equal(answered, true);
    return { leg, incomingRef: new WeakRef(incoming) };
  };
  const { leg, incomingRef } = await answeredLeg();
  assert.equal(await collected(incomingRef), true, 'the IncomingCall is let go once the call is answered');
  assert.equal(leg.call, call);
  leg.ring(); // nothing left to ring on: a no-op, not a throw
  leg.sessionProgress(Buffer.from('v=0\r\n'));
});
