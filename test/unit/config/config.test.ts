import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, resolveConfig, v8FlagsFor } from '../../../src/config/index.js';
import { DialtoneError, ErrorCodes } from '../../../src/kernel/index.js';
import { scratchDirectory } from '../../support/scratch-directory.js';

const account = 'AC0123456789abcdef0123456789abcdef';

test('embedded defaults: SIP on UDP and TCP 5060, no TLS without a certificate, HTTP 8080, SQLite in ./data', () => {
  const config = resolveConfig(undefined, {}, {});
  assert.deepEqual(config.sip.listen, [
    { protocol: 'udp', address: '0.0.0.0', port: 5060 },
    { protocol: 'tcp', address: '0.0.0.0', port: 5060 },
  ]);
  assert.deepEqual(config.http.listen, { address: '0.0.0.0', port: 8080 });
  assert.equal(config.database, 'sqlite:./data/dialtone.db');
  assert.deepEqual(config.media.portRange, [20000, 29999]);
});

test('the INTERFACE.md example reads as written, with TLS kept when a certificate is configured', () => {
  const config = resolveConfig(
    {
      sip: {
        listen: ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060', 'tls:0.0.0.0:5061'],
        tls: { cert: './cert.pem', key: './key.pem' },
        publicAddress: '198.51.100.7',
      },
      media: { portRange: [20000, 29999] },
      http: { listen: '0.0.0.0:8080', publicUrl: 'http://198.51.100.7:8080' },
      database: 'sqlite:./data/dialtone.db',
      accounts: [{ sid: account, authToken: 'secret', enhancedSip: true }],
      routes: [
        {
          match: { to: '+15551230000' },
          account,
          voiceUrl: 'http://127.0.0.1:3000/voice',
          voiceMethod: 'POST',
          voiceFallbackUrl: 'http://127.0.0.1:3000/fallback',
          statusCallback: 'http://127.0.0.1:3000/status',
          dialect: 'twiml',
        },
        { match: '*', voiceUrl: 'http://127.0.0.1:3000/any', dialect: 'didml', voiceMethod: 'get' },
      ],
      trunks: [{ name: 'default', uri: 'sip:gateway.example.net;transport=udp', username: 'u', password: 'p' }],
      regions: { us1: { default: true }, ie1: { outboundProxy: 'sip:10.0.0.5:5060' } },
    },
    {},
    {},
  );
  assert.equal(config.sip.listen.length, 3);
  assert.equal(config.sip.listen[2]?.protocol, 'tls');
  assert.equal(config.sip.publicAddress, '198.51.100.7');
  assert.deepEqual(config.routes[0]?.match, { kind: 'to', value: '+15551230000' });
  assert.deepEqual(config.routes[1]?.match, { kind: 'any' });
  assert.equal(config.routes[1]?.voiceMethod, 'GET');
  assert.equal(config.routes[1]?.dialect, 'didml');
  assert.deepEqual(
    config.regions.map((region) => [region.name, region.default, region.outboundProxy]),
    [
      ['us1', true, undefined],
      ['ie1', false, 'sip:10.0.0.5:5060'],
    ],
  );
  assert.equal(config.trunks[0]?.password, 'p');
});

test('environment overrides the file and flags override the environment', () => {
  const config = resolveConfig(
    { http: { listen: '127.0.0.1:9000' }, sip: { listen: ['udp:127.0.0.1:5070'] } },
    { DIALTONE_HTTP_LISTEN: '127.0.0.1:9100', DIALTONE_SIP_PUBLIC_ADDRESS: '203.0.113.9', DIALTONE_DATABASE: 'postgres://u@h/db' },
    { httpPort: 9200, sipPort: 5080, voiceUrl: 'http://127.0.0.1:3000/voice', dataDir: '/tmp/x' },
  );
  assert.deepEqual(config.http.listen, { address: '127.0.0.1', port: 9200 });
  assert.equal(config.sip.publicAddress, '203.0.113.9');
  assert.deepEqual(config.sip.listen, [{ protocol: 'udp', address: '127.0.0.1', port: 5080 }]);
  assert.equal(config.database, 'postgres://u@h/db');
  assert.equal(config.voiceUrl, 'http://127.0.0.1:3000/voice');
  assert.equal(config.dataDir, '/tmp/x');
});

test("V8's concurrent marking stays on unless the configuration turns it off; off, the engine runs with the flag that says so", () => {
  const embedded = resolveConfig(undefined, {}, {});
  assert.equal(embedded.concurrentMarking, true);
  assert.deepEqual(v8FlagsFor(embedded), []);
  const fromFile = resolveConfig({ concurrentMarking: false }, {}, {});
  assert.equal(fromFile.concurrentMarking, false);
  assert.deepEqual(v8FlagsFor(fromFile), ['--no-concurrent-marking']);
  assert.equal(resolveConfig({ concurrentMarking: false }, { DIALTONE_CONCURRENT_MARKING: 'true' }, {}).concurrentMarking, true);
  assert.equal(resolveConfig(undefined, { DIALTONE_CONCURRENTMARKING: 'false' }, {}).concurrentMarking, false);
  assert.throws(
    () => resolveConfig({ concurrentMarking: 'sometimes' }, {}, {}),
    (error: unknown) => error instanceof DialtoneError && error.code === ErrorCodes.configInvalid && /concurrentMarking: expected true or false/.test(error.message),
  );
});

test('IPv6 listeners are written in brackets', () => {
  const config = resolveConfig({ sip: { listen: ['udp:[::1]:5060'] } }, {}, {});
  assert.deepEqual(config.sip.listen, [{ protocol: 'udp', address: '::1', port: 5060 }]);
});

