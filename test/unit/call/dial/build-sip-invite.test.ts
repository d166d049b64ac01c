/**
 * The INVITE built for each seed example that dials one <Sip>; each document is quoted from its seed
 * and parsed with the markup layer to get the model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { buildSipInvite, type SipInviteContext } from '../../../../src/call/dial/index.js';
import type { Dialect, SipNoun } from '../../../../src/markup/index.js';
import { dialOf } from './dial-fakes.js';

const childSid = 'CA0123456789abcdef0123456789abcdef';
const accountSid = 'AC0123456789abcdef0123456789abcdef';
const twilioHeaders = [
  { name: 'X-Twilio-AccountSid', value: accountSid },
  { name: 'X-Twilio-CallSid', value: childSid },
  { name: 'X-Twilio-ApiVersion', value: '2010-04-01' },
];

function build(xml: string, dialect: Dialect, overrides: Partial<SipInviteContext> = {}) {
  const dial = dialOf(xml, dialect);
  const noun = dial.nouns[0] as SipNoun;
  return buildSipInvite(noun, {
    accountSid,
    callSid: childSid,
    ...(dial.callerId === undefined ? {} : { callerId: dial.callerId }),
    caller: { from: '+15550001111', to: '+15551230000' },
    regions: [
      { name: 'us1', default: true },
      { name: 'ie1', default: false, outboundProxy: 'sip:10.0.0.5:5060' },
    ],
    ...overrides,
  });
}

describe('buildSipInvite: seed 003/004 (Twilio, TwiML)', () => {
  it('Example 1 "<Sip>kate@example.com</Sip>": UDP by default, X-Twilio-* headers, From is the caller', () => {
    const { request, warnings } = build('<Response><Dial><Sip>kate@example.com</Sip></Dial></Response>', 'twiml');
    assert.deepEqual(warnings, []);
    assert.deepEqual(request, {
      callSid: childSid,
      requestUri: {
        scheme: 'sip',
        user: 'kate',
        host: 'example.com',
        port: 5060,
        portExplicit: false,
        // Seed 003: "By default, Twilio sends your SIP INVITE over UDP."
        transport: 'udp',
        params: [],
        text: 'sip:kate@example.com',
      },
      region: 'us1',
      fromUser: '+15550001111',
      // "The SIP INVITE message includes the API version, the AccountSid, and CallSid for the call."
      headers: twilioHeaders,
      codecs: [],
    });
  });

  it('Example 2 "<Sip username="admin" password="1234">kate@example.com</Sip>": digest credentials', () => {
    const { request } = build('<Response><Dial><Sip username="admin" password="1234">kate@example.com</Sip></Dial></Response>', 'twiml');
    assert.deepEqual(request.credentials, { username: 'admin', password: '1234' });
    assert.equal(request.requestUri.text, 'sip:kate@example.com');
  });

  it('Example 3 "?x-mycustomheader=foo&x-myotherheader=bar": x- headers first, in order, then X-Twilio-*', () => {
    const { request } = build(
      '<Response><Dial><Sip>sip:kate@example.com?x-mycustomheader=foo&amp;x-myotherheader=bar</Sip></Dial></Response>',
      'twiml',
    );
    assert.equal(request.requestUri.text, 'sip:kate@example.com');
    assert.deepEqual(request.headers, [
      { name: 'x-mycustomheader', value: 'foo' },
      { name: 'x-myotherheader', value: 'bar' },
      ...twilioHeaders,
    ]);
  });

  it('"x-customname=Madhu%2CMathiyalagan%3BTitle%3DManager": several values in one x- header, decoded', () => {
    const { request } = build(
      '<Response><Dial><Sip>sip:jack@example.com?x-customname=Madhu%2CMathiyalagan%3BTitle%3DManager&amp;x-myotherheader=bar</Sip></Dial></Response>',
      'twiml',
    );
    assert.deepEqual(request.headers.slice(0, 2), [
      { name: 'x-customname', value: 'Madhu,Mathiyalagan;Title=Manager' },
      { name: 'x-myotherheader', value: 'bar' },
    ]);
  });

  it('UUI and the standard headers "can also be sent without prepending x-"', () => {
    const { request } = build(
      '<Response><Dial><Sip>sip:bob@example.com?x-foo%3Dbar&amp;User-To-User=foobar&amp;Remote-Party-ID=%3Csip%3Afoo%40example.com%3E%3Bparty%3Dcalling&amp;P-Preferred-Identity=%3Csip%3Afoo%40example.com%3E&amp;P-Called-Party-ID=%3Csip%3Afoo%40example.com%3E</Sip></Dial></Response>',
      'twiml',
    );
    assert.deepEqual(request.headers, [
      { name: 'x-foo', value: 'bar' },
      { name: 'User-To-User', value: 'foobar' },
      { name: 'Remote-Party-ID', value: '<sip:foo@example.com>;party=calling' },
      { name: 'P-Preferred-Identity', value: '<sip:foo@example.com>' },
      { name: 'P-Called-Party-ID', value: '<sip:foo@example.com>' },
      ...twilioHeaders,
    ]);
  });

  it('"sip:jack@example.com;transport=tcp" and ";transport=tls" (TLS on 5061)', () => {
    const tcp = build('<Response><Dial><Sip>sip:jack@example.com;transport=tcp</Sip></Dial></Response>', 'twiml').request.requestUri;
    assert.deepEqual([tcp.transport, tcp.port, tcp.text], ['tcp', 5060, 'sip:jack@example.com;transport=tcp']);
    // "When using TLS, the default port will be 5061 however, a different port may be specified."
    const tls = build('<Response><Dial><Sip>sip:jack@example.com;transport=tls</Sip></Dial></Response>', 'twiml').request.requestUri;
    assert.deepEqual([tls.transport, tls.port, tls.portExplicit, tls.text], ['tls', 5061, false, 'sip:jack@example.com;transport=tls']);
    const port = build('<Response><Dial><Sip>sip:jack@example.com:5081;transport=tls</Sip></Dial></Response>', 'twiml').request.requestUri;
    assert.deepEqual([port.port, port.text], [5081, 'sip:jack@example.com:5081;transport=tls']);
  });

  it('Example 4 (Dial with several attributes): From is callerId "bob"', () => {
    const { request } = build(
      `<Response>
    <Dial record="record-from-answer" timeout="10" hangupOnStar="true" callerId="bob" method="POST" action="/handle_post_dial">
        <Sip method="POST" url="/handle_screening_on_answer">
            sip:kate@example.com?x-customheader=foo
        </Sip>
    </Dial>
</Response>`,
      'twiml',
    );
    // INTERFACE.md: "From: the callerId (any of letters, digits and +-_.,), else the caller."
    assert.equal(request.fromUser, 'bob');
    assert.deepEqual(request.headers, [{ name: 'x-customheader', value: 'foo' }, ...twilioHeaders]);
  });

  it('"sip:alice@example.com;region=ie1": the ie1 egress (its outbound proxy); region is not in the Request-URI', () => {
    const { request, warnings } = build('<Response><Dial><Sip>sip:alice@example.com;region=ie1</Sip></Dial></Response>', 'twiml');
    assert.deepEqual(warnings, []);
    assert.equal(request.region, 'ie1');
    assert.equal(request.outboundProxy, 'sip:10.0.0.5:5060');
    assert.equal(request.requestUri.text, 'sip:alice@example.com');
  });

  it('an unknown region warns and leaves from the default region', () => {
    const { request, warnings } = build('<Response><Dial><Sip>sip:alice@example.com;region=jp1</Sip></Dial></Response>', 'twiml', {
      regions: [
        { name: 'us1', default: false, outboundProxy: 'sip:10.0.0.1' },
        { name: 'de1', default: true, outboundProxy: 'sip:10.0.0.9' },
      ],
    });
    assert.deepEqual(warnings, ["region 'jp1' is not configured; the INVITE leaves from the default region 'de1'"]);
    assert.equal(request.region, 'de1');
    assert.equal(request.outboundProxy, 'sip:10.0.0.9');
  });

  it('without regions configured: Twilio\'s "North America Virginia" us1, straight to the target', () => {
    const { request } = build('<Response><Dial><Sip>sip:alice@example.com</Sip></Dial></Response>', 'twiml', { regions: [] });
    assert.equal(request.region, 'us1');
    assert.equal(request.outboundProxy, undefined);
  });

  it('other URI parameters stay in the Request-URI in order; a SIP-URI caller gives its user part to From', () => {
    const { request } = build('<Response><Dial><Sip>sip:+15557654321@gw.example.com;user=phone;lr</Sip></Dial></Response>', 'twiml', {
      caller: { from: 'sip:alice@pbx.example.com', to: 'sip:support@dialtone.example.com' },
    });
    assert.equal(request.requestUri.text, 'sip:+15557654321@gw.example.com;user=phone;lr');
    assert.equal(request.fromUser, 'alice');
  });
});

describe('buildSipInvite: seed 002 (SignalWire, cXML)', () => {
  it('"dial.sip("sip:alice@example.com")": "When dialing an SIP endpoint, the transport defaults to TLS"', () => {
    const { request } = build('<Response><Dial><Sip>sip:alice@example.com</Sip></Dial></Response>', 'cxml');
    assert.deepEqual(
      [request.requestUri.transport, request.requestUri.port, request.requestUri.text],
      ['tls', 5061, 'sip:alice@example.com;transport=tls'],
    );
  });

  it('"sip:alice@example.com;transport=udp": "you can set the transport to UDP or TCP"', () => {
    const { request } = build('<Response><Dial><Sip>sip:alice@example.com;transport=udp</Sip></Dial></Response>', 'cxml');
    assert.deepEqual([request.requestUri.transport, request.requestUri.port], ['udp', 5060]);
  });

  it('"dial.sip({ username: "admin", password: "1234" }, "sip:bob@example.com")"', () => {
    const { request } = build('<Response><Dial><Sip username="admin" password="1234">sip:bob@example.com</Sip></Dial></Response>', 'cxml');
    assert.deepEqual(request.credentials, { username: 'admin', password: '1234' });
  });

  it('"Dialing a SIP endpoint with Dial attributes": callerId "alice" may be alphanumeric', () => {
    const { request } = build(
      '<Response><Dial record="record-from-answer" callerId="alice" method="GET" action="https://www.example.com/after_dial"><Sip url="https://www.example.com/whisper_audio" statusCallbackEvent="ringing answered" statusCallback="https://www.example.com/dial_events">sip:dan@example.com?x-customheader=foo</Sip></Dial></Response>',
      'cxml',
    );
    assert.equal(request.fromUser, 'alice');
    assert.deepEqual(request.headers[0], { name: 'x-customheader', value: 'foo' });
  });

  it('codecs "are offered in the order specified"; sessionTimeout is the Session-Expires', () => {
    const { request } = build('<Response><Dial><Sip codecs="OPUS,G722,PCMU" sessionTimeout="900">sip:alice@example.com</Sip></Dial></Response>', 'cxml');
    assert.deepEqual(request.codecs, ['OPUS', 'G722', 'PCMU']);
    assert.equal(request.sessionExpires, 900);
  });

  it('"If 0 or unset, SignalWire will pick the default": no Session-Expires of ours', () => {
    const { request } = build('<Response><Dial><Sip sessionTimeout="0">sip:alice@example.com</Sip></Dial></Response>', 'cxml');
    assert.equal(request.sessionExpires, undefined);
  });
});

describe('buildSipInvite: seed 000 (DIDforSale, didML)', () => {
  it('"Call will be sent to dialed_number@sip.example.com" (with its own </Say> repaired)', () => {
    const { request } = build(
      `<?xml version="1.0" encoding="UTF-8"?>
<Response>
     <dial>
         <sip>sip.example.com</Say>
     </dial>
 </Response>`,
      'didml',
    );
    assert.equal(request.requestUri.user, '+15551230000');
    assert.equal(request.requestUri.text, 'sip:+15551230000@sip.example.com');
    assert.equal(request.requestUri.transport, 'udp');
  });

  it('the dialled number is the user part of a SIP To', () => {
    const { request } = build('<Response><dial><sip>sip.example.com</sip></dial></Response>', 'didml', {
      caller: { from: '+15550001111', to: 'sip:18005551234@did.example.net' },
    });
    assert.equal(request.requestUri.text, 'sip:18005551234@sip.example.com');
  });

  it('"we will forward the call to conference bridge at sip.example.com": the URI as written', () => {
    const { request } = build('<Response><dial><sip>sip:conference@sip.example.com</Say></dial></Response>', 'didml');
    assert.equal(request.requestUri.text, 'sip:conference@sip.example.com');
  });
});

describe('buildSipInvite: seed 001 (RestComm, RCML)', () => {
  it('"By default, CallAPI sends your SIP INVITE over UDP"; username and password', () => {
    const { request } = build('<Response><Dial><Sip username="alice" password="secret">sip:alice@example.com</Sip></Dial></Response>', 'rcml');
    assert.equal(request.requestUri.transport, 'udp');
    assert.deepEqual(request.credentials, { username: 'alice', password: 'secret' });
  });
});

describe('buildSipInvite: the seed examples as the twilio package writes them', () => {
  it('seed 004 Example 4, built with twilio.twiml.VoiceResponse', () => {
    // The seed's Node.js sample, as is.
    const response = new twilio.twiml.VoiceResponse();
    const dial = response.dial({
      record: 'record-from-answer',
      timeout: 10,
      hangupOnStar: true,
      callerId: 'bob',
      method: 'POST',
      action: '/handle_post_dial',
    });
    dial.sip({ method: 'POST', url: '/handle_screening_on_answer' }, 'sip:kate@example.com?x-customheader=foo');
    const { request, warnings } = build(response.toString(), 'twiml');
    assert.deepEqual(warnings, []);
    assert.equal(request.requestUri.text, 'sip:kate@example.com');
    assert.equal(request.fromUser, 'bob');
    assert.deepEqual(request.headers, [{ name: 'x-customheader', value: 'foo' }, ...twilioHeaders]);
  });

  it('seed 004 authentication, built with twilio.twiml.VoiceResponse', () => {
    const response = new twilio.twiml.VoiceResponse();
    response.dial().sip({ username: 'admin', password: '1234' }, 'sip:kate@example.com');
    assert.deepEqual(build(response.toString(), 'twiml').request.credentials, { username: 'admin', password: '1234' });
  });
});
