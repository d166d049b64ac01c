/**
 * An established call: INFO, re-INVITE both ways, in-dialog OPTIONS, 481 for unknown dialogs, 500 for
 * a CSeq out of order, the 2xx kept alive until its ACK (and BYE when none comes), and close().
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SipResponse } from '../../../../src/sip/message/index.js';
import type { InfoReceived, ReinviteReceived, SipCall, UserAgent } from '../../../../src/sip/ua/index.js';
import { RawPeer } from './raw-peer.js';
import { answerSdp, caller, nextIncoming, offerSdp, startUa, uriOf } from './ua-helpers.js';
import { until } from '../../../support/eventually.js';

async function establish(a: UserAgent, b: UserAgent): Promise<{ caller: SipCall; callee: SipCall }> {
  const incoming = nextIncoming(b);
  const outgoing = a.invite({ target: uriOf(b), from: caller(), body: offerSdp });
  const callee = await (await incoming).accept(answerSdp);
  const outcome = await outgoing.outcome;
  assert.equal(outcome.kind, 'answered');
  return { caller: (outcome as { call: SipCall }).call, callee };
}

const holdSdp = Buffer.from(offerSdp.toString().replace('m=audio 40000 RTP/AVP 0\r\n', 'm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n'));

/** A raw INVITE from the peer to the UA, as text. */
function inviteText(peer: RawPeer, uaPort: number, callId: string): string {
  return `INVITE sip:bob@127.0.0.1:${uaPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${callId}inv;rport
Max-Forwards: 70
From: <sip:peer@127.0.0.1>;tag=peertag
To: <sip:bob@127.0.0.1>
Call-ID: ${callId}
CSeq: 10 INVITE
Contact: <sip:peer@127.0.0.1:${peer.port}>
Content-Type: application/sdp
Content-Length: ${offerSdp.length}

${offerSdp.toString().replace(/\r\n/g, '\n')}`;
}

function inDialogText(method: string, peer: RawPeer, uaPort: number, callId: string, toTag: string, seq: number, branch: string): string {
  return `${method} sip:bob@127.0.0.1:${uaPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${branch};rport
Max-Forwards: 70
From: <sip:peer@127.0.0.1>;tag=peertag
To: <sip:bob@127.0.0.1>;tag=${toTag}
Call-ID: ${callId}
CSeq: ${seq} ${method}
Content-Length: 0

`;
}

