// A typed harness around SIPp (Debian's `sip-tester`), the interop peer of Dialtone's SIP stack.
//
// One SIPp process per run. Every run gets: a call count (-m), SIPp's own global timeout
// (-timeout, with -timeout_error so that reaching it is a failure), and a process-level kill
// timeout on top in case SIPp hangs. Ports are never fixed: the SIP, media (-mp) and control (-cp)
// ports are found free at run time on the loopback address the run uses. Statistics come from
// SIPp's -trace_stat CSV; -trace_msg and -trace_err go to a temporary directory so that a failing
// run can show the SIP messages it saw. SIPp's exit code is the verdict (0: every call succeeded).
//
// See docs/interop.md for the scenarios and how to point them at a running `dialtone start`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as connectTcp, createServer, type Socket as NetSocket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** SIPp's -t values that Dialtone cares about: UDP, TCP and TLS, one socket or one per call. */
export type SippTransport = 'u1' | 'un' | 't1' | 'tn' | 'l1' | 'ln';
export type SippRole = 'uac' | 'uas';

/** The folder holding the committed scenarios (test/interop/scenarios). */
export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'interop', 'scenarios');

/** Path of a committed scenario by its file name, e.g. scenario('uac-invite-200-bye.xml'). */
export function scenario(name: string): string {
  const path = join(SCENARIO_DIR, name.endsWith('.xml') ? name : `${name}.xml`);
  if (!existsSync(path)) throw new Error(`no SIPp scenario ${path}`);
  return path;
}

/** Debian's sip-tester installs its sample RTP captures here (g711a.pcap, dtmf_2833_*.pcap). */
export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

export interface SippOptions {
  /** Path to a scenario XML file (-sf), or one of SIPp's embedded scenarios as `builtin:uac` (-sn). */
  scenario: string;
  /** Defaults from the scenario's file name (`uac-…` / `uas-…`); a UAC needs `remote`. */
  role?: SippRole;
  /** The peer, as `host:port` or `[v6]:port`; required for a UAC. */
  remote?: string;
  /** Local address (-i, also -mi and, for IPv4, -ci). Default 127.0.0.1. Use '::1' for IPv6. */
  localHost?: string;
  /** Local SIP port (-p). Default: a free port found at run time. */
  localPort?: number;
  transport: SippTransport;
  /** Calls to place (UAC) or to answer before exiting (UAS): -m. */
  calls: number;
  /** Calls per second (-r); SIPp's default is 10. */
  rate?: number;
  /** Most calls at once (-l). */
  limit?: number;
  /** SIPp's global timeout (-timeout, rounded up to seconds, with -timeout_error). */
  timeoutMs: number;
  /** Grace past timeoutMs before the process is killed (SIGKILL). Default 5 s. */
  killGraceMs?: number;
  /** Length of an untimed <pause/> in the scenarios, i.e. the call's talk time (-d). Default 200 ms. */
  callDurationMs?: number;
  /** Digest credentials: -au/-ap for [authentication], also -key auth_user/auth_password for <verifyauth>. */
  authUser?: string;
  authPassword?: string;
  /** TLS certificate and key (-tls_cert/-tls_key); only for l1/ln, and only on a SIPp built with OpenSSL. */
  tlsCert?: string;
  tlsKey?: string;
  /** Echo RTP received on the media port (-rtp_echo). */
  rtpEcho?: boolean;
  /** Local media port (-mp); SIPp also binds mediaPort+2. Default: a free even port found at run time. */
  mediaPort?: number;
  /** -key name value pairs, usable as [name] in the scenario. */
  keys?: Record<string, string>;
  /** Write -trace_msg and -trace_err into the run's temporary directory (default true). */
  trace?: boolean;
  /** Appended last, verbatim. */
  extraArgs?: string[];
  /** Keep the run's temporary directory (for debugging). */
  keepWorkDir?: boolean;
}

