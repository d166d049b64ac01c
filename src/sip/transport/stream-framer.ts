/**
 * Splits a TCP/TLS byte stream into whole SIP messages (RFC 3261 §18.3) without parsing them: finds the
 * end of the header section, reads Content-Length (or its compact form `l`), and waits for that many
 * body bytes. It also recognises the RFC 5626 §3.5.1 keep-alives between messages. Pure: no sockets,
 * no clock; the connection owns the idle timer.
 */

export interface StreamFramerLimits {
  /** Largest header section (start line through the empty line), in bytes. */
  maxHeaderBytes: number;
  /** Largest body, in bytes. */
  maxBodyBytes: number;
}

export type FramingFailureKind = 'headers-too-large' | 'missing-content-length' | 'invalid-content-length' | 'body-too-large';

export interface FramingFailure {
  kind: FramingFailureKind;
  /** The status a request framed this badly is answered with, when it can be answered. */
  status: number;
  reason: string;
  /**
   * The header section (start line through the empty line) with every Content-Length line removed, so
   * that the message layer can parse it and an answer can be built; absent when the end of the headers
   * was never found.
   */
  headerSection?: Buffer;
}

export type FramerEvent =
  | { kind: 'message'; data: Buffer }
  /** RFC 5626 §3.5.1: a double-CRLF "ping"; the owner answers with a single CRLF "pong". */
  | { kind: 'ping' }
  /** Framing is lost: the owner answers if it can, then closes the connection. Terminal. */
  | { kind: 'error'; failure: FramingFailure };

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Ten digits already exceed any body limit; longer values are refused before Number() sees them. */
const CONTENT_LENGTH_VALUE = /^[0-9]{1,10}$/;

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Where the search for the end of the headers resumes, so that a slow stream is not rescanned. */
  private scanFrom = 0;
  /** Set once the headers of the current message are known: the total length to wait for. */
  private expected: number | undefined;
  private failed = false;

  constructor(private readonly limits: StreamFramerLimits) {}

  /** Bytes held for an incomplete message (bounded by maxHeaderBytes + maxBodyBytes). */
  buffered(): number {
    return this.buffer.length;
  }

  /** True once an error event has been emitted; the stream cannot be resynchronised. */
  hasFailed(): boolean {
    return this.failed;
  }

  /** Feeds bytes in; returns what they completed, in order. After an error, input is ignored. */
  push(chunk: Buffer): FramerEvent[] {
    if (this.failed || chunk.length === 0) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: FramerEvent[] = [];
    // Each pass consumes at least one byte or returns, so the loop is bounded by the input length.
    for (;;) {
      const event = this.next();
      if (event === undefined) break;
      if (event === 'again') continue;
      events.push(event);
      if (event.kind === 'error') {
        this.failed = true;
        this.buffer = Buffer.alloc(0);
        break;
      }
    }
    return events;
  }

  private consume(length: number): void {
    this.buffer = this.buffer.subarray(length);
    this.scanFrom = 0;
    this.expected = undefined;
  }

  /** The next event, 'again' when only keep-alive bytes were skipped, undefined when more input is needed. */
  private next(): FramerEvent | 'again' | undefined {
    if (this.expected === undefined) {
      const keepAlive = this.keepAlive();
      if (keepAlive !== 'none') {
        if (keepAlive === 'ping') return { kind: 'ping' };
        if (keepAlive === 'wait') return undefined;
        // A stray or pong CRLF was consumed; look again (iteratively: a chunk may hold thousands).
        return 'again';
      }
      const end = this.buffer.indexOf(HEADER_END, this.scanFrom);
      if (end < 0) {
        if (this.buffer.length > this.limits.maxHeaderBytes) {
          return { kind: 'error', failure: { kind: 'headers-too-large', status: 513, reason: 'Message Too Large' } };
        }
        // The terminator may straddle this chunk and the next: resume three bytes back.
        this.scanFrom = Math.max(0, this.buffer.length - 3);
        return undefined;
      }
      const headerLength = end + HEADER_END.length;
      if (headerLength > this.limits.maxHeaderBytes) {
        return { kind: 'error', failure: { kind: 'headers-too-large', status: 513, reason: 'Message Too Large' } };
      }
      const header = this.buffer.subarray(0, headerLength);
      const found = readContentLength(header);
      if (found.kind === 'missing') {
        // RFC 3261 §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length
        // header field indicates the size of the body. All implementations MUST ..." use it; without it
        // the end of the message cannot be found.
        return {
          kind: 'error',
          failure: { kind: 'missing-content-length', status: 400, reason: 'Missing Content-Length', headerSection: found.stripped() },
        };
      }
      if (found.kind === 'invalid') {
        return {
          kind: 'error',
          failure: { kind: 'invalid-content-length', status: 400, reason: 'Invalid Content-Length', headerSection: found.stripped() },
        };
      }
      if (found.length > this.limits.maxBodyBytes) {
        // RFC 3261 §21.5.14: 513 Message Too Large.
        return {
          kind: 'error',
          failure: { kind: 'body-too-large', status: 513, reason: 'Message Too Large', headerSection: found.stripped() },
        };
      }
      this.expected = headerLength + found.length;
    }
    if (this.buffer.length < this.expected) return undefined;
    // Copy so that the message does not pin the (possibly much larger) receive buffer.
    const data = Buffer.from(this.buffer.subarray(0, this.expected));
    this.consume(this.expected);
    return { kind: 'message', data };
  }

  /**
   * RFC 3261 §7.5: "Implementations processing SIP messages over stream-oriented transports MUST
   * ignore any CRLF appearing before the start-line". RFC 5626 §3.5.1: a CRLFCRLF there is a ping.
   */
  private keepAlive(): 'none' | 'ping' | 'skipped' | 'wait' {
    const b = this.buffer;
    if (b.length === 0) return 'wait';
    if (b[0] !== CR) return 'none';
    if (b.length === 1) return 'wait';
    if (b[1] !== LF) return 'none';
    if (b.length === 2) return 'wait';
    if (b[2] !== CR) {
      this.consume(2);
      return 'skipped';
    }
    if (b.length === 3) return 'wait';
    if (b[3] !== LF) {
      this.consume(2);
      return 'skipped';
    }
    this.consume(4);
    return 'ping';
  }
}

