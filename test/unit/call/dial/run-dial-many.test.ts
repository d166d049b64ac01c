/**
 * <Dial> with several nouns (issue 6): parallel races and sequential fall-through (seed 004 Examples 6
 * and 7, seed 001 "first answer wins"), screening per noun, <Number> through the trunk, <Client>
 * without a registrar, and answerOnBridge with early media. All on the FakeClock with the fakes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialActionParameters, type DialResult, type ScreeningRequest, type ScreeningVerdict, type StatusCallbackRequest } from '../../../../src/call/dial/index.js';
import { Interruption } from '../../../../src/call/index.js';
import { accountSid, dialOf, parentSid, runHarness } from './dial-fakes.js';

const events = 'statusCallbackEvent="initiated ringing answered completed"';

/** Three <Sip> nouns, each with its own status callback URL (seed 004: "for each endpoint, you can specify which Status Callback events"). */
function threeSips(attributes = ''): string {
  return `<Response><Dial action="/after_dial" ${attributes}>
    <Sip ${events} statusCallback="/events/soft">sip:alice-soft-phone@example.com</Sip>
    <Sip ${events} statusCallback="/events/desk">sip:alice-desk-phone@example.com</Sip>
    <Sip ${events} statusCallback="/events/mobile">sip:alice-mobile-client@example.com</Sip>
  </Dial></Response>`;
}

function resultOf(outcome: unknown, follow = true): DialResult {
  const request = outcome as { kind: string; url: string; result: DialResult; follow: boolean };
  assert.equal(request.kind, 'request');
  assert.equal(request.url, 'http://app.test/after_dial');
  assert.equal(request.follow, follow);
  return request.result;
}

/** One leg's callbacks as [SequenceNumber, CallStatus]. */
function callbacksOf(callbacks: StatusCallbackRequest[], callSid: string): [number, string | undefined][] {
  return callbacks.filter((callback) => callback.callSid === callSid).map((callback) => [callback.sequenceNumber, callback.params['CallStatus']]);
}

