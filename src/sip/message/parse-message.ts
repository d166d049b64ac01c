/**
 * RFC 3261 §7 and §25: one whole message (a datagram, or one message framed by a stream transport) into
 * the model. Never throws: a malformed request becomes a SipParseError carrying the status and reason to
 * answer with and whatever essentials parsed, a malformed response one marked for dropping.
 */
import { DialtoneError, ErrorCodes, ownedBytes } from '../../kernel/index.js';
import type { CSeq, Contact, HeaderField, NameAddr, SipMessage, SipRequest, SipResponse, SipUri, Via } from './types.js';
import { DIGIT, WORD, allIn, isIn, isToken } from './char-classes.js';
import { lookupHeaderName } from './header-names.js';
import { HeaderScanner } from './header-scanner.js';
import { salvageNameAddr, scanNameAddr } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import { scanUri } from './sip-uri.js';
import { SyntaxFault, fault } from './syntax-fault.js';
import { salvageVia, scanVia } from './via.js';
import { ParamList } from './param-list.js';

export interface ParseLimits {
  /** Whole message, octets (RFC 3261 §21.5.8: 513 Message Too Large beyond it). */
  maxMessageBytes: number;
  /** Header fields, counting each (unfolded) header line once. */
  maxHeaderCount: number;
  /** One header field including its folded continuation lines, characters. */
  maxHeaderLineBytes: number;
  /** Via values; also bounds Route and Record-Route values, one per hop like Via. */
  maxViaCount: number;
  /** One URI (RFC 3261 §21.4.12: 414 Request-URI Too Long for the Request-URI). */
  maxUriBytes: number;
  /** Body, octets (RFC 3261 §21.4.11: 413 Request Entity Too Large beyond it). */
  maxBodyBytes: number;
}

/**
 * Generous for real traffic (RFC 4475 §3.1.1.7's long request has 34 Via values and a 3.5 kB header
 * section), small enough that one message costs bounded work: 64 KiB is the largest UDP datagram.
 */
export const defaultParseLimits: ParseLimits = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaderCount: 256,
  maxHeaderLineBytes: 8192,
  maxViaCount: 100,
  maxUriBytes: 4096,
  maxBodyBytes: 65535,
});

