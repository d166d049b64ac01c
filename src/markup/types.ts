/**
 * The typed model of a voice document: pure data, camelCase, discriminated by `verb` and `noun`.
 * Defaults are already applied (see parse-document.ts), so the engine never re-reads the dialect.
 */
export type Dialect = 'twiml' | 'cxml' | 'rcml' | 'didml';
export const dialectNames: readonly Dialect[] = ['twiml', 'cxml', 'rcml', 'didml'];

export type Severity = 'error' | 'warning';

/** One finding about a document; `code` is Twilio's where one exists (12100, 12200, 13xxx, 32xxx). */
export interface Problem {
  code: number;
  severity: Severity;
  line: number;
  column: number;
  message: string;
}

export type HttpMethod = 'GET' | 'POST';
export type SipTransport = 'udp' | 'tcp' | 'tls';
export type CallProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const callProgressEvents: readonly CallProgressEvent[] = ['initiated', 'ringing', 'answered', 'completed'];
export type SipCodec = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'OPUS';
export const sipCodecs: readonly SipCodec[] = ['PCMU', 'PCMA', 'G722', 'G729', 'OPUS'];

export interface SipHeader {
  name: string;
  value: string;
}

export interface SipUriParameter {
  name: string;
  value?: string;
}

/** A `<Sip>` target after RFC 3261 §19.1 parsing, with the dialect's transport and port defaults applied. */
export interface SipUri {
  /** The trimmed text of the noun, as written. */
  raw: string;
  scheme: 'sip' | 'sips';
  /** The user part as written (still percent-escaped, as it goes into the Request-URI). */
  user?: string;
  /** The password of the userinfo (`sip:user:password@host`), when written. */
  userPassword?: string;
  /** didML: a user-less target means "the dialled number at this host"; the engine fills in the user. */
  userFromCalledNumber: boolean;
  host: string;
  port: number;
  portExplicit: boolean;
  transport: SipTransport;
  transportExplicit: boolean;
  region?: string;
  /** URI parameters other than transport and region, in order (e.g. `user=phone`, `lr`). */
  params: SipUriParameter[];
  /** Headers that go on the INVITE, in order, percent-decoded; headers not allowed are already dropped. */
  headers: SipHeader[];
}

export type DialRecord =
  | 'do-not-record'
  | 'record-from-answer'
  | 'record-from-ringing'
  | 'record-from-answer-dual'
  | 'record-from-ringing-dual';
export type RecordingStatusEvent = 'in-progress' | 'completed' | 'absent';
export type RecordingTrack = 'both' | 'inbound' | 'outbound';
export type Trim = 'trim-silence' | 'do-not-trim';
export type MachineDetection = 'Enable' | 'DetectMessageEnd';

export interface SipNoun {
  noun: 'sip';
  uri: SipUri;
  username?: string;
  password?: string;
  /** Screening document run on the called party before bridging. */
  url?: string;
  method: HttpMethod;
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  /** Effective events in canonical order; `completed` alone when a statusCallback has none listed. */
  statusCallbackEvents: CallProgressEvent[];
  machineDetection?: MachineDetection;
  machineDetectionTimeout: number;
  machineDetectionSpeechThreshold: number;
  machineDetectionSpeechEndThreshold: number;
  machineDetectionSilenceTimeout: number;
  amdStatusCallback?: string;
  amdStatusCallbackMethod: HttpMethod;
  /** Codecs to offer, in order; empty means the engine's own list. */
  codecs: SipCodec[];
  /** Session-Expires in seconds; absent (or 0 written) means the engine's default. */
  sessionTimeout?: number;
  /** RCML: the SIP URI that answers a video call. */
  name?: string;
}

export interface NumberNoun {
  noun: 'number';
  number: string;
  sendDigits?: string;
  url?: string;
  method: HttpMethod;
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: CallProgressEvent[];
}

export interface ClientNoun {
  noun: 'client';
  identity: string;
  url?: string;
  method: HttpMethod;
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: CallProgressEvent[];
}

export type ConferenceBeep = 'true' | 'false' | 'onEnter' | 'onExit';
export interface ConferenceNoun {
  noun: 'conference';
  name: string;
  muted: boolean;
  beep: ConferenceBeep;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  waitUrl?: string;
  waitMethod: HttpMethod;
  maxParticipants: number;
  record: 'do-not-record' | 'record-from-start';
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: string[];
}

export interface QueueNoun {
  noun: 'queue';
  name: string;
  url?: string;
  method: HttpMethod;
}

export type DialNoun = SipNoun | NumberNoun | ClientNoun | ConferenceNoun | QueueNoun;

export interface Dial {
  verb: 'dial';
  action?: string;
  method: HttpMethod;
  timeout: number;
  hangupOnStar: boolean;
  timeLimit: number;
  callerId?: string;
  record: DialRecord;
  trim: Trim;
  recordingStatusCallback?: string;
  recordingStatusCallbackMethod: HttpMethod;
  recordingStatusCallbackEvents: RecordingStatusEvent[];
  recordingTrack: RecordingTrack;
  answerOnBridge: boolean;
  ringTone?: string;
  /** Twilio: try the nouns one after another instead of all at once. */
  sequential: boolean;
  nouns: DialNoun[];
}

export interface Say {
  verb: 'say';
  text: string;
  voice?: string;
  language?: string;
  /** 0 means repeat until the call ends. */
  loop: number;
}

export interface Play {
  verb: 'play';
  url?: string;
  loop: number;
  digits?: string;
}

export interface Pause {
  verb: 'pause';
  length: number;
}

export type GatherInput = 'dtmf' | 'speech';
export interface Gather {
  verb: 'gather';
  input: GatherInput[];
  numDigits?: number;
  finishOnKey: string;
  timeout: number;
  action?: string;
  method: HttpMethod;
  children: (Say | Play | Pause)[];
}

export interface Hangup {
  verb: 'hangup';
}

export interface Redirect {
  verb: 'redirect';
  url: string;
  method: HttpMethod;
}

export interface Reject {
  verb: 'reject';
  reason: 'rejected' | 'busy';
}

export interface RecordVerb {
  verb: 'record';
  action?: string;
  method: HttpMethod;
  timeout: number;
  finishOnKey: string;
  maxLength: number;
  playBeep: boolean;
  trim: Trim;
  recordingStatusCallback?: string;
  recordingStatusCallbackMethod: HttpMethod;
}

export interface Enqueue {
  verb: 'enqueue';
  queueName: string;
  action?: string;
  method: HttpMethod;
  waitUrl?: string;
  waitUrlMethod: HttpMethod;
}

export interface Leave {
  verb: 'leave';
}

export type Verb = Dial | Say | Play | Pause | Gather | Hangup | Redirect | Reject | RecordVerb | Enqueue | Leave;

export interface VoiceDocument {
  dialect: Dialect;
  verbs: Verb[];
}