describe('runDial: parallel (seed 004 Example 6, seed 001 "the first user agent to accept … the other connection attempts are canceled")', () => {
  for (const [winnerIndex, name] of [
    [0, 'first'],
    [1, 'middle'],
    [2, 'last'],
  ] as const) {
    it(`the ${name} noun answers: it is bridged, the others get CANCEL and end canceled, each with its own callbacks`, async () => {
      const run = runHarness(dialOf(threeSips(), 'twiml'));
      await run.settle();
      // Every noun rings at once, in document order, each a child call of its own.
      assert.equal(run.dialer.legs.length, 3);
      assert.deepEqual(
        run.dialer.legs.map((leg) => leg.request.requestUri.text),
        ['sip:alice-soft-phone@example.com', 'sip:alice-desk-phone@example.com', 'sip:alice-mobile-client@example.com'],
      );
      const sids = run.dialer.legs.map((leg) => leg.request.callSid);
      assert.equal(new Set(sids).size, 3);
      assert.deepEqual(run.created.map((call) => [call.sid, call.parentCallSid, call.direction]), sids.map((sid) => [sid, parentSid, 'outbound-dial']));

      for (const leg of run.dialer.legs) leg.ring();
      run.clock.advance(4000);
      const winner = run.dialer.legs[winnerIndex]!;
      winner.answer([{ name: 'X-Phone', value: name }]);
      await run.settle();
      const losers = run.dialer.legs.filter((leg) => leg !== winner);
      for (const loser of losers) assert.deepEqual(loser.actions, ['cancel']);
      assert.deepEqual(winner.actions, []);
      assert.deepEqual(run.log, ['caller answered', 'invite', 'invite', 'invite', winnerIndex === 0 ? 'bridged' : `bridged ${winnerIndex + 1}`]);
      for (const loser of losers) loser.fail(487, 'cancelled');
      await run.settle();
      run.clock.advance(30_000);
      winner.ended();
      await run.running;

      const result = resultOf(run.outcome());
      assert.deepEqual(result, {
        verb: 'dial',
        dialCallStatus: 'completed',
        dialCallSid: winner.request.callSid,
        dialCallDurationSeconds: 30,
        bridged: true,
        sipCallId: winner.sipCallId,
        sipResponseCode: 200,
        sipHeaders: [{ name: 'X-Phone', value: name }],
      });
      // Per-noun status callbacks, each numbered from 0, each to its own URL.
      for (const [index, leg] of run.dialer.legs.entries()) {
        const expected: [number, string][] =
          leg === winner
            ? [
                [0, 'initiated'],
                [1, 'ringing'],
                [2, 'in-progress'],
                [3, 'completed'],
              ]
            : [
                [0, 'initiated'],
                [1, 'ringing'],
                [2, 'canceled'],
              ];
        assert.deepEqual(callbacksOf(run.callbacks, leg.request.callSid), expected, `leg ${index + 1}`);
        const url = ['http://app.test/events/soft', 'http://app.test/events/desk', 'http://app.test/events/mobile'][index];
        assert.ok(run.callbacks.filter((callback) => callback.callSid === leg.request.callSid).every((callback) => callback.url === url));
      }
      const canceled = run.callbacks.find((callback) => callback.callSid === losers[0]!.request.callSid && callback.params['CallStatus'] === 'canceled');
      assert.deepEqual([canceled?.params['SipResponseCode'], canceled?.params['CallDuration'], canceled?.params['SipCallId']], ['487', '0', losers[0]!.sipCallId]);
      assert.equal(run.clock.pending(), 0);
      assert.equal(run.children.size, 0);
    });
  }

  it('all busy → busy; the action reports the last leg to end', async () => {
    const run = runHarness(dialOf(threeSips(), 'twiml'));
    await run.settle();
    const [soft, desk, mobile] = run.dialer.legs;
    desk!.fail(486);
    await run.settle();
    assert.equal(run.outcome(), undefined);
    mobile!.fail(600);
    soft!.fail(486, 'response', [{ name: 'X-Why', value: 'dnd' }]);
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual(
      [result.dialCallStatus, result.dialCallSid, result.sipResponseCode, result.sipHeaders, result.bridged],
      ['busy', soft!.request.callSid, 486, [{ name: 'X-Why', value: 'dnd' }], false],
    );
    for (const leg of run.dialer.legs) assert.deepEqual(leg.actions, []);
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: true }]);
    assert.equal(run.clock.pending(), 0);
  });

  it('no one answers within timeout: every leg gets CANCEL, each ends no-answer', async () => {
    const run = runHarness(dialOf(threeSips('timeout="20"'), 'twiml'));
    await run.settle();
    for (const leg of run.dialer.legs) leg.ring();
    run.clock.advance(20_000);
    await run.settle();
    for (const leg of run.dialer.legs) assert.deepEqual(leg.actions, ['cancel']);
    for (const leg of run.dialer.legs) leg.fail(487, 'cancelled');
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'no-answer');
    for (const leg of run.dialer.legs) assert.deepEqual(callbacksOf(run.callbacks, leg.request.callSid).at(-1), [2, 'no-answer']);
  });

  it('the caller hangs up while they ring: every leg cancelled → canceled, action not followed', async () => {
    const run = runHarness(dialOf(threeSips(), 'twiml'));
    await run.settle();
    run.controller.abort(new Interruption('hangup'));
    await run.settle();
    for (const leg of run.dialer.legs) assert.deepEqual(leg.actions, ['cancel']);
    for (const leg of run.dialer.legs) leg.fail(487, 'cancelled');
    await run.running;
    assert.equal(resultOf(run.outcome(), false).dialCallStatus, 'canceled');
  });

  it('an answer arriving after the winner (its 200 crossed our CANCEL): that leg is hung up and ends canceled', async () => {
    const run = runHarness(dialOf(threeSips(), 'twiml'));
    await run.settle();
    const [soft, desk, mobile] = run.dialer.legs;
    soft!.ring();
    desk!.ring();
    desk!.answer();
    soft!.answer(); // in the same turn: already queued behind the winner
    await run.settle();
    assert.deepEqual(desk!.actions, []);
    assert.deepEqual(soft!.actions, ['cancel', 'hangup']);
    assert.deepEqual(mobile!.actions, ['cancel']);
    mobile!.answer(); // later still
    await run.settle();
    assert.deepEqual(mobile!.actions, ['cancel', 'hangup']);
    assert.deepEqual(run.log, ['caller answered', 'invite', 'invite', 'invite', 'bridged 2']);
    // The losers' child calls end canceled, never in progress; the raw 200 goes along.
    assert.deepEqual(callbacksOf(run.callbacks, soft!.request.callSid), [
      [0, 'initiated'],
      [1, 'ringing'],
      [2, 'canceled'],
    ]);
    assert.equal(run.callbacks.at(-1)?.params['SipResponseCode'], '200');
    assert.deepEqual(callbacksOf(run.callbacks, mobile!.request.callSid), [
      [0, 'initiated'],
      [1, 'canceled'],
    ]);
    soft!.ended('local');
    await run.settle();
    desk!.ended();
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.dialCallSid], ['completed', desk!.request.callSid]);
  });

  it('a loser whose CANCEL is still unanswered when the Dial ends ends canceled then; a 200 after that is still hung up', async () => {
    const run = runHarness(dialOf(threeSips(), 'twiml'));
    await run.settle();
    const [soft, desk, mobile] = run.dialer.legs;
    soft!.answer();
    await run.settle();
    desk!.fail(487, 'cancelled');
    soft!.ended();
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'completed');
    assert.deepEqual(callbacksOf(run.callbacks, mobile!.request.callSid), [
      [0, 'initiated'],
      [1, 'canceled'],
    ]);
    mobile!.answer();
    assert.deepEqual(mobile!.actions, ['cancel', 'hangup']);
    assert.equal(run.callbacks.filter((callback) => callback.callSid === mobile!.request.callSid).length, 2);
  });

  it('a REST cancel of one ringing leg cancels that leg alone; the others ring on', async () => {
    const run = runHarness(dialOf(threeSips(), 'twiml'));
    await run.settle();
    const [soft, desk, mobile] = run.dialer.legs;
    assert.equal(run.children.get(desk!.request.callSid)?.end('canceled'), true);
    assert.deepEqual([soft!.actions, desk!.actions, mobile!.actions], [[], ['cancel'], []]);
    desk!.fail(487, 'cancelled');
    await run.settle();
    assert.equal(run.outcome(), undefined);
    mobile!.answer();
    await run.settle();
    assert.deepEqual(soft!.actions, ['cancel']);
    mobile!.ended();
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.dialCallSid], ['completed', mobile!.request.callSid]);
    assert.equal(run.created.length, 3);
  });
});

