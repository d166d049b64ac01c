import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParamList, parseMessage, serializeMessage, type SipMessage, type SipRequest } from '../../../../src/sip/message/index.js';

const sdp = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function parse(text: string | Buffer): SipMessage {
  const result = parseMessage(typeof text === 'string' ? Buffer.from(text) : text);
  if (!result.ok) throw new Error(result.error.reason);
  return result.message;
}

function invite(): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: { scheme: 'sip', user: 'bob', host: 'example.com', params: new ParamList(), headers: [] },
    via: [{ protocol: 'SIP/2.0', transport: 'UDP', host: '2001:db8::1', port: 5060, params: new ParamList([['branch', 'z9hG4bK1'], ['rport', null]]) }],
    from: { displayName: 'Alice Liddell', uri: { scheme: 'sip', user: 'alice', host: 'example.com', params: new ParamList(), headers: [] }, params: new ParamList([['tag', 'a1']]) },
    to: { uri: { scheme: 'sip', user: 'bob', host: 'example.com', params: new ParamList(), headers: [] }, params: new ParamList() },
    callId: 'call-1@example.com',
    cseq: { seq: 1, method: 'INVITE' },
    maxForwards: 70,
    contact: [{ uri: { scheme: 'sip', user: 'alice', host: '192.0.2.101', port: 5070, params: new ParamList([['transport', 'tcp']]), headers: [] }, params: new ParamList() }],
    contentType: 'application/sdp',
    headers: [{ name: 'Supported', value: 'timer' }, { name: 'Supported', value: '100rel' }, { name: 'User-Agent', value: 'Dialtone' }],
    body: Buffer.from(sdp),
  };
}

test('a request is written per RFC 3261 §7: start line, typed headers, others in order, Content-Length from the body', () => {
  const wire = serializeMessage(invite()).toString('utf8');
  const expected = [
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;rport',
    'Max-Forwards: 70',
    'From: "Alice Liddell" <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: call-1@example.com',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.101:5070;transport=tcp>',
    'Supported: timer',
    'Supported: 100rel',
    'User-Agent: Dialtone',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  assert.equal(wire, expected);
});

test('what is serialised parses back to the same message', () => {
  const original = invite();
  const parsed = parse(serializeMessage(original));
  assert.deepEqual(parsed, original);
});

test('Content-Length is always derived from the body; a stale one in headers is not written', () => {
  const message = invite();
  message.headers.push({ name: 'Content-Length', value: '999' }, { name: 'l', value: '5' }, { name: 'Via', value: 'SIP/2.0/UDP evil' });
  const wire = serializeMessage(message).toString('utf8');
  assert.equal(wire.match(/Content-Length/g)?.length, 1);
  assert.equal(wire.match(/^Via:/gm)?.length, 1);
  assert.ok(!wire.includes('999'));
});

test('values from the application cannot inject header lines (CR/LF become SP)', () => {
  const message = invite();
  message.headers = [{ name: 'Subject', value: 'hi\r\nX-Injected: yes' }];
  message.from.displayName = 'Eve\r\nX-Injected: yes';
  const reparsed = parse(serializeMessage(message));
  assert.equal(reparsed.headers.find((h) => h.name === 'Subject')?.value, 'hi X-Injected: yes');
  assert.equal(reparsed.from.displayName, 'Eve  X-Injected: yes');
  message.callId = 'abc\r\nX-Injected: yes';
  const wire = serializeMessage(message).toString('utf8');
  assert.ok(!/\r\nX-Injected/.test(wire));
});

test('a response: Status-Line, empty body, no Content-Type', () => {
  const message = invite();
  const response: SipMessage = { ...message, kind: 'response', status: 180, reason: 'Ringing', body: Buffer.alloc(0), contentType: undefined, headers: [] };
  delete (response as { method?: string }).method;
  const wire = serializeMessage(response).toString('utf8');
  assert.match(wire, /^SIP\/2\.0 180 Ringing\r\n/);
  assert.match(wire, /\r\nContent-Length: 0\r\n\r\n$/);
  assert.ok(!wire.includes('Content-Type'));
});

test('Contact * and binary bodies survive the round trip', () => {
  const message = invite();
  message.contact = ['*'];
  message.body = Buffer.from([0, 13, 10, 255, 13, 13, 10, 10]);
  message.contentType = 'application/octet-stream';
  const parsed = parse(serializeMessage(message));
  assert.deepEqual(parsed.contact, ['*']);
  assert.deepEqual([...parsed.body], [0, 13, 10, 255, 13, 13, 10, 10]);
});
