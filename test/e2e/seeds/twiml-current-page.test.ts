/**
 * Every example of the current TwiML <Sip> page (seed 004) that dials one endpoint, end to end: x-,
 * User-to-User and standard headers as received, TCP and TLS, credentials against a 401, the Dial
 * with screening, action and recording, call progress events; every webhook field by field. The
 * ;region=ie1 example runs in region-egress.test.ts, where an egress for it is configured.
 */
import { test } from 'node:test';
import { requireSipp } from '../../support/sipp.js';
import { runAndCheckSeedExample } from './seed-call.js';
import { singleSipExamples } from './seed-examples.js';

for (const example of singleSipExamples().filter((candidate) => candidate.id.startsWith('004#') && candidate.sip.uri.region === undefined)) {
  test(`seed ${example.id}: ${example.sip.uri.raw}`, { timeout: 120_000 }, async (t) => {
    if (example.sip.uri.transport !== 'tls' && !requireSipp(t)) return;
    await runAndCheckSeedExample(example);
  });
}
