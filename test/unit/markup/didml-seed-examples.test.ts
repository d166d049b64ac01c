/**
 * The didML <sip> page (../shared/seeds/000_c646f87a476c1a9e.txt), its two examples quoted verbatim:
 * they close <sip> with </Say>. didML repairs that with a warning at the closing tag; every other
 * dialect refuses the same document with 12100.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialectNames } from '../../../src/markup/index.js';
import { accept, codes, onlyDial, onlySip, refuse } from './parse-helpers.js';

const hostOnly = `<?xml version="1.0" encoding="UTF-8"?> 
<Response>
     <dial>
         <sip>sip.example.com</Say>
     </dial>
 </Response>`;

const conference = `<?xml version="1.0" encoding="UTF-8"?> 
<Response>
     <dial>
         <sip>sip:conference@sip.example.com</Say>
     </dial>
 </Response>`;

describe('didML <sip> page (000)', () => {
  it('"Call will be sent to dialed_number@sip.example.com": a host-only target dials the called number', () => {
    const { document, problems } = accept(hostOnly, 'didml');
    const sip = onlySip(document);
    assert.equal(sip.uri.userFromCalledNumber, true);
    assert.equal(sip.uri.user, undefined);
    assert.equal(sip.uri.host, 'sip.example.com');
    assert.equal(sip.uri.scheme, 'sip');
    assert.equal(sip.uri.transport, 'udp');
    assert.equal(sip.uri.port, 5060);
    assert.deepEqual(sip.uri.headers, []);
    assert.deepEqual(problems, [
      { code: 12100, severity: 'warning', line: 4, column: 30, message: '</Say> does not close <sip>; read as </sip>' },
    ]);
  });

  it('"forward the call to conference bridge at sip.example.com": a full URI dials that user', () => {
    const { document, problems } = accept(conference, 'didml');
    const sip = onlySip(document);
    assert.equal(sip.uri.user, 'conference');
    assert.equal(sip.uri.userFromCalledNumber, false);
    assert.equal(sip.uri.host, 'sip.example.com');
    assert.deepEqual(codes(problems), [12100]);
    assert.deepEqual([problems[0]?.line, problems[0]?.column], [4, 45]);
  });

  it('every other dialect refuses the same documents with 12100 at the closing tag, naming what was expected', () => {
    for (const dialect of dialectNames.filter((name) => name !== 'didml')) {
      for (const [xml, column] of [
        [hostOnly, 30],
        [conference, 45],
      ] as const) {
        const problems = refuse(xml, dialect);
        const parse = problems.find((problem) => problem.code === 12100);
        assert.ok(parse, `${dialect} should report 12100`);
        assert.equal(parse.severity, 'error');
        assert.deepEqual([parse.line, parse.column], [4, column]);
        assert.match(parse.message, /found <\/Say>, expected <\/sip>/);
      }
    }
  });

  it('"SIP Keyword can be used alone": a lone <sip> dials in didML, and is refused elsewhere', () => {
    const lone = '<Response>\n  <sip>sip.example.com</sip>\n</Response>';
    const dial = onlyDial(accept(lone, 'didml').document);
    assert.equal(dial.timeout, 30);
    assert.equal(dial.nouns.length, 1);
    assert.equal(onlySip(accept(lone, 'didml').document).uri.userFromCalledNumber, true);
    for (const dialect of dialectNames.filter((name) => name !== 'didml')) {
      const problems = refuse(lone, dialect);
      assert.deepEqual(
        problems.filter((problem) => problem.severity === 'error').map((problem) => [problem.code, problem.line, problem.column]),
        [[12200, 2, 3]],
      );
    }
  });

  it('"SIP does not have any attributes": an attribute on <sip> is 12200 and ignored', () => {
    const { document, problems } = accept('<Response><dial><sip username="admin">sip.example.com</sip></dial></Response>', 'didml');
    assert.equal(onlySip(document).username, undefined);
    assert.deepEqual(codes(problems), [12200]);
  });

  it('tags are read in any case in didML without warnings', () => {
    const { problems } = accept('<RESPONSE><Dial><SIP>sip:a@example.com</SIP></Dial></RESPONSE>', 'didml');
    assert.deepEqual(problems, []);
  });

  it('a mismatched close that is not a known verb, or that closes an open element, is not repaired', () => {
    assert.deepEqual(codes(refuse('<Response><dial><sip>sip.example.com</Bogus></dial></Response>', 'didml')), [12100]);
    assert.deepEqual(codes(refuse('<Response><dial><sip>sip.example.com</dial></Response>', 'didml')), [12100]);
  });
});
