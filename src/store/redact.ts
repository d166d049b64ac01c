/**
 * Keeps SIP authentication passwords out of everything the store writes. Passwords reach the engine
 * in markup (`<Sip password="…">`), in REST parameters (`SipAuthPassword`), in configuration
 * (`password:`) and inside URIs (`sip:user:pass@host`); any of these can end up in a notification's
 * request variables or response body, or in a callback's parameters. The repositories pass every
 * free-text and parameter value through these functions before it reaches the database.
 */
export const redactedMark = '[redacted]';

// Any name ending in "password", whatever its case or prefix: password, Password, SipAuthPassword,
// sip_auth_password, x-password.
const passwordName = '[A-Za-z0-9_.-]*password';
const passwordKey = /password$/i;

type Rule = { pattern: RegExp; replace: (...groups: string[]) => string };

/** The rules for a name ending in "password"; none can match a text without that word. */
const namedPasswordRules: readonly Rule[] = [
  // Markup and other XML attributes: password="…" or password='…'.
  {
    pattern: new RegExp(`\\b(${passwordName}\\s*=\\s*)(?:"[^"]*"|'[^']*')`, 'gi'),
    replace: (_match, name) => `${name}"${redactedMark}"`,
  },
  // JSON: "SipAuthPassword": "…".
  {
    pattern: new RegExp(`("${passwordName}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'),
    replace: (_match, name) => `${name}"${redactedMark}"`,
  },
  // YAML / log lines / headers: password: value.
  {
    pattern: new RegExp(`(^|[\\s{,])(${passwordName}\\s*:[ \\t]*)(?!["\\s])[^\\s,}]+`, 'gim'),
    replace: (_match, lead, name) => `${lead}${name}${redactedMark}`,
  },
  // Form and query strings, URI parameters: SipAuthPassword=…&, ;password=…
  {
    pattern: new RegExp(`(^|[?&;\\s])(${passwordName}=)(?!["'])[^&;\\s]*`, 'gim'),
    replace: (_match, lead, name) => `${lead}${name}${redactedMark}`,
  },
];

// URI userinfo (RFC 3261 §19.1.1, RFC 3986 §3.2.1): sip:user:password@host, http://user:pass@host.
// The user part excludes ':' and '@', so sip:alice@host:5060 (a port, no password) is left alone.
const userinfoRule: Rule = {
  pattern: /\b((?:sips?|https?|wss?|tel|[a-z][a-z0-9+.-]*):(?:\/\/)?[^\s:@/;?<>"']+):([^\s@/<>"']+)@/gi,
  replace: (_match, userPart) => `${userPart}:${redactedMark}@`,
};

const passwordWord = /password/i;

/** Returns `text` with every password it can recognise replaced by `[redacted]`. */
export function redactText(text: string): string {
  // Every value the store writes comes through here, and most (call parameters, plain URIs) hold
  // neither the word nor an '@': those skip the scans that cannot match them.
  const named = passwordWord.test(text);
  const userinfo = text.includes('@');
  if (!named && !userinfo) return text;
  let result = text;
  if (named) for (const rule of namedPasswordRules) result = apply(rule, result);
  if (userinfo) result = apply(userinfoRule, result);
  return result;
}

function apply(rule: Rule, text: string): string {
  return text.replace(rule.pattern, rule.replace as (substring: string, ...args: string[]) => string);
}

/** `redactText` for optional values, so callers need not branch on null. */
export function redactOptional<T extends string | null | undefined>(text: T): T {
  return (typeof text === 'string' ? redactText(text) : text) as T;
}

/**
 * A copy of `params` in which any key named like a password has its value replaced, and every string
 * value (at any depth) is passed through `redactText`.
 */
export function redactParams<T extends Record<string, unknown>>(params: T): T {
  return redactValue(params) as T;
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      copy[key] = passwordKey.test(key) && inner !== null && inner !== undefined && inner !== '' ? redactedMark : redactValue(inner);
    }
    return copy;
  }
  return value;
}
