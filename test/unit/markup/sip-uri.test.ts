/** <Sip> targets: RFC 3261 §19.1 sip/sips URI grammar, dialect transport defaults, header rules and limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument, type Dialect, type Problem, type SipUri } from '../../../src/markup/index.js';
import { codes, onlySip } from './parse-helpers.js';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function read(target: string, dialect: Dialect = 'twiml'): { uri?: SipUri; problems: Problem[] } {
  const result = parseDocument(`<Response><Dial><Sip>${escapeXml(target)}</Sip></Dial></Response>`, { dialect });
  return { ...(result.document === undefined ? {} : { uri: onlySip(result.document).uri }), problems: result.problems };
}

function uriOf(target: string, dialect: Dialect = 'twiml'): SipUri {
  const { uri, problems } = read(target, dialect);
  assert.ok(uri, `expected ${target} to parse: ${JSON.stringify(problems)}`);
  return uri;
}

function refusedWith(target: string, code: number, dialect: Dialect = 'twiml'): Problem {
  const { uri, problems } = read(target, dialect);
  assert.equal(uri, undefined, `expected ${target} to be refused`);
  const problem = problems.find((p) => p.severity === 'error');
  assert.equal(problem?.code, code, JSON.stringify(problems));
  return problem;
}

describe('SIP URI grammar', () => {
  it('sips: defaults to TLS on 5061', () => {
    const uri = uriOf('sips:alice@example.com');
    assert.deepEqual([uri.scheme, uri.transport, uri.port, uri.transportExplicit], ['sips', 'tls', 5061, false]);
  });

  it('an explicit port wins, also with TLS', () => {
    const uri = uriOf('sip:alice@example.com:5080;transport=tls');
    assert.deepEqual([uri.port, uri.portExplicit, uri.transport], [5080, true, 'tls']);
  });

  it('scheme and transport are read in any case', () => {
    const uri = uriOf('SIP:alice@example.com;Transport=TCP');
    assert.deepEqual([uri.scheme, uri.transport], ['sip', 'tcp']);
  });

  it('IPv4 and IPv6 hosts', () => {
    assert.equal(uriOf('sip:alice@192.0.2.10:5070').host, '192.0.2.10');
    const v6 = uriOf('sip:alice@[2001:db8::1]:5070');
    assert.deepEqual([v6.host, v6.port], ['[2001:db8::1]', 5070]);
  });

  it('other URI parameters are kept in order, percent-decoded', () => {
    const uri = uriOf('sip:+15551230000@example.com;user=phone;lr;region=de1');
    assert.deepEqual(uri.params, [{ name: 'user', value: 'phone' }, { name: 'lr' }]);
    assert.equal(uri.region, 'de1');
    assert.equal(uri.user, '+15551230000');
  });

  it('a user-less target outside didML is a request to the host itself', () => {
    const uri = uriOf('sip:pbx.example.com');
    assert.deepEqual([uri.user, uri.userFromCalledNumber, uri.host], [undefined, false, 'pbx.example.com']);
    assert.equal(uriOf('pbx.example.com', 'didml').userFromCalledNumber, true);
    assert.equal(uriOf('sip:pbx.example.com;transport=tcp', 'didml').userFromCalledNumber, true);
  });

  it('the dialect sets the default transport: UDP for TwiML, RCML, didML; TLS for cXML', () => {
    const transports = (['twiml', 'rcml', 'didml', 'cxml'] as const).map((dialect) => {
      const uri = uriOf('sip:alice@example.com', dialect);
      return [uri.transport, uri.port];
    });
    assert.deepEqual(transports, [
      ['udp', 5060],
      ['udp', 5060],
      ['udp', 5060],
      ['tls', 5061],
    ]);
  });

  it('unparsable targets are 13243 at the <Sip>', () => {
    for (const target of [
      '',
      'http://example.com',
      'sip:alice@',
      'sip:alice@exa mple.com',
      'sip:alice@example..com',
      'sip:alice@example.com:0',
      'sip:alice@example.com:70000',
      'sip:alice@[::g]',
      'sip:al"ice@example.com',
      'sip:alice@example.com;transport=sctp',
      'sip:alice@example.com;transport=udp;transport=tcp',
      'sips:alice@example.com;transport=udp',
      'sip:alice@example.com;region=',
      'sip:alice@example.com?x-a=%ZZ',
      'sip:alice@example.com?x-a=b c',
    ]) {
      const problem = refusedWith(target, 13243);
      assert.deepEqual([problem.line, problem.column], [1, 17], target);
    }
  });

  it('the URI must be under 255 characters: 254 passes, 255 is 13243', () => {
    const prefix = 'sip:';
    const suffix = '@example.com';
    const user = (length: number): string => 'a'.repeat(length - prefix.length - suffix.length);
    assert.equal(uriOf(`${prefix}${user(254)}${suffix}`).raw.length, 254);
    refusedWith(`${prefix}${user(255)}${suffix}`, 13243);
  });
});

describe('SIP headers from the URI', () => {
  it('the headers must be under 1024 characters: 1023 pass, 1024 are dropped with 13253', () => {
    const headers = (length: number): string => `x-h=${'v'.repeat(length - 4)}`;
    assert.equal(uriOf(`sip:a@example.com?${headers(1023)}`).headers.length, 1);
    const { uri, problems } = read(`sip:a@example.com?${headers(1024)}`);
    assert.deepEqual(uri?.headers, []);
    assert.deepEqual(codes(problems), [13253]);
    assert.equal(problems[0]?.severity, 'warning');
  });

  it('names not allowed are dropped with 13252; the rest are sent', () => {
    const { uri, problems } = read('sip:a@example.com?Customer=1&x-ok=2&Via=SIP%2F2.0&P-Called-Party-ID=%3Csip%3Ab%40c%3E');
    assert.deepEqual(uri?.headers, [
      { name: 'x-ok', value: '2' },
      { name: 'P-Called-Party-ID', value: '<sip:b@c>' },
    ]);
    assert.deepEqual(codes(problems), [13252, 13252]);
  });

  it('a name that is not a SIP token after decoding is 13252', () => {
    const { uri, problems } = read('sip:a@example.com?x-a%20b=1');
    assert.deepEqual(uri?.headers, []);
    assert.deepEqual(codes(problems), [13252]);
  });

  it('a header starting X-Twilio is never sent (32113), whatever its case', () => {
    const { uri, problems } = read('sip:a@example.com?X-Twilio-CallSid=CA1&x-twilio-accountsid=AC1&X-Twilios=3');
    assert.deepEqual(uri?.headers, []);
    assert.deepEqual(codes(problems), [32113, 32113, 32113]);
  });

  it('a decoded CR or LF in a value cannot add header lines: dropped with 32112', () => {
    const { uri, problems } = read('sip:a@example.com?x-a=1%0D%0AVia%3A%20evil&x-b=ok');
    assert.deepEqual(uri?.headers, [{ name: 'x-b', value: 'ok' }]);
    assert.deepEqual(codes(problems), [32112]);
  });

  it('a header with an empty value is sent empty; empty parts are skipped', () => {
    assert.deepEqual(uriOf('sip:a@example.com?x-a=&&x-b=2').headers, [
      { name: 'x-a', value: '' },
      { name: 'x-b', value: '2' },
    ]);
  });
});
