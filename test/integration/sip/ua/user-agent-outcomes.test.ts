/**
 * How an outgoing call ends when it does not simply connect: rejected, cancelled, challenged (right and
 * wrong password, 401 and 407), forked, a 200 crossing our CANCEL, failover, timeout, transport and
 * DNS failures. Two UserAgents on 127.0.0.1 over UDP, or one UserAgent and a scripted raw UDP peer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, systemClock } from '../../../../src/kernel/index.js';
import { DigestVerifier } from '../../../../src/sip/auth/index.js';
import { formatUri, getHeader, getHeaders, serializeMessage, type SipRequest, type SipUri } from '../../../../src/sip/message/index.js';
import type { CallFailure, IncomingCall, SipCall } from '../../../../src/sip/ua/index.js';
import { FakeResolver, srv } from '../../../unit/sip/locate/fake-resolver.js';
import { RawPeer } from './raw-peer.js';
import { answerSdp, caller, nextIncoming, offerSdp, startUa, uriOf } from './ua-helpers.js';
import { until } from '../../../support/eventually.js';

function failureOf(outcome: { kind: string; failure?: CallFailure }): CallFailure {
  assert.equal(outcome.kind, 'failed');
  return outcome.failure!;
}

function verifierFor(proxy: boolean): DigestVerifier {
  return new DigestVerifier({
    realm: 'dialtone.test',
    secret: 'integration-test-secret-0123456789',
    clock: systemClock,
    proxy,
    lookup: (username) => (username === 'alice' ? 'secret' : undefined),
  });
}

/** The callee application: challenge with `verifier`, then ring and answer. */
function challengeThenAnswer(call: IncomingCall, verifier: DigestVerifier): void {
  void (async () => {
    const verdict = await verifier.verify({
      method: 'INVITE',
      uri: formatUri(call.request.uri),
      authorization: getHeaders(call.request, verifier.challengeStatus === 401 ? 'Authorization' : 'Proxy-Authorization'),
    });
    if (!verdict.ok) {
      call.reject(verdict.status, undefined, verdict.challenge);
      return;
    }
    call.progress(180);
    void call.accept(answerSdp);
  })();
}

