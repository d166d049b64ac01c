import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Call, CallLeg, type CallStatus, type SipLegPort } from '../../../src/call/index.js';
import { silentLogger } from '../../../src/kernel/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeLeg } from './fake-leg.js';

function setup() {
  const clock = new FakeClock();
  const statuses: CallStatus[] = [];
  const call = new Call(
    { accountSid: 'AC0123456789abcdef0123456789abcdef', direction: 'inbound', from: 'a', to: 'b', status: 'ringing' },
    clock,
    { created: () => {}, statusChanged: (state) => statuses.push(state.status) },
    silentLogger,
  );
  const sipActions: string[] = [];
  const sip: SipLegPort = {
    answer: async () => void sipActions.push('200'),
    reject: async (code) => void sipActions.push(String(code)),
    bye: async () => void sipActions.push('BYE'),
  };
  const leg = new CallLeg(call, sip, new FakeLeg({ clock }), silentLogger);
  return { call, leg, sipActions, statuses };
}

describe('CallLeg', () => {
  it('answers once however many verbs ask at the same time; the call is then in-progress', async () => {
    const { leg, sipActions, statuses } = setup();
    assert.equal(leg.answered, false);
    await Promise.all([leg.answer(), leg.answer(), leg.answer()]);
    await leg.answer();
    assert.deepEqual(sipActions, ['200']);
    assert.deepEqual(statuses, ['in-progress']);
    assert.equal(leg.answered, true);
  });

  it('rejects busy with 486 (status busy) and rejected with 603 (status no-answer)', async () => {
    const busy = setup();
    await busy.leg.reject('busy');
    assert.deepEqual([busy.sipActions, busy.statuses], [['486'], ['busy']]);
    const rejected = setup();
    await rejected.leg.reject('rejected');
    assert.deepEqual([rejected.sipActions, rejected.statuses], [['603'], ['no-answer']]);
  });

  it('hangs up with BYE after answering first, once', async () => {
    const { leg, sipActions, statuses } = setup();
    await Promise.all([leg.hangup(), leg.hangup()]);
    assert.deepEqual(sipActions, ['200', 'BYE']);
    assert.deepEqual(statuses, ['in-progress', 'completed']);
  });

  it("the caller's hang-up ends the call (canceled before the answer, completed after) and tells listeners", async () => {
    const early = setup();
    let heard = 0;
    early.leg.onRemoteHangup(() => heard++);
    early.leg.remoteHangup();
    early.leg.remoteHangup();
    assert.deepEqual(early.statuses, ['canceled']);
    assert.equal(heard, 1);
    await early.leg.hangup();
    assert.deepEqual(early.sipActions, [], 'nothing is sent for a call the caller ended');

    const late = setup();
    await late.leg.answer();
    late.leg.remoteHangup();
    assert.deepEqual(late.statuses, ['in-progress', 'completed']);
  });
});
