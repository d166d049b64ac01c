import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingSafeEqual } from 'node:crypto';
import { createCredentialVerifier, parseBasicAuthorization } from '../../../src/api/index.js';
import { accountSid, accounts, authToken, basic, otherAccountSid, otherAuthToken } from './api-fixture.js';

test('parseBasicAuthorization reads user:password, the password may hold colons', () => {
  assert.deepEqual(parseBasicAuthorization(basic('AC1', 'a:b:c')), { username: 'AC1', password: 'a:b:c' });
  assert.deepEqual(parseBasicAuthorization('basic ' + Buffer.from('u:').toString('base64')), { username: 'u', password: '' });
  assert.equal(parseBasicAuthorization(undefined), undefined);
  assert.equal(parseBasicAuthorization('Bearer abc'), undefined);
  assert.equal(parseBasicAuthorization('Basic ' + Buffer.from('no-colon').toString('base64')), undefined);
  assert.equal(parseBasicAuthorization('Basic !!!'), undefined);
});

test('the verifier answers the account whose SID and token both match', () => {
  const verify = createCredentialVerifier(accounts);
  assert.equal(verify({ username: accountSid, password: authToken }), accountSid);
  assert.equal(verify({ username: otherAccountSid, password: otherAuthToken }), otherAccountSid);
  assert.equal(verify({ username: accountSid, password: otherAuthToken }), undefined, "another account's token");
  assert.equal(verify({ username: accountSid, password: authToken + 'x' }), undefined);
  assert.equal(verify({ username: accountSid, password: '' }), undefined);
  assert.equal(verify({ username: 'AC' + '9'.repeat(32), password: authToken }), undefined);
  assert.equal(verify(undefined), undefined);
  assert.equal(createCredentialVerifier([])({ username: accountSid, password: authToken }), undefined);
});

test('constant-time path: every attempt compares equal-length digests of every account, whatever matches', () => {
  const calls: Array<[number, number]> = [];
  const verify = createCredentialVerifier(accounts, {
    equal: (a, b) => {
      calls.push([a.length, b.length]);
      return timingSafeEqual(a, b);
    },
  });
  const attempts = [
    { username: accountSid, password: authToken },
    { username: accountSid, password: 'x' },
    { username: accountSid, password: 'a much longer token than the real one, '.repeat(10) },
    { username: 'ACunknown', password: authToken },
    { username: '', password: '' },
  ];
  const counts: number[] = [];
  for (const credentials of attempts) {
    calls.length = 0;
    verify(credentials);
    counts.push(calls.length);
    // Lengths never depend on the input: SHA-256 digests on both sides.
    assert.ok(calls.every(([a, b]) => a === 32 && b === 32));
  }
  assert.deepEqual(counts, attempts.map(() => accounts.length * 2), 'the same number of comparisons for a hit, a miss and an unknown SID');
});
