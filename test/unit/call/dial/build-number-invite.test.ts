/**
 * The INVITE of a <Number> leg through the configured trunk (INTERFACE.md `trunks`: "where <Number>
 * goes"): Request-URI user = the number, everything else from the trunk URI, digest credentials from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildNumberInvite, dialledNumber, type NumberInviteContext } from '../../../../src/call/dial/index.js';
import type { TrunkConfig } from '../../../../src/config/index.js';
import type { NumberNoun } from '../../../../src/markup/index.js';
import { dialOf } from './dial-fakes.js';

const childSid = 'CA0123456789abcdef0123456789abcdef';
const accountSid = 'AC0123456789abcdef0123456789abcdef';

function build(xml: string, trunk: TrunkConfig, overrides: Partial<NumberInviteContext> = {}) {
  const dial = dialOf(xml, 'twiml');
  const noun = dial.nouns[0] as NumberNoun;
  return buildNumberInvite(noun, {
    accountSid,
    callSid: childSid,
    ...(dial.callerId === undefined ? {} : { callerId: dial.callerId }),
    caller: { from: '+15550001111', to: '+15551230000' },
    trunk,
    regions: [
      { name: 'us1', default: true, outboundProxy: 'sip:10.0.0.9:5060' },
      { name: 'ie1', default: false },
    ],
    ...overrides,
  });
}

describe('buildNumberInvite: <Number> through the trunk', () => {
  it('INTERFACE.md\'s trunk "sip:gateway.example.net;transport=udp": the number as user, the trunk\'s credentials, X-Twilio-* headers', () => {
    const built = build('<Response><Dial><Number>+12143211432</Number></Dial></Response>', {
      name: 'default',
      uri: 'sip:gateway.example.net;transport=udp',
      username: 'trunkuser',
      password: 'secret',
    });
    assert.ok(!('problem' in built));
    assert.deepEqual(built, {
      request: {
        callSid: childSid,
        requestUri: {
          scheme: 'sip',
          user: '+12143211432',
          host: 'gateway.example.net',
          port: 5060,
          portExplicit: false,
          transport: 'udp',
          params: [],
          text: 'sip:+12143211432@gateway.example.net;transport=udp',
        },
        // The default region's egress: a trunk URI has no ;region.
        outboundProxy: 'sip:10.0.0.9:5060',
        region: 'us1',
        fromUser: '+15550001111',
        headers: [
          { name: 'X-Twilio-AccountSid', value: accountSid },
          { name: 'X-Twilio-CallSid', value: childSid },
          { name: 'X-Twilio-ApiVersion', value: '2010-04-01' },
        ],
        credentials: { username: 'trunkuser', password: 'secret' },
        codecs: [],
      },
      warnings: [],
    });
  });

  it('port, transport and parameters from the trunk URI; the trunk\'s own user part and headers are not used; callerId is the From', () => {
    const built = build('<Response><Dial callerId="+15559998888"><Number>415 123-4567</Number></Dial></Response>', {
      name: 'pbx',
      uri: 'sip:trunk@10.1.2.3:5080;transport=tcp;user=phone?x-ignored=1',
    });
    assert.ok(!('problem' in built));
    const { request } = built;
    assert.equal(request.requestUri.text, 'sip:4151234567@10.1.2.3:5080;transport=tcp;user=phone');
    assert.deepEqual([request.requestUri.port, request.requestUri.portExplicit, request.requestUri.transport], [5080, true, 'tcp']);
    assert.deepEqual(request.requestUri.params, [{ name: 'user', value: 'phone' }]);
    assert.equal(request.credentials, undefined);
    assert.equal(request.fromUser, '+15559998888');
    assert.equal(request.headers.length, 3);
  });

  it('a sips: trunk is TLS on 5061 without writing the transport', () => {
    const built = build('<Response><Dial><Number>+442071234567</Number></Dial></Response>', { name: 'tls', uri: 'sips:sbc.example.org' });
    assert.ok(!('problem' in built));
    assert.deepEqual([built.request.requestUri.text, built.request.requestUri.transport, built.request.requestUri.port], ['sips:+442071234567@sbc.example.org', 'tls', 5061]);
  });

  it('an unusable trunk URI is a problem, not an INVITE', () => {
    for (const uri of ['sip:', 'sip:gw.example.net;transport=sctp', 'sips:gw.example.net;transport=udp', 'http://gw.example.net']) {
      const built = build('<Response><Dial><Number>+12143211432</Number></Dial></Response>', { name: 'bad', uri });
      assert.ok('problem' in built, uri);
      assert.match(built.problem, /trunk 'bad' has an unusable uri/);
    }
  });

  it('dialledNumber: E.164 as written, digits kept, separators dropped', () => {
    assert.equal(dialledNumber('+1 (214) 321-1432'), '+12143211432');
    assert.equal(dialledNumber('415.123.4567'), '4151234567');
    assert.equal(dialledNumber(' +12143211432 '), '+12143211432');
  });
});
