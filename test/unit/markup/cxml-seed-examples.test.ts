/**
 * The cXML <Sip> page (../shared/seeds/002_c09a963d939320ee.txt). Its stored text lost the tags of
 * its ```xml blocks, so each example is written from the page's own Node.js code for it (SignalWire's
 * LaML VoiceResponse, which the `twilio` VoiceResponse matches) and read in the cxml dialect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { parseDocument, type VoiceDocument } from '../../../src/markup/index.js';
import { accept, codes, onlyDial, onlySip, refuse, sipAt } from './parse-helpers.js';

const { VoiceResponse } = twilio.twiml;
type Response = InstanceType<typeof VoiceResponse>;

function sameAsLibrary(xml: string, build: (response: Response) => void): VoiceDocument {
  const fromXml = accept(xml, 'cxml');
  const response = new VoiceResponse();
  build(response);
  assert.deepEqual(parseDocument(response.toString(), { dialect: 'cxml' }).document, fromXml.document);
  return fromXml.document;
}

describe('cXML <Sip> page (002)', () => {
  it('dialing a SIP endpoint: TLS is the default transport, so port 5061', () => {
    const sip = onlySip(sameAsLibrary('<Response><Dial><Sip>sip:alice@example.com</Sip></Dial></Response>', (r) => r.dial().sip('sip:alice@example.com')));
    assert.equal(sip.uri.user, 'alice');
    assert.equal(sip.uri.transport, 'tls');
    assert.equal(sip.uri.transportExplicit, false);
    assert.equal(sip.uri.port, 5061);
  });

  it('transport set manually to UDP: sip:alice@example.com;transport=udp', () => {
    const sip = onlySip(accept('<Response><Dial><Sip>sip:alice@example.com;transport=udp</Sip></Dial></Response>', 'cxml').document);
    assert.deepEqual([sip.uri.transport, sip.uri.transportExplicit, sip.uri.port], ['udp', true, 5060]);
  });

  it('with authentication', () => {
    const sip = onlySip(
      sameAsLibrary('<Response><Dial><Sip username="admin" password="1234">sip:bob@example.com</Sip></Dial></Response>', (r) =>
        r.dial().sip({ username: 'admin', password: '1234' }, 'sip:bob@example.com'),
      ),
    );
    assert.deepEqual([sip.username, sip.password, sip.uri.user], ['admin', '1234', 'bob']);
  });

  it('custom headers: un-prefixed names are not sent (13252), as for every dialect', () => {
    const xml = '<Response><Dial><Sip>sip:charlie@example.com?customheader=foo&amp;othercustomheader=bar</Sip></Dial></Response>';
    sameAsLibrary(xml, (r) => r.dial().sip('sip:charlie@example.com?customheader=foo&othercustomheader=bar'));
    const { document, problems } = accept(xml, 'cxml');
    assert.deepEqual(onlySip(document).uri.headers, []);
    assert.deepEqual(codes(problems), [13252, 13252]);
  });

  it('a SIP endpoint with Dial attributes; statusCallbackEvent separated by a space', () => {
    const xml = `<Response>
  <Dial record="record-from-answer" callerId="alice" method="GET" action="https://www.example.com/after_dial">
    <Sip url="https://www.example.com/whisper_audio" statusCallbackEvent="ringing answered" statusCallback="https://www.example.com/dial_events">sip:dan@example.com?customheader=foo</Sip>
  </Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) =>
      r
        .dial({ record: 'record-from-answer', callerId: 'alice', method: 'GET', action: 'https://www.example.com/after_dial' })
        .sip(
          { url: 'https://www.example.com/whisper_audio', statusCallbackEvent: ['ringing', 'answered'], statusCallback: 'https://www.example.com/dial_events' },
          'sip:dan@example.com?customheader=foo',
        ),
    );
    const dial = onlyDial(document);
    assert.deepEqual([dial.record, dial.callerId, dial.method, dial.action], ['record-from-answer', 'alice', 'GET', 'https://www.example.com/after_dial']);
    const sip = sipAt(dial, 0);
    assert.equal(sip.url, 'https://www.example.com/whisper_audio');
    assert.equal(sip.method, 'POST');
    assert.deepEqual(sip.statusCallbackEvents, ['ringing', 'answered']);
    assert.equal(sip.statusCallback, 'https://www.example.com/dial_events');
    assert.equal(sip.uri.user, 'dan');
  });

  it('codecs are offered in the order given; sessionTimeout sets Session-Expires, 0 means the default', () => {
    const sip = onlySip(accept('<Response><Dial><Sip codecs="OPUS,pcmu,G722" sessionTimeout="1800">sip:a@example.com</Sip></Dial></Response>', 'cxml').document);
    assert.deepEqual(sip.codecs, ['OPUS', 'PCMU', 'G722']);
    assert.equal(sip.sessionTimeout, 1800);
    const unset = onlySip(accept('<Response><Dial><Sip sessionTimeout="0">sip:a@example.com</Sip></Dial></Response>', 'cxml').document);
    assert.equal(unset.sessionTimeout, undefined);
    assert.deepEqual(unset.codecs, []);
    const bad = accept('<Response><Dial><Sip codecs="PCMU,SPEEX">sip:a@example.com</Sip></Dial></Response>', 'cxml');
    assert.deepEqual(onlySip(bad.document).codecs, ['PCMU']);
    assert.deepEqual(codes(bad.problems), [12200]);
  });

  it('callerId may be alphanumeric with +-_., but no whitespace', () => {
    const dial = onlyDial(accept('<Response><Dial callerId="Acme_Support-1.0,+"><Sip>sip:a@example.com</Sip></Dial></Response>', 'cxml').document);
    assert.equal(dial.callerId, 'Acme_Support-1.0,+');
    assert.deepEqual(codes(refuse('<Response><Dial callerId="Acme Support"><Sip>sip:a@example.com</Sip></Dial></Response>', 'cxml')), [13214]);
  });

  it('up to 10 <Sip> in a <Dial>, and no other noun beside them', () => {
    const sips = (count: number): string => Array.from({ length: count }, (_, i) => `<Sip>sip:u${i}@example.com</Sip>`).join('');
    assert.equal(onlyDial(accept(`<Response><Dial>${sips(10)}</Dial></Response>`, 'cxml').document).nouns.length, 10);
    assert.deepEqual(codes(refuse(`<Response><Dial>${sips(11)}</Dial></Response>`, 'cxml')), [13250]);
    assert.deepEqual(codes(refuse(`<Response><Dial><Number>+15551230000</Number>${sips(1)}</Dial></Response>`, 'cxml')), [13250]);
  });

  it('record="true" is not a cXML value (13217)', () => {
    assert.deepEqual(codes(refuse('<Response><Dial record="true"><Sip>sip:a@example.com</Sip></Dial></Response>', 'cxml')), [13217]);
  });

  it('TwiML-only answering machine attributes are unknown in cXML (12200, ignored)', () => {
    const { document, problems } = accept('<Response><Dial><Sip machineDetection="Enable">sip:a@example.com</Sip></Dial></Response>', 'cxml');
    assert.equal(onlySip(document).machineDetection, undefined);
    assert.deepEqual(codes(problems), [12200]);
  });
});
