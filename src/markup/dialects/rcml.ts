import { baseSipAttributes, seeds, type DialectTable } from './dialect-table.js';

/** RestComm RCML. */
export const rcmlDialect: DialectTable = {
  dialect: 'rcml',
  tagCase: { value: 'pascal', seed: seeds.rcml },
  warnOnCase: { value: true, seed: seeds.rcml },
  defaultTransport: { value: 'udp', seed: seeds.rcml }, // "By default, CallAPI sends your SIP INVITE over UDP"
  statusCallbackEventSeparator: { value: 'comma', seed: seeds.rcml }, // "separate them with a comma"
  sipAttributes: { value: [...baseSipAttributes, 'name'], seed: seeds.rcml },
  userlessTargetDialsCalledNumber: { value: false, seed: seeds.rcml },
  repairMismatchedClose: { value: false, seed: seeds.rcml },
  loneSipDials: { value: false, seed: seeds.rcml },
  // "You can use multiple <Sip> nouns within a <Dial> verb to simultaneously attempt a connection" and
  // "you cannot add any other nouns (eg Number, Client) in the same Dial as the SIP".
  nounMixing: { value: 'sip-only', seed: seeds.rcml },
  maxNouns: { value: 10, seed: seeds.twimlCurrent }, // RCML names no limit; Twilio's ten bounds the fan-out
  recordTrueFalse: { value: true, seed: seeds.twilioErrors },
};
