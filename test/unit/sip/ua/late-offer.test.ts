/**
 * Offerless INVITEs in the UA on a fake clock, two UserAgents over an in-memory link (no sockets).
 * RFC 3261 §13.2.1: when the INVITE has no offer, the UAS's 2xx carries it and the ACK the answer;
 * §14.2: the same for a re-INVITE without SDP. The caller side here is our own UA, whose ACK carries
 * no body: the link adds the answer to it, as a delayed-offer PBX would send it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, serializeMessage, type SipMessage, type SipUri } from '../../../../src/sip/message/index.js';
import type { TransportListener } from '../../../../src/sip/transport/index.js';
import { UserAgent, type IncomingCall, type SipCall } from '../../../../src/sip/ua/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { Link } from '../dialog/linked-transports.js';

const OFFER = Buffer.from('v=0\r\no=callee 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\n');
const ANSWER = Buffer.from('v=0\r\no=caller 7 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\n');
const EARLY_SDP = Buffer.from('v=0\r\no=callee 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n');

/**
 * `a` calls `b`. `ackBody`: the SDP the ACKs reaching `b` carry (undefined: none), as the answer of
 * a caller that made no offer. Messages cross as bytes, serialised by the sender and parsed by the receiver.
 */
async function pair() {
  const clock = new FakeClock();
  const link = new Link(clock, 10);
  const timers = { t1: 500, t2: 4_000, tryingDelay: 0 };
  const state: { ackBody: Buffer | undefined } = { ackBody: undefined };
  const wire = (listener: TransportListener, addAnswerToAck: boolean): TransportListener => ({
    onMessage: (received) => {
      const message = received.message;
      if (addAnswerToAck && message.kind === 'request' && message.method === 'ACK' && state.ackBody !== undefined) {
        message.body = state.ackBody;
        message.contentType = 'application/sdp';
      }
      const parsed = parseMessage(serializeMessage(message));
      if (parsed.ok) listener.onMessage({ ...received, message: parsed.message });
    },
  });
  const a = await UserAgent.over((listener) => ((link.a.listener = wire(listener, false)), link.a), { clock, timers });
  const b = await UserAgent.over((listener) => ((link.b.listener = wire(listener, true)), link.b), { clock, timers });
  const target: SipUri = { scheme: 'sip', user: 'bob', host: link.b.local.address, port: link.b.local.port, params: new Map(), headers: [] };
  const from = { uri: { scheme: 'sip', user: 'alice', host: 'a.test', params: new Map(), headers: [] }, params: new Map() };
  /** Moves the fake clock in small steps, letting the UAs' promise continuations run in between. */
  const run = async (ms: number, step = 5): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += step) {
      clock.advance(Math.min(step, ms - elapsed));
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** `a` calls `b` with no offer; resolves with b's IncomingCall and a's pending outcome. */
  const callWithoutOffer = async () => {
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from });
    await run(50);
    assert.ok(incoming !== undefined, 'the INVITE arrived');
    return { incoming, outgoing };
  };
  const close = async (): Promise<void> => {
    const closing = Promise.all([a.close(), b.close()]);
    await run(200);
    await closing;
  };
  return { link, state, run, callWithoutOffer, close };
}

/** The last message of `what` ("183 INVITE", "ACK" …) that crossed the link from `from`. */
function lastSent(link: Link, from: 'a' | 'b', what: string): SipMessage {
  const index = link.log.map((record, i) => ({ record, i })).filter(({ record }) => record.from === from && record.what === what).at(-1)?.i;
  assert.ok(index !== undefined, `${from} sent ${what}`);
  return link.sent[index]!;
}

