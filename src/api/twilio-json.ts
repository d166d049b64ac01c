/**
 * The REST boundary: store records (camelCase, epoch ms) → Twilio's JSON (snake_case, RFC 2822 dates,
 * durations as strings). One function per resource; nothing else in Dialtone speaks these names.
 * Field lists follow what the official `twilio` library reads (lib/rest/api/v2010/account/*.js).
 */
import { formatRfc2822 } from '../kernel/index.js';
import type { CallRecord, NotificationRecord, RecordingRecord } from '../store/index.js';

/** Twilio prints dates as RFC 2822 in UTC: `Tue, 31 Aug 2010 20:36:28 +0000`; absent ones as null. */
export function rfc2822(epochMs: number | null): string | null {
  return epochMs === null ? null : formatRfc2822(epochMs);
}

/** Where the response's URIs start: `/2010-04-01/Accounts/AC…` under the prefix the request used. */
export interface UriBase {
  /** e.g. `/2010-04-01`, `/api/laml/2010-04-01`, `/restcomm/2012-04-24`. */
  prefix: string;
  accountSid: string;
}

export function accountPath(base: UriBase): string {
  return `${base.prefix}/Accounts/${base.accountSid}`;
}

export function callJson(call: CallRecord, base: UriBase): Record<string, unknown> {
  const callPath = `${accountPath({ ...base, accountSid: call.accountSid })}/Calls/${call.sid}`;
  return {
    sid: call.sid,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    parent_call_sid: call.parentCallSid,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: null,
    status: call.status,
    start_time: rfc2822(call.startTime),
    end_time: rfc2822(call.endTime),
    duration: call.duration === null ? null : String(call.duration),
    price: null,
    price_unit: 'USD',
    direction: call.direction,
    answered_by: call.answeredBy,
    annotation: null,
    api_version: call.apiVersion,
    forwarded_from: call.forwardedFrom,
    group_sid: null,
    caller_name: call.callerName,
    queue_time: '0',
    trunk_sid: null,
    uri: `${callPath}.json`,
    subresource_uris: {
      notifications: `${callPath}/Notifications.json`,
      recordings: `${callPath}/Recordings.json`,
    },
  };
}

export function recordingJson(recording: RecordingRecord, base: UriBase, publicUrl: string): Record<string, unknown> {
  const path = `${accountPath({ ...base, accountSid: recording.accountSid })}/Recordings/${recording.sid}`;
  return {
    account_sid: recording.accountSid,
    api_version: recording.apiVersion,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: rfc2822(recording.dateCreated),
    date_updated: rfc2822(recording.dateUpdated),
    start_time: rfc2822(recording.startTime),
    duration: recording.duration === null ? null : String(recording.duration),
    sid: recording.sid,
    price: null,
    price_unit: 'USD',
    status: recording.status,
    channels: recording.channels,
    source: recording.source,
    track: recording.track,
    error_code: recording.errorCode,
    uri: `${path}.json`,
    encryption_details: null,
    subresource_uris: {},
    // Twilio's media_url has no extension; `.wav` (and no extension) both serve the WAV file.
    media_url: `${publicUrl.replace(/\/+$/, '')}${path}`,
  };
}

export function notificationJson(notification: NotificationRecord, base: UriBase): Record<string, unknown> {
  const path = `${accountPath({ ...base, accountSid: notification.accountSid })}/Notifications/${notification.sid}`;
  return {
    account_sid: notification.accountSid,
    api_version: notification.apiVersion,
    call_sid: notification.callSid,
    date_created: rfc2822(notification.dateCreated),
    date_updated: rfc2822(notification.dateCreated),
    error_code: String(notification.errorCode),
    // Twilio: 0 = error, 1 = warning, as a string.
    log: notification.logLevel === 'error' ? '0' : '1',
    message_date: rfc2822(notification.messageDate),
    message_text: notification.messageText,
    more_info: notification.moreInfo,
    request_method: notification.requestMethod,
    request_url: notification.requestUrl ?? '',
    request_variables: notification.requestVariables === null ? null : new URLSearchParams(notification.requestVariables).toString(),
    response_body: notification.responseBody,
    response_headers: null,
    sid: notification.sid,
    uri: `${path}.json`,
  };
}