type ContentLengthResult =
  | { kind: 'ok'; length: number; stripped: () => Buffer }
  | { kind: 'missing'; stripped: () => Buffer }
  | { kind: 'invalid'; stripped: () => Buffer };

/**
 * Finds Content-Length (RFC 3261 §20.14, compact form `l` per §7.3.3) in a header section that ends
 * with CRLFCRLF. Folded continuation lines (§7.3.1) belong to the header above them. Several
 * Content-Length fields are accepted only when they agree.
 */
export function readContentLength(header: Buffer): ContentLengthResult {
  const lines: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (let i = 0; i + 1 < header.length; i++) {
    if (header[i] === CR && header[i + 1] === LF) {
      lines.push({ start, end: i + 2 });
      start = i + 2;
      i++;
    }
  }
  let value: number | undefined;
  let invalid = false;
  const kept: Buffer[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    // A field is its line plus any continuation lines that start with whitespace.
    let fieldEnd = index + 1;
    while (fieldEnd < lines.length) {
      const first = header[lines[fieldEnd]!.start];
      if (first !== SP && first !== HT) break;
      fieldEnd++;
    }
    const fieldBytes = header.subarray(line.start, lines[fieldEnd - 1]!.end);
    const isHeaderLine = index > 0 && line.end - line.start > 2;
    const parsed = isHeaderLine ? contentLengthOf(fieldBytes.toString('latin1')) : undefined;
    if (parsed === undefined) {
      kept.push(fieldBytes);
    } else if (parsed === 'invalid') {
      invalid = true;
    } else if (value !== undefined && value !== parsed) {
      invalid = true;
    } else {
      value = parsed;
    }
    index = fieldEnd;
  }
  // The stripped copy is needed only to answer a failure, so it is built on demand.
  const stripped = (): Buffer => Buffer.concat(kept);
  if (invalid) return { kind: 'invalid', stripped };
  if (value === undefined) return { kind: 'missing', stripped };
  return { kind: 'ok', length: value, stripped };
}

/** undefined when the field is not Content-Length; its value or 'invalid' when it is. */
function contentLengthOf(field: string): number | 'invalid' | undefined {
  const colon = field.indexOf(':');
  if (colon < 0) return undefined;
  const name = field.slice(0, colon).trim().toLowerCase();
  if (name !== 'content-length' && name !== 'l') return undefined;
  const raw = field.slice(colon + 1).replace(/\r\n[ \t]+/g, ' ').trim();
  if (!CONTENT_LENGTH_VALUE.test(raw)) return 'invalid';
  return Number(raw);
}
