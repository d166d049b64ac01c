/** <Dial> attributes: typed, defaulted, range-checked with Twilio's codes; noun counts and mixing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accept, codes, onlyDial, refuse } from './parse-helpers.js';

const sip = '<Sip>sip:a@example.com</Sip>';
const dialWith = (attributes: string, nouns = sip): string => `<Response><Dial ${attributes}>${nouns}</Dial></Response>`;

describe('<Dial> attributes', () => {
  it('defaults when nothing is written', () => {
    const dial = onlyDial(accept(`<Response><Dial>${sip}</Dial></Response>`, 'twiml').document);
    const { nouns: _nouns, ...attributes } = dial;
    assert.deepEqual(attributes, {
      verb: 'dial',
      method: 'POST',
      timeout: 30,
      hangupOnStar: false,
      timeLimit: 14_400,
      record: 'do-not-record',
      trim: 'do-not-trim',
      recordingStatusCallbackMethod: 'POST',
      recordingStatusCallbackEvents: ['completed'],
      recordingTrack: 'both',
      answerOnBridge: false,
      sequential: false,
    });
  });

  it('every attribute read and typed', () => {
    const dial = onlyDial(
      accept(
        dialWith(
          'action="/after" method="get" timeout="600" hangupOnStar="TRUE" timeLimit="60" callerId="+15551230000" record="record-from-ringing-dual" trim="trim-silence" recordingStatusCallback="/rec" recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress completed absent" recordingTrack="inbound" answerOnBridge="true" ringTone="de" sequential="true"',
        ),
        'twiml',
      ).document,
    );
    assert.deepEqual(
      [dial.action, dial.method, dial.timeout, dial.hangupOnStar, dial.timeLimit, dial.callerId, dial.record, dial.trim],
      ['/after', 'GET', 600, true, 60, '+15551230000', 'record-from-ringing-dual', 'trim-silence'],
    );
    assert.deepEqual(
      [dial.recordingStatusCallback, dial.recordingStatusCallbackMethod, dial.recordingStatusCallbackEvents, dial.recordingTrack, dial.answerOnBridge, dial.ringTone, dial.sequential],
      ['/rec', 'GET', ['in-progress', 'completed', 'absent'], 'inbound', true, 'de', true],
    );
  });

  it('record="true"/"false" read as record-from-answer/do-not-record where the dialect has them', () => {
    assert.equal(onlyDial(accept(dialWith('record="true"'), 'twiml').document).record, 'record-from-answer');
    assert.equal(onlyDial(accept(dialWith('record="false"'), 'rcml').document).record, 'do-not-record');
  });

  it('bad values are Twilio codes, as errors, at the attribute', () => {
    const cases: [string, number][] = [
      ['method="PUT"', 13210],
      ['timeout="0"', 13212],
      ['timeout="601"', 13212],
      ['timeout="ten"', 13212],
      ['hangupOnStar="yes"', 13213],
      ['callerId="bob smith"', 13214],
      ['timeLimit="0"', 13216],
      ['timeLimit="86401"', 13216],
      ['record="always"', 13217],
    ];
    for (const [attribute, code] of cases) {
      const problems = refuse(`<Response>\n  <Dial ${attribute}>${sip}</Dial></Response>`, 'twiml');
      assert.deepEqual(codes(problems), [code], attribute);
      assert.deepEqual([problems[0]?.line, problems[0]?.column], [2, 9], attribute);
    }
  });

  it('a <Sip> callerId holds only letters, digits and +-_., (13214)', () => {
    assert.deepEqual(codes(refuse(dialWith('callerId="bob@home"'), 'twiml')), [13214]);
    assert.equal(onlyDial(accept(dialWith('callerId="client:bob"', '<Client>alice</Client>'), 'twiml').document).callerId, 'client:bob');
  });

  it('bare text in <Dial> dials that number', () => {
    const dial = onlyDial(accept('<Response><Dial>415-123-4567</Dial></Response>', 'twiml').document);
    assert.deepEqual(dial.nouns, [{ noun: 'number', number: '415-123-4567', method: 'POST', statusCallbackMethod: 'POST', statusCallbackEvents: [] }]);
  });

  it('an empty <Dial> is refused', () => {
    assert.deepEqual(codes(refuse('<Response><Dial/></Response>', 'twiml')), [12200]);
  });
});

describe('<Dial> nouns', () => {
  const sips = (count: number): string => Array.from({ length: count }, (_, i) => `<Sip>sip:u${i}@example.com</Sip>`).join('');

  it('up to 10 nouns; more is 13250', () => {
    assert.equal(onlyDial(accept(dialWith('', sips(5) + '<Number>+15551230000</Number>'.repeat(5)), 'twiml').document).nouns.length, 10);
    assert.deepEqual(codes(refuse(dialWith('', sips(11)), 'twiml')), [13250]);
    assert.deepEqual(codes(refuse(dialWith('', '<Number>+15551230000</Number>'.repeat(11)), 'twiml')), [13250]);
  });

  it('without enhanced SIP, a <Sip> must be alone in its <Dial> (13250)', () => {
    assert.deepEqual(codes(refuse(dialWith('', sips(1) + '<Number>+15551230000</Number>'), 'twiml', false)), [13250]);
    assert.deepEqual(codes(refuse(dialWith('', sips(2)), 'twiml', false)), [13250]);
    assert.equal(onlyDial(accept(dialWith('', sips(1)), 'twiml', false).document).nouns.length, 1);
    assert.equal(onlyDial(accept(dialWith('', '<Number>+15551230000</Number><Client>bob</Client>'), 'twiml', false).document).nouns.length, 2);
  });

  it('Number, Client, Conference and Queue with their main attributes', () => {
    const number = onlyDial(
      accept(dialWith('', '<Number sendDigits="ww123" url="/screen" statusCallback="/s" statusCallbackEvent="answered">+15551230000</Number>'), 'twiml').document,
    ).nouns[0];
    assert.deepEqual(number, {
      noun: 'number',
      number: '+15551230000',
      sendDigits: 'ww123',
      url: '/screen',
      method: 'POST',
      statusCallback: '/s',
      statusCallbackMethod: 'POST',
      statusCallbackEvents: ['answered'],
    });
    const client = onlyDial(accept(dialWith('', '<Client method="GET" url="/c">alice</Client>'), 'twiml').document).nouns[0];
    assert.deepEqual(client, { noun: 'client', identity: 'alice', url: '/c', method: 'GET', statusCallbackMethod: 'POST', statusCallbackEvents: [] });
    const conference = onlyDial(
      accept(dialWith('', '<Conference muted="true" beep="onExit" startConferenceOnEnter="false" maxParticipants="10" statusCallbackEvent="start end">Room 1</Conference>'), 'twiml')
        .document,
    ).nouns[0];
    assert.deepEqual(conference, {
      noun: 'conference',
      name: 'Room 1',
      muted: true,
      beep: 'onExit',
      startConferenceOnEnter: false,
      endConferenceOnExit: false,
      waitMethod: 'POST',
      maxParticipants: 10,
      record: 'do-not-record',
      statusCallbackMethod: 'POST',
      statusCallbackEvents: ['start', 'end'],
    });
    const queue = onlyDial(accept(dialWith('', '<Queue url="/about-to-connect">support</Queue>'), 'twiml').document).nouns[0];
    assert.deepEqual(queue, { noun: 'queue', name: 'support', url: '/about-to-connect', method: 'POST' });
  });

  it('a verb inside <Dial> is 12200 and ignored', () => {
    const { document, problems } = accept(dialWith('', `<Say>hi</Say>${sip}`), 'twiml');
    assert.equal(onlyDial(document).nouns.length, 1);
    assert.deepEqual(codes(problems), [12200]);
  });
});

describe('statusCallbackEvent separators', () => {
  it('TwiML and cXML read spaces; a comma list is read with a 12200 warning', () => {
    for (const dialect of ['twiml', 'cxml'] as const) {
      assert.deepEqual(accept('<Response><Dial><Sip statusCallbackEvent="ringing answered">sip:a@example.com</Sip></Dial></Response>', dialect).problems, []);
      const { document, problems } = accept('<Response><Dial><Sip statusCallbackEvent="ringing,answered">sip:a@example.com</Sip></Dial></Response>', dialect);
      const noun = onlyDial(document).nouns[0];
      assert.ok(noun?.noun === 'sip');
      assert.deepEqual(noun.statusCallbackEvents, ['ringing', 'answered']);
      assert.deepEqual(codes(problems), [12200]);
    }
  });

  it('an unknown event is 12200 and left out; the listed ones come in canonical order', () => {
    const { document, problems } = accept('<Response><Dial><Sip statusCallbackEvent="completed bogus initiated">sip:a@example.com</Sip></Dial></Response>', 'twiml');
    const noun = onlyDial(document).nouns[0];
    assert.ok(noun?.noun === 'sip');
    assert.deepEqual(noun.statusCallbackEvents, ['initiated', 'completed']);
    assert.deepEqual(codes(problems), [12200]);
  });
});
