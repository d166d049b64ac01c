import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthFields } from '../../../../src/sip/auth/auth-params.js';
import type { DigestAlgorithm, DigestQop } from '../../../../src/sip/auth/digest-algorithm.js';
import { parseDigestChallenges } from '../../../../src/sip/auth/digest-challenge.js';
import { DigestClient, type DigestRequest } from '../../../../src/sip/auth/digest-client.js';
import { DigestVerifier, type DigestVerifierOptions } from '../../../../src/sip/auth/digest-verifier.js';
import type { HeaderField } from '../../../../src/sip/message/types.js';
import { FakeClock } from '../../../support/fake-clock.js';

const USERS = new Map([['alice', 'wonderland']]);
const INVITE: DigestRequest = { method: 'INVITE', uri: 'sip:bob@dialtone.test', body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' };

function setup(overrides: Partial<DigestVerifierOptions> = {}) {
  const clock = new FakeClock();
  const verifier = new DigestVerifier({
    realm: 'dialtone.test',
    secret: 'a secret of at least sixteen bytes',
    clock,
    lookup: (username) => USERS.get(username),
    ...overrides,
  });
  return { clock, verifier };
}

function values(headers: readonly HeaderField[]): string[] {
  return headers.map((header) => header.value);
}

/** Client answers the verifier's challenge; returns the client and its credentials. */
function answer(verifier: DigestVerifier, client: DigestClient, request: DigestRequest = INVITE): string[] {
  const result = client.handleChallenge({ status: verifier.challengeStatus, challenges: values(verifier.challenge()) }, request);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return values(result.headers);
}

function withParam(value: string, name: string, replacement: string): string {
  return value.replace(new RegExp(`${name}=("[^"]*"|[^,]*)`), `${name}=${replacement}`);
}

describe('DigestVerifier: round trips', () => {
  const algorithms: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'];
  const qops: DigestQop[] = ['auth', 'auth-int'];
  for (const algorithm of algorithms) {
    for (const qop of qops) {
      it(`${algorithm} with qop=${qop}`, async () => {
        const { verifier } = setup({ algorithms: [algorithm], qop: [qop] });
        const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' }, qop });
        const authorization = answer(verifier, client);
        assert.match(authorization[0] ?? '', new RegExp(`qop=${qop}`));
        assert.deepEqual(await verifier.verify({ ...INVITE, authorization }), {
          ok: true,
          username: 'alice',
          realm: 'dialtone.test',
          algorithm,
          qop,
        });
        // The next request reuses the nonce with nc=2 and is accepted too.
        assert.equal((await verifier.verify({ ...INVITE, authorization: values(client.authorize(INVITE)) })).ok, true);
      });
    }
  }

  it('offers one challenge per algorithm, most preferred first, sharing a nonce', () => {
    const { verifier } = setup();
    const headers = verifier.challenge();
    assert.deepEqual(
      headers.map((header) => header.name),
      ['WWW-Authenticate', 'WWW-Authenticate'],
    );
    const challenges = parseDigestChallenges(values(headers));
    assert.deepEqual(
      challenges.map((challenge) => [challenge.algorithm, challenge.qop, challenge.stale]),
      [
        ['SHA-256', ['auth'], false],
        ['MD5', ['auth'], false],
      ],
    );
    assert.equal(challenges[0]?.nonce, challenges[1]?.nonce);
  });

  it('challenges as a proxy with 407 and Proxy-Authenticate', async () => {
    const { verifier } = setup({ proxy: true });
    assert.equal(verifier.challengeStatus, 407);
    const result = await verifier.verify({ ...INVITE, authorization: [] });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.status, 407);
    assert.equal(!result.ok && result.challenge[0]?.name, 'Proxy-Authenticate');
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    assert.equal((await verifier.verify({ ...INVITE, authorization: answer(verifier, client) })).ok, true);
  });

  it('uses the credentials for its own realm among several', async () => {
    const { verifier } = setup();
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    const authorization = answer(verifier, client);
    const other = 'Digest username="x", realm="elsewhere", nonce="n", uri="sip:bob@dialtone.test", response="0"';
    assert.equal((await verifier.verify({ ...INVITE, authorization: [other, ...authorization] })).ok, true);
  });
});

