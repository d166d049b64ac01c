import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactParams, redactText } from '../../../src/store/index.js';

test('redactText removes passwords from markup attributes, either quote', () => {
  assert.equal(
    redactText('<Sip username="alice" password="s3cret">sip:alice@pbx</Sip>'),
    '<Sip username="alice" password="[redacted]">sip:alice@pbx</Sip>',
  );
  assert.equal(redactText("<Sip password = 'a\"b'>"), '<Sip password = "[redacted]">');
  assert.equal(redactText('<Number sipAuthPassword="x">'), '<Number sipAuthPassword="[redacted]">');
});

test('redactText removes passwords from form bodies, query strings and URI parameters', () => {
  assert.equal(
    redactText('To=sip%3Abob&SipAuthUsername=bob&SipAuthPassword=hunter2&Url=x'),
    'To=sip%3Abob&SipAuthUsername=bob&SipAuthPassword=[redacted]&Url=x',
  );
  assert.equal(redactText('https://app/cb?Password=abc'), 'https://app/cb?Password=[redacted]');
  assert.equal(redactText('sip:bob@pbx;password=abc;transport=tcp'), 'sip:bob@pbx;password=[redacted];transport=tcp');
});

test('redactText removes passwords from JSON and YAML', () => {
  assert.equal(redactText('{"SipAuthPassword": "hun\\"ter2", "a": 1}'), '{"SipAuthPassword": "[redacted]", "a": 1}');
  assert.equal(redactText('trunk:\n  username: u\n  password: p@ss\n'), 'trunk:\n  username: u\n  password: [redacted]\n');
});

test('redactText removes the password of URI userinfo and leaves ports and plain users alone', () => {
  assert.equal(redactText('dialling sip:bob:hunter2@pbx.example.com:5060'), 'dialling sip:bob:[redacted]@pbx.example.com:5060');
  assert.equal(redactText('sips:bob:x@pbx'), 'sips:bob:[redacted]@pbx');
  assert.equal(redactText('http://user:pw@app.example.com/voice'), 'http://user:[redacted]@app.example.com/voice');
  for (const untouched of ['sip:alice@pbx.example.com:5060', 'sip:+15551230000@gw;user=phone', 'http://app:8080/voice', 'CallStatus=ringing']) {
    assert.equal(redactText(untouched), untouched);
  }
});

test('redactParams blanks password-named keys at any depth and redacts every string value', () => {
  const input = {
    SipAuthUsername: 'bob',
    SipAuthPassword: 'hunter2',
    Password: 'x',
    To: 'sip:bob:hunter3@pbx',
    Empty: '',
    nested: { trunk: { password: 'p' }, uris: ['sip:a:b@c'] },
  };
  assert.deepEqual(redactParams(input), {
    SipAuthUsername: 'bob',
    SipAuthPassword: '[redacted]',
    Password: '[redacted]',
    To: 'sip:bob:[redacted]@pbx',
    Empty: '',
    nested: { trunk: { password: '[redacted]' }, uris: ['sip:a:[redacted]@c'] },
  });
  // A copy: the caller's object (still needed to send the INVITE) is left as it was.
  assert.equal(input.SipAuthPassword, 'hunter2');
});
