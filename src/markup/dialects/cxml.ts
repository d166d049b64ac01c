import { baseSipAttributes, seeds, type DialectTable } from './dialect-table.js';

/** SignalWire cXML (LaML). */
export const cxmlDialect: DialectTable = {
  dialect: 'cxml',
  tagCase: { value: 'pascal', seed: seeds.cxml },
  warnOnCase: { value: true, seed: seeds.cxml },
  defaultTransport: { value: 'tls', seed: seeds.cxml }, // "When dialing an SIP endpoint, the transport defaults to TLS"
  statusCallbackEventSeparator: { value: 'space', seed: seeds.cxml }, // "separate each one with a space"
  sipAttributes: { value: [...baseSipAttributes, 'codecs', 'sessionTimeout'], seed: seeds.cxml },
  userlessTargetDialsCalledNumber: { value: false, seed: seeds.cxml },
  repairMismatchedClose: { value: false, seed: seeds.cxml },
  loneSipDials: { value: false, seed: seeds.cxml }, // "we have to nest a <Sip> within a <Dial>"
  nounMixing: { value: 'sip-only', seed: seeds.cxml }, // "You cannot add other nouns in a <Dial> that contains a <Sip>"
  maxNouns: { value: 10, seed: seeds.cxml }, // "You can have up to 10 <Sip>s within a <Dial>"
  recordTrueFalse: { value: false, seed: seeds.cxml }, // its Dial example uses record-from-answer only
};
