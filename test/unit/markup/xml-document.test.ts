/** Reading the XML itself: 12100 with place and expectation, hostile input bounded, spelling and unknowns as 12200. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from '../../../src/markup/index.js';
import { accept, codes, refuse } from './parse-helpers.js';

describe('malformed XML is 12100 with line, column and what was expected', () => {
  it('an unclosed element', () => {
    const [problem] = refuse('<Response>\n  <Say>hello\n</Response>', 'twiml');
    assert.equal(problem?.code, 12100);
    assert.deepEqual([problem?.line, problem?.column], [3, 1]);
    assert.match(problem?.message ?? '', /found <\/Response>, expected <\/Say>/);
  });

  it('a document cut short', () => {
    const [problem] = refuse('<Response>\n  <Say>hello</Say>\n', 'twiml');
    assert.equal(problem?.code, 12100);
    assert.match(problem?.message ?? '', /expected <\/Response>/);
  });

  it('a bad attribute', () => {
    const [problem] = refuse('<Response>\n<Say loop=2>hi</Say></Response>', 'twiml');
    assert.deepEqual([problem?.code, problem?.line], [12100, 2]);
  });

  it('an undefined entity is not expanded', () => {
    const [problem] = refuse('<Response><Say>&nbsp;</Say></Response>', 'twiml');
    assert.equal(problem?.code, 12100);
    assert.match(problem?.message ?? '', /undefined entity/);
  });

  it('a DOCTYPE is refused, so no entity is ever declared or expanded', () => {
    const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<Response><Say>&lol2;</Say></Response>`;
    const problems = refuse(billionLaughs, 'twiml');
    assert.deepEqual(codes(problems), [12100]);
    assert.match(problems[0]?.message ?? '', /DOCTYPE/);
  });

  it('an empty document and a root other than <Response>', () => {
    assert.deepEqual(codes(refuse('', 'twiml')), [12100]);
    assert.deepEqual(codes(refuse('<Document><Say>hi</Say></Document>', 'cxml')), [12100]);
  });

  it('the predefined entities, character references and CDATA are read', () => {
    const { document } = accept('<Response><Say>Tom &amp; Jerry &#233; <![CDATA[<b>]]></Say></Response>', 'twiml');
    assert.deepEqual(document.verbs, [{ verb: 'say', text: 'Tom & Jerry é <b>', loop: 1 }]);
  });

  it('whitespace and a byte order mark before the XML declaration are allowed', () => {
    assert.equal(accept('\n  <?xml version="1.0" encoding="UTF-8"?>\n<Response><Hangup/></Response>', 'twiml').document.verbs.length, 1);
    assert.equal(accept('\uFEFF<?xml version="1.0"?><Response><Hangup/></Response>', 'twiml').document.verbs.length, 1);
  });
});

describe('hostile input is bounded and reported as 12100', () => {
  it('deep nesting', () => {
    const deep = '<Response>' + '<Gather>'.repeat(100) + '</Gather>'.repeat(100) + '</Response>';
    const [problem] = refuse(deep, 'twiml');
    assert.equal(problem?.code, 12100);
    assert.match(problem?.message ?? '', /nested deeper than 32/);
  });

  it('deep nesting of known verbs with mismatched closes in didML stays bounded', () => {
    const hostile = '<Response>' + '<Say>'.repeat(50_000) + '</Play>'.repeat(50_000) + '</Response>';
    const [problem] = refuse(hostile, 'didml');
    assert.equal(problem?.code, 12100);
  });

  it('a huge attribute', () => {
    const [problem] = refuse(`<Response>\n<Say voice="${'a'.repeat(10_000)}">hi</Say></Response>`, 'twiml');
    assert.deepEqual([problem?.code, problem?.line, problem?.column], [12100, 2, 6]);
  });

  it('too many elements', () => {
    const [problem] = refuse('<Response>' + '<Hangup/>'.repeat(10_001) + '</Response>', 'twiml');
    assert.equal(problem?.code, 12100);
    assert.match(problem?.message ?? '', /more than 10000 elements/);
  });

  it('a document over the size limit is not read at all', () => {
    const result = parseDocument(`<Response><Say>${'a'.repeat(50)}</Say></Response>`, { dialect: 'twiml', limits: { maxDocumentLength: 40 } });
    assert.deepEqual(codes(result.problems), [12100]);
  });

  it('thousands of unknown attributes give a bounded list of warnings', () => {
    const attributes = Array.from({ length: 60 }, (_, i) => `a${i}="1"`).join(' ');
    const verbs = `<Pause ${attributes}/>`.repeat(10);
    const result = parseDocument(`<Response>${verbs}</Response>`, { dialect: 'twiml' });
    assert.ok(result.document);
    assert.equal(result.problems.length, 200);
  });
});

describe('spelling and unknowns', () => {
  it('any case is read; outside didML a 12200 warning names the right spelling', () => {
    const { document, problems } = accept('<response><dial><sip>sip:a@example.com</sip></dial></response>', 'twiml');
    assert.equal(document.verbs.length, 1);
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity, problem.message]),
      [
        [12200, 'warning', '<response> should be written <Response> in twiml'],
        [12200, 'warning', '<dial> should be written <Dial> in twiml'],
        [12200, 'warning', '<sip> should be written <Sip> in twiml'],
      ],
    );
  });

  it('an attribute in another case is read with a 12200 naming the spelling', () => {
    const { document, problems } = accept('<Response><Dial TIMEOUT="12"><Sip>sip:a@example.com</Sip></Dial></Response>', 'twiml');
    const [verb] = document.verbs;
    assert.ok(verb?.verb === 'dial');
    assert.equal(verb.timeout, 12);
    assert.deepEqual(codes(problems), [12200]);
    assert.match(problems[0]?.message ?? '', /should be written timeout/);
  });

  it('an unknown verb and an unknown attribute are 12200 warnings at their place, and ignored', () => {
    const { document, problems } = accept('<Response>\n  <Dance/>\n  <Say colour="red">hi</Say>\n</Response>', 'twiml');
    assert.deepEqual(document.verbs, [{ verb: 'say', text: 'hi', loop: 1 }]);
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity, problem.line, problem.column]),
      [
        [12200, 'warning', 2, 3],
        [12200, 'warning', 3, 8],
      ],
    );
  });
});
