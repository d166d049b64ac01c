/**
 * The boundary where a <Dial>'s outcome takes Twilio's names: the Dial action's parameters and the
 * outbound leg's status callbacks (INTERFACE.md "Webhooks"; seeds 003 and 004). One function each.
 */
import type { CallProgressEvent, RecordingStatusEvent, RecordingTrack, SipHeader } from '../../markup/index.js';
import type { CallState } from '../call.js';
import { voiceRequestParameters, type WebhookParameters } from '../webhook-parameters.js';
import type { DialRecordingFacts, DialResult } from './dial-result.js';
import { formatRfc2822 } from '../../kernel/index.js';

/** Seed 004 "Additional parameters", with Twilio's standard <Dial> action parameters. */
export function dialActionParameters(result: DialResult): WebhookParameters {
  const params: WebhookParameters = {
    DialCallStatus: result.dialCallStatus,
    DialCallSid: result.dialCallSid,
    DialCallDuration: String(result.dialCallDurationSeconds),
    DialBridged: String(result.bridged),
  };
  // "DialSipCallId: The SIP call ID header of the request made to the remote SIP infrastructure."
  if (result.sipCallId !== undefined) params['DialSipCallId'] = result.sipCallId;
  // "DialSipResponseCode: The SIP response code as a result of the INVITE attempt."
  if (result.sipResponseCode !== undefined) params['DialSipResponseCode'] = String(result.sipResponseCode);
  // "DialSipHeader_: The name/value of any X-headers passed back on the final SIP response."
  for (const header of result.sipHeaders) params[`DialSipHeader_${header.name}`] = header.value;
  // Twilio's <Dial record>: the action request carries RecordingUrl, RecordingSid and RecordingDuration.
  if (result.recording !== undefined) Object.assign(params, recordingParameters(result.recording));
  return params;
}

function recordingParameters(recording: DialRecordingFacts): WebhookParameters {
  return {
    RecordingUrl: recording.recordingUrl,
    RecordingSid: recording.recordingSid,
    RecordingDuration: String(recording.durationSeconds),
  };
}

/**
 * Seed 003 "Call Screening HTTP parameters": "in addition to the standard TwiML Voice request
 * parameters", SipCallId ("The SIP call ID header of the request made to the remote SIP
 * infrastructure") and SipHeader_<name> ("any X-headers returned in the 200 response").
 */
export function screeningParameters(leg: Readonly<CallState>, sipCallId: string, answerHeaders: readonly SipHeader[]): WebhookParameters {
  const params = voiceRequestParameters(leg);
  params['SipCallId'] = sipCallId;
  for (const header of answerHeaders) {
    if (/^x-/i.test(header.name)) params[`SipHeader_${header.name}`] = header.value;
  }
  return params;
}

/** What a status callback adds to the leg's voice request parameters. */
export interface ProgressFacts {
  event: CallProgressEvent;
  sequenceNumber: number;
  /** Wall-clock milliseconds when the event fired. */
  at: number;
  sipCallId?: string;
  /** completed only. */
  callDurationSeconds?: number;
  /** completed only: INTERFACE.md "The raw code always goes along as DialSipResponseCode / SipResponseCode". */
  sipResponseCode?: number;
  /** completed only, when the Dial recorded this leg's conversation. */
  recording?: DialRecordingFacts;
}

/**
 * Seed 003: "The parameters Twilio passes to your application in its asynchronous request to the
 * StatusCallback URL include all parameters passed in a synchronous request to retrieve TwiML",
 * plus CallStatus, CallDuration, Timestamp, CallbackSource and SequenceNumber.
 */
export function statusCallbackParameters(leg: Readonly<CallState>, facts: ProgressFacts): WebhookParameters {
  const params = voiceRequestParameters(leg);
  params['CallStatus'] = callStatusFor(facts.event, leg);
  if (facts.sipCallId !== undefined) params['SipCallId'] = facts.sipCallId;
  // "CallDuration: The duration in seconds of the just-completed call. Only present in the completed event."
  if (facts.callDurationSeconds !== undefined) params['CallDuration'] = String(facts.callDurationSeconds);
  if (facts.sipResponseCode !== undefined) params['SipResponseCode'] = String(facts.sipResponseCode);
  // Seed 004: "RecordingUrl … RecordingSid … RecordingDuration … only present in the completed event".
  if (facts.recording !== undefined) Object.assign(params, recordingParameters(facts.recording));
  // "Timestamp: The timestamp when the event was fired, given as UTC in RFC 2822 format."
  params['Timestamp'] = formatRfc2822(facts.at);
  // "On Status Callbacks, this value is always call-progress-events."
  params['CallbackSource'] = 'call-progress-events';
  // "SequenceNumber: The order in which the events were fired, starting from 0."
  params['SequenceNumber'] = String(facts.sequenceNumber);
  return params;
}

/** What a recording status callback reports (Twilio's recordingStatusCallback parameters). */
export interface RecordingFacts {
  accountSid: string;
  /** The caller's call, which the <Dial> recording belongs to. */
  callSid: string;
  recordingSid: string;
  recordingUrl: string;
  status: RecordingStatusEvent;
  /** Whole seconds; completed and absent only. */
  durationSeconds?: number;
  channels: 1 | 2;
  /** Wall-clock milliseconds when the recording started. */
  startedAt: number;
  track: RecordingTrack;
  /** Twilio's RecordingSource; default DialVerb (`OutboundAPI`: a REST call's Record=true). */
  source?: 'DialVerb' | 'OutboundAPI';
}

/**
 * Twilio's recordingStatusCallback request: AccountSid, CallSid, RecordingSid, RecordingUrl,
 * RecordingStatus, RecordingDuration, RecordingChannels, RecordingStartTime, RecordingSource
 * (`DialVerb` for <Dial record>, `OutboundAPI` for a REST call's Record=true) and RecordingTrack.
 */
export function recordingStatusCallbackParameters(facts: RecordingFacts): WebhookParameters {
  const params: WebhookParameters = {
    AccountSid: facts.accountSid,
    CallSid: facts.callSid,
    RecordingSid: facts.recordingSid,
    RecordingUrl: facts.recordingUrl,
    RecordingStatus: facts.status,
  };
  if (facts.durationSeconds !== undefined) params['RecordingDuration'] = String(facts.durationSeconds);
  params['RecordingChannels'] = String(facts.channels);
  params['RecordingStartTime'] = formatRfc2822(facts.startedAt);
  params['RecordingSource'] = facts.source ?? 'DialVerb';
  params['RecordingTrack'] = facts.track;
  return params;
}

function callStatusFor(event: CallProgressEvent, leg: Readonly<CallState>): string {
  switch (event) {
    // Seed 003: "outbound calls created using <Dial> are initiated right away and never queued".
    case 'initiated':
      return 'initiated';
    case 'ringing':
      return 'ringing';
    case 'answered':
      return 'in-progress';
    // "completed … regardless of the termination status: busy, canceled, completed, failed, or no-answer".
    case 'completed':
      return leg.status;
  }
}

