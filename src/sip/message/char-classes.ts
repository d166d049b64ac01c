/**
 * Character classes of the RFC 3261 §25.1 grammar as one lookup table, so the scanners test a character
 * with one array read instead of a regular expression.
 */
export const ALNUM = 1 << 0;
/** RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = 1 << 1;
/** unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const UNRESERVED = 1 << 2;
/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const USER = 1 << 3;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD = 1 << 4;
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
export const PARAMCHAR = 1 << 5;
/** hname/hvalue = 1*( hnv-unreserved / unreserved / escaped ); hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
export const HNV = 1 << 6;
/** word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" ) */
export const WORD = 1 << 7;
/** uric = reserved / unreserved / escaped (absoluteURI of any other scheme, RFC 3261 §25.1 / RFC 2396) */
export const URIC = 1 << 8;
export const DIGIT = 1 << 9;
export const HEXDIG = 1 << 10;
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (after the first character) */
export const SCHEME = 1 << 11;

const table = new Uint16Array(128);

function add(chars: string, flags: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flags;
}

const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const lower = upper.toLowerCase();
const digits = '0123456789';
const alnum = upper + lower + digits;
const unreserved = alnum + "-_.!~*'()";
add(alnum, ALNUM | SCHEME);
add(digits, DIGIT);
add(digits + 'abcdefABCDEF', HEXDIG);
add(alnum + "-.!%*_+`'~", TOKEN);
add(unreserved, UNRESERVED | USER | PASSWORD | PARAMCHAR | HNV | URIC);
add('&=+$,;?/', USER);
add('&=+$,', PASSWORD);
add('[]/:&+$', PARAMCHAR);
add('[]/?:+$', HNV);
add(';/?:@&=+$,', URIC);
add(alnum + '-.!%*_+`\'~()<>:\\"/[]?{}', WORD);
add('+-.', SCHEME);

/** True when the code unit `c` is in class `flags` (any of them). Non-ASCII is in no class. */
export function isIn(c: number, flags: number): boolean {
  return c < 128 && (table[c]! & flags) !== 0;
}

/** True when every character of `text` is in `flags`; false for the empty string. */
export function allIn(text: string, flags: number): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || (table[c]! & flags) === 0) return false;
  }
  return true;
}

export function isToken(text: string): boolean {
  return allIn(text, TOKEN);
}
