/**
 * Every XML example of the two Twilio <Sip> pages, quoted verbatim, read field by field as the page
 * explains it; then the same document built with the official `twilio` library's VoiceResponse must
 * read to the same model.
 *   003 = ../shared/seeds/003_82032d54b50008b7.txt (older page), 004 = 004_103d3cce09397f10.txt (current page).
 * Where the pages disagree the current page decides for TwiML: custom headers must start with x-
 * (older-page names like `mycustomheader` draw 13252 and are not sent).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { parseDocument, type SipNoun, type VoiceDocument } from '../../../src/markup/index.js';
import { accept, codes, onlyDial, onlySip, sipAt } from './parse-helpers.js';

const { VoiceResponse } = twilio.twiml;
type Response = InstanceType<typeof VoiceResponse>;

function sameAsLibrary(seedXml: string, build: (response: Response) => void): VoiceDocument {
  const fromSeed = accept(seedXml, 'twiml');
  const response = new VoiceResponse();
  build(response);
  const fromLibrary = parseDocument(response.toString(), { dialect: 'twiml' });
  assert.deepEqual(fromLibrary.document, fromSeed.document);
  assert.deepEqual(codes(fromLibrary.problems), codes(fromSeed.problems));
  return fromSeed.document;
}

/** The fields every plain <Sip> of the pages has: no auth, no screening, POST, no callbacks. */
function assertPlainSip(sip: SipNoun): void {
  assert.equal(sip.username, undefined);
  assert.equal(sip.password, undefined);
  assert.equal(sip.url, undefined);
  assert.equal(sip.method, 'POST');
  assert.equal(sip.statusCallback, undefined);
  assert.equal(sip.statusCallbackMethod, 'POST');
  assert.deepEqual(sip.statusCallbackEvents, []);
}

