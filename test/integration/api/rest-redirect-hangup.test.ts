/**
 * Issue 7: a REST-created call is redirected (Calls update with Url or Twiml) to a document that waits
 * in a long <Pause>, then hung up (Status=completed). The hang-up goes through the one interruption
 * path: the <Pause> stops, nothing after it runs, the callee gets our BYE, the call ends `completed`
 * and leaves the live calls, so the engine's close() has nothing to wait for. SIPp is the callee.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboundCallUpdate } from '../../../src/call/adapters/api/index.js';
import {  } from '../../e2e/support/harness.js';
import { eventually } from '../../support/eventually.js';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { callRequest, startControlFixture, type ControlFixture } from '../call-control/control-fixture.js';

describe('REST redirect, then Status=completed during the redirected document', () => {
  let fixture: ControlFixture;

  before(async () => {
    fixture = await startControlFixture();
  });
  after(async () => {
    await fixture.close();
  });

  const redirects: Array<{ name: string; update: (fixture: ControlFixture) => OutboundCallUpdate }> = [
    { name: 'Url', update: (fixture) => ({ kind: 'redirect', url: fixture.app.url('/long-pause'), method: 'POST' }) },
    { name: 'Twiml', update: (fixture) => ({ kind: 'twiml', twiml: `<Response><Pause length="120"/><Redirect>${fixture.app.url('/after-pause')}</Redirect></Response>` }) },
  ];

  for (const redirect of redirects) {
    test(`redirected with ${redirect.name}: the hang-up stops the <Pause> and the call settles completed`, { timeout: 60_000 }, async (t) => {
      if (!requireSipp(t)) return;
      const { app, control, store, liveCalls } = fixture;
      app.on('/first', '<Response><Pause length="120"/></Response>');
      app.on('/long-pause', `<Response><Pause length="120"/><Redirect>${app.url('/after-pause')}</Redirect></Response>`);
      app.on('/after-pause', '<Response><Hangup/></Response>');
      const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 30_000 });
      try {
        const statusPath = `/status-${redirect.name}`;
        const record = await control.createCall(
          callRequest({ to: `sip:callee@${sipp.address}`, url: app.url('/first'), statusCallback: app.url(statusPath), statusCallbackEvents: ['answered', 'completed'] }),
        );
        await app.waitFor(statusPath);
        const redirected = await control.updateCall(record.sid, redirect.update(fixture));
        assert.equal(typeof redirected, 'object', 'the redirect applies to the live call');
        if (redirect.name === 'Url') await app.waitFor('/long-pause');

        const ended = await control.updateCall(record.sid, { kind: 'end', status: 'completed' });
        assert.equal(typeof ended, 'object', 'the hang-up applies to the live call');
        assertSippPassed(await sipp.done, 1, 'SIPp uas-answer-200 (it needs our BYE)');

        // The call settles: it leaves the live calls and the control, and its record says completed.
        assert.equal(await eventually(async () => control.size, (size) => size === 0), 0, 'the outbound-api call finished');
        assert.equal(liveCalls.get(record.sid), undefined, 'no longer reachable as a live call');
        const stored = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
        assert.equal(stored?.status, 'completed');
        const completed = await app.waitFor(statusPath, 2);
        assert.deepEqual([completed.params['CallStatus'], completed.params['SequenceNumber']], ['completed', '1']);
        // The <Pause> was interrupted, not waited out: what follows it never ran.
        assert.equal(app.requestsTo('/after-pause').length, 0);
        assert.equal(await control.updateCall(record.sid, { kind: 'end', status: 'completed' }), 'not-live');
      } finally {
        await sipp.stop().catch(() => undefined);
      }
    });
  }
});
