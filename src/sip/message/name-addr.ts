/**
 * RFC 3261 §25.1: name-addr = [ display-name ] LAQUOT addr-spec RAQUOT; display-name = *(token LWS) / quoted-string.
 * The From, To, Contact, Route and Record-Route values, with their header parameters.
 */
import type { NameAddr } from './types.js';
import { TOKEN, isIn } from './char-classes.js';
import { HeaderScanner, formatParams, quote, unquote } from './header-scanner.js';
import { SyntaxFault } from './syntax-fault.js';
import { formatUri, parseUriDetailed, scanUri } from './sip-uri.js';
import { ParamList } from './param-list.js';

export interface NameAddrOptions {
  /** RFC 3261 §20.30 / §20.34: Route and Record-Route take name-addr only. */
  requireBrackets: boolean;
  /** Longest URI accepted, characters. */
  maxUriBytes?: number;
}

/**
 * Scans one `( name-addr / addr-spec ) *( SEMI generic-param )` at the cursor; stops before a COMMA or
 * the end. Throws SyntaxFault naming the header.
 */
export function scanNameAddr(scanner: HeaderScanner, options: NameAddrOptions): NameAddr {
  scanner.skipWs();
  let displayName: string | undefined;
  const c = scanner.peek();
  if (c === 34 /* " */) {
    displayName = unquote(scanner.quotedString());
    scanner.skipWs();
    if (scanner.peek() !== 60) scanner.fail('expected < after display name');
  } else if (c !== 60 /* < */) {
    displayName = tokenDisplayName(scanner);
    if (displayName === undefined && options.requireBrackets) scanner.fail('expected <');
  }
  let uri;
  if (scanner.peek() === 60) {
    // RFC 3261 §25.1: LAQUOT addr-spec RAQUOT; the addr-spec holds no LWS (RFC 4475 §3.1.2.14) and no '>'.
    const close = scanner.text.indexOf('>', scanner.pos);
    if (close < 0 || close >= scanner.end) scanner.fail('missing >');
    // RFC 4475 §3.1.2.14: LWS inside <> is not allowed (a liberal element may ignore it; we reject).
    const first = scanner.text.charCodeAt(scanner.pos + 1);
    const last = scanner.text.charCodeAt(close - 1);
    if (first === 32 || first === 9 || last === 32 || last === 9) scanner.fail('whitespace inside <>');
    if (options.maxUriBytes !== undefined && close - scanner.pos - 1 > options.maxUriBytes) scanner.fail('URI exceeds the size limit');
    uri = scanUri(scanner.text, scanner.pos + 1, close, scanner.what);
    scanner.pos = close + 1;
  } else {
    // RFC 3261 §20.10: an addr-spec outside <> cannot contain ',', ';' or '?': its parameters are the
    // header's, and a '?' there (RFC 4475 §3.1.2.13) is a syntax error.
    const start = scanner.pos;
    let end = start;
    while (end < scanner.end) {
      const d = scanner.text.charCodeAt(end);
      if (d === 44 || d === 59 || d === 32 || d === 9 || d === 63) break;
      end++;
    }
    if (end === start) scanner.fail('expected a URI');
    if (scanner.text.charCodeAt(end) === 63) scanner.fail('a URI with headers must be enclosed in <>');
    if (options.maxUriBytes !== undefined && end - start > options.maxUriBytes) scanner.fail('URI exceeds the size limit');
    uri = scanUri(scanner.text, start, end, scanner.what);
    scanner.pos = end;
  }
  const value: NameAddr = { uri, params: new ParamList() };
  if (displayName !== undefined) value.displayName = displayName;
  scanner.params(value.params);
  return value;
}

/**
 * `*(token LWS)` before '<'. RFC 4475 §3.1.1.6: the LWS before '<' may be missing ("caller<sip:…>").
 * Returns undefined (cursor unmoved) when what follows is an addr-spec rather than a display name.
 */
function tokenDisplayName(scanner: HeaderScanner): string | undefined {
  const start = scanner.pos;
  const words: string[] = [];
  for (;;) {
    const wordStart = scanner.pos;
    while (scanner.pos < scanner.end && isIn(scanner.text.charCodeAt(scanner.pos), TOKEN)) scanner.pos++;
    if (scanner.pos === wordStart) break;
    words.push(scanner.text.slice(wordStart, scanner.pos));
    scanner.skipWs();
  }
  if (words.length > 0 && scanner.peek() === 60) return words.join(' ');
  // RFC 4475 §3.1.2.15: a display name with non-token characters (a comma, …) must be quoted; a '<'
  // further on shows a name-addr was meant, so that is the fault to name.
  if (words.length > 0 && scanner.peek() !== 58 && scanner.text.indexOf('<', scanner.pos) >= 0) {
    scanner.fail('display name with non-token characters must be quoted');
  }
  scanner.pos = start;
  return undefined;
}

/**
 * A best-effort reading of a From or To value that failed to parse, used only to answer the request with
 * its 400 (RFC 3261 §8.2.6.2 copies From and To; RFC 4475 §3.1.2.6, §3.1.2.14 and §3.1.2.15 ask for that
 * 400). It keeps what the response must echo for matching: the URI and the tag. Never used to accept a
 * message. undefined when not even a URI can be found.
 */
export function salvageNameAddr(text: string): NameAddr | undefined {
  const open = text.indexOf('<');
  const close = open < 0 ? -1 : text.indexOf('>', open);
  let uriText: string;
  let rest: number;
  if (open >= 0 && close > open) {
    uriText = text.slice(open + 1, close).trim();
    rest = close + 1;
  } else {
    const semi = text.indexOf(';');
    uriText = (semi < 0 ? text : text.slice(0, semi)).trim();
    rest = semi < 0 ? text.length : semi;
  }
  const uri = parseUriDetailed(uriText);
  if (!uri.ok) return undefined;
  const value: NameAddr = { uri: uri.uri, params: new ParamList() };
  if (open > 0) {
    const name = text.slice(0, open).trim().replace(/^"|"$/g, '');
    if (name.length > 0) value.displayName = name;
  }
  try {
    // Parameters up to the first one that does not parse.
    new HeaderScanner(text, 'name-addr', rest).params(value.params);
  } catch (error) {
    if (!(error instanceof SyntaxFault)) throw error;
  }
  return value;
}

/** parseNameAddr's result with the reason it failed. */
export type NameAddrParseResult = { ok: true; value: NameAddr } | { ok: false; reason: string };

export function parseNameAddrDetailed(text: string): NameAddrParseResult {
  try {
    const scanner = new HeaderScanner(text, 'name-addr');
    const value = scanNameAddr(scanner, { requireBrackets: false });
    scanner.skipWs();
    if (!scanner.atEnd()) scanner.fail('unexpected character');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof SyntaxFault) return { ok: false, reason: error.detail };
    throw error;
  }
}

/** One name-addr or addr-spec with header parameters (a From/To/Contact/Route value), or undefined. */
export function parseNameAddr(text: string): NameAddr | undefined {
  const result = parseNameAddrDetailed(text);
  return result.ok ? result.value : undefined;
}

/**
 * Always the name-addr form: RFC 3261 §20.10 requires it whenever the URI has ',', ';' or '?', and it
 * is never wrong. The display name is always quoted: a quoted-string carries any text, and quoting
 * spares peers the *(token LWS) form that some stacks mis-read.
 */
export function formatNameAddr(value: NameAddr): string {
  const name = value.displayName === undefined ? '' : `${quote(value.displayName)} `;
  return `${name}<${formatUri(value.uri)}>${formatParams(value.params)}`;
}
