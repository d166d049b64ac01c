// A typed harness around Kamailio (Debian's `kamailio` + `kamailio-tls-modules`), the OpenSSL-based
// C peer Dialtone's TLS (and TCP) interop is proven against, since Debian's SIPp has no TLS.
//
// One Kamailio per test, loopback only, on ports found free at run time: UDP and TCP on one port, TLS
// on another. The configuration is generated into a temporary directory from the options (see
// renderKamailioConfig): a small stateful proxy (tm, rr) that
//   - answers an OPTIONS to itself (no user part in the Request-URI) with 200 from the script
//     (sl_send_reply), so a client can prove a TLS handshake and a SIP exchange with Kamailio itself;
//   - relays every new request whose Request-URI user is a key of `routes` to that next hop ($du),
//     record-routing INVITEs so that ACK and BYE follow through the proxy (loose_route);
//   - forks every new request whose Request-URI user is a key of `forks` in parallel to each of its
//     branch URIs (append_branch, RFC 3261 §16.6), so one INVITE makes several early dialogs;
//   - answers anything else 404.
// It logs one `KAM …` line per request and per reply it sees (method, transport, source) to stderr,
// captured for assertions and failure messages. Kamailio runs in the foreground (-DD) with one worker
// per transport in its own process group; stop() sends SIGTERM to that group and SIGKILL after a
// grace period, and a hard lifetime kills it even if a test forgets to. Only processes this harness
// started are ever signalled.
//
// See docs/interop-kamailio.md for what the tests prove and how to run a Kamailio by hand.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket as NetSocket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { findFreePort } from './sipp.js';

export type KamailioProtocol = 'udp' | 'tcp' | 'tls';

export interface KamailioTlsOptions {
  /** PEM paths of the certificate and key Kamailio presents on its TLS listener (and as a client when asked). */
  cert: string;
  key: string;
  /** PEM path of the CA Kamailio trusts, for verifying peers. */
  ca?: string;
  /** Server side: require a client certificate and verify it against `ca` (mutual TLS). Default false. */
  verifyClient?: boolean;
  /** Client side (Kamailio relaying to a TLS next hop): verify the server's certificate chain against `ca`. Default true when `ca` is given. */
  verifyServer?: boolean;
}

export interface KamailioOptions {
  /** Loopback address every listener binds to. Default 127.0.0.1. */
  host?: string;
  /** Listen on UDP and TCP (same port). Default true for both. */
  udp?: boolean;
  tcp?: boolean;
  /** TLS listener and client settings; omitted: no TLS. */
  tls?: KamailioTlsOptions;
  /**
   * Request-URI user → next hop URI for new requests, e.g. `{ dialtone: 'sip:127.0.0.1:5071;transport=tls' }`.
   * Kamailio sets $du to it and relays with t_relay.
   */
  routes?: Record<string, string>;
  /**
   * Request-URI user → the Request-URIs of the branches it is forked to in parallel, e.g.
   * `{ fork: ['sip:fork@127.0.0.1:5070', 'sip:fork@127.0.0.1:5080'] }`: the first replaces $ru, the
   * others are append_branch()ed, then one t_relay (tm forwards every 2xx and CANCELs the other
   * branches once one answers).
   */
  forks?: Record<string, readonly string[]>;
  /** tm's fr_timer / fr_inv_timer (ms): how long Kamailio waits for a next hop. Defaults 3 000 / 10 000. */
  frTimerMs?: number;
  frInvTimerMs?: number;
  /** Debug level (-2..3); the KAM lines are logged at NOTICE (1). Default 1. */
  debug?: number;
  /** How long to wait for the listeners. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** Hard bound on the process's life: SIGKILL after this. Default 120 000 ms. */
  lifetimeMs?: number;
  /** Keep the temporary directory (config, logs) after stop(). */
  keepWorkDir?: boolean;
}

export interface KamailioExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when SIGKILL was needed (grace or lifetime expired). */
  killed: boolean;
}

