/**
 * The outbound INVITE of a `<Sip>` leg, as INTERFACE.md fixes it ("The outbound INVITE of a <Sip>
 * leg"). Pure: the model, the caller's call and the configured regions in, the request out, with the
 * warnings the application should see as notifications.
 */
import type { RegionConfig } from '../../config/index.js';
import type { SipHeader, SipNoun, SipUri } from '../../markup/index.js';
import { apiVersion } from '../webhook-parameters.js';
import type { OutboundLegRequest, RequestUri } from './dial-ports.js';

export interface SipInviteContext {
  accountSid: string;
  /** The CA SID of the new outbound leg. */
  callSid: string;
  /** `<Dial callerId>`. */
  callerId?: string;
  /** The caller's call as the application sees it: From (the caller) and To (the number dialled). */
  caller: { from: string; to: string };
  /** INTERFACE.md `regions`: "SIP-out egress for ;region=NAME on a <Sip> URI; the one marked default is used without it". */
  regions: readonly RegionConfig[];
}

export interface SipInviteBuild {
  request: OutboundLegRequest;
  /** Problems worth a warning notification (Twilio 12200-style): the INVITE goes out regardless. */
  warnings: string[];
}

/** Twilio (seed 003): "If the region parameter is not specified, Twilio will send SIP-out traffic from the North America Virginia region." */
export const fallbackRegionName = 'us1';

export function buildSipInvite(noun: SipNoun, context: SipInviteContext): SipInviteBuild {
  const warnings: string[] = [];
  const requestUri = requestUriOf(noun.uri, context.caller.to);
  const egress = chooseRegion(noun.uri.region, context.regions, warnings);
  const headers: SipHeader[] = [
    // INTERFACE.md: "Headers from the URI's ?name=value&… part: every x- header, User-to-User,
    // Remote-Party-ID, P-Preferred-Identity, P-Called-Party-ID" (markup already dropped the others).
    ...noun.uri.headers.map((header) => ({ ...header })),
    // INTERFACE.md: "X-Twilio-AccountSid, X-Twilio-CallSid (the SID of this outbound leg) and
    // X-Twilio-ApiVersion: 2010-04-01 on every INVITE, so PBX rules written for Twilio traffic keep working".
    { name: 'X-Twilio-AccountSid', value: context.accountSid },
    { name: 'X-Twilio-CallSid', value: context.callSid },
    { name: 'X-Twilio-ApiVersion', value: apiVersion },
  ];
  const request: OutboundLegRequest = {
    callSid: context.callSid,
    requestUri,
    ...(egress.outboundProxy === undefined ? {} : { outboundProxy: egress.outboundProxy }),
    region: egress.name,
    // INTERFACE.md: "From: the callerId (any of letters, digits and +-_.,), else the caller."
    fromUser: escapeUser(context.callerId ?? userOf(context.caller.from)),
    headers,
    // Seed 003: "Send username and password attributes for authentication to your SIP infrastructure".
    ...(noun.username === undefined ? {} : { credentials: { username: noun.username, password: noun.password ?? '' } }),
    // Seed 002 (cXML): sessionTimeout is the "value, in seconds, to use for the SIP Session-Expires
    // header. If 0 or unset, SignalWire will pick the default" (markup leaves 0 unset).
    ...(noun.sessionTimeout === undefined ? {} : { sessionExpires: noun.sessionTimeout }),
    // Seed 002: "Codecs are offered in the order specified."
    codecs: [...noun.codecs],
  };
  return { request, warnings };
}

function requestUriOf(uri: SipUri, dialled: string): RequestUri {
  // Seed 000 (didML): "Call will be sent to dialed_number@sip.example.com".
  const user = uri.userFromCalledNumber ? escapeUser(userOf(dialled)) : uri.user;
  // The transport goes in the URI when written, or when it is not what RFC 3263 would pick for a
  // plain sip: URI (cXML's TLS default: seed 002 "the transport defaults to TLS"); UDP is the wiring's
  // choice through `transport` (seed 003: "By default, Twilio sends your SIP INVITE over UDP").
  const writeTransport = uri.transportExplicit || (uri.scheme === 'sip' && uri.transport !== 'udp');
  let text = `${uri.scheme}:${user === undefined ? '' : `${user}@`}${uri.host}`;
  if (uri.portExplicit) text += `:${uri.port}`;
  if (writeTransport) text += `;transport=${uri.transport}`;
  for (const param of uri.params) text += param.value === undefined ? `;${param.name}` : `;${param.name}=${param.value}`;
  return {
    scheme: uri.scheme,
    ...(user === undefined ? {} : { user }),
    host: uri.host,
    port: uri.port,
    portExplicit: uri.portExplicit,
    transport: uri.transport,
    params: uri.params.map((param) => ({ ...param })),
    text,
  };
}

export function chooseRegion(
  wanted: string | undefined,
  regions: readonly RegionConfig[],
  warnings: string[],
): { name: string; outboundProxy?: string } {
  const fallback = regions.find((region) => region.default) ?? { name: fallbackRegionName };
  if (wanted === undefined) return fallback;
  const chosen = regions.find((region) => region.name === wanted);
  if (chosen !== undefined) return chosen;
  warnings.push(`region '${wanted}' is not configured; the INVITE leaves from the default region '${fallback.name}'`);
  return fallback;
}

/** The user part of how the application sees a party: `sip:alice@host` → `alice`, `+15551230000` as is. */
export function userOf(address: string): string {
  const withoutScheme = address.replace(/^(?:sips?|tel|client):/i, '');
  const at = withoutScheme.indexOf('@');
  const user = at < 0 ? withoutScheme : withoutScheme.slice(0, at);
  return at < 0 ? user.split(';')[0] ?? user : user;
}

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ); anything else is %-escaped.
export function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/%]/g, (char) =>
    [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
