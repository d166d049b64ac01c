import type { Dialect, SipTransport } from '../types.js';

/** The seed documents (../shared/seeds/README.md) each dialect rule is taken from. */
export const seeds = {
  didml: '000_c646f87a476c1a9e.txt (DIDforSale didML <sip>)',
  rcml: '001_102dab4a2b336ada.txt (RestComm RCML Sip)',
  cxml: '002_c09a963d939320ee.txt (SignalWire cXML Sip)',
  twimlOld: '003_82032d54b50008b7.txt (Twilio TwiML <Sip>, older page)',
  twimlCurrent: '004_103d3cce09397f10.txt (Twilio TwiML <Sip>, current page)',
  twilioErrors: 'Twilio error dictionary (13213, 13217), beyond the seeds',
} as const;
export type Seed = (typeof seeds)[keyof typeof seeds];

/** One rule of a dialect and the document that says so. */
export interface Cited<T> {
  value: T;
  seed: Seed;
}

export type NounMixing =
  /** Twilio: mixed nouns with Enhanced Programmable SIP, one <Sip> alone without it. */
  | 'enhanced-sip-account'
  /** Several <Sip> nouns at once, but never with another noun. */
  | 'sip-only';

export interface DialectTable {
  dialect: Dialect;
  /** How the dialect spells its tags; other spellings are read (with 12200 outside didML). */
  tagCase: Cited<'pascal' | 'lower'>;
  /** Whether a spelling other than the canonical one draws a 12200 warning. */
  warnOnCase: Cited<boolean>;
  /** Transport of a <Sip> target without `;transport=`. */
  defaultTransport: Cited<SipTransport>;
  /** What separates statusCallbackEvent values; the other separator is read with a 12200 warning. */
  statusCallbackEventSeparator: Cited<'space' | 'comma'>;
  /** Attributes <Sip> takes in this dialect, beyond none. */
  sipAttributes: Cited<readonly string[]>;
  /** A target without a user dials the called number at that host. */
  userlessTargetDialsCalledNumber: Cited<boolean>;
  /** A closing tag of a known verb that does not match is taken as the close of the open element. */
  repairMismatchedClose: Cited<boolean>;
  /** A <sip> outside <dial> dials it. */
  loneSipDials: Cited<boolean>;
  nounMixing: Cited<NounMixing>;
  /** Most nouns a <Dial> may hold. */
  maxNouns: Cited<number>;
  /** Whether `record="true|false"` is read (as record-from-answer / do-not-record). */
  recordTrueFalse: Cited<boolean>;
}

/** <Sip> attributes of Twilio's older page (003): screening, status callbacks and auth. */
export const baseSipAttributes = [
  'url',
  'method',
  'statusCallbackEvent',
  'statusCallback',
  'statusCallbackMethod',
  'username',
  'password',
] as const;
