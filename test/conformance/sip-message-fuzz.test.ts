/**
 * Bounded, seeded fuzzing of the message parser: mutated torture messages, random bytes and SIP-shaped
 * noise. Whatever the input, parseMessage returns a result and never throws; what it accepts serialises
 * and parses again; what it refuses can be answered or is dropped. And a flood of garbage is not retained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { createErrorResponse, parseMessage, serializeMessage, type ParseResult } from '../../src/sip/message/index.js';
import { tortureFixturesDir } from '../support/shared-dir.js';

const fixtures = tortureFixturesDir;
const corpus: Buffer[] = ['rfc4475', 'rfc5118'].flatMap((dir) =>
  readdirSync(join(fixtures, dir))
    .filter((name) => name.endsWith('.dat'))
    .sort()
    .map((name) => readFileSync(join(fixtures, dir, name))),
);

/** The properties every parse must have, whatever the input. */
function checkResult(result: ParseResult): void {
  assert.equal(typeof result.ok, 'boolean');
  if (result.ok) {
    // Whatever is accepted can be written and read back, to the same meaning.
    const again = parseMessage(serializeMessage(result.message));
    if (!again.ok) assert.fail(`re-parse failed: ${again.error.reason}`);
    assert.equal(again.message.kind, result.message.kind);
    assert.equal(again.message.callId, result.message.callId);
    assert.deepEqual(again.message.cseq, result.message.cseq);
    assert.equal(again.message.via.length, result.message.via.length);
    assert.ok(again.message.body.equals(result.message.body));
  } else {
    assert.ok(result.error.status >= 400 && result.error.status <= 599);
    assert.ok(!/[\r\n]/.test(result.error.reason));
    const answer = createErrorResponse(result.error);
    if (answer !== undefined) {
      assert.equal(result.error.isRequest, true);
      const reparsed = parseMessage(serializeMessage(answer));
      if (!reparsed.ok) assert.fail(`error response does not parse: ${reparsed.error.reason}`);
    }
  }
}

const interesting = ['\r\n', '\r', '\n', ' ', '\t', ':', ';', ',', '"', '\\', '<', '>', '[', ']', '@', '%', '%0', '=', '?', '\0', '\xff', '\r\n ', 'SIP/2.0', 'Via: ', 'l: 99999\r\n', '\r\n\r\n'];

type Mutation = { at: number; kind: 'flip' | 'insert' | 'delete' | 'truncate' | 'duplicate'; value: number; text: string };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'duplicate'),
  value: fc.integer({ min: 0, max: 255 }),
  text: fc.oneof(fc.constantFrom(...interesting), fc.string({ maxLength: 8 })),
});

function mutate(source: Buffer, mutations: Mutation[]): Buffer {
  let data = Buffer.from(source);
  for (const m of mutations) {
    const at = data.length === 0 ? 0 : m.at % data.length;
    switch (m.kind) {
      case 'flip':
        if (data.length > 0) data[at] = m.value;
        break;
      case 'insert':
        data = Buffer.concat([data.subarray(0, at), Buffer.from(m.text, 'latin1'), data.subarray(at)]);
        break;
      case 'delete':
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + (m.value % 16))]);
        break;
      case 'truncate':
        data = data.subarray(0, at);
        break;
      case 'duplicate':
        data = Buffer.concat([data.subarray(0, at + 1), data.subarray(at, at + 1 + m.value), data.subarray(at + 1)]);
        break;
    }
  }
  return data;
}

test('fuzz: mutated torture messages never throw and keep the parse properties', () => {
  fc.assert(
    fc.property(fc.nat({ max: corpus.length - 1 }), fc.array(mutationArbitrary, { minLength: 1, maxLength: 6 }), (index, mutations) => {
      checkResult(parseMessage(mutate(corpus[index]!, mutations)));
    }),
    { seed: 3261, numRuns: 1200 },
  );
});

test('fuzz: random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
      checkResult(parseMessage(Buffer.from(bytes)));
    }),
    { seed: 4475, numRuns: 400 },
  );
});

const sipChars = fc.constantFrom(...'aZ09-._!%*+`\'~()<>:\\"/[]?{}@;=,& \t'.split(''), '\r\n', '\r\n ', 'sip:', 'SIP/2.0', '[::1]', '%41', '%4');
const headerName = fc.constantFrom('Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Contact', 'm', 'Route', 'Record-Route', 'Max-Forwards', 'Content-Type', 'c', 'Content-Length', 'l', 'Require', 'Allow', 'WWW-Authenticate', 'X-Other');
const sipShaped = fc
  .tuple(
    fc.constantFrom('INVITE sip:bob@example.com SIP/2.0', 'SIP/2.0 200 OK', 'OPTIONS sip:[2001:db8::1]:5060;lr SIP/2.0', 'REGISTER sips:example.com SIP/2.0'),
    fc.array(fc.tuple(headerName, fc.array(sipChars, { maxLength: 40 }).map((parts) => parts.join(''))), { maxLength: 14 }),
    fc.string({ maxLength: 40 }),
  )
  .map(([start, headers, body]) => Buffer.from(`${start}\r\n${headers.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`));

test('fuzz: SIP-shaped noise never throws and keeps the parse properties', () => {
  fc.assert(
    fc.property(sipShaped, (data) => {
      checkResult(parseMessage(data));
    }),
    { seed: 5118, numRuns: 600 },
  );
});

test('a flood of 10k garbage datagrams is not retained (no global cache grows)', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const random = fc.sample(fc.uint8Array({ minLength: 800, maxLength: 1200 }), { seed: 1, numRuns: 50 });
  const refs: Array<WeakRef<object>> = [];
  const flood = (): void => {
    for (let i = 0; i < 10_000; i++) {
      // Garbage that looks enough like SIP to get deep into the parser.
      const base = corpus[i % corpus.length]!;
      const data = mutate(base, [{ at: i * 7919, kind: 'flip', value: i & 255, text: '' }, { at: i, kind: 'insert', value: 0, text: Buffer.from(random[i % random.length]!).toString('latin1') }]);
      const result = parseMessage(data);
      if (i % 100 === 0) {
        refs.push(new WeakRef(data), new WeakRef(result));
      }
    }
  };
  gc();
  const before = process.memoryUsage().heapUsed;
  flood();
  // WeakRef targets stay alive until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const alive = refs.filter((ref) => ref.deref() !== undefined).length;
  assert.equal(alive, 0, 'no datagram nor result of the flood is still reachable');
  // About 20 MB of input went through; what remains is bounded and unrelated to it.
  const growth = process.memoryUsage().heapUsed - before;
  t.diagnostic(`heap after the flood and GC: ${growth >= 0 ? '+' : ''}${Math.round(growth / 1024)} KiB`);
  assert.ok(growth < 4 * 1024 * 1024, `heap grew by ${growth} bytes`);
});