export interface RunningKamailio {
  pid: number;
  host: string;
  ports: { udp?: number; tcp?: number; tls?: number };
  /** The port Kamailio listens on for `protocol`; throws when it does not. */
  port(protocol: KamailioProtocol): number;
  /** `sip:host:port;transport=…` of a listener (no transport param for UDP), with an optional user. */
  uri(protocol: KamailioProtocol, user?: string): string;
  /** `host:port` of a listener, as SIPp wants its remote. */
  address(protocol: KamailioProtocol): string;
  configPath: string;
  workDir: string;
  /** Everything Kamailio wrote so far (stderr and stdout). */
  log(): string;
  /** The `KAM REQ` / `KAM REPLY` lines so far. */
  events(): KamailioEvent[];
  /** Resolves when a logged event satisfies `match`, rejects after `timeoutMs` with the log. */
  waitForEvent(match: (event: KamailioEvent) => boolean, timeoutMs?: number): Promise<KamailioEvent>;
  /** SIGTERM to Kamailio's process group, SIGKILL after graceMs (default 3 000); idempotent. */
  stop(graceMs?: number): Promise<KamailioExit>;
  /** Resolves when the process has exited (by itself or by stop()). */
  exited: Promise<KamailioExit>;
}

/** One request or reply Kamailio's script saw, parsed from its log. */
export interface KamailioEvent {
  kind: 'request' | 'reply';
  /** Request method, or the reply's CSeq method. */
  method: string;
  /** Reply status (replies only). */
  status?: number;
  /** Request-URI (requests only). */
  uri?: string;
  /** Transport it arrived on: udp, tcp, tls. */
  protocol: string;
  source: string;
  callId: string;
}

export interface KamailioInfo {
  path: string;
  /** e.g. "5.6.3" */
  version: string;
  /** The build has TLS (flag USE_TLS) and the tls module is installed. */
  tls: boolean;
  moduleDir: string;
}

export const KAMAILIO_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'];

/** The Kamailio binary: $KAMAILIO_BIN if set, else `kamailio` on PATH (Debian installs /usr/sbin/kamailio). */
export function kamailioBinary(): string {
  const fromEnv = process.env['KAMAILIO_BIN'];
  if (fromEnv) return fromEnv;
  for (const candidate of ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio']) {
    if (spawnSync(candidate, ['-v'], { timeout: 10_000 }).status === 0) return candidate;
  }
  return 'kamailio';
}

let cachedInfo: KamailioInfo | null | undefined;

/** Forgets what kamailioInfo() found (after changing $KAMAILIO_BIN, in the harness's own tests). */
export function resetKamailioInfo(): void {
  cachedInfo = undefined;
}

/** Version and TLS support of the installed Kamailio, or null when it cannot be run. */
export function kamailioInfo(): KamailioInfo | null {
  if (cachedInfo !== undefined) return cachedInfo;
  const path = kamailioBinary();
  const run = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  const banner = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const match = /version: kamailio (\d+(?:\.\d+)*)/.exec(banner);
  if (run.error || run.status !== 0 || !match) {
    cachedInfo = null;
    return null;
  }
  const moduleDir =
    process.env['KAMAILIO_MODULES'] ??
    KAMAILIO_MODULE_DIRS.find((dir) => spawnSync('test', ['-f', join(dir, 'tm.so')]).status === 0) ??
    KAMAILIO_MODULE_DIRS[0]!;
  const hasTlsModule = spawnSync('test', ['-f', join(moduleDir, 'tls.so')]).status === 0;
  cachedInfo = { path, version: match[1] ?? '', tls: /\bUSE_TLS\b/.test(banner) && hasTlsModule, moduleDir };
  return cachedInfo;
}

const INSTALL_HINT = 'install Debian\'s kamailio and kamailio-tls-modules (apt-get install -y kamailio kamailio-tls-modules)';

