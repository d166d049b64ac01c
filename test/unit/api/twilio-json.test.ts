import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rfc2822 } from '../../../src/api/index.js';
import { callJson, notificationJson, recordingJson } from '../../../src/api/twilio-json.js';
import type { CallRecord, NotificationRecord, RecordingRecord } from '../../../src/store/index.js';
import { accountSid } from './api-fixture.js';

const base = { prefix: '/2010-04-01', accountSid };

/** The payload fields the official twilio library's resource class reads (`payload.x`). */
function fieldsReadByTwilio(resource: string): string[] {
  const require = createRequire(import.meta.url);
  const file = require.resolve(`twilio/lib/rest/api/v2010/account/${resource}.js`);
  const source = readFileSync(file, 'utf8');
  const instance = source.slice(source.indexOf('Instance {'));
  const fields = [...new Set([...instance.matchAll(/payload\.([a-z_]+)/g)].map((match) => match[1] ?? ''))].sort();
  assert.ok(fields.length >= 15, `found ${fields.length} fields in ${resource}.js`);
  return fields;
}

const call: CallRecord = {
  sid: 'CA' + '1'.repeat(32),
  accountSid,
  parentCallSid: null,
  direction: 'outbound-api',
  from: '+15551230000',
  to: 'sip:alice@example.com',
  status: 'completed',
  startTime: Date.UTC(2026, 10, 3, 8, 5, 9),
  answerTime: Date.UTC(2026, 10, 3, 8, 5, 12),
  endTime: Date.UTC(2026, 10, 3, 8, 6, 0),
  duration: 48,
  sipCallId: 'abc@host',
  sipResponseCode: 200,
  answeredBy: null,
  forwardedFrom: null,
  callerName: null,
  apiVersion: '2010-04-01',
  uri: `/2010-04-01/Accounts/${accountSid}/Calls/CA${'1'.repeat(32)}.json`,
  dateCreated: Date.UTC(2026, 10, 3, 8, 5, 8),
  dateUpdated: Date.UTC(2026, 10, 3, 8, 6, 0),
};

test('dates print as Twilio prints them: RFC 2822, two-digit day, +0000', () => {
  assert.equal(rfc2822(Date.UTC(2010, 7, 31, 20, 36, 28)), 'Tue, 31 Aug 2010 20:36:28 +0000');
  assert.equal(rfc2822(Date.UTC(2026, 10, 3, 8, 5, 9)), 'Tue, 03 Nov 2026 08:05:09 +0000');
  assert.equal(rfc2822(null), null);
});

test('a call carries every field the twilio library reads, with Twilio types', () => {
  const json = callJson(call, base);
  for (const field of fieldsReadByTwilio('call')) assert.ok(field in json, `call.${field}`);
  assert.equal(json.duration, '48');
  assert.equal(json.start_time, 'Tue, 03 Nov 2026 08:05:09 +0000');
  assert.equal(json.date_created, 'Tue, 03 Nov 2026 08:05:08 +0000');
  assert.equal(json.direction, 'outbound-api');
  assert.equal(json.uri, call.uri);
  assert.equal(json.price, null);
  assert.deepEqual(json.subresource_uris, {
    notifications: `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}/Notifications.json`,
    recordings: `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}/Recordings.json`,
  });
  assert.equal(callJson({ ...call, duration: null }, base).duration, null);
  assert.equal(callJson(call, { ...base, prefix: '/api/laml/2010-04-01' }).uri, `/api/laml/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`);
});

test('a recording carries every field the twilio library reads; media_url is absolute and extensionless', () => {
  const recording: RecordingRecord = {
    sid: 'RE' + '2'.repeat(32), accountSid, callSid: call.sid, status: 'completed', channels: 1, duration: 7,
    filePath: '/secret/path/x.wav', source: 'RecordVerb', track: 'both', startTime: call.startTime ?? 0, errorCode: null,
    apiVersion: '2010-04-01', uri: '', dateCreated: call.dateCreated, dateUpdated: call.dateUpdated,
  };
  const json = recordingJson(recording, base, 'http://198.51.100.7:8080/');
  for (const field of fieldsReadByTwilio('recording')) assert.ok(field in json, `recording.${field}`);
  assert.equal(json.media_url, `http://198.51.100.7:8080/2010-04-01/Accounts/${accountSid}/Recordings/${recording.sid}`);
  assert.equal(json.duration, '7');
  assert.equal(json.channels, 1);
  assert.equal(json.track, 'both');
  assert.ok(!JSON.stringify(json).includes('/secret/path'), 'the file path stays inside');
});

test('a notification carries every field the twilio library reads; log is 0 for errors, 1 for warnings', () => {
  const notification: NotificationRecord = {
    sid: 'NO' + '3'.repeat(32), accountSid, callSid: call.sid, errorCode: 11200, logLevel: 'error',
    messageText: 'HTTP retrieval failure', moreInfo: 'https://www.twilio.com/docs/errors/11200',
    requestUrl: 'http://app/voice', requestMethod: 'POST', requestVariables: { CallSid: call.sid, To: '+1 555' },
    responseBody: null, messageDate: call.dateCreated, apiVersion: '2010-04-01', uri: '', dateCreated: call.dateCreated,
  };
  const json = notificationJson(notification, base);
  for (const field of fieldsReadByTwilio('notification')) assert.ok(field in json, `notification.${field}`);
  assert.equal(json.log, '0');
  assert.equal(json.error_code, '11200');
  assert.equal(json.request_variables, `CallSid=${call.sid}&To=%2B1+555`);
  assert.equal(notificationJson({ ...notification, logLevel: 'warning' }, base).log, '1');
});