export interface SipParseError {
  /** 400 normally; 505 for an unsupported SIP-Version, 414/413/513 for size limits the RFC names. */
  status: number;
  /** Reason phrase naming the fault, e.g. "Bad Request (malformed Via: bad sent-by host)". */
  reason: string;
  /** false ⇒ the caller drops it silently (RFC 3261 §18.1.2; RFC 4475 §3.1.2.5, §3.1.2.19). */
  isRequest: boolean;
  /** Whatever parsed of the essentials, so that a 400 can be built (createErrorResponse). */
  partial: Partial<Pick<SipRequest, 'via' | 'from' | 'to' | 'callId' | 'cseq' | 'method'>>;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

/**
 * Parses a message this UA serialised itself and kept as bytes to send again (a final response for
 * its retransmissions, the ACK of a 2xx). Those always parse: a failure, or another kind of message,
 * is a programming error and throws.
 */
export function parseKept<K extends SipMessage['kind']>(bytes: Buffer, kind: K): Extract<SipMessage, { kind: K }> {
  const parsed = parseMessage(bytes);
  if (!parsed.ok || parsed.message.kind !== kind) {
    throw new DialtoneError(ErrorCodes.internal, `a kept ${kind} does not parse`, { reason: parsed.ok ? 'another kind of message' : parsed.error.reason });
  }
  return parsed.message as Extract<SipMessage, { kind: K }>;
}

/** Most Contact values one message may carry. */
const maxContacts = 64;

type PartialEssentials = SipParseError['partial'];

export function parseMessage(data: Buffer, limits?: Partial<ParseLimits>): ParseResult {
  const effective = limits === undefined ? defaultParseLimits : withDefaults(limits);
  const partial: PartialEssentials = {};
  // A message is a response when its start-line begins with the SIP-Version (RFC 3261 §7.2).
  const isRequest = !startsWithSipVersion(data);
  try {
    return { ok: true, message: parse(data, effective, partial) };
  } catch (error) {
    const detail = error instanceof SyntaxFault ? error : new SyntaxFault('unparseable message');
    return {
      ok: false,
      error: { status: detail.status, reason: `${reasonPhrase(detail.status)} (${detail.detail})`, isRequest, partial },
    };
  }
}

/** withDefaults results by the object given: a transport passes the same limits with every message. */
const effectiveLimits = new WeakMap<Partial<ParseLimits>, ParseLimits>();

/** The limits given, each one left out (or undefined) taking its default, so that no limit is ever lifted by accident. */
function withDefaults(limits: Partial<ParseLimits>): ParseLimits {
  const known = effectiveLimits.get(limits);
  // A caller may change its object between calls; the cached answer holds only while every value matches.
  if (known !== undefined && sameLimits(known, limits)) return known;
  const effective = computeLimits(limits);
  effectiveLimits.set(limits, effective);
  return effective;
}

function sameLimits(effective: ParseLimits, limits: Partial<ParseLimits>): boolean {
  for (const key of limitKeys) {
    const value = limits[key];
    if (value !== undefined && value !== effective[key]) return false;
    if (value === undefined && effective[key] !== defaultParseLimits[key]) return false;
  }
  return true;
}

const limitKeys = Object.keys(defaultParseLimits) as Array<keyof ParseLimits>;

function computeLimits(limits: Partial<ParseLimits>): ParseLimits {
  const effective: ParseLimits = { ...defaultParseLimits };
  for (const key of Object.keys(defaultParseLimits) as Array<keyof ParseLimits>) {
    const value = limits[key];
    if (value !== undefined) effective[key] = value;
  }
  return effective;
}

function startsWithSipVersion(data: Buffer): boolean {
  let pos = 0;
  while (pos < data.length && (data[pos] === 13 || data[pos] === 10)) pos++;
  return data.length >= pos + 4 && (data[pos]! | 0x20) === 0x73 && (data[pos + 1]! | 0x20) === 0x69 && (data[pos + 2]! | 0x20) === 0x70 && data[pos + 3] === 0x2f;
}

interface RawHeaders {
  via: string[];
  contact: string[];
  route: string[];
  recordRoute: string[];
  singles: Map<string, string>;
  duplicate?: string;
  other: HeaderField[];
}

/** RFC 3261 §7.3.1: headers that may appear once only, by lower-case canonical name → canonical name. */
const singletonHeaders: ReadonlyMap<string, string> = new Map([
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-type', 'Content-Type'],
  ['content-length', 'Content-Length'],
]);

function parse(data: Buffer, limits: ParseLimits, partial: PartialEssentials): SipMessage {
  if (data.length > limits.maxMessageBytes) fault('message exceeds the size limit', 513);
  // RFC 3261 §7.5: CRLFs before the start-line are ignored (and are keep-alives, RFC 5626 §3.5.1).
  let start = 0;
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  if (start === data.length) fault('empty message');

  // RFC 3261 §7: the header section ends with an empty line. Bare LF line ends are tolerated.
  let headEnd = -1;
  let bodyStart = data.length;
  for (let lf = data.indexOf(10, start); lf >= 0; lf = data.indexOf(10, lf + 1)) {
    const next = data[lf + 1];
    if (next === 10) {
      headEnd = lf + 1;
      bodyStart = lf + 2;
      break;
    }
    if (next === 13 && data[lf + 2] === 10) {
      headEnd = lf + 1;
      bodyStart = lf + 3;
      break;
    }
  }
  const terminated = headEnd >= 0;
  if (!terminated) headEnd = data.length;

  const head = data.toString('utf8', start, headEnd);
  const lines = splitLines(head);
  const startLine = lines[0] ?? '';

  // The start line's fault is the one reported, but the essentials are still parsed so that the
  // answer (400, or 505 for RFC 4475 §3.1.2.16) can be built.
  let firstFault: SyntaxFault | undefined;
  const attempt = <T>(parseIt: () => T): T | undefined => {
    try {
      return parseIt();
    } catch (error) {
      if (!(error instanceof SyntaxFault)) throw error;
      firstFault ??= error;
      return undefined;
    }
  };

  // The start line counts as one field for the size limit (its Request-URI has its own, below).
  if (startLine.length > limits.maxHeaderLineBytes + limits.maxUriBytes) fault('start line exceeds the size limit');
  const isResponse = startsWithSipVersion(data);
  const requestLine = isResponse ? undefined : attempt(() => parseRequestLine(startLine, limits));
  const statusLine = isResponse ? attempt(() => parseStatusLine(startLine)) : undefined;
  if (requestLine !== undefined) partial.method = requestLine.method;

  const raw = attempt(() => collectHeaders(lines, limits));
  if (raw === undefined) throw firstFault!;

  // The essentials first (RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards, Via), so that a
  // fault elsewhere can still be answered.
  const via = attempt(() => parseViaList(raw.via, limits, partial));
  const from = attempt(() => parseSingleNameAddr(raw.singles.get('from'), 'From', limits.maxUriBytes));
  const to = attempt(() => parseSingleNameAddr(raw.singles.get('to'), 'To', limits.maxUriBytes));
  // A malformed From or To is still echoed in the 400, as far as it can be read (salvageNameAddr).
  const salvage = (text: string | undefined): NameAddr | undefined => (text === undefined ? undefined : salvageNameAddr(text));
  const partialFrom = from ?? salvage(raw.singles.get('from'));
  if (partialFrom !== undefined) partial.from = partialFrom;
  const partialTo = to ?? salvage(raw.singles.get('to'));
  if (partialTo !== undefined) partial.to = partialTo;
  const callId = attempt(() => parseCallId(raw.singles.get('call-id')));
  if (callId !== undefined) partial.callId = callId;
  const cseq = attempt(() => parseCSeq(raw.singles.get('cseq')));
  if (cseq !== undefined) partial.cseq = cseq;
  if (firstFault !== undefined) throw firstFault;
  // RFC 3261 §7.3.1: a header that is not a list appears once (RFC 4475 §3.3.8 and §3.3.9).
  if (raw.duplicate !== undefined) fault(`multiple ${raw.duplicate} header fields`);

  const maxForwardsText = raw.singles.get('max-forwards');
  const maxForwards = maxForwardsText === undefined ? undefined : parseMaxForwards(maxForwardsText);
  const contact = raw.contact.length === 0 ? undefined : parseContacts(raw.contact, limits.maxUriBytes);
  const route = raw.route.length === 0 ? undefined : parseRoutes(raw.route, 'Route', limits);
  const recordRoute = raw.recordRoute.length === 0 ? undefined : parseRoutes(raw.recordRoute, 'Record-Route', limits);
  const contentTypeText = raw.singles.get('content-type');
  const contentType = contentTypeText === undefined ? undefined : parseContentType(contentTypeText);
  const contentLengthText = raw.singles.get('content-length');
  const contentLength = contentLengthText === undefined ? undefined : parseContentLength(contentLengthText);

  if (!terminated) fault('header section not terminated by an empty line');
  // RFC 3261 §18.3: "If the transport packet ends before the end of the message body, this is
  // considered an error" (400 for a request, RFC 4475 §3.1.2.2); "If there are additional bytes in the
  // transport packet beyond the end of the body, they MUST be discarded" (RFC 4475 §3.1.1.8). Without
  // Content-Length (legal over UDP, RFC 3261 §18.3; RFC 2543 style, RFC 4475 §3.4.1) the body is the rest.
  const available = data.length - bodyStart;
  const bodyLength = contentLength ?? available;
  if (bodyLength > available) fault('Content-Length larger than the message');
  if (bodyLength > limits.maxBodyBytes) fault('body exceeds the size limit', 413);
  // A copy, so the message never pins nor aliases the transport's receive buffer (nor a pool slab).
  const body = ownedBytes(data.subarray(bodyStart, bodyStart + bodyLength));

  const base = {
    via: via!,
    from: from!,
    to: to!,
    callId: callId!,
    cseq: cseq!,
    headers: raw.other,
    body,
  };
  let message: SipMessage;
  if (requestLine !== undefined) {
    message = { kind: 'request', method: requestLine.method, uri: requestLine.uri, ...base } satisfies SipRequest;
  } else {
    message = { kind: 'response', status: statusLine!.status, reason: statusLine!.reason, ...base } satisfies SipResponse;
  }
  if (maxForwards !== undefined) message.maxForwards = maxForwards;
  if (contact !== undefined) message.contact = contact;
  if (route !== undefined) message.route = route;
  if (recordRoute !== undefined) message.recordRoute = recordRoute;
  if (contentType !== undefined) message.contentType = contentType;
  return message;
}

/** Lines of the header section (LF or CRLF ends); a CR anywhere else is not SIP. */
function splitLines(head: string): string[] {
  const lines: string[] = [];
  let from = 0;
  while (from <= head.length) {
    let lf = head.indexOf('\n', from);
    if (lf < 0) lf = head.length;
    const end = lf > from && head.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
    lines.push(head.slice(from, end));
    from = lf + 1;
  }
  // The split leaves one empty string after the last line end.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** RFC 3261 §25.1: SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" is case-insensitive in ABNF). */
function checkVersion(version: string, where: string): void {
  const match = /^SIP\/(\d{1,3})\.(\d{1,3})$/i.exec(version);
  if (match === null) fault(`malformed ${where}: bad SIP-Version`);
  // RFC 3261 §8.2.1 / §21.5.6, RFC 4475 §3.1.2.16: another version gets 505 Version Not Supported.
  if (Number(match[1]) !== 2 || Number(match[2]) !== 0) fault(`${version.slice(0, 16)} is not SIP/2.0`, 505);
}

/** RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF, single SPs, nothing else. */
function parseRequestLine(line: string, limits: ParseLimits): { method: string; uri: SipUri } {
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) fault('malformed Request-Line');
  // RFC 4475 §3.1.2.9 and §3.1.2.10: extra or trailing SP is malformed (a strict element rejects it).
  if (sp2 === line.length - 1) fault('malformed Request-Line: trailing whitespace');
  if (line.charCodeAt(sp1 + 1) === 32 || line.charCodeAt(sp2 - 1) === 32) fault('malformed Request-Line: extra whitespace');
  // RFC 4475 §3.1.2.8: LWS inside the Request-URI is malformed.
  if (line.indexOf(' ', sp1 + 1) !== sp2) fault('malformed Request-URI: embedded whitespace');
  if (line.includes('\t') || line.includes('\r')) fault('malformed Request-Line: control character');
  const method = line.slice(0, sp1);
  // RFC 3261 §25.1: Method = INVITEm / … / extension-method; extension-method = token.
  if (!isToken(method)) fault('malformed Request-Line: bad Method');
  checkVersion(line.slice(sp2 + 1), 'Request-Line');
  const uriStart = sp1 + 1;
  if (sp2 - uriStart > limits.maxUriBytes) fault('Request-URI exceeds the size limit', 414);
  // RFC 4475 §3.1.2.7: a Request-URI in <> is malformed.
  if (line.charCodeAt(uriStart) === 60) fault('malformed Request-URI: enclosed in <>');
  const uri = scanUri(line, uriStart, sp2, 'Request-URI');
  // RFC 3261 §19.1.1 (Table 1): URI headers are not allowed in a Request-URI; RFC 4475 §3.1.2.11.
  if (uri.headers.length > 0) fault('malformed Request-URI: headers not allowed');
  return { method, uri };
}

/** RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF. */
function parseStatusLine(line: string): { status: number; reason: string } {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) fault('malformed Status-Line');
  checkVersion(line.slice(0, sp1), 'Status-Line');
  let sp2 = line.indexOf(' ', sp1 + 1);
  // RFC 4475 §3.1.1.13: the SP before an empty Reason-Phrase is required, but a receiver may be
  // liberal about it; the status code is still unambiguous.
  if (sp2 < 0) sp2 = line.length;
  const code = line.slice(sp1 + 1, sp2);
  // RFC 3261 §25.1: Status-Code = 3DIGIT; RFC 4475 §3.1.2.19: codes above 699 are invalid.
  if (code.length !== 3 || !allIn(code, DIGIT) || code < '100' || code > '699') fault('malformed Status-Line: bad Status-Code');
  const rawReason = line.slice(Math.min(sp2 + 1, line.length));
  // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
  for (let i = 0; i < rawReason.length; i++) {
    const c = rawReason.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f) fault('malformed Status-Line: control character in Reason-Phrase');
  }
  return { status: Number(code), reason: decodeReason(rawReason) };
}