export interface SippStats {
  successful: number;
  failed: number;
  retransmissions: number;
  outgoingCalls: number;
  incomingCalls: number;
  /** Every column of the last -trace_stat row, by SIPp's own names (`FailedTimeoutOnRecv(C)`, …). */
  raw: Record<string, string>;
}

export interface SippResult {
  /** SIPp's exit code: 0 all calls succeeded, 1 some failed, 97 stopped on command, 99 no call, 255 fatal or timeout, 254 bind error. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the process-level kill timeout fired. */
  killed: boolean;
  /** Parsed from the -trace_stat CSV (or, failing that, the final statistics screen); undefined if neither. */
  stats: SippStats | undefined;
  stdout: string;
  stderr: string;
  /** The -trace_msg log: every SIP message sent and received (empty when trace is false). */
  messagesLog: string;
  /** The -trace_err log: unexpected messages. */
  errorsLog: string;
  /** The command line that ran, for reproducing a failure by hand. */
  command: string[];
  localPort: number;
  mediaPort: number;
  durationMs: number;
}

export interface SippCapabilities {
  path: string;
  /** e.g. "3.6.1" */
  version: string;
  /** Build features from the version banner, e.g. ["SCTP", "PCAP", "RTPSTREAM"]. */
  features: string[];
  tls: boolean;
  pcap: boolean;
}

/** Thrown before spawning when the run asks for something this SIPp build cannot do (TLS without OpenSSL). */
export class SippCapabilityError extends Error {
  override readonly name = 'SippCapabilityError';
}

let cachedInfo: SippCapabilities | null | undefined;

/** The SIPp binary: $SIPP_BIN if set (e.g. a TLS-enabled build), else `sipp` on PATH. */
export function sippBinary(): string {
  return process.env['SIPP_BIN'] ?? 'sipp';
}

/** Version and build features of the installed SIPp, or null when it cannot be run. */
export function sippInfo(): SippCapabilities | null {
  if (cachedInfo !== undefined) return cachedInfo;
  const run = spawnSync(sippBinary(), ['-v'], { encoding: 'utf8', timeout: 10_000 });
  const banner = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const match = /SIPp v(\d+(?:\.\d+)*)([-A-Za-z0-9]*)/.exec(banner);
  if (run.error || !match) {
    cachedInfo = null;
    return null;
  }
  const features = (match[2] ?? '').split('-').filter((part) => part.length > 0);
  cachedInfo = {
    path: sippBinary(),
    version: match[1] ?? '',
    features,
    tls: features.includes('TLS'),
    pcap: features.includes('PCAP'),
  };
  return cachedInfo;
}

/**
 * Call first in every SIPp test. Returns true when SIPp is there. When it is not: under CI
 * (CI=true) the test fails, because ARCHITECTURE.md says a missing SIPp fails the run; elsewhere
 * the test is marked skipped with a loud reason and the caller must return.
 */
