import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Call, type CallState } from '../../../src/call/index.js';
import { isDialtoneError, isSid, silentLogger } from '../../../src/kernel/index.js';
import { FakeClock } from '../../support/fake-clock.js';

function recorder() {
  const created: Readonly<CallState>[] = [];
  const changes: Readonly<CallState>[] = [];
  return { created, changes, events: { created: (call: Readonly<CallState>) => created.push(call), statusChanged: (call: Readonly<CallState>) => changes.push(call) } };
}

describe('Call', () => {
  it('gets a CA sid, tells the store it exists, and stamps the answer and end times', () => {
    const clock = new FakeClock(1_000);
    const { created, changes, events } = recorder();
    const call = new Call({ accountSid: 'AC0123456789abcdef0123456789abcdef', direction: 'inbound', from: '+15550001111', to: '+15551230000', status: 'ringing' }, clock, events, silentLogger);
    assert.ok(isSid(call.sid, 'CA'));
    assert.equal(created.length, 1);
    assert.equal(created[0]?.status, 'ringing');
    clock.advance(500);
    call.setStatus('in-progress');
    clock.advance(2_000);
    call.setStatus('completed');
    assert.deepEqual(changes.map((change) => [change.status, change.answerTime, change.endTime]), [
      ['in-progress', 1_500, undefined],
      ['completed', 1_500, 3_500],
    ]);
    assert.equal(call.ended, true);
  });

  it('refuses an impossible move with its own code, and a repeated status is no change', () => {
    const { changes, events } = recorder();
    const call = new Call({ accountSid: 'AC0123456789abcdef0123456789abcdef', direction: 'inbound', from: 'a', to: 'b', status: 'ringing' }, new FakeClock(), events, silentLogger);
    call.setStatus('ringing');
    assert.equal(changes.length, 0);
    call.setStatus('busy');
    assert.throws(() => call.setStatus('in-progress'), (error) => isDialtoneError(error) && error.code === 90404);
  });

  it('a failing listener does not take the call with it', () => {
    const throwing = { created: () => { throw new Error('store down'); }, statusChanged: () => { throw new Error('store down'); } };
    const call = new Call({ accountSid: 'AC0123456789abcdef0123456789abcdef', direction: 'outbound-api', from: 'a', to: 'b' }, new FakeClock(), throwing, silentLogger);
    call.setStatus('ringing');
    assert.equal(call.status, 'ringing');
  });
});