describe('an established call', { timeout: 30_000 }, () => {
  it('INFO both ways (application/dtmf-relay), answered 200 and emitted', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      const got = new Promise<InfoReceived>((resolve) => y.on('info', resolve));
      const response = await x.sendInfo('Signal=5\r\nDuration=160\r\n', 'application/dtmf-relay');
      assert.equal(response.status, 200);
      const info = await got;
      assert.equal(info.contentType, 'application/dtmf-relay');
      assert.equal(info.body.toString(), 'Signal=5\r\nDuration=160\r\n');
      const back = new Promise<InfoReceived>((resolve) => x.on('info', resolve));
      assert.equal((await y.sendInfo('Signal=#\r\nDuration=100\r\n', 'application/dtmf-relay')).status, 200);
      assert.equal((await back).body.toString(), 'Signal=#\r\nDuration=100\r\n');
      await x.bye();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('re-INVITE from the caller (hold): the callee answers through its handler, the ACK confirms it', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      const heldAnswer = Buffer.from(answerSdp.toString() + 'a=recvonly\r\n');
      y.onReinvite((offer) => {
        assert.deepEqual(offer, holdSdp);
        return { sdp: heldAnswer };
      });
      const seen = new Promise<ReinviteReceived>((resolve) => y.on('reinvite', resolve));
      const result = await x.reinvite(holdSdp);
      assert.equal(result.status, 200);
      assert.deepEqual(result.remoteSdp, heldAnswer);
      assert.deepEqual(x.remoteSdp, heldAnswer);
      assert.deepEqual(x.localSdp, holdSdp);
      const event = await seen;
      assert.deepEqual(event.remoteSdp, holdSdp);
      await until(() => !y.awaitingAck, 'the ACK of the re-INVITE 2xx');
      assert.deepEqual(y.remoteSdp, holdSdp);
      // And back from the callee's side (unhold), with the default answer (our current SDP).
      const back = await y.reinvite(answerSdp);
      assert.equal(back.status, 200);
      assert.deepEqual(back.remoteSdp, holdSdp);
      await y.bye();
      assert.equal((await x.ended).by, 'remote');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a refused re-INVITE (488) leaves the session as it was', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      y.onReinvite(() => ({ status: 488 }));
      const result = await x.reinvite(holdSdp);
      assert.equal(result.status, 488);
      assert.deepEqual(x.localSdp, offerSdp);
      assert.deepEqual(x.remoteSdp, answerSdp);
      assert.equal(x.isEnded, false);
      assert.equal((await x.sendInfo('Signal=1\r\nDuration=100\r\n', 'application/dtmf-relay')).status, 200);
      await x.bye();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('raw peer: in-dialog OPTIONS 200, CSeq lower than the last one 500, unknown dialog 481, BYE 200', async () => {
    const b = await startUa('udp');
    const peer = await RawPeer.start();
    try {
      const port = b.endpoint.listening()[0]!.port;
      let callee: SipCall | undefined;
      b.onIncomingCall((call) => void call.accept(answerSdp).then((c) => (callee = c)));
      const ok = peer.nextResponse('INVITE', 200);
      peer.sendText(inviteText(peer, port, 'raw-1'), port);
      const answer = (await ok) as SipResponse;
      const toTag = answer.to.params.get('tag')!;
      assert.ok(answer.contact !== undefined && answer.contact[0] !== '*');
      peer.sendText(inDialogText('ACK', peer, port, 'raw-1', toTag, 10, 'ack1'), port);
      await until(() => callee !== undefined, 'the call established on the ACK');

      const options = peer.nextResponse('OPTIONS');
      peer.sendText(inDialogText('OPTIONS', peer, port, 'raw-1', toTag, 11, 'opt1'), port);
      const optionsAnswer = await options;
      assert.equal(optionsAnswer.status, 200);

      const info = peer.nextResponse('INFO');
      peer.sendText(inDialogText('INFO', peer, port, 'raw-1', toTag, 5, 'info-low'), port);
      const lower = await info;
      assert.equal(lower.status, 500); // RFC 3261 §12.2.2: out of order

      const unknown = peer.nextResponse('BYE');
      peer.sendText(inDialogText('BYE', peer, port, 'raw-1', 'not-our-tag', 12, 'bye-unknown'), port);
      assert.equal((await unknown).status, 481);

      const bye = peer.nextResponse('BYE');
      peer.sendText(inDialogText('BYE', peer, port, 'raw-1', toTag, 13, 'bye1'), port);
      assert.equal((await bye).status, 200);
      assert.equal((await callee!.ended).by, 'remote');
    } finally {
      await b.close();
      peer.close();
    }
  });

  it('2xx retransmitted until the ACK; no ACK within 64*T1 ends the call with BYE (§13.3.1.4)', async () => {
    const b = await startUa('udp', { timers: { t1: 10, t2: 40, tryingDelay: 0 } });
    const peer = await RawPeer.start();
    try {
      const port = b.endpoint.listening()[0]!.port;
      const incoming = nextIncoming(b);
      peer.onMessage = (message) => {
        if (message.kind === 'request' && message.method === 'BYE') peer.reply(message, 200);
      };
      peer.sendText(inviteText(peer, port, 'raw-noack'), port);
      const call = await incoming;
      await assert.rejects(call.accept(answerSdp), /no ACK/);
      const oks = peer.received.filter((r) => r.message.kind === 'response' && r.message.status === 200 && r.message.cseq.method === 'INVITE');
      assert.ok(oks.length > 2, `the 2xx was retransmitted (${oks.length})`);
      await until(() => peer.requests('BYE').length >= 1, 'BYE after the ACK timeout'); // (T1 is 10 ms: may be retransmitted)
    } finally {
      await b.close();
      peer.close();
    }
  });

  it('a BYE before the ACK (the ACK was lost) ends the call and stops the 2xx retransmissions', async () => {
    const b = await startUa('udp');
    const peer = await RawPeer.start();
    try {
      const port = b.endpoint.listening()[0]!.port;
      const incoming = nextIncoming(b);
      const ok = peer.nextResponse('INVITE', 200);
      peer.sendText(inviteText(peer, port, 'raw-lostack'), port);
      const accepted = (await incoming).accept(answerSdp);
      const toTag = (await ok).to.params.get('tag')!;
      const bye = peer.nextResponse('BYE');
      peer.sendText(inDialogText('BYE', peer, port, 'raw-lostack', toTag, 11, 'bye-early'), port);
      assert.equal((await bye).status, 200);
      const call = await accepted;
      assert.equal((await call.ended).by, 'remote');
      assert.equal(call.awaitingAck, false);
    } finally {
      await b.close();
      peer.close();
    }
  });

  it('close() ends established calls with BYE and is idempotent; a ringing call gets 480', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      const ringing = nextIncoming(b);
      const second = a.invite({ target: uriOf(b), from: caller(), body: offerSdp });
      (await ringing).progress(180);
      await new Promise<void>((resolve) => second.on('progress', () => resolve()));
      const closing = b.close();
      assert.equal(b.close(), closing);
      await closing;
      assert.equal((await x.ended).by, 'remote');
      assert.equal((await y.ended).by, 'local');
      const failure = await second.outcome;
      assert.equal(failure.kind, 'failed');
      assert.equal(failure.kind === 'failed' && failure.failure.status, 480);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('glare: re-INVITEs crossing each other are both refused 491 (§14.2)', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      const [fromX, fromY] = await Promise.all([x.reinvite(holdSdp), y.reinvite(holdSdp)]);
      assert.equal(fromX.status, 491);
      assert.equal(fromY.status, 491);
      // §14.1: the session is unchanged, and the dialog usable again after the glare.
      assert.deepEqual(x.localSdp, offerSdp);
      assert.equal((await x.reinvite(holdSdp)).status, 200);
      await x.bye();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('our re-INVITE is refused locally while the peer\'s is unanswered (§14.1)', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const { caller: x, callee: y } = await establish(a, b);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // y answers x's re-INVITE only after trying its own: x's INVITE is pending at y while y sends one.
      y.onReinvite(async () => {
        await gate;
        return { sdp: answerSdp };
      });
      x.onReinvite(() => ({ sdp: offerSdp }));
      const fromX = x.reinvite(holdSdp);
      await until(() => y.dialog.remoteSeq !== x.inviteSeq, 'x re-INVITE reached y');
      await assert.rejects(async () => y.reinvite(offerSdp), /in progress/);
      release();
      assert.equal((await fromX).status, 200);
      await x.bye();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