/**
 * Call first in every Kamailio test. Returns true when Kamailio (with its tls module, when `tls`) is
 * there. When it is not: under CI (CI=true) this throws, so the test fails; elsewhere the test is
 * marked skipped with a loud reason and the caller must return.
 */
export function requireKamailio(t: TestContext, needs: { tls?: boolean } = { tls: true }): boolean {
  const info = kamailioInfo();
  let reason: string | undefined;
  if (!info) reason = `Kamailio not found (${kamailioBinary()}): ${INSTALL_HINT} to run the Kamailio interop suite`;
  else if (needs.tls && !info.tls) reason = `Kamailio ${info.version} has no tls module in ${info.moduleDir}: ${INSTALL_HINT}`;
  if (reason === undefined) return true;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; under CI a missing Kamailio fails the run`);
  process.stderr.write(`\n!!! SKIPPING KAMAILIO INTEROP TEST "${t.name}": ${reason} !!!\n`);
  t.skip(reason);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Configuration

const ROUTE_USER = /^[A-Za-z0-9_.+-]+$/;
const NEXT_HOP = /^sips?:[A-Za-z0-9_.:;=[\]@+-]+$/;

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** tls.cfg for the tls module: one default server domain and one default client domain. */
export function renderTlsConfig(tls: KamailioTlsOptions): string {
  const abs = (path: string): string => resolve(path);
  const verifyServer = tls.verifyServer ?? tls.ca !== undefined;
  if ((tls.verifyClient || verifyServer) && tls.ca === undefined) throw new Error('verifying peers needs tls.ca');
  const ca = tls.ca !== undefined ? [`ca_list = ${abs(tls.ca)}`] : [];
  return [
    '# generated by test/support/kamailio.ts',
    '[server:default]',
    'method = TLSv1.2+',
    `certificate = ${abs(tls.cert)}`,
    `private_key = ${abs(tls.key)}`,
    ...ca,
    `verify_certificate = ${tls.verifyClient ? 'yes' : 'no'}`,
    `require_certificate = ${tls.verifyClient ? 'yes' : 'no'}`,
    '',
    '[client:default]',
    'method = TLSv1.2+',
    `certificate = ${abs(tls.cert)}`,
    `private_key = ${abs(tls.key)}`,
    ...ca,
    `verify_certificate = ${verifyServer ? 'yes' : 'no'}`,
    `require_certificate = ${verifyServer ? 'yes' : 'no'}`,
    '',
  ].join('\n');
}

/** kamailio.cfg for the options, ports and paths given (exported for the harness's own tests). */
export function renderKamailioConfig(
  options: KamailioOptions,
  resolved: { host: string; ports: { udp?: number; tcp?: number; tls?: number }; moduleDir: string; tlsConfigPath?: string },
): string {
  const { host, ports, moduleDir } = resolved;
  const h = hostForUri(host);
  const listens: string[] = [];
  if (ports.udp !== undefined) listens.push(`listen=udp:${h}:${ports.udp}`);
  if (ports.tcp !== undefined) listens.push(`listen=tcp:${h}:${ports.tcp}`);
  if (ports.tls !== undefined) listens.push(`listen=tls:${h}:${ports.tls}`);
  if (listens.length === 0) throw new Error('Kamailio needs at least one listener');
  const streams = ports.tcp !== undefined || ports.tls !== undefined;
  const aliases = [...new Set(Object.values(ports))].map((port) => `alias="${h}:${port}"`);
  const checkedUri = (uri: string): string => {
    if (!NEXT_HOP.test(uri)) throw new Error(`next hop ${JSON.stringify(uri)} is not a plain SIP URI`);
    return uri;
  };
  const relay = (user: string, destination: string[]): string => {
    if (!ROUTE_USER.test(user)) throw new Error(`route user ${JSON.stringify(user)} is not a plain token`);
    return [
      `\tif ($rU == "${user}") {`,
      ...destination,
      '\t\tt_on_failure("RELAY_FAILED");',
      '\t\tif (!t_relay()) {',
      '\t\t\txlog("L_NOTICE", "KAM RELAYERR $rm $ru du=$du\\n");',
      '\t\t\tsl_reply_error();',
      '\t\t}',
      '\t\texit;',
      '\t}',
    ].join('\n');
  };
  const routes = Object.entries(options.routes ?? {}).map(([user, next]) => relay(user, [`\t\t$du = "${checkedUri(next)}";`]));
  const forks = Object.entries(options.forks ?? {}).map(([user, branches]) => {
    const [first, ...others] = branches.map(checkedUri);
    if (first === undefined) throw new Error(`fork ${JSON.stringify(user)} has no branch`);
    return relay(user, [`\t\t$ru = "${first}";`, ...others.map((uri) => `\t\tappend_branch("${uri}");`)]);
  });
  const tlsModule = resolved.tlsConfigPath !== undefined
    ? ['loadmodule "tls.so"', `modparam("tls", "config", "${resolved.tlsConfigPath}")`]
    : [];
  return `#!KAMAILIO
# generated by test/support/kamailio.ts: loopback-only stateful proxy for Dialtone's interop tests
debug=${options.debug ?? 1}
log_stderror=yes
log_prefix=""
fork=yes
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
disable_tcp=${streams ? 'no' : 'yes'}
enable_tls=${ports.tls !== undefined ? 'yes' : 'no'}
tcp_connection_lifetime=60
tcp_connect_timeout=3
udp_mtu_try_proto=UDP
${listens.join('\n')}
${aliases.join('\n')}

mpath="${moduleDir}/"
${tlsModule.join('\n')}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "corex.so"

modparam("tm", "fr_timer", ${options.frTimerMs ?? 3_000})
modparam("tm", "fr_inv_timer", ${options.frInvTimerMs ?? 10_000})
modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 0)

request_route {
	xlog("L_NOTICE", "KAM REQ method=$rm proto=$pr src=$si:$sp callid=$ci uri=$ru\\n");
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}

	# in-dialog requests (ACK of a 2xx, BYE) follow the route set
	if (has_totag()) {
		if (loose_route()) {
			if (!t_relay()) sl_reply_error();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) t_relay();
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}

	if (is_method("CANCEL")) {
		if (t_check_trans()) t_relay();
		exit;
	}

	# an OPTIONS to Kamailio itself: answered by the script
	if (is_method("OPTIONS") && $rU == $null) {
		sl_send_reply("200", "Kamailio OK");
		exit;
	}

	if (is_method("INVITE")) record_route();

${[...routes, ...forks].join('\n')}

	sl_send_reply("404", "No route in test config");
	exit;
}

