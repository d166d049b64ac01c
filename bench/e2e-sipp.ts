/**
 * SIPp plumbing for the e2e benchmark: free loopback ports, a long-lived SIPp UAS, and one bounded
 * SIPp UAC run at a fixed rate read back from its statistics CSV (the method of
 * /work/shared/peers/lib/common.sh `sipp_step`). Only processes started here are ever killed, by PID.
 * The G.711 media the e2e bench adds to the scenarios is in bench/e2e-media.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ThreadNames, type ThreadName } from '../src/kernel/index.js';
import { peersDir } from './shared-dir.js';

export const PEERS_SIPP = join(peersDir, 'sipp');
const CLK_TCK = 100;

export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** utime + stime of a process, in µs (from /proc/<pid>/stat); undefined once it is gone. */
export function procCpuUs(pid: number): number | undefined {
  return statCpuUs(`/proc/${pid}/stat`);
}

/** The threads procCpuUs adds up, by what they do: the engine names its worker threads (ThreadNames). */
export type ThreadRole = 'main' | ThreadName | 'other';

/**
 * utime + stime of each of a process's threads, in µs, summed by role: its main thread (the event
 * loop, for Node), each thread the engine names, and the rest (V8's GC and compiler helpers, libuv's
 * pool). Threads that have ended are missing: procCpuUs still counts them.
 */
export function threadCpuUs(pid: number): Map<ThreadRole, number> {
  const byRole = new Map<ThreadRole, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byRole;
  }
  const named = new Set<string>(Object.values(ThreadNames));
  for (const tid of tids) {
    const cpu = statCpuUs(`/proc/${pid}/task/${tid}/stat`);
    if (cpu === undefined) continue;
    let role: ThreadRole = 'other';
    if (tid === String(pid)) {
      role = 'main';
    } else {
      try {
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        if (named.has(name)) role = name as ThreadName;
      } catch {
        continue;
      }
    }
    byRole.set(role, (byRole.get(role) ?? 0) + cpu);
  }
  return byRole;
}

function statCpuUs(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** CPU µs used by every process on the machine (from /proc/stat, all but idle and iowait). */
export function machineBusyUs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
  return (busy * 1e6) / CLK_TCK;
}

export function uacScenario(dir: string, holdMs: number): string {
  const file = join(dir, `uac_hold${holdMs}.xml`);
  writeFileSync(file, readFileSync(join(PEERS_SIPP, 'uac.xml'), 'utf8').replaceAll('##HOLD_MS##', String(holdMs)));
  return file;
}

const common = ['-buff_size', '1048576', '-deadcall_wait', '3000', '-max_recv_loops', '10000', '-max_sched_loops', '10000', '-nostdin'];

export interface Uas {
  port: number;
  pid: number;
  /**
   * RTP packets SIPp has echoed since it started (-rtp_echo; its screen's "Total echo RTP pckts 1st
   * stream"), read from the screen dump SIGUSR2 makes it write; undefined when no dump came within 2 s.
   */
  echoedRtpPackets(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface UasOptions {
  /** The scenario (default peers/sipp/uas.xml). */
  scenario?: string;
  /** Echo RTP received on the media port back to its sender (-rtp_echo). */
  rtpEcho?: boolean;
  /** Adds -trace_msg into this file. */
  traceFile?: string;
}

/**
 * A SIPp UAS on 127.0.0.1:port, bounded by -timeout. Its media port is on 127.0.0.1 too (-mi): with
 * -rtp_echo, SIPp echoes there (and on the port + 2, its video echo).
 */
export async function startUas(dir: string, lifetimeS: number, uasOptions: UasOptions | string = {}): Promise<Uas> {
  // A string is a trace file: the signature this had before it took options.
  const options: UasOptions = typeof uasOptions === 'string' ? { traceFile: uasOptions } : uasOptions;
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const scenario = options.scenario ?? join(PEERS_SIPP, 'uas.xml');
  const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), ...common, '-timeout', `${lifetimeS}s`];
  if (options.rtpEcho === true) args.push('-rtp_echo');
  if (options.traceFile !== undefined) args.push('-trace_msg', '-message_file', options.traceFile);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  await sleep(400);
  if (child.exitCode !== null || child.pid === undefined) throw new Error(`SIPp UAS did not start: ${stderr}`);
  const pid = child.pid;
  // SIPp names the dump <scenario file name without .xml>_<pid>_screen.log, in its working directory.
  const screenFile = join(dir, `${basename(scenario).replace(/\.xml$/, '')}_${pid}_screen.log`);
  return { port, pid, echoedRtpPackets: () => echoCounter(child, screenFile), stop: () => stopChild(child) };
}

