import { isIPv4, isIPv6 } from 'node:net';
import { ErrorCodes } from '../kernel/index.js';
import type { Place, ProblemList } from './problem-list.js';
import type { SipHeader, SipTransport, SipUri, SipUriParameter } from './types.js';

/** Twilio: "the SIP URI itself must be under 255 chars, the headers must be under 1024 characters". */
export const maxSipUriLength = 254;
export const maxSipHeadersLength = 1023;

/** Headers the current Twilio page (004) lets through without an `x-` prefix. */
export const standardSipHeaders: readonly string[] = ['User-to-User', 'Remote-Party-ID', 'P-Preferred-Identity', 'P-Called-Party-ID'];

export interface SipTargetOptions {
  defaultTransport: SipTransport;
  userlessDialsCalledNumber: boolean;
}

// RFC 3261 §25.1 character classes.
const unreserved = "A-Za-z0-9\\-_.!~*'()";
const escaped = '%[0-9A-Fa-f]{2}';
const userPattern = new RegExp(`^(?:[${unreserved}&=+$,;?/]|${escaped})+$`);
const passwordPattern = new RegExp(`^(?:[${unreserved}&=+$,]|${escaped})*$`);
const paramPattern = new RegExp(`^(?:[${unreserved}\\[\\]/:&+$]|${escaped})+$`);
const headerPartPattern = new RegExp(`^(?:[${unreserved}\\[\\]/?:+$]|${escaped})*$`);
const hostnamePattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
/** RFC 3261 §25.1 `token`, the form of a header name. */
const tokenPattern = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Reads a `<Sip>` target: a sip/sips URI (RFC 3261 §19.1.1), or the scheme-less `user@host` the Twilio
 * pages use (read as `sip:`). Unparsable targets are 13243; headers not allowed are dropped with a warning.
 */
export function parseSipTarget(raw: string, options: SipTargetOptions, place: Place, problems: ProblemList): SipUri | undefined {
  const invalid = (why: string): undefined => {
    problems.error(ErrorCodes.sipInvalidUri, place, `invalid SIP URI '${clip(raw)}': ${why}`);
    return undefined;
  };
  if (raw.length === 0) return invalid('the <Sip> noun is empty');
  const question = raw.indexOf('?');
  const beforeHeaders = question < 0 ? raw : raw.slice(0, question);
  const headerText = question < 0 ? undefined : raw.slice(question + 1);
  if (beforeHeaders.length > maxSipUriLength) return invalid(`the URI must be under 255 characters (it has ${beforeHeaders.length})`);

  let scheme: 'sip' | 'sips' = 'sip';
  let rest = beforeHeaders;
  const schemeMatch = /^(sips?):/i.exec(rest);
  if (schemeMatch?.[1] !== undefined) {
    scheme = schemeMatch[1].toLowerCase() === 'sips' ? 'sips' : 'sip';
    rest = rest.slice(schemeMatch[0].length);
  }

  let user: string | undefined;
  let userPassword: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) userPassword = userinfo.slice(colon + 1);
    if (!userPattern.test(user)) return invalid(`the user part '${clip(user)}' has characters RFC 3261 does not allow`);
    if (userPassword !== undefined && !passwordPattern.test(userPassword)) return invalid('the password part has characters RFC 3261 does not allow');
  }

  const semicolon = rest.indexOf(';');
  const hostport = semicolon < 0 ? rest : rest.slice(0, semicolon);
  const paramText = semicolon < 0 ? undefined : rest.slice(semicolon + 1);
  const hostPort = splitHostPort(hostport);
  if (hostPort === undefined) return invalid(`'${clip(hostport)}' is not a host with an optional port`);
  const { host, port } = hostPort;

  let transport: SipTransport | undefined;
  let region: string | undefined;
  const params: SipUriParameter[] = [];
  if (paramText !== undefined) {
    for (const param of paramText.split(';')) {
      const eq = param.indexOf('=');
      const rawName = eq < 0 ? param : param.slice(0, eq);
      const rawValue = eq < 0 ? undefined : param.slice(eq + 1);
      if (!paramPattern.test(rawName) || (rawValue !== undefined && !paramPattern.test(rawValue))) {
        return invalid(`the parameter ';${clip(param)}' is not a valid URI parameter`);
      }
      const name = percentDecode(rawName);
      const value = rawValue === undefined ? undefined : percentDecode(rawValue);
      if (name === undefined || (rawValue !== undefined && value === undefined)) return invalid(`the parameter ';${clip(param)}' has a bad %-escape`);
      const lower = name.toLowerCase();
      if (lower === 'transport') {
        const chosen = value?.toLowerCase();
        if (chosen !== 'udp' && chosen !== 'tcp' && chosen !== 'tls') return invalid(`transport must be udp, tcp or tls, not '${clip(value ?? '')}'`);
        if (transport !== undefined) return invalid('transport is given twice');
        transport = chosen;
      } else if (lower === 'region') {
        if (value === undefined || value.length === 0) return invalid('region needs a value, e.g. ;region=ie1');
        region = value;
      } else {
        params.push(value === undefined ? { name } : { name, value });
      }
    }
  }
  if (scheme === 'sips' && transport === 'udp') return invalid('a sips: URI cannot use transport=udp');

  const headers: SipHeader[] = [];
  if (headerText !== undefined) {
    if (headerText.length > maxSipHeadersLength) {
      problems.warning(ErrorCodes.sipHeadersTooLong, place, `the headers after '?' must be under 1024 characters (they have ${headerText.length}); none are sent`);
    } else {
      for (const part of headerText.split('&')) {
        const header = parseHeader(part, place, problems);
        if (header === 'invalid') return invalid(`the header '${clip(part)}' has characters RFC 3261 does not allow`);
        if (header !== undefined) headers.push(header);
      }
    }
  }

  const effective: SipTransport = transport ?? (scheme === 'sips' ? 'tls' : options.defaultTransport);
  const userless = user === undefined || user.length === 0;
  return {
    raw,
    scheme,
    ...(userless ? {} : { user }),
    ...(userPassword === undefined ? {} : { userPassword }),
    userFromCalledNumber: userless && options.userlessDialsCalledNumber,
    host,
    // RFC 3261 §19.1.2 defaults; TLS (and sips) on 5061 unless a port is given.
    port: port ?? (effective === 'tls' ? 5061 : 5060),
    portExplicit: port !== undefined,
    transport: effective === 'tcp' && scheme === 'sips' ? 'tls' : effective,
    transportExplicit: transport !== undefined,
    ...(region === undefined ? {} : { region }),
    params,
    headers,
  };
}

function splitHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(0, close + 1);
    if (!isIPv6(host.slice(1, -1))) return undefined;
    const after = text.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) return undefined;
      portText = after.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    const dotted = /^[0-9.]+$/.test(host);
    if (dotted ? !isIPv4(host) : !hostnamePattern.test(host)) return undefined;
  }
  if (portText === undefined) return { host };
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * One `name=value` of the header part. The current Twilio page (004) writes `x-foo%3Dbar` with the
 * '=' escaped, so a header without a literal '=' is split at its first decoded '='.
 */
function parseHeader(part: string, place: Place, problems: ProblemList): SipHeader | undefined | 'invalid' {
  if (part.length === 0) return undefined;
  const eq = part.indexOf('=');
  const rawName = eq < 0 ? part : part.slice(0, eq);
  const rawValue = eq < 0 ? '' : part.slice(eq + 1);
  if (rawName.length === 0 || !headerPartPattern.test(rawName) || !headerPartPattern.test(rawValue)) return 'invalid';
  let name = percentDecode(rawName);
  let value = percentDecode(rawValue);
  if (name === undefined || value === undefined) return 'invalid';
  if (eq < 0) {
    const decodedEq = name.indexOf('=');
    if (decodedEq >= 0) {
      value = name.slice(decodedEq + 1);
      name = name.slice(0, decodedEq);
    }
  }
  if (!tokenPattern.test(name)) {
    problems.warning(ErrorCodes.sipInvalidHeaderName, place, `header name '${clip(name)}' is not a SIP token; it is not sent`);
    return undefined;
  }
  const lower = name.toLowerCase();
  if (lower.startsWith('x-twilio')) {
    problems.warning(ErrorCodes.sipReservedHeader, place, `header '${clip(name)}' may not start with X-Twilio; it is not sent`);
    return undefined;
  }
  if (!lower.startsWith('x-') && !standardSipHeaders.some((allowed) => allowed.toLowerCase() === lower)) {
    problems.warning(
      ErrorCodes.sipInvalidHeaderName,
      place,
      `header '${clip(name)}' is not sent: use an x- prefix, or one of ${standardSipHeaders.join(', ')}`,
    );
    return undefined;
  }
  // A decoded CR, LF or other control character would let a value write its own SIP header lines.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    problems.warning(ErrorCodes.sipInvalidHeaderValue, place, `header '${clip(name)}' has a control character in its value; it is not sent`);
    return undefined;
  }
  return { name, value };
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