onreply_route {
	xlog("L_NOTICE", "KAM REPLY status=$rs method=$rm proto=$pr src=$si:$sp callid=$ci\\n");
}

failure_route[RELAY_FAILED] {
	xlog("L_NOTICE", "KAM FAILED method=$rm callid=$ci du=$du\\n");
}
`;
}

// ---------------------------------------------------------------------------------------------
// Process

/** Linux: is some socket bound to `port` (UDP) or listening on it (TCP)? Reads /proc/net. */
function isPortTaken(port: number, kind: 'udp' | 'tcp'): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of [`/proc/net/${kind}`, `/proc/net/${kind}6`]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || !local.endsWith(`:${hexPort}`)) continue;
      if (kind === 'udp' || fields[3] === '0A') return true;
    }
  }
  return false;
}

const EVENT_LINE = /KAM (REQ|REPLY) (?:status=(\d+) )?method=(\S+) proto=(\S+) src=(\S+) callid=(\S*)(?: uri=(\S+))?/;

/** The KAM REQ / KAM REPLY lines of a Kamailio log. */
export function parseKamailioEvents(log: string): KamailioEvent[] {
  const events: KamailioEvent[] = [];
  for (const line of log.split('\n')) {
    const m = EVENT_LINE.exec(line);
    if (!m) continue;
    const event: KamailioEvent = {
      kind: m[1] === 'REQ' ? 'request' : 'reply',
      method: m[3] ?? '',
      protocol: m[4] ?? '',
      source: m[5] ?? '',
      callId: m[6] ?? '',
    };
    if (m[2] !== undefined) event.status = Number(m[2]);
    if (m[7] !== undefined) event.uri = m[7];
    events.push(event);
  }
  return events;
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Signals Kamailio's process group (it was spawned detached, so the group is ours alone). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Live Kamailios of this process, killed synchronously if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
}

async function launch(options: KamailioOptions, info: KamailioInfo): Promise<RunningKamailio> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') throw new Error(`Kamailio binds loopback only, not ${host}`);
  const ports: { udp?: number; tcp?: number; tls?: number } = {};
  const wantUdp = options.udp ?? true;
  const wantTcp = options.tcp ?? true;
  if (wantUdp || wantTcp) {
    const port = await findFreePort(host);
    if (wantUdp) ports.udp = port;
    if (wantTcp) ports.tcp = port;
  }
  if (options.tls) {
    let port = await findFreePort(host);
    while (port === ports.udp) port = await findFreePort(host);
    ports.tls = port;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'dialtone-kamailio-'));
  let tlsConfigPath: string | undefined;
  if (options.tls) {
    tlsConfigPath = join(workDir, 'tls.cfg');
    writeFileSync(tlsConfigPath, renderTlsConfig(options.tls));
  }
  const configPath = join(workDir, 'kamailio.cfg');
  writeFileSync(
    configPath,
    renderKamailioConfig(options, { host, ports, moduleDir: info.moduleDir, ...(tlsConfigPath ? { tlsConfigPath } : {}) }),
  );

  // -DD: foreground, children forked; -E: log to stderr; -Y: runtime dir of our own; small memory.
  const args = ['-f', configPath, '-DD', '-E', '-Y', workDir, '-m', '64', '-M', '8', '-P', join(workDir, 'kamailio.pid')];
  const child = spawn(info.path, args, { cwd: workDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  live.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let killed = false;
  const lifetime = setTimeout(() => {
    killed = true;
    output += `\n[harness] lifetime of ${options.lifetimeMs ?? 120_000} ms reached: SIGKILL\n`;
    signalGroup(child, 'SIGKILL');
  }, options.lifetimeMs ?? 120_000);
  lifetime.unref();
  const exited = new Promise<KamailioExit>((resolveExit) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(lifetime);
      live.delete(child);
      // Kamailio's main process reaps its workers on SIGTERM; a worker left behind (main killed) is in our group.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // group already empty
        }
      }
      resolveExit({ code, signal, killed });
    };
    child.once('error', (error) => {
      output += `\nspawn error: ${error.message}`;
      finish(null, null);
    });
    child.once('exit', finish);
  });
  let stopping: Promise<KamailioExit> | undefined;
  const stop = (graceMs = 3_000): Promise<KamailioExit> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // Kamailio's own shutdown: SIGTERM to the main process, which stops its workers and exits.
        try {
          child.kill('SIGTERM');
        } catch {
          // already gone
        }
        const grace = setTimeout(() => {
          killed = true;
          signalGroup(child, 'SIGKILL');
        }, graceMs);
        const result = await exited;
        clearTimeout(grace);
        if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
        return result;
      }
      const result = await exited;
      if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
      return result;
    })();
    return stopping;
  };
  const port = (protocol: KamailioProtocol): number => {
    const value = ports[protocol];
    if (value === undefined) throw new Error(`this Kamailio has no ${protocol} listener`);
    return value;
  };
  const running: RunningKamailio = {
    pid: child.pid ?? -1,
    host,
    ports,
    port,
    uri: (protocol, user) =>
      `sip:${user ? `${user}@` : ''}${hostForUri(host)}:${port(protocol)}${protocol === 'udp' ? '' : `;transport=${protocol}`}`,
    address: (protocol) => `${hostForUri(host)}:${port(protocol)}`,
    configPath,
    workDir,
    log: () => output,
    events: () => parseKamailioEvents(output).filter((event) => !event.callId.startsWith(PROBE_CALL_ID_PREFIX)),
    waitForEvent: async (match, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = running.events().find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching Kamailio event within ${timeoutMs} ms\n${formatKamailioLog(running)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop,
    exited,
  };

  // Ready when every listener is bound (UDP) or listening (TCP/TLS), and the process is still up.
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  let exitedEarly: KamailioExit | undefined;
  void exited.then((result) => (exitedEarly = result));
  const ready = (): boolean =>
    (ports.udp === undefined || isPortTaken(ports.udp, 'udp')) &&
    (ports.tcp === undefined || isPortTaken(ports.tcp, 'tcp')) &&
    (ports.tls === undefined || isPortTaken(ports.tls, 'tcp'));
  while (!exitedEarly && !ready()) {
    if (Date.now() > deadline) {
      await stop();
      throw new KamailioStartError(`Kamailio did not listen within ${options.startTimeoutMs ?? 10_000} ms\n${formatKamailioLog(running)}`, output);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  // The sockets are bound before the main process forks its workers, and a SIGTERM that reaches the
  // main process while it is still forking leaves it waiting for ever: ready means every listener
  // answers a probe OPTIONS (the script's own 200) and the process group has stopped growing.
  if (!exitedEarly) {
    const problem = await probeUntilReady(running, child, options, deadline, () => exitedEarly !== undefined);
    if (problem !== undefined && !exitedEarly) {
      await stop();
      throw new KamailioStartError(`Kamailio did not become ready: ${problem}\n${formatKamailioLog(running)}`, output);
    }
  }
  if (exitedEarly || child.exitCode !== null) {
    const result = await exited;
    if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    throw new KamailioStartError(`Kamailio exited before it was ready (code ${result.code}, signal ${result.signal})\n${tail(output, 6_000)}`, output);
  }
  return running;
}

/** Call-IDs of the harness's readiness probes start with this; events() leaves them out. */
export const PROBE_CALL_ID_PREFIX = 'kamailio-harness-probe-';

function probeRequest(host: string, port: number, protocol: KamailioProtocol, id: string): Buffer {
  const h = hostForUri(host);
  return Buffer.from(
    [
      `OPTIONS sip:${h}:${port}${protocol === 'udp' ? '' : `;transport=${protocol}`} SIP/2.0`,
      `Via: SIP/2.0/${protocol.toUpperCase()} ${h}:9;branch=z9hG4bK${id};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${h}>;tag=${id}`,
      `To: <sip:${h}:${port}>`,
      `Call-ID: ${PROBE_CALL_ID_PREFIX}${id}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** One OPTIONS to a listener; true when the script's "200 Kamailio OK" comes back within timeoutMs. */
