/**
 * What the REST API needs from the call engine, declared here so that `api` depends on an interface
 * and the engine (src/call) implements it; main.ts passes the engine in. Everything is camelCase:
 * Twilio's parameter names are mapped to these fields in one place (`call-parameters.ts`).
 */
import type { CallRecord } from '../store/index.js';

export type HttpMethod = 'GET' | 'POST';

/** Twilio's StatusCallbackEvent values for a call. */
export type StatusCallbackEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export type MachineDetection = 'Enable' | 'DetectMessageEnd';

/** Twilio's RecordingStatusCallbackEvent values. */
export type RecordingStatusEvent = 'in-progress' | 'completed' | 'absent';

/** `Record=true` and the Recording* parameters that go with it (Twilio's defaults filled in). */
export interface CallRecordingRequest {
  /** RecordingChannels; default `mono`. Dual: the called party on channel 1, what Dialtone sends on channel 2. */
  channels: 'mono' | 'dual';
  /** RecordingTrack; default `both`: `inbound` is what the called party sends, `outbound` what it hears. */
  track: 'inbound' | 'outbound' | 'both';
  /** Trim; default `trim-silence`. */
  trimSilence: boolean;
  statusCallback?: string;
  /** RecordingStatusCallbackMethod; default POST. */
  statusCallbackMethod: HttpMethod;
  /** RecordingStatusCallbackEvent; default `['completed']`. */
  statusCallbackEvents: RecordingStatusEvent[];
}

/** `POST /Calls.json`, validated. Exactly one of `url` and `twiml` is set. */
export interface CreateCallRequest {
  accountSid: string;
  /** A SIP URI (`sip:`/`sips:`), `client:name`, or a phone number (via a trunk). */
  to: string;
  from: string;
  url?: string;
  twiml?: string;
  /** Method for `url`; default POST. */
  method: HttpMethod;
  fallbackUrl?: string;
  fallbackMethod: HttpMethod;
  statusCallback?: string;
  /** Default `['completed']`; only meaningful with `statusCallback`. */
  statusCallbackEvents: StatusCallbackEvent[];
  statusCallbackMethod: HttpMethod;
  /** Seconds to let the callee ring; default 60, at most 600. */
  timeout: number;
  /** `false` unless Record=true. */
  record: false | CallRecordingRequest;
  sipAuthUsername?: string;
  /** A secret: never log it, never store it. */
  sipAuthPassword?: string;
  machineDetection?: MachineDetection;
}

/** `POST /Calls/{Sid}.json`, validated. */
export type CallUpdate =
  | { kind: 'redirect'; url: string; method: HttpMethod }
  | { kind: 'twiml'; twiml: string }
  | { kind: 'end'; status: 'canceled' | 'completed' };

/**
 * Implemented by the call engine.
 *
 * - `createCall` stores the call (status `queued`, direction `outbound-api`) and starts placing it;
 *   it resolves with the stored record once the row exists, before the callee answers. A request the
 *   engine cannot place (no trunk for a number, …) rejects with a kernel `DialtoneError` whose code is
 *   Twilio's (21xxx: answered 400 with that code); any other error is answered 500.
 * - `updateCall` redirects a live call to new markup, or ends it (`canceled`: only a call not yet
 *   answered, as Twilio; `completed`: hangs up whatever its state). It resolves with the record after
 *   the change was applied (it may still show the old status when the hang-up is asynchronous),
 *   `'not-found'` when no such call runs in this process, `'not-live'` when the call has ended or the
 *   change does not apply to its state (answered 400, Twilio's 21220).
 */
export interface CallControl {
  createCall(request: CreateCallRequest): Promise<CallRecord>;
  updateCall(callSid: string, update: CallUpdate): Promise<CallRecord | 'not-found' | 'not-live'>;
}
