/**
 * Issue 8 (heap per call): a dialog lives as long as its call, and its ACK for the 64*T1 of Timer M. What
 * it copies from the response that made it (tags, Call-ID, Contact, Record-Route) must not keep that
 * response's text alive: V8 cuts substrings of 13 characters or more as slices of their parent string.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Dialog } from '../../../../src/sip/dialog/index.js';
import { formatUri, parseMessage, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import { request } from '../transaction/messages.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PAD = 16 * 2 ** 20;

/** A 180 as received, its header section made large by a padding header. */
function received180(invite: SipRequest): SipResponse {
  const text = [
    'SIP/2.0 180 Ringing',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd1',
    `From: <sip:alice@a.example.com>;tag=${invite.from.params.get('tag')}`,
    'To: <sip:bob@b.example.com>;tag=callee-tag-0123456789',
    `Call-ID: ${invite.callId}`,
    'CSeq: 101 INVITE',
    'Contact: <sip:bob-contact-user@198.51.100.20:5062;transport=udp>',
    'Record-Route: <sip:proxy-with-a-long-name.example.com;lr>',
    `X-Pad: ${'x'.repeat(PAD)}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text, 'latin1'), { maxMessageBytes: PAD + 4096, maxHeaderLineBytes: PAD + 64 });
  assert.ok(parsed.ok && parsed.message.kind === 'response', 'the 180 parses');
  return parsed.message;
}

test('a dialog made from a received 180, and its ACK, do not keep the 180’s text alive', () => {
  const invite = request({ method: 'INVITE', branch: 'z9hG4bKd1', seq: 101, fromTag: 'caller-tag-0123456789' });
  const heldWith = (make: () => unknown): number => {
    const kept = make();
    // Twice: the first collection leaves the freed message's external bytes for a later one to release.
    gc();
    gc();
    const { heapUsed, external } = process.memoryUsage();
    assert.ok(kept !== undefined);
    return heapUsed + external;
  };
  const baseline = heldWith(() => invite);
  let ack: SipRequest | undefined;
  const withDialog = heldWith(() => {
    const dialog = Dialog.fromUacResponse(invite, received180(invite));
    assert.ok(dialog !== undefined);
    ack = dialog.ackFor(invite);
    return dialog;
  });
  assert.equal(ack?.to.params.get('tag'), 'callee-tag-0123456789');
  assert.equal(formatUri(ack.uri), 'sip:bob-contact-user@198.51.100.20:5062;transport=udp');
  assert.ok(withDialog - baseline < PAD / 4, `the dialog and its ACK keep ${((withDialog - baseline) / 2 ** 20).toFixed(1)} MiB (the 180 is ${PAD / 2 ** 20} MiB)`);
});
