import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialActionParameters, type DialResult, type ScreeningRequest, type ScreeningVerdict } from '../../../../src/call/dial/index.js';
import { Interruption } from '../../../../src/call/index.js';
import { accountSid, dialOf, parentSid, runHarness } from './dial-fakes.js';

// Seed 004, Example 5: "we want to receive a webhook for each call progress event".
const example5 = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial action="/after_dial">
        <Sip
         statusCallbackEvent='initiated ringing answered completed'
         statusCallback='https://myapp.com/calls/events'
         statusCallbackMethod='POST'>
            sip:kate@example.com
        </Sip>
    </Dial>
</Response>`;

function withAction(attributes = '', sip = 'sip:kate@example.com'): string {
  return `<Response><Dial action="/after_dial" ${attributes}><Sip>${sip}</Sip></Dial></Response>`;
}

/** The request outcome's result, asserting the Dial asked for its action. */
function resultOf(outcome: unknown, follow = true): DialResult {
  const request = outcome as { kind: string; url: string; method: string; result: DialResult; follow: boolean };
  assert.equal(request.kind, 'request');
  assert.equal(request.url, 'http://app.test/after_dial');
  assert.equal(request.method, 'POST');
  assert.equal(request.follow, follow);
  return request.result;
}

describe('runDial: one <Sip>, answered', () => {
  it('answer then the callee\'s BYE: bridged, completed, status callbacks in order, action parameters field by field', async () => {
    const run = runHarness(dialOf(example5, 'twiml'));
    await run.settle();
    const callee = run.dialer.leg;
    const childSid = callee.request.callSid;
    assert.match(childSid, /^CA[0-9a-f]{32}$/);
    assert.notEqual(childSid, parentSid);
    // Twilio answers the caller when <Dial> starts (no answerOnBridge), then dials.
    assert.deepEqual(run.log, ['caller answered', 'invite']);

    run.clock.advance(2000);
    callee.ring(180);
    callee.ring(183, true); // a second provisional is not a second ringing event
    run.clock.advance(3000);
    callee.answer([
      { name: 'X-Agent', value: 'kate-desk' },
      { name: 'Contact', value: '<sip:kate@10.0.0.7>' },
    ]);
    await run.settle();
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged']);
    run.clock.advance(65_400);
    callee.ended('remote');
    await run.running;
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged', 'bridge closed']);
    assert.deepEqual(callee.actions, []);

    const result = resultOf(run.outcome());
    assert.deepEqual(result, {
      verb: 'dial',
      dialCallStatus: 'completed',
      dialCallSid: childSid,
      dialCallDurationSeconds: 65,
      bridged: true,
      sipCallId: 'call-1@dialtone',
      sipResponseCode: 200,
      sipHeaders: [{ name: 'X-Agent', value: 'kate-desk' }],
    });
    assert.deepEqual(dialActionParameters(result), {
      DialCallStatus: 'completed',
      DialCallSid: childSid,
      DialCallDuration: '65',
      DialBridged: 'true',
      DialSipCallId: 'call-1@dialtone',
      DialSipResponseCode: '200',
      'DialSipHeader_X-Agent': 'kate-desk',
    });

    // The child call: "outbound calls created using <Dial> are initiated right away and never queued".
    assert.equal(run.created.length, 1);
    assert.deepEqual(
      { ...run.created[0], startTime: 0 },
      {
        sid: childSid,
        accountSid,
        direction: 'outbound-dial',
        from: '+15550001111',
        to: 'sip:kate@example.com',
        parentCallSid: parentSid,
        status: 'queued',
        startTime: 0,
      },
    );
    assert.deepEqual(run.statuses, ['ringing', 'in-progress', 'completed']);

    // Status callbacks: one per subscribed event, SequenceNumber from 0, in order, to the noun's URL.
    const base = {
      CallSid: childSid,
      AccountSid: accountSid,
      From: '+15550001111',
      To: 'sip:kate@example.com',
      ApiVersion: '2010-04-01',
      Direction: 'outbound-dial',
      ParentCallSid: parentSid,
      SipCallId: 'call-1@dialtone',
      CallbackSource: 'call-progress-events',
    };
    assert.deepEqual(run.callbacks, [
      {
        callSid: childSid,
        sequenceNumber: 0,
        accountSid,
        url: 'https://myapp.com/calls/events',
        method: 'POST',
        params: { ...base, CallStatus: 'initiated', Timestamp: 'Tue, 14 Nov 2023 22:13:20 +0000', SequenceNumber: '0' },
      },
      {
        callSid: childSid,
        sequenceNumber: 1,
        accountSid,
        url: 'https://myapp.com/calls/events',
        method: 'POST',
        params: { ...base, CallStatus: 'ringing', Timestamp: 'Tue, 14 Nov 2023 22:13:22 +0000', SequenceNumber: '1' },
      },
      {
        callSid: childSid,
        sequenceNumber: 2,
        accountSid,
        url: 'https://myapp.com/calls/events',
        method: 'POST',
        params: { ...base, CallStatus: 'in-progress', Timestamp: 'Tue, 14 Nov 2023 22:13:25 +0000', SequenceNumber: '2' },
      },
      {
        callSid: childSid,
        sequenceNumber: 3,
        accountSid,
        url: 'https://myapp.com/calls/events',
        method: 'POST',
        params: {
          ...base,
          CallStatus: 'completed',
          // "CallDuration: The duration in seconds of the just-completed call. Only present in the completed event."
          CallDuration: '65',
          SipResponseCode: '200',
          Timestamp: 'Tue, 14 Nov 2023 22:14:30 +0000',
          SequenceNumber: '3',
        },
      },
    ]);
    assert.deepEqual(run.notifications, []);
    assert.equal(run.clock.pending(), 0);
  });

  it('answer then the caller\'s BYE: the callee is hung up, the action is still requested but not followed', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    run.clock.advance(12_000);
    run.controller.abort(new Interruption('hangup'));
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged', 'bridge closed']);
    const result = resultOf(run.outcome(), false);
    assert.equal(result.dialCallStatus, 'completed');
    assert.equal(result.bridged, true);
    assert.equal(result.dialCallDurationSeconds, 12);
    assert.deepEqual(run.statuses, ['in-progress', 'completed']);
    assert.equal(run.clock.pending(), 0);
  });

  it('without action: the caller goes on with the next verb', async () => {
    const run = runHarness(dialOf('<Response><Dial><Sip>sip:kate@example.com</Sip></Dial></Response>', 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    run.dialer.leg.ended();
    assert.deepEqual(await run.running.then(() => run.outcome()), { kind: 'next' });
  });

  it('timeLimit ends the bridge: the callee is hung up and the caller goes on', async () => {
    const run = runHarness(dialOf(withAction('timeLimit="30"'), 'twiml'));
    await run.settle();
    run.clock.advance(4000);
    run.dialer.leg.answer();
    await run.settle();
    run.clock.advance(29_999);
    await run.settle();
    assert.equal(run.outcome(), undefined);
    run.clock.advance(1);
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.dialCallDurationSeconds, result.bridged], ['completed', 30, true]);
    assert.equal(run.clock.pending(), 0);
  });

  it('hangupOnStar: the caller\'s * ends the callee\'s leg and the caller continues', async () => {
    const run = runHarness(dialOf(withAction('hangupOnStar="true"'), 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    run.leg.press('1#');
    await run.settle();
    assert.equal(run.outcome(), undefined);
    run.leg.press('*');
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'completed');
    assert.equal(run.leg.listening(), 0);
  });

  it('without hangupOnStar, * does nothing', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.equal(run.leg.listening(), 0);
    run.leg.press('*');
    await run.settle();
    assert.equal(run.outcome(), undefined);
    run.dialer.leg.ended();
    await run.running;
  });

  it('answerOnBridge: the caller is answered only after the callee, then bridged', async () => {
    const run = runHarness(dialOf(withAction('answerOnBridge="true"'), 'twiml'));
    await run.settle();
    assert.deepEqual(run.log, ['invite']);
    run.dialer.leg.ring();
    await run.settle();
    assert.equal(run.leg.answered, false);
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'caller answered', 'bridged']);
    run.dialer.leg.ended();
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'completed');
  });

  it('answerOnBridge and a busy callee: the caller is never answered', async () => {
    const run = runHarness(dialOf(withAction('answerOnBridge="true"'), 'twiml'));
    await run.settle();
    run.dialer.leg.fail(486);
    await run.running;
    assert.equal(run.leg.answered, false);
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'busy');
  });

  it('the callee gone before the media met: "answered when not bridged"', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    run.dialer.leg.ended();
    await run.running;
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.bridged, result.sipResponseCode], ['answered', false, 200]);
    assert.deepEqual(run.statuses, ['in-progress', 'completed']);
  });

  it('a bridge that cannot be made: the callee is hung up and the Dial failed, with a notification', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'), { bridgeFails: true });
    await run.settle();
    run.dialer.leg.answer();
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'failed');
    assert.deepEqual(run.statuses, ['in-progress', 'failed']);
    assert.equal(run.notifications[0]?.errorCode, 90999);
  });
});

describe('runDial: one <Sip>, not answered', () => {
  for (const [status, expected] of [
    [486, 'busy'],
    [600, 'busy'],
    [603, 'busy'],
    [404, 'failed'],
    [480, 'failed'],
    [503, 'failed'],
  ] as const) {
    it(`${status} → ${expected} (INTERFACE.md's table), with the final response's X- headers`, async () => {
      const run = runHarness(dialOf(withAction(), 'twiml'));
      await run.settle();
      run.dialer.leg.ring();
      run.clock.advance(3000);
      run.dialer.leg.fail(status, 'response', [
        { name: 'X-Reason', value: 'agent-away' },
        { name: 'Retry-After', value: '60' },
      ]);
      await run.running;
      const result = resultOf(run.outcome());
      assert.deepEqual(result, {
        verb: 'dial',
        dialCallStatus: expected,
        dialCallSid: run.dialer.leg.request.callSid,
        dialCallDurationSeconds: 0,
        bridged: false,
        sipCallId: 'call-1@dialtone',
        sipResponseCode: status,
        sipHeaders: [{ name: 'X-Reason', value: 'agent-away' }],
      });
      assert.equal(dialActionParameters(result)['DialSipHeader_X-Reason'], 'agent-away');
      // "The dial result, as DialCallStatus (and CallStatus of the leg)".
      assert.deepEqual(run.statuses, ['ringing', expected]);
      assert.deepEqual(run.log, ['caller answered', 'invite']);
      assert.equal(run.clock.pending(), 0);
    });
  }

  for (const [cause, status] of [
    ['timeout', 408],
    ['transport', 503],
    ['dns', 503],
  ] as const) {
    it(`${cause} (${status}) → failed: "DNS and transport failures included"`, async () => {
      const run = runHarness(dialOf(withAction(), 'twiml'));
      await run.settle();
      run.dialer.leg.fail(status, cause);
      await run.running;
      const result = resultOf(run.outcome());
      assert.deepEqual([result.dialCallStatus, result.sipResponseCode, result.sipHeaders], ['failed', status, []]);
      assert.deepEqual(run.statuses, ['failed']);
    });
  }

  it('no answer within timeout: CANCEL, then 487 → no-answer', async () => {
    // Seed 003, Example 4 sets timeout="10".
    const run = runHarness(dialOf(withAction('timeout="10"'), 'twiml'));
    await run.settle();
    run.dialer.leg.ring();
    run.clock.advance(9999);
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, []);
    run.clock.advance(1);
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.sipResponseCode, result.dialCallDurationSeconds], ['no-answer', 487, 0]);
    assert.deepEqual(run.statuses, ['ringing', 'no-answer']);
    assert.equal(run.clock.pending(), 0);
  });

  it('an INVITE the dialer cannot place → failed, with no SIP code, a notification and a completed callback', async () => {
    const run = runHarness(
      dialOf('<Response><Dial action="/after_dial"><Sip statusCallback="/events">sip:kate@example.com</Sip></Dial></Response>', 'twiml'),
      { placeThrows: true },
    );
    await run.running;
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.sipCallId, result.sipResponseCode], ['failed', undefined, undefined]);
    assert.deepEqual(run.statuses, ['failed']);
    assert.equal(run.notifications[0]?.errorCode, 90110);
    assert.deepEqual(run.callbacks.map((callback) => callback.params['CallStatus']), ['failed']);
    assert.equal(run.callbacks[0]?.params['SipResponseCode'], undefined);
    assert.equal(run.clock.pending(), 0);
    assert.deepEqual(run.ringbacks, []);
  });

  it('a 487 we did not ask for is "everything else" → failed', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.fail(487, 'response');
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'failed');
  });

  it('the caller hangs up while ringing: the outbound leg is cancelled → canceled, action requested but not followed', async () => {
    const run = runHarness(dialOf(example5, 'twiml'));
    await run.settle();
    run.dialer.leg.ring();
    run.clock.advance(4000);
    run.controller.abort(new Interruption('hangup'));
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    const result = resultOf(run.outcome(), false);
    assert.deepEqual([result.dialCallStatus, result.sipResponseCode], ['canceled', 487]);
    assert.deepEqual(run.statuses, ['ringing', 'canceled']);
    const completed = run.callbacks.at(-1);
    assert.equal(completed?.sequenceNumber, 2);
    assert.equal(completed?.params['CallStatus'], 'canceled');
    assert.equal(completed?.params['CallDuration'], '0');
    assert.equal(completed?.params['SipResponseCode'], '487');
    assert.equal(run.clock.pending(), 0);
  });

  it('an outside redirect while ringing cancels the leg (canceled) and gives way to the new document', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.controller.abort(new Interruption('redirect'));
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    assert.deepEqual(run.outcome(), { kind: 'interrupted' });
    assert.deepEqual(run.statuses, ['canceled']);
  });

  it('the caller gone right after the INVITE went out: it is cancelled at once', async () => {
    const run = runHarness(dialOf(withAction('answerOnBridge="true"'), 'twiml'));
    run.controller.abort(new Interruption('hangup'));
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    assert.equal(resultOf(run.outcome(), false).dialCallStatus, 'canceled');
  });

  it('the caller already gone when the Dial starts: nothing is dialled', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'), { abortedBefore: true });
    await run.running;
    assert.deepEqual(run.outcome(), { kind: 'interrupted' });
    assert.equal(run.dialer.legs.length, 0);
    assert.deepEqual(run.created, []);
  });
});

describe('runDial: status callbacks and notifications', () => {
  it('a statusCallback with no events gets "completed" alone, with its method, relative URL resolved', async () => {
    const run = runHarness(
      dialOf('<Response><Dial><Sip statusCallback="/events" statusCallbackMethod="GET">sip:kate@example.com</Sip></Dial></Response>', 'twiml'),
    );
    await run.settle();
    run.dialer.leg.ring();
    run.dialer.leg.fail(486);
    await run.running;
    assert.equal(run.callbacks.length, 1);
    assert.deepEqual(
      [run.callbacks[0]?.sequenceNumber, run.callbacks[0]?.url, run.callbacks[0]?.method, run.callbacks[0]?.params['CallStatus']],
      [0, 'http://app.test/events', 'GET', 'busy'],
    );
    assert.equal(run.callbacks[0]?.params['SequenceNumber'], '0');
  });

  it('seed 002 "statusCallbackEvent: ringing answered": only those, numbered from 0', async () => {
    const run = runHarness(
      dialOf(
        '<Response><Dial callerId="alice" method="GET" action="https://www.example.com/after_dial"><Sip statusCallbackEvent="ringing answered" statusCallback="https://www.example.com/dial_events">sip:dan@example.com?x-customheader=foo</Sip></Dial></Response>',
        'cxml',
      ),
    );
    await run.settle();
    run.dialer.leg.ring();
    run.dialer.leg.answer();
    await run.settle();
    run.dialer.leg.ended();
    await run.running;
    assert.deepEqual(
      run.callbacks.map((callback) => [callback.sequenceNumber, callback.params['CallStatus'], callback.params['From']]),
      [
        [0, 'ringing', 'alice'],
        [1, 'in-progress', 'alice'],
      ],
    );
    const outcome = run.outcome() as { kind: string; url: string; method: string };
    assert.deepEqual([outcome.kind, outcome.url, outcome.method], ['request', 'https://www.example.com/after_dial', 'GET']);
  });

  it('no statusCallback: no callbacks at all', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.fail(486);
    await run.running;
    assert.deepEqual(run.callbacks, []);
  });

  it('an unknown region is a 12200 warning on the caller\'s call, and the INVITE leaves from the default egress', async () => {
    const run = runHarness(dialOf(withAction('', 'sip:alice@example.com;region=xx9'), 'twiml'));
    await run.settle();
    assert.deepEqual(run.notifications, [
      {
        accountSid,
        callSid: parentSid,
        errorCode: 12200,
        logLevel: 'warning',
        messageText: "region 'xx9' is not configured; the INVITE leaves from the default region 'us1'",
      },
    ]);
    assert.equal(run.dialer.leg.request.region, 'us1');
    assert.equal(run.dialer.leg.request.outboundProxy, undefined);
    run.dialer.leg.fail(503, 'transport');
    await run.running;
  });

  it('region=ie1 goes through ie1\'s outbound proxy', async () => {
    const run = runHarness(dialOf(withAction('', 'sip:alice@example.com;region=ie1'), 'twiml'));
    await run.settle();
    assert.deepEqual([run.dialer.leg.request.region, run.dialer.leg.request.outboundProxy], ['ie1', 'sip:10.0.0.5:5060']);
    assert.deepEqual(run.notifications, []);
    run.dialer.leg.fail(503, 'transport');
    await run.running;
  });

  it('a <Dial> that is not one <Sip> is skipped with a 12200 warning', async () => {
    const run = runHarness(dialOf('<Response><Dial><Number>+15557654321</Number></Dial></Response>', 'twiml'));
    await run.running;
    assert.deepEqual(run.outcome(), { kind: 'next' });
    assert.equal(run.notifications[0]?.errorCode, 12200);
    assert.equal(run.dialer.legs.length, 0);
  });

  it('seed 003 Example 4 without a CallScreening, and record: each a 12200 warning, and the Dial goes on', async () => {
    const run = runHarness(
      dialOf(
        `<Response>
    <Dial record="record-from-answer" timeout="10" hangupOnStar="true" callerId="bob" method="POST" action="/after_dial">
        <Sip method="POST" url="/handle_screening_on_answer">
            sip:kate@example.com?x-customheader=foo
        </Sip>
    </Dial>
</Response>`,
        'twiml',
      ),
    );
    await run.settle();
    assert.deepEqual(
      run.notifications.map((notification) => [notification.errorCode, notification.logLevel, notification.callSid]),
      [
        [12200, 'warning', parentSid],
        [12200, 'warning', parentSid],
      ],
    );
    assert.equal(run.dialer.leg.request.fromUser, 'bob');
    run.dialer.leg.answer();
    await run.settle();
    run.leg.press('*');
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'completed');
  });
});

describe('runDial: ringback and the outbound leg\'s own SID', () => {
  it('an answered caller hears the ringTone while the callee rings, until it answers', async () => {
    const run = runHarness(dialOf(withAction('ringTone="de"'), 'twiml'));
    await run.settle();
    assert.deepEqual(run.ringbacks, [{ tone: 'de', stopped: false }]);
    run.dialer.leg.ring();
    run.dialer.leg.answer();
    await run.settle();
    assert.deepEqual(run.ringbacks, [{ tone: 'de', stopped: true }]);
    run.dialer.leg.ended();
    await run.running;
  });

  it('ringback stops when the leg fails; with answerOnBridge too (early media to the caller, who is not answered)', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.fail(486);
    await run.running;
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: true }]);
    const onBridge = runHarness(dialOf(withAction('answerOnBridge="true"'), 'twiml'));
    await onBridge.settle();
    onBridge.dialer.leg.fail(486);
    await onBridge.running;
    assert.deepEqual(onBridge.ringbacks, [{ tone: undefined, stopped: true }]);
    assert.equal(onBridge.leg.answered, false);
  });

  it('a REST cancel of the ringing leg (Calls/{CallSid} Status=canceled) → CANCEL, canceled; the caller goes on', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    const control = run.children.get(run.dialer.leg.request.callSid);
    assert.ok(control);
    assert.equal(control.end('canceled'), true);
    await run.settle();
    assert.deepEqual(run.dialer.leg.actions, ['cancel']);
    assert.equal(control.end('canceled'), false);
    run.dialer.leg.fail(487, 'cancelled');
    await run.running;
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'canceled');
    assert.equal(run.children.size, 0);
  });

  it('REST Status=completed hangs up the bridged leg; Status=canceled does nothing once it is answered', async () => {
    const run = runHarness(dialOf(withAction(), 'twiml'));
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    const control = run.children.get(run.dialer.leg.request.callSid);
    assert.ok(control);
    assert.equal(control.end('canceled'), false);
    assert.equal(control.end('completed'), true);
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.deepEqual([resultOf(run.outcome()).dialCallStatus, resultOf(run.outcome()).bridged], ['completed', true]);
    assert.equal(run.children.size, 0);
  });
});

/** A CallScreening the test decides, keeping what it was asked. */
function screeningFake() {
  const requests: { request: ScreeningRequest; signal: AbortSignal }[] = [];
  let decide: ((verdict: ScreeningVerdict) => void) | undefined;
  return {
    requests,
    decide: (verdict: ScreeningVerdict) => decide?.(verdict),
    screening: {
      screen(request: ScreeningRequest, signal: AbortSignal): Promise<ScreeningVerdict> {
        requests.push({ request, signal });
        return new Promise((resolve) => (decide = resolve));
      },
    },
  };
}

// Seed 003, Example 4: a screening url on the <Sip>.
const screened = (attributes = '') =>
  `<Response><Dial action="/after_dial" ${attributes}><Sip method="POST" url="/handle_screening_on_answer">sip:kate@example.com?x-customheader=foo</Sip></Dial></Response>`;

describe('runDial: <Sip url> call screening', () => {
  it('runs on the callee after the answer with SipCallId and SipHeader_, the caller hearing ringing; then connects', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened(), 'twiml'), { screening: fake.screening });
    await run.settle();
    assert.deepEqual(run.notifications, []);
    const callee = run.dialer.leg;
    callee.answer([
      { name: 'X-Agent', value: 'kate-desk' },
      { name: 'Contact', value: '<sip:kate@10.0.0.7>' },
    ]);
    await run.settle();
    assert.equal(fake.requests.length, 1);
    const { request } = fake.requests[0]!;
    assert.deepEqual(request, {
      callSid: callee.request.callSid,
      url: 'http://app.test/handle_screening_on_answer',
      method: 'POST',
      params: {
        CallSid: callee.request.callSid,
        AccountSid: accountSid,
        From: '+15550001111',
        To: 'sip:kate@example.com',
        CallStatus: 'in-progress',
        ApiVersion: '2010-04-01',
        Direction: 'outbound-dial',
        ParentCallSid: parentSid,
        SipCallId: 'call-1@dialtone',
        'SipHeader_X-Agent': 'kate-desk',
      },
      callee,
    });
    // "The current caller continues to hear ringing while the TwiML document executes on the other end."
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: false }]);
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    fake.decide('connect');
    await run.settle();
    assert.deepEqual(run.ringbacks, [{ tone: undefined, stopped: true }]);
    assert.deepEqual(run.log, ['caller answered', 'invite', 'bridged']);
    callee.ended();
    await run.running;
    assert.deepEqual([resultOf(run.outcome()).dialCallStatus, resultOf(run.outcome()).bridged], ['completed', true]);
  });

  it('declined by the screening document: the callee is hung up, "answered" and not bridged, the caller goes on', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened(), 'twiml'), { screening: fake.screening });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    fake.decide('declined');
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    const result = resultOf(run.outcome());
    assert.deepEqual([result.dialCallStatus, result.bridged, result.sipResponseCode], ['answered', false, 200]);
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    assert.deepEqual(run.statuses, ['in-progress', 'completed']);
  });

  it('the caller hangs up during screening: the screening is stopped and the callee hung up', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened(), 'twiml'), { screening: fake.screening });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    run.controller.abort(new Interruption('hangup'));
    assert.equal(fake.requests[0]?.signal.aborted, true);
    fake.decide('connect');
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    assert.equal(resultOf(run.outcome(), false).bridged, false);
  });

  it('the callee hangs up during screening: stopped, not bridged, no BYE of ours', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened(), 'twiml'), { screening: fake.screening });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    run.dialer.leg.ended();
    assert.equal(fake.requests[0]?.signal.aborted, true);
    fake.decide('declined');
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, []);
    assert.equal(resultOf(run.outcome()).dialCallStatus, 'answered');
  });

  it('answerOnBridge: "the current caller will continue to hear ringing" — answered only once screening connects', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened('answerOnBridge="true"'), 'twiml'), { screening: fake.screening });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.equal(run.leg.answered, false);
    fake.decide('connect');
    await run.settle();
    assert.deepEqual(run.log, ['invite', 'caller answered', 'bridged']);
    run.dialer.leg.ended();
    await run.running;
  });

  it('REST Status=completed during screening: stopped, the callee hung up, never bridged', async () => {
    const fake = screeningFake();
    const run = runHarness(dialOf(screened(), 'twiml'), { screening: fake.screening });
    await run.settle();
    run.dialer.leg.answer();
    await run.settle();
    assert.equal(run.children.get(run.dialer.leg.request.callSid)?.end('completed'), true);
    assert.equal(fake.requests[0]?.signal.aborted, true);
    fake.decide('connect');
    await run.running;
    assert.deepEqual(run.dialer.leg.actions, ['hangup']);
    assert.deepEqual(run.log, ['caller answered', 'invite']);
    assert.deepEqual([resultOf(run.outcome()).dialCallStatus, resultOf(run.outcome()).bridged], ['answered', false]);
  });
});
