/**
 * The one boundary where call state and verb results take Twilio's parameter names (INTERFACE.md
 * "Webhooks"). Everything inside the engine stays camelCase.
 */
import type { CallState } from './call.js';
import type { VerbResult } from './verbs/verb-outcome.js';
import { dialActionParameters } from './dial/dial-parameters.js';

export type WebhookParameters = Record<string, string>;

/** Twilio: ApiVersion is "2010-04-01" on every voice request. */
export const apiVersion = '2010-04-01';

/**
 * The standard voice request parameters. Twilio's CallStatus during a call is `ringing` before the
 * answer and `in-progress` after; Direction is `inbound`, `outbound-api` or `outbound-dial`.
 */
export function voiceRequestParameters(call: Readonly<CallState>): WebhookParameters {
  const params: WebhookParameters = {
    CallSid: call.sid,
    AccountSid: call.accountSid,
    From: call.from,
    To: call.to,
    CallStatus: call.status,
    ApiVersion: apiVersion,
    Direction: call.direction,
  };
  if (call.forwardedFrom !== undefined) params['ForwardedFrom'] = call.forwardedFrom;
  if (call.callerName !== undefined) params['CallerName'] = call.callerName;
  if (call.parentCallSid !== undefined) params['ParentCallSid'] = call.parentCallSid;
  if (call.sip !== undefined) {
    params['SipCallId'] = call.sip.callId;
    params['SipSourceIp'] = call.sip.sourceIp;
    params['SipDomain'] = call.sip.domain;
    // Twilio: "SipHeader_<name>" for each X- header received, the name as the caller wrote it.
    for (const header of call.sip.xHeaders) {
      if (/^x-/i.test(header.name)) params[`SipHeader_${header.name}`] = header.value;
    }
  }
  return params;
}

/** What a verb adds to the request for its action URL. */
export function verbResultParameters(result: VerbResult): WebhookParameters {
  switch (result.verb) {
    case 'redirect':
      return {};
    case 'gather':
      // Twilio sends Digits without the finishOnKey, and FinishedOnKey: the key that ended the
      // input, empty when the timeout or numDigits ended it.
      return { Digits: result.digits, FinishedOnKey: result.finishedOnKey ?? '' };
    case 'record': {
      const params: WebhookParameters = {
        RecordingUrl: result.recordingUrl,
        RecordingDuration: String(result.durationSeconds),
        RecordingSid: result.recordingSid,
      };
      // Twilio: "Digits: the key (if any) pressed to end the recording or 'hangup' if the caller hung up".
      if (result.endedBy === 'key') params['Digits'] = result.key;
      if (result.endedBy === 'hangup') params['Digits'] = 'hangup';
      return params;
    }
    case 'dial':
      return dialActionParameters(result);
  }
}

/** Twilio adds these when it turns to the fallback URL after the primary one failed. */
export function fallbackParameters(errorCode: number, errorUrl: string): WebhookParameters {
  return { ErrorCode: String(errorCode), ErrorUrl: errorUrl };
}