describe('runDial: sequential (seed 004 Example 7: "if Alice rejects or does not answer then the call will go to Bob")', () => {
  const sequential = `<Response><Dial sequential="true" timeout="15" action="/after_dial">
    <Sip ${events} statusCallback="/events">sip:alice@example.com</Sip>
    <Sip ${events} statusCallback="/events">sip:bob@example.com</Sip>
    <Sip ${events} statusCallback="/events">sip:charlie@example.com</Sip>
    <Sip ${events} statusCallback="/events">sip:dan@example.com</Sip>
  </Dial></Response>`;

  it('busy, decline, failure and no answer each move on, one leg at a time in document order; the action reports the last attempt', async () => {
    const run = runHarness(dialOf(sequential, 'twiml'));
    await run.settle();
    assert.equal(run.dialer.legs.length, 1);
    assert.equal(run.created.length, 1);
    run.dialer.legs[0]!.fail(486); // busy
    await run.settle();
    assert.equal(run.dialer.legs.length, 2);
    assert.equal(run.dialer.legs[1]!.request.requestUri.text, 'sip:bob@example.com');
    run.dialer.legs[1]!.fail(603); // decline
    await run.settle();
    assert.equal(run.dialer.legs.length, 3);
    run.dialer.legs[2]!.fail(503, 'transport'); // failure
    await run.settle();
    assert.equal(run.dialer.legs.length, 4);
    const dan = run.dialer.legs[3]!;
    dan.ring();
    // Each leg rings for the whole timeout of its own.
    run.clock.advance(14_999);
    await run.settle();
    assert.deepEqual(dan.actions, []);
    run.clock.advance(1);
    await run.settle();
    assert.deepEqual(dan.actions, ['cancel']);
    dan.fail(487, 'cancelled'); // no answer
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual(
      [result.dialCallStatus, result.dialCallSid, result.sipCallId, result.sipResponseCode],
      ['no-answer', dan.request.callSid, 'call-4@dialtone', 487],
    );
    assert.deepEqual(
      run.dialer.legs.map((leg) => callbacksOf(run.callbacks, leg.request.callSid).at(-1)?.[1]),
      ['busy', 'busy', 'failed', 'no-answer'],
    );
    // One ringback across the sequence, stopped at the end.
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: true }]);
    assert.equal(run.clock.pending(), 0);
  });

  it('a no-answer then an answer: the second is bridged and the rest are never dialled', async () => {
    const run = runHarness(dialOf(sequential, 'twiml'));
    await run.settle();
    run.clock.advance(15_000);
    await run.settle();
    run.dialer.legs[0]!.fail(487, 'cancelled');
    await run.settle();
    const bob = run.dialer.legs[1]!;
    bob.answer();
    await run.settle();
    assert.deepEqual(run.log, ['caller answered', 'invite', 'invite', 'bridged 2']);
    bob.ended();
    await run.running;
    assert.equal(run.dialer.legs.length, 2);
    assert.equal(run.created.length, 2);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.dialCallSid], ['completed', bob.request.callSid]);
  });

  it('the caller hangs up during an attempt: it is cancelled and the sequence stops', async () => {
    const run = runHarness(dialOf(sequential, 'twiml'));
    await run.settle();
    run.dialer.legs[0]!.fail(486);
    await run.settle();
    run.controller.abort(new Interruption('hangup'));
    await run.settle();
    assert.deepEqual(run.dialer.legs[1]!.actions, ['cancel']);
    run.dialer.legs[1]!.fail(487, 'cancelled');
    await run.running;
    assert.equal(run.dialer.legs.length, 2);
    const result = resultOf(run.outcome(), false);
    assert.deepEqual([result.dialCallStatus, result.dialCallSid], ['canceled', run.dialer.legs[1]!.request.callSid]);
  });
});

