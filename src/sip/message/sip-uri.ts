/**
 * URIs: RFC 3261 §19.1 SIP and SIPS URIs parsed into parts (percent-decoded), and any other absoluteURI
 * (tel: RFC 3966, or a scheme nobody knows, RFC 4475 §3.3.2) carried opaquely so that the element can
 * still answer 416.
 */
import type { SipUri } from './types.js';
import { DIGIT, HNV, PARAMCHAR, PASSWORD, SCHEME, URIC, USER, isIn } from './char-classes.js';
import { formatHost, parseHost } from './host.js';
import { maxParamsPerElement } from './header-scanner.js';
import { decodeEscaped, encodeEscaped } from './percent-encoding.js';
import { SyntaxFault, fault } from './syntax-fault.js';
import { ParamList } from './param-list.js';

/** Most `?name=value` headers one URI may carry. */
const maxUriHeaders = 32;

export type UriParseResult = { ok: true; uri: SipUri } | { ok: false; reason: string };

/** parseUri with the reason it failed, e.g. "malformed URI: invalid character in host". */
export function parseUriDetailed(text: string): UriParseResult {
  try {
    return { ok: true, uri: scanUri(text, 0, text.length, 'URI') };
  } catch (error) {
    if (error instanceof SyntaxFault) return { ok: false, reason: error.detail };
    throw error;
  }
}

/** A URI from its text (a sip:, sips:, tel: or other absolute URI), or undefined when malformed. */
export function parseUri(text: string): SipUri | undefined {
  const result = parseUriDetailed(text);
  return result.ok ? result.uri : undefined;
}

/** Parses `text[start, end)` as a URI; throws SyntaxFault naming `what`. */
export function scanUri(text: string, start: number, end: number, what: string): SipUri {
  // RFC 3261 §25.1 (RFC 2396): scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) then ":".
  const first = text.charCodeAt(start);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) fault(`malformed ${what}: bad scheme`);
  let colon = start + 1;
  while (colon < end && isIn(text.charCodeAt(colon), SCHEME)) colon++;
  if (colon >= end || text.charCodeAt(colon) !== 58) fault(`malformed ${what}: bad scheme`);
  const scheme = text.slice(start, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return scanSipUri(text, colon + 1, end, scheme, what);
  // RFC 3261 §25.1: absoluteURI = scheme ":" ( hier-part / opaque-part ), all uric characters.
  const opaque = decodeEscaped(text, colon + 1, end, URIC, what);
  if (opaque.length === 0) fault(`malformed ${what}: empty URI`);
  return { scheme, user: text.slice(colon + 1, end), host: '', params: new ParamList(), headers: [] };
}

