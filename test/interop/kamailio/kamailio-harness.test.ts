/**
 * The harness's own checks: the generated configuration (pure), Kamailio's own syntax check of it
 * (`kamailio -c`), and the process lifecycle (listens on the ports it reports, stops on SIGTERM with
 * no process left, a hard lifetime kills it).
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import {
  checkKamailioConfig,
  kamailioInfo,
  parseKamailioEvents,
  renderKamailioConfig,
  renderTlsConfig,
  requireKamailio,
  resetKamailioInfo,
  startKamailio,
} from '../../support/kamailio.js';
import { fixture } from './helpers.js';

const tls = { cert: fixture('server.pem'), key: fixture('server.key'), ca: fixture('ca.pem') };
const resolved = { host: '127.0.0.1', ports: { udp: 40000, tcp: 40000, tls: 40001 }, moduleDir: '/mods', tlsConfigPath: '/w/tls.cfg' };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Kamailio harness', { timeout: 60_000 }, () => {
  it('renders loopback listeners, the tls module and one relay block per route', () => {
    const config = renderKamailioConfig({ tls, routes: { dialtone: 'sip:127.0.0.1:5071;transport=tls' } }, resolved);
    assert.match(config, /^listen=udp:127\.0\.0\.1:40000$/m);
    assert.match(config, /^listen=tcp:127\.0\.0\.1:40000$/m);
    assert.match(config, /^listen=tls:127\.0\.0\.1:40001$/m);
    assert.match(config, /^enable_tls=yes$/m);
    assert.match(config, /^fork=yes$/m);
    assert.match(config, /loadmodule "tls\.so"\nmodparam\("tls", "config", "\/w\/tls\.cfg"\)/);
    assert.match(config, /if \(\$rU == "dialtone"\) \{\n\t\t\$du = "sip:127\.0\.0\.1:5071;transport=tls";/);
    assert.doesNotMatch(config, /0\.0\.0\.0/);
    const plain = renderKamailioConfig({}, { host: '127.0.0.1', ports: { udp: 40000 }, moduleDir: '/mods' });
    assert.match(plain, /^disable_tcp=yes$/m);
    assert.match(plain, /^enable_tls=no$/m);
    assert.doesNotMatch(plain, /tls\.so/);
    assert.throws(() => renderKamailioConfig({ routes: { 'a"b': 'sip:x' } }, resolved), /plain token/);
    assert.throws(() => renderKamailioConfig({ routes: { a: 'sip:x";exit;"' } }, resolved), /plain SIP URI/);
    assert.throws(() => renderKamailioConfig({}, { host: '127.0.0.1', ports: {}, moduleDir: '/mods' }), /at least one listener/);
  });

  it('renders a parallel fork: the first branch as $ru, the others appended, one t_relay', () => {
    const config = renderKamailioConfig({ forks: { fork: ['sip:fork@127.0.0.1:5070', 'sip:fork@127.0.0.1:5080'] } }, resolved);
    assert.match(config, /if \(\$rU == "fork"\) \{\n\t\t\$ru = "sip:fork@127\.0\.0\.1:5070";\n\t\tappend_branch\("sip:fork@127\.0\.0\.1:5080"\);\n\t\tt_on_failure\("RELAY_FAILED"\);\n\t\tif \(!t_relay\(\)\)/);
    assert.throws(() => renderKamailioConfig({ forks: { fork: [] } }, resolved), /no branch/);
    assert.throws(() => renderKamailioConfig({ forks: { fork: ['sip:x");exit;("'] } }, resolved), /plain SIP URI/);
  });

  it('renders tls.cfg: server and client domains, verification only with a CA', () => {
    const text = renderTlsConfig({ ...tls, verifyClient: true });
    const server = text.slice(text.indexOf('[server:default]'), text.indexOf('[client:default]'));
    const client = text.slice(text.indexOf('[client:default]'));
    assert.match(server, /verify_certificate = yes\nrequire_certificate = yes/);
    assert.match(client, /verify_certificate = yes/);
    assert.match(server, /ca_list = \/.*ca\.pem/);
    const lax = renderTlsConfig({ cert: tls.cert, key: tls.key });
    assert.doesNotMatch(lax, /verify_certificate = yes/);
    assert.doesNotMatch(lax, /ca_list/);
    assert.throws(() => renderTlsConfig({ cert: tls.cert, key: tls.key, verifyClient: true }), /needs tls\.ca/);
  });

  it('parses the KAM lines of the log', () => {
    const events = parseKamailioEvents(
      [
        ' 1(12) NOTICE: <script>: KAM REQ method=INVITE proto=tls src=127.0.0.1:5555 callid=abc@x uri=sip:svc@127.0.0.1:5060',
        'noise',
        ' 1(12) NOTICE: <script>: KAM REPLY status=200 method=INVITE proto=udp src=127.0.0.1:6666 callid=abc@x',
      ].join('\n'),
    );
    assert.deepEqual(events, [
      { kind: 'request', method: 'INVITE', protocol: 'tls', source: '127.0.0.1:5555', callId: 'abc@x', uri: 'sip:svc@127.0.0.1:5060' },
      { kind: 'reply', method: 'INVITE', status: 200, protocol: 'udp', source: '127.0.0.1:6666', callId: 'abc@x' },
    ]);
  });

  it('requireKamailio: a missing Kamailio fails under CI=true and is a loud skip otherwise', () => {
    const saved = { bin: process.env['KAMAILIO_BIN'], ci: process.env['CI'] };
    const restore = (name: string, value: string | undefined): void => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    const skipped: string[] = [];
    const fake = { name: 'fake', skip: (reason?: string) => skipped.push(reason ?? '') } as unknown as TestContext;
    const stderrWrite = process.stderr.write;
    try {
      process.env['KAMAILIO_BIN'] = '/nonexistent/kamailio';
      resetKamailioInfo();
      assert.equal(kamailioInfo(), null);
      process.env['CI'] = 'true';
      assert.throws(() => requireKamailio(fake), /under CI a missing Kamailio fails the run/);
      assert.deepEqual(skipped, []);
      delete process.env['CI'];
      process.stderr.write = (() => true) as typeof process.stderr.write;
      assert.equal(requireKamailio(fake), false);
      process.stderr.write = stderrWrite;
      assert.equal(skipped.length, 1);
      assert.match(skipped[0] ?? '', /apt-get install -y kamailio kamailio-tls-modules/);
    } finally {
      process.stderr.write = stderrWrite;
      restore('KAMAILIO_BIN', saved.bin);
      restore('CI', saved.ci);
      resetKamailioInfo();
    }
  });

  it('Kamailio itself accepts the generated configuration (kamailio -c), and rejects a broken one', (t: TestContext) => {
    if (!requireKamailio(t)) return;
    const info = kamailioInfo();
    assert.ok(info);
    t.diagnostic(`Kamailio ${info.version}, modules in ${info.moduleDir}, TLS: ${info.tls}`);
    const config = renderKamailioConfig(
      { tls, routes: { dialtone: 'sip:127.0.0.1:5071;transport=tls' }, forks: { fork: ['sip:fork@127.0.0.1:5070', 'sip:fork@127.0.0.1:5080'] } },
      { ...resolved, moduleDir: info.moduleDir },
    );
    const check = checkKamailioConfig(config, renderTlsConfig(tls));
    assert.ok(check.ok, check.output);
    const broken = checkKamailioConfig(config.replace('request_route {', 'request_route {\n\tno_such_function();'), renderTlsConfig(tls));
    assert.equal(broken.ok, false, 'a config with an unknown function must not pass the check');
  });

  it('starts on free loopback ports, answers on them, and stops on SIGTERM with no process left', async (t: TestContext) => {
    if (!requireKamailio(t)) return;
    const kamailio = await startKamailio({ tls });
    let stopped = false;
    try {
      assert.ok(kamailio.ports.udp && kamailio.ports.tls && kamailio.ports.udp !== kamailio.ports.tls);
      assert.equal(kamailio.ports.tcp, kamailio.ports.udp);
      assert.equal(kamailio.uri('tls', 'bob'), `sip:bob@127.0.0.1:${kamailio.ports.tls};transport=tls`);
      assert.equal(kamailio.uri('udp'), `sip:127.0.0.1:${kamailio.ports.udp}`);
      // The TLS port accepts a TCP connection.
      await new Promise<void>((resolveConnect, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port: kamailio.port('tls') }, () => {
          socket.destroy();
          resolveConnect();
        });
        socket.once('error', reject);
      });
      assert.ok(alive(kamailio.pid));
      const exit = await kamailio.stop();
      stopped = true;
      assert.equal(exit.killed, false, `Kamailio needed SIGKILL\n${kamailio.log()}`);
      assert.equal(exit.code, 0);
      assert.equal(alive(kamailio.pid), false);
      // No worker of its process group is left either.
      assert.throws(() => process.kill(-kamailio.pid, 0), /ESRCH/);
      assert.deepEqual(await kamailio.stop(), exit, 'stop is idempotent');
    } finally {
      if (!stopped) await kamailio.stop();
    }
  });

  it('a hard lifetime kills a Kamailio nobody stops', async (t: TestContext) => {
    if (!requireKamailio(t, { tls: false })) return;
    const kamailio = await startKamailio({ lifetimeMs: 1_500 });
    try {
      const exit = await Promise.race([kamailio.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
      assert.ok(exit, 'Kamailio still running 10 s after its 1.5 s lifetime');
      assert.equal(exit.killed, true);
      assert.equal(alive(kamailio.pid), false);
    } finally {
      await kamailio.stop();
    }
  });
});
