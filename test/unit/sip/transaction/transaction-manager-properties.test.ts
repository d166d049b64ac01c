import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { silentLogger } from '../../../../src/kernel/index.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest } from '../../../../src/sip/message/types.js';
import { InviteClientTransaction, TransactionManager, type ClientTransaction, type ServerTransaction } from '../../../../src/sip/transaction/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeTransport, settle } from './fake-transport.js';
import { recordingClientUser } from './harness.js';
import { endpoint, received, request, response } from './messages.js';

const protocol = fc.constantFrom('udp' as const, 'tcp' as const);
const status = fc.constantFrom(100, 180, 183, 200, 202, 302, 404, 481, 486, 487, 500, 603);

/** What can happen to a transaction layer: peers' messages, the TU's actions, time, transport failures. */
const event = fc.oneof(
  fc.record({
    kind: fc.constant('incoming' as const),
    method: fc.constantFrom('INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'),
    branch: fc.constantFrom('z9hG4bKa', 'z9hG4bKb', '2543-branch', undefined),
    seq: fc.integer({ min: 1, max: 3 }),
    toTag: fc.constantFrom(undefined, 'uas', 'other'),
    protocol,
  }),
  fc.record({ kind: fc.constant('answer-client' as const), index: fc.nat(), status, toTag: fc.constantFrom('t1', 't2') }),
  fc.record({ kind: fc.constant('send' as const), method: fc.constantFrom('INVITE', 'OPTIONS', 'BYE'), protocol }),
  fc.record({ kind: fc.constant('tu-respond' as const), index: fc.nat(), status }),
  fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ kind: fc.constant('transport' as const), failing: fc.boolean() }),
);

test('transaction layer: nothing escapes onMessage, every client TU gets one final answer, and every transaction ends (seeded, bounded)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(event, { minLength: 15, maxLength: 40 }), async (events) => {
      const clock = new FakeClock();
      const transport = new FakeTransport(clock);
      // With the request each came with: a server transaction keeps it only until its final response.
      const servers: Array<{ transaction: ServerTransaction; request: SipRequest }> = [];
      const clients: Array<{ transaction: ClientTransaction; request: SipRequest; user: ReturnType<typeof recordingClientUser> }> = [];
      const manager = new TransactionManager({
        transport,
        clock,
        logger: silentLogger,
        user: {
          onRequest: (transaction) => servers.push({ transaction, request: transaction.request }),
          onAck: () => undefined,
          onCancel: (invite) => invite.respond(createResponse(invite.request, 487, undefined, { toTag: 'uas' })),
        },
      });
      for (const step of events) {
        switch (step.kind) {
          case 'incoming': {
            const message = request({ method: step.method, branch: step.branch, seq: step.seq, toTag: step.toTag, transport: step.protocol });
            manager.onMessage(received(message, step.protocol));
            break;
          }
          case 'answer-client': {
            const target = clients[step.index % Math.max(clients.length, 1)];
            if (target !== undefined) manager.onMessage(received(response(target.request, step.status, step.toTag), target.transaction.destination.protocol));
            break;
          }
          case 'send': {
            const outgoing = request({ method: step.method, toTag: step.method === 'BYE' ? 'b' : undefined });
            outgoing.via = [];
            const user = recordingClientUser();
            clients.push({ transaction: manager.request(outgoing, endpoint(step.protocol), user), request: outgoing, user });
            break;
          }
          case 'tu-respond': {
            const target = servers[step.index % Math.max(servers.length, 1)];
            if (target !== undefined) target.transaction.respond(createResponse(target.request, step.status, undefined, { toTag: 'uas' }));
            break;
          }
          case 'cancel': {
            const target = clients[step.index % Math.max(clients.length, 1)]?.transaction;
            if (target instanceof InviteClientTransaction) manager.cancel(target, recordingClientUser());
            break;
          }
          case 'advance':
            clock.advance(step.ms);
            break;
          case 'transport':
            transport.failing = step.failing;
            break;
        }
        await settle();
      }
      // The TU answers whatever it left pending; then time runs out every timer (Timer C, §9.1, B, F, H, J…).
      for (const { transaction, request } of servers) {
        if (transaction.state === 'trying' || transaction.state === 'proceeding') {
          transaction.respond(createResponse(request, 500, undefined, { toTag: 'uas' }));
        }
      }
      for (let minute = 0; minute < 10; minute++) {
        clock.advance(60_000);
        await settle();
      }
      assert.equal(manager.stats().clientTransactions, 0);
      assert.equal(manager.stats().serverTransactions, 0);
      assert.equal(clock.pending(), 0);
      for (const { user } of clients) {
        const finals = user.responses.filter((r) => r.status >= 200);
        assert.ok(finals.length >= 1, 'every client transaction ends with a final response for its TU');
        assert.ok(finals.slice(1).every((r) => r.status < 300 && (finals[0]?.status ?? 0) < 300), 'after a non-2xx final nothing more; only 2xx repeat');
        assert.equal(user.terminated, 1);
      }
    }),
    { seed: 17_2_3, numRuns: 200 },
  );
});
