/**
 * Child process for migrate-race.test.ts: prints "ready", waits for a line on stdin (so that all
 * children open at the same moment, whatever their start-up time), opens the store (running
 * migrations), prints the versions this process applied as JSON, and closes. argv: databaseUrl
 */
import { once } from 'node:events';
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import { openStore } from '../../../src/store/index.js';

const databaseUrl = process.argv[2];
if (databaseUrl === undefined) throw new Error('usage: open-store-once.ts DATABASE_URL');
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const store = await openStore(databaseUrl, { clock: systemClock, logger: silentLogger });
process.stdout.write(JSON.stringify(store.migrationsApplied) + '\n');
await store.close();
process.stdin.destroy();
