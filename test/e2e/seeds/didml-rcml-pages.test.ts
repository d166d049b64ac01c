/**
 * The didML page's two examples (seed 000), its `</Say>` closing tags repaired as the didML dialect
 * does: a host-only target dials the number the caller dialled at that host, a full URI dials its
 * user. And the RCML document (seed 001, from its attribute table): comma-separated
 * statusCallbackEvent values, each event delivered in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireSipp } from '../../support/sipp.js';
import { runAndCheckSeedExample } from './seed-call.js';
import { singleSipExamples } from './seed-examples.js';

const examples = singleSipExamples().filter((candidate) => candidate.dialect === 'didml' || candidate.dialect === 'rcml');

test('the didML page has two single-endpoint examples and the RCML document one', () => {
  assert.deepEqual(examples.map((example) => example.id), ['000#1', '000#2', '001#1']);
  assert.equal(examples[0]!.sip.uri.userFromCalledNumber, true);
  assert.match(examples[2]!.xml, /statusCallbackEvent="initiated,ringing,answered,completed"/);
});

for (const example of examples) {
  test(`seed ${example.id}: ${example.sip.uri.raw}`, { timeout: 120_000 }, async (t) => {
    if (!requireSipp(t)) return;
    await runAndCheckSeedExample(example);
  });
}