describe('runDial: screening per noun in parallel mode', () => {
  it('the answering leg is screened with its own url; the others were already cancelled; a decline ends the Dial unbridged', async () => {
    const requests: ScreeningRequest[] = [];
    let decide: ((verdict: ScreeningVerdict) => void) | undefined;
    const run = runHarness(
      dialOf(
        `<Response><Dial action="/after_dial">
          <Sip url="/screen/alice">sip:alice@example.com</Sip>
          <Sip url="/screen/bob" method="GET">sip:bob@example.com</Sip>
        </Dial></Response>`,
        'twiml',
      ),
      {
        screening: {
          screen(request) {
            requests.push(request);
            return new Promise((resolve) => (decide = resolve));
          },
        },
      },
    );
    await run.settle();
    const [alice, bob] = run.dialer.legs;
    bob!.answer();
    await run.settle();
    // "in parallel mode the others were already cancelled, as Twilio does"
    assert.deepEqual(alice!.actions, ['cancel']);
    assert.equal(requests.length, 1);
    assert.deepEqual(
      [requests[0]!.callSid, requests[0]!.url, requests[0]!.method, requests[0]!.params['SipCallId'], requests[0]!.callee],
      [bob!.request.callSid, 'http://app.test/screen/bob', 'GET', 'call-2@dialtone', bob],
    );
    alice!.fail(487, 'cancelled');
    decide?.('declined');
    await run.running;
    assert.deepEqual(bob!.actions, ['hangup']);
    assert.deepEqual(run.log, ['caller answered', 'invite', 'invite']);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.bridged, result.dialCallSid], ['answered', false, bob!.request.callSid]);
  });
});