/** RFC 3261 §25.1: escaped is allowed in a Reason-Phrase; decoded when every '%' is a well-formed escape. */
function decodeReason(reason: string): string {
  if (!reason.includes('%')) return reason;
  if (!/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(reason)) return reason;
  try {
    return decodeURIComponent(reason);
  } catch {
    return reason;
  }
}

/**
 * RFC 3261 §7.3: header lines, unfolded (§7.3.1: a line starting with SP or HTAB continues the previous
 * one, and the fold is equivalent to one SP), names canonical (§7.3.3 compact forms), the typed headers
 * set aside and list headers split into one field per element.
 */
function collectHeaders(lines: string[], limits: ParseLimits): RawHeaders {
  const raw: RawHeaders = { via: [], contact: [], route: [], recordRoute: [], singles: new Map(), other: [] };
  let count = 0;
  let index = 1;
  while (index < lines.length) {
    let line = lines[index]!;
    index++;
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) fault('malformed header: continuation line without a header');
    let length = line.length;
    // Gather the continuation lines of this header.
    if (index < lines.length && isContinuation(lines[index]!)) {
      const parts = [line];
      while (index < lines.length && isContinuation(lines[index]!)) {
        const next = lines[index]!;
        length += next.length;
        if (length > limits.maxHeaderLineBytes) fault('header field exceeds the size limit');
        parts.push(next.trimStart());
        index++;
      }
      line = parts.join(' ');
    }
    if (length > limits.maxHeaderLineBytes) fault('header field exceeds the size limit');
    if (++count > limits.maxHeaderCount) fault('too many header fields');
    if (line.includes('\r')) fault('malformed header: bare CR');
    // RFC 3261 §25.1: message-header = field-name HCOLON field-value; HCOLON = *( SP / HTAB ) ":" SWS.
    const colon = line.indexOf(':');
    if (colon < 0) fault('malformed header line: no colon');
    let nameEnd = colon;
    while (nameEnd > 0 && (line.charCodeAt(nameEnd - 1) === 32 || line.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
    const name = line.slice(0, nameEnd);
    if (!isToken(name)) fault('malformed header line: bad header name');
    const value = trimWs(line, colon + 1);
    const { canonical, key, list } = lookupHeaderName(name);
    switch (key) {
      case 'via':
        raw.via.push(value);
        break;
      case 'contact':
        raw.contact.push(value);
        break;
      case 'route':
        raw.route.push(value);
        break;
      case 'record-route':
        raw.recordRoute.push(value);
        break;
      default: {
        const single = singletonHeaders.get(key);
        if (single !== undefined) {
          if (raw.singles.has(key)) raw.duplicate ??= single;
          else raw.singles.set(key, value);
        } else if (list) {
          const items = splitList(value);
          if (items.length === 0) raw.other.push({ name: canonical, value: '' });
          for (const item of items) raw.other.push({ name: canonical, value: item });
          if (raw.other.length > limits.maxHeaderCount * 4) fault('too many header values');
        } else {
          raw.other.push({ name: canonical, value });
        }
      }
    }
  }
  return raw;
}

function isContinuation(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 32 || c === 9;
}

function trimWs(text: string, from: number): string {
  let start = from;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}

/**
 * RFC 3261 §7.3.1: the elements of a comma-separated list; commas inside quoted strings and <…> are
 * not separators. Empty elements are dropped.
 */
function splitList(value: string): string[] {
  const items: string[] = [];
  let from = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 44;
    if (quoted) {
      if (c === 92) i++;
      else if (c === 34) quoted = false;
      continue;
    }
    if (c === 34) quoted = true;
    else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && (!angle || i === value.length)) {
      let itemStart = from;
      let itemEnd = i;
      while (itemStart < itemEnd && (value.charCodeAt(itemStart) === 32 || value.charCodeAt(itemStart) === 9)) itemStart++;
      while (itemEnd > itemStart && (value.charCodeAt(itemEnd - 1) === 32 || value.charCodeAt(itemEnd - 1) === 9)) itemEnd--;
      if (itemEnd > itemStart) items.push(value.slice(itemStart, itemEnd));
      from = i + 1;
    }
  }
  return items;
}

