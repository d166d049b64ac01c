/**
 * Twilio's Calls parameters (PascalCase form fields) → the engine's requests (camelCase), validated
 * with Twilio's error codes. The one place where `To`, `StatusCallbackEvent`… are named.
 */
import { redactText } from '../store/index.js';
import { ApiErrorCodes, badRequest, invalidParameter } from './api-error.js';
import type { CallRecordingRequest, CallUpdate, CreateCallRequest, HttpMethod, MachineDetection, RecordingStatusEvent, StatusCallbackEvent } from './call-control.js';
import type { Form } from './form.js';

const statusCallbackEvents: readonly StatusCallbackEvent[] = ['initiated', 'ringing', 'answered', 'completed'];
const recordingStatusEvents: readonly RecordingStatusEvent[] = ['in-progress', 'completed', 'absent'];
const maxTimeoutSeconds = 600;
const defaultTimeoutSeconds = 60;
/** Twilio's limit on the Twiml parameter. */
export const maxTwimlLength = 4000;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isSipUri(value: string): boolean {
  return /^sips?:[^\s@]*@?[^\s@]+$/i.test(value) && value.length > 4;
}

function isClient(value: string): boolean {
  return /^client:[A-Za-z0-9_.\-@]+$/.test(value);
}

const phoneSeparators = /[\s\-().]/g;

/** A phone number as users type it: digits with an optional `+` and common separators. */
function isPhoneNumber(value: string): boolean {
  return /^\+?[0-9]{1,15}$/.test(value.replace(phoneSeparators, ''));
}

/** `+44 20 7946-0000` → `+442079460000`, as Twilio stores numbers; anything else unchanged. */
function normalizeAddress(value: string): string {
  return !isSipUri(value) && !isClient(value) && isPhoneNumber(value) ? value.replace(phoneSeparators, '') : value;
}

/** Echo a user's value in an error message without any password it may carry. */
function echo(value: string): string {
  return redactText(value).slice(0, 200);
}

function method(form: Form, name: string): HttpMethod {
  const value = form.get(name);
  if (value === undefined) return 'POST';
  const upper = value.toUpperCase();
  if (upper === 'GET' || upper === 'POST') return upper;
  throw invalidParameter(`${name} must be GET or POST`);
}

function optionalUrl(form: Form, name: string, code: number): string | undefined {
  const value = form.get(name);
  if (value === undefined) return undefined;
  if (!isHttpUrl(value)) throw badRequest(code, `${name} is not a valid URL: ${echo(value)}`);
  return value;
}

/** A parameter that takes one of `values`, or `fallback` when absent. */
function oneOf<T extends string>(form: Form, name: string, values: readonly T[], fallback: T): T {
  const value = form.get(name);
  if (value === undefined) return fallback;
  if (!(values as readonly string[]).includes(value)) throw invalidParameter(`${name} must be one of ${values.join(', ')}`);
  return value as T;
}

/**
 * The values of an event list, repeated (as the official libraries send it) or space-separated (as
 * some documentation shows), each one of `allowed`, without duplicates; `fallback` when none.
 */
function eventList<T extends string>(form: Form, name: string, allowed: readonly T[], fallback: T[]): T[] {
  const events: T[] = [];
  for (const value of form.getAll(name).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '')) {
    const event = value.toLowerCase() as T;
    if (!allowed.includes(event)) throw invalidParameter(`${name} must be one of ${allowed.join(', ')}`);
    if (!events.includes(event)) events.push(event);
  }
  return events.length > 0 ? events : fallback;
}

/** Record=true with its Recording* parameters and Twilio's defaults for the Calls resource; `false` otherwise (the rest is then ignored, as Twilio does). */
function recordingRequest(form: Form): false | CallRecordingRequest {
  if (!booleanParameter(form, 'Record')) return false;
  const recording: CallRecordingRequest = {
    channels: oneOf(form, 'RecordingChannels', ['mono', 'dual'], 'mono'),
    track: oneOf(form, 'RecordingTrack', ['inbound', 'outbound', 'both'], 'both'),
    // "Trim: … Can be: trim-silence or do-not-trim and the default is trim-silence."
    trimSilence: oneOf(form, 'Trim', ['trim-silence', 'do-not-trim'], 'trim-silence') === 'trim-silence',
    statusCallbackMethod: method(form, 'RecordingStatusCallbackMethod'),
    statusCallbackEvents: eventList(form, 'RecordingStatusCallbackEvent', recordingStatusEvents, ['completed']),
  };
  const statusCallback = optionalUrl(form, 'RecordingStatusCallback', ApiErrorCodes.invalidParameter);
  if (statusCallback !== undefined) recording.statusCallback = statusCallback;
  return recording;
}

function booleanParameter(form: Form, name: string): boolean {
  const value = form.get(name);
  if (value === undefined) return false;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw invalidParameter(`${name} must be true or false`);
}

