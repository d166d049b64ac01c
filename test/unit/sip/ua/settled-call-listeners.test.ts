/**
 * Issue 8 (RSS per call): the SIP state kept for the RFC 3261 timers must not keep the application's
 * state with it. After a call, the INVITE client transaction stays for Timer M (64*T1, RFC 6026 §7.2)
 * with its OutgoingCall (to ACK 2xx retransmissions), and the endpoint's CANCEL listener stays with the
 * INVITE server transaction (Timer L) holding the IncomingCall. The call engine's listeners on those
 * objects and on the SipCalls hold its legs and media ports; under load (32 s × the call rate) that
 * was ~65 KiB of heap per finished call. Once settled/ended, the UA objects drop their listeners.
 *
 * Two UserAgents over an in-memory link on a fake clock; `payload` stands for the call engine's state
 * (legs, media ports), reachable only from the listeners registered on the UA objects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipUri } from '../../../../src/sip/message/index.js';
import { UserAgent, type IncomingCall, type OutgoingCall, type SipCall } from '../../../../src/sip/ua/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { collected } from '../../../support/retained-memory.js';
import { Link } from '../dialog/linked-transports.js';

const OFFER = Buffer.from('v=0\r\no=caller 7 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n');
const ANSWER = Buffer.from('v=0\r\no=callee 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n');

async function pair() {
  const clock = new FakeClock();
  const link = new Link(clock, 10);
  const timers = { t1: 500, t2: 4_000, tryingDelay: 0 };
  const a = await UserAgent.over((listener) => ((link.a.listener = listener), link.a), { clock, timers });
  const b = await UserAgent.over((listener) => ((link.b.listener = listener), link.b), { clock, timers });
  const target: SipUri = { scheme: 'sip', user: 'bob', host: link.b.local.address, port: link.b.local.port, params: new Map(), headers: [] };
  const from = { uri: { scheme: 'sip', user: 'alice', host: 'a.test', params: new Map(), headers: [] }, params: new Map() };
  const run = async (ms: number, step = 5): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += step) {
      clock.advance(Math.min(step, ms - elapsed));
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const close = async (): Promise<void> => {
    const closing = Promise.all([a.close(), b.close()]);
    await run(200);
    await closing;
  };
  return { a, b, target, from, run, close, link };
}

/** One call from a to b, answered, then ended by the caller; what it made is returned, nothing else keeps it. */
async function callAnsweredThenEnded({ a, b, target, from, run }: Awaited<ReturnType<typeof pair>>) {
  let incoming: IncomingCall | undefined;
  b.onIncomingCall((call) => (incoming = call));
  const outgoing = a.invite({ target, from, body: OFFER });
  await run(50);
  assert.ok(incoming !== undefined, 'the INVITE arrived');
  const accepted = incoming.accept(ANSWER);
  await run(100);
  const callee = await accepted;
  const outcome = await outgoing.outcome;
  assert.ok(outcome.kind === 'answered');
  const ending = outcome.call.bye();
  await run(100);
  const ended = await ending;
  assert.equal(callee.isEnded, true);
  const made = { outgoing, incoming, caller: outcome.call, answer: outcome.response, callee, ended };
  incoming = undefined; // b keeps the handler above, which closes over this variable
  return made;
}

/** Listeners like the call engine's: closures over state of its own, of which only a WeakRef is returned. */
function listenOn(targets: { outgoing?: OutgoingCall; incoming?: IncomingCall; calls?: SipCall[] }): WeakRef<object> {
  const payload = { media: new Uint8Array(64 * 1024) };
  targets.outgoing?.on('answered', () => void payload.media.length);
  targets.outgoing?.on('failed', () => void payload.media.length);
  targets.outgoing?.on('progress', () => void payload.media.length);
  targets.incoming?.on('cancelled', () => void payload.media.length);
  for (const call of targets.calls ?? []) {
    call.on('ended', () => void payload.media.length);
    call.on('info', () => void payload.media.length);
    call.onReinvite(() => ({ sdp: payload.media.length > 0 ? ANSWER : undefined }));
  }
  return new WeakRef(payload);
}

