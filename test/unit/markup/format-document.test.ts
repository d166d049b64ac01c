/** The normalised document of `dialtone check`: canonical spelling, defaults explicit, and it reads back to the same model. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDocument, parseDocument, toJson, type Dialect } from '../../../src/markup/index.js';
import { accept } from './parse-helpers.js';

const documents: [Dialect, string][] = [
  ['twiml', '<Response><dial record="true" timeout="10"><Sip username="a" password="p&amp;&lt;&quot;" statusCallback="/s" machineDetection="Enable">sip:kate@example.com?x-a=1%262&amp;User-to-User=00</Sip><Number sendDigits="1">+15551230000</Number></dial></Response>'],
  ['twiml', '<Response><Dial>415-123-4567</Dial><Gather input="speech"><Say loop="0">Tom &amp; Jerry</Say><Pause length="2"/></Gather><Play digits="1"/></Response>'],
  ['cxml', '<Response><Dial><Sip codecs="G729,PCMA" sessionTimeout="90" statusCallbackEvent="ringing completed">sip:a@example.com</Sip></Dial><Record/></Response>'],
  ['rcml', '<Response><Dial><Sip name="v" statusCallbackEvent="ringing,answered">sip:a@example.com;transport=tcp</Sip><Sip>sip:b@example.com</Sip></Dial></Response>'],
  ['didml', '<Response><dial><sip>sip.example.com</Say></dial><sip>sip:x@example.com</sip></Response>'],
  ['twiml', '<Response><Dial><Conference beep="onEnter" statusCallbackEvent="join leave">room</Conference></Dial><Enqueue waitUrl="/w">q</Enqueue><Leave/><Redirect>/n</Redirect><Reject/><Hangup/></Response>'],
];

describe('formatDocument', () => {
  it('reads back to the same model in every dialect, without new warnings about spelling or attributes', () => {
    for (const [dialect, xml] of documents) {
      const first = accept(xml, dialect).document;
      const text = formatDocument(first);
      const again = parseDocument(text, { dialect });
      assert.deepEqual(again.document, first, `${dialect}: ${text}`);
      assert.ok(
        again.problems.every((problem) => problem.code !== 12200 && problem.code !== 12100),
        `${dialect}: ${JSON.stringify(again.problems)}`,
      );
    }
  });

  it('writes the dialect spelling with defaults explicit', () => {
    assert.equal(
      formatDocument(accept('<Response><dial><sip>sip.example.com</sip></dial></Response>', 'didml').document),
      `<?xml version="1.0" encoding="UTF-8"?>
<response>
  <dial method="POST" timeout="30" hangupOnStar="false" timeLimit="14400" record="do-not-record" trim="do-not-trim" recordingStatusCallbackMethod="POST" recordingTrack="both" answerOnBridge="false" sequential="false" recordingStatusCallbackEvent="completed">
    <sip>sip.example.com</sip>
  </dial>
</response>
`,
    );
    assert.match(formatDocument(accept('<response><dial record="true"><Sip>sip:a@example.com</Sip></dial></response>', 'twiml').document), /<Dial [^>]*record="record-from-answer"/);
  });

  it('toJson is the model as JSON', () => {
    const document = accept('<Response><Hangup/></Response>', 'twiml').document;
    assert.deepEqual(JSON.parse(toJson(document)), { dialect: 'twiml', verbs: [{ verb: 'hangup' }] });
  });
});
