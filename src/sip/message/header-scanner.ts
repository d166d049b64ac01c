/**
 * A cursor over one (unfolded) header value, with the RFC 3261 §25.1 lexical pieces the header grammars
 * share: LWS/SWS, token, quoted-string, and generic parameters. Every failure is a SyntaxFault naming the
 * header, so the 400's reason says which header was malformed.
 */
import type { Params } from './types.js';
import { TOKEN, isIn, isToken } from './char-classes.js';
import { isIPv6 } from './host.js';
import { fault } from './syntax-fault.js';

/** Most parameters one element (URI, Via, name-addr) may carry; a limit on a count, like ParseLimits. */
export const maxParamsPerElement = 64;

export class HeaderScanner {
  pos: number;

  constructor(
    readonly text: string,
    /** The header (or part) being scanned, named in the reason phrase. */
    readonly what: string,
    start = 0,
    readonly end: number = text.length,
  ) {
    this.pos = start;
  }

  fail(detail?: string): never {
    fault(detail === undefined ? `malformed ${this.what}` : `malformed ${this.what}: ${detail}`);
  }

  /** The code unit at the cursor, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** RFC 3261 §25.1 LWS/SWS after unfolding: SP and HTAB. Returns whether any was skipped. */
  skipWs(): boolean {
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 32 && c !== 9) break;
      this.pos++;
    }
    return this.pos > start;
  }

  /** SWS `c` SWS (SEMI, COMMA, EQUAL, SLASH, COLON of RFC 3261 §25.1). Leaves the cursor alone when absent. */
  separator(c: number): boolean {
    const start = this.pos;
    this.skipWs();
    if (this.peek() === c) {
      this.pos++;
      this.skipWs();
      return true;
    }
    this.pos = start;
    return false;
  }

  expect(c: number, detail: string): void {
    if (!this.separator(c)) this.fail(detail);
  }

  token(detail = 'expected a token'): string {
    const start = this.pos;
    while (this.pos < this.end && isIn(this.text.charCodeAt(this.pos), TOKEN)) this.pos++;
    if (this.pos === start) this.fail(detail);
    return this.text.slice(start, this.pos);
  }

  /**
   * RFC 3261 §25.1: quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE;
   * qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII; quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
   * Returns the quoted-string as written, quotes included.
   */
  quotedString(): string {
    const start = this.pos;
    if (this.peek() !== 34) this.fail('expected a quoted string');
    this.pos++;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 34) {
        this.pos++;
        return this.text.slice(start, this.pos);
      }
      if (c === 92 /* \ */) {
        const next = this.pos + 1 < this.end ? this.text.charCodeAt(this.pos + 1) : -1;
        if (next < 0 || next === 10 || next === 13 || next > 0x7f) this.fail('bad quoted-pair');
        this.pos += 2;
        continue;
      }
      if (c !== 32 && c !== 9 && (c < 0x21 || c === 0x7f)) this.fail('control character in quoted string');
      this.pos++;
    }
    return this.fail('unterminated quoted string');
  }

  /**
   * RFC 3261 §25.1 generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
   * Reads `*( SEMI generic-param )` into `params` (names lower-cased, values as written). `colonInValue`
   * admits the unbracketed IPv6 of Via `received` (RFC 3261 §20.42, RFC 5118 §4.5).
   */
  params(params: Params, colonInValue = false): void {
    while (this.separator(59 /* ; */)) {
      if (params.size >= maxParamsPerElement) this.fail('too many parameters');
      const name = this.token('expected a parameter name').toLowerCase();
      let value: string | null = null;
      if (this.separator(61 /* = */)) value = this.paramValue(colonInValue);
      // RFC 3261 §7.3.1 / §19.1.1: a parameter name must not appear more than once in one element.
      if (params.has(name)) this.fail(`duplicate parameter ${name}`);
      params.set(name, value);
    }
  }

  private paramValue(colonInValue: boolean): string {
    const c = this.peek();
    if (c === 34) return this.quotedString();
    const start = this.pos;
    if (c === 91 /* [ */) {
      const close = this.text.indexOf(']', start);
      if (close < 0 || close >= this.end || !isIPv6(this.text.slice(start + 1, close))) this.fail('bad IPv6 reference');
      this.pos = close + 1;
      return this.text.slice(start, this.pos);
    }
    while (this.pos < this.end) {
      const d = this.text.charCodeAt(this.pos);
      if (!isIn(d, TOKEN) && !(colonInValue && d === 58)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('empty parameter value');
    return this.text.slice(start, this.pos);
  }
}

/** The content of a quoted-string as written (quotes removed, quoted-pairs resolved). */
export function unquote(quoted: string): string {
  if (quoted.length < 2 || quoted.charCodeAt(0) !== 34) return quoted;
  const inner = quoted.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === 92) {
      parts.push(inner.slice(from, i));
      from = i + 1;
      i++;
    }
  }
  parts.push(inner.slice(from));
  return parts.join('');
}

/**
 * A quoted-string carrying `text`: `"`, `\` and control characters as quoted-pairs (RFC 3261 §25.1);
 * CR and LF, which no quoted-pair may carry, become SP.
 */
export function quote(text: string): string {
  let out = /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
  const special = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f"\\]/g;
  if (special.test(out)) out = out.replace(special, '\\$&');
  return `"${out}"`;
}

/** Parameters as written on the wire; a value that is not a legal gen-value is quoted so it cannot break the header. */
export function formatParams(params: Params): string {
  if (params.size === 0) return '';
  const parts: string[] = [];
  params.forEach((value, name) => {
    // A name that is not a token cannot be written without breaking the header line; it is left out.
    if (!isToken(name)) return;
    parts.push(';', name);
    if (value !== null) parts.push('=', formatGenValue(value));
  });
  return parts.join('');
}

function formatGenValue(value: string): string {
  if (value.length > 0 && isGenValue(value)) return value;
  return quote(value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? unquote(value) : value);
}

function isGenValue(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first === 34) {
    const scanner = new HeaderScanner(value, 'parameter');
    const ok = tryScan(() => scanner.quotedString());
    return ok && scanner.atEnd();
  }
  if (first === 91) return value.endsWith(']') && isIPv6(value.slice(1, -1));
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isIn(c, TOKEN) && c !== 58) return false;
  }
  return true;
}

function tryScan(scan: () => unknown): boolean {
  try {
    scan();
    return true;
  } catch {
    return false;
  }
}
