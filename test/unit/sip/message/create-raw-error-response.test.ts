import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRawErrorResponse, parseMessage } from '../../../../src/sip/message/index.js';
import { tortureFixturesDir } from '../../../support/shared-dir.js';

const torture = (name: string): Buffer => readFileSync(join(tortureFixturesDir, 'rfc4475', name));

function answerTo(data: Buffer): string | undefined {
  const parsed = parseMessage(data);
  assert.ok(!parsed.ok, 'the request is malformed');
  return createRawErrorResponse(data, parsed.error)?.toString('latin1');
}

test('a request without From, To and Call-ID still gets its 400, echoing its Via and CSeq (RFC 4475 insuf)', () => {
  const answer = answerTo(torture('insuf.dat'));
  assert.ok(answer !== undefined);
  assert.match(answer, /^SIP\/2\.0 400 /);
  assert.match(answer, /\r\nVia: SIP\/2\.0\/UDP 192\.0\.2\.95;branch=z9hG4bKkdj\.insuf\r\n/);
  assert.match(answer, /\r\nCSeq: 193942 INVITE\r\n/);
  assert.ok(answer.endsWith('Content-Length: 0\r\n\r\n'));
  // The answer is itself a response our parser reads (its missing headers are the request's fault).
  assert.equal(answer.includes('Content-Type'), false);
});

test('a CSeq no integer holds is echoed byte for byte so the client can match the 400 (RFC 4475 scalar02)', () => {
  const request = torture('scalar02.dat');
  const cseq = /^CSeq:[^\r\n]*/m.exec(request.toString('latin1'))![0];
  const answer = answerTo(request)!;
  assert.ok(answer.includes(`\r\n${cseq}\r\n`), answer);
  assert.match(answer, /\r\nTo: [^\r\n]*;tag=[0-9a-f]{16}\r\n/);
});

test('ACKs, responses and requests without a Via get no raw answer', () => {
  const ack = Buffer.from('ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 99999999999999999999 ACK\r\n\r\n');
  assert.equal(answerTo(ack), undefined);
  const noVia = Buffer.from('INVITE sip:a@b SIP/2.0\r\nCSeq: 99999999999999999999 INVITE\r\n\r\n');
  assert.equal(answerTo(noVia), undefined);
});
