/**
 * `sip-transactions`: Dialtone's whole SIP stack over UDP on loopback (transport, parser, transaction
 * layer, UA core), a server and a load generator each in its own process (bench/sip-transaction-load.ts).
 *
 * - OPTIONS: each transaction is a request, a 200 and both non-INVITE machines (RFC 3261 §17.1.2,
 *   §17.2.2), at a few windows (transactions kept in flight).
 * - calls: INVITE → 200 → ACK, then BYE → 200, through two UserAgents (dialogs, INVITE transactions,
 *   the 2xx retransmitter). The figure to hold against Kamailio's ~3,000 calls/s as a stateful proxy
 *   on this machine (/work/shared/peers/README.md, `kamailio-proxy-cps.sh`), remembering that a proxy
 *   handles each message once while here each side is a whole UA.
 *
 * Each step: a fresh server process, a short warm-up run (not counted), then a run bounded by
 * `durationMs` and a count. Reported per step: rate, failures, latency percentiles and CPU microseconds
 * per operation for each side (process.cpuUsage of each process over the measured interval). Timers that
 * fire after the step (Timer J/K/L/M, 32 s) are not in the CPU figures.
 *
 * DIALTONE_BENCH_CPU_PROF=DIR runs both processes with --cpu-prof into DIR.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, LoadResult, LoadSettings, Reply, Scenario, SideCpu } from './sip-transaction-load.js';
import type { BenchFigures, BenchSuite } from './suite.js';

const loadScript = fileURLToPath(new URL('./sip-transaction-load.js', import.meta.url));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A forked side, spoken to one command at a time. */
class Side {
  private readonly child: ChildProcess;
  private pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | undefined;
  private exited = false;

  constructor(name: string) {
    const profDir = process.env['DIALTONE_BENCH_CPU_PROF'];
    this.child = fork(loadScript, [name], {
      execArgv: profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: Reply) => {
      const pending = this.pending;
      if (pending === undefined) return;
      this.pending = undefined;
      clearTimeout(pending.timer);
      if (reply.type === 'error') pending.reject(new Error(`${name}: ${reply.message}`));
      else pending.resolve(reply);
    });
    this.child.on('exit', () => {
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      if (pending !== undefined) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`${name} exited`));
      }
    });
  }

  ask(command: Command, timeoutMs: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.kill();
        reject(new Error(`no answer to ${command.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.child.send(command);
    });
  }

  /** Asks the process to close and exit; kills it (by its own PID) if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies Command);
    const timer = setTimeout(() => this.kill(), 5_000);
    await gone;
    clearTimeout(timer);
  }

  private kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

interface StepResult {
  result: LoadResult;
  server: SideCpu;
}

async function step(scenario: Scenario, window: number, durationMs: number, maxOperations: number, warmUp: number): Promise<StepResult> {
  const server = new Side('server');
  const client = new Side('client');
  try {
    const ready = await server.ask({ type: 'start', scenario }, 10_000);
    if (ready.type !== 'ready') throw new Error('server did not start');
    const base: LoadSettings = { serverPort: ready.port, window, durationMs, maxOperations };
    // Warm-up: the same load, not counted, so that both sides run optimised code.
    await client.ask({ type: 'run', scenario, settings: { ...base, maxOperations: warmUp, durationMs: Math.min(durationMs, 2_000) } }, durationMs + 60_000);
    await server.ask({ type: 'mark' }, 5_000);
    const run = await client.ask({ type: 'run', scenario, settings: base }, durationMs + 60_000);
    const report = await server.ask({ type: 'report' }, 5_000);
    if (run.type !== 'result' || report.type !== 'report') throw new Error('unexpected reply');
    return { result: run.result, server: report.side };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

function line(window: number, step: StepResult): { rate: number; row: string; figures: BenchFigures } {
  const { result, server } = step;
  const rate = (result.completed / result.elapsedMs) * 1000;
  const sorted = result.latenciesMs.sort((a, b) => a - b);
  const done = Math.max(1, result.completed + result.failed);
  const serverUs = server.cpuUs / done;
  const clientUs = result.cpuUs / done;
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const row =
    `${String(window).padStart(6)}  ${rate.toFixed(0).padStart(8)}  ${String(result.failed).padStart(6)}  ` +
    `${p50.toFixed(2).padStart(7)}  ${p99.toFixed(2).padStart(7)}  ${serverUs.toFixed(0).padStart(9)}  ${clientUs.toFixed(0).padStart(9)}  ` +
    `${(server.heapUsed / 2 ** 20).toFixed(0).padStart(7)}  ${server.messages === undefined ? '' : `${(server.messages.received / done).toFixed(2)}/${(server.messages.sent / done).toFixed(2)}`}`;
  return {
    rate,
    row,
    figures: {
      PerSecond: Math.round(rate),
      Failed: result.failed,
      P50Ms: Number(p50.toFixed(2)),
      P99Ms: Number(p99.toFixed(2)),
      ServerCpuUs: Number(serverUs.toFixed(1)),
      ClientCpuUs: Number(clientUs.toFixed(1)),
      ...(server.messages === undefined
        ? {}
        : { ServerMessagesIn: Number((server.messages.received / done).toFixed(2)), ServerMessagesOut: Number((server.messages.sent / done).toFixed(2)) }),
    },
  };
}

const header = 'window    rate/s  failed  p50 ms   p99 ms  server µs  client µs  srv MiB  srv in/out per op';

export const suite: BenchSuite = {
  name: 'sip-transactions',
  description: 'UDP OPTIONS transactions and INVITE/ACK/BYE calls per second through the whole SIP stack on loopback (two processes)',
  async run({ quick, log }) {
    const durationMs = quick ? 2_000 : 5_000;
    const figures: BenchFigures = {};
    log('OPTIONS transactions (CPU µs per transaction for each process; srv MiB = server heap at the end)');
    log(header);
    for (const window of quick ? [50] : [1, 10, 50, 200]) {
      const { row, figures: values } = line(window, await step('options', window, durationMs, 200_000, quick ? 2_000 : 5_000));
      log(row);
      for (const [name, value] of Object.entries(values)) figures[`options${window}${name === 'PerSecond' ? 'TransactionsPerSecond' : name}`] = value;
    }
    log('calls: INVITE → 200 → ACK, BYE → 200 (CPU µs per call for each process)');
    log(header);
    for (const window of quick ? [20] : [10, 50]) {
      const { row, figures: values } = line(window, await step('calls', window, durationMs, 50_000, quick ? 500 : 1_000));
      log(row);
      for (const [name, value] of Object.entries(values)) figures[`calls${window}${name === 'PerSecond' ? 'CallsPerSecond' : name}`] = value;
    }
    return figures;
  },
};