describe('DigestVerifier: rejections', () => {
  it('wrong password: 401 with a fresh, non-stale challenge; the client then gives up', async () => {
    const { verifier } = setup();
    const client = new DigestClient({ credentials: { username: 'alice', password: 'looking-glass' } });
    const result = await verifier.verify({ ...INVITE, authorization: answer(verifier, client) });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'bad-response');
    assert.equal(!result.ok && result.status, 401);
    assert.ok(!result.ok);
    assert.equal(parseDigestChallenges(values(result.challenge))[0]?.stale, false);
    const retry = client.handleChallenge({ status: 401, challenges: values(result.challenge) }, INVITE);
    assert.equal(retry.ok, false);
  });

  it('unknown user and missing credentials: 401 with a challenge', async () => {
    const { verifier } = setup();
    const client = new DigestClient({ credentials: { username: 'mallory', password: 'x' } });
    const unknown = await verifier.verify({ ...INVITE, authorization: answer(verifier, client) });
    assert.equal(!unknown.ok && unknown.reason, 'unknown-user');
    const missing = await verifier.verify({ ...INVITE, authorization: [] });
    assert.equal(!missing.ok && missing.reason, 'missing');
    assert.equal(!missing.ok && missing.challenge.length, 2);
  });

  it('stale flow: an expired nonce with a valid digest gets stale=TRUE, and the client retries silently', async () => {
    const { clock, verifier } = setup({ nonceLifetimeMs: 60_000 });
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    const first = answer(verifier, client);
    assert.equal((await verifier.verify({ ...INVITE, authorization: first })).ok, true);

    clock.advance(60_001);
    const stale = await verifier.verify({ ...INVITE, authorization: values(client.authorize(INVITE)) });
    assert.ok(!stale.ok);
    assert.equal(stale.reason, 'stale');
    assert.equal(stale.status, 401);
    assert.equal(parseDigestChallenges(values(stale.challenge))[0]?.stale, true);

    const retry = client.handleChallenge({ status: 401, challenges: values(stale.challenge) }, INVITE);
    assert.ok(retry.ok);
    assert.equal((await verifier.verify({ ...INVITE, authorization: values(retry.headers) })).ok, true);
  });

  it('an expired nonce with a wrong digest is not stale', async () => {
    const { clock, verifier } = setup({ nonceLifetimeMs: 60_000 });
    const client = new DigestClient({ credentials: { username: 'alice', password: 'nope' } });
    const authorization = answer(verifier, client);
    clock.advance(120_000);
    const result = await verifier.verify({ ...INVITE, authorization });
    assert.equal(!result.ok && result.reason, 'bad-response');
  });

  it('rejects a replayed nonce count, and accepts counts arriving out of order once', async () => {
    const { verifier } = setup();
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    const first = answer(verifier, client);
    const second = values(client.authorize(INVITE));
    const third = values(client.authorize(INVITE));
    assert.equal((await verifier.verify({ ...INVITE, authorization: third })).ok, true);
    assert.equal((await verifier.verify({ ...INVITE, authorization: first })).ok, true);
    const replay = await verifier.verify({ ...INVITE, authorization: first });
    assert.ok(!replay.ok);
    assert.equal(replay.reason, 'replay');
    assert.equal(parseDigestChallenges(values(replay.challenge))[0]?.stale, true);
    assert.equal((await verifier.verify({ ...INVITE, authorization: second })).ok, true);
  });

  it('rejects a forged, foreign or future nonce', async () => {
    const { verifier } = setup();
    const other = setup({ secret: 'another secret of sixteen bytes+' }).verifier;
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    const foreign = answer(other, client);
    assert.equal(((await verifier.verify({ ...INVITE, authorization: foreign })) as { reason: string }).reason, 'bad-nonce');
    const [value] = answer(verifier, new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } }));
    for (const nonce of ['"short"', '"not base64!"']) {
      const result = await verifier.verify({ ...INVITE, authorization: [withParam(value ?? '', 'nonce', nonce)] });
      assert.equal(!result.ok && result.reason, 'bad-nonce', nonce);
    }
    const early = setup();
    early.clock.advance(3_600_000);
    const fromTheFuture = answer(early.verifier, new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } }));
    const present = setup().verifier;
    const result = await present.verify({ ...INVITE, authorization: fromTheFuture });
    assert.equal(!result.ok && result.reason, 'bad-nonce');
  });

  it('answers 400 when the uri directive does not match the Request-URI', async () => {
    const { verifier } = setup();
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    const authorization = answer(verifier, client, { method: 'INVITE', uri: 'sip:carol@dialtone.test' });
    const result = await verifier.verify({ ...INVITE, authorization });
    assert.deepEqual(result, { ok: false, reason: 'uri-mismatch', status: 400, challenge: [] });
  });

  it('answers 400 to malformed credentials', async () => {
    const { verifier } = setup();
    const [value] = answer(verifier, new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } }));
    const base = value ?? '';
    for (const broken of [
      base.replace(/, response="[^"]*"/, ''),
      withParam(base, 'nc', '1'),
      withParam(base, 'nc', '00000000'),
      base.replace(/, cnonce="[^"]*"/, ''),
      'Digest realm="dialtone.test", nonce="unterminated',
    ]) {
      const result = await verifier.verify({ ...INVITE, authorization: [broken] });
      assert.equal(!result.ok && result.reason, 'malformed', broken);
      assert.equal(!result.ok && result.status, 400);
    }
  });

  it('rejects an algorithm or qop it did not offer, with a new challenge', async () => {
    const { verifier } = setup({ algorithms: ['SHA-256'], qop: ['auth'] });
    const [value] = answer(verifier, new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } }));
    const base = value ?? '';
    const md5 = await verifier.verify({ ...INVITE, authorization: [withParam(base, 'algorithm', 'MD5')] });
    assert.equal(!md5.ok && md5.reason, 'unsupported-algorithm');
    assert.equal(!md5.ok && md5.status, 401);
    const authInt = await verifier.verify({ ...INVITE, authorization: [withParam(base, 'qop', 'auth-int')] });
    assert.equal(!authInt.ok && authInt.reason, 'unsupported-qop');
    const noQop = base.replace(/, qop=auth/, '');
    const legacy = await verifier.verify({ ...INVITE, authorization: [noQop] });
    assert.equal(!legacy.ok && legacy.reason, 'unsupported-qop');
  });

  it('accepts an async password lookup', async () => {
    const { verifier } = setup({ lookup: async (username) => USERS.get(username) });
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } });
    assert.equal((await verifier.verify({ ...INVITE, authorization: answer(verifier, client) })).ok, true);
  });

  it('issues credentials a parser reads back with the expected directives', () => {
    const { verifier } = setup();
    const [value] = answer(verifier, new DigestClient({ credentials: { username: 'alice', password: 'wonderland' } }));
    const [field] = parseAuthFields(value ?? '');
    assert.deepEqual([...(field?.params.keys() ?? [])].sort(), [
      'algorithm',
      'cnonce',
      'nc',
      'nonce',
      'qop',
      'realm',
      'response',
      'uri',
      'username',
    ]);
  });
});
