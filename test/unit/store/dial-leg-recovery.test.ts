/**
 * Crash recovery of a <Dial>'s child legs (issue 7: "a call live at the crash is recorded as failed on
 * restart, with its events up to then"). runDial places each leg on fake SIP and media, its child row
 * and status callbacks go through the real DialStore into the store (both backends); the "crash"
 * leaves the legs live, a new store on the same database runs the start-up recovery. A leg whose noun
 * subscribed to `completed` (listed, or implied by a statusCallback without events) gets that callback,
 * CallStatus=failed, after the events it had, with the parameters its normal completed callback
 * carries except what only its end knows (SipResponseCode).
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialStore } from '../../../src/call/adapters/dial/dial-store.js';
import { runDial } from '../../../src/call/dial/index.js';
import { formatRfc2822, silentLogger } from '../../../src/kernel/index.js';
import type { OutboxEntry, Store } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeDialer, accountSid, dialOf, parentSid } from '../call/dial/dial-fakes.js';
import { FakeLeg, settle } from '../call/fake-leg.js';
import { type TestDatabase, disposeStore, forEachBackend, openEmptyStore } from './store-backends.js';

const midnight = Date.UTC(2026, 10, 23);
const documentUrl = 'http://app.test/voice';
const legStatusUrl = 'http://app.test/leg-status';

/** One <Dial> running on a FakeLeg and FakeDialer, its child calls stored by a DialStore. */
function startDial(xml: string, clock: FakeClock, store: Store) {
  const dialer = new FakeDialer();
  const dialStore = new DialStore(store, silentLogger);
  // Never aborted: the "crash" abandons the Dial where it stands.
  const running = runDial(
    dialOf(xml, 'twiml'),
    {
      leg: new FakeLeg({ clock }),
      clock,
      documentUrl,
      accountSid,
      parent: { sid: parentSid, from: '+15550001111', to: '+15551230000' },
      dialer,
      media: {
        ringback() {},
        async bridge() {
          return { close() {} };
        },
      },
      callbacks: dialStore,
      callEvents: dialStore.callEvents,
      notifications: { record() {} },
      regions: [{ name: 'us1', default: true }],
      logger: silentLogger,
    },
    new AbortController().signal,
  );
  return { dialer, dialStore, running };
}

