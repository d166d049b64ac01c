/**
 * Reading a header by name, whichever spelling (RFC 3261 §7.3.1: names are case-insensitive; §7.3.3:
 * compact forms are equivalent), whether it lives in a typed field or in `headers`.
 */
import type { SipMessage } from './types.js';
import { lookupHeaderName } from './header-names.js';
import { formatNameAddr } from './name-addr.js';
import { formatVia } from './via.js';

/** Every value of the header, in order; a list header gives one entry per element. */
export function getHeaders(message: SipMessage, name: string): string[] {
  const key = lookupHeaderName(name).key;
  switch (key) {
    case 'via':
      return message.via.map(formatVia);
    case 'from':
      return [formatNameAddr(message.from)];
    case 'to':
      return [formatNameAddr(message.to)];
    case 'call-id':
      return [message.callId];
    case 'cseq':
      return [`${message.cseq.seq} ${message.cseq.method}`];
    case 'max-forwards':
      return message.maxForwards === undefined ? [] : [String(message.maxForwards)];
    case 'contact':
      return (message.contact ?? []).map((contact) => (contact === '*' ? '*' : formatNameAddr(contact)));
    case 'route':
      return (message.route ?? []).map(formatNameAddr);
    case 'record-route':
      return (message.recordRoute ?? []).map(formatNameAddr);
    case 'content-type':
      return message.contentType === undefined ? [] : [message.contentType];
    case 'content-length':
      // Derived from the body, as serializeMessage writes it.
      return [String(message.body.length)];
    default: {
      const values: string[] = [];
      for (const header of message.headers) {
        if (header.name === name || lookupHeaderName(header.name).key === key) values.push(header.value);
      }
      return values;
    }
  }
}

/**
 * The elements of a list header's values (RFC 3261 §7.3.1), trimmed: the parser gives one field per
 * element, but a message built in memory, or a caller's list of values, may hold "a, b" in one field,
 * which means the same. An empty value stays an empty element (an empty Accept means something).
 */
export function listElements(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(',').map((element) => element.trim()));
}

/** listElements of every value of the header. */
export function getListValues(message: SipMessage, name: string): string[] {
  return listElements(getHeaders(message, name));
}

/** The first value of the header, or undefined when absent. */
export function getHeader(message: SipMessage, name: string): string | undefined {
  return getHeaders(message, name)[0];
}
