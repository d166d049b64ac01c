/**
 * Every example of the older TwiML <Sip> page (seed 003) that dials one endpoint, end to end: the
 * INVITE as SIPp (UDP, TCP) or our TLS UserAgent received it, and every webhook, field by field.
 * The ;region=ie1 example is run in region-egress.test.ts, where an egress for it is configured.
 */
import { test } from 'node:test';
import { requireSipp } from '../../support/sipp.js';
import { runAndCheckSeedExample } from './seed-call.js';
import { singleSipExamples } from './seed-examples.js';

for (const example of singleSipExamples().filter((candidate) => candidate.id.startsWith('003#') && candidate.sip.uri.region === undefined)) {
  test(`seed ${example.id}: ${example.sip.uri.raw}`, { timeout: 120_000 }, async (t) => {
    if (example.sip.uri.transport !== 'tls' && !requireSipp(t)) return;
    await runAndCheckSeedExample(example);
  });
}