/**
 * RFC 3261 §20.42: Via = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm). `partial.via` grows as the
 * values parse; after a fault it holds those that parsed, the faulty one as far as its sent-by.
 */
function parseViaList(values: string[], limits: ParseLimits, partial: PartialEssentials): Via[] {
  // RFC 3261 §8.1.1.7 / §8.2.6.2: every request and response carries at least one Via.
  if (values.length === 0) fault('missing Via');
  const vias: Via[] = [];
  partial.via = vias;
  for (const value of values) {
    const scanner = new HeaderScanner(value, 'Via');
    for (;;) {
      if (vias.length >= limits.maxViaCount) fault('too many Via values');
      const progress: { via?: Via } = {};
      try {
        vias.push(scanVia(scanner, progress));
      } catch (error) {
        if (progress.via !== undefined) vias.push(salvageVia(progress.via));
        throw error;
      }
      scanner.skipWs();
      if (scanner.atEnd()) break;
      scanner.expect(44 /* , */, 'expected , between values');
    }
  }
  return vias;
}

/** RFC 3261 §20.20 / §20.39: From and To = ( name-addr / addr-spec ) *( SEMI params ), exactly one. */
function parseSingleNameAddr(value: string | undefined, what: 'From' | 'To', maxUriBytes: number): NameAddr {
  if (value === undefined) fault(`missing ${what}`);
  const scanner = new HeaderScanner(value, what);
  const result = scanNameAddr(scanner, { requireBrackets: false, maxUriBytes });
  scanner.skipWs();
  if (!scanner.atEnd()) scanner.fail('unexpected character');
  return result;
}

