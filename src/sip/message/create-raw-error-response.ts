/**
 * The last resort for answering a malformed request whose essentials cannot be modelled (RFC 4475
 * §3.1.2.8 "insuf" lacks From, To and Call-ID; §3.1.2.11 "scalar02" has a CSeq number no integer
 * holds): the RFCs still want a 400, and the client matches it by its Via branch and CSeq, so the
 * answer echoes the request's own Via, From, To, Call-ID and CSeq lines byte for byte.
 */
import { randomToken } from '../../kernel/index.js';
import { reasonPhrase } from './reason-phrases.js';
import type { SipParseError } from './parse-message.js';

/** Long and compact names (RFC 3261 §7.3.3) of the headers a response copies from its request. */
const echoedHeaders = new Set(['via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i', 'cseq']);
/** Bounds on what is echoed, so that a hostile request cannot make us send a large answer. */
const maxEchoedLines = 70;
const maxLineBytes = 1024;

export function createRawErrorResponse(data: Buffer, error: SipParseError): Buffer | undefined {
  if (!error.isRequest || error.partial.method === 'ACK') return undefined;
  const text = data.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  if (/^ACK\s/i.test(lines[0] ?? '')) return undefined;
  // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header line.
  const headers: string[] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += ` ${line.trim()}`;
    else headers.push(line);
  }
  const kept: string[] = [];
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.length > maxLineBytes || kept.length >= maxEchoedLines) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!echoedHeaders.has(name)) continue;
    // RFC 3261 §8.2.6.2: the UAS adds a tag to a To that has none.
    const isTo = name === 'to' || name === 't';
    kept.push(isTo && !/;\s*tag\s*=/i.test(line) ? `${line};tag=${randomToken()}` : line);
  }
  if (!kept.some((line) => /^(via|v)\s*:/i.test(line))) return undefined;
  const status = error.status;
  const reason = error.reason.length > 0 ? error.reason : reasonPhrase(status);
  return Buffer.from(`SIP/2.0 ${status} ${reason}\r\n${kept.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
}
