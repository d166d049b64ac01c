/** The manifest's description of one torture message, and the form in which it goes on the wire. */
export interface TortureEntry {
  file: string;
  verdict: 'valid' | 'invalid' | null;
  layer: 'parser' | 'transport' | 'transaction' | 'application';
  message_type: 'request' | 'response';
  expected_handling: string;
}

/**
 * RFC 5118's archive uses bare LF and sometimes omits the closing empty line and miscounts
 * Content-Length (fixtures README: "To put an RFC 5118 message on the wire, convert LF to CRLF, close an
 * unterminated header section with an extra CRLF, and set Content-Length to the CRLF body length").
 * RFC 4475 messages go on the wire exactly as archived.
 */
export function wireForm(entry: TortureEntry, raw: Buffer): Buffer {
  if (!entry.file.startsWith('rfc5118/')) return raw;
  let text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  let split = text.indexOf('\r\n\r\n');
  if (split < 0) {
    text = text.endsWith('\r\n') ? text + '\r\n' : text + '\r\n\r\n';
    split = text.indexOf('\r\n\r\n');
  }
  const head = text.slice(0, split);
  const body = text.slice(split + 4);
  const fixedHead = head.replace(/^(Content-Length|l)[ \t]*:[ \t]*\d+/im, `$1: ${Buffer.byteLength(body, 'latin1')}`);
  return Buffer.from(`${fixedHead}\r\n\r\n${body}`, 'latin1');
}
