/**
 * markup: voice documents of four dialects (TwiML, cXML, RCML, didML) into one typed model.
 * Pure: no I/O, no clock. The only entry other modules import.
 */
export { parseDocument, type ParseOptions, type ParseResult } from './parse-document.js';
export { formatDocument, toJson } from './format-document.js';
export { dialectTables, seeds, type DialectTable, type Cited, type NounMixing } from './dialects/index.js';
export { defaultXmlLimits, type XmlLimits } from './xml/xml-tree.js';
export { maxSipUriLength, maxSipHeadersLength, standardSipHeaders } from './sip-uri.js';
export {
  callProgressEvents,
  dialectNames,
  sipCodecs,
  type CallProgressEvent,
  type ClientNoun,
  type ConferenceBeep,
  type ConferenceNoun,
  type Dial,
  type Dialect,
  type DialNoun,
  type DialRecord,
  type Enqueue,
  type Gather,
  type GatherInput,
  type Hangup,
  type HttpMethod,
  type Leave,
  type MachineDetection,
  type NumberNoun,
  type Pause,
  type Play,
  type Problem,
  type QueueNoun,
  type RecordVerb,
  type RecordingStatusEvent,
  type RecordingTrack,
  type Redirect,
  type Reject,
  type Say,
  type Severity,
  type SipCodec,
  type SipHeader,
  type SipNoun,
  type SipTransport,
  type SipUri,
  type SipUriParameter,
  type Trim,
  type Verb,
  type VoiceDocument,
} from './types.js';
