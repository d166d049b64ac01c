/**
 * Issue 7: "a kill -9 during calls and callbacks followed by a restart, checking that no record or
 * callback is lost". `dialtone start` (the built bin, SQLite in a data folder) takes inbound calls from
 * our UserAgent — one of them bridged by <Dial><Sip> to SIPp, the noun with a status callback of its
 * own — and places a REST-created call to SIPp while the application's status-callback endpoints
 * answer 503; the engine is SIGKILLed with calls live and callbacks pending, restarted on
 * the same data folder with the endpoint up, and then:
 * - every callback the engine had accepted (attempted) before the crash is delivered, in SequenceNumber
 *   order per call;
 * - the calls live at the crash are `failed`, with the events they had, and the application that
 *   subscribed to their end gets its final callback (CallStatus=failed, the call's next SequenceNumber,
 *   CallDuration, Timestamp, signed) exactly once — the dialled leg's too, at its noun's statusCallback,
 *   with ParentCallSid;
 * - the calls completed before the crash keep their records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import twilio from 'twilio';
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import { openStore } from '../../../src/store/index.js';
import { Caller, WebhookApp, type AppAnswer, type AppRequest } from '../support/harness.js';
import { eventually } from '../../support/eventually.js';
import { requireSipp, scenario, startSipp } from '../../support/sipp.js';
import { DialtoneRequestClient } from '../../support/dialtone-request-client.js';

const bin = join(import.meta.dirname, '../../../bin/dialtone.mjs');
const built = join(import.meta.dirname, '../../../dist/src/cli/main.js');
const ACCOUNT_SID = 'AC' + 'feedface'.repeat(4);
const AUTH_TOKEN = 'kill-restart-token';

interface Running {
  child: ChildProcess;
  sipPort: number;
  httpPort: number;
  exited: Promise<NodeJS.Signals | null>;
  output(): string;
}

async function startDialtone(configPath: string): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'start', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Not a timing assertion: the bound only turns a hang into a readable failure.
  for (let waited = 0; !/HTTP\s+127\.0\.0\.1:\d+/.test(output) && waited < 600; waited++) {
    if (child.exitCode !== null) assert.fail(`dialtone exited early:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const sipPort = Number(/SIP\s+udp:127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  const httpPort = Number(/HTTP\s+127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  assert.ok(sipPort > 0 && httpPort > 0, output);
  return { child, sipPort, httpPort, exited, output: () => output };
}

const key = (request: AppRequest): string => `${request.params['CallSid']}#${request.params['SequenceNumber']}`;

test('kill -9 with calls live and callbacks pending; after a restart nothing is lost', { timeout: 120_000 }, async (t) => {
  if (!requireSipp(t)) return;
  assert.ok(existsSync(built), 'the CLI is built (npm test runs `npm run build` first)');
  const dir = await mkdtemp(join(tmpdir(), 'dialtone-kill-'));
  const app = await WebhookApp.start();
  const caller = await Caller.start();
  // The callee of the REST call and of the <Dial>.
  const sipp = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 2, timeoutMs: 90_000 });
  let engine: Running | undefined;
  t.after(async () => {
    if (engine !== undefined && engine.child.exitCode === null && engine.child.signalCode === null) {
      engine.child.kill('SIGKILL');
      await engine.exited;
    }
    await sipp.stop().catch(() => undefined);
    await caller.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  let callbacksUp = false;
  const delivered: AppRequest[] = [];
  // The routes' and REST call's status callbacks, and the <Dial> noun's own: down until the restart.
  const statusEndpoint = (request: AppRequest): AppAnswer => {
    if (!callbacksUp) return { status: 503, body: 'down for maintenance', contentType: 'text/plain' };
    delivered.push(request);
    return { status: 204, body: '' };
  };
  app.on('/status', statusEndpoint);
  app.on('/leg-status', statusEndpoint);
  app.on('/short', '<Response><Say>Goodbye.</Say><Hangup/></Response>');
  app.on('/voice', '<Response><Say>Please hold.</Say><Pause length="20"/></Response>');
  app.on(
    '/dial',
    `<Response><Dial><Sip statusCallback="${app.url('/leg-status')}" statusCallbackEvent="initiated ringing answered completed">` +
      `sip:callee@${sipp.address}</Sip></Dial></Response>`,
  );

  const configPath = join(dir, 'dialtone.yaml');
  const writeConfig = (sipPort: number): Promise<void> =>
    writeFile(
      configPath,
      [
        'sip:',
        `  listen: ["udp:127.0.0.1:${sipPort}"]`,
        'http:',
        '  listen: "127.0.0.1:0"',
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        'accounts:',
        `  - sid: ${ACCOUNT_SID}`,
        `    authToken: ${AUTH_TOKEN}`,
        'routes:',
        `  - match: { user: short }`,
        `    account: ${ACCOUNT_SID}`,
        `    voiceUrl: ${JSON.stringify(app.url('/short'))}`,
        `    statusCallback: ${JSON.stringify(app.url('/status'))}`,
        `  - match: { user: dial }`,
        `    account: ${ACCOUNT_SID}`,
        `    voiceUrl: ${JSON.stringify(app.url('/dial'))}`,
        `    statusCallback: ${JSON.stringify(app.url('/status'))}`,
        `  - match: "*"`,
        `    account: ${ACCOUNT_SID}`,
        `    voiceUrl: ${JSON.stringify(app.url('/voice'))}`,
        `    statusCallback: ${JSON.stringify(app.url('/status'))}`,
        '',
      ].join('\n'),
    );

  await writeConfig(0);
  engine = await startDialtone(configPath);
  const client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new DialtoneRequestClient(`http://127.0.0.1:${engine.httpPort}`) });

  // Two inbound calls that complete before the crash.
  const completedSids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const placed = await caller.call(engine.sipPort, 'short');
    assert.ok(placed.answered, 'the short call is answered');
    await placed.ended;
    const voice = app.requestsTo('/short')[i]!;
    completedSids.push(voice.params['CallSid']!);
  }
  // Four calls live at the crash: one inbound from our UA, one REST-created to SIPp with every event,
  // and one inbound whose <Dial> bridged it with a child leg to SIPp, that noun subscribed to every event.
  const inbound = await caller.call(engine.sipPort, 'long');
  assert.ok(inbound.answered, 'the long inbound call is answered');
  const rest = await client.calls.create({
    to: `sip:callee@${sipp.address}`,
    from: '+15551230000',
    url: app.url('/voice'),
    statusCallback: app.url('/status'),
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  });
  await app.waitFor('/voice', 2);
  const dialling = await caller.call(engine.sipPort, 'dial');
  assert.ok(dialling.answered, 'the dialling inbound call is answered');
  const dialParentSid = (await app.waitFor('/dial')).params['CallSid']!;
  const liveSids = [...app.requestsTo('/voice').map((request) => request.params['CallSid']!), dialParentSid];
  assert.ok(liveSids.includes(rest.sid));
  // Wait until the engine has tried (and been refused) a callback of each call that has one: each short
  // call's completed, the REST call's and the dialled leg's first. A call's callbacks go out in
  // SequenceNumber order, each after the one before it is delivered, so with the endpoint refusing them
  // only the first is tried; the REST call's and the leg's later ones (ringing, in-progress) are waited
  // for in the database below.
  const legCallbacks = (): AppRequest[] => app.requestsTo('/leg-status');
  const attempted = (): Set<string> => new Set([...app.requestsTo('/status'), ...legCallbacks()].map(key));
  await eventually(
    async () => attempted(),
    (seen) =>
      [...completedSids, rest.sid].every((sid) => seen.has(`${sid}#0`)) &&
      legCallbacks().some((request) => request.params['SequenceNumber'] === '0'),
  );
  const acceptedBeforeCrash = attempted();
  const legSid = legCallbacks()[0]!.params['CallSid']!;
  const liveSet = new Set([...liveSids, legSid]);
  const liveBefore = await eventually(
    () => client.calls.list({ status: 'in-progress' }),
    (calls) => calls.length === liveSet.size && calls.every((call) => liveSet.has(call.sid)),
  );
  assert.deepEqual(new Set(liveBefore.map((call) => call.sid)), liveSet, 'the live calls and the dialled leg are in progress');
  // The REST call's and the leg's three callbacks (initiated, ringing, in-progress) are accepted: each
  // is a call_events row, written with its outbox entry in one transaction. Read beside the running
  // engine through a read-only connection (SQLite's WAL lets a reader in).
  const database = new Database(join(dir, 'data', 'dialtone.db'), { readonly: true, fileMustExist: true });
  try {
    const storedEvents = database.prepare<[string], { n: number }>('SELECT count(*) AS n FROM call_events WHERE call_sid = ?');
    await eventually(async () => [rest.sid, legSid].map((sid) => storedEvents.get(sid)!.n), (counts) => counts.every((n) => n >= 3));
  } finally {
    database.close();
  }

  engine.child.kill('SIGKILL');
  assert.equal(await engine.exited, 'SIGKILL');

  // Restart on the same data folder and SIP port (as a deployment would: our UA's BYE for the call it
  // still holds then gets the restarted engine's answer instead of 32 s of retransmissions), with the
  // callback endpoint up.
  callbacksUp = true;
  await writeConfig(engine.sipPort);
  engine = await startDialtone(configPath);
  const after = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new DialtoneRequestClient(`http://127.0.0.1:${engine.httpPort}`) });

  // Every callback accepted before the crash arrives (at least once), in SequenceNumber order per call.
  const deliveredKeys = (): Set<string> => new Set(delivered.map(key));
  const got = await eventually(async () => deliveredKeys(), (seen) => [...acceptedBeforeCrash].every((k) => seen.has(k)), { polls: 12_000 });
  for (const k of acceptedBeforeCrash) assert.ok(got.has(k), `callback ${k} was delivered after the restart (got ${[...got].join(', ')})`);
  const byCall = new Map<string, number[]>();
  for (const request of delivered) {
    const sid = request.params['CallSid']!;
    byCall.set(sid, [...(byCall.get(sid) ?? []), Number(request.params['SequenceNumber'])]);
    assert.ok(request.signature !== undefined && twilio.validateRequest(AUTH_TOKEN, request.signature, request.url, request.params), 'signed');
  }
  for (const [sid, numbers] of byCall) {
    const firstDeliveries = numbers.filter((n, i) => numbers.indexOf(n) === i);
    assert.deepEqual(firstDeliveries, [...firstDeliveries].sort((a, b) => a - b), `call ${sid}: callbacks in SequenceNumber order (${numbers.join(',')})`);
  }

  // The final callback of each live call: the inbound ones' routes, the REST call and the dialled
  // leg's noun all subscribed to `completed`. It comes after what the call had told before the crash
  // (the REST call and the leg: 0, 1, 2); the leg's goes to its noun's URL and names its parent.
  const expectedFinals = new Map<string, { sequenceNumber: string; direction: string; path: string }>([
    ...liveSids.map((sid) => [sid, { sequenceNumber: sid === rest.sid ? '3' : '0', direction: sid === rest.sid ? 'outbound-api' : 'inbound', path: '/status' }] as const),
    [legSid, { sequenceNumber: '3', direction: 'outbound-dial', path: '/leg-status' }],
  ]);
  const failedCallbacks = async (): Promise<AppRequest[]> => delivered.filter((request) => request.params['CallStatus'] === 'failed');
  const finals = await eventually(failedCallbacks, (requests) => [...expectedFinals.keys()].every((sid) => requests.some((request) => request.params['CallSid'] === sid)), { polls: 12_000 });
  for (const [sid, expected] of expectedFinals) {
    const mine = finals.filter((request) => request.params['CallSid'] === sid);
    assert.equal(mine.length, 1, `call ${sid}: one final callback (got ${mine.length})`);
    const final = mine[0]!;
    assert.equal(final.path, expected.path, `call ${sid}: its subscriber's URL`);
    assert.equal(final.params['SequenceNumber'], expected.sequenceNumber, `call ${sid}: the next SequenceNumber`);
    assert.match(final.params['CallDuration'] ?? '', /^\d+$/);
    assert.ok(!Number.isNaN(Date.parse(final.params['Timestamp'] ?? '')), `Timestamp ${final.params['Timestamp']}`);
    assert.equal(final.params['AccountSid'], ACCOUNT_SID);
    assert.equal(final.params['Direction'], expected.direction);
  }
  const legFinal = finals.find((request) => request.params['CallSid'] === legSid)!;
  assert.equal(legFinal.params['ParentCallSid'], dialParentSid);
  assert.equal(legFinal.params['To'], `sip:callee@${sipp.address}`);
  assert.equal(legFinal.params['CallbackSource'], 'call-progress-events');

  // Records: the live calls are failed, the completed ones kept — through the restarted REST API.
  for (const sid of [...liveSids, legSid]) {
    const call = await eventually(() => after.calls(sid).fetch(), (c) => c.status === 'failed');
    assert.equal(call.status, 'failed', `live call ${sid} is failed after the crash`);
  }
  for (const sid of completedSids) {
    const call = await after.calls(sid).fetch();
    assert.equal(call.status, 'completed', `completed call ${sid} kept its record`);
    assert.ok(call.endTime instanceof Date);
  }

  // Our UA still holds the inbound call the crash cut off. Its BYE goes to the restarted engine on the
  // same port, which answers at once (no such dialog) — sent to a stopped engine instead, it would be
  // retransmitted for 32 s (RFC 3261 Timer F) when the caller closes.
  await inbound.call.bye();
  await dialling.call.bye();

  // Stop the engine cleanly, then read the events from the database it left.
  engine.child.kill('SIGTERM');
  await engine.exited;
  const store = await openStore(`sqlite:${join(dir, 'data', 'dialtone.db')}`, { clock: systemClock, logger: silentLogger });
  try {
    const restEvents = (await store.callEvents.list(rest.sid)).map((event) => event.name);
    assert.deepEqual(restEvents, ['initiated', 'ringing', 'answered', 'completed'], `REST call events: ${restEvents.join(',')}`);
    // An inbound call stores an event only when it ends (Twilio's default StatusCallbackEvent is
    // `completed` alone, store-sinks.ts), so the live inbound call had none before the crash; the REST
    // call had three. Whatever each had is kept, and recovery's `completed` follows, numbered 0..n-1
    // without gaps.
    for (const sid of liveSids) {
      const events = await store.callEvents.list(sid);
      if (sid === rest.sid) assert.ok(events.length >= 3, `REST call ${sid} kept its events`);
      assert.deepEqual(events.map((event) => event.sequenceNumber), events.map((_e, i) => i));
    }
    const legEvents = (await store.callEvents.list(legSid)).map((event) => event.name);
    assert.deepEqual(legEvents, ['initiated', 'ringing', 'answered', 'completed'], `dialled leg events: ${legEvents.join(',')}`);
    for (const sid of completedSids) {
      const events = (await store.callEvents.list(sid)).map((event) => event.name);
      assert.ok(events.includes('completed'), `completed call ${sid}: ${events.join(',')}`);
    }
  } finally {
    await store.close();
  }
});