describe('outgoing call outcomes', { timeout: 30_000 }, () => {
  it('486 Busy Here: failed, rejected, with the response and its X- headers', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      b.onIncomingCall((call) => call.reject(486, undefined, [{ name: 'X-Reason', value: 'on-another-call' }]));
      const failure = failureOf(await a.invite({ target: uriOf(b), from: caller(), body: offerSdp }).outcome);
      assert.equal(failure.cause, 'rejected');
      assert.equal(failure.status, 486);
      assert.equal(failure.reason, 'Busy Here');
      assert.equal(getHeader(failure.response!, 'X-Reason'), 'on-another-call');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('cancel during ringing: CANCEL, 487, the callee hears `cancelled`', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const incoming = nextIncoming(b);
      const outgoing = a.invite({ target: uriOf(b), from: caller(), body: offerSdp });
      const call = await incoming;
      const cancelled = new Promise<void>((resolve) => call.on('cancelled', () => resolve()));
      call.progress(180);
      outgoing.on('progress', () => outgoing.cancel());
      const failure = failureOf(await outgoing.outcome);
      assert.equal(failure.cause, 'cancelled');
      assert.equal(failure.status, 487);
      await cancelled;
      assert.equal(call.state, 'cancelled');
      await assert.rejects(call.accept(answerSdp));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('cancel before the INVITE went out: failed at once, nothing sent', async () => {
    const a = await startUa('udp');
    const peer = await RawPeer.start();
    try {
      const outgoing = a.invite({ target: peer.uri(), from: caller() });
      assert.equal(outgoing.cancel(), true);
      const failure = failureOf(await outgoing.outcome);
      assert.equal(failure.cause, 'cancelled');
      assert.equal(outgoing.cancel(), false);
      assert.equal(peer.received.length, 0);
    } finally {
      await a.close();
      peer.close();
    }
  });

  for (const proxy of [false, true]) {
    const status = proxy ? 407 : 401;
    it(`${status} challenge with the right password: re-sent with credentials, same Call-ID and From tag, CSeq+1`, async () => {
      const a = await startUa('udp');
      const b = await startUa('udp');
      const verifier = verifierFor(proxy);
      const invites: SipRequest[] = [];
      try {
        b.onIncomingCall((call) => {
          invites.push(call.request);
          challengeThenAnswer(call, verifier);
        });
        const outgoing = a.invite({ target: uriOf(b), from: caller(), body: offerSdp, credentials: { username: 'alice', password: 'secret' } });
        const outcome = await outgoing.outcome;
        assert.equal(outcome.kind, 'answered');
        assert.equal(invites.length, 2);
        const [first, second] = invites as [SipRequest, SipRequest];
        assert.equal(second.callId, first.callId);
        assert.equal(second.from.params.get('tag'), first.from.params.get('tag'));
        assert.equal(second.cseq.seq, first.cseq.seq + 1);
        assert.notEqual(second.via[0]!.params.get('branch'), first.via[0]!.params.get('branch'));
        assert.ok(getHeader(second, proxy ? 'Proxy-Authorization' : 'Authorization')?.startsWith('Digest '));
        await (outcome as { call: SipCall }).call.bye();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it(`${status} challenge with the wrong password: failed with the second ${status}`, async () => {
      const a = await startUa('udp');
      const b = await startUa('udp');
      const verifier = verifierFor(proxy);
      let offered = 0;
      try {
        b.onIncomingCall((call) => {
          offered++;
          challengeThenAnswer(call, verifier);
        });
        const failure = failureOf(await a.invite({ target: uriOf(b), from: caller(), credentials: { username: 'alice', password: 'wrong' } }).outcome);
        assert.equal(failure.cause, 'auth');
        assert.equal(failure.status, status);
        assert.equal(failure.error?.code, ErrorCodes.sipAuthRejected);
        assert.equal(offered, 2); // one answer to the challenge, no loop
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('the UserAgent\'s own digest check (authenticate option) challenges before the application sees the call', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp', { authenticate: verifierFor(false) });
    let offered = 0;
    try {
      b.onIncomingCall((call) => {
        offered++;
        void call.accept(answerSdp);
      });
      const wrong = failureOf(await a.invite({ target: uriOf(b), from: caller(), credentials: { username: 'alice', password: 'wrong' } }).outcome);
      assert.equal(wrong.cause, 'auth');
      assert.equal(wrong.status, 401);
      assert.equal(offered, 0);
      const right = await a.invite({ target: uriOf(b), from: caller(), body: offerSdp, credentials: { username: 'alice', password: 'secret' } }).outcome;
      assert.equal(right.kind, 'answered');
      assert.equal(offered, 1);
      await (right as { call: SipCall }).call.bye();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('183 with SDP: progress carries the early dialog and the early-media answer', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    try {
      const incoming = nextIncoming(b);
      const outgoing = a.invite({ target: uriOf(b), from: caller(), body: offerSdp });
      const progress = new Promise<{ status: number; remoteSdp: Buffer | undefined; state: string | undefined }>((resolve) =>
        outgoing.on('progress', (p) => resolve({ status: p.status, remoteSdp: p.remoteSdp, state: p.dialog?.state })));
      const call = await incoming;
      call.progress(183, answerSdp);
      assert.deepEqual(await progress, { status: 183, remoteSdp: answerSdp, state: 'early' });
      call.reject(603);
      const failure = failureOf(await outgoing.outcome);
      assert.equal(failure.status, 603);
      assert.equal(a.dialogCount, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('forked 2xx: the first answers the call, the second fork gets ACK then BYE (§13.2.2.4)', async () => {
    const a = await startUa('udp');
    const peer = await RawPeer.start();
    try {
      peer.onMessage = (message) => {
        if (message.kind !== 'request') return;
        if (message.method === 'INVITE') {
          // Two branches of a forking proxy answer, each with its own To tag.
          peer.reply(message, 180, { toTag: 'fork-one', contact: true });
          peer.reply(message, 200, { toTag: 'fork-one', contact: true, body: answerSdp });
          peer.reply(message, 200, { toTag: 'fork-two', contact: true, body: answerSdp });
        } else if (message.method === 'BYE') {
          peer.reply(message, 200);
        }
      };
      const outcome = await a.invite({ target: peer.uri(), from: caller(), body: offerSdp }).outcome;
      assert.equal(outcome.kind, 'answered');
      const call = (outcome as { call: SipCall }).call;
      assert.equal(call.dialog.id.remoteTag, 'fork-one');
      await until(() => peer.requests('BYE').length >= 1, 'BYE to the second fork');
      const acks = peer.requests('ACK');
      assert.deepEqual(new Set(acks.map((ack) => ack.to.params.get('tag'))), new Set(['fork-one', 'fork-two']));
      assert.equal(peer.requests('BYE')[0]!.to.params.get('tag'), 'fork-two');
      assert.equal(call.isEnded, false);
      await call.bye();
      assert.equal(peer.requests('BYE').at(-1)!.to.params.get('tag'), 'fork-one');
    } finally {
      await a.close();
      peer.close();
    }
  });

  it('after the answer the INVITE keeps ACKing: a retransmitted 2xx gets its ACK again, during and after the call, and a late fork ACK then BYE (RFC 6026 §7.2)', async () => {
    const a = await startUa('udp');
    const peer = await RawPeer.start();
    try {
      let invite: SipRequest | undefined;
      peer.onMessage = (message) => {
        if (message.kind !== 'request') return;
        if (message.method === 'INVITE') {
          invite = message;
          peer.reply(message, 200, { toTag: 'answered', contact: true, body: answerSdp });
        } else if (message.method === 'BYE') {
          peer.reply(message, 200);
        }
      };
      const acksTo = (tag: string): number => peer.requests('ACK').filter((ack) => ack.to.params.get('tag') === tag).length;
      const outcome = await a.invite({ target: peer.uri(), from: caller(), body: offerSdp }).outcome;
      assert.equal(outcome.kind, 'answered');
      const call = (outcome as { call: SipCall }).call;
      await until(() => acksTo('answered') === 1, 'the ACK of the 200');
      // The 200 again, as a UAS that lost our ACK sends it: ACKed again, nothing else.
      peer.reply(invite!, 200, { toTag: 'answered', contact: true, body: answerSdp });
      await until(() => acksTo('answered') === 2, 'the ACK of the retransmitted 200');
      assert.equal(call.isEnded, false);
      assert.equal(peer.requests('BYE').length, 0);
      await call.bye();
      assert.equal(peer.requests('BYE').length, 1);
      // Still within Timer M (64*T1) after the call ended: a retransmission is ACKed, a new fork ACKed then ended.
      peer.reply(invite!, 200, { toTag: 'answered', contact: true, body: answerSdp });
      peer.reply(invite!, 200, { toTag: 'late-fork', contact: true, body: answerSdp });
      await until(() => acksTo('answered') === 3 && acksTo('late-fork') === 1 && peer.requests('BYE').length === 2, 'ACKs and the BYE of the late fork');
      const lateBye = peer.requests('BYE')[1]!;
      assert.equal(lateBye.to.params.get('tag'), 'late-fork');
      assert.equal(getHeader(lateBye, 'Reason'), 'SIP;cause=200;text="Call completed elsewhere"');
      // RFC 3261 §13.2.2.4: each retransmitted 200 gets the very ACK already sent (branch, CSeq, headers),
      // during the call and after it, when only the ACK's bytes are kept.
      const acks = peer.requests('ACK').filter((ack) => ack.to.params.get('tag') === 'answered').map((ack) => serializeMessage(ack).toString('latin1'));
      assert.equal(new Set(acks).size, 1, `three identical ACKs, got:\n${acks.join('\n')}`);
    } finally {
      await a.close();
      peer.close();
    }
  });

  it('a 200 crossing our CANCEL is ACKed then BYEd, and the call stays cancelled', async () => {
    const a = await startUa('udp');
    const peer = await RawPeer.start();
    let invite: SipRequest | undefined;
    try {
      peer.onMessage = (message) => {
        if (message.kind !== 'request') return;
        if (message.method === 'INVITE' && invite === undefined) {
          invite = message;
          peer.reply(message, 180, { toTag: 'callee', contact: true });
        } else if (message.method === 'CANCEL') {
          // The callee answered just before the CANCEL arrived: the INVITE is already 200.
          peer.reply(invite!, 200, { toTag: 'callee', contact: true, body: answerSdp });
          peer.reply(message, 200, { toTag: 'callee' });
        } else if (message.method === 'BYE') {
          peer.reply(message, 200);
        }
      };
      const outgoing = a.invite({ target: peer.uri(), from: caller(), body: offerSdp });
      outgoing.on('progress', () => outgoing.cancel());
      const failure = failureOf(await outgoing.outcome);
      assert.equal(failure.cause, 'cancelled');
      await until(() => peer.requests('BYE').length >= 1, 'BYE after the crossing 200');
      assert.equal(peer.requests('ACK').length >= 1, true);
      assert.equal(peer.requests('ACK')[0]!.cseq.method, 'ACK');
      assert.equal(peer.requests('ACK')[0]!.to.params.get('tag'), 'callee');
    } finally {
      await a.close();
      peer.close();
    }
  });

  it('RFC 3263 failover: a 503 from the first SRV target moves the INVITE to the second', async () => {
    const a = await startUa('udp');
    const b = await startUa('udp');
    const first = await RawPeer.start();
    try {
      first.onMessage = (message) => {
        if (message.kind === 'request' && message.method === 'INVITE') first.reply(message, 503, { toTag: 'busy-server' });
      };
      const resolver = new FakeResolver({
        srv: { '_sip._udp.pbx.test': [srv(1, 0, first.port, 'one.pbx.test'), srv(2, 0, b.endpoint.listening()[0]!.port, 'two.pbx.test')] },
        a: { 'one.pbx.test': ['127.0.0.1'], 'two.pbx.test': ['127.0.0.1'] },
      });
      b.onIncomingCall((call) => void call.accept(answerSdp));
      const target: SipUri = { scheme: 'sip', user: 'bob', host: 'pbx.test', params: new Map([['transport', 'udp']]), headers: [] };
      const outcome = await a.invite({ target, from: caller(), body: offerSdp, resolver }).outcome;
      assert.equal(outcome.kind, 'answered');
      assert.equal(first.requests('INVITE').length, 1);
      await (outcome as { call: SipCall }).call.bye();
    } finally {
      await a.close();
      await b.close();
      first.close();
    }
  });

  it('RFC 3263 failover on timeout: a silent first target (Timer B) moves the INVITE to the second', async () => {
    const a = await startUa('udp', { timers: { t1: 10, tryingDelay: 0 } });
    const b = await startUa('udp');
    const silent = await RawPeer.start();
    try {
      const resolver = new FakeResolver({
        srv: { '_sip._udp.pbx.test': [srv(1, 0, silent.port, 'one.pbx.test'), srv(2, 0, b.endpoint.listening()[0]!.port, 'two.pbx.test')] },
        a: { 'one.pbx.test': ['127.0.0.1'], 'two.pbx.test': ['127.0.0.1'] },
      });
      b.onIncomingCall((call) => void call.accept(answerSdp));
      const target: SipUri = { scheme: 'sip', user: 'bob', host: 'pbx.test', params: new Map([['transport', 'udp']]), headers: [] };
      const outcome = await a.invite({ target, from: caller(), body: offerSdp, resolver }).outcome;
      assert.equal(outcome.kind, 'answered');
      const invites = silent.requests('INVITE');
      assert.ok(invites.length > 1, 'retransmitted to the silent target until Timer B');
      const answered = (outcome as { call: SipCall }).call;
      assert.equal(answered.callId, invites[0]!.callId); // the same call, moved on
      assert.ok(answered.inviteSeq > invites[0]!.cseq.seq);
      await answered.bye();
    } finally {
      await a.close();
      await b.close();
      silent.close();
    }
  });

  it('no answer at all: Timer B, failed with cause timeout and 408', async () => {
    const a = await startUa('udp', { timers: { t1: 10, tryingDelay: 0 } });
    const silent = await RawPeer.start();
    try {
      const failure = failureOf(await a.invite({ target: silent.uri(), from: caller() }).outcome);
      assert.equal(failure.cause, 'timeout');
      assert.equal(failure.status, 408);
      assert.equal(failure.error?.code, ErrorCodes.sipTransactionTimeout);
      assert.ok(silent.requests('INVITE').length > 1, 'the INVITE was retransmitted');
    } finally {
      await a.close();
      silent.close();
    }
  });

  it('transport failure (TCP connection refused): failed with cause transport and 503', async () => {
    const a = await startUa('tcp');
    const gone = await startUa('tcp');
    const target = uriOf(gone);
    await gone.close();
    try {
      const failure = failureOf(await a.invite({ target, from: caller() }).outcome);
      assert.equal(failure.cause, 'transport');
      assert.equal(failure.status, 503);
      assert.equal(failure.error?.code, ErrorCodes.sipTransportFailure);
    } finally {
      await a.close();
    }
  });

  it('DNS failure: failed with cause locate', async () => {
    const a = await startUa('udp');
    try {
      const target: SipUri = { scheme: 'sip', user: 'bob', host: 'nowhere.test', params: new Map(), headers: [] };
      const failure = failureOf(await a.invite({ target, from: caller(), resolver: new FakeResolver({}) }).outcome);
      assert.equal(failure.cause, 'locate');
      assert.equal(failure.error?.code, ErrorCodes.sipLocateFailed);
    } finally {
      await a.close();
    }
  });
});