describe('runDial: <Number> through the trunk, and <Client>', () => {
  const trunk = { name: 'default', uri: 'sip:gateway.example.net;transport=udp', username: 'trunkuser', password: 'trunkpass' };

  it('seed 004 Example 6: <Number> rings through the trunk beside the <Sip> nouns, with the trunk\'s credentials', async () => {
    const run = runHarness(
      dialOf(
        `<Response><Dial action="/after_dial">
          <Number>+12143211432</Number>
          <Sip>sip:alice-soft-phone@example.com</Sip>
        </Dial></Response>`,
        'twiml',
      ),
      { trunk },
    );
    await run.settle();
    const [number, sip] = run.dialer.legs;
    assert.equal(number!.request.requestUri.text, 'sip:+12143211432@gateway.example.net;transport=udp');
    assert.deepEqual(number!.request.credentials, { username: 'trunkuser', password: 'trunkpass' });
    assert.equal(sip!.request.credentials, undefined);
    assert.equal(run.created[0]?.to, '+12143211432');
    number!.answer();
    await run.settle();
    assert.deepEqual(sip!.actions, ['cancel']);
    number!.ended();
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallSid, number!.request.callSid);
    assert.deepEqual(run.notifications, []);
  });

  it('sendDigits goes to the answered callee through the leg\'s DTMF port', async () => {
    const run = runHarness(dialOf('<Response><Dial><Number sendDigits="wwww1928">415-123-4567</Number></Dial></Response>', 'twiml'), {
      trunk,
      sendDigits: true,
    });
    await run.settle();
    assert.equal(run.dialer.leg.request.requestUri.user, '4151234567');
    assert.deepEqual(run.dialer.leg.digitsSent, []);
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.dialer.leg.digitsSent, ['wwww1928']);
    run.dialer.leg.ended();
    await run.running;
  });

  it('sendDigits without a DTMF port on the leg: a warning, and the call goes on', async () => {
    const run = runHarness(dialOf('<Response><Dial><Number sendDigits="1234">+15557654321</Number></Dial></Response>', 'twiml'), { trunk });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.notifications.map((notification) => [notification.errorCode, notification.logLevel]), [[12200, 'warning']]);
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged']);
    run.dialer.leg.ended();
    await run.running;
  });

  it('<Client> is an error notification and the noun is skipped; alone, the Dial fails without answering the caller', async () => {
    const run = runHarness(dialOf('<Response><Dial action="/after_dial"><Client statusCallback="/events">alice</Client></Dial></Response>', 'twiml'));
    await run.running;
    assert.deepEqual(
      run.notifications.map((notification) => [notification.errorCode, notification.logLevel, notification.callSid]),
      [[12200, 'error', parentSid]],
    );
    assert.match(run.notifications[0]!.messageText, /<Client>alice<\/Client>.*no client registrar/);
    assert.equal(run.dialer.legs.length, 0);
    assert.equal(run.leg.answered, false);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.sipCallId, result.sipResponseCode], ['failed', undefined, undefined]);
    assert.deepEqual(dialActionParameters(result), { DialCallStatus: 'failed', DialCallSid: result.dialCallSid, DialCallDuration: '0', DialBridged: 'false' });
    assert.deepEqual(run.created.map((call) => call.to), ['client:alice']);
    assert.deepEqual(run.callbacks.map((callback) => callback.params['CallStatus']), ['failed']);
  });

  it('<Client> beside a <Sip>: the <Sip> rings alone; a <Number> without a trunk is skipped the same way', async () => {
    const run = runHarness(
      dialOf('<Response><Dial action="/after_dial"><Client>alice</Client><Number>+15557654321</Number><Sip>sip:bob@example.com</Sip></Dial></Response>', 'twiml'),
    );
    await run.settle();
    assert.equal(run.dialer.legs.length, 1);
    assert.deepEqual(run.notifications.map((notification) => notification.logLevel), ['error', 'error']);
    assert.match(run.notifications[1]!.messageText, /needs a trunk/);
    run.dialer.leg.fail(486);
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.dialCallSid], ['busy', run.dialer.leg.request.callSid]);
  });
});

