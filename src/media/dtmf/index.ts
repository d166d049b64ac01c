export {
  type DtmfDigit,
  type DetectedDigit,
  DTMF_DIGITS,
  DTMF_ROW_FREQUENCIES,
  DTMF_COLUMN_FREQUENCIES,
  dtmfEventCode,
  dtmfDigitOfEvent,
  dtmfFrequencies,
} from './dtmf-digits.js';
export {
  type TelephoneEvent,
  TELEPHONE_EVENT_PAYLOAD_BYTES,
  encodeTelephoneEvent,
  decodeTelephoneEvent,
} from './telephone-event.js';
export { type TelephoneEventReceiverOptions, TelephoneEventReceiver } from './telephone-event-receiver.js';
export {
  type TelephoneEventPacket,
  type TelephoneEventSequenceOptions,
  buildTelephoneEventPackets,
} from './telephone-event-sender.js';
export { goertzelCoefficient, goertzelPower } from './goertzel.js';
export { type InbandDtmfDetectorOptions, InbandDtmfDetector } from './inband-dtmf-detector.js';
export { type DtmfToneOptions, DBM0_AMPLITUDE, writeDtmfTone, generateDtmfSequence } from './dtmf-tone-generator.js';