describe('UA: INVITE and re-INVITE without an offer (RFC 3261 §13.2.1, §14.2)', () => {
  it('the 2xx carries our offer and the call resolves with the ACK\'s answer as its remote SDP', async () => {
    const { link, state, run, callWithoutOffer, close } = await pair();
    state.ackBody = ANSWER;
    const { incoming, outgoing } = await callWithoutOffer();
    assert.equal(incoming.offerless, true);
    assert.equal(incoming.remoteSdp, undefined);
    const accepted = incoming.accept(OFFER);
    await run(100);
    const call = await accepted;
    assert.equal(Buffer.from(lastSent(link, 'b', '200 INVITE').body).toString('latin1'), OFFER.toString('latin1'), 'the 200 carries the offer');
    assert.deepEqual(call.localSdp, OFFER);
    assert.deepEqual(call.remoteSdp, ANSWER, 'the answer is the ACK\'s');
    assert.equal(call.awaitingAck, false);
    const outcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'answered');
    assert.deepEqual(outcome.kind === 'answered' && outcome.call.remoteSdp, OFFER, 'the caller got the offer');
    await close();
  });

  it('an ACK without SDP confirms the call with no remote SDP: the offer stays unanswered for the application to end', async () => {
    const { run, callWithoutOffer, close } = await pair();
    const { incoming } = await callWithoutOffer();
    const accepted = incoming.accept(OFFER);
    await run(100);
    const call = await accepted;
    assert.equal(call.isEnded, false);
    assert.equal(call.remoteSdp, undefined);
    await close();
  });

  it('provisional responses to an offerless INVITE carry no SDP: an offer may not go in an unreliable 1xx', async () => {
    const { link, run, callWithoutOffer, close } = await pair();
    const { incoming } = await callWithoutOffer();
    incoming.progress(183, EARLY_SDP);
    await run(50);
    const progress = lastSent(link, 'b', '183 INVITE');
    assert.equal(progress.body.length, 0);
    assert.equal(progress.contentType, undefined);
    incoming.reject(486);
    await close();
  });

  it('a re-INVITE without SDP gets our current SDP as the offer; the ACK\'s answer is reported and becomes the remote SDP', async () => {
    const { link, state, run, callWithoutOffer, close } = await pair();
    state.ackBody = ANSWER;
    const { incoming, outgoing } = await callWithoutOffer();
    const accepted = incoming.accept(OFFER);
    await run(100);
    const callee: SipCall = await accepted;
    const outcome = await outgoing.outcome;
    assert.ok(outcome.kind === 'answered');
    const offers: Array<Buffer | undefined> = [];
    const REOFFER = Buffer.from(OFFER.toString('latin1').replace('o=callee 1 1', 'o=callee 1 2'));
    callee.onReinvite((offer) => {
      offers.push(offer);
      return { sdp: REOFFER };
    });
    const answers: Array<Buffer | undefined> = [];
    callee.on('offerAnswered', (answer) => answers.push(answer));
    const HOLD_ANSWER = Buffer.from(ANSWER.toString('latin1').replace('o=caller 7 1', 'o=caller 7 2').concat('a=sendonly\r\n'));
    state.ackBody = HOLD_ANSWER;
    const reinvite = outcome.call.reinvite(undefined);
    await run(100);
    const result = await reinvite;
    assert.equal(result.status, 200);
    assert.deepEqual(offers, [undefined], 'the handler was asked for an offer');
    assert.deepEqual(result.remoteSdp, REOFFER, 'the 200 carries it');
    assert.deepEqual(answers, [HOLD_ANSWER], 'the ACK\'s answer is reported once');
    assert.deepEqual(callee.remoteSdp, HOLD_ANSWER);
    assert.equal(callee.awaitingAck, false);
    // The ACK stopped the 2xx retransmissions (§13.3.1.4): one 200 to the INVITE, one to the re-INVITE.
    await run(5_000, 50);
    assert.equal(link.log.filter((record) => record.from === 'b' && record.what === '200 INVITE').length, 2);
    await close();
  });

  it('an ACK with a body for a 2xx that carried an answer (not an offer) reports nothing and changes nothing', async () => {
    const { state, run, callWithoutOffer, close } = await pair();
    state.ackBody = ANSWER;
    const { incoming, outgoing } = await callWithoutOffer();
    const accepted = incoming.accept(OFFER);
    await run(100);
    const callee = await accepted;
    const outcome = await outgoing.outcome;
    assert.ok(outcome.kind === 'answered');
    const answers: Array<Buffer | undefined> = [];
    callee.on('offerAnswered', (answer) => answers.push(answer));
    state.ackBody = EARLY_SDP;
    const reinvite = outcome.call.reinvite(ANSWER);
    await run(100);
    assert.equal((await reinvite).status, 200);
    assert.deepEqual(answers, []);
    assert.deepEqual(callee.remoteSdp, ANSWER, 'the re-INVITE\'s offer, not the ACK\'s body');
    await close();
  });
});
