import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../../../src/kernel/index.js';
import { parseAuthFields } from '../../../../src/sip/auth/auth-params.js';
import { computeDigestResponse, hashUsername } from '../../../../src/sip/auth/digest-algorithm.js';
import { DigestClient, type DigestChallengeResult } from '../../../../src/sip/auth/digest-client.js';
import type { HeaderField } from '../../../../src/sip/message/types.js';

function params(header: HeaderField | undefined): Map<string, string> {
  assert.ok(header, 'expected a header');
  const [field] = parseAuthFields(header.value);
  assert.equal(field?.scheme, 'Digest');
  return field.params;
}

function headersOf(result: DigestChallengeResult): HeaderField[] {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.headers;
}

function counter(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

const REGISTER = { method: 'REGISTER', uri: 'sip:example.com' };

describe('DigestClient: published test vectors', () => {
  it('RFC 2617 §3.5: Mufasa / Circle Of Life', () => {
    const client = new DigestClient({
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      cnonce: () => '0a4f113b',
    });
    const result = client.handleChallenge(
      {
        status: 401,
        challenges: [
          'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
        ],
      },
      { method: 'GET', uri: '/dir/index.html' },
    );
    const [header, ...rest] = headersOf(result);
    assert.equal(rest.length, 0);
    assert.equal(header?.name, 'Authorization');
    const p = params(header);
    assert.equal(p.get('response'), '6629fae49393a05397450978507c4ef1');
    assert.equal(p.get('username'), 'Mufasa');
    assert.equal(p.get('realm'), 'testrealm@host.com');
    assert.equal(p.get('nonce'), 'dcd98b7102dd2f0e8b11d0f600bfb0c093');
    assert.equal(p.get('uri'), '/dir/index.html');
    assert.equal(p.get('qop'), 'auth');
    assert.equal(p.get('nc'), '00000001');
    assert.equal(p.get('cnonce'), '0a4f113b');
    assert.equal(p.get('opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
    assert.equal(p.has('algorithm'), false);
  });

  const rfc7616Challenges = [
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  ];
  const rfc7616Request = { method: 'GET', uri: '/dir/index.html' };
  const rfc7616Cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

  it('RFC 7616 §3.9.1: picks SHA-256 and produces the published response', () => {
    const client = new DigestClient({
      credentials: { username: 'Mufasa', password: 'Circle of Life' },
      cnonce: () => rfc7616Cnonce,
    });
    // Listed in reverse so the choice is the algorithm's strength, not its position.
    const result = client.handleChallenge({ status: 401, challenges: [...rfc7616Challenges].reverse() }, rfc7616Request);
    const p = params(headersOf(result)[0]);
    assert.equal(p.get('algorithm'), 'SHA-256');
    assert.equal(p.get('response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(p.get('opaque'), 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  });

  it('RFC 7616 §3.9.1: the MD5 response', () => {
    const client = new DigestClient({
      credentials: { username: 'Mufasa', password: 'Circle of Life' },
      cnonce: () => rfc7616Cnonce,
    });
    const result = client.handleChallenge({ status: 401, challenges: [rfc7616Challenges[1] as string] }, rfc7616Request);
    const p = params(headersOf(result)[0]);
    assert.equal(p.get('algorithm'), 'MD5');
    assert.equal(p.get('response'), '8ca523f5e9506fed4657c9700eebdbec');
  });
});

describe('DigestClient: nonce count and cnonce', () => {
  it('increments nc on each reuse of a nonce, with a fresh cnonce each time', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' }, cnonce: counter('c') });
    assert.deepEqual(client.authorize(REGISTER), []);
    const first = params(
      headersOf(client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="n1", qop="auth"'] }, REGISTER))[0],
    );
    const second = params(client.authorize(REGISTER)[0]);
    const third = params(client.authorize(REGISTER)[0]);
    assert.deepEqual(
      [first, second, third].map((p) => [p.get('nc'), p.get('cnonce'), p.get('nonce')]),
      [
        ['00000001', 'c1', 'n1'],
        ['00000002', 'c2', 'n1'],
        ['00000003', 'c3', 'n1'],
      ],
    );
    // Each response is computed with its own nc and cnonce.
    assert.equal(
      third.get('response'),
      computeDigestResponse({
        algorithm: 'MD5',
        username: 'alice',
        realm: 'r',
        password: 'pw',
        nonce: 'n1',
        method: 'REGISTER',
        uri: 'sip:example.com',
        qop: 'auth',
        cnonce: 'c3',
        nc: '00000003',
      }),
    );
  });

  it('restarts nc at 1 with a new nonce', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="n1", qop="auth"'] }, REGISTER);
    client.authorize(REGISTER);
    const result = client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="n2", qop="auth"'] }, REGISTER);
    const p = params(headersOf(result)[0]);
    assert.equal(p.get('nonce'), 'n2');
    assert.equal(p.get('nc'), '00000001');
  });

  it('omits qop, nc and cnonce for an RFC 2069 challenge', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    const p = params(headersOf(client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="n"'] }, REGISTER))[0]);
    assert.equal(p.has('qop'), false);
    assert.equal(p.has('nc'), false);
    assert.equal(p.has('cnonce'), false);
    assert.equal(
      p.get('response'),
      computeDigestResponse({ algorithm: 'MD5', username: 'alice', realm: 'r', password: 'pw', nonce: 'n', ...REGISTER }),
    );
  });
});

describe('DigestClient: challenges and failures', () => {
  it('answers a 407 with Proxy-Authorization', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    const [header] = headersOf(
      client.handleChallenge({ status: 407, challenges: ['Digest realm="proxy", nonce="n", qop="auth"'] }, REGISTER),
    );
    assert.equal(header?.name, 'Proxy-Authorization');
  });

  it('keeps credentials for a proxy realm when the UAS challenges next (RFC 3261 §22.3)', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    client.handleChallenge({ status: 407, challenges: ['Digest realm="proxy", nonce="p", qop="auth"'] }, REGISTER);
    const headers = headersOf(
      client.handleChallenge({ status: 401, challenges: ['Digest realm="uas", nonce="u", qop="auth"'] }, REGISTER),
    );
    assert.deepEqual(
      headers.map((header) => [header.name, params(header).get('realm'), params(header).get('nc')]),
      [
        ['Proxy-Authorization', 'proxy', '00000002'],
        ['Authorization', 'uas', '00000001'],
      ],
    );
  });

  it('retries a stale nonce without reporting a failure', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="old", qop="auth"'] }, REGISTER);
    const result = client.handleChallenge(
      { status: 401, challenges: ['Digest realm="r", nonce="new", qop="auth", stale=true'] },
      REGISTER,
    );
    const p = params(headersOf(result)[0]);
    assert.equal(p.get('nonce'), 'new');
    assert.equal(p.get('nc'), '00000001');
  });

  it('gives up after too many consecutive stale challenges', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' }, maxStaleRetries: 2 });
    const stale = (nonce: string) => ({ status: 401, challenges: [`Digest realm="r", nonce="${nonce}", stale=TRUE`] });
    assert.ok(client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="a"'] }, REGISTER).ok);
    assert.ok(client.handleChallenge(stale('b'), REGISTER).ok);
    assert.ok(client.handleChallenge(stale('c'), REGISTER).ok);
    const result = client.handleChallenge(stale('d'), REGISTER);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, ErrorCodes.sipAuthRejected);
    assert.equal(!result.ok && result.error.details['reason'], 'too-many-stale');
  });

  it('reports wrong credentials when challenged again without stale', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wrong' } });
    assert.ok(client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="a", qop="auth"'] }, REGISTER).ok);
    const result = client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="b", qop="auth"'] }, REGISTER);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, ErrorCodes.sipAuthRejected);
    assert.equal(!result.ok && result.error.details['reason'], 'credentials-rejected');
  });

  it('answers a new challenge once after a preemptive request (the nonce may simply have expired)', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' } });
    client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="a", qop="auth"'] }, REGISTER);
    client.authorize(REGISTER); // the 200 came; a refresh reuses the nonce
    assert.ok(client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="b", qop="auth"'] }, REGISTER).ok);
    assert.equal(
      client.handleChallenge({ status: 401, challenges: ['Digest realm="r", nonce="c", qop="auth"'] }, REGISTER).ok,
      false,
    );
  });

  it('sends realm-bound credentials only to their realm', () => {
    const client = new DigestClient({
      credentials: [
        { username: 'proxy-user', password: 'a', realm: 'proxy' },
        { username: 'fallback', password: 'b' },
      ],
    });
    const headers = headersOf(
      client.handleChallenge(
        { status: 407, challenges: ['Digest realm="proxy", nonce="p"', 'Digest realm="other", nonce="o"'] },
        REGISTER,
      ),
    );
    assert.deepEqual(
      headers.map((header) => params(header).get('username')),
      ['proxy-user', 'fallback'],
    );

    const strict = new DigestClient({ credentials: { username: 'u', password: 'p', realm: 'mine' } });
    const result = strict.handleChallenge({ status: 401, challenges: ['Digest realm="theirs", nonce="n"'] }, REGISTER);
    assert.equal(!result.ok && result.error.code, ErrorCodes.sipAuthRejected);
    assert.equal(!result.ok && result.error.details['reason'], 'no-credentials');
  });

  it('reports a response with no usable challenge', () => {
    const client = new DigestClient({ credentials: { username: 'u', password: 'p' } });
    for (const response of [
      { status: 401, challenges: ['Basic realm="r"'] },
      { status: 401, challenges: ['Digest realm="r", nonce="n", algorithm=AKAv1-MD5'] },
      { status: 401, challenges: [] },
      { status: 403, challenges: ['Digest realm="r", nonce="n"'] },
    ]) {
      const result = client.handleChallenge(response, REGISTER);
      assert.equal(!result.ok && result.error.code, ErrorCodes.sipAuthChallengeInvalid, JSON.stringify(response));
    }
  });

  it('hashes the body for auth-int and the username for userhash', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'pw' }, qop: 'auth-int', cnonce: () => 'c' });
    const request = { method: 'INVITE', uri: 'sip:bob@example.com', body: 'v=0\r\n' };
    const p = params(
      headersOf(
        client.handleChallenge(
          { status: 401, challenges: ['Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=SHA-256, userhash=true'] },
          request,
        ),
      )[0],
    );
    assert.equal(p.get('qop'), 'auth-int');
    assert.equal(p.get('userhash'), 'true');
    assert.equal(p.get('username'), hashUsername('SHA-256', 'alice', 'r'));
    assert.equal(
      p.get('response'),
      computeDigestResponse({
        algorithm: 'SHA-256',
        username: 'alice',
        realm: 'r',
        password: 'pw',
        nonce: 'n',
        qop: 'auth-int',
        cnonce: 'c',
        nc: '00000001',
        ...request,
      }),
    );
  });
});
