// Past capacity a new call is refused at once with 503 and Retry-After (RFC 3261 §21.5.4), before any
// webhook, while the call already up goes on; once it ends, calls are admitted again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../src/sip/index.js';
import { Caller, startTestEngine, WebhookApp } from './support/harness.js';
import { eventually } from '../support/eventually.js';

test('limits.maxCalls=1: a second concurrent INVITE gets 503 with Retry-After and no webhook; the first call is unharmed', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  app.on('/voice', '<Response><Say loop="50">Please hold.</Say></Response>');
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }], { limits: { maxCalls: 1, retryAfterSeconds: 9 } });
  const caller = await Caller.start();
  try {
    const first = await caller.call(setup.sipPort);
    assert.equal(first.answered, true);
    if (!first.answered) return;

    const second = await caller.call(setup.sipPort);
    assert.equal(second.answered, false);
    if (second.answered) return;
    assert.equal(second.failure.status, 503);
    assert.ok(second.failure.response !== undefined);
    assert.equal(getHeader(second.failure.response, 'Retry-After'), '9');
    assert.equal(app.requests.filter((request) => request.path === '/voice').length, 1, 'the refused call never reached the application');
    assert.equal(setup.engine.calls.overloadRefusals().get('max-calls'), 1);

    // The first call is still up: its prompt keeps flowing to the caller.
    const before = first.heard.packets;
    await eventually(async () => first.heard.packets, (packets) => packets > before + 10);

    await first.call.bye();
    await eventually(async () => setup.engine.calls.size, (size) => size === 0);
    const third = await caller.call(setup.sipPort);
    assert.equal(third.answered, true, 'admitted again once the first call ended');
    if (third.answered) await third.call.bye();
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});
