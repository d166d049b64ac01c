import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { resolveConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { startEngine } from '../../src/main.js';
import { Caller, restartEngine, startTestEngine, WebhookApp } from '../e2e/support/harness.js';
import { scratchDirectory } from '../support/scratch-directory.js';

async function engineConfig(dataDir: string) {
  return resolveConfig(
    { sip: { listen: ['udp:127.0.0.1:0'] }, http: { listen: '127.0.0.1:0' }, dataDir },
    {},
    { voiceUrl: 'http://127.0.0.1:9/voice' },
  );
}

test('a status callback accepted by the store is delivered, signed with the account token', { timeout: 30_000 }, async (t) => {
  const received: Array<{ body: string; signature: string | undefined; url: string }> = [];
  const app = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-twilio-signature'] as string | undefined, url: req.url ?? '' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const callbackUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/status`;
  const engine = await startEngine(await engineConfig(await scratchDirectory(t, 'engine')), { logger: silentLogger });
  try {
    const account = engine.accounts[0]!;
    const call = await engine.store.calls.create({ accountSid: account.sid, direction: 'inbound', from: 'alice', to: 'bob', status: 'ringing' });
    await engine.store.callEvents.append(
      { callSid: call.sid, sequenceNumber: 0, name: 'ringing', timestamp: Date.now(), params: { CallSid: call.sid, CallStatus: 'ringing', SequenceNumber: '0' } },
      { accountSid: account.sid, url: callbackUrl, method: 'POST' },
    );
    // The REST API of the same engine lists the call, to its account's credentials only.
    const http = engine.httpListening()!;
    const base = `http://127.0.0.1:${http.port}/2010-04-01/Accounts/${account.sid}/Calls.json`;
    const authorization = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`;
    const listed = (await (await fetch(base, { headers: { authorization } })).json()) as { calls: Array<{ sid: string; status: string }> };
    assert.deepEqual(listed.calls.map((listedCall) => [listedCall.sid, listedCall.status]), [[call.sid, 'ringing']]);
    assert.equal((await fetch(base, { headers: { authorization: 'Basic bm86bm8=' } })).status, 401);
    for (let waited = 0; received.length === 0 && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(received.length, 1);
    const params = Object.fromEntries(new URLSearchParams(received[0]!.body));
    assert.equal(params['CallSid'], call.sid);
    assert.ok(twilio.validateRequest(account.authToken, received[0]!.signature ?? '', callbackUrl, params));
  } finally {
    await engine.close();
    app.closeAllConnections();
    await new Promise<void>((resolve) => app.close(() => resolve()));
  }
});

test('a call live when the engine stopped is recorded as failed at the next start, with its events', { timeout: 30_000 }, async (t) => {
  const dataDir = await scratchDirectory(t, 'engine');
  const first = await startEngine(await engineConfig(dataDir), { logger: silentLogger });
  const account = first.accounts[0]!;
  const call = await first.store.calls.create({ accountSid: account.sid, direction: 'inbound', from: 'alice', to: 'bob', status: 'in-progress' });
  await first.store.callEvents.append({ callSid: call.sid, sequenceNumber: 0, name: 'answered', timestamp: Date.now(), params: {} });
  await first.close();

  const second = await startEngine(await engineConfig(dataDir), { logger: silentLogger });
  try {
    assert.equal(second.accounts[0]?.sid, account.sid, 'the default account is kept');
    assert.equal((await second.store.calls.get(call.sid))?.status, 'failed');
    assert.deepEqual((await second.store.callEvents.list(call.sid)).map((event) => event.name), ['answered']);
  } finally {
    await second.close();
  }
});

test('close() ends a live call cleanly: the caller gets our BYE, the call is completed in the store (seen at the next start)', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new twilio.twiml.VoiceResponse();
  response.say({ loop: 0 }, 'Please hold while the engine shuts down.');
  app.on('/voice', response.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }]);
  const caller = await Caller.start();
  let reopened: Awaited<ReturnType<typeof startEngine>> | undefined;
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    while (placed.heard.packets < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(setup.engine.calls.size, 1);
    await setup.engine.close();
    const end = (await placed.ended) as { by: string };
    assert.equal(end.by, 'remote', 'the engine said BYE');
    const callSid = (await app.waitFor('/voice')).params['CallSid']!;
    reopened = await restartEngine(setup.dataDir);
    const stored = await reopened.store.calls.get(callSid);
    assert.equal(stored?.status, 'completed');
    assert.ok((stored?.duration ?? -1) >= 0);
  } finally {
    await reopened?.close();
    await caller.close();
    await setup.close();
    await app.close();
  }
});

test('drain() refuses new calls with 503 and lets a live call go on until the drain period ends; close() then hangs it up', { timeout: 60_000 }, async () => {
  const app = await WebhookApp.start();
  const response = new twilio.twiml.VoiceResponse();
  response.say({ loop: 0 }, 'Still here.');
  app.on('/voice', response.toString());
  const setup = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice') }], { drainSeconds: 1 });
  const caller = await Caller.start();
  try {
    const placed = await caller.call(setup.sipPort);
    assert.ok(placed.answered);
    let ended = false;
    void placed.ended.then(() => (ended = true));
    const draining = setup.engine.drain();
    const refused = await caller.call(setup.sipPort);
    assert.equal(refused.answered, false);
    if (!refused.answered) assert.equal(refused.failure.status, 503);
    await draining;
    assert.equal(ended, false, 'the live call went on through the drain period');
    assert.equal(setup.engine.calls.size, 1);
    await setup.engine.close();
    assert.equal(((await placed.ended) as { by: string }).by, 'remote');
  } finally {
    await caller.close();
    await setup.close();
    await app.close();
  }
});
