import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamFramer, readContentLength, type FramerEvent } from '../../../../src/sip/transport/stream-framer.js';

const limits = { maxHeaderBytes: 4096, maxBodyBytes: 8192 };

function request(body = '', extra = ''): string {
  return (
    'INVITE sip:bob@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n' +
    'To: <sip:bob@example.com>\r\n' +
    'From: <sip:alice@example.com>;tag=1928301774\r\n' +
    'Call-ID: a84b4c76e66710\r\n' +
    'CSeq: 314159 INVITE\r\n' +
    extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    '\r\n' +
    body
  );
}

function messages(events: FramerEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'message' ? [event.data.toString('latin1')] : []));
}

function feedInPieces(input: Buffer, cuts: number[]): FramerEvent[] {
  const framer = new StreamFramer(limits);
  const events: FramerEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    events.push(...framer.push(input.subarray(from, cut)));
    from = cut;
  }
  return events;
}

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('frames one message by its Content-Length', () => {
    const text = request('v=0\r\n');
    const events = new StreamFramer(limits).push(Buffer.from(text));
    assert.deepEqual(messages(events), [text]);
  });

  it('yields the same message whatever byte position the stream is split at', () => {
    const text = request('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
    const input = Buffer.from(text);
    for (let cut = 1; cut < input.length; cut++) {
      const events = feedInPieces(input, [cut]);
      assert.deepEqual(messages(events), [text], `split at ${cut}`);
      assert.equal(events.length, 1);
    }
  });

  it('yields every message when fed one byte at a time', () => {
    const text = request('hello') + request('') + request('x');
    const input = Buffer.from(text);
    const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(messages(feedInPieces(input, cuts)), [request('hello'), request(''), request('x')]);
  });

  it('frames pipelined messages arriving in one chunk, with any split into pieces', () => {
    const parts = [request('one'), request(''), request('three!')];
    const input = Buffer.from(parts.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 12 }), (cuts) => {
        const events = feedInPieces(input, [...cuts].sort((a, b) => a - b));
        assert.deepEqual(messages(events), parts);
      }),
      { numRuns: 300, seed: 3261 },
    );
  });

  it('reads the compact form `l` and a folded Content-Length value', () => {
    const compact = request('abc').replace('Content-Length: 3', 'l: 3');
    assert.deepEqual(messages(new StreamFramer(limits).push(Buffer.from(compact))), [compact]);
    const folded = request('abcd').replace('Content-Length: 4', 'Content-Length:\r\n  4');
    assert.deepEqual(messages(new StreamFramer(limits).push(Buffer.from(folded))), [folded]);
  });

  it('counts body bytes, not characters', () => {
    const text = request('héllo ☎');
    assert.deepEqual(messages(new StreamFramer(limits).push(Buffer.from(text, 'utf8'))), [Buffer.from(text, 'utf8').toString('latin1')]);
  });

  it('answers a double-CRLF ping between messages and ignores a single CRLF (RFC 5626 §3.5.1)', () => {
    const framer = new StreamFramer(limits);
    const events = framer.push(Buffer.from('\r\n\r\n' + request('') + '\r\n' + request('a') + '\r\n\r\n\r\n\r\n'));
    assert.deepEqual(
      events.map((event) => event.kind),
      ['ping', 'message', 'message', 'ping', 'ping'],
    );
    assert.equal(framer.buffered(), 0);
  });

  it('recognises a ping split at every byte', () => {
    for (let cut = 1; cut < 4; cut++) {
      const events = feedInPieces(Buffer.from('\r\n\r\n'), [cut]);
      assert.deepEqual(events, [{ kind: 'ping' }], `split at ${cut}`);
    }
  });

  it('skips thousands of CRLFs in one chunk without recursion', () => {
    const framer = new StreamFramer(limits);
    const events = framer.push(Buffer.from('\r\n'.repeat(100_001)));
    assert.equal(events.length, 50_000);
    assert.ok(events.every((event) => event.kind === 'ping'));
  });

  it('fails on a missing Content-Length and hands back the header section', () => {
    const text = request('').replace('Content-Length: 0\r\n', '');
    const events = new StreamFramer(limits).push(Buffer.from(text));
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.kind, 'error');
    if (event.kind !== 'error') return;
    assert.equal(event.failure.kind, 'missing-content-length');
    assert.equal(event.failure.status, 400);
    assert.equal(event.failure.headerSection?.toString('latin1'), text);
  });

  for (const bad of ['-1', 'abc', '12a', '', '99999999999', '1 2']) {
    it(`fails on Content-Length "${bad}" and strips it from the header section`, () => {
      const text = request('').replace('Content-Length: 0', `Content-Length: ${bad}`);
      const framer = new StreamFramer(limits);
      const events = framer.push(Buffer.from(text + request('')));
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.equal(event.kind, 'error');
      if (event.kind !== 'error') return;
      assert.equal(event.failure.kind, 'invalid-content-length');
      assert.equal(event.failure.status, 400);
      assert.ok(!event.failure.headerSection?.toString('latin1').includes('Content-Length'));
      assert.ok(event.failure.headerSection?.toString('latin1').startsWith('INVITE sip:bob@example.com SIP/2.0\r\n'));
      assert.ok(framer.hasFailed());
      assert.deepEqual(framer.push(Buffer.from(request(''))), [], 'a failed stream cannot resynchronise');
      assert.equal(framer.buffered(), 0);
    });
  }

  it('fails on two Content-Length fields that disagree, accepts two that agree', () => {
    const disagree = request('ab', 'l: 3\r\n');
    const events = new StreamFramer(limits).push(Buffer.from(disagree));
    assert.equal(events[0]?.kind, 'error');
    const agree = request('ab', 'l: 2\r\n');
    assert.deepEqual(messages(new StreamFramer(limits).push(Buffer.from(agree))), [agree]);
  });

  it('fails with 513 when the headers outgrow the limit, holding no more than the limit', () => {
    const framer = new StreamFramer({ maxHeaderBytes: 256, maxBodyBytes: 1024 });
    let events: FramerEvent[] = [];
    for (let i = 0; i < 100 && events.length === 0; i++) {
      events = framer.push(Buffer.from('X-Padding: 0123456789\r\n'));
      assert.ok(framer.buffered() <= 256 + 23);
    }
    assert.equal(events[0]?.kind, 'error');
    if (events[0]?.kind !== 'error') return;
    assert.equal(events[0].failure.kind, 'headers-too-large');
    assert.equal(events[0].failure.status, 513);
    assert.equal(events[0].failure.headerSection, undefined);
    assert.equal(framer.buffered(), 0);
  });

  it('fails with 513 when the header section is complete but too long', () => {
    const text = request('', `X-Big: ${'a'.repeat(300)}\r\n`);
    const events = new StreamFramer({ maxHeaderBytes: 256, maxBodyBytes: 1024 }).push(Buffer.from(text));
    assert.equal(events[0]?.kind, 'error');
  });

  it('fails with 513 as soon as a Content-Length above the body limit is seen', () => {
    const text = request('').replace('Content-Length: 0', 'Content-Length: 8193');
    const events = new StreamFramer(limits).push(Buffer.from(text));
    assert.equal(events[0]?.kind, 'error');
    if (events[0]?.kind !== 'error') return;
    assert.equal(events[0].failure.kind, 'body-too-large');
    assert.equal(events[0].failure.status, 513);
    assert.ok(events[0].failure.headerSection !== undefined);
  });

  it('holds a body up to the limit until it is complete', () => {
    const body = 'b'.repeat(8192);
    const framer = new StreamFramer(limits);
    const input = Buffer.from(request(body));
    assert.deepEqual(framer.push(input.subarray(0, input.length - 1)), []);
    assert.equal(messages(framer.push(input.subarray(input.length - 1))).length, 1);
  });

  it('never throws and stays bounded on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }), (chunks) => {
        const framer = new StreamFramer({ maxHeaderBytes: 512, maxBodyBytes: 512 });
        for (const chunk of chunks) {
          framer.push(Buffer.from(chunk));
          assert.ok(framer.buffered() <= 512 + 512 + 600);
        }
      }),
      { numRuns: 500, seed: 18 },
    );
  });
});

describe('readContentLength', () => {
  it('ignores the start line and a header whose name merely contains content-length', () => {
    const header = Buffer.from('l: 1 sip:x SIP/2.0\r\nX-Content-Length: 9\r\nContent-Length : 5\r\n\r\n');
    const result = readContentLength(header);
    assert.equal(result.kind, 'ok');
    if (result.kind === 'ok') assert.equal(result.length, 5);
  });
});
