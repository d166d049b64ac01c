import { seeds, type DialectTable } from './dialect-table.js';

/** DIDforSale didML: lower-case tags, no <sip> attributes, and the repairs its own examples need. */
export const didmlDialect: DialectTable = {
  dialect: 'didml',
  tagCase: { value: 'lower', seed: seeds.didml }, // "<dial><sip>"
  warnOnCase: { value: false, seed: seeds.didml }, // its examples mix <Response> with <dial>
  defaultTransport: { value: 'udp', seed: seeds.twimlCurrent }, // didML names none; TwiML's UDP
  statusCallbackEventSeparator: { value: 'space', seed: seeds.twimlCurrent },
  sipAttributes: { value: [], seed: seeds.didml }, // "SIP does not have any attributes at this time"
  userlessTargetDialsCalledNumber: { value: true, seed: seeds.didml }, // "sent to dialed_number@sip.example.com"
  repairMismatchedClose: { value: true, seed: seeds.didml }, // its examples close <sip> with </Say>
  loneSipDials: { value: true, seed: seeds.didml }, // "SIP Keyword can be used alone or ... nested inside dial"
  nounMixing: { value: 'enhanced-sip-account', seed: seeds.twimlCurrent },
  maxNouns: { value: 10, seed: seeds.twimlCurrent },
  recordTrueFalse: { value: true, seed: seeds.twilioErrors },
};