describe('TwiML older page (003)', () => {
  it('region: sip:alice@example.com;region=ie1 sends from ie1 over the default UDP', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>sip:alice@example.com;region=ie1</Sip>
    </Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) => r.dial().sip('sip:alice@example.com;region=ie1'));
    const sip = onlySip(document);
    assert.equal(sip.uri.scheme, 'sip');
    assert.equal(sip.uri.user, 'alice');
    assert.equal(sip.uri.host, 'example.com');
    assert.equal(sip.uri.region, 'ie1');
    assert.equal(sip.uri.transport, 'udp');
    assert.equal(sip.uri.transportExplicit, false);
    assert.equal(sip.uri.port, 5060);
    assert.deepEqual(sip.uri.params, []);
    assertPlainSip(sip);
  });

  it('the URI on its own lines is trimmed: sip:jack@example.com', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
    <Sip>
        sip:jack@example.com
    </Sip>
</Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com'));
    const sip = onlySip(document);
    assert.equal(sip.uri.raw, 'sip:jack@example.com');
    assert.equal(sip.uri.user, 'jack');
    assert.equal(sip.uri.host, 'example.com');
    assert.equal(sip.uri.region, undefined);
    assertPlainSip(sip);
    const dial = onlyDial(document);
    assert.equal(dial.timeout, 30);
    assert.equal(dial.timeLimit, 14_400);
    assert.equal(dial.record, 'do-not-record');
    assert.equal(dial.sequential, false);
  });

  it('authentication: username and password on <Sip>', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
    <Sip username="admin" password="1234">sip:kate@example.com</Sip>
</Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) => r.dial().sip({ username: 'admin', password: '1234' }, 'sip:kate@example.com'));
    const sip = onlySip(document);
    assert.equal(sip.username, 'admin');
    assert.equal(sip.password, '1234');
    assert.equal(sip.uri.user, 'kate');
  });

  it('custom headers without x- are not sent (the current page decides): 13252 for each', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>
            sip:jack@example.com?mycustomheader=foo&amp;myotherheader=bar
        </Sip>
    </Dial>
</Response>`;
    sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com?mycustomheader=foo&myotherheader=bar'));
    const { document, problems } = accept(xml, 'twiml');
    const sip = onlySip(document);
    assert.equal(sip.uri.raw, 'sip:jack@example.com?mycustomheader=foo&myotherheader=bar');
    assert.deepEqual(sip.uri.headers, []);
    assert.deepEqual(codes(problems), [13252, 13252]);
    assert.ok(problems.every((problem) => problem.severity === 'warning' && problem.line === 4 && problem.column === 9));
    assert.match(problems[0]?.message ?? '', /mycustomheader/);
  });

  it('transport=tcp', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>
            sip:jack@example.com;transport=tcp
        </Sip>
    </Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com;transport=tcp')));
    assert.equal(sip.uri.transport, 'tcp');
    assert.equal(sip.uri.transportExplicit, true);
    assert.equal(sip.uri.port, 5060);
  });

  it('transport=tls uses port 5061', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>
            sip:jack@example.com;transport=tls
        </Sip>
    </Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com;transport=tls')));
    assert.equal(sip.uri.transport, 'tls');
    assert.equal(sip.uri.port, 5061);
    assert.equal(sip.uri.portExplicit, false);
  });

  it('Example 1: kate@example.com without a scheme is sip:kate@example.com', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>kate@example.com</Sip>
    </Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('kate@example.com')));
    assert.equal(sip.uri.scheme, 'sip');
    assert.equal(sip.uri.user, 'kate');
    assert.equal(sip.uri.host, 'example.com');
    assert.equal(sip.uri.userFromCalledNumber, false);
  });

  it('Example 2: kate@example.com with credentials', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip username="admin" password="1234">kate@example.com</Sip>
    </Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip({ username: 'admin', password: '1234' }, 'kate@example.com')));
    assert.equal(sip.username, 'admin');
    assert.equal(sip.password, '1234');
    assert.equal(sip.uri.user, 'kate');
  });

  it('Example 3: passing headers (un-prefixed, so dropped with 13252)', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip>sip:kate@example.com?mycustomheader=foo&amp;myotherheader=bar</Sip>
    </Dial>
</Response>`;
    sameAsLibrary(xml, (r) => r.dial().sip('sip:kate@example.com?mycustomheader=foo&myotherheader=bar'));
    const { document, problems } = accept(xml, 'twiml');
    assert.deepEqual(onlySip(document).uri.headers, []);
    assert.deepEqual(codes(problems), [13252, 13252]);
  });

  it('Example 4: Dial with several attributes and call screening', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial
     record="record-from-answer"
     timeout="10"
     hangupOnStar="true"
     callerId="bob"
     method="POST"
     action="/handle_post_dial">

        <Sip
         method="POST"
         url="/handle_screening_on_answer">
            sip:kate@example.com?customheader=foo
        </Sip>
    </Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) =>
      r
        .dial({ record: 'record-from-answer', timeout: 10, hangupOnStar: true, callerId: 'bob', method: 'POST', action: '/handle_post_dial' })
        .sip({ method: 'POST', url: '/handle_screening_on_answer' }, 'sip:kate@example.com?customheader=foo'),
    );
    const dial = onlyDial(document);
    assert.equal(dial.record, 'record-from-answer');
    assert.equal(dial.timeout, 10);
    assert.equal(dial.hangupOnStar, true);
    assert.equal(dial.callerId, 'bob');
    assert.equal(dial.method, 'POST');
    assert.equal(dial.action, '/handle_post_dial');
    const sip = sipAt(dial, 0);
    assert.equal(sip.method, 'POST');
    assert.equal(sip.url, '/handle_screening_on_answer');
    assert.equal(sip.uri.user, 'kate');
    assert.deepEqual(sip.uri.headers, []);
  });

  it('Example 5: call progress events separated by spaces', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Dial>
        <Sip
         statusCallbackEvent='initiated ringing answered completed'
         statusCallback='https://myapp.com/calls/events'
         statusCallbackMethod='POST'>
            sip:kate@example.com
        </Sip>
    </Dial>
</Response>`;
    const sip = onlySip(
      sameAsLibrary(xml, (r) =>
        r.dial().sip(
          {
            statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
            statusCallback: 'https://myapp.com/calls/events',
            statusCallbackMethod: 'POST',
          },
          'sip:kate@example.com',
        ),
      ),
    );
    assert.deepEqual(sip.statusCallbackEvents, ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(sip.statusCallback, 'https://myapp.com/calls/events');
    assert.equal(sip.statusCallbackMethod, 'POST');
  });
});

describe('TwiML current page (004)', () => {
  it('region=ie1', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>sip:alice@example.com;region=ie1</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:alice@example.com;region=ie1')));
    assert.equal(sip.uri.region, 'ie1');
    assert.equal(sip.uri.user, 'alice');
  });

  it('sip:jack@example.com on its own line', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>
sip:jack@example.com
</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com')));
    assert.equal(sip.uri.raw, 'sip:jack@example.com');
    assertPlainSip(sip);
  });

  it('authentication', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip username="admin" password="1234">sip:kate@example.com</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip({ username: 'admin', password: '1234' }, 'sip:kate@example.com')));
    assert.equal(sip.username, 'admin');
    assert.equal(sip.password, '1234');
  });

  it('x- custom headers are sent, in order', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>
sip:jack@example.com?x-mycustomheader=foo&amp;x-myotherheader=bar
</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com?x-mycustomheader=foo&x-myotherheader=bar')));
    assert.deepEqual(sip.uri.headers, [
      { name: 'x-mycustomheader', value: 'foo' },
      { name: 'x-myotherheader', value: 'bar' },
    ]);
  });

  it('several values in one x- header are percent-decoded', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>sip:jack@example.com?x-customname=Madhu%2CMathiyalagan%3BTitle%3DManager&amp;x-myotherheader=bar</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com?x-customname=Madhu%2CMathiyalagan%3BTitle%3DManager&x-myotherheader=bar')));
    assert.deepEqual(sip.uri.headers, [
      { name: 'x-customname', value: 'Madhu,Mathiyalagan;Title=Manager' },
      { name: 'x-myotherheader', value: 'bar' },
    ]);
  });

  it('User-to-User is sent without x-', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>sip:jack@example.com?User-to-User=123456789%3Bencoding%3Dhex&amp;x-myotherheader=bar</Sip>
</Dial>
</Response>`;
    const { document, problems } = accept(xml, 'twiml');
    assert.deepEqual(problems, []);
    assert.deepEqual(onlySip(document).uri.headers, [
      { name: 'User-to-User', value: '123456789;encoding=hex' },
      { name: 'x-myotherheader', value: 'bar' },
    ]);
    sameAsLibrary(xml, (r) => r.dial().sip('sip:jack@example.com?User-to-User=123456789%3Bencoding%3Dhex&x-myotherheader=bar'));
  });

  it('the standard headers Remote-Party-ID, P-Preferred-Identity, P-Called-Party-ID are sent without x-', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>sip:bob@example.com?x-foo%3Dbar&amp;User-To-User=foobar&amp;Remote-Party-ID=%3Csip%3Afoo%40example.com%3E%3Bparty%3Dcalling&amp;P-Preferred-Identity=%3Csip%3Afoo%40example.com%3E&amp;P-Called-Party-ID=%3Csip%3Afoo%40example.com%3E</Sip>
</Dial>
</Response>`;
    const { document, problems } = accept(xml, 'twiml');
    assert.deepEqual(problems, []);
    assert.deepEqual(onlySip(document).uri.headers, [
      // The page escapes this header's '=' itself; it is read as x-foo: bar.
      { name: 'x-foo', value: 'bar' },
      { name: 'User-To-User', value: 'foobar' },
      { name: 'Remote-Party-ID', value: '<sip:foo@example.com>;party=calling' },
      { name: 'P-Preferred-Identity', value: '<sip:foo@example.com>' },
      { name: 'P-Called-Party-ID', value: '<sip:foo@example.com>' },
    ]);
  });

  it('transport=tcp and transport=tls (port 5061)', () => {
    const tcp = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>
sip:jack@example.com;transport=tcp
</Sip>
</Dial>
</Response>`;
    const tls = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>
sip:jack@example.com;transport=tls
</Sip>
</Dial>
</Response>`;
    const tcpSip = onlySip(sameAsLibrary(tcp, (r) => r.dial().sip('sip:jack@example.com;transport=tcp')));
    assert.deepEqual([tcpSip.uri.transport, tcpSip.uri.port], ['tcp', 5060]);
    const tlsSip = onlySip(sameAsLibrary(tls, (r) => r.dial().sip('sip:jack@example.com;transport=tls')));
    assert.deepEqual([tlsSip.uri.transport, tlsSip.uri.port], ['tls', 5061]);
  });

  it('Examples 1 and 2: kate@example.com, with and without credentials', () => {
    const plain = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>kate@example.com</Sip>
</Dial>
</Response>`;
    const auth = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip username="admin" password="1234">kate@example.com</Sip>
</Dial>
</Response>`;
    const plainSip = onlySip(sameAsLibrary(plain, (r) => r.dial().sip('kate@example.com')));
    assert.deepEqual([plainSip.uri.scheme, plainSip.uri.user, plainSip.uri.host], ['sip', 'kate', 'example.com']);
    const authSip = onlySip(sameAsLibrary(auth, (r) => r.dial().sip({ username: 'admin', password: '1234' }, 'kate@example.com')));
    assert.deepEqual([authSip.username, authSip.password], ['admin', '1234']);
  });

  it('Example 3: x- headers', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip>sip:kate@example.com?x-mycustomheader=foo&amp;x-myotherheader=bar</Sip>
</Dial>
</Response>`;
    const sip = onlySip(sameAsLibrary(xml, (r) => r.dial().sip('sip:kate@example.com?x-mycustomheader=foo&x-myotherheader=bar')));
    assert.deepEqual(sip.uri.headers, [
      { name: 'x-mycustomheader', value: 'foo' },
      { name: 'x-myotherheader', value: 'bar' },
    ]);
  });

  it('Example 4: Dial with several attributes', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial
record="record-from-answer"
timeout="10"
hangupOnStar="true"
callerId="bob"
method="POST"
action="/handle_post_dial">

<Sip
method="POST"
url="/handle_screening_on_answer">
sip:kate@example.com?x-customheader=foo
</Sip>
</Dial>
</Response>`;
    const document = sameAsLibrary(xml, (r) =>
      r
        .dial({ record: 'record-from-answer', timeout: 10, hangupOnStar: true, callerId: 'bob', method: 'POST', action: '/handle_post_dial' })
        .sip({ method: 'POST', url: '/handle_screening_on_answer' }, 'sip:kate@example.com?x-customheader=foo'),
    );
    const dial = onlyDial(document);
    assert.deepEqual(
      [dial.record, dial.timeout, dial.hangupOnStar, dial.callerId, dial.method, dial.action],
      ['record-from-answer', 10, true, 'bob', 'POST', '/handle_post_dial'],
    );
    const sip = sipAt(dial, 0);
    assert.deepEqual([sip.method, sip.url], ['POST', '/handle_screening_on_answer']);
    assert.deepEqual(sip.uri.headers, [{ name: 'x-customheader', value: 'foo' }]);
  });

  it('Example 5: call progress events', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Sip
statusCallbackEvent='initiated ringing answered completed'
statusCallback='https://myapp.com/calls/events'
statusCallbackMethod='POST'>
sip:kate@example.com
</Sip>
</Dial>
</Response>`;
    const sip = onlySip(
      sameAsLibrary(xml, (r) =>
        r.dial().sip(
          { statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'], statusCallback: 'https://myapp.com/calls/events', statusCallbackMethod: 'POST' },
          'sip:kate@example.com',
        ),
      ),
    );
    assert.deepEqual(sip.statusCallbackEvents, ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(sip.statusCallback, 'https://myapp.com/calls/events');
  });

  it('Example 6: parallel dialling of a <Number> and three <Sip>, in order', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial>
<Number>+12143211432</Number>
<Sip>sip:alice-soft-phone@example.com</Sip>
<Sip>sip:alice-desk-phone@example.com</Sip>
<Sip>sip:alice-mobile-client@example.com</Sip>
</Dial>
</Response>`;
    const dial = onlyDial(
      sameAsLibrary(xml, (r) => {
        const d = r.dial();
        d.number('+12143211432');
        d.sip('sip:alice-soft-phone@example.com');
        d.sip('sip:alice-desk-phone@example.com');
        d.sip('sip:alice-mobile-client@example.com');
      }),
    );
    assert.equal(dial.sequential, false);
    assert.deepEqual(
      dial.nouns.map((noun) => noun.noun),
      ['number', 'sip', 'sip', 'sip'],
    );
    const number = dial.nouns[0];
    assert.ok(number?.noun === 'number');
    assert.equal(number.number, '+12143211432');
    assert.deepEqual(
      [1, 2, 3].map((index) => sipAt(dial, index).uri.user),
      ['alice-soft-phone', 'alice-desk-phone', 'alice-mobile-client'],
    );
  });

  it('Example 7: sequential dialling', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
<Dial sequential="true">
<Sip>sip:alice@example.com</Sip>
<Sip>sip:bob@example.com</Sip>
<Sip>sip:charlie@example.com</Sip>
</Dial>
</Response>`;
    const dial = onlyDial(
      sameAsLibrary(xml, (r) => {
        const d = r.dial({ sequential: true });
        d.sip('sip:alice@example.com');
        d.sip('sip:bob@example.com');
        d.sip('sip:charlie@example.com');
      }),
    );
    assert.equal(dial.sequential, true);
    assert.deepEqual(
      [0, 1, 2].map((index) => sipAt(dial, index).uri.user),
      ['alice', 'bob', 'charlie'],
    );
  });

  it('answering machine detection attributes, defaulted and range-checked', () => {
    const xml = `<Response><Dial><Sip machineDetection="DetectMessageEnd" machineDetectionTimeout="45" amdStatusCallback="https://example.com/amd" amdStatusCallbackMethod="GET">sip:kate@example.com</Sip></Dial></Response>`;
    const sip = onlySip(
      sameAsLibrary(xml, (r) =>
        r.dial().sip(
          { machineDetection: 'DetectMessageEnd', machineDetectionTimeout: 45, amdStatusCallback: 'https://example.com/amd', amdStatusCallbackMethod: 'GET' },
          'sip:kate@example.com',
        ),
      ),
    );
    assert.equal(sip.machineDetection, 'DetectMessageEnd');
    assert.equal(sip.machineDetectionTimeout, 45);
    assert.equal(sip.machineDetectionSpeechThreshold, 2400);
    assert.equal(sip.machineDetectionSpeechEndThreshold, 1200);
    assert.equal(sip.machineDetectionSilenceTimeout, 5000);
    assert.equal(sip.amdStatusCallback, 'https://example.com/amd');
    assert.equal(sip.amdStatusCallbackMethod, 'GET');
    const { document, problems } = accept('<Response><Dial><Sip machineDetectionTimeout="2" machineDetectionSpeechThreshold="6001">sip:a@example.com</Sip></Dial></Response>', 'twiml');
    assert.deepEqual(codes(problems), [12200, 12200]);
    assert.equal(onlySip(document).machineDetectionTimeout, 30);
    assert.equal(onlySip(document).machineDetectionSpeechThreshold, 2400);
  });
});