test('the TLS client needs no certificate: without any TLS setting it exists and verifies servers', () => {
  const config = resolveConfig(undefined, {}, {});
  assert.equal(config.sip.tls, undefined);
  assert.deepEqual(config.sip.tlsClient, { verifyPeer: true });
});

test('sip.tlsClient turns verification off, or adds a private CA, independently of the listener', () => {
  assert.deepEqual(resolveConfig({ sip: { tlsClient: { verifyPeer: false } } }, {}, {}).sip.tlsClient, { verifyPeer: false });
  assert.deepEqual(resolveConfig({ sip: { tlsClient: { ca: './pbx-ca.pem' } } }, {}, {}).sip.tlsClient, { verifyPeer: true, ca: './pbx-ca.pem' });
  // YAML written as `verifyPeer: "false"` or through a template reads the same.
  assert.equal(resolveConfig({ sip: { tlsClient: { verifyPeer: 'false' } } }, {}, {}).sip.tlsClient.verifyPeer, false);
  // Mutual TLS on the listener says nothing about the servers we dial.
  const mutual = resolveConfig(
    { sip: { tls: { cert: './cert.pem', key: './key.pem', ca: './clients-ca.pem', verifyPeer: true }, tlsClient: { verifyPeer: false, ca: './pbx-ca.pem' } } },
    {},
    {},
  );
  assert.deepEqual(mutual.sip.tls, { cert: './cert.pem', key: './key.pem', ca: './clients-ca.pem', verifyPeer: true });
  assert.deepEqual(mutual.sip.tlsClient, { verifyPeer: false, ca: './pbx-ca.pem' });
});

test('a listener certificate alone leaves the client verifying; the listener asks for no client certificate', () => {
  const config = resolveConfig({ sip: { tls: { cert: './cert.pem', key: './key.pem' } } }, {}, {});
  assert.equal(config.sip.tls?.verifyPeer, false);
  assert.deepEqual(config.sip.tlsClient, { verifyPeer: true });
});

test('sip.tls.verifyPeer and sip.tls.ca written before sip.tlsClient still set the client when it does not say otherwise', () => {
  const off = resolveConfig({ sip: { tls: { cert: './cert.pem', key: './key.pem', verifyPeer: false } } }, {}, {});
  assert.deepEqual(off.sip.tlsClient, { verifyPeer: false });
  const on = resolveConfig({ sip: { tls: { cert: './cert.pem', key: './key.pem', ca: './ca.pem', verifyPeer: true } } }, {}, {});
  assert.deepEqual(on.sip.tlsClient, { verifyPeer: true, ca: './ca.pem' });
  const overridden = resolveConfig(
    { sip: { tls: { cert: './cert.pem', key: './key.pem', ca: './ca.pem', verifyPeer: false }, tlsClient: { verifyPeer: true, ca: './pbx-ca.pem' } } },
    {},
    {},
  );
  assert.deepEqual(overridden.sip.tlsClient, { verifyPeer: true, ca: './pbx-ca.pem' });
});

const badValues: Array<[string, unknown, string]> = [
  ['sip.tlsClient', { sip: { tlsClient: 'off' } }, 'a mapping'],
  ['sip.tlsClient.verifyPeer', { sip: { tlsClient: { verifyPeer: 'maybe' } } }, 'true or false'],
  ['sip.tlsClient.ca', { sip: { tlsClient: { ca: '' } } }, 'non-empty string'],
  ['sip.listen[0]', { sip: { listen: ['udp:nowhere'] } }, 'udp|tcp|tls:ADDRESS:PORT'],
  ['media.portRange[1]', { media: { portRange: [20000, 70000] } }, 'port number'],
  ['routes[0].voiceUrl', { routes: [{ voiceUrl: 'ftp://x' }] }, 'http(s) URL'],
  ['routes[0].dialect', { routes: [{ voiceUrl: 'http://a/', dialect: 'vxml' }] }, 'twiml | cxml | rcml | didml'],
  ['routes[0].account', { routes: [{ voiceUrl: 'http://a/', account }] }, 'account listed under accounts'],
  ['accounts[0].sid', { accounts: [{ sid: 'AC123', authToken: 't' }] }, '32 lowercase hex'],
  ['routes[0].match', { routes: [{ voiceUrl: 'http://a/', match: { prefix: '1' } }] }, '{ to: … }'],
  ['regions', { regions: { a: { default: true }, b: { default: true } } }, 'at most one region'],
  ['database', { database: 'mysql://x' }, 'sqlite:PATH'],
];

for (const [key, file, expected] of badValues) {
  test(`a bad ${key} stops start-up with a message naming the key`, () => {
    assert.throws(
      () => resolveConfig(file, {}, {}),
      (error: unknown) =>
        error instanceof DialtoneError &&
        error.code === ErrorCodes.configInvalid &&
        error.message.includes(key) &&
        error.message.includes(expected),
    );
  });
}

test('a flag with a bad port names the flag', () => {
  assert.throws(() => resolveConfig({}, {}, { sipPort: 70000 }), /--sip-port/);
});

test('a YAML file is read, and a broken one is reported with its name', async (t) => {
  const dir = await scratchDirectory(t, 'config');
  const good = join(dir, 'good.yaml');
  await writeFile(good, 'http:\n  listen: "127.0.0.1:8181"\n');
  assert.deepEqual((await loadConfig(good, {}, {})).http.listen, { address: '127.0.0.1', port: 8181 });
  const broken = join(dir, 'broken.yaml');
  await writeFile(broken, 'http: [unclosed\n');
  await assert.rejects(loadConfig(broken, {}, {}), /broken\.yaml: not valid YAML/);
  await assert.rejects(loadConfig(join(dir, 'missing.yaml'), {}, {}), /cannot be read/);
});
