import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import { parseAuthFields, quoteString } from '../../../../src/sip/auth/auth-params.js';

describe('parseAuthFields', () => {
  it('reads a Digest challenge with quoted and token values, lower-casing names', () => {
    const [field, ...rest] = parseAuthFields('Digest REALM="atlanta.com", Nonce="84a4cc6f", Algorithm=MD5, stale=FALSE');
    assert.equal(rest.length, 0);
    assert.equal(field?.scheme, 'Digest');
    assert.deepEqual(
      [...(field?.params ?? [])],
      [
        ['realm', 'atlanta.com'],
        ['nonce', '84a4cc6f'],
        ['algorithm', 'MD5'],
        ['stale', 'FALSE'],
      ],
    );
  });

  it('unescapes quoted-pairs and keeps commas inside quotes', () => {
    const [field] = parseAuthFields('Digest realm="a \\"quoted\\" \\\\ realm", qop="auth,auth-int", nonce="x"');
    assert.equal(field?.params.get('realm'), 'a "quoted" \\ realm');
    assert.equal(field?.params.get('qop'), 'auth,auth-int');
  });

  it('splits several challenges in one value, including a token68 scheme', () => {
    const fields = parseAuthFields('Basic dXNlcjpwYXNz==, Digest realm="r", nonce="n" ,Digest realm="s", nonce="m"');
    assert.deepEqual(
      fields.map((field) => [field.scheme, field.token68, field.params.get('realm')]),
      [
        ['Basic', 'dXNlcjpwYXNz==', undefined],
        ['Digest', undefined, 'r'],
        ['Digest', undefined, 's'],
      ],
    );
  });

  it('tolerates whitespace around "=" and line folding', () => {
    const [field] = parseAuthFields('Digest realm = "r",\r\n  nonce=\t"n"');
    assert.equal(field?.params.get('realm'), 'r');
    assert.equal(field?.params.get('nonce'), 'n');
  });

  for (const [label, value] of [
    ['an unterminated quoted-string', 'Digest realm="open'],
    ['a repeated parameter', 'Digest realm="a", REALM="b"'],
    ['a parameter before any scheme', 'realm="a"'],
    ['a missing comma', 'Digest realm="a" nonce="b"'],
    ['a parameter without value', 'Digest realm=, nonce="b"'],
  ] as const) {
    it(`rejects ${label} with sipMessageMalformed`, () => {
      assert.throws(
        () => parseAuthFields(value),
        (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.sipMessageMalformed,
      );
    });
  }

  it('quotes strings so that they parse back unchanged', () => {
    const text = 'he said "hi" \\ bye';
    const [field] = parseAuthFields(`Digest username=${quoteString(text)}`);
    assert.equal(field?.params.get('username'), text);
  });
});

describe('parseAuthFields under arbitrary input (seeded, bounded)', () => {
  it('either parses or throws sipMessageMalformed, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        try {
          parseAuthFields(value);
        } catch (error) {
          return isDialtoneError(error) && error.code === ErrorCodes.sipMessageMalformed;
        }
        return true;
      }),
      { seed: 3261, numRuns: 2_000 },
    );
  });

  it('reads back any quoted value it wrote', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (realm, nonce) => {
        const [field] = parseAuthFields(`Digest realm=${quoteString(realm)}, nonce=${quoteString(nonce)}`);
        return field?.params.get('realm') === realm && field.params.get('nonce') === nonce;
      }),
      { seed: 7616, numRuns: 1_000 },
    );
  });
});
