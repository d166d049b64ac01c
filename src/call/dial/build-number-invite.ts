/**
 * The outbound INVITE of a `<Number>` leg: INTERFACE.md's `trunks` ("where <Number> goes"). The
 * Request-URI is the trunk's URI with the number as its user part; transport, port and URI parameters
 * come from the trunk, and so do the digest credentials. Pure, like buildSipInvite.
 */
import type { RegionConfig, TrunkConfig } from '../../config/index.js';
import type { NumberNoun, SipTransport, SipUriParameter } from '../../markup/index.js';
import { apiVersion } from '../webhook-parameters.js';
import { chooseRegion, escapeUser, userOf, type SipInviteBuild } from './build-sip-invite.js';
import type { OutboundLegRequest, RequestUri } from './dial-ports.js';

export interface NumberInviteContext {
  accountSid: string;
  /** The CA SID of the new outbound leg. */
  callSid: string;
  /** `<Dial callerId>`. */
  callerId?: string;
  caller: { from: string; to: string };
  trunk: TrunkConfig;
  /** The default region's egress (its outbound proxy) is used: a trunk URI has no `;region`. */
  regions: readonly RegionConfig[];
}

/** Why a trunk URI cannot carry a call; the <Number> is then skipped with an error notification. */
export interface NumberInviteProblem {
  problem: string;
}

/**
 * The number as it goes in the Request-URI: E.164 as written, digits kept (the leading `+` stays,
 * the separators `-`, `(`, `)`, `.` and spaces that markup accepts go).
 */
export function dialledNumber(number: string): string {
  const trimmed = number.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

export function buildNumberInvite(noun: NumberNoun, context: NumberInviteContext): SipInviteBuild | NumberInviteProblem {
  const trunkUri = parseTrunkUri(context.trunk.uri);
  if (typeof trunkUri === 'string') return { problem: `trunk '${context.trunk.name}' has an unusable uri '${context.trunk.uri}': ${trunkUri}` };
  const warnings: string[] = [];
  const user = escapeUser(dialledNumber(noun.number));
  let text = `${trunkUri.scheme}:${user}@${trunkUri.host}`;
  if (trunkUri.portExplicit) text += `:${trunkUri.port}`;
  if (trunkUri.transportExplicit) text += `;transport=${trunkUri.transport}`;
  for (const param of trunkUri.params) text += param.value === undefined ? `;${param.name}` : `;${param.name}=${param.value}`;
  const requestUri: RequestUri = {
    scheme: trunkUri.scheme,
    user,
    host: trunkUri.host,
    port: trunkUri.port,
    portExplicit: trunkUri.portExplicit,
    transport: trunkUri.transport,
    params: trunkUri.params.map((param) => ({ ...param })),
    text,
  };
  const egress = chooseRegion(undefined, context.regions, warnings);
  const { username, password } = context.trunk;
  const request: OutboundLegRequest = {
    callSid: context.callSid,
    requestUri,
    ...(egress.outboundProxy === undefined ? {} : { outboundProxy: egress.outboundProxy }),
    region: egress.name,
    fromUser: escapeUser(context.callerId ?? userOf(context.caller.from)),
    // The same X-Twilio-* headers as a <Sip> leg (INTERFACE.md: "on every INVITE").
    headers: [
      { name: 'X-Twilio-AccountSid', value: context.accountSid },
      { name: 'X-Twilio-CallSid', value: context.callSid },
      { name: 'X-Twilio-ApiVersion', value: apiVersion },
    ],
    // INTERFACE.md trunks: "username", "password": the trunk's digest credentials.
    ...(username === undefined ? {} : { credentials: { username, password: password ?? '' } }),
    codecs: [],
  };
  return { request, warnings };
}

interface TrunkUri {
  scheme: 'sip' | 'sips';
  host: string;
  port: number;
  portExplicit: boolean;
  transport: SipTransport;
  transportExplicit: boolean;
  params: SipUriParameter[];
}

/** RFC 3261 §19.1.1 `sip:[user@]host[:port][;params]`; the user part and any `?headers` are not used. */
function parseTrunkUri(uri: string): TrunkUri | string {
  const match = /^(sips?):(?:[^@;?]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(uri.trim());
  if (match === null) return 'not a sip: or sips: URI with a host';
  const scheme = match[1]!.toLowerCase() === 'sips' ? 'sips' : 'sip';
  const host = match[2]!;
  let transport: SipTransport | undefined;
  const params: SipUriParameter[] = [];
  for (const part of (match[4] ?? '').split(';')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? undefined : part.slice(eq + 1);
    if (name.toLowerCase() === 'transport') {
      const chosen = value?.toLowerCase();
      if (chosen !== 'udp' && chosen !== 'tcp' && chosen !== 'tls') return `transport must be udp, tcp or tls, not '${value ?? ''}'`;
      transport = chosen;
    } else {
      params.push(value === undefined ? { name } : { name, value });
    }
  }
  if (scheme === 'sips' && transport === 'udp') return 'a sips: URI cannot use transport=udp';
  const effective: SipTransport = transport ?? (scheme === 'sips' ? 'tls' : 'udp');
  const portText = match[3];
  const port = portText === undefined ? (effective === 'tls' ? 5061 : 5060) : Number(portText);
  if (port < 1 || port > 65535) return `port ${port} is out of range`;
  return { scheme, host, port, portExplicit: portText !== undefined, transport: effective, transportExplicit: transport !== undefined, params };
}
