import { test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { computeSignature } from '../../../src/webhook/signature.js';

const authToken = '12345';

test('POST signatures validate with the official twilio library', () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };
  const signature = computeSignature(authToken, url, params);
  // The example in Twilio's security documentation and twilio-node's own tests.
  assert.equal(signature, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  assert.ok(twilio.validateRequest(authToken, signature, url, params));
  assert.ok(!twilio.validateRequest('another-token', signature, url, params));
});

test('GET signatures cover the URL with its query string and validate with the twilio library', () => {
  const url = 'http://127.0.0.1:3000/voice?CallSid=CAabc&From=%2B15551230000&SipHeader_X-Test=a%20b';
  const signature = computeSignature(authToken, url);
  assert.ok(twilio.validateRequest(authToken, signature, url, {}));
});

test('parameter order does not matter but every value does', () => {
  const url = 'http://example.test/hook';
  const a = computeSignature(authToken, url, { B: '2', A: '1' });
  const b = computeSignature(authToken, url, { A: '1', B: '2' });
  assert.equal(a, b);
  assert.notEqual(a, computeSignature(authToken, url, { A: '1', B: '3' }));
});
