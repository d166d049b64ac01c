/**
 * A REST API over a real SQLite store in a temp folder, with a fake CallControl that stores calls as
 * the engine would and remembers what it was asked. Shared by the unit tests (inject) and the
 * integration test (listening, with the official twilio client).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type CallControl, type CallUpdate, type CreateCallRequest, createApiServer } from '../../../src/api/index.js';
import type { AccountConfig } from '../../../src/config/index.js';
import { type Logger, silentLogger } from '../../../src/kernel/index.js';
import { type CallRecord, type Store, openStore } from '../../../src/store/index.js';
import { FakeClock } from '../../support/fake-clock.js';

export const accountSid = 'AC' + '0123456789abcdef'.repeat(2);
export const authToken = 'token-' + 'f'.repeat(26);
export const otherAccountSid = 'AC' + 'b'.repeat(32);
export const otherAuthToken = 'other-token';
export const accounts: AccountConfig[] = [
  { sid: accountSid, authToken, enhancedSip: true },
  { sid: otherAccountSid, authToken: otherAuthToken, enhancedSip: false },
];
export const start = Date.UTC(2026, 10, 23, 9, 30, 0);

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}
export const auth = { authorization: basic(accountSid, authToken) };
export const formHeaders = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };

export class FakeCallControl implements CallControl {
  readonly created: CreateCallRequest[] = [];
  readonly updates: Array<{ sid: string; update: CallUpdate }> = [];
  /** What updateCall answers instead of applying the update, when set. */
  answer: 'not-found' | 'not-live' | undefined;
  /** Thrown by createCall when set. */
  createError: Error | undefined;

  constructor(private readonly store: Store) {}

  async createCall(request: CreateCallRequest): Promise<CallRecord> {
    this.created.push(request);
    if (this.createError !== undefined) throw this.createError;
    return this.store.calls.create({ accountSid: request.accountSid, direction: 'outbound-api', from: request.from, to: request.to });
  }

  async updateCall(sid: string, update: CallUpdate): Promise<CallRecord | 'not-found' | 'not-live'> {
    this.updates.push({ sid, update });
    if (this.answer !== undefined) return this.answer;
    if (update.kind === 'end') {
      if (!(await this.store.calls.update(sid, { status: update.status, endTime: Date.now() }))) return 'not-found';
    }
    return (await this.store.calls.get(sid)) ?? 'not-found';
  }
}

export interface ApiFixture {
  app: FastifyInstance;
  store: Store;
  clock: FakeClock;
  control: FakeCallControl;
  dir: string;
  close(): Promise<void>;
}

export async function openApiFixture(options: { requireAuthForMedia?: boolean; logger?: Logger; publicUrl?: string } = {}): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'dialtone-api-'));
  const clock = new FakeClock(start);
  const store = await openStore(`sqlite:${join(dir, 'dialtone.db')}`, { clock, logger: silentLogger });
  const control = new FakeCallControl(store);
  const app = createApiServer({
    store,
    accounts,
    control,
    publicUrl: options.publicUrl ?? 'http://dialtone.test:8080/',
    logger: options.logger ?? silentLogger,
    ...(options.requireAuthForMedia === undefined ? {} : { requireAuthForMedia: options.requireAuthForMedia }),
  });
  return {
    app,
    store,
    clock,
    control,
    dir,
    async close() {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates `count` calls one second apart (newest last); returns them oldest first. */
export async function seedCalls(fixture: ApiFixture, count: number, make: (index: number) => Partial<Parameters<Store['calls']['create']>[0]> = () => ({})): Promise<CallRecord[]> {
  const calls: CallRecord[] = [];
  for (let index = 0; index < count; index++) {
    calls.push(
      await fixture.store.calls.create({
        accountSid,
        direction: 'inbound',
        from: '+15551230000',
        to: `sip:user${index}@example.com`,
        ...make(index),
      }),
    );
    fixture.clock.advance(1000);
  }
  return calls;
}
