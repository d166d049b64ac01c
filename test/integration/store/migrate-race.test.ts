/**
 * Two engines started at once on one empty database: both must come up, and each migration must be
 * applied exactly once (PostgreSQL: advisory lock; SQLite: BEGIN IMMEDIATE). Separate processes,
 * because that is the race that happens in production and because a second in-process SQLite
 * connection would block the event loop the first one needs to finish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { migrations } from '../../../src/store/migrations/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { type BackendName, createTestDatabase, forEachBackend } from '../../unit/store/store-backends.js';

const child = fileURLToPath(new URL('./open-store-once.ts', import.meta.url));

interface Opener {
  ready: Promise<void>;
  go(): void;
  applied: Promise<number[]>;
}

function startOpener(databaseUrl: string): Opener {
  const opener = spawn(process.execPath, ['--import', 'tsx', child, databaseUrl], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  opener.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  opener.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const applied = new Promise<number[]>((resolve, reject) => {
    opener.once('error', reject);
    opener.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as number[]) : reject(new Error(`opener exited ${code}: ${err}`)),
    );
  });
  return { ready: Promise.race([ready, applied.then(() => undefined)]), go: () => opener.stdin.write('go\n'), applied };
}

forEachBackend('migrations racing', (backend: BackendName) => {
  test('four processes opening one empty database at once apply each migration exactly once', async () => {
    const database = await createTestDatabase(backend);
    try {
      const openers = [1, 2, 3, 4].map(() => startOpener(database.url));
      await Promise.all(openers.map((opener) => opener.ready));
      for (const opener of openers) opener.go();
      const results = await Promise.all(openers.map((opener) => opener.applied));
      assert.deepEqual(results.flat().sort(), migrations.map((migration) => migration.version));
      const store = await database.open(new FakeClock());
      assert.deepEqual(store.migrationsApplied, []);
      await store.close();
    } finally {
      await database.dispose();
    }
  });
});
