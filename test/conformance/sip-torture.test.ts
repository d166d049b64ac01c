/**
 * RFC 4475 and RFC 5118 torture messages: one test per manifest entry, none skipped. Each asserts the
 * handling the RFC names: valid messages parse and mean what the RFC says (and get the endpoint answer it
 * names), invalid ones are refused with the status and a reason naming the fault, or dropped.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkRequestAsEndpoint,
  createErrorResponse,
  formatNameAddr,
  getHeader,
  getHeaders,
  parseMessage,
  serializeMessage,
  type EndpointCapabilities,
  type NameAddr,
  type ParseResult,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/message/index.js';
import { tortureFixturesDir } from '../support/shared-dir.js';

const fixtures = tortureFixturesDir;

interface ManifestEntry {
  file: string;
  section?: string;
  title?: string;
  verdict: 'valid' | 'invalid' | null;
  layer: string;
  expected_handling: string;
  wire_form?: { transform: string; crlf_body_octets: number };
}

const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')) as { messages: ManifestEntry[] };

/** RFC 5118 §A: the archive uses bare LF; the wire form is CRLF, terminated, with a matching Content-Length. */
function wireForm(raw: Buffer): Buffer {
  let text = raw.toString('latin1').replace(/\n/g, '\r\n');
  let end = text.indexOf('\r\n\r\n');
  if (end < 0) {
    text += '\r\n';
    end = text.indexOf('\r\n\r\n');
  }
  const body = text.slice(end + 4);
  const head = text.slice(0, end + 4).replace(/^Content-Length:[ \t]*\d+/im, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return Buffer.from(head + body, 'latin1');
}

const baseMethods = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY'];
/** Dialtone as a UAS: a voice endpoint, not a registrar. */
const uas: EndpointCapabilities = { methods: baseMethods, extensions: ['timer', 'replaces', '100rel'], contentTypes: ['application/sdp'] };
/** The same endpoint with a registrar, for the REGISTER cases whose RFC answer is a registrar's. */
const registrar: EndpointCapabilities = { ...uas, methods: [...baseMethods, 'REGISTER', 'MESSAGE'], contentTypes: ['application/sdp', 'text/plain'] };

function ok(result: ParseResult): SipMessage {
  if (!result.ok) assert.fail(`expected the message to parse, got ${result.error.status} ${result.error.reason}`);
  return result.message;
}
function req(result: ParseResult): SipRequest {
  const message = ok(result);
  assert.equal(message.kind, 'request');
  return message as SipRequest;
}
function res(result: ParseResult): SipResponse {
  const message = ok(result);
  assert.equal(message.kind, 'response');
  return message as SipResponse;
}
function rejected(result: ParseResult, status: number, fault: RegExp): void {
  if (result.ok) assert.fail('expected the message to be refused');
  assert.equal(result.error.isRequest, true);
  assert.equal(result.error.status, status);
  assert.match(result.error.reason, fault);
}
function dropped(result: ParseResult): void {
  if (result.ok) assert.fail('expected the response to be dropped');
  assert.equal(result.error.isRequest, false);
  assert.equal(createErrorResponse(result.error), undefined);
}
/** A refused request whose essentials parsed is answered with exactly that status and reason. */
function answered(result: ParseResult, status: number): void {
  if (result.ok) assert.fail('expected the message to be refused');
  const response = createErrorResponse(result.error);
  assert.ok(response, 'the refusal can be answered');
  assert.equal(response.status, status);
  assert.equal(response.reason, result.error.reason);
  // The answer is itself a well-formed message.
  ok(parseMessage(serializeMessage(response)));
}
function endpoint(message: SipRequest, capabilities: EndpointCapabilities): SipResponse | undefined {
  return checkRequestAsEndpoint(message, capabilities);
}
function contact(message: SipMessage, index: number): NameAddr {
  const value = message.contact?.[index];
  assert.ok(value !== undefined && value !== '*');
  return value;
}

type Check = (result: ParseResult, raw: Buffer) => void;

const checks: Record<string, Check> = {
  // §3.1.1.1: folding, escaped quotes, LWS everywhere, compact and odd-case names, leading zeros.
  'rfc4475/wsinv.dat': (result) => {
    const m = req(result);
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uri.user, 'vivekg');
    assert.equal(m.uri.host, 'chair-dnrc.example.com');
    assert.equal(m.uri.params.get('unknownparam'), null);
    assert.equal(m.to.params.get('tag'), '1918181833n');
    assert.equal(m.from.displayName, 'J Rosenberg \\"');
    assert.equal(m.from.params.get('tag'), '98asjd8');
    assert.equal(m.maxForwards, 68);
    assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
    assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
    assert.deepEqual(m.via.map((v) => [v.transport, v.host, v.params.get('branch')]), [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    assert.equal(getHeader(m, 's'), '');
    assert.equal(getHeader(m, 'NewFangledHeader'), 'newfangled value continued newfangled value');
    // The unknown header is kept opaque, not split on its commas.
    assert.deepEqual(getHeaders(m, 'UnknownHeaderWithUnusualValue'), [';;,,;;,;']);
    assert.equal(m.route?.length, 1);
    assert.deepEqual([...m.route![0]!.uri.params], [['lr', null], ['unknownwith', 'value'], ['unknown-no-value', null]]);
    const c = contact(m, 0);
    assert.equal(c.displayName, 'Quoted string ""');
    assert.deepEqual([...c.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
    assert.equal(m.contentType, 'application/sdp');
    assert.equal(m.body.length, 150);
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.2: every legal token/word character; % is not an escape in a method: unknown method → 501 + Allow.
  'rfc4475/intmeth.dat': (result) => {
    const m = req(result);
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert.equal(m.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(m.uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(m.uri.host, 'example.com');
    assert.equal(m.via[0]!.params.get('branch'), "z9hG4bK-.!%66*_+`'~");
    assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(m.from.params.get('tag'), "_token~1'+`*%!-.");
    // A quoted gen-value of UTF-8 is kept as written (quotes included).
    assert.equal(m.from.params.get("fromparam''~+*_!.-%"), '"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439"');
    assert.equal(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert.deepEqual(m.cseq, { seq: 139122385, method: m.method });
    assert.equal(getHeader(m, "extensionHeader-!.%*+_`'~"), '\ufeff\u5927\u505c\u96fb');
    const answer = endpoint(m, uas);
    assert.equal(answer?.status, 501);
    assert.equal(getHeader(answer!, 'Allow'), baseMethods.join(', '));
  },
  // §3.1.1.3: %HH decoded where escaped is allowed, once only.
  'rfc4475/esc01.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.user, 'sips:user@example.com');
    assert.equal(m.uri.host, 'example.net');
    assert.equal(m.to.uri.user, 'user');
    assert.equal(m.from.uri.user, 'I have spaces');
    const c = contact(m, 0);
    assert.equal(c.uri.user, 'caller');
    assert.equal(c.uri.params.get('lr'), null);
    assert.equal(c.uri.params.get('name'), 'value%41');
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.4: %00 does not truncate; two distinct contacts.
  'rfc4475/escnull.dat': (result) => {
    const m = req(result);
    assert.equal(m.to.uri.user, 'null-\x00-null');
    assert.equal(m.from.uri.user, 'null-\x00-null');
    assert.deepEqual(m.contact?.map((c) => (c === '*' ? c : c.uri.user)), ['\x00', '\x00\x00']);
    assert.notEqual(formatNameAddr(contact(m, 0)), formatNameAddr(contact(m, 1)));
    assert.equal(endpoint(m, registrar), undefined);
  },
  // §3.1.1.5: % that is not an escape; RE%47IST%45R is an unknown method (501); two Contacts, not three.
  'rfc4475/esc02.dat': (result) => {
    const m = req(result);
    assert.equal(m.method, 'RE%47IST%45R');
    assert.equal(m.to.displayName, '%Z%45');
    assert.equal(m.contact?.length, 2);
    assert.deepEqual(getHeaders(m, 'C%6Fntact'), ['<sip:alias2@host2.example.com>']);
    assert.equal(endpoint(m, registrar)?.status, 501);
  },
  // §3.1.1.6: no LWS between display name and '<'.
  'rfc4475/lwsdisp.dat': (result) => {
    const m = req(result);
    assert.equal(m.from.displayName, 'caller');
    assert.equal(m.from.uri.user, 'caller');
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.7: long values and 34 Via values, nothing truncated.
  'rfc4475/longreq.dat': (result, raw) => {
    const m = req(result);
    assert.equal(m.via.length, 34);
    assert.equal(m.via[0]!.host, 'sip33.example.com');
    assert.equal(m.via[33]!.host, 'host.example.com');
    assert.match(m.to.displayName ?? '', /^I have a user name of (extreme){10} proportion$/);
    assert.equal(m.to.uri.port, 6000);
    assert.equal(m.to.uri.params.size, 3);
    assert.equal(m.from.params.get('tag')?.length, 155);
    assert.ok(m.callId.endsWith('longcallid') && raw.includes(m.callId));
    assert.equal(m.body.length, 150);
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.8: the octets after the Content-Length body are discarded (RFC 3261 §18.3).
  'rfc4475/dblreq.dat': (result) => {
    const m = req(result);
    assert.equal(m.method, 'REGISTER');
    assert.equal(m.callId, 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    assert.equal(m.body.length, 0);
    assert.equal(endpoint(m, registrar), undefined);
  },
  // §3.1.1.9: the user part holds ';' — "user;par=u@example.net".
  'rfc4475/semiuri.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.user, 'user;par=u@example.net');
    assert.equal(m.uri.host, 'example.com');
    assert.equal(m.uri.params.size, 0);
    assert.deepEqual(getHeaders(m, 'Accept'), ['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.10: unknown transports in later Via values are accepted.
  'rfc4475/transports.dat': (result) => {
    const m = req(result);
    assert.deepEqual(m.via.map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.1.11: a binary multipart body framed strictly by Content-Length (553).
  'rfc4475/mpart01.dat': (result, raw) => {
    const m = req(result);
    assert.equal(m.body.length, 553);
    assert.ok(m.body.equals(raw.subarray(raw.length - 553)));
    assert.match(m.contentType ?? '', /^multipart\/mixed;boundary=7a9cbec02ceef655$/);
    assert.equal(m.via[0]!.params.get('rport'), null);
    // An endpoint that does not understand multipart/mixed answers 415 with Accept (RFC 3261 §8.2.3).
    const answer = endpoint(m, registrar);
    assert.equal(answer?.status, 415);
    assert.equal(getHeader(answer!, 'Accept'), 'application/sdp, text/plain');
  },
  // §3.1.1.12: a Reason-Phrase of free UTF-8 text.
  'rfc4475/unreason.dat': (result) => {
    const m = res(result);
    assert.equal(m.status, 200);
    assert.equal(m.reason, '= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435');
    assert.equal(m.body.length, 154);
  },
  // §3.1.1.13: an empty Reason-Phrase.
  'rfc4475/noreason.dat': (result) => {
    const m = res(result);
    assert.equal(m.status, 100);
    assert.equal(m.reason, '');
  },
  // §3.1.2.1: Via and Contact with empty parameters → 400.
  'rfc4475/badinv01.dat': (result) => {
    rejected(result, 400, /malformed Via/);
    answered(result, 400);
  },
  // §3.1.2.2: Content-Length larger than the datagram → 400 (RFC 3261 §18.3).
  'rfc4475/clerr.dat': (result) => {
    rejected(result, 400, /Content-Length larger than the message/);
    answered(result, 400);
  },
  // §3.1.2.3: negative Content-Length → error, never used as a count.
  'rfc4475/ncl.dat': (result) => {
    rejected(result, 400, /malformed Content-Length/);
    answered(result, 400);
  },
  // §3.1.2.4: CSeq above 2^32-1 → 400 because of the CSeq.
  // The CSeq is the fault, so no response can echo it: the 400 is decided but cannot be built (see report).
  'rfc4475/scalar02.dat': (result) => {
    rejected(result, 400, /malformed CSeq: value too large/);
    if (result.ok) return;
    assert.equal(result.error.partial.cseq, undefined);
    assert.equal(result.error.partial.callId, 'scalar02.23o0pd9vanlq3wnrlnewofjas9ui32');
  },
  // §3.1.2.5: a response with overlarge scalars is silently discarded.
  'rfc4475/scalarlg.dat': (result) => dropped(result),
  // §3.1.2.6: unterminated quoted string → 400.
  'rfc4475/quotbal.dat': (result) => {
    rejected(result, 400, /malformed To: unterminated quoted string/);
    answered(result, 400);
  },
  // §3.1.2.7: <> around the Request-URI → 400.
  'rfc4475/ltgtruri.dat': (result) => {
    rejected(result, 400, /malformed Request-URI: enclosed in <>/);
    answered(result, 400);
  },
  // §3.1.2.8: LWS inside the Request-URI → 400.
  'rfc4475/lwsruri.dat': (result) => {
    rejected(result, 400, /malformed Request-URI: embedded whitespace/);
    answered(result, 400);
  },
  // §3.1.2.9: several SP between Request-Line elements → rejected as malformed.
  'rfc4475/lwsstart.dat': (result) => {
    rejected(result, 400, /malformed Request-Line: extra whitespace/);
    answered(result, 400);
  },
  // §3.1.2.10: SP after the SIP-Version → rejected as malformed.
  'rfc4475/trws.dat': (result) => {
    rejected(result, 400, /malformed Request-Line: trailing whitespace/);
    answered(result, 400);
  },
  // §3.1.2.11: escaped headers in the Request-URI → 400.
  'rfc4475/escruri.dat': (result) => {
    rejected(result, 400, /malformed Request-URI: headers not allowed/);
    answered(result, 400);
  },
  // §3.1.2.12: a Date in EST. Rejecting "should only happen if the Date matters", otherwise the value is
  // ignored: Dialtone never uses Date, so it is accepted and kept opaque.
  'rfc4475/baddate.dat': (result) => {
    const m = req(result);
    assert.equal(getHeader(m, 'Date'), 'Fri, 01 Jan 2010 16:00:00 EST');
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.1.2.13: a Contact URI with headers but no <> → 400.
  'rfc4475/regbadct.dat': (result) => {
    rejected(result, 400, /malformed Contact: a URI with headers must be enclosed in <>/);
    answered(result, 400);
  },
  // §3.1.2.14: spaces inside <> → 400.
  'rfc4475/badaspec.dat': (result) => {
    rejected(result, 400, /malformed To: whitespace inside <>/);
    answered(result, 400);
    // The 400 echoes the To it could read: the URI without the spaces.
    if (!result.ok) assert.equal(result.error.partial.to?.uri.user, 't.watson');
  },
  // §3.1.2.15: unquoted display names with commas → 400 (the archived file also lacks its empty line).
  'rfc4475/baddn.dat': (result) => {
    rejected(result, 400, /malformed From: display name with non-token characters must be quoted/);
    answered(result, 400);
    // The From tag survives into the 400, so the UAC can match it.
    if (!result.ok) assert.equal(result.error.partial.from?.params.get('tag'), '43');
  },
  // §3.1.2.16: SIP/7.0 → 505 Version Not Supported.
  'rfc4475/badvers.dat': (result) => {
    rejected(result, 505, /^Version Not Supported \(SIP\/7\.0 is not SIP\/2\.0\)$/);
    answered(result, 505);
  },
  // §3.1.2.17: CSeq method ≠ request method → 400.
  'rfc4475/mismatch01.dat': (result) => {
    const answer = endpoint(req(result), uas);
    assert.equal(answer?.status, 400);
    assert.match(answer!.reason, /CSeq method does not match/);
  },
  // §3.1.2.18: unknown method with a mismatched CSeq → 501 (preferred over 400).
  'rfc4475/mismatch02.dat': (result) => {
    const answer = endpoint(req(result), uas);
    assert.equal(answer?.status, 501);
    assert.ok(getHeader(answer!, 'Allow'));
  },
  // §3.1.2.19: a response code above 699 → dropped.
  'rfc4475/bigcode.dat': (result) => dropped(result),
  // §3.2.1: a branch that is only the magic cookie parses; matching is the transaction layer's.
  'rfc4475/badbranch.dat': (result) => {
    const m = req(result);
    assert.equal(m.via[0]!.params.get('branch'), 'z9hG4bK');
    assert.equal(endpoint(m, uas), undefined);
  },
  // §3.3.1: To, From, Call-ID and Max-Forwards missing → 400, and nothing breaks.
  'rfc4475/insuf.dat': (result) => {
    rejected(result, 400, /missing From/);
    if (result.ok) return;
    assert.equal(result.error.partial.via?.length, 1);
    assert.deepEqual(result.error.partial.cseq, { seq: 193942, method: 'INVITE' });
  },
  // §3.3.2: unknown Request-URI scheme → 416, never routed on To.
  'rfc4475/unkscm.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.scheme, 'nobodyknowsthisscheme');
    assert.equal(m.uri.user, 'totallyopaquecontent');
    assert.equal(endpoint(m, uas)?.status, 416);
  },
  // §3.3.3: a novel scheme this element never accepts → 416.
  'rfc4475/novelsc.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.scheme, 'soap.beep');
    assert.equal(endpoint(m, uas)?.status, 416);
  },
  // §3.3.4: unknown schemes in To, From, Contact parse; a registrar answers 400, a non-registrar 405.
  'rfc4475/unksm2.dat': (result) => {
    const m = req(result);
    assert.equal(m.to.uri.scheme, 'isbn');
    assert.equal(m.from.uri.scheme, 'http');
    assert.equal(contact(m, 0).uri.scheme, 'name');
    const answer = endpoint(m, registrar);
    assert.equal(answer?.status, 400);
    assert.match(answer!.reason, /To is not a SIP or SIPS URI/);
    assert.equal(endpoint(m, uas)?.status, 405);
  },
  // §3.3.5: unknown Require → 420 with Unsupported listing them; Proxy-Require is a proxy's business.
  'rfc4475/bext01.dat': (result) => {
    const answer = endpoint(req(result), uas);
    assert.equal(answer?.status, 420);
    assert.deepEqual(getHeaders(answer!, 'Unsupported'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
  },
  // §3.3.6: unknown body type → 415 with Accept.
  'rfc4475/invut.dat': (result) => {
    const answer = endpoint(req(result), uas);
    assert.equal(answer?.status, 415);
    assert.deepEqual(getHeaders(answer!, 'Accept'), ['application/sdp']);
  },
  // §3.3.7: unknown auth scheme kept whole (not comma-split); a non-registrar endpoint answers 405.
  'rfc4475/regaut01.dat': (result) => {
    const m = req(result);
    assert.deepEqual(getHeaders(m, 'Authorization'), ['NoOneKnowsThisScheme opaque-data=here']);
    const answer = endpoint(m, uas);
    assert.equal(answer?.status, 405);
    assert.equal(getHeader(answer!, 'Allow'), baseMethods.join(', '));
  },
  // §3.3.8: several To, From, Call-ID, CSeq, Max-Forwards → 400.
  'rfc4475/multi01.dat': (result) => {
    rejected(result, 400, /multiple (CSeq|Call-ID|To|From|Max-Forwards) header fields/);
    answered(result, 400);
  },
  // §3.3.9: two Content-Length values → error.
  'rfc4475/mcl01.dat': (result) => {
    rejected(result, 400, /multiple Content-Length header fields/);
    answered(result, 400);
  },
  // §3.3.10: a response whose second Via is the broadcast address parses (the endpoint discards it).
  'rfc4475/bcast.dat': (result) => {
    const m = res(result);
    assert.equal(m.via[1]!.host, '255.255.255.255');
    assert.equal(m.body.length, 154);
  },
  // §3.3.11: Max-Forwards 0 on OPTIONS: an endpoint processes it normally (and so does a forwarder, for OPTIONS).
  'rfc4475/zeromf.dat': (result) => {
    const m = req(result);
    assert.equal(m.maxForwards, 0);
    assert.equal(endpoint(m, uas), undefined);
    assert.equal(endpoint(m, { ...uas, forwards: true }), undefined);
  },
  // §3.3.12: without <>, unknownparam is a header parameter of the Contact, not a URI parameter.
  'rfc4475/cparam01.dat': (result) => {
    const m = req(result);
    const c = contact(m, 0);
    assert.equal(c.uri.user, '+19725552222');
    assert.equal(c.uri.params.size, 0);
    assert.equal(c.params.get('unknownparam'), null);
    assert.equal(endpoint(m, registrar), undefined);
  },
  // §3.3.13: inside <>, unknownparam is a URI parameter.
  'rfc4475/cparam02.dat': (result) => {
    const m = req(result);
    const c = contact(m, 0);
    assert.equal(c.uri.params.get('unknownparam'), null);
    assert.equal(c.params.size, 0);
    assert.equal(endpoint(m, registrar), undefined);
  },
  // §3.3.14: the escaped Route header stays in the Contact URI, and is written back escaped.
  'rfc4475/regescrt.dat': (result) => {
    const m = req(result);
    const c = contact(m, 0);
    assert.deepEqual(c.uri.headers, [['Route', '<sip:sip.example.com>']]);
    assert.equal(formatNameAddr(c), '<sip:user@example.com?Route=%3Csip:sip.example.com%3E>');
    assert.equal(endpoint(m, registrar), undefined);
  },
  // §3.3.15: Accept excludes application/sdp, so no answer could be carried → 406.
  'rfc4475/sdp01.dat': (result) => assert.equal(endpoint(req(result), uas)?.status, 406),
  // §3.4.1: RFC 2543 syntax: no Content-Length (the body is the rest), no branch, no Max-Forwards.
  'rfc4475/inv2543.dat': (result) => {
    const m = req(result);
    assert.equal(m.body.length, 105);
    assert.equal(m.via[0]!.params.has('branch'), false);
    assert.equal(m.maxForwards, undefined);
    assert.equal(m.from.params.has('tag'), false);
    assert.equal(m.recordRoute?.[0]?.uri.params.get('maddr'), 'ss1.example.com');
    assert.equal(endpoint(m, uas), undefined);
  },
  // RFC 5118 §4.1: IPv6 references in the R-URI, Via and Contact.
  'rfc5118/ipv6-good.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8::10');
    assert.equal(m.via[0]!.host, '2001:db8::9:1');
    assert.equal(contact(m, 0).uri.host, '2001:db8::1');
    assert.equal(endpoint(m, registrar), undefined);
  },
  // RFC 5118 §4.2: IPv6 without [] in the R-URI → 400.
  'rfc5118/ipv6-bad.dat': (result) => {
    rejected(result, 400, /malformed Request-URI: bad host/);
    answered(result, 400);
  },
  // RFC 5118 §4.3: everything inside [] is the address: no port.
  'rfc5118/port-ambiguous.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8::10:5070');
    assert.equal(m.uri.port, undefined);
  },
  // RFC 5118 §4.4: the port follows ']'.
  'rfc5118/port-unambiguous.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8::10');
    assert.equal(m.uri.port, 5070);
  },
  // RFC 5118 §4.5: received=[IPv6] is accepted for robustness.
  'rfc5118/via-received-param-with-delim.dat': (result) => {
    const m = req(result);
    assert.equal(m.via[0]!.params.get('received'), '[2001:db8::9:255]');
    assert.equal(m.via[0]!.params.get('branch'), 'z9hG4bKas3-111');
  },
  // RFC 5118 §4.5: received=IPv6 without [] is the grammar's form.
  'rfc5118/via-received-param-no-delim.dat': (result) => {
    const m = req(result);
    assert.equal(m.via[0]!.params.get('received'), '2001:db8::9:255');
    assert.equal(m.via[0]!.params.get('branch'), 'z9hG4bKas3');
  },
  // RFC 5118 §4.6: IPv6 in SDP; the SIP layer frames the body.
  'rfc5118/ipv6-in-sdp.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8::10');
    assert.match(m.body.toString('latin1'), /c=IN IP6 2001:db8::20\r\n/);
  },
  // RFC 5118 §4.7: IPv6 and IPv4 side by side in Via.
  'rfc5118/mult-ip-in-header.dat': (result) => {
    const m = req(result);
    assert.deepEqual(m.via.map((v) => [v.host, v.port]), [['2001:db8::9:1', 6050], ['192.0.2.1', undefined], ['2001:db8::9:255', undefined]]);
    assert.equal(m.via[2]!.params.get('received'), '192.0.2.200');
  },
  // RFC 5118 §4.8: IP4 and IP6 c= lines in one SDP body.
  'rfc5118/mult-ip-in-sdp.dat': (result) => {
    const m = req(result);
    const sdp = m.body.toString('latin1');
    assert.match(sdp, /c=IN IP4 192\.0\.2\.1\r\n/);
    assert.match(sdp, /c=IN IP6 2001:db8::1\r\n/);
  },
  // RFC 5118 §4.9: IPv4-mapped IPv6 addresses.
  'rfc5118/ipv4-mapped-ipv6.dat': (result) => {
    const m = req(result);
    assert.equal(m.via[0]!.host, '::ffff:192.0.2.10');
    assert.equal(m.via[0]!.port, 19823);
    assert.equal(contact(m, 0).uri.host, '::ffff:192.0.2.2');
  },
  // RFC 5118 §4.10: the three-colon form is tolerated.
  'rfc5118/ipv6-bug-abnf-3-colons.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8:::192.0.2.1');
    assert.equal(m.to.uri.host, '2001:db8:::192.0.2.1');
  },
  // RFC 5118 §4.10: the correct two-colon form.
  'rfc5118/ipv6-correct-abnf-2-colons.dat': (result) => {
    const m = req(result);
    assert.equal(m.uri.host, '2001:db8::192.0.2.1');
    assert.equal(endpoint(m, uas), undefined);
  },
};

let handled = 0;
let counted = 0;
/** Refused requests whose essentials did not parse, so no stateless answer can be built (reported, not hidden). */
const unanswerable: string[] = [];
function noteUnanswerable(file: string, result: ParseResult): void {
  if (!result.ok && result.error.isRequest && createErrorResponse(result.error) === undefined) unanswerable.push(file);
}

describe('RFC 4475 / RFC 5118 torture messages', () => {
  for (const entry of manifest.messages) {
    const name = `${entry.file} (${entry.section ?? 'no section'}, ${entry.verdict ?? 'not a test case'}): ${entry.expected_handling}`;
    if (entry.verdict === null) {
      // Not an RFC case (README): at most, rejected without a crash.
      test(name, () => {
        const result = parseMessage(readFileSync(join(fixtures, entry.file)));
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.error.status, 400);
      });
      continue;
    }
    counted++;
    test(name, () => {
      const check = checks[entry.file];
      assert.ok(check, `a check for ${entry.file}`);
      const raw = readFileSync(join(fixtures, entry.file));
      if (entry.wire_form !== undefined) {
        // The archived LF form is only a does-not-crash input (README); the RFC's handling is on the wire form.
        const archived = parseMessage(raw);
        assert.equal(typeof archived.ok, 'boolean');
        const wire = wireForm(raw);
        assert.equal(wire.length - wire.indexOf('\r\n\r\n') - 4, entry.wire_form.crlf_body_octets);
        const result = parseMessage(wire);
        check(result, wire);
        noteUnanswerable(entry.file, result);
      } else {
        const result = parseMessage(raw);
        check(result, raw);
        noteUnanswerable(entry.file, result);
      }
      handled++;
    });
  }
});

test('every manifest entry has its check, and no check is left over', () => {
  const files = new Set(manifest.messages.filter((entry) => entry.verdict !== null).map((entry) => entry.file));
  assert.deepEqual(new Set(Object.keys(checks)), files);
  assert.equal(manifest.messages.length, 62);
});

after(() => {
  console.log(`torture: ${handled}/${counted} handled as the RFC says (of ${manifest.messages.length} manifest entries; test.dat is not an RFC case and is only checked for rejection)`);
  console.log(`torture: refused with the right status but not answerable statelessly (an essential header is the fault): ${unanswerable.sort().join(', ') || 'none'}`);
});
