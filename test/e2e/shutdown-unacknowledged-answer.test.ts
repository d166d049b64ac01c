/**
 * Shutdown with a caller that never ACKs our 200 (a NAT that lost it, a crashed phone, a flood's
 * aftermath). The call may send its BYE only once the ACK came or 64*T1 (32 s) went by (RFC 3261 §15),
 * so close() waited that long, and a service manager's stop timeout (Docker's is 10 s) killed the process
 * first. The e2e bench saw it after an overload: 800 such calls held the stop for 27 s. Now the UA closes
 * its calls with the SIP layer after a few seconds, and the call's final state is still written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/main.js';
import { RawPeer } from '../integration/sip/ua/raw-peer.js';
import { restartEngine, startTestEngine, WebhookApp } from './support/harness.js';

const SDP = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

function invite(peerPort: number, enginePort: number): string {
  return [
    `INVITE sip:service@127.0.0.1:${enginePort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bKnoack1;rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1:${peerPort}>;tag=noack`,
    `To: <sip:service@127.0.0.1:${enginePort}>`,
    'Call-ID: never-acks@127.0.0.1',
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${peerPort}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
}

test('close() while our 200 waits for an ACK that never comes: done in seconds, not 64*T1, and the call\'s final state stored', { timeout: 90_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/voice', '<Response><Gather timeout="30"/></Response>');
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const peer = await RawPeer.start();
  let reopened: Engine | undefined;
  try {
    peer.sendText(invite(peer.port, setup.sipPort), setup.sipPort);
    await peer.nextResponse('INVITE', 200);
    const callSid = (await app.waitFor('/voice')).params['CallSid']!;
    // No ACK: the engine retransmits its 200 and may not send BYE for 64*T1.
    const started = Date.now();
    await setup.engine.close();
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 15_000, `close() took ${tookMs} ms; the ACK wait is 32 s`);
    reopened = await restartEngine(setup.dataDir);
    // Written by this engine, not by the next start's recovery (which would say failed). With no ACK the
    // answer never took, so the call ended as one whose caller left while it rang (INTERFACE.md).
    assert.equal((await reopened.store.calls.get(callSid))?.status, 'canceled');
  } finally {
    await reopened?.close();
    peer.close();
    await setup.close();
    await app.close();
  }
});
