/**
 * The UA's timers on a FakeClock, two UserAgents over an in-memory lossy link (no sockets): the 2xx
 * kept alive until its ACK at T1, 2T1, 4T1 … capped at T2 (RFC 3261 §13.3.1.4), BYE after 64*T1 with
 * no ACK, Timer B ending a call nobody answers, and Timer C cancelling one that rings for too long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, serializeMessage, type SipMessage, type SipUri } from '../../../../src/sip/message/index.js';
import type { TransportListener } from '../../../../src/sip/transport/index.js';
import { UserAgent, type CallEnd, type IncomingCall, type OutgoingCallOutcome, type SipCall } from '../../../../src/sip/ua/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { Link } from '../dialog/linked-transports.js';

const T1 = 500;
const T2 = 4_000;

async function pair(options: { timerC?: number; minSe?: number } = {}) {
  const clock = new FakeClock();
  const link = new Link(clock, 10);
  const timers = { t1: T1, t2: T2, tryingDelay: 0, ...(options.timerC === undefined ? {} : { timerC: options.timerC }) };
  // Messages cross the link as bytes, as on a socket: serialised by the sender, parsed by the receiver
  // (the link itself passes structured clones, which keep a locally built "a, b" header as one value).
  const wire = (listener: TransportListener): TransportListener => ({
    onMessage: (received) => {
      const parsed = parseMessage(serializeMessage(received.message));
      if (parsed.ok) listener.onMessage({ ...received, message: parsed.message });
    },
  });
  const a = await UserAgent.over((listener) => ((link.a.listener = wire(listener)), link.a), { clock, timers });
  const b = await UserAgent.over((listener) => ((link.b.listener = wire(listener)), link.b), {
    clock,
    timers,
    ...(options.minSe === undefined ? {} : { sessionTimers: { minSe: options.minSe } }),
  });
  const target: SipUri = { scheme: 'sip', user: 'bob', host: link.b.local.address, port: link.b.local.port, params: new Map(), headers: [] };
  const from = { uri: { scheme: 'sip', user: 'alice', host: 'a.test', params: new Map(), headers: [] }, params: new Map() };
  /** Lets promise continuations run between timer firings (no real time is measured). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Moves the fake clock in small steps, letting the UA's async work run in between. */
  const run = async (ms: number, step = 5): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += step) {
      clock.advance(Math.min(step, ms - elapsed));
      await settle();
    }
  };
  return { clock, link, a, b, target, from, run, settle };
}

const is = (message: SipMessage, what: string): boolean =>
  (message.kind === 'request' ? message.method : `${message.status} ${message.cseq.method}`) === what;

