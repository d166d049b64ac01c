/**
 * The one table of error codes. Codes the outside world already knows (Twilio's 1xxxx/3xxxx) keep
 * their numbers; Dialtone's own stable codes live in the 90000 range. Branch on `code`, never on text.
 */
export const ErrorCodes = {
  // Twilio: webhooks and markup
  httpRetrievalFailure: 11200,
  documentParseFailure: 12100,
  schemaValidationWarning: 12200,
  invalidContentType: 12300,
  // Twilio: <Dial>
  dialInvalidNestedVerb: 13201,
  dialInvalidMethod: 13210,
  dialInvalidCallerId: 13214,
  dialTooManyNouns: 13250,
  sipInvalidHeaderName: 13252,
  sipHeadersTooLong: 13253,
  sipInvalidUri: 13243,
  sipTooManyNouns: 13250,
  sipReservedHeader: 32113,
  // Dialtone's own
  configInvalid: 90001,
  /** The I/O thread (DatagramThread) stopped: its sockets neither receive nor send. */
  ioThreadStopped: 90010,
  sipMessageMalformed: 90100,
  sipTransportFailure: 90110,
  sipTransactionTimeout: 90120,
  mediaPacketMalformed: 90200,
  mediaFileUnsupported: 90230,
  internal: 90999,
  sipAuthChallengeInvalid: 90130,
  sipAuthRejected: 90131,
  sipLocateFailed: 90140,
  sipSessionIntervalTooSmall: 90150,
  // Twilio <Dial> codes as Twilio's error dictionary numbers them.
  dialInvalidTimeoutValue: 13212,
  dialInvalidHangupOnStarValue: 13213,
  dialInvalidTimeLimitValue: 13216,
  dialInvalidRecordValue: 13217,
  sipInvalidHeaderValue: 32112,
  codecUnsupported: 90210,
  dtmfInvalid: 90220,
  sdpMalformed: 90300,
  sdpNotAcceptable: 90301,
  mediaPortsExhausted: 90201,
  mediaPortBindFailed: 90202,
  mediaFormatMismatch: 90203,
  // Store (src/store): opening, migrating and writing the database, and callback delivery.
  storeUnavailable: 90400,
  storeMigrationFailed: 90401,
  storePageTokenInvalid: 90402,
  storeConflict: 90403,
  callStatusTransitionInvalid: 90404,
  callInterruptedByRestart: 90405,
  // Prompts, speech and recording (issue 4). 13410/13420 are Twilio's <Play> codes; fetching a
  // prompt that fails at the HTTP level reports httpRetrievalFailure (11200) as Twilio does.
  playInvalidLoop: 13410,
  playInvalidContentType: 13420,
  mediaFileTooLarge: 90231,
  speechSynthesisFailed: 90240,
  recordingWriteFailed: 90250,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class DialtoneError extends Error {
  readonly code: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: number, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DialtoneError';
    this.code = code;
    this.details = details;
  }
}

export function isDialtoneError(value: unknown): value is DialtoneError {
  return value instanceof DialtoneError;
}
