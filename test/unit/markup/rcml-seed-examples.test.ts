/**
 * The RCML Sip page (../shared/seeds/001_102dab4a2b336ada.txt). Its stored text kept the prose but
 * not the example documents, so each document below is written from the sentence it tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accept, codes, onlyDial, onlySip, refuse, sipAt } from './parse-helpers.js';

describe('RCML Sip page (001)', () => {
  it('"You can use multiple <Sip> nouns within a <Dial> verb to simultaneously attempt a connection"', () => {
    const dial = onlyDial(
      accept('<Response><Dial><Sip>sip:alice@example.com</Sip><Sip>sip:bob@example.com</Sip></Dial></Response>', 'rcml').document,
    );
    assert.equal(dial.sequential, false);
    assert.deepEqual([sipAt(dial, 0).uri.user, sipAt(dial, 1).uri.user], ['alice', 'bob']);
  });

  it('"you cannot add any other nouns (eg Number, Client) in the same Dial as the SIP" (13250)', () => {
    const problems = refuse('<Response><Dial><Sip>sip:alice@example.com</Sip><Client>bob</Client></Dial></Response>', 'rcml');
    assert.deepEqual(codes(problems), [13250]);
  });

  it('statusCallbackEvent values are separated by commas', () => {
    const { document, problems } = accept(
      '<Response><Dial><Sip statusCallbackEvent="initiated,ringing,answered,completed" statusCallback="http://app.example.com/events" statusCallbackMethod="GET">sip:alice@example.com</Sip></Dial></Response>',
      'rcml',
    );
    assert.deepEqual(problems, []);
    const sip = onlySip(document);
    assert.deepEqual(sip.statusCallbackEvents, ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(sip.statusCallback, 'http://app.example.com/events');
    assert.equal(sip.statusCallbackMethod, 'GET');
  });

  it('"If a statusCallback is provided and no status callback events are specified the completed event will be sent"', () => {
    const sip = onlySip(accept('<Response><Dial><Sip statusCallback="http://app.example.com/events">sip:alice@example.com</Sip></Dial></Response>', 'rcml').document);
    assert.deepEqual(sip.statusCallbackEvents, ['completed']);
    assert.equal(sip.statusCallbackMethod, 'POST');
  });

  it('username and password authenticate to the SIP infrastructure', () => {
    const sip = onlySip(accept('<Response><Dial><Sip username="admin" password="1234">sip:alice@example.com</Sip></Dial></Response>', 'rcml').document);
    assert.deepEqual([sip.username, sip.password], ['admin', '1234']);
  });

  it('name informs the SIP URI that answers a video call', () => {
    const sip = onlySip(accept('<Response><Dial><Sip name="sip:video@example.com">sip:alice@example.com</Sip></Dial></Response>', 'rcml').document);
    assert.equal(sip.name, 'sip:video@example.com');
  });

  it('custom headers appended to the URI; the URI under 255 characters, the headers under 1024', () => {
    const sip = onlySip(accept('<Response><Dial><Sip>sip:alice@example.com?X-Customer=42&amp;X-Queue=sales</Sip></Dial></Response>', 'rcml').document);
    assert.deepEqual(sip.uri.headers, [
      { name: 'X-Customer', value: '42' },
      { name: 'X-Queue', value: 'sales' },
    ]);
  });

  it('"By default, CallAPI sends your SIP INVITE over UDP"; transport=tcp changes it', () => {
    const udp = onlySip(accept('<Response><Dial><Sip>sip:alice@example.com</Sip></Dial></Response>', 'rcml').document);
    assert.deepEqual([udp.uri.transport, udp.uri.port], ['udp', 5060]);
    const tcp = onlySip(accept('<Response><Dial><Sip>sip:alice@example.com;transport=tcp</Sip></Dial></Response>', 'rcml').document);
    assert.equal(tcp.uri.transport, 'tcp');
  });

  it('a complex Dial: settings on Dial, call screening url and method, and TCP', () => {
    const dial = onlyDial(
      accept(
        `<Response>
  <Dial record="true" timeout="10" hangupOnStar="true" callerId="bob" method="POST" action="/handle_post_dial">
    <Sip url="/handle_screening_on_answer" method="GET">sip:kate@example.com;transport=tcp</Sip>
  </Dial>
</Response>`,
        'rcml',
      ).document,
    );
    assert.deepEqual([dial.record, dial.timeout, dial.hangupOnStar, dial.callerId, dial.action], ['record-from-answer', 10, true, 'bob', '/handle_post_dial']);
    const sip = sipAt(dial, 0);
    assert.deepEqual([sip.url, sip.method, sip.uri.transport], ['/handle_screening_on_answer', 'GET', 'tcp']);
  });

  it('space-separated events are read with a 12200 warning naming the comma', () => {
    const { document, problems } = accept('<Response><Dial><Sip statusCallbackEvent="ringing answered">sip:a@example.com</Sip></Dial></Response>', 'rcml');
    assert.deepEqual(onlySip(document).statusCallbackEvents, ['ringing', 'answered']);
    assert.deepEqual(codes(problems), [12200]);
    assert.match(problems[0]?.message ?? '', /commas/);
  });
});