/** RFC 3261 §25.1: callid = word [ "@" word ]. */
function parseCallId(value: string | undefined): string {
  if (value === undefined) fault('missing Call-ID');
  const at = value.indexOf('@');
  const ok = at < 0 ? allIn(value, WORD) : allIn(value.slice(0, at), WORD) && allIn(value.slice(at + 1), WORD);
  if (!ok) fault('malformed Call-ID');
  return value;
}

/**
 * RFC 3261 §20.16 / §25.1: CSeq = 1*DIGIT LWS Method. §8.1.1.5: the number is a 32-bit unsigned integer;
 * RFC 4475 §3.1.2.4 / §3.1.2.5: a larger one is a fault, and never wraps.
 */
function parseCSeq(value: string | undefined): CSeq {
  if (value === undefined) fault('missing CSeq');
  const scanner = new HeaderScanner(value, 'CSeq');
  const seq = scanNumber(scanner, 0xffffffff, 'CSeq');
  if (!scanner.skipWs()) scanner.fail('expected LWS before Method');
  const method = scanner.token('bad Method');
  if (!scanner.atEnd()) scanner.fail('unexpected character');
  return { seq, method };
}

/** 1*DIGIT no larger than `max` (leading zeros allowed: RFC 4475 §3.1.1.1 "0009"). */
function scanNumber(scanner: HeaderScanner, max: number, what: string): number {
  while (scanner.peek() === 48 && isIn(scanner.text.charCodeAt(scanner.pos + 1), DIGIT)) scanner.pos++;
  const start = scanner.pos;
  while (isIn(scanner.peek(), DIGIT)) scanner.pos++;
  const digits = scanner.pos - start;
  if (digits === 0) scanner.fail('expected a number');
  const value = digits > 10 ? Infinity : Number(scanner.text.slice(start, scanner.pos));
  if (value > max) fault(`malformed ${what}: value too large`);
  return value;
}