/** RFC 3261 §25.1: SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]. */
function scanSipUri(text: string, start: number, end: number, scheme: 'sip' | 'sips', what: string): SipUri {
  const uri: SipUri = { scheme, host: '', params: new ParamList(), headers: [] };
  let pos = start;
  // '@' is in none of host, uri-parameters or headers, so the first one closes the userinfo.
  let at = start;
  while (at < end && text.charCodeAt(at) !== 64) at++;
  if (at < end) {
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"; ':' is not a user character.
    let colon = start;
    while (colon < at && text.charCodeAt(colon) !== 58) colon++;
    if (colon === start) fault(`malformed ${what}: empty user`);
    uri.user = decodeEscaped(text, start, colon, USER, `${what} user`);
    if (colon < at) uri.password = decodeEscaped(text, colon + 1, at, PASSWORD, `${what} password`);
    pos = at + 1;
  }
  // hostport = host [ ":" port ]; host = hostname / IPv4address / IPv6reference.
  let hostEnd = pos;
  if (text.charCodeAt(pos) === 91 /* [ */) {
    while (hostEnd < end && text.charCodeAt(hostEnd) !== 93) hostEnd++;
    if (hostEnd >= end) fault(`malformed ${what}: unterminated IPv6 reference`);
    hostEnd++;
  } else {
    while (hostEnd < end) {
      const c = text.charCodeAt(hostEnd);
      if (c === 58 || c === 59 || c === 63) break;
      hostEnd++;
    }
  }
  const host = parseHost(text.slice(pos, hostEnd));
  if (host === undefined) fault(`malformed ${what}: bad host`);
  uri.host = host;
  pos = hostEnd;
  if (pos < end && text.charCodeAt(pos) === 58) {
    pos++;
    const portStart = pos;
    while (pos < end && isIn(text.charCodeAt(pos), DIGIT)) pos++;
    const digits = pos - portStart;
    const port = Number(text.slice(portStart, pos));
    // RFC 3261 §25.1: port = 1*DIGIT; a transport port is 0–65535.
    if (digits === 0 || digits > 5 || port > 65535) fault(`malformed ${what}: bad port`);
    uri.port = port;
  }
  // uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ], both 1*paramchar.
  while (pos < end && text.charCodeAt(pos) === 59) {
    if (uri.params.size >= maxParamsPerElement) fault(`malformed ${what}: too many parameters`);
    pos++;
    let paramEnd = pos;
    let equals = -1;
    while (paramEnd < end) {
      const c = text.charCodeAt(paramEnd);
      if (c === 59 || c === 63) break;
      if (c === 61 && equals < 0) equals = paramEnd;
      paramEnd++;
    }
    const nameEnd = equals < 0 ? paramEnd : equals;
    if (nameEnd === pos) fault(`malformed ${what}: empty parameter name`);
    const name = decodeEscaped(text, pos, nameEnd, PARAMCHAR, `${what} parameter`).toLowerCase();
    let value: string | null = null;
    if (equals >= 0) {
      if (equals + 1 === paramEnd) fault(`malformed ${what}: empty parameter value`);
      value = decodeEscaped(text, equals + 1, paramEnd, PARAMCHAR, `${what} parameter`);
    }
    // RFC 3261 §19.1.1: a parameter name must not appear more than once in a URI.
    if (uri.params.has(name)) fault(`malformed ${what}: duplicate parameter ${name}`);
    uri.params.set(name, value);
    pos = paramEnd;
  }
  // headers = "?" header *( "&" header ); header = hname "=" hvalue; hname = 1*(hnv-unreserved / unreserved / escaped).
  if (pos < end && text.charCodeAt(pos) === 63) {
    pos++;
    for (;;) {
      if (uri.headers.length >= maxUriHeaders) fault(`malformed ${what}: too many headers`);
      let headerEnd = pos;
      while (headerEnd < end && text.charCodeAt(headerEnd) !== 38) headerEnd++;
      let equals = pos;
      while (equals < headerEnd && text.charCodeAt(equals) !== 61) equals++;
      if (equals >= headerEnd || equals === pos) fault(`malformed ${what}: bad header`);
      uri.headers.push([
        decodeEscaped(text, pos, equals, HNV, `${what} header`),
        equals + 1 === headerEnd ? '' : decodeEscaped(text, equals + 1, headerEnd, HNV, `${what} header`),
      ]);
      pos = headerEnd;
      if (pos >= end) break;
      pos++;
    }
  }
  if (pos !== end) fault(`malformed ${what}: unexpected character`);
  return uri;
}

/** The URI as written on the wire, escaping whatever its part's grammar does not allow bare. */
export function formatUri(uri: SipUri): string {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') {
    // Opaque URIs are kept as written; anything outside uric (which would break the header) is escaped.
    return `${uri.scheme}:${encodeEscaped(uri.user ?? '', URIC, true)}`;
  }
  const parts: string[] = [uri.scheme, ':'];
  if (uri.user !== undefined) {
    parts.push(encodeEscaped(uri.user, USER));
    if (uri.password !== undefined) parts.push(':', encodeEscaped(uri.password, PASSWORD));
    parts.push('@');
  }
  parts.push(formatHost(uri.host));
  if (uri.port !== undefined) parts.push(':', String(uri.port));
  uri.params.forEach((value, name) => {
    parts.push(';', encodeEscaped(name, PARAMCHAR));
    if (value !== null) parts.push('=', encodeEscaped(value, PARAMCHAR));
  });
  for (const [index, [name, value]] of uri.headers.entries()) {
    parts.push(index === 0 ? '?' : '&', encodeEscaped(name, HNV), '=', encodeEscaped(value, HNV));
  }
  return parts.join('');
}
