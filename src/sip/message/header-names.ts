/**
 * Header field names: compact forms, canonical spelling, and which headers are comma-separated lists.
 */

/**
 * RFC 3261 §7.3.3 and §20: compact forms; RFC 3265 §7.2 (o, u), RFC 3515 §2.1 (r), RFC 3892 §3 (b),
 * RFC 4028 §4 (x), RFC 3841 §9 (a, j, d), RFC 4474 §9 (y, n).
 */
const compactForms: ReadonlyMap<string, string> = new Map([
  ['i', 'Call-ID'],
  ['m', 'Contact'],
  ['e', 'Content-Encoding'],
  ['l', 'Content-Length'],
  ['c', 'Content-Type'],
  ['f', 'From'],
  ['s', 'Subject'],
  ['k', 'Supported'],
  ['t', 'To'],
  ['v', 'Via'],
  ['o', 'Event'],
  ['u', 'Allow-Events'],
  ['r', 'Refer-To'],
  ['b', 'Referred-By'],
  ['x', 'Session-Expires'],
  ['a', 'Accept-Contact'],
  ['j', 'Reject-Contact'],
  ['d', 'Request-Disposition'],
  ['y', 'Identity'],
  ['n', 'Identity-Info'],
]);

/** Conventional spelling of the long names, keyed by lower case. */
const canonicalNames: ReadonlyMap<string, string> = new Map(
  [
    'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
    'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
    'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
    'Event', 'Expires', 'From', 'History-Info', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards',
    'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity',
    'Path', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck',
    'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To',
    'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq', 'Security-Client', 'Security-Server',
    'Security-Verify', 'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject',
    'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning',
    'WWW-Authenticate', 'Diversion', 'Recv-Info', 'Info-Package', 'Geolocation', 'Geolocation-Routing',
    'Target-Dialog', 'Join', 'Refer-Sub', 'Max-Breadth', 'Resource-Priority', 'Accept-Resource-Priority',
  ].map((name) => [name.toLowerCase(), name]),
);

/**
 * RFC 3261 §7.3.1: a header may be split over several lines or joined with commas only where its grammar
 * is a comma-separated list. Those are split into one field per element; every other header (the
 * authentication headers, Date, Subject, unknown extension headers, …) stays one opaque value.
 */
const listHeaders: ReadonlySet<string> = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'accept-resource-priority', 'alert-info',
  'allow', 'allow-events', 'call-info', 'contact', 'content-encoding', 'content-language', 'error-info',
  'history-info', 'in-reply-to', 'p-asserted-identity', 'p-preferred-identity', 'path', 'proxy-require',
  'reason', 'record-route', 'recv-info', 'reject-contact', 'request-disposition', 'require',
  'resource-priority', 'route', 'security-client', 'security-server', 'security-verify', 'service-route',
  'supported', 'unsupported', 'via', 'warning', 'diversion', 'geolocation',
]);

/** What the parser needs to know of one header name. */
export interface HeaderNameInfo {
  /** Canonical long name (conventional case); the name as written when unknown. */
  canonical: string;
  /** Lower-case canonical name, for comparisons. */
  key: string;
  /** RFC 3261 §7.3.1: its grammar is a comma-separated list. */
  list: boolean;
}

function info(canonical: string): HeaderNameInfo {
  const key = canonical.toLowerCase();
  return { canonical, key, list: listHeaders.has(key) };
}

/**
 * Every known spelling → its info: lower-case long and compact names, and the canonical spellings
 * themselves, so that the usual case hits without lower-casing.
 */
const knownNames: ReadonlyMap<string, HeaderNameInfo> = (() => {
  const map = new Map<string, HeaderNameInfo>();
  for (const canonical of canonicalNames.values()) {
    const entry = info(canonical);
    map.set(canonical, entry).set(entry.key, entry);
  }
  for (const [compact, long] of compactForms) map.set(compact, map.get(long.toLowerCase()) ?? info(long));
  return map;
})();

/** Name information for a header name as written (case-insensitive, compact forms expanded). */
export function lookupHeaderName(name: string): HeaderNameInfo {
  return knownNames.get(name) ?? knownNames.get(name.toLowerCase()) ?? info(name);
}

/** Canonical long name for a header name as written (case-insensitive, compact forms expanded). */
export function canonicalHeaderName(name: string): string {
  return lookupHeaderName(name).canonical;
}
