import { baseSipAttributes, seeds, type DialectTable } from './dialect-table.js';

/** Twilio TwiML. Where the two Twilio pages disagree (header names, noun mixing), the current page (004) decides. */
export const twimlDialect: DialectTable = {
  dialect: 'twiml',
  tagCase: { value: 'pascal', seed: seeds.twimlCurrent },
  warnOnCase: { value: true, seed: seeds.twimlCurrent },
  defaultTransport: { value: 'udp', seed: seeds.twimlCurrent }, // "By default, Twilio sends your SIP INVITE over UDP"
  statusCallbackEventSeparator: { value: 'space', seed: seeds.twimlCurrent }, // "separate them with a space"
  sipAttributes: {
    value: [
      ...baseSipAttributes,
      'machineDetection',
      'machineDetectionTimeout',
      'machineDetectionSpeechThreshold',
      'machineDetectionSpeechEndThreshold',
      'machineDetectionSilenceTimeout',
      'amdStatusCallback',
      'amdStatusCallbackMethod',
    ],
    seed: seeds.twimlCurrent,
  },
  userlessTargetDialsCalledNumber: { value: false, seed: seeds.twimlCurrent },
  repairMismatchedClose: { value: false, seed: seeds.twimlCurrent },
  loneSipDials: { value: false, seed: seeds.twimlCurrent }, // "use the <Sip> noun within the <Dial> verb"
  nounMixing: { value: 'enhanced-sip-account', seed: seeds.twimlCurrent },
  maxNouns: { value: 10, seed: seeds.twimlCurrent }, // "mix up to ten different <Sip>, <Number>, or <Client> nouns"
  recordTrueFalse: { value: true, seed: seeds.twilioErrors }, // 13217: record must be "true" or "false"
};
