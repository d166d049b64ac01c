/**
 * RFC 3261 §20.42 / §25.1: via-parm = sent-protocol LWS sent-by *( SEMI via-params );
 * sent-protocol = protocol-name SLASH protocol-version SLASH transport; sent-by = host [ COLON port ].
 */
import type { Via } from './types.js';
import { DIGIT, isIn } from './char-classes.js';
import { HeaderScanner, formatParams } from './header-scanner.js';
import { formatHost, isIPv4, isIPv6, parseHost } from './host.js';
import { ParamList } from './param-list.js';

/**
 * Scans one via-parm at the cursor, stopping before a COMMA or the end. `progress.via` is set as soon as
 * the sent-by has parsed, so that after a fault in the parameters the caller still knows where a 400
 * must go (RFC 3261 §18.2.2; RFC 4475 §3.1.2.1 asks for that 400).
 */
export function scanVia(scanner: HeaderScanner, progress?: { via?: Via }): Via {
  scanner.skipWs();
  const name = scanner.token('bad protocol name');
  scanner.expect(47 /* / */, 'bad sent-protocol');
  const version = scanner.token('bad protocol version');
  scanner.expect(47, 'bad sent-protocol');
  const transport = scanner.token('bad transport').toUpperCase();
  if (!scanner.skipWs()) scanner.fail('expected LWS before sent-by');
  const hostStart = scanner.pos;
  if (scanner.peek() === 91 /* [ */) {
    const close = scanner.text.indexOf(']', hostStart);
    if (close < 0 || close >= scanner.end) scanner.fail('unterminated IPv6 reference');
    scanner.pos = close + 1;
  } else {
    while (scanner.pos < scanner.end) {
      const c = scanner.text.charCodeAt(scanner.pos);
      if (c === 58 || c === 59 || c === 44 || c === 32 || c === 9) break;
      scanner.pos++;
    }
  }
  const host = parseHost(scanner.text.slice(hostStart, scanner.pos));
  if (host === undefined) scanner.fail('bad sent-by host');
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport, host, params: new ParamList() };
  if (progress !== undefined) progress.via = via;
  if (scanner.separator(58 /* : */)) {
    const portStart = scanner.pos;
    while (scanner.pos < scanner.end && isIn(scanner.text.charCodeAt(scanner.pos), DIGIT)) scanner.pos++;
    const digits = scanner.pos - portStart;
    const port = Number(scanner.text.slice(portStart, scanner.pos));
    if (digits === 0 || digits > 5 || port > 65535) scanner.fail('bad sent-by port');
    via.port = port;
  }
  scanner.params(via.params, true);
  checkViaParams(scanner, via);
  return via;
}

/**
 * RFC 3261 §20.42 / §25.1 via-params: ttl = 1*3DIGIT (0–255); maddr = host; received = IPv4address /
 * IPv6address; RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT]; branch = token. RFC 5118 §4.5: a
 * received IPv6 address in brackets is not the grammar's but robust elements accept it. Returns what is
 * wrong with the parameter, or undefined.
 */
function viaParamProblem(name: string, value: string | null): string | undefined {
  switch (name) {
    case 'ttl':
      return value === null || !/^\d{1,3}$/.test(value) || Number(value) > 255 ? 'bad ttl' : undefined;
    case 'maddr':
      return value === null || parseHost(value) === undefined ? 'bad maddr' : undefined;
    case 'received': {
      const address = value !== null && value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
      return address === null || !(isIPv4(address) || isIPv6(address)) ? 'bad received' : undefined;
    }
    case 'rport':
      return value !== null && (!/^\d{1,5}$/.test(value) || Number(value) > 65535) ? 'bad rport' : undefined;
    case 'branch':
      return value === null ? 'empty branch' : undefined;
    default:
      return undefined;
  }
}

function checkViaParams(scanner: HeaderScanner, via: Via): void {
  for (const [name, value] of via.params) {
    const problem = viaParamProblem(name, value);
    if (problem !== undefined) scanner.fail(problem);
  }
}

/**
 * A Via recovered after a fault (scanVia's `progress`), with only the parameters that are valid, so that
 * the 400 that echoes it is itself well formed.
 */
export function salvageVia(via: Via): Via {
  const params = new ParamList([...via.params].filter(([name, value]) => viaParamProblem(name, value) === undefined));
  return { ...via, params };
}

/** One Via value as written on the wire. */
export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${port}${formatParams(via.params)}`;
}
