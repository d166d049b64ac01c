/**
 * RFC 3261 §25.1 `escaped = "%" HEXDIG HEXDIG`, allowed in the parts of a SIP/SIPS URI only (RFC 4475
 * §3.1.1.3: nowhere else, and never recursively: `value%2541` decodes once to `value%41`).
 */
import { isUtf8 } from 'node:buffer';
import { HEXDIG, isIn } from './char-classes.js';
import { fault } from './syntax-fault.js';

/**
 * Validates `text[start, end)` against `flags` plus `escaped`, and returns it percent-decoded. Decoded
 * octets are read as UTF-8 when they form valid UTF-8 and as Latin-1 otherwise, so that `%00` and odd
 * octets survive (RFC 4475 §3.1.1.4: unescaping must not truncate at a NUL).
 */
export function decodeEscaped(text: string, start: number, end: number, flags: number, what: string): string {
  let escapes = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      if (!isIn(text.charCodeAt(i + 1), HEXDIG) || !isIn(text.charCodeAt(i + 2), HEXDIG) || i + 2 >= end) {
        fault(`malformed escape in ${what}`);
      }
      escapes = true;
      i += 2;
    } else if (!isIn(c, flags)) {
      fault(`invalid character in ${what}`);
    }
  }
  if (!escapes) return text.slice(start, end);
  const bytes: number[] = [];
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 37) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  const buffer = Buffer.from(bytes);
  return isUtf8(buffer) ? buffer.toString('utf8') : buffer.toString('latin1');
}

const hex = '0123456789ABCDEF';

/**
 * The inverse of decodeEscaped: characters outside `flags` (and `%` itself, unless `keepPercent` says the
 * text is already escaped) become %HH of their UTF-8 octets.
 */
export function encodeEscaped(text: string, flags: number, keepPercent = false): string {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 37 && !keepPercent) || (c !== 37 && !isIn(c, flags))) break;
  }
  if (i === text.length) return text;
  const parts: string[] = [text.slice(0, i)];
  for (const byte of Buffer.from(text.slice(i), 'utf8')) {
    if (byte === 37 ? keepPercent : isIn(byte, flags)) parts.push(String.fromCharCode(byte));
    else parts.push('%', hex[byte >> 4]!, hex[byte & 15]!);
  }
  return parts.join('');
}
