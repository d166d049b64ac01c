/**
 * The RFC 4475 / RFC 5118 torture messages sent over real sockets to the SIP endpoint `dialtone start`
 * runs, inside a network namespace that has only loopback (the messages' Vias name outside hosts, so no
 * answer may be able to leave the machine). Every manifest entry is checked; none is skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TortureEntry } from './torture-wire-form.js';
import { tortureFixturesDir } from '../../support/shared-dir.js';

const fixtures = tortureFixturesDir;
const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')) as { messages: TortureEntry[] };

interface Outcome {
  file: string;
  transport: 'udp' | 'tcp' | 'tls';
  statuses: number[];
  malformed: number;
  tcp?: { statuses: number[]; closed: boolean };
}

/** What the endpoint must answer, by file, where the RFC names a specific answer. */
const namedAnswers: Record<string, number[]> = {
  'rfc4475/badvers.dat': [505],
  'rfc4475/mismatch02.dat': [501, 400],
  'rfc4475/unkscm.dat': [416],
  'rfc4475/novelsc.dat': [416, 404],
  'rfc4475/bext01.dat': [420],
  'rfc4475/invut.dat': [415],
  // We are not a registrar: REGISTER is recognised but not allowed (RFC 3261 §8.2.1, 405).
  'rfc4475/regaut01.dat': [405],
  'rfc4475/cparam01.dat': [405],
  'rfc4475/cparam02.dat': [405],
  'rfc4475/regescrt.dat': [405],
  'rfc4475/unksm2.dat': [405, 400],
  'rfc4475/dblreq.dat': [405],
  'rfc4475/sdp01.dat': [406],
  'rfc4475/intmeth.dat': [501],
  'rfc4475/esc02.dat': [501],
};

function check(entry: TortureEntry, outcome: Outcome): void {
  const where = `${entry.file} (${entry.expected_handling}): got ${JSON.stringify(outcome)}`;
  if (entry.verdict === null) {
    // Not an RFC case: at most it is rejected, and nothing crashed (the harness went on).
    assert.ok(outcome.statuses.every((status) => status === 400), where);
    return;
  }
  if (entry.message_type === 'response') {
    // A response is never answered: the valid ones are dropped as not ours, the invalid ones as malformed.
    assert.deepEqual(outcome.statuses, [], where);
    assert.equal(outcome.malformed, entry.verdict === 'invalid' ? 1 : 0, where);
    return;
  }
  const named = namedAnswers[entry.file];
  if (entry.verdict === 'invalid') {
    if (entry.file === 'rfc4475/baddate.dat') {
      // RFC 4475 §3.1.2.13: reject with 400, or ignore the Date and process normally.
      assert.equal(outcome.statuses.length, 1, where);
    } else if (named !== undefined) {
      assert.equal(outcome.statuses.length, 1, where);
      assert.ok(named.includes(outcome.statuses[0]!), where);
    } else if (entry.layer === 'application') {
      // Well-formed syntax with a semantic fault: the endpoint's checks answer 400.
      assert.deepEqual(outcome.statuses, [400], where);
    } else {
      // The parser refuses it (the transport answers 400), or it parses and the UAS checks refuse it.
      assert.deepEqual(outcome.statuses, [400], where);
    }
    if (entry.layer === 'transport') {
      // RFC 3261 §18.3: a stream whose framing is broken is answered (when possible) and closed, or
      // waits for the rest and is closed when none comes.
      assert.ok(outcome.tcp?.closed, `${where}: TCP connection closed`);
      assert.ok(outcome.tcp!.statuses.every((status) => status === 400), where);
    }
    return;
  }
  // Valid: parsed (never judged malformed) and answered once, with the RFC's answer where it names one.
  assert.equal(outcome.malformed, 0, where);
  assert.equal(outcome.statuses.length, 1, where);
  if (named !== undefined) assert.ok(named.includes(outcome.statuses[0]!), where);
  else assert.notEqual(outcome.statuses[0], 400, where);
  if (entry.layer === 'transport') {
    assert.ok(outcome.tcp !== undefined && outcome.tcp.statuses.length === 1 && named!.includes(outcome.tcp.statuses[0]!), where);
  }
}

function runHarnessInNamespace(): Outcome[] {
  const namespace = `dialtone-torture-${process.pid}`;
  execFileSync('ip', ['netns', 'add', namespace]);
  try {
    execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const output = execFileSync(
      'ip',
      ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'wire-harness.ts')],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Outcome | { stats: unknown })
      .filter((line): line is Outcome => 'file' in line);
  } finally {
    execFileSync('ip', ['netns', 'delete', namespace]);
  }
}

test('every torture message sent over the wire gets the answer its RFC names', { timeout: 180_000 }, (t) => {
  const canUseNamespaces = process.getuid?.() === 0 && (() => {
    try {
      execFileSync('ip', ['-V']);
      return true;
    } catch {
      return false;
    }
  })();
  if (!canUseNamespaces) {
    // CI runs as root with iproute2 installed by .ci/run: there the missing tools are a failure.
    if (process.env['CI'] === 'true') assert.fail('network namespaces need root and iproute2 (ip)');
    t.skip('needs root and iproute2 to make an isolated network namespace');
    return;
  }
  const outcomes = new Map(runHarnessInNamespace().map((outcome) => [outcome.file, outcome]));
  const failures: string[] = [];
  let handled = 0;
  for (const entry of manifest.messages) {
    const outcome = outcomes.get(entry.file);
    try {
      assert.ok(outcome, `${entry.file}: no outcome (harness stopped early?)`);
      check(entry, outcome);
      if (entry.verdict !== null) handled++;
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  const cases = manifest.messages.filter((entry) => entry.verdict !== null).length;
  t.diagnostic(`torture over the wire: ${handled}/${cases} handled as the RFCs say`);
  assert.deepEqual(failures, []);
});
