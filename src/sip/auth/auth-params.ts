/**
 * The shared grammar of WWW-Authenticate, Proxy-Authenticate, Authorization and Proxy-Authorization
 * values (RFC 3261 §25.1, RFC 7235 §2.1, RFC 2617 §1.2):
 *
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *
 * RFC 7235 §4.1: "User agents are advised to take special care in parsing the field value, as it might
 * contain more than one challenge, and each challenge can contain a comma-separated list of
 * authentication parameters." So a value is read as a sequence: a token not followed by "=" starts a
 * new scheme, a token followed by "=" is a parameter of the current one.
 */
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';

/** One challenge or one set of credentials: scheme, lower-cased parameter names, unquoted values. */
export interface AuthField {
  scheme: string;
  params: Map<string, string>;
  /** RFC 7235 §2.1 token68 form (Basic, Negotiate); never used by Digest. */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

function malformed(value: string, at: number, why: string): DialtoneError {
  return new DialtoneError(ErrorCodes.sipMessageMalformed, `malformed authentication header: ${why}`, { value, at });
}

/**
 * Parses every challenge or credential in one header value. Throws a DialtoneError (sipMessageMalformed)
 * on a syntax error or on a repeated parameter (RFC 7616 §3.3: "Each parameter MUST NOT appear more than
 * once").
 */
export function parseAuthFields(value: string): AuthField[] {
  const fields: AuthField[] = [];
  let current: AuthField | undefined;
  let justStarted = false;
  let i = 0;
  const n = value.length;
  const skipWhitespace = (): void => {
    while (i < n && isWhitespace(value[i])) i++;
  };

  for (;;) {
    while (i < n && (isWhitespace(value[i]) || value[i] === ',')) i++;
    if (i >= n) break;

    // Digest never uses token68, and for it "realm=," must stay an error rather than a token68.
    if (current !== undefined && justStarted && current.scheme.toLowerCase() !== 'digest') {
      TOKEN68.lastIndex = i;
      const match = TOKEN68.exec(value);
      if (match !== null) {
        let after = i + match[0].length;
        while (after < n && isWhitespace(value[after])) after++;
        // A token68 is the whole remainder of the challenge: it ends at a comma or at the end.
        if (after >= n || value[after] === ',') {
          current.token68 = match[0];
          justStarted = false;
          i = after;
          continue;
        }
      }
    }

    const start = i;
    while (i < n && TCHAR.test(value[i] as string)) i++;
    if (i === start) throw malformed(value, i, `unexpected character ${JSON.stringify(value[i])}`);
    const token = value.slice(start, i);
    skipWhitespace();

    if (value[i] !== '=') {
      current = { scheme: token, params: new Map() };
      fields.push(current);
      justStarted = true;
      continue;
    }

    i++; // '='
    skipWhitespace();
    if (current === undefined) throw malformed(value, start, 'parameter before any auth-scheme');
    let paramValue: string;
    if (value[i] === '"') {
      i++;
      let text = '';
      for (;;) {
        if (i >= n) throw malformed(value, i, 'unterminated quoted-string');
        const char = value[i] as string;
        if (char === '"') {
          i++;
          break;
        }
        // RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
        if (char === '\\') {
          if (i + 1 >= n) throw malformed(value, i, 'dangling escape');
          text += value[i + 1];
          i += 2;
          continue;
        }
        text += char;
        i++;
      }
      paramValue = text;
    } else {
      const valueStart = i;
      while (i < n && TCHAR.test(value[i] as string)) i++;
      if (i === valueStart) throw malformed(value, i, `parameter ${token} has no value`);
      paramValue = value.slice(valueStart, i);
    }
    const name = token.toLowerCase();
    if (current.params.has(name)) throw malformed(value, start, `parameter ${name} appears twice`);
    current.params.set(name, paramValue);
    justStarted = false;
    skipWhitespace();
    if (i < n && value[i] !== ',') throw malformed(value, i, 'expected "," between parameters');
  }
  return fields;
}

/** RFC 3261 §25.1 quoted-string, escaping the two characters that need it. */
export function quoteString(text: string): string {
  return `"${text.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}
