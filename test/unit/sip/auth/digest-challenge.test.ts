import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDigestChallenge,
  parseDigestChallenges,
  selectDigestChallenges,
} from '../../../../src/sip/auth/digest-challenge.js';

describe('parseDigestChallenges', () => {
  it('reads every field of a challenge', () => {
    const [challenge] = parseDigestChallenges(
      'Digest realm="biloxi.com", domain="sip:biloxi.com", nonce="abc", opaque="xyz", stale=TRUE, algorithm=md5-SESS, qop="auth, auth-int", userhash=true',
    );
    assert.deepEqual(challenge, {
      realm: 'biloxi.com',
      nonce: 'abc',
      opaque: 'xyz',
      stale: true,
      algorithm: 'MD5-sess',
      algorithmToken: 'md5-SESS',
      qop: ['auth', 'auth-int'],
      userhash: true,
      domain: 'sip:biloxi.com',
    });
  });

  it('defaults to MD5 without qop, and treats anything but TRUE as not stale', () => {
    const [challenge] = parseDigestChallenges('Digest realm="r", nonce="n", stale=yes');
    assert.equal(challenge?.algorithm, 'MD5');
    assert.equal(challenge?.algorithmToken, undefined);
    assert.deepEqual(challenge?.qop, []);
    assert.equal(challenge?.stale, false);
  });

  it('skips other schemes, broken values and challenges without realm or nonce', () => {
    const challenges = parseDigestChallenges([
      'Basic realm="r"',
      'Digest realm="broken',
      'Digest nonce="no-realm"',
      'Digest realm="no-nonce"',
      'Digest realm="good", nonce="n"',
    ]);
    assert.deepEqual(
      challenges.map((challenge) => challenge.realm),
      ['good'],
    );
  });

  it('marks an algorithm we do not implement as undefined', () => {
    const [challenge] = parseDigestChallenges('Digest realm="r", nonce="n", algorithm=AKAv1-MD5');
    assert.equal(challenge?.algorithm, undefined);
    assert.equal(challenge?.algorithmToken, 'AKAv1-MD5');
  });
});

describe('selectDigestChallenges', () => {
  it('picks the strongest algorithm per realm whatever the order', () => {
    const challenges = parseDigestChallenges([
      'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
      'Digest realm="r", nonce="2", algorithm=SHA-512-256, qop="auth"',
      'Digest realm="r", nonce="3", algorithm=SHA-256, qop="auth"',
    ]);
    assert.deepEqual(
      selectDigestChallenges(challenges).map((challenge) => challenge.nonce),
      ['2'],
    );
  });

  it('keeps the server order among equal strengths', () => {
    const challenges = parseDigestChallenges([
      'Digest realm="r", nonce="1", algorithm=SHA-256-sess, qop="auth"',
      'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
    ]);
    assert.equal(selectDigestChallenges(challenges)[0]?.nonce, '1');
  });

  it('answers each realm once, in order of appearance, skipping unusable ones', () => {
    const challenges = parseDigestChallenges([
      'Digest realm="proxy", nonce="p", algorithm=MD5',
      'Digest realm="uas", nonce="u1", algorithm=AKAv1-MD5',
      'Digest realm="uas", nonce="u2", qop="auth-conf"',
      'Digest realm="uas", nonce="u3", qop="auth-int"',
    ]);
    assert.deepEqual(
      selectDigestChallenges(challenges).map((challenge) => [challenge.realm, challenge.nonce]),
      [
        ['proxy', 'p'],
        ['uas', 'u3'],
      ],
    );
  });
});

describe('formatDigestChallenge', () => {
  it('writes a challenge that parses back', () => {
    const value = formatDigestChallenge({
      realm: 'dialtone "test"',
      nonce: 'abc',
      algorithm: 'SHA-256',
      qop: ['auth', 'auth-int'],
      stale: true,
      opaque: 'o',
    });
    assert.equal(
      value,
      'Digest realm="dialtone \\"test\\"", nonce="abc", opaque="o", algorithm=SHA-256, qop="auth,auth-int", stale=TRUE',
    );
    const [challenge] = parseDigestChallenges(value);
    assert.equal(challenge?.realm, 'dialtone "test"');
    assert.equal(challenge?.stale, true);
    assert.deepEqual(challenge?.qop, ['auth', 'auth-int']);
  });
});
