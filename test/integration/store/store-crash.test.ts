/**
 * "Nothing a caller or application did is lost when the process is killed": a child process writes
 * calls, events and outbox entries to SQLite and is killed with SIGKILL mid-stream; after reopening,
 * every row it reported committed is there, live calls are marked failed with their events kept, and
 * the outbox delivers every callback, in order per call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../src/kernel/index.js';
import { CallbackDispatcher, type OutboxEntry, openStore } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';

const child = fileURLToPath(new URL('./write-until-killed.ts', import.meta.url));

interface Committed {
  calls: Set<string>;
  events: Map<string, number>;
  completed: Set<string>;
}

/** Runs the writer until it has reported `lines` commits, then SIGKILLs it. */
async function writeThenKill(databaseUrl: string, lines: number): Promise<Committed> {
  const writer = spawn(process.execPath, ['--import', 'tsx', child, databaseUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => writer.once('exit', (_code, signal) => resolve(signal)));
  const committed: Committed = { calls: new Set(), events: new Map(), completed: new Set() };
  let seen = 0;
  for await (const line of createInterface({ input: writer.stdout })) {
    const report = JSON.parse(line) as { call?: string; event?: string; sequenceNumber?: number; completed?: string };
    if (report.call !== undefined) committed.calls.add(report.call);
    if (report.event !== undefined) committed.events.set(report.event, report.sequenceNumber as number);
    if (report.completed !== undefined) committed.completed.add(report.completed);
    seen += 1;
    if (seen === lines) writer.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  return committed;
}

test('rows committed before a SIGKILL survive, live calls fail with their events, and their callbacks are delivered', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dialtone-crash-'));
  const databaseUrl = `sqlite:${join(dir, 'dialtone.db')}`;
  try {
    const committed = await writeThenKill(databaseUrl, 200);
    assert.ok(committed.calls.size > 10, `the writer got going (${committed.calls.size} calls)`);

    const clock = new FakeClock(Date.now());
    const store = await openStore(databaseUrl, { clock, logger: silentLogger });
    for (const sid of committed.calls) assert.ok(await store.calls.get(sid), `call ${sid} survived`);
    for (const [sid, last] of committed.events) {
      const events = await store.callEvents.list(sid);
      assert.ok(events.length >= last + 1, `call ${sid} kept events 0..${last}`);
      assert.deepEqual(
        events.map((event) => event.sequenceNumber),
        events.map((_event, index) => index),
      );
    }
    for (const sid of committed.completed) assert.equal((await store.calls.get(sid))?.status, 'completed');

    const failed = await store.calls.markLiveCallsFailed('engine killed');
    assert.ok(failed.length > 0, 'some calls were live at the kill');
    for (const { call } of failed) {
      assert.equal((await store.calls.get(call.sid))?.status, 'failed');
      assert.ok((await store.callEvents.list(call.sid)).length > 0, 'a failed call keeps its events');
    }
    const live = (await store.calls.list({}, { pageSize: 1000 })).items.filter((call) => !['completed', 'failed'].includes(call.status));
    assert.deepEqual(live, []);

    const pending = await store.outbox.list({ status: 'pending' });
    const expected = new Map<string, number[]>();
    for (const entry of pending) expected.set(entry.callSid, [...(expected.get(entry.callSid) ?? []), entry.sequenceNumber]);
    for (const [sid, last] of committed.events) {
      assert.ok((expected.get(sid)?.length ?? 0) >= last + 1, `call ${sid} has its callbacks 0..${last} in the outbox`);
    }
    const delivered = new Map<string, number[]>();
    let count = 0;
    const dispatcher = new CallbackDispatcher({
      store,
      clock,
      logger: silentLogger,
      concurrency: 4,
      deliver: async (entry: OutboxEntry) => {
        delivered.set(entry.callSid, [...(delivered.get(entry.callSid) ?? []), entry.sequenceNumber]);
        count += 1;
        return { ok: true };
      },
    });
    dispatcher.start();
    for (let i = 0; i < 4_000 && count < pending.length; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await dispatcher.close();
    assert.equal(count, pending.length);
    assert.deepEqual(delivered, expected);
    assert.deepEqual(await store.outbox.list({ status: 'pending' }), []);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