describe('UserAgent timers on a fake clock', () => {
  it('the 2xx is retransmitted at T1, 2*T1 … until the ACK gets through (RFC 3261 §13.3.1.4)', async () => {
    const { link, a, b, target, from, run } = await pair();
    let acksDropped = 0;
    link.drop = (message) => is(message, 'ACK') && acksDropped++ < 3;
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from });
    await run(50);
    assert.ok(incoming !== undefined);
    const accepted = incoming.accept(undefined);
    await run(8 * T1);
    const okTimes = link.log.filter((record) => record.from === 'b' && record.what === '200 INVITE').map((record) => record.at);
    const first = okTimes[0]!;
    // Sent, then again after T1, 2*T1 and 4*T1 (the fourth ACK, at ≈ 7*T1, is the first one through).
    assert.deepEqual(okTimes.map((at) => at - first), [0, T1, 3 * T1, 7 * T1]);
    const call = await accepted;
    assert.equal(call.awaitingAck, false);
    const outcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'answered');
    const ending = b.close();
    await run(100);
    await ending;
    await a.close();
  });

  it('no ACK within 64*T1: the callee sends BYE and both sides end (ack-timeout / remote)', async () => {
    const { link, a, b, target, from, run } = await pair();
    link.drop = (message) => is(message, 'ACK');
    let incoming: IncomingCall | undefined;
    b.onIncomingCall((call) => (incoming = call));
    const outgoing = a.invite({ target, from });
    await run(50);
    const accepted = incoming!.accept(undefined);
    let rejected: unknown;
    accepted.catch((error: unknown) => (rejected = error));
    await run(50);
    const outcome: OutgoingCallOutcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'answered');
    const callerEnd: Promise<CallEnd> = (outcome as { call: { ended: Promise<CallEnd> } }).call.ended;
    await run(64 * T1 - 200, 50);
    assert.equal(link.log.some((record) => record.from === 'b' && record.what === 'BYE'), false, 'no BYE before 64*T1');
    await run(300, 10);
    assert.ok(rejected instanceof Error);
    assert.equal(link.log.filter((record) => record.from === 'b' && record.what === 'BYE').length, 1);
    assert.equal((await callerEnd).by, 'remote');
    await a.close();
    await b.close();
  });

  it('Timer B: an INVITE that is never answered fails with timeout at 64*T1', async () => {
    const { link, a, b, target, from, run } = await pair();
    link.drop = (message) => is(message, 'INVITE');
    const outgoing = a.invite({ target, from });
    const seen: { outcome?: OutgoingCallOutcome } = {};
    void outgoing.outcome.then((outcome) => (seen.outcome = outcome));
    const current = (): OutgoingCallOutcome | undefined => seen.outcome;
    await run(64 * T1 - 100, 100);
    assert.equal(current(), undefined);
    await run(200, 10);
    assert.equal(current()?.kind, 'failed');
    assert.equal(current()?.kind === 'failed' && (current() as { failure: { status: number; cause: string } }).failure.cause, 'timeout');
    // A, 2A, 4A …: the INVITE went out 7 times in 64*T1 (0, T1, 3T1, 7T1, 15T1, 31T1, 63T1).
    assert.equal(link.log.filter((record) => record.what === 'INVITE').length, 7);
    await a.close();
    await b.close();
  });

  it('Timer C: a call that rings past it is cancelled by the transaction layer (CANCEL) and fails with the 487', async () => {
    const { a, b, target, from, run } = await pair({ timerC: 10_000 });
    b.onIncomingCall((call) => call.progress(180));
    const outgoing = a.invite({ target, from });
    const seen: { outcome?: OutgoingCallOutcome } = {};
    void outgoing.outcome.then((outcome) => (seen.outcome = outcome));
    const current = (): OutgoingCallOutcome | undefined => seen.outcome;
    await run(9_900, 100);
    assert.equal(current(), undefined);
    await run(300, 10);
    assert.equal(current()?.kind, 'failed');
    assert.equal(current()?.kind === 'failed' && (current() as { failure: { status: number; cause: string } }).failure.status, 487);
    assert.equal(current()?.kind === 'failed' && (current() as { failure: { status: number; cause: string } }).failure.cause, 'rejected'); // not a cancel() of ours
    await a.close();
    await b.close();
  });

  it('RFC 4028: the caller asks for 90 s and, as refresher, sends an UPDATE every 45 s; the call stays up', async () => {
    const { link, a, b, target, from, run } = await pair();
    let callee: SipCall | undefined;
    b.onIncomingCall((call) => void call.accept(undefined).then((established) => (callee = established)));
    const outgoing = a.invite({ target, from, sessionTimer: { sessionExpires: 90 } });
    await run(100);
    const outcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'answered');
    const caller = (outcome as { call: SipCall }).call;
    assert.deepEqual(caller.sessionTimerOutcome, { active: true, interval: 90, refresher: 'uac', localRefresher: true });
    assert.equal(callee?.sessionTimerOutcome.active, true);
    assert.equal(callee?.sessionTimerOutcome.active && callee.sessionTimerOutcome.localRefresher, false);
    await run(200_000, 500);
    const updates = link.log.filter((record) => record.from === 'a' && record.what === 'UPDATE');
    assert.equal(updates.length, 4); // at 45, 90, 135 and 180 s
    assert.equal(caller.isEnded, false);
    assert.equal(callee!.isEnded, false);
    const closing = a.close();
    await run(100);
    await closing;
    await b.close();
  });

  it('RFC 4028 §10: refreshes lost, the session ends with BYE before it expires (at 60 s for 90 s)', async () => {
    const { link, a, b, target, from, run } = await pair();
    let callee: SipCall | undefined;
    b.onIncomingCall((call) => void call.accept(undefined).then((established) => (callee = established)));
    const outgoing = a.invite({ target, from, sessionTimer: { sessionExpires: 90 } });
    await run(100);
    const caller = ((await outgoing.outcome) as { call: SipCall }).call;
    link.drop = (message) => is(message, 'UPDATE');
    await run(59_000, 500);
    assert.equal(callee!.isEnded, false);
    assert.equal(link.log.some((record) => record.what === 'BYE'), false);
    await run(2_000, 50);
    // §10: the side not refreshing sends BYE at 90 − min(32, 90/3) = 60 s; the refresher, whose refresh
    // did not succeed, gives up at the same moment (the dialog layer's SessionTimer), so both BYEs may cross.
    const byes = link.log.filter((record) => record.what === 'BYE');
    assert.ok(byes.length >= 1 && byes[0]!.at >= 60_000 && byes[0]!.at < 61_000, link.ladder().join('\n'));
    const ends = [(await callee!.ended).by, (await caller.ended).by];
    assert.ok(ends.includes('session-expired'), ends.join());
    assert.ok(ends.every((by) => by === 'session-expired' || by === 'remote'), ends.join());
    await a.close();
    await b.close();
  });

  it('RFC 4028 §7.3: a 422 with Min-SE 1800 is retried with Session-Expires 1800', async () => {
    const { link, a, b, target, from, run } = await pair({ minSe: 1800 });
    b.onIncomingCall((call) => void call.accept(undefined));
    const outgoing = a.invite({ target, from, sessionTimer: { sessionExpires: 90 } });
    await run(200);
    const outcome = await outgoing.outcome;
    assert.equal(outcome.kind, 'answered');
    assert.equal(link.log.filter((record) => record.what === '422 INVITE').length, 1);
    const caller = (outcome as { call: SipCall }).call;
    assert.equal(caller.sessionTimerOutcome.active && caller.sessionTimerOutcome.interval, 1800);
    const closing = a.close();
    await run(100);
    await closing;
    await b.close();
  });
});