forEachBackend('crash recovery: a <Dial> leg live at the crash', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(midnight);
    ({ database, store } = await openEmptyStore(backend, clock));
  });
  afterEach(() => disposeStore(database, store));

  /** The engine dies and starts again on the same database: the start-up recovery of main.ts. */
  async function restart(): Promise<void> {
    await store.close();
    store = await database.open(clock);
    await store.calls.markLiveCallsFailed('the engine restarted while the call was live');
  }

  async function outboxOf(callSid: string): Promise<OutboxEntry[]> {
    return store.outbox.list({ callSid });
  }

  /** The Dial's one leg rings, then answers (and the bridge is made): it is in progress. */
  async function answer(dialer: FakeDialer): Promise<void> {
    await settle();
    const leg = dialer.leg;
    leg.ring();
    await settle();
    clock.advance(2_000);
    leg.answer();
    await settle();
  }

  const everyEvent = `<Response><Dial><Sip statusCallback="/leg-status" statusCallbackEvent="initiated ringing answered completed">sip:kate@example.com</Sip></Dial></Response>`;

  test('a bridged leg subscribed to every event gets completed, CallStatus=failed, as its next event, with its normal parameters', async () => {
    // A leg that ends normally first: the completed callback the recovered one must match.
    const normal = startDial(everyEvent, clock, store);
    await answer(normal.dialer);
    clock.advance(10_000);
    normal.dialer.leg.ended('remote');
    await normal.running;
    await normal.dialStore.idle();
    const [normalSid] = normal.dialer.legs.map((leg) => leg.request.callSid);
    const normalCompleted = (await outboxOf(normalSid!)).at(-1)!;
    assert.equal(normalCompleted.params['CallStatus'], 'completed');

    assert.equal(normalCompleted.params['SipResponseCode'], '200');

    // The leg live at the crash: initiated, ringing and answered told, then bridged until kill -9.
    const live = startDial(everyEvent, clock, store);
    await answer(live.dialer);
    await live.dialStore.idle();
    const liveSid = live.dialer.leg.request.callSid;
    // The last thing heard of it is its answer; the restart comes an hour later.
    const answeredAt = clock.now();
    clock.advance(3_600_000);
    await restart();

    const call = await store.calls.get(liveSid);
    assert.equal(call?.status, 'failed');
    assert.equal(call?.parentCallSid, parentSid);
    assert.equal(call?.endTime, answeredAt);
    const events = await store.callEvents.list(liveSid);
    assert.deepEqual(events.map((event) => [event.sequenceNumber, event.name]), [[0, 'initiated'], [1, 'ringing'], [2, 'answered'], [3, 'completed']]);
    const outbox = await outboxOf(liveSid);
    assert.deepEqual(outbox.map((entry) => entry.sequenceNumber), [0, 1, 2, 3]);
    const final = outbox[3]!;
    assert.equal(final.url, legStatusUrl);
    assert.equal(final.method, 'POST');
    assert.equal(final.accountSid, accountSid);
    const expected: Record<string, string> = {
      ...normalCompleted.params,
      // The leg's own identity, and what the recovery knows of its end…
      CallSid: liveSid,
      SipCallId: live.dialer.leg.sipCallId,
      CallStatus: 'failed',
      CallDuration: '0',
      SequenceNumber: '3',
      Timestamp: formatRfc2822(answeredAt),
    };
    // …and nothing that only a real end knows: there was no final SIP response.
    delete expected['SipResponseCode'];
    assert.deepEqual(final.params, expected);
    assert.equal(final.params['ParentCallSid'], parentSid);
    assert.equal(final.params['Direction'], 'outbound-dial');

    // The leg that ended before the crash keeps its record and gets nothing more.
    assert.equal((await store.calls.get(normalSid!))?.status, 'completed');
    assert.deepEqual((await outboxOf(normalSid!)).map((entry) => entry.sequenceNumber), [0, 1, 2, 3]);
  });

  test('ringing legs: a statusCallback without events means completed alone; a noun without completed gets no final callback', async () => {
    const dial = startDial(
      `<Response><Dial>` +
        `<Sip statusCallback="/leg-status" statusCallbackMethod="GET">sip:alice@example.com</Sip>` +
        `<Sip statusCallback="/other-status" statusCallbackEvent="initiated ringing">sip:bob@example.com</Sip>` +
        `</Dial></Response>`,
      clock,
      store,
    );
    await settle();
    for (const leg of dial.dialer.legs) leg.ring();
    await settle();
    await dial.dialStore.idle();
    const [completedOnly, withoutCompleted] = dial.dialer.legs.map((leg) => leg.request.callSid);
    await restart();

    const final = await outboxOf(completedOnly!);
    assert.deepEqual(final.map((entry) => [entry.sequenceNumber, entry.url, entry.method, entry.params['CallStatus'], entry.params['SequenceNumber']]), [
      [0, legStatusUrl, 'GET', 'failed', '0'],
    ]);
    assert.equal(final[0]!.params['CallDuration'], '0');
    assert.equal(final[0]!.params['ParentCallSid'], parentSid);
    assert.equal(final[0]!.params['To'], 'sip:alice@example.com');

    assert.equal((await store.calls.get(withoutCompleted!))?.status, 'failed');
    assert.deepEqual((await store.callEvents.list(withoutCompleted!)).map((event) => event.name), ['initiated', 'ringing']);
    assert.deepEqual((await outboxOf(withoutCompleted!)).map((entry) => entry.params['CallStatus']), ['initiated', 'ringing']);
  });
});
