/**
 * The SIP message layer's hot path: parse and serialise a typical INVITE with SDP (RFC 3261 §7), over a
 * fixed count of messages, plus the torture corpus as a mix of odd inputs. Bounded: a few seconds at most.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, BenchFigures, BenchSuite } from './suite.js';
import { parseMessage, serializeMessage } from '../src/sip/message/index.js';

const sdp = [
  'v=0',
  'o=- 3917480411 3917480411 IN IP4 192.0.2.10',
  's=Dialtone',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const invite = Buffer.from(
  [
    'INVITE sip:+15551230000@sip.example.com;transport=udp SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a4a1cd3e1c4d6b0e;rport',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;received=198.51.100.7',
    'Max-Forwards: 69',
    'Record-Route: <sip:198.51.100.7;lr;ftag=as6a3f2b1c>',
    'Contact: "Alice" <sip:alice@192.0.2.10:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"',
    'To: <sip:+15551230000@sip.example.com>',
    'From: "Alice" <sip:+15559870000@sip.example.com>;tag=4f2c9a1e',
    'Call-ID: 9f8e7d6c5b4a39281706@192.0.2.10',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE, UPDATE',
    'Supported: replaces, norefersub, timer',
    'Session-Expires: 1800;refresher=uac',
    'Min-SE: 90',
    'User-Agent: Dialtone-bench/1.0',
    'P-Asserted-Identity: <sip:+15559870000@sip.example.com>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'),
);

function torture(): Buffer[] {
  // `npm run bench` runs from the repository root, with ../shared beside it.
  const root = join(process.cwd(), '..', 'shared', 'fixtures', 'sip-torture');
  try {
    return ['rfc4475', 'rfc5118'].flatMap((dir) =>
      readdirSync(join(root, dir))
        .sort()
        .map((name) => readFileSync(join(root, dir, name))),
    );
  } catch {
    return [];
  }
}

function rate(count: number, start: bigint): number {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(count / seconds);
}

export const suite: BenchSuite = {
  name: 'sip-message',
  description: 'parse + serialise a typical INVITE with SDP (messages/second)',
  async run(context: BenchContext): Promise<BenchFigures> {
    const count = context.quick ? 5_000 : 50_000;
    // Warm-up so the figures measure optimised code.
    for (let i = 0; i < 2_000; i++) {
      const result = parseMessage(invite);
      if (result.ok) serializeMessage(result.message);
    }

    let start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      if (!parseMessage(invite).ok) throw new Error('the benchmark INVITE must parse');
    }
    const parsePerSecond = rate(count, start);

    const parsed = parseMessage(invite);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    start = process.hrtime.bigint();
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += serializeMessage(parsed.message).length;
    const serializePerSecond = rate(count, start);

    start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const result = parseMessage(invite);
      if (result.ok) bytes += serializeMessage(result.message).length;
    }
    const roundTripPerSecond = rate(count, start);

    const corpus = torture();
    const tortureCount = corpus.length === 0 ? 0 : context.quick ? 2_000 : 20_000;
    start = process.hrtime.bigint();
    for (let i = 0; i < tortureCount; i++) parseMessage(corpus[i % corpus.length]!);
    const torturePerSecond = tortureCount === 0 ? 0 : rate(tortureCount, start);

    context.log(`INVITE size            ${invite.length} bytes, ${count} messages`);
    context.log(`parse                  ${parsePerSecond} msg/s`);
    context.log(`serialise              ${serializePerSecond} msg/s`);
    context.log(`parse + serialise      ${roundTripPerSecond} msg/s (${bytes > 0 ? 'ok' : 'empty'})`);
    context.log(`torture corpus parse   ${torturePerSecond} msg/s (${corpus.length} messages, mixed valid/invalid)`);
    return {
      inviteBytes: invite.length,
      messages: count,
      parsePerSecond,
      serializePerSecond,
      roundTripPerSecond,
      torturePerSecond,
    };
  },
};
