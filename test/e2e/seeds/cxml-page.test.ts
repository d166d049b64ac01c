/**
 * The cXML <Sip> page (seed 002), end to end from an engine with no TLS listener: each of its
 * examples goes over TLS (its default transport) to our own UserAgent with the test certificate,
 * credentials answer a 401, un-prefixed custom headers are not sent, and the Dial with screening,
 * GET action, recording and space-separated events delivers every webhook field by field. The page's
 * examples use neither `codecs` nor `sessionTimeout`; its first example is run once more with both
 * set as the page describes them: the codecs it lists, in reverse order, and a Session-Expires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAndCheckSeedExample } from './seed-call.js';
import { seedCodecList, singleSipExamples, withSipAttributes } from './seed-examples.js';

const examples = singleSipExamples().filter((candidate) => candidate.dialect === 'cxml');

test('the cXML page has four distinct single-endpoint examples, all over TLS by default', () => {
  assert.equal(examples.length, 4);
  for (const example of examples) assert.deepEqual([example.sip.uri.transport, example.sip.uri.transportExplicit], ['tls', false]);
});

for (const example of examples) {
  test(`seed ${example.id}: ${example.sip.uri.raw}`, { timeout: 120_000 }, async () => {
    await runAndCheckSeedExample(example);
  });
}

test('seed 002#1 with codecs (the page’s list, reversed) and sessionTimeout: the SDP offers them in that order, Session-Expires is sent', { timeout: 120_000 }, async () => {
  const codecs = [...seedCodecList()].reverse();
  const example = withSipAttributes(examples[0]!, { codecs: codecs.join(','), sessionTimeout: '900' });
  assert.deepEqual(example.sip.codecs, codecs);
  assert.equal(example.sip.sessionTimeout, 900);
  await runAndCheckSeedExample(example);
});
