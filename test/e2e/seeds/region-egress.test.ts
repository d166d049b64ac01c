/**
 * The ;region=ie1 examples of both TwiML pages (seeds 003 and 004: "sip:alice@example.com;region=ie1")
 * against the configured egresses (INTERFACE.md `regions`). A region with an outboundProxy sends the
 * INVITE to that proxy — here a SIPp listener on its own loopback port, which answers — with the
 * Request-URI still naming the target and a loose Route to the proxy; nothing listens at the target
 * itself. A region the configuration does not know gives a warning notification and the default
 * region's egress (here a proxy too, so that the choice is visible).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '../../../src/kernel/index.js';
import { findFreePort, requireSipp } from '../../support/sipp.js';
import { assertInvite, assertWebhooks, runSeedExample, type SeedRun } from './seed-call.js';
import { singleSipExamples } from './seed-examples.js';

const regionExamples = singleSipExamples().filter((example) => example.sip.uri.region !== undefined);

test('both TwiML pages have the ;region=ie1 example', () => {
  assert.deepEqual(regionExamples.map((example) => [example.id, example.sip.uri.region]), [['003#1', 'ie1'], ['004#1', 'ie1']]);
});

/** The INVITE reached the proxy (the callee of the run), addressed to the target, routed through the proxy. */
function assertThroughProxy(run: SeedRun, targetPort: number): void {
  const invite = assertInvite(run, { user: run.example.sip.uri.user, port: targetPort });
  assert.equal(invite.route?.length, 1);
  assert.equal(invite.route[0]!.uri.host, '127.0.0.1');
  assert.equal(invite.route[0]!.uri.port, run.callee.port);
  assert.ok(invite.route[0]!.uri.params.has('lr'), 'a loose route (RFC 3261 §16.12.1.1)');
  assertWebhooks(run, invite);
}

for (const example of regionExamples) {
  test(`seed ${example.id}: region ie1 configured with an outboundProxy → the INVITE goes to the proxy, no warning`, { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const targetPort = await findFreePort();
    await runSeedExample(
      example,
      (run) => {
        assertThroughProxy(run, targetPort);
        assert.deepEqual(run.notifications.filter((notification) => /region/.test(notification.messageText)), []);
      },
      {
        target: `127.0.0.1:${targetPort}`,
        regions: (proxy) => ({ us1: { default: true }, ie1: { outboundProxy: `sip:127.0.0.1:${proxy.port}` } }),
      },
    );
  });

  test(`seed ${example.id}: region ie1 not configured → a warning notification and the default region's egress`, { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    const targetPort = await findFreePort();
    await runSeedExample(
      example,
      (run) => {
        assertThroughProxy(run, targetPort);
        const warnings = run.notifications.filter((notification) => /region/.test(notification.messageText));
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0]!.logLevel, 'warning');
        assert.equal(warnings[0]!.errorCode, ErrorCodes.schemaValidationWarning);
        assert.match(warnings[0]!.messageText, /'ie1'.*'us1'/);
        assert.equal(warnings[0]!.callSid, run.parentSid);
      },
      {
        target: `127.0.0.1:${targetPort}`,
        regions: (proxy) => ({ us1: { default: true, outboundProxy: `sip:127.0.0.1:${proxy.port}` }, au1: {} }),
      },
    );
  });
}