/** RFC 3261 §20.22: Max-Forwards = 1*DIGIT, 0–255. */
function parseMaxForwards(value: string): number {
  const scanner = new HeaderScanner(value, 'Max-Forwards');
  const hops = scanNumber(scanner, 255, 'Max-Forwards');
  if (!scanner.atEnd()) scanner.fail();
  return hops;
}

/** RFC 3261 §20.14: Content-Length = 1*DIGIT (RFC 4475 §3.1.2.3: never negative). */
function parseContentLength(value: string): number {
  const scanner = new HeaderScanner(value, 'Content-Length');
  const length = scanNumber(scanner, 0xffffffff, 'Content-Length');
  if (!scanner.atEnd()) scanner.fail();
  return length;
}

/** RFC 3261 §20.15: media-type = m-type SLASH m-subtype *(SEMI m-parameter). Kept as written. */
function parseContentType(value: string): string {
  const scanner = new HeaderScanner(value, 'Content-Type');
  scanner.token('bad media type');
  scanner.expect(47, 'expected /');
  scanner.token('bad media subtype');
  scanner.params(new ParamList());
  if (!scanner.atEnd()) scanner.fail();
  return value;
}

/** RFC 3261 §20.10: Contact = ( STAR / (contact-param *(COMMA contact-param))). */
function parseContacts(values: string[], maxUriBytes: number): Contact[] {
  if (values.length === 1 && values[0] === '*') return ['*'];
  const contacts: Contact[] = [];
  for (const value of values) {
    // RFC 3261 §10.2.2: "*" stands alone (only with Expires: 0, which the registrar checks).
    if (value === '*') fault('malformed Contact: * with other values');
    const scanner = new HeaderScanner(value, 'Contact');
    for (;;) {
      if (contacts.length >= maxContacts) fault('too many Contact values');
      contacts.push(scanNameAddr(scanner, { requireBrackets: false, maxUriBytes }));
      scanner.skipWs();
      if (scanner.atEnd()) break;
      scanner.expect(44, 'expected , between values');
    }
  }
  return contacts;
}

/** RFC 3261 §20.30 / §20.34: Route / Record-Route = name-addr *( SEMI rr-param ), comma-separated. */
function parseRoutes(values: string[], what: string, limits: ParseLimits): NameAddr[] {
  const routes: NameAddr[] = [];
  for (const value of values) {
    const scanner = new HeaderScanner(value, what);
    for (;;) {
      if (routes.length >= limits.maxViaCount) fault(`too many ${what} values`);
      routes.push(scanNameAddr(scanner, { requireBrackets: true, maxUriBytes: limits.maxUriBytes }));
      scanner.skipWs();
      if (scanner.atEnd()) break;
      scanner.expect(44, 'expected , between values');
    }
  }
  return routes;
}
