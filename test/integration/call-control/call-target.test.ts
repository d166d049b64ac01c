/**
 * A REST `To` as the INVITE it becomes: a SIP URI read as a <Sip> noun, a number through the trunk,
 * client:name refused with Twilio's 21211 (answered 400 by the API), credentials from
 * SipAuthUsername/SipAuthPassword over the trunk's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callTargetOf, toInvalidCode } from '../../../src/call/adapters/api/index.js';
import { isDialtoneError } from '../../../src/kernel/index.js';

const base = { accountSid: 'AC' + 'a'.repeat(32), callSid: 'CA' + 'b'.repeat(32), from: '+15551230000' };
const trunk = { name: 'default', uri: 'sip:gateway.example.net;transport=tcp', username: 'trunk-user', password: 'trunk-pass' };

function refusedWith21211(run: () => unknown): void {
  assert.throws(run, (error: unknown) => isDialtoneError(error) && error.code === toInvalidCode && error.code >= 20000 && error.code < 40000);
}

test('a SIP URI: Request-URI, X-Twilio-* headers, From from the From parameter, credentials from SipAuth*', () => {
  const target = callTargetOf(
    { ...base, to: 'sip:alice@pbx.example.com:5070;transport=tcp?X-Customer=42', sipAuthUsername: 'alice', sipAuthPassword: 'hunter2' },
    { trunks: [trunk], regions: [] },
  );
  assert.equal(target.via, 'sip-uri');
  assert.equal(target.request.requestUri.text, 'sip:alice@pbx.example.com:5070;transport=tcp');
  assert.equal(target.request.requestUri.transport, 'tcp');
  assert.equal(target.request.fromUser, '+15551230000');
  assert.deepEqual(target.request.credentials, { username: 'alice', password: 'hunter2' });
  assert.deepEqual(target.request.headers, [
    { name: 'X-Customer', value: '42' },
    { name: 'X-Twilio-AccountSid', value: base.accountSid },
    { name: 'X-Twilio-CallSid', value: base.callSid },
    { name: 'X-Twilio-ApiVersion', value: '2010-04-01' },
  ]);
});

test('a phone number goes to the default trunk with the trunk credentials', () => {
  const target = callTargetOf({ ...base, to: '+1 (555) 987-6543' }, { trunks: [{ name: 'other', uri: 'sip:other.example.net' }, trunk], regions: [] });
  assert.equal(target.via, 'trunk');
  assert.equal(target.request.requestUri.text, 'sip:+15559876543@gateway.example.net;transport=tcp');
  assert.deepEqual(target.request.credentials, { username: 'trunk-user', password: 'trunk-pass' });
});

test('a phone number without a trunk, client:name and garbage are refused with 21211', () => {
  refusedWith21211(() => callTargetOf({ ...base, to: '+15559876543' }, { trunks: [], regions: [] }));
  refusedWith21211(() => callTargetOf({ ...base, to: 'client:alice' }, { trunks: [trunk], regions: [] }));
  refusedWith21211(() => callTargetOf({ ...base, to: 'not a target' }, { trunks: [trunk], regions: [] }));
  refusedWith21211(() => callTargetOf({ ...base, to: 'sip:' }, { trunks: [trunk], regions: [] }));
});
