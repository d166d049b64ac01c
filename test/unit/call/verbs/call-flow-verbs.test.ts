import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executeHangup, executeRedirect, executeReject, Interruption } from '../../../../src/call/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeLeg } from '../fake-leg.js';

function setup() {
  const clock = new FakeClock();
  const leg = new FakeLeg({ clock });
  return { leg, context: { leg, clock, documentUrl: 'https://app.test/voice/start.xml' }, signal: new AbortController().signal };
}

describe('<Reject>', () => {
  it('as the first verb refuses the call without answering: busy', async () => {
    const { leg, context, signal } = setup();
    assert.deepEqual(await executeReject({ verb: 'reject', reason: 'busy' }, context, signal), { kind: 'ended' });
    assert.deepEqual(leg.events, [{ kind: 'reject', reason: 'busy' }]);
  });

  it('as the first verb refuses the call without answering: rejected', async () => {
    const { leg, context, signal } = setup();
    await executeReject({ verb: 'reject', reason: 'rejected' }, context, signal);
    assert.deepEqual(leg.events, [{ kind: 'reject', reason: 'rejected' }]);
  });

  it('after a verb answered, the call can no longer be refused: it is hung up', async () => {
    const { leg, context, signal } = setup();
    await leg.answer();
    assert.deepEqual(await executeReject({ verb: 'reject', reason: 'busy' }, context, signal), { kind: 'ended' });
    assert.deepEqual(leg.kinds(), ['answer', 'hangup']);
  });
});

describe('<Hangup>', () => {
  it('answers (Twilio does, even as the first verb) and ends the call', async () => {
    const { leg, context, signal } = setup();
    assert.deepEqual(await executeHangup({ verb: 'hangup' }, context, signal), { kind: 'ended' });
    assert.deepEqual(leg.kinds(), ['answer', 'hangup']);
  });
});

describe('<Redirect>', () => {
  it('leads to its URL, resolved against the document, with its method, without answering', async () => {
    const { leg, context, signal } = setup();
    assert.deepEqual(await executeRedirect({ verb: 'redirect', url: 'next.xml', method: 'GET' }, context, signal), {
      kind: 'request',
      url: 'https://app.test/voice/next.xml',
      method: 'GET',
      result: { verb: 'redirect' },
      follow: true,
    });
    assert.deepEqual(leg.events, []);
  });

  it('does nothing once the signal has fired', async () => {
    const { context } = setup();
    const controller = new AbortController();
    controller.abort(new Interruption('hangup'));
    assert.deepEqual(await executeRedirect({ verb: 'redirect', url: '/x', method: 'POST' }, context, controller.signal), {
      kind: 'interrupted',
    });
  });
});