describe('UA: a finished call lets go of the application\'s listeners while the SIP timers run (issue 8)', () => {
  it('answered then ended: OutgoingCall, IncomingCall and both SipCalls keep nothing of their listeners', async () => {
    const { a, b, target, from, run, close } = await pair();
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from, body: OFFER });
    await run(50);
    assert.ok(incoming !== undefined, 'the INVITE arrived');
    const early = listenOn({ outgoing, incoming });
    const accepted = incoming.accept(ANSWER);
    await run(100);
    const callee = await accepted;
    const outcome = await outgoing.outcome;
    assert.ok(outcome.kind === 'answered');
    const caller = outcome.call;
    const late = listenOn({ calls: [caller, callee] });
    const ending = caller.bye();
    await run(100);
    await ending;
    assert.equal(callee.isEnded, true);
    // The INVITE transactions are still kept (Timer M / Timer L, 64*T1 = 32 s): they are what holds
    // the UA objects (the test holds them too, as strongly).
    assert.ok(a.transactions.stats().clientTransactions >= 1, 'the INVITE client transaction is kept for Timer M');
    assert.ok(b.transactions.stats().serverTransactions >= 1, 'the INVITE server transaction is kept for Timer L');
    assert.equal(await collected(early), true, 'the listeners on the OutgoingCall and the IncomingCall are let go once answered');
    assert.equal(await collected(late), true, 'the listeners and re-INVITE handler of both SipCalls are let go once ended');
    assert.ok([outgoing, incoming, caller, callee].every((held) => held !== undefined));
    await close();
  });

  it('answered then ended: the INVITE transactions, kept 64*T1, keep neither the OutgoingCall and its outcome nor the IncomingCall', async () => {
    const ua = await pair();
    const { a, b, run, close } = ua;
    // Everything of the call is made in here; only WeakRefs come out.
    const finishedCall = async (): Promise<WeakRef<object>[]> => {
      const { outgoing, incoming, caller, answer, callee } = await callAnsweredThenEnded(ua);
      return [outgoing, incoming, caller, answer, callee].map((held) => new WeakRef(held));
    };
    const refs = await finishedCall();
    await run(1_000);
    assert.ok(a.transactions.stats().clientTransactions >= 1, 'the INVITE client transaction is kept for Timer M');
    assert.ok(b.transactions.stats().serverTransactions >= 1, 'the INVITE server transaction is kept for Timer L');
    assert.equal(await collected(refs[0]!), true, 'the OutgoingCall is let go');
    assert.equal(await collected(refs[1]!), true, 'the IncomingCall is let go (no CANCEL can reach it after its final response)');
    assert.equal(await collected(refs[2]!), true, 'the caller\'s SipCall is let go');
    assert.equal(await collected(refs[3]!), true, 'the 200 that answered the call is let go');
    assert.equal(await collected(refs[4]!), true, 'the callee\'s SipCall is let go');
    await close();
  });

  it('answered and still up: neither SipCall keeps the INVITE that made it (a call may last hours)', async () => {
    const { a, b, target, from, run, close, link } = await pair();
    const invites: WeakRef<object>[] = [];
    const send = link.a.sendRequest.bind(link.a);
    link.a.sendRequest = (request, destination, options) => {
      if (request.method === 'INVITE') invites.push(new WeakRef(request));
      return send(request, destination, options);
    };
    b.onIncomingCall((call) => {
      invites.push(new WeakRef(call.request));
      void call.accept(ANSWER);
    });
    // The OutgoingCall and the IncomingCall stay in here; the call goes on with its two SipCalls.
    const answeredCall = async (): Promise<SipCall[]> => {
      const outgoing = a.invite({ target, from, body: OFFER });
      await run(200);
      const outcome = await outgoing.outcome;
      assert.ok(outcome.kind === 'answered');
      return [outcome.call];
    };
    const calls = await answeredCall();
    await run(1_000);
    assert.equal(invites.length, 2, 'the INVITE as sent by a and as received by b');
    assert.equal(await collected(invites[0]!), true, 'the caller\'s SipCall lets go of the INVITE it sent');
    assert.equal(await collected(invites[1]!), true, 'the callee\'s SipCall lets go of the INVITE it received');
    assert.equal(calls[0]!.isEnded, false, 'the call is still up');
    const ending = calls[0]!.bye();
    await run(100);
    await ending;
    await close();
  });

  it('ended: the BYE transactions, kept for Timer K (client) and Timer J (server), keep neither the BYE received nor its 200', async () => {
    const ua = await pair();
    const { a, b, run, close, link } = ua;
    const byeMessages: WeakRef<object>[] = [];
    for (const side of [link.a, link.b]) {
      const inner = side.listener!;
      side.listener = {
        onMessage: (received) => {
          if (received.message.cseq.method === 'BYE') byeMessages.push(new WeakRef(received.message));
          inner.onMessage(received);
        },
      };
    }
    assert.equal((await callAnsweredThenEnded(ua)).ended.status, 200);
    await run(1_000);
    assert.equal(byeMessages.length, 2, 'the BYE reached b and its 200 reached a');
    assert.ok(a.transactions.stats().clientTransactions >= 2, 'the BYE client transaction is kept for Timer K');
    assert.ok(b.transactions.stats().serverTransactions >= 2, 'the BYE server transaction is kept for Timer J');
    assert.equal(await collected(byeMessages[0]!), true, 'the BYE is let go by its server transaction');
    assert.equal(await collected(byeMessages[1]!), true, 'the 200 is let go by the BYE client transaction');
    await close();
  });

  it('rejected: the OutgoingCall\'s and the IncomingCall\'s listeners are let go', async () => {
    const { a, b, target, from, run, close } = await pair();
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from, body: OFFER });
    await run(50);
    assert.ok(incoming !== undefined, 'the INVITE arrived');
    const ref = listenOn({ outgoing, incoming });
    incoming.reject(486);
    await run(100);
    const outcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'failed');
    assert.equal(await collected(ref), true);
    assert.ok([outgoing, incoming].every((held) => held !== undefined));
    await close();
  });

  it('cancelled: the cancelled event is delivered, then the listeners are let go', async () => {
    const { a, b, target, from, run, close } = await pair();
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from, body: OFFER });
    await run(50);
    assert.ok(incoming !== undefined, 'the INVITE arrived');
    incoming.progress(180);
    await run(50);
    let cancelledSeen = 0;
    incoming.on('cancelled', () => cancelledSeen++);
    const ref = listenOn({ outgoing, incoming });
    outgoing.cancel();
    await run(200);
    assert.equal(cancelledSeen, 1);
    assert.equal((await outgoing.outcome).kind, 'failed');
    assert.equal(await collected(ref), true);
    assert.ok([outgoing, incoming].every((held) => held !== undefined));
    await close();
  });
});