function probeOnce(host: string, port: number, protocol: KamailioProtocol, tlsOptions: KamailioTlsOptions | undefined, timeoutMs: number): Promise<boolean> {
  const id = Math.random().toString(36).slice(2, 12);
  const request = probeRequest(host, port, protocol, id);
  return new Promise((resolveProbe) => {
    let settled = false;
    let received = '';
    const cleanups: Array<() => void> = [];
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      resolveProbe(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onData = (data: Buffer | string): void => {
      received += data.toString();
      if (received.includes('200 Kamailio OK') && received.includes(id)) finish(true);
    };
    if (protocol === 'udp') {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      cleanups.push(() => socket.close());
      socket.on('message', onData);
      socket.on('error', () => finish(false));
      socket.bind(0, host, () => socket.send(request, port, host));
      return;
    }
    const socket: NetSocket =
      protocol === 'tcp'
        ? connectTcp({ host, port }, () => socket.write(request))
        : connectTls(
            {
              host,
              port,
              rejectUnauthorized: false,
              ...(tlsOptions ? { cert: readFileSync(tlsOptions.cert), key: readFileSync(tlsOptions.key) } : {}),
            },
            () => socket.write(request),
          );
    cleanups.push(() => socket.destroy());
    socket.on('data', onData);
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Processes in the process group `pgid` (Linux /proc). */
function groupSize(pgid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name "(…)": state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

/** Probes every listener until it answers, then waits for the process group to stop growing; returns a problem or undefined. */
async function probeUntilReady(
  running: RunningKamailio,
  child: ChildProcess,
  options: KamailioOptions,
  deadline: number,
  gone: () => boolean,
): Promise<string | undefined> {
  const protocols = (['udp', 'tcp', 'tls'] as const).filter((protocol) => running.ports[protocol] !== undefined);
  for (const protocol of protocols) {
    for (;;) {
      if (gone()) return 'exited';
      if (await probeOnce(running.host, running.port(protocol), protocol, options.tls, 300)) break;
      if (Date.now() > deadline) return `no answer to a probe OPTIONS over ${protocol}`;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const pid = child.pid ?? -1;
  let last = groupSize(pid);
  let stableSince = Date.now();
  while (Date.now() - stableSince < 250) {
    if (gone()) return 'exited';
    if (Date.now() > deadline) return `process group still growing (${last} processes)`;
    await new Promise((r) => setTimeout(r, 50));
    const size = groupSize(pid);
    if (size !== last) {
      last = size;
      stableSince = Date.now();
    }
  }
  return undefined;
}

export class KamailioStartError extends Error {
  override readonly name = 'KamailioStartError';
  constructor(message: string, readonly log: string) {
    super(message);
  }
}

/**
 * Starts Kamailio with a generated configuration and resolves once it listens. A start that fails
 * because a port found free was taken in between is retried once with new ports.
 */
export async function startKamailio(options: KamailioOptions = {}): Promise<RunningKamailio> {
  const info = kamailioInfo();
  if (!info) throw new Error(`Kamailio not found: ${INSTALL_HINT}`);
  if (options.tls && !info.tls) throw new Error(`Kamailio ${info.version} has no TLS: ${INSTALL_HINT}`);
  try {
    return await launch(options, info);
  } catch (error) {
    if (error instanceof KamailioStartError && /bind|Address already in use/i.test(error.log)) return launch(options, info);
    throw error;
  }
}

/** Checks a configuration with `kamailio -c` (syntax and module parameters), returning its output. */
export function checkKamailioConfig(configText: string, tlsConfigText?: string): { ok: boolean; output: string } {
  const info = kamailioInfo();
  if (!info) throw new Error(`Kamailio not found: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-kamailio-check-'));
  try {
    const path = join(dir, 'kamailio.cfg');
    let text = configText;
    if (tlsConfigText !== undefined) {
      const tlsPath = join(dir, 'tls.cfg');
      writeFileSync(tlsPath, tlsConfigText);
      text = text.replace(/modparam\("tls", "config", "[^"]*"\)/, `modparam("tls", "config", "${tlsPath}")`);
    }
    writeFileSync(path, text);
    const run = spawnSync(info.path, ['-c', '-f', path], { encoding: 'utf8', timeout: 20_000 });
    return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A readable account for a failing test: configuration path, listeners, last part of the log. */
export function formatKamailioLog(kamailio: RunningKamailio, max = 8_000): string {
  const listeners = Object.entries(kamailio.ports).map(([protocol, port]) => `${protocol}:${kamailio.host}:${port}`).join(' ');
  return [`Kamailio pid ${kamailio.pid} listening ${listeners} (config ${kamailio.configPath})`, `log:\n${tail(kamailio.log().trim(), max)}`].join('\n');
}