const ECHO_LINE = /^\s*(\d+) Total echo RTP pckts 1st stream/m;

/**
 * SIGUSR2 makes SIPp (3.6) dump its screens: it closes the previous dump and opens the file anew,
 * then writes through stdio, so only the first 4 KiB reach the file at once; the scenario screen, which
 * carries the echo counter, is in them (a dump is longer than that). The old file is removed first,
 * so whatever is read afterwards is the new dump.
 */
async function echoCounter(child: ChildProcess, screenFile: string): Promise<number | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return undefined;
  rmSync(screenFile, { force: true });
  child.kill('SIGUSR2');
  for (let waited = 0; waited < 2_000; waited += 20) {
    await sleep(20);
    let text: string;
    try {
      text = readFileSync(screenFile, 'utf8');
    } catch {
      continue;
    }
    const match = ECHO_LINE.exec(text);
    if (match !== null) return Number(match[1]);
  }
  return undefined;
}

export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export interface UacResult {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  retrans: number;
  achievedCps: number;
  /** SIPp's mean INVITE → 200 time (ms), and the p50 / p99 bucket bounds of its repartition. */
  rtAvgMs: number;
  rtP50: string;
  rtP99: string;
  /** Why and when calls failed, by SIPp's counters and error log (failureCauses; '' when none did). */
  failureCauses: string;
  exitCode: number | null;
  uacCpuUs: number;
  wallMs: number;
}

/** SIPp's statistics rows (one per -fd period, the last one at the end), each as column → value. */
function csvRows(file: string): Array<Map<string, string>> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(';');
  return lines.slice(1).map((line) => {
    const values = line.split(';');
    return new Map(header.map((name, i) => [name, values[i] ?? '']));
  });
}

/** A statistics row's time column ("date\ttime\tepoch") in epoch seconds. */
function epochS(row: Map<string, string>, name: string): number {
  return Number((row.get(name) ?? '').split('\t').pop());
}

/** The seconds of the run in which calls failed, from the periodic rows: "s3–s5 of 61" ('' when none did). */
function failureSpan(rows: ReadonlyArray<Map<string, string>>): string {
  const start = epochS(rows[0]!, 'StartTime');
  const seconds = rows.filter((row) => Number(row.get('FailedCall(P)')) > 0).map((row) => Math.round(epochS(row, 'CurrentTime') - start));
  if (seconds.length === 0) return '';
  const end = Math.round(epochS(rows[rows.length - 1]!, 'CurrentTime') - start);
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  return `${first === last ? `s${first}` : `s${first}–s${last}`} of ${end}`;
}

/**
 * What SIPp aborted calls on (its -trace_err log, "while expecting '100' (index 1), received 'SIP/2.0
 * 503 …"), by the received message's first line, counted: "SIP/2.0 503 Service Unavailable 744".
 */
