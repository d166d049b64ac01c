/**
 * A REST call's `To` as the INVITE it becomes (INTERFACE.md "REST API": "To = a SIP URI, a number via
 * a trunk, or client:name"), with the rules of "The outbound INVITE of a <Sip> leg": the URI is read
 * by the markup's own <Sip> parser (by parsing it as the one noun of a <Dial>, so a REST target and a
 * <Sip> target can never be read differently), and the INVITE is built by `buildSipInvite`, which
 * adds X-Twilio-AccountSid, -CallSid and -ApiVersion. From is the `From` parameter, the credentials
 * SipAuthUsername/SipAuthPassword (a trunk's own when they are absent).
 *
 * A `To` the engine cannot place rejects with a DialtoneError carrying Twilio's code, which the REST
 * API answers 400.
 */
import type { RegionConfig, TrunkConfig } from '../../../config/index.js';
import { DialtoneError } from '../../../kernel/index.js';
import { parseDocument, type SipNoun } from '../../../markup/index.js';
import { buildSipInvite, type OutboundLegRequest } from '../../dial/index.js';

/** Twilio 21211 "Invalid 'To' Phone Number": the code Twilio answers for a `To` it cannot call. */
export const toInvalidCode = 21211;

export interface CallTargetInput {
  accountSid: string;
  callSid: string;
  to: string;
  from: string;
  sipAuthUsername?: string;
  sipAuthPassword?: string;
}

export interface CallTargetContext {
  trunks: readonly TrunkConfig[];
  regions: readonly RegionConfig[];
}

export interface CallTarget {
  request: OutboundLegRequest;
  /** Problems worth a warning notification (an unknown region); the INVITE goes out regardless. */
  warnings: string[];
  /** How the target was reached. */
  via: 'sip-uri' | 'trunk';
}

/** E.164 as Twilio takes it, with the separators people write ("+1 (555) 123-0000"). */
const phoneNumber = /^\+?[0-9]{2,15}$/;

export function callTargetOf(input: CallTargetInput, context: CallTargetContext): CallTarget {
  const to = input.to.trim();
  if (/^client:/i.test(to)) {
    throw new DialtoneError(toInvalidCode, `'To' ${to}: client: targets are not supported until the registrar exists`, { to });
  }
  if (/^sips?:/i.test(to)) return { ...build(to, input, context, undefined), via: 'sip-uri' };
  const number = to.replace(/[\s().-]/g, '');
  if (!phoneNumber.test(number)) {
    throw new DialtoneError(toInvalidCode, `'To' ${to} is neither a SIP URI (sip:…), a phone number nor client:name`, { to });
  }
  const trunk = context.trunks.find((candidate) => candidate.name === 'default') ?? context.trunks[0];
  if (trunk === undefined) {
    throw new DialtoneError(toInvalidCode, `'To' ${to} is a phone number, and no trunk is configured to reach it (config: trunks)`, { to });
  }
  // The trunk's URI with the number as its user part: sip:gateway.example.net;transport=udp → sip:+1555…@gateway….
  const match = /^(sips?:)(?:[^@;?]*@)?(.*)$/i.exec(trunk.uri);
  if (match === null) throw new DialtoneError(toInvalidCode, `trunk '${trunk.name}' has no usable URI`, { trunk: trunk.name });
  const target = `${match[1]}${number}@${match[2]}`;
  return { ...build(target, { ...input, to: number }, context, trunk), via: 'trunk' };
}

function build(uri: string, input: CallTargetInput, context: CallTargetContext, trunk: TrunkConfig | undefined): Omit<CallTarget, 'via'> {
  const noun = sipNounOf(uri);
  const username = input.sipAuthUsername ?? trunk?.username;
  const password = input.sipAuthUsername !== undefined ? input.sipAuthPassword : trunk?.password;
  const withCredentials: SipNoun = {
    ...noun,
    ...(username === undefined ? {} : { username }),
    ...(username === undefined || password === undefined ? {} : { password }),
  };
  const built = buildSipInvite(withCredentials, {
    accountSid: input.accountSid,
    callSid: input.callSid,
    // INTERFACE.md: "From = the From parameter" (buildSipInvite takes its user part).
    caller: { from: input.from, to: input.to },
    regions: context.regions,
  });
  return { request: built.request, warnings: built.warnings };
}

/** Reads `uri` exactly as a `<Sip>` noun in a TwiML document is read. */
function sipNounOf(uri: string): SipNoun {
  const parsed = parseDocument(`<Response><Dial><Sip>${escapeXml(uri)}</Sip></Dial></Response>`, { dialect: 'twiml', enhancedSip: true });
  const problem = parsed.problems.find((candidate) => candidate.severity === 'error');
  const verb = parsed.document?.verbs[0];
  const noun = verb?.verb === 'dial' ? verb.nouns[0] : undefined;
  if (problem !== undefined || noun === undefined || noun.noun !== 'sip') {
    throw new DialtoneError(toInvalidCode, `'To' ${uri} is not a usable SIP URI: ${problem?.message ?? 'unreadable'}`, { to: uri });
  }
  return noun;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char);
}
