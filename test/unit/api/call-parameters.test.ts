import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/api/index.js';
import { callUpdateFromForm, createCallRequestFromForm, maxTwimlLength } from '../../../src/api/call-parameters.js';
import { Form } from '../../../src/api/form.js';
import { accountSid } from './api-fixture.js';

const valid = { To: 'sip:alice@127.0.0.1', From: '+15551230000', Url: 'http://app.test/voice' };

function form(fields: Record<string, string | string[]>): Form {
  return new Form(Object.entries(fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v])));
}

function rejects(fields: Record<string, string | string[]>, code: number, messagePart?: RegExp): ApiError {
  try {
    createCallRequestFromForm(accountSid, form(fields));
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.status, 400);
    if (messagePart !== undefined) assert.match(error.message, messagePart);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(fields)}`);
}

test('defaults: POST, completed events, 60 s, no recording', () => {
  assert.deepEqual(createCallRequestFromForm(accountSid, form(valid)), {
    accountSid,
    to: 'sip:alice@127.0.0.1',
    from: '+15551230000',
    url: 'http://app.test/voice',
    method: 'POST',
    fallbackMethod: 'POST',
    statusCallbackEvents: ['completed'],
    statusCallbackMethod: 'POST',
    timeout: 60,
    record: false,
  });
});

test('every Twilio parameter maps to its field', () => {
  const request = createCallRequestFromForm(
    accountSid,
    form({
      ...valid,
      Method: 'get',
      FallbackUrl: 'https://app.test/fallback',
      FallbackMethod: 'GET',
      StatusCallback: 'https://app.test/status',
      StatusCallbackEvent: ['initiated', 'ringing answered', 'completed', 'ringing'],
      StatusCallbackMethod: 'GET',
      Timeout: '900',
      Record: 'true',
      SipAuthUsername: 'alice',
      SipAuthPassword: 's3cret',
      MachineDetection: 'DetectMessageEnd',
    }),
  );
  assert.deepEqual(request, {
    accountSid,
    to: 'sip:alice@127.0.0.1',
    from: '+15551230000',
    url: 'http://app.test/voice',
    method: 'GET',
    fallbackUrl: 'https://app.test/fallback',
    fallbackMethod: 'GET',
    statusCallback: 'https://app.test/status',
    statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
    statusCallbackMethod: 'GET',
    timeout: 600,
    // Record=true alone: Twilio's defaults for the Calls resource.
    record: { channels: 'mono', track: 'both', trimSilence: true, statusCallbackMethod: 'POST', statusCallbackEvents: ['completed'] },
    sipAuthUsername: 'alice',
    sipAuthPassword: 's3cret',
    machineDetection: 'DetectMessageEnd',
  });
});

test('Record=true takes RecordingChannels, RecordingTrack, Trim and the recording status callback; without it they are ignored', () => {
  const request = createCallRequestFromForm(
    accountSid,
    form({
      ...valid,
      Record: 'true',
      RecordingChannels: 'dual',
      RecordingTrack: 'inbound',
      Trim: 'do-not-trim',
      RecordingStatusCallback: 'https://app.test/recording',
      RecordingStatusCallbackMethod: 'get',
      RecordingStatusCallbackEvent: ['in-progress completed', 'absent', 'completed'],
    }),
  );
  assert.deepEqual(request.record, {
    channels: 'dual',
    track: 'inbound',
    trimSilence: false,
    statusCallback: 'https://app.test/recording',
    statusCallbackMethod: 'GET',
    statusCallbackEvents: ['in-progress', 'completed', 'absent'],
  });
  // Twilio ignores the Recording* parameters of a call it does not record.
  assert.equal(createCallRequestFromForm(accountSid, form({ ...valid, RecordingChannels: 'stereo' })).record, false);
  rejects({ ...valid, Record: 'true', RecordingChannels: 'stereo' }, 20001, /RecordingChannels/);
  rejects({ ...valid, Record: 'true', RecordingTrack: 'left' }, 20001, /RecordingTrack/);
  rejects({ ...valid, Record: 'true', Trim: 'yes' }, 20001, /Trim/);
  rejects({ ...valid, Record: 'true', RecordingStatusCallback: 'nowhere' }, 20001, /RecordingStatusCallback/);
  rejects({ ...valid, Record: 'true', RecordingStatusCallbackMethod: 'PUT' }, 20001, /RecordingStatusCallbackMethod/);
  rejects({ ...valid, Record: 'true', RecordingStatusCallbackEvent: 'failed' }, 20001, /RecordingStatusCallbackEvent/);
});

test('To may be a SIP URI, client:name or a number; Twiml wins over Url', () => {
  for (const to of ['sips:bob@pbx.example.com;transport=tls', 'client:alice', '+442079460000', '5551234']) {
    assert.equal(createCallRequestFromForm(accountSid, form({ ...valid, To: to })).to, to);
  }
  // Numbers are stored as Twilio stores them, without separators.
  const typed = createCallRequestFromForm(accountSid, form({ ...valid, To: '+44 20 7946-0000', From: '+1 (555) 123-0000' }));
  assert.deepEqual([typed.to, typed.from], ['+442079460000', '+15551230000']);
  assert.equal(createCallRequestFromForm(accountSid, form({ ...valid, From: 'Dialtone.Support' })).from, 'Dialtone.Support');
  const request = createCallRequestFromForm(accountSid, form({ ...valid, Twiml: '<Response><Hangup/></Response>' }));
  assert.equal(request.twiml, '<Response><Hangup/></Response>');
  assert.equal(request.url, undefined);
});

test("validation answers with Twilio's codes", () => {
  rejects({ From: valid.From, Url: valid.Url }, 21201, /'To'/);
  rejects({ ...valid, To: '' }, 21201);
  rejects({ ...valid, To: 'not a number!' }, 21211);
  rejects({ To: valid.To, Url: valid.Url }, 21213, /'From'/);
  rejects({ ...valid, From: 'bad caller<id>' }, 21212);
  rejects({ To: valid.To, From: valid.From }, 21205);
  rejects({ ...valid, Url: 'ftp://app.test/voice' }, 21205);
  rejects({ ...valid, Url: 'voice.xml' }, 21205);
  rejects({ ...valid, ApplicationSid: 'AP' + '1'.repeat(32) }, 21218);
  rejects({ ...valid, Method: 'PUT' }, 20001, /Method/);
  rejects({ ...valid, StatusCallbackEvent: 'hungup' }, 20001, /StatusCallbackEvent/);
  rejects({ ...valid, StatusCallback: 'nowhere' }, 20001, /StatusCallback/);
  rejects({ ...valid, Timeout: '-1' }, 20001, /Timeout/);
  rejects({ ...valid, Record: 'yes' }, 20001, /Record/);
  rejects({ ...valid, MachineDetection: 'On' }, 20001, /MachineDetection/);
  rejects({ To: valid.To, From: valid.From, Twiml: 'x'.repeat(maxTwimlLength + 1) }, 20001, /Twiml/);
});

test('an error never echoes a password carried in a URI', () => {
  const error = rejects({ ...valid, To: 'sip:alice:hunter2@ex ample.com' }, 21211);
  assert.ok(!error.message.includes('hunter2'), error.message);
});

test('updates: Status wins, then Twiml, then Url with Method; nothing to do is undefined', () => {
  assert.deepEqual(callUpdateFromForm(form({ Status: 'completed', Url: valid.Url })), { kind: 'end', status: 'completed' });
  assert.deepEqual(callUpdateFromForm(form({ Status: 'canceled' })), { kind: 'end', status: 'canceled' });
  assert.deepEqual(callUpdateFromForm(form({ Twiml: '<Response/>', Url: valid.Url })), { kind: 'twiml', twiml: '<Response/>' });
  assert.deepEqual(callUpdateFromForm(form({ Url: valid.Url, Method: 'GET' })), { kind: 'redirect', url: valid.Url, method: 'GET' });
  assert.deepEqual(callUpdateFromForm(form({ Url: valid.Url })), { kind: 'redirect', url: valid.Url, method: 'POST' });
  assert.equal(callUpdateFromForm(form({})), undefined);
  assert.throws(() => callUpdateFromForm(form({ Status: 'in-progress' })), (error: unknown) => error instanceof ApiError && error.code === 20001);
  assert.throws(() => callUpdateFromForm(form({ Url: 'bad' })), (error: unknown) => error instanceof ApiError && error.code === 21205);
});
