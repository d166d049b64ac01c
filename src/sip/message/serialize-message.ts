/**
 * RFC 3261 §7: a message on the wire. The typed fields are written from the model, every other header
 * from `headers` in order, and Content-Length from the body (RFC 3261 §20.14; §18.3 makes it mandatory
 * over streams and it does no harm over UDP).
 */
import type { HeaderField, SipMessage } from './types.js';
import { isToken } from './char-classes.js';
import { lookupHeaderName } from './header-names.js';
import { formatNameAddr } from './name-addr.js';
import { formatUri } from './sip-uri.js';
import { formatVia } from './via.js';

/** Headers the typed fields own (lower-case canonical names); a copy of one in `headers` is not written twice. */
const typedHeaders: ReadonlySet<string> = new Set([
  'via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'route', 'record-route', 'content-type', 'content-length',
]);

/** CR and LF in a value from the application would end the header line early (header injection). */
function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]+/g, ' ') : text;
}

export function serializeMessage(message: SipMessage): Buffer {
  const lines: string[] = [];
  if (message.kind === 'request') {
    lines.push(`${message.method} ${formatUri(message.uri)} SIP/2.0`);
  } else {
    // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF.
    lines.push(`SIP/2.0 ${message.status} ${oneLine(message.reason)}`);
  }
  for (const via of message.via) lines.push(`Via: ${formatVia(via)}`);
  if (message.maxForwards !== undefined) lines.push(`Max-Forwards: ${message.maxForwards}`);
  for (const route of message.route ?? []) lines.push(`Route: ${formatNameAddr(route)}`);
  for (const route of message.recordRoute ?? []) lines.push(`Record-Route: ${formatNameAddr(route)}`);
  lines.push(`From: ${formatNameAddr(message.from)}`);
  lines.push(`To: ${formatNameAddr(message.to)}`);
  lines.push(`Call-ID: ${oneLine(message.callId)}`);
  lines.push(`CSeq: ${message.cseq.seq} ${message.cseq.method}`);
  for (const contact of message.contact ?? []) {
    lines.push(`Contact: ${contact === '*' ? '*' : formatNameAddr(contact)}`);
  }
  for (const header of message.headers) {
    if (!isToken(header.name) || typedHeaders.has(lookupHeaderName(header.name).key)) continue;
    lines.push(formatHeaderField(header));
  }
  if (message.contentType !== undefined) lines.push(`Content-Type: ${oneLine(message.contentType)}`);
  lines.push(`Content-Length: ${message.body.length}`, '', '');
  const head = Buffer.from(lines.join('\r\n'), 'utf8');
  return message.body.length === 0 ? head : Buffer.concat([head, message.body]);
}

function formatHeaderField(header: HeaderField): string {
  return `${header.name}: ${oneLine(header.value)}`;
}
