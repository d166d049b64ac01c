/**
 * Child process for store-crash.test.ts: writes calls, their events and status callbacks to the store
 * as fast as it can, and after each transaction commits prints one JSON line naming what is now
 * durable. The parent kills it with SIGKILL part-way and checks every printed row survived.
 * argv: databaseUrl
 */
import { silentLogger, systemClock } from '../../../src/kernel/index.js';
import { openStore } from '../../../src/store/index.js';

const databaseUrl = process.argv[2];
if (databaseUrl === undefined) throw new Error('usage: write-until-killed.ts DATABASE_URL');
const account = 'AC' + 'a'.repeat(32);
const store = await openStore(databaseUrl, { clock: systemClock, logger: silentLogger });
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');
say({ ready: true });

const names = ['initiated', 'ringing', 'answered', 'completed'] as const;
for (let index = 0; ; index += 1) {
  const call = await store.calls.create({ accountSid: account, direction: 'inbound', from: `+1555000${index}`, to: 'sip:app@dialtone' });
  say({ call: call.sid });
  for (const [sequenceNumber, name] of names.entries()) {
    await store.callEvents.append(
      { callSid: call.sid, sequenceNumber, name, timestamp: Date.now(), params: { CallStatus: name, SequenceNumber: String(sequenceNumber) } },
      { accountSid: account, url: 'http://127.0.0.1:9/status', method: 'POST' },
    );
    if (name === 'ringing') await store.calls.update(call.sid, { status: 'ringing' });
    if (name === 'answered') await store.calls.update(call.sid, { status: 'in-progress', answerTime: Date.now() });
    say({ event: call.sid, sequenceNumber });
    // Most calls are still live when the kill comes; every third one has ended.
    if (name === 'answered' && index % 3 !== 0) break;
  }
  if (index % 3 === 0) {
    await store.calls.update(call.sid, { status: 'completed', endTime: Date.now() });
    say({ completed: call.sid });
  }
}