describe('runDial: answerOnBridge with early media', () => {
  it('the unanswered caller hears the first leg\'s early media; when it fails the next one\'s; the answer answers and bridges', async () => {
    const run = runHarness(
      dialOf('<Response><Dial answerOnBridge="true" action="/after_dial"><Sip>sip:alice@example.com</Sip><Sip>sip:bob@example.com</Sip></Dial></Response>', 'twiml'),
      { earlyMedia: true },
    );
    await run.settle();
    const [alice, bob] = run.dialer.legs;
    alice!.ring(180);
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'invite']);
    alice!.ring(183, true);
    bob!.ring(183, true); // one leg's early media at a time
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'invite', 'early media 1']);
    assert.equal(run.leg.answered, false);
    alice!.fail(480);
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'invite', 'early media 1', 'early media 1 closed']);
    bob!.ring(183, true);
    await run.settle();
    bob!.answer();
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'invite', 'early media 1', 'early media 1 closed', 'early media 2', 'early media 2 closed', 'caller answered', 'bridged 2']);
    // Our ringback played until the first early media replaced it.
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: true }]);
    bob!.ended();
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'completed');
  });

  it('without answerOnBridge the answered caller hears our ringback, not the early media', async () => {
    const run = runHarness(dialOf('<Response><Dial><Sip>sip:alice@example.com</Sip></Dial></Response>', 'twiml'), { earlyMedia: true });
    await run.settle();
    run.dialer.leg.ring(183, true);
    await run.settle();
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: false }]);
    run.dialer.leg.fail(486);
    await run.running;
  });

  it('the caller hangs up while hearing early media: the leg is cancelled and the relay closed', async () => {
    const run = runHarness(dialOf('<Response><Dial answerOnBridge="true"><Sip>sip:alice@example.com</Sip></Dial></Response>', 'twiml'), { earlyMedia: true });
    await run.settle();
    run.dialer.leg.ring(183, true);
    await run.settle();
    run.controller.abort(new Interruption('hangup'));
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    assert.deepEqual(run.log, ['invite', 'early media 1', 'early media 1 closed']);
    assert.deepEqual(run.outcome(), { kind: 'interrupted' });
    assert.equal(run.created[0]?.accountSid, accountSid);
  });

  it('the early media relay closes at the answer, before the winner\'s screening document runs', async () => {
    let decide: ((verdict: ScreeningVerdict) => void) | undefined;
    const run = runHarness(
      dialOf('<Response><Dial answerOnBridge="true"><Sip url="/screen">sip:alice@example.com</Sip></Dial></Response>', 'twiml'),
      { earlyMedia: true, screening: { screen: () => new Promise((resolve) => (decide = resolve)) } },
    );
    await run.settle();
    run.dialer.leg.ring(183, true);
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'early media 1', 'early media 1 closed']);
    decide?.('connect');
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'early media 1', 'early media 1 closed', 'caller answered', 'bridged']);
    run.dialer.leg.ended();
    await run.running;
  });
});
