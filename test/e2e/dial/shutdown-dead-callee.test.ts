/**
 * Shutdown with a dialled callee that has vanished: the engine's BYE to it is never answered. Before,
 * close() waited out that BYE's Timer F (64*T1 = 32 s) and a service manager's stop timeout (Docker's
 * is 10 s) killed the process first, leaving the calls for the next start's recovery to mark failed.
 * Now the SIP layer is closed under the calls after a few seconds, and both legs are still written as
 * completed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import type { Engine } from '../../../src/main.js';
import { requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { Caller, restartEngine, startTestEngine, WebhookApp } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';

test('close() with a bridged callee that no longer answers: done in seconds, not Timer F, and both legs stored completed', { timeout: 90_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const callee = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 60_000 });
  const app = await WebhookApp.start();
  const voice = new twilio.twiml.VoiceResponse();
  voice.dial().sip(`sip:kate@127.0.0.1:${callee.port}`);
  app.on('/voice', voice.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  let reopened: Engine | undefined;
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    const parentSid = (await app.waitFor('/voice')).params['CallSid']!;
    const child = await eventually(
      () => setup.engine.store.calls.list({ parentCallSid: parentSid }),
      (page) => page.items[0]?.status === 'in-progress',
    );
    const childSid = child.items[0]!.sid;
    // The callee vanishes: its port stays silent, so our BYE is resent until Timer F.
    await callee.stop();

    const started = Date.now();
    await setup.engine.close();
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 15_000, `close() took ${tookMs} ms; a BYE's Timer F is 32 s`);
    assert.equal(((await placed.ended) as { by: string }).by, 'remote', 'the caller got our BYE');

    reopened = await restartEngine(setup.dataDir);
    assert.equal((await reopened.store.calls.get(parentSid))?.status, 'completed');
    assert.equal((await reopened.store.calls.get(childSid))?.status, 'completed');
  } finally {
    await reopened?.close();
    await caller.close();
    await setup.close();
    await callee.stop();
    await app.close();
  }
});