function unexpectedMessages(errorLog: string): string {
  if (!existsSync(errorLog)) return '';
  const counts = new Map<string, number>();
  for (const match of readFileSync(errorLog, 'utf8').matchAll(/while expecting '[^']*' \(index \d+\), received '([^\r\n]*)/g)) {
    const firstLine = match[1]!.trim();
    counts.set(firstLine, (counts.get(firstLine) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([firstLine, count]) => `'${firstLine}' ${count}`)
    .join(', ');
}

function durationMs(text: string | undefined): number {
  const parts = (text ?? '').split(':').map(Number);
  if (parts.length < 4) return Number.NaN;
  return (parts[0]! * 3600 + parts[1]! * 60 + parts[2]!) * 1000 + parts[3]! / 1000;
}

/**
 * SIPp's Failed<Cause>(C) counters that are not zero (FailedCall(C) is their total), largest first,
 * with what the unexpected messages were and when calls failed:
 * "UnexpectedMessage 744 ('SIP/2.0 503 Service Unavailable' 744); in s3–s5 of 61".
 */
function failureCauses(rows: ReadonlyArray<Map<string, string>>, errorLog: string): string {
  const final = rows[rows.length - 1]!;
  const causes = [...final]
    .flatMap(([name, value]) => {
      const cause = /^Failed(\w+)\(C\)$/.exec(name)?.[1];
      const count = Number(value);
      return cause === undefined || cause === 'Call' || !(count > 0) ? [] : [{ cause, count }];
    })
    .sort((a, b) => b.count - a.count)
    .map(({ cause, count }) => {
      const received = cause === 'UnexpectedMessage' ? unexpectedMessages(errorLog) : '';
      return received === '' ? `${cause} ${count}` : `${cause} ${count} (${received})`;
    });
  if (causes.length === 0) return '';
  const span = failureSpan(rows);
  return span === '' ? causes.join(', ') : `${causes.join(', ')}; in ${span}`;
}

function bucket(row: Map<string, string>, prefix: string, pct: number): string {
  const entries = [...row].filter(([name]) => name.startsWith(prefix));
  const total = entries.reduce((sum, [, v]) => sum + Number(v), 0);
  if (total === 0) return 'na';
  let seen = 0;
  for (const [name, v] of entries) {
    seen += Number(v);
    if (seen >= (total * pct) / 100) return name.slice(prefix.length);
  }
  return 'na';
}

export interface UacOptions {
  dir: string;
  scenario: string;
  target: string;
  rate: number;
  calls: number;
  holdMs: number;
  traceFile?: string;
  /** Called every 250 ms while the UAC runs (the caller samples the engine meanwhile). */
  onTick?: () => void;
}

/** One SIPp UAC run: `calls` calls at `rate`/s, bounded by SIPp's -timeout and a kill guard. */
export async function runUac(options: UacOptions): Promise<UacResult> {
  const { dir, rate, calls, holdMs } = options;
  const runName = `uac_r${rate}_${Date.now()}`;
  const csv = join(dir, `${runName}.csv`);
  const errorLog = join(dir, `${runName}_errors.log`);
  const limitS = Math.ceil(calls / rate) * 2 + Math.ceil(holdMs / 1000) + 15;
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const args = [
    '-sf', options.scenario, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort),
    '-r', String(rate), '-rp', '1000', '-m', String(calls), '-l', '200000', ...common,
    '-timeout', `${limitS}s`, '-recv_timeout', '10s', '-trace_stat', '-stf', csv, '-fd', '1', '-trace_err', '-error_file', errorLog,
  ];
  if (options.traceFile !== undefined) args.push('-trace_msg', '-message_file', options.traceFile);
  args.push(options.target);
  const started = performance.now();
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const guard = setTimeout(() => child.kill('SIGKILL'), (limitS + 10) * 1000);
  let uacCpuUs = 0;
  const tick = setInterval(() => {
    if (child.pid !== undefined) uacCpuUs = Math.max(uacCpuUs, procCpuUs(child.pid) ?? 0);
    options.onTick?.();
  }, 250);
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  clearInterval(tick);
  clearTimeout(guard);
  const wallMs = performance.now() - started;
  const none: UacResult = { rate, calls, ok: 0, failed: calls, retrans: 0, achievedCps: 0, rtAvgMs: Number.NaN, rtP50: 'na', rtP99: 'na', failureCauses: '', exitCode, uacCpuUs, wallMs };
  if (!existsSync(csv)) {
    if (stderr.trim() !== '') process.stderr.write(`sipp uac: ${stderr}\n`);
    return none;
  }
  const rows = csvRows(csv);
  const row = rows[rows.length - 1]!;
  const ok = Number(row.get('SuccessfulCall(C)') ?? 0);
  const failed = Number(row.get('FailedCall(C)') ?? 0);
  const retrans = Number(row.get('Retransmissions(C)') ?? 0);
  const rtAvgMs = durationMs(row.get('ResponseTime1(C)'));
  // Calls were started over the elapsed time less one call's length (SIPp's mean CallLength(C); hold +
  // INVITE→200 when absent): peers/lib/common.sh's rule, with the BYE's round trip counted too.
  const callLengthMs = durationMs(row.get('CallLength(C)'));
  const lengthS = Number.isFinite(callLengthMs) && callLengthMs > 0 ? callLengthMs / 1000 : holdMs / 1000 + (Number.isFinite(rtAvgMs) ? rtAvgMs / 1000 : 0);
  const span = Math.max(0.001, epochS(row, 'CurrentTime') - epochS(row, 'StartTime') - lengthS);
  return {
    rate, calls, ok, failed, retrans,
    achievedCps: ok / span,
    rtAvgMs,
    rtP50: bucket(row, 'ResponseTimeRepartition1_', 50),
    rtP99: bucket(row, 'ResponseTimeRepartition1_', 99),
    failureCauses: failed > 0 ? failureCauses(rows, errorLog) : '',
    exitCode, uacCpuUs, wallMs,
  };
}
