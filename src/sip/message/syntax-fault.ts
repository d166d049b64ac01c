/**
 * The parser's one failure signal. Parsing code throws a SyntaxFault (a plain object, not an Error, so
 * no stack is captured on the hot path for garbage input) and the public entry points catch it and turn
 * it into a result; nothing here escapes to a caller.
 */
export class SyntaxFault {
  constructor(
    /** What is wrong, for the reason phrase: "malformed Via", "missing Call-ID", … */
    readonly detail: string,
    /** SIP status the fault calls for (RFC 3261 §21.4.1 400 unless the RFC names another). */
    readonly status: number = 400,
  ) {}
}

export function fault(detail: string, status = 400): never {
  throw new SyntaxFault(detail, status);
}
