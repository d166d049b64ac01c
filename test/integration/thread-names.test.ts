import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ThreadNames } from '../../src/kernel/index.js';
import { WorkerEspeakEngine } from '../../src/media/speech/index.js';
import { startTestEngine } from '../e2e/support/harness.js';
import { eventually } from '../support/eventually.js';

/** The names of this process's threads, as `ps -L` and `top -H` show them (Linux). */
function threadNames(): string[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()];
    } catch {
      return []; // the thread ended between the listing and the read
    }
  });
}

test('the engine names its I/O and SQLite threads, so that ps -L and top -H tell them apart', { skip: process.platform !== 'linux' }, async () => {
  assert.deepEqual(threadNames().filter((name) => name.startsWith('dialtone-')), [], 'no engine yet, no named thread');
  const setup = await startTestEngine([{ match: '*', voiceUrl: 'http://127.0.0.1:9/voice' }]);
  try {
    const names = await eventually(threadNames, (listed) => listed.includes(ThreadNames.io) && listed.includes(ThreadNames.sqlite), {
      what: 'the I/O and SQLite threads named',
    });
    assert.equal(names.filter((name) => name === ThreadNames.io).length, 1);
    assert.equal(names.filter((name) => name === ThreadNames.sqlite).length, 1);
  } finally {
    await setup.close();
  }
});

test('the speech worker names its thread too', { skip: process.platform !== 'linux', timeout: 60_000 }, async () => {
  const engine = new WorkerEspeakEngine();
  try {
    await engine.synthesize('en-us', 'Hello.', 175);
    assert.ok(threadNames().includes(ThreadNames.speech), threadNames().join(', '));
  } finally {
    await engine.close();
  }
});
