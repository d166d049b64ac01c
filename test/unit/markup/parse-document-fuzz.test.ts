/**
 * Nothing in a document crashes the parser: seeded, bounded fast-check runs over random text, XML-like
 * token soup and mutations of seed documents. Each run must return problems and, when there is a
 * document, no error among them (time is not asserted; the limits bound it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dialectNames, formatDocument, parseDocument, type Dialect } from '../../../src/markup/index.js';

const seedDocuments = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n     <dial>\n         <sip>sip.example.com</Say>\n     </dial>\n </Response>',
  '<Response><Dial record="record-from-answer" timeout="10" hangupOnStar="true" callerId="bob"><Sip method="POST" url="/s">sip:kate@example.com?x-customheader=foo</Sip></Dial></Response>',
  '<Response><Dial><Sip>sip:bob@example.com?x-foo%3Dbar&amp;User-To-User=foobar&amp;Remote-Party-ID=%3Csip%3Afoo%40example.com%3E</Sip></Dial></Response>',
  '<Response><Gather input="dtmf speech" numDigits="4"><Say>PIN</Say><Play>https://e/x.wav</Play></Gather><Record/><Redirect>/n</Redirect></Response>',
];

const tokens = [
  '<Response>', '</Response>', '<Dial', '<Dial>', '</Dial>', '<Sip>', '</Sip>', '<sip>', '</Say>', '<Say>', '<Gather>', '</Gather>',
  '<Number>', '</Number>', '/>', '>', '<', '&amp;', '&lol;', '&#0;', '&#x10FFFF;', '<![CDATA[', ']]>', '<!--', '-->', '<!DOCTYPE x>',
  '<?xml version="1.0"?>', ' timeout="', ' statusCallbackEvent="', '"', "'", 'sip:', 'sips:', '@', 'example.com', ';transport=tls',
  ';region=ie1', '?', 'x-a=1', '&', '%0D%0A', '%ZZ', ':5061', '[::1]', 'X-Twilio-x=1', ' ', '\n', '\u0000', '\uD800', 'é',
];

const dialect = fc.constantFrom<Dialect>(...dialectNames);

function check(text: string, chosen: Dialect, enhancedSip: boolean): void {
  const result = parseDocument(text, { dialect: chosen, enhancedSip });
  assert.ok(Array.isArray(result.problems));
  for (const problem of result.problems) {
    assert.ok(Number.isInteger(problem.code) && problem.line >= 1 && problem.column >= 1, JSON.stringify(problem));
  }
  if (result.document !== undefined) {
    assert.ok(result.problems.every((problem) => problem.severity === 'warning'));
    // The normalised output of anything accepted is itself accepted.
    assert.ok(parseDocument(formatDocument(result.document), { dialect: chosen, enhancedSip }).document);
  } else {
    assert.ok(result.problems.some((problem) => problem.severity === 'error'));
  }
}

describe('parseDocument under fuzzing', () => {
  it('random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), dialect, fc.boolean(), (text, chosen, enhanced) => check(text, chosen, enhanced)), {
      seed: 20261123,
      numRuns: 1500,
    });
  });

  it('XML-like token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 80 }), dialect, fc.boolean(), (parts, chosen, enhanced) => check(parts.join(''), chosen, enhanced)),
      { seed: 4242, numRuns: 2000 },
    );
  });

  it('mutated seed documents', () => {
    const mutation = fc.record({
      base: fc.constantFrom(...seedDocuments),
      at: fc.nat(),
      cut: fc.nat({ max: 12 }),
      insert: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), dialect, fc.boolean(), (mutations, chosen, enhanced) => {
        let text = mutations[0]?.base ?? '';
        for (const { at, cut, insert } of mutations) {
          const position = at % (text.length + 1);
          text = text.slice(0, position) + insert + text.slice(position + cut);
        }
        check(text, chosen, enhanced);
      }),
      { seed: 77, numRuns: 2000 },
    );
  });
});
