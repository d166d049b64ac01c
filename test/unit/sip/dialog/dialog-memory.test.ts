/**
 * Issue 8 (heap per call): a dialog lives as long as its call, and its ACK for the 64*T1 of Timer M. What
 * it copies from the response that made it (tags, Call-ID, Contact, Record-Route) must not keep that
 * response's text alive: V8 cuts substrings of 13 characters or more as slices of their parent string.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dialog } from '../../../../src/sip/dialog/index.js';
import { formatUri, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import { bytesInUseKeeping, parsePadded } from '../../../support/retained-memory.js';
import { request } from '../transaction/messages.js';

const PAD = 16 * 2 ** 20;

/** A 180 as received, its header section made large by a padding header. */
function received180(invite: SipRequest): SipResponse {
  const message = parsePadded([
    'SIP/2.0 180 Ringing',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd1',
    `From: <sip:alice@a.example.com>;tag=${invite.from.params.get('tag')}`,
    'To: <sip:bob@b.example.com>;tag=callee-tag-0123456789',
    `Call-ID: ${invite.callId}`,
    'CSeq: 101 INVITE',
    'Contact: <sip:bob-contact-user@198.51.100.20:5062;transport=udp>',
    'Record-Route: <sip:proxy-with-a-long-name.example.com;lr>',
  ], PAD);
  assert.ok(message.kind === 'response');
  return message;
}

test('a dialog made from a received 180, and its ACK, do not keep the 180’s text alive', async () => {
  const invite = request({ method: 'INVITE', branch: 'z9hG4bKd1', seq: 101, fromTag: 'caller-tag-0123456789' });
  const baseline = await bytesInUseKeeping(() => invite);
  let ack: SipRequest | undefined;
  const withDialog = await bytesInUseKeeping(() => {
    const dialog = Dialog.fromUacResponse(invite, received180(invite));
    assert.ok(dialog !== undefined);
    ack = dialog.ackFor(invite);
    return dialog;
  });
  assert.equal(ack?.to.params.get('tag'), 'callee-tag-0123456789');
  assert.equal(formatUri(ack.uri), 'sip:bob-contact-user@198.51.100.20:5062;transport=udp');
  assert.ok(withDialog - baseline < PAD / 4, `the dialog and its ACK keep ${((withDialog - baseline) / 2 ** 20).toFixed(1)} MiB (the 180 is ${PAD / 2 ** 20} MiB)`);
});
