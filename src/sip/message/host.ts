/**
 * Hosts: RFC 3261 §25.1 `host = hostname / IPv4address / IPv6reference`, with RFC 5118's notes on IPv6.
 */
import { ALNUM, DIGIT, HEXDIG, isIn } from './char-classes.js';

/** RFC 3261 §25.1: IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each 0–255. */
export function isIPv4(text: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (isIn(c, DIGIT)) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
    } else {
      return false;
    }
  }
  return parts === 4;
}

/**
 * RFC 3261 §25.1 IPv6address (the RFC 4291 §2.2 text forms). RFC 5118 §4.10: RFC 3261's ABNF also
 * admits a third colon before an embedded IPv4 address ("2001:db8:::192.0.2.1"); by the robustness
 * principle that form is tolerated too.
 */
export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 64) return false;
  let address = text;
  const triple = address.indexOf(':::');
  if (triple >= 0) {
    // RFC 5118 §4.10: only hexpart "::" ":" IPv4address is the ABNF's (buggy) extra form.
    if (!isIPv4(address.slice(triple + 3))) return false;
    address = address.slice(0, triple + 2) + address.slice(triple + 3);
  }
  const gap = address.indexOf('::');
  if (gap >= 0 && address.indexOf('::', gap + 1) >= 0) return false;
  const head = gap >= 0 ? address.slice(0, gap) : address;
  const tail = gap >= 0 ? address.slice(gap + 2) : '';
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  let count = 0;
  for (const [index, group] of [...headGroups, ...tailGroups].entries()) {
    const last = index === headGroups.length + tailGroups.length - 1;
    if (last && group.includes('.')) {
      // An embedded IPv4 address counts as two groups and only at the end.
      if (!isIPv4(group) || (gap >= 0 && tailGroups.length === 0)) return false;
      count += 2;
      continue;
    }
    if (group.length < 1 || group.length > 4) return false;
    for (let i = 0; i < group.length; i++) if (!isIn(group.charCodeAt(i), HEXDIG)) return false;
    count++;
  }
  return gap >= 0 ? count <= 7 : count === 8;
}

/**
 * RFC 3261 §25.1: hostname = *( domainlabel "." ) toplabel [ "." ];
 * domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum; toplabel starts with ALPHA.
 */
export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 255) return false;
  const end = text.endsWith('.') ? text.length - 1 : text.length;
  let labelStart = 0;
  let lastLabelStart = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (i === labelStart) return false;
      if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return false;
      lastLabelStart = labelStart;
      labelStart = i + 1;
    } else if (c !== 45 && !isIn(c, ALNUM)) {
      return false;
    }
  }
  const first = text.charCodeAt(lastLabelStart);
  return (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
}

/**
 * Validates a host as written in a URI or Via (IPv6 in brackets) and returns it as the model keeps it:
 * lower-cased, IPv6 without brackets. undefined when it is not a host.
 */
export function parseHost(text: string): string | undefined {
  if (text.charCodeAt(0) === 91 /* [ */) {
    if (text.charCodeAt(text.length - 1) !== 93) return undefined;
    const inner = text.slice(1, -1);
    return isIPv6(inner) ? inner.toLowerCase() : undefined;
  }
  if (isIPv4(text)) return text;
  return isHostname(text) ? text.toLowerCase() : undefined;
}

/**
 * A host as written on the wire: RFC 3261 §25.1 IPv6reference = "[" IPv6address "]". A host set by the
 * application is not trusted to be clean: characters no host can contain (which could end the header
 * line or the URI) are left out.
 */
export function formatHost(host: string): string {
  let clean = host;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (!(c === 45 || c === 46 || c === 58 || isIn(c, ALNUM))) {
      clean = host.replace(/[^0-9A-Za-z.:-]/g, '');
      break;
    }
  }
  return clean.includes(':') ? `[${clean}]` : clean;
}