export function requireSipp(t: TestContext): boolean {
  if (sippInfo()) return true;
  const reason = `SIPp not found (${sippBinary()}): install Debian's sip-tester (apt-get install sip-tester) to run the interop suite`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; under CI a missing SIPp fails the run`);
  process.stderr.write(`\n!!! SKIPPING INTEROP TEST "${t.name}": ${reason} !!!\n`);
  t.skip(reason);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Ports

function isIpv6(host: string): boolean {
  return host.includes(':');
}

/** `host:port` with brackets for IPv6, as SIPp wants its remote host. */
export function hostPort(host: string, port: number): string {
  return isIpv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function bindUdp(host: string, port: number): Promise<number | null> {
  return new Promise((resolvePort) => {
    const socket = createSocket(isIpv6(host) ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolvePort(null);
    });
    socket.bind(port, host, () => {
      const bound = socket.address().port;
      socket.close(() => resolvePort(bound));
    });
  });
}

function bindTcp(host: string, port: number): Promise<number | null> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(null));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolvePort(bound));
    });
  });
}

/** A port free for both UDP and TCP on `host`, found by binding port 0. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindUdp(host, 0);
    if (port !== null && (await bindTcp(host, port)) !== null) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/** An even UDP port p on `host` with p and p+2 free (SIPp binds both for audio and video). */
export async function findFreeMediaPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = await bindUdp(host, 0);
    if (found === null) continue;
    const port = found % 2 === 0 ? found : found + 1;
    if (port + 3 > 65535) continue;
    const checks = await Promise.all([port, port + 1, port + 2, port + 3].map((p) => bindUdp(host, p)));
    if (checks.every((p) => p !== null)) return port;
  }
  throw new Error(`no free media port pair on ${host}`);
}

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
      const state = fields[3];
      if (!local || !local.endsWith(`:${hexPort}`)) continue;
      if (kind === 'udp' || state === '0A') return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Command line

function roleOf(options: SippOptions): SippRole {
  if (options.role) return options.role;
  const name = options.scenario.startsWith('builtin:') ? options.scenario.slice(8) : basename(options.scenario);
  if (name.startsWith('uac')) return 'uac';
  if (name.startsWith('uas')) return 'uas';
  throw new Error(`cannot tell the role of ${options.scenario}: pass role`);
}

interface Resolved {
  role: SippRole;
  localHost: string;
  localPort: number;
  mediaPort: number;
  controlPort: number;
  workDir: string;
}

/** SIPp's arguments for a run (exported for the harness's own tests). */
export function buildSippArgs(options: SippOptions, resolved: Resolved): string[] {
  const { role, localHost, localPort, mediaPort, controlPort, workDir } = resolved;
  const args: string[] = [];
  if (options.scenario.startsWith('builtin:')) args.push('-sn', options.scenario.slice(8));
  else args.push('-sf', options.scenario);
  if (role === 'uac') {
    if (!options.remote) throw new Error('a UAC run needs remote (host:port)');
    args.push(options.remote);
  }
  args.push('-t', options.transport);
  args.push('-i', localHost, '-p', String(localPort));
  args.push('-mi', localHost, '-mp', String(mediaPort));
  // The control socket defaults to 0.0.0.0:8888; keep it on IPv4 loopback and a free port.
  args.push('-ci', '127.0.0.1', '-cp', String(controlPort));
  args.push('-m', String(options.calls));
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.limit !== undefined) args.push('-l', String(options.limit));
  args.push('-d', String(options.callDurationMs ?? 200));
  args.push('-timeout', `${Math.max(1, Math.ceil(options.timeoutMs / 1000))}s`, '-timeout_error');
  args.push('-nostdin');
  // SIPp warns (on every TCP run) when its default socket cap exceeds the file limit; a small cap is plenty here.
  args.push('-max_socket', String(Math.max(100, options.calls * 2 + 10)));
  if (options.authUser !== undefined) {
    args.push('-au', options.authUser, '-key', 'auth_user', options.authUser);
  }
  if (options.authPassword !== undefined) {
    args.push('-ap', options.authPassword, '-key', 'auth_password', options.authPassword);
  }
  if (options.tlsCert !== undefined) args.push('-tls_cert', options.tlsCert);
  if (options.tlsKey !== undefined) args.push('-tls_key', options.tlsKey);
  if (options.rtpEcho) args.push('-rtp_echo');
  for (const [name, value] of Object.entries(options.keys ?? {})) args.push('-key', name, value);
  args.push('-trace_stat', '-stf', join(workDir, 'stats.csv'), '-fd', '1');
  if (options.trace ?? true) {
    args.push('-trace_msg', '-message_file', join(workDir, 'messages.log'));
    args.push('-trace_err', '-error_file', join(workDir, 'errors.log'));
  }
  args.push(...(options.extraArgs ?? []));
  return args;
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** The last row of a -trace_stat CSV (semicolon-separated, header first). */
export function parseStatCsv(text: string): SippStats | undefined {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const header = lines[0]?.split(';');
  const last = lines.length > 1 ? lines[lines.length - 1]?.split(';') : undefined;
  if (!header || !last) return undefined;
  const raw: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name) raw[name] = last[i] ?? '';
  });
  const num = (name: string): number => Number(raw[name] ?? 'NaN');
  const stats = {
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retransmissions: num('Retransmissions(C)'),
    outgoingCalls: num('OutgoingCall(C)'),
    incomingCalls: num('IncomingCall(C)'),
    raw,
  };
  return Number.isNaN(stats.successful) ? undefined : stats;
}

/** Fallback: the cumulative column of SIPp's final statistics screen (printed on stdout). */
export function parseStatScreen(text: string): SippStats | undefined {
  const cumulative = (label: string): number | undefined => {
    const match = new RegExp(`^\\s*${label}\\s*\\|[^|]*\\|\\s*(\\d+)`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const successful = cumulative('Successful call');
  const failed = cumulative('Failed call');
  if (successful === undefined || failed === undefined) return undefined;
  const retrans = /^\s*Retransmissions\s*\|[^|]*\|\s*(\d+)/m.exec(text);
  return {
    successful,
    failed,
    retransmissions: retrans ? Number(retrans[1]) : Number.NaN,
    outgoingCalls: cumulative('Outgoing calls created') ?? Number.NaN,
    incomingCalls: cumulative('Incoming calls created') ?? Number.NaN,
    raw: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Running

export interface RunningSipp {
  /** The SIP port SIPp listens on. */
  port: number;
  /** `host:port` to give a UAC (brackets for IPv6). */
  address: string;
  mediaPort: number;
  /** Ask SIPp to quit (SIGUSR1, as pressing q), then SIGKILL after the grace period; resolves with the result. */
  stop(): Promise<SippResult>;
  /** Settles when SIPp exits by itself (after `calls` calls, its timeout, or the kill timeout). */
  done: Promise<SippResult>;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const BIND_FAILURE = 254; // SIPp exits -2 on "Unable to bind main socket" / "… audio RTP socket"

async function launch(options: SippOptions): Promise<{ child: ChildProcess; running: RunningSipp }> {
  const info = sippInfo();
  if (!info) throw new Error(`SIPp not found (${sippBinary()}); call requireSipp(t) first`);
  if ((options.transport === 'l1' || options.transport === 'ln') && !info.tls) {
    throw new SippCapabilityError(
      `SIPp ${info.version} (${info.features.join('-') || 'no features'}) was built without OpenSSL: transport ${options.transport} (TLS) is unavailable. Set SIPP_BIN to a TLS-enabled build.`,
    );
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new Error('timeoutMs must be > 0');
  if (!Number.isInteger(options.calls) || options.calls < 1) throw new Error('calls must be a positive integer (-m)');
  const role = roleOf(options);
  const localHost = options.localHost ?? '127.0.0.1';
  const localPort = options.localPort ?? (await findFreePort(localHost));
  const mediaPort = options.mediaPort ?? (await findFreeMediaPort(localHost));
  const controlPort = await findFreePort('127.0.0.1');
  const workDir = mkdtempSync(join(tmpdir(), 'dialtone-sipp-'));
  const args = buildSippArgs(options, { role, localHost, localPort, mediaPort, controlPort, workDir });
  const command = [info.path, ...args];
  const started = Date.now();
  const child = spawn(info.path, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  let killed = false;
  const killAfter = options.timeoutMs + (options.killGraceMs ?? 5_000);
  const killTimer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, killAfter);

  const done = new Promise<SippResult>((resolveDone) => {
    let finished = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) return; // 'error' may be followed by 'close'
      finished = true;
      clearTimeout(killTimer);
      const stats = parseStatCsv(readOr(join(workDir, 'stats.csv'))) ?? parseStatScreen(stdout);
      const result: SippResult = {
        exitCode,
        signal,
        killed,
        stats,
        stdout,
        stderr,
        messagesLog: readOr(join(workDir, 'messages.log')),
        errorsLog: readOr(join(workDir, 'errors.log')),
        command,
        localPort,
        mediaPort,
        durationMs: Date.now() - started,
      };
      if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
      resolveDone(result);
    };
    child.once('error', (error) => {
      stderr += `\nspawn error: ${error.message}`;
      finish(null, null);
    });
    child.once('close', finish);
  });

  const stop = async (graceMs = 3_000): Promise<SippResult> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGUSR1');
      const grace = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await done;
      clearTimeout(grace);
      return result;
    }
    return done;
  };

  return {
    child,
    running: { port: localPort, address: hostPort(localHost, localPort), mediaPort, stop: () => stop(), done },
  };
}

/** Runs SIPp to the end (all calls, its timeout, or the kill timeout). A bind race is retried once. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  let result = await (await launch(options)).running.done;
  if (result.exitCode === BIND_FAILURE && options.localPort === undefined && options.mediaPort === undefined) {
    result = await (await launch(options)).running.done;
  }
  return result;
}

/**
 * Starts a SIPp that waits for calls (a UAS), resolving once its SIP socket is bound (UDP) or
 * listening (TCP/TLS). Call stop() if the test ends before SIPp has handled `calls` calls.
 */
export async function startSipp(options: SippOptions, readyTimeoutMs = 5_000): Promise<RunningSipp> {
  for (let attempt = 0; ; attempt++) {
    const { child, running } = await launch(options);
    const kind = options.transport.startsWith('u') ? 'udp' : 'tcp';
    const deadline = Date.now() + readyTimeoutMs;
    let exited: SippResult | undefined;
    void running.done.then((result) => (exited = result));
    while (!exited && !isPortTaken(running.port, kind)) {
      if (Date.now() > deadline) {
        const result = await running.stop();
        throw new Error(`SIPp did not bind ${kind} port ${running.port} within ${readyTimeoutMs} ms\n${formatSippFailure(result)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!exited) {
      // Bound; give SIPp a moment past bind() to enter its event loop.
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode === null) return running;
      exited = await running.done;
    }
    if (exited.exitCode === BIND_FAILURE && attempt === 0 && options.localPort === undefined) continue;
    throw new Error(`SIPp exited before it was ready\n${formatSippFailure(exited)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Verdicts

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** A readable account of a run: command, exit, stats, stderr, unexpected messages, SIP trace. */
export function formatSippFailure(result: SippResult, label = 'SIPp'): string {
  const stats = result.stats
    ? `successful=${result.stats.successful} failed=${result.stats.failed} retransmissions=${result.stats.retransmissions}`
    : 'no statistics';
  const failures = result.stats
    ? Object.entries(result.stats.raw)
        .filter(([name, value]) => name.startsWith('Failed') && name.endsWith('(C)') && value !== '0')
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')
    : '';
  return [
    `${label}: exit ${result.exitCode}${result.signal ? ` (signal ${result.signal})` : ''}${result.killed ? ' KILLED by the harness timeout' : ''} after ${result.durationMs} ms`,
    `command: ${result.command.join(' ')}`,
    `stats: ${stats}${failures ? ` [${failures}]` : ''}`,
    result.stderr.trim() ? `stderr:\n${tail(result.stderr.trim(), 4_000)}` : 'stderr: (empty)',
    result.errorsLog.trim() ? `unexpected messages (-trace_err):\n${tail(result.errorsLog.trim(), 6_000)}` : '',
    result.messagesLog.trim() ? `SIP messages (-trace_msg):\n${tail(result.messagesLog.trim(), 12_000)}` : '',
  ]
    .filter((part) => part.length > 0)
    .join('\n');
}

/** Throws, with the run's SIP messages, unless SIPp exited 0 with `calls` successful and none failed. */
export function assertSippPassed(result: SippResult, calls: number, label = 'SIPp'): void {
  const ok =
    result.exitCode === 0 &&
    !result.killed &&
    result.stats !== undefined &&
    result.stats.successful === calls &&
    result.stats.failed === 0;
  if (!ok) throw new Error(`${label} did not pass ${calls} call(s)\n${formatSippFailure(result, label)}`);
}

// ---------------------------------------------------------------------------------------------
// A UAS and a UAC against each other

export interface SippPairResult {
  uas: SippResult;
  uac: SippResult;
}

/**
 * Starts `uas` (listening), runs `uac` against it, then waits for the UAS to finish its calls.
 * Shared options (transport, calls, localHost, timeoutMs) go in `common`. The UAS is stopped if
 * the UAC fails, so a failing pair returns promptly with both sides' logs.
 */
export async function runSippPair(
  common: Pick<SippOptions, 'transport' | 'calls' | 'timeoutMs'> & Partial<SippOptions>,
  uas: Partial<SippOptions> & { scenario: string },
  uac: Partial<SippOptions> & { scenario: string },
): Promise<SippPairResult> {
  const server = await startSipp({ ...common, ...uas, role: 'uas' });
  let client: SippResult;
  try {
    client = await runSipp({ ...common, ...uac, role: 'uac', remote: server.address });
  } catch (error) {
    await server.stop();
    throw error;
  }
  if (client.exitCode !== 0) {
    // Give the UAS a moment to log its side, then stop it.
    const settled = await Promise.race([server.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000))]);
    return { uac: client, uas: settled ?? (await server.stop()) };
  }
  return { uac: client, uas: await server.done };
}

/** Both sides exited 0 with `calls` successful and none failed; otherwise throws with both traces. */
export function assertPairPassed(pair: SippPairResult, calls: number): void {
  const problems: string[] = [];
  for (const [label, result] of [
    ['UAS', pair.uas],
    ['UAC', pair.uac],
  ] as const) {
    try {
      assertSippPassed(result, calls, label);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) {
    // Each side's account, and the other side's trace too when only one failed (the cause is often there).
    const context = problems.length === 1 ? `\n\n${formatSippFailure(problems[0]?.startsWith('UAS') ? pair.uac : pair.uas, 'the other side')}` : '';
    throw new Error(`${problems.join('\n\n')}${context}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Digest credentials seen in a -trace_msg log (SIPp's <verifyauth> reads only Authorization)

function authParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    params[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return params;
}

function headerValues(log: string, name: string): string[] {
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim');
  return [...log.matchAll(re)].map((m) => (m[1] ?? '').trim());
}

export interface DigestCheck {
  ok: boolean;
  reason: string;
  /** Credentials found (the last one in the log). */
  params?: Record<string, string>;
}

/**
 * Checks, from a UAS's -trace_msg log, that the last `Authorization` or `Proxy-Authorization`
 * header answers the last challenge's nonce and realm and carries the right RFC 2617 MD5 digest
 * for `username`/`password` (qop=auth or none). The method is the request line's.
 */
export function verifyDigestInLog(
  log: string,
  credentials: { username: string; password: string; proxy: boolean },
): DigestCheck {
  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
  const challenges = headerValues(log, credentials.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate').map(authParams);
  const answerHeader = credentials.proxy ? 'Proxy-Authorization' : 'Authorization';
  const answer = headerValues(log, answerHeader).at(-1);
  if (challenges.length === 0) return { ok: false, reason: 'no challenge in the log' };
  if (!answer) return { ok: false, reason: `no ${answerHeader} in the log` };
  const given = authParams(answer);
  // The challenge this answers: the one that issued its nonce (calls may interleave in the log).
  const asked = challenges.find((challenge) => challenge['nonce'] === given['nonce']);
  if (!asked) return { ok: false, reason: `nonce ${given['nonce']} was never issued in this log`, params: given };
  const method = new RegExp(`^([A-Z]+) [^\\n]*\\n(?:[^\\n]+\\n)*?${answerHeader}:`, 'm').exec(log)?.[1];
  if (!method) return { ok: false, reason: 'no request line above the credentials', params: given };
  if (given['username'] !== credentials.username) return { ok: false, reason: `username ${given['username']}`, params: given };
  if (given['realm'] !== asked['realm']) return { ok: false, reason: `realm ${given['realm']} ≠ ${asked['realm']}`, params: given };
  if (asked['opaque'] !== undefined && given['opaque'] !== asked['opaque']) return { ok: false, reason: 'opaque not echoed', params: given };
  const ha1 = md5(`${credentials.username}:${given['realm']}:${credentials.password}`);
  const ha2 = md5(`${method}:${given['uri'] ?? ''}`);
  const qop = given['qop'];
  const expected =
    qop === 'auth'
      ? md5(`${ha1}:${given['nonce']}:${given['nc']}:${given['cnonce']}:auth:${ha2}`)
      : md5(`${ha1}:${given['nonce']}:${ha2}`);
  if (given['response']?.toLowerCase() !== expected) return { ok: false, reason: 'digest response does not verify', params: given };
  return { ok: true, reason: 'verified', params: given };
}

// ---------------------------------------------------------------------------------------------
// TLS material

/** A throwaway self-signed certificate for localhost, 127.0.0.1 and ::1, made with openssl into `dir`. */
export function makeTestCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const run = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-keyout', key, '-out', cert,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (run.status !== 0) throw new Error(`openssl req failed: ${run.error?.message ?? run.stderr}`);
  return { cert, key };
}

// ---------------------------------------------------------------------------------------------
// TLS without a TLS-enabled SIPp

export interface TlsBridge {
  port: number;
  /** `host:port` to give SIPp as its remote (brackets for IPv6). */
  address: string;
  /** TLS sessions established so far, with the negotiated protocol of each (e.g. "TLSv1.3"). */
  sessions: string[];
  close(): Promise<void>;
}

/**
 * A byte pipe between SIPp's TCP transport (-t t1) and a TLS peer, for SIPp builds without
 * OpenSSL (Debian's). 'tcp-to-tls' listens for TCP and connects out with TLS (SIPp UAC → bridge →
 * a TLS listener such as Dialtone's); 'tls-to-tcp' terminates TLS and connects out with TCP
 * (a TLS client → bridge → SIPp UAS). SIP is carried unchanged, so Via says TCP over what is TLS
 * on the wire; requests the far end sends on new connections (to a Contact) bypass the bridge.
 */
export async function startTlsBridge(options: {
  direction: 'tcp-to-tls' | 'tls-to-tcp';
  target: { host: string; port: number };
  listenHost?: string;
  /** Server side (tls-to-tcp): certificate and key, PEM paths. */
  cert?: string;
  key?: string;
  /** Client side (tcp-to-tls): CA to verify the peer (PEM path); without it the peer is not verified. */
  ca?: string;
  servername?: string;
}): Promise<TlsBridge> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  const open = new Set<NetSocket>();
  const sessions: string[] = [];
  const track = (socket: NetSocket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const join2 = (a: NetSocket, b: NetSocket): void => {
    track(a);
    track(b);
    a.pipe(b);
    b.pipe(a);
    const end = (): void => {
      a.destroy();
      b.destroy();
    };
    a.once('error', end).once('close', end);
    b.once('error', end).once('close', end);
  };
  const onSecure = (socket: TLSSocket): void => {
    sessions.push(socket.getProtocol() ?? 'unknown');
  };
  let server: ReturnType<typeof createServer> | ReturnType<typeof createTlsServer>;
  if (options.direction === 'tcp-to-tls') {
    server = createServer((plain) => {
      const secure = connectTls({
        host: options.target.host,
        port: options.target.port,
        servername: options.servername ?? 'localhost',
        ...(options.ca ? { ca: readFileSync(options.ca) } : { rejectUnauthorized: false }),
      });
      secure.once('secureConnect', () => onSecure(secure));
      join2(plain, secure);
    });
  } else {
    if (!options.cert || !options.key) throw new Error('a tls-to-tcp bridge needs cert and key');
    server = createTlsServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) }, (secure) => {
      onSecure(secure);
      join2(secure, connectTcp({ host: options.target.host, port: options.target.port }));
    });
  }
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    address: hostPort(listenHost, port),
    sessions,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolveClose());
      }),
  };
}