/** `POST /Calls.json` → CreateCallRequest, or an ApiError with Twilio's code. */
export function createCallRequestFromForm(accountSid: string, form: Form): CreateCallRequest {
  const to = form.get('To');
  if (to === undefined) throw badRequest(ApiErrorCodes.toMissing, "No 'To' number is specified");
  if (!isSipUri(to) && !isClient(to) && !isPhoneNumber(to)) {
    throw badRequest(ApiErrorCodes.toInvalid, `The 'To' number ${echo(to)} is not a valid phone number, SIP URI or client identifier.`);
  }
  const fromText = form.get('From');
  if (fromText === undefined) throw badRequest(ApiErrorCodes.fromMissing, "No 'From' number is specified");
  const from = normalizeAddress(fromText);
  // Any caller ID the outbound INVITE can carry: a number, a SIP URI, client:name, or letters,
  // digits and `+-_.,` (INTERFACE.md, "The outbound INVITE").
  if (!isSipUri(from) && !isClient(from) && !/^[A-Za-z0-9+\-_.,]{1,64}$/.test(from)) {
    throw badRequest(ApiErrorCodes.fromInvalid, `The 'From' number ${echo(from)} is not a valid caller ID.`);
  }
  if (form.get('ApplicationSid') !== undefined) {
    throw badRequest(ApiErrorCodes.applicationSidInvalid, 'ApplicationSid is not supported by Dialtone; pass Url or Twiml');
  }
  const twiml = form.get('Twiml');
  const url = optionalUrl(form, 'Url', ApiErrorCodes.urlInvalid);
  if (twiml === undefined && url === undefined) {
    throw badRequest(ApiErrorCodes.urlInvalid, 'A Url or Twiml parameter is required');
  }
  if (twiml !== undefined && twiml.length > maxTwimlLength) {
    throw invalidParameter(`Twiml must be at most ${maxTwimlLength} characters`);
  }
  let timeout = defaultTimeoutSeconds;
  const timeoutText = form.get('Timeout');
  if (timeoutText !== undefined) {
    if (!/^[0-9]+$/.test(timeoutText)) throw invalidParameter('Timeout must be a whole number of seconds');
    // Twilio caps Timeout at 600 seconds rather than refusing a larger value.
    timeout = Math.min(Number(timeoutText), maxTimeoutSeconds);
    if (timeout === 0) timeout = defaultTimeoutSeconds;
  }
  let machineDetection: MachineDetection | undefined;
  const detection = form.get('MachineDetection');
  if (detection !== undefined) {
    if (detection !== 'Enable' && detection !== 'DetectMessageEnd') {
      throw invalidParameter('MachineDetection must be Enable or DetectMessageEnd');
    }
    machineDetection = detection;
  }
  const request: CreateCallRequest = {
    accountSid,
    to: normalizeAddress(to),
    from,
    method: method(form, 'Method'),
    fallbackMethod: method(form, 'FallbackMethod'),
    statusCallbackEvents: eventList(form, 'StatusCallbackEvent', statusCallbackEvents, ['completed']),
    statusCallbackMethod: method(form, 'StatusCallbackMethod'),
    timeout,
    record: recordingRequest(form),
  };
  // Twiml wins over Url when both are given, as Twilio documents for Twiml.
  if (twiml !== undefined) request.twiml = twiml;
  else if (url !== undefined) request.url = url;
  const fallbackUrl = optionalUrl(form, 'FallbackUrl', ApiErrorCodes.invalidParameter);
  if (fallbackUrl !== undefined) request.fallbackUrl = fallbackUrl;
  const statusCallback = optionalUrl(form, 'StatusCallback', ApiErrorCodes.invalidParameter);
  if (statusCallback !== undefined) request.statusCallback = statusCallback;
  const sipAuthUsername = form.get('SipAuthUsername');
  if (sipAuthUsername !== undefined) request.sipAuthUsername = sipAuthUsername;
  const sipAuthPassword = form.get('SipAuthPassword');
  if (sipAuthPassword !== undefined) request.sipAuthPassword = sipAuthPassword;
  if (machineDetection !== undefined) request.machineDetection = machineDetection;
  return request;
}

/**
 * `POST /Calls/{Sid}.json` → CallUpdate; undefined when the form changes nothing Dialtone acts on.
 * Status wins over Url/Twiml; Twiml wins over Url.
 */
export function callUpdateFromForm(form: Form): CallUpdate | undefined {
  const status = form.get('Status');
  if (status !== undefined) {
    if (status !== 'canceled' && status !== 'completed') throw invalidParameter('Status must be canceled or completed');
    return { kind: 'end', status };
  }
  const twiml = form.get('Twiml');
  if (twiml !== undefined) {
    if (twiml.length > maxTwimlLength) throw invalidParameter(`Twiml must be at most ${maxTwimlLength} characters`);
    return { kind: 'twiml', twiml };
  }
  const url = optionalUrl(form, 'Url', ApiErrorCodes.urlInvalid);
  const redirectMethod = method(form, 'Method');
  if (url !== undefined) return { kind: 'redirect', url, method: redirectMethod };
  return undefined;
}
