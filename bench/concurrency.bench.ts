/**
 * `concurrency`: N bridged calls held with G.711 media through the whole engine, as deployed.
 *
 * Callers → `dialtone start` (child process, pinned to cpu 1) → loopback webhook app answering every
 * call with `<Dial><Sip>` → callees; callers and callees are one Node load process pinned to cpu 0
 * (bench/concurrency-load.ts: minimal SIP UAs, two RTP sockets per call). A fresh engine per size N;
 * per round:
 *
 * 1. Set up N calls (INVITE → 200 → ACK on both legs) at a fixed rate, no media yet; the engine's RSS
 *    before and after, over N, in round 1, is the **RSS per idle bridged call** (later rounds reuse
 *    memory the first one took).
 * 2. Media: both ends of every call send G.711 20 ms RTP (100 packets/s per call through the engine),
 *    a warm-up second, then a measured window: loss end to end, one-way latency p50/p99 and RFC 3550
 *    A.8 jitter at the far end, the engine's CPU (from /proc), its event-loop delay and RSS.
 * 3. In the last round, overload: the engine runs with `limits.maxCalls` = N, and while it holds its N
 *    calls a SIPp UAC floods it with new INVITEs (DIALTONE_BENCH_CONCURRENCY_FLOOD_CPS, default 1000/s,
 *    0 skips) during a second media window: the INVITEs refused with 503, and the loss and latency of
 *    the established calls meanwhile next to the window without the flood.
 * 4. BYE on every call; the engine's RSS after the calls ended, round after round, shows leaks.
 *
 * Added latency is latency through the engine minus latency through a bare Node dgram forwarder
 * (bench/rtp-load.ts) carrying the same N calls from the same load process, pinned to the same cpu, in
 * the same run (bare, then engine, each round): the loopback hops and the load process's own queueing
 * cancel out. Each side's percentile is its lowest over the rounds, since other processes only ever
 * add delay. The machine is shared, so every step prints the CPU other processes used meanwhile, and
 * the other figures come from the least disturbed round.
 *
 * Environment: DIALTONE_BENCH_CONCURRENCY_CALLS (default 100,500,1000,2000; `--quick` 100),
 * DIALTONE_BENCH_CONCURRENCY_ROUNDS (2; `--quick` 1), DIALTONE_BENCH_CONCURRENCY_CPS (call set-up
 * rate, 50), DIALTONE_BENCH_CONCURRENCY_HOLD_S (measured media seconds, 5; `--quick` 2),
 * DIALTONE_BENCH_CONCURRENCY_INBAND_DTMF=1 (offer no telephone-event: the engine listens for in-band DTMF).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { LoadReply, LoadRequest, SetupResult } from './concurrency-load.js';
import { EngineProcess, WebhookApp } from './e2e.bench.js';
import { machineBusyUs, procCpuUs, runUac, uacScenario, type UacResult } from './e2e-sipp.js';
import { IpcChild, PACKETS_PER_CALL_PER_S, bareForwarder, pinProcess, rcvbufErrors, restoreAffinity } from './rtp-load.js';
import type { BenchFigures, BenchSuite } from './suite.js';

const loadScript = fileURLToPath(new URL('./concurrency-load.js', import.meta.url));
const ENGINE_CPU = 1;
const LOAD_CPU = 0;
/** Unanswered INVITEs at a time. */
const SETUP_WINDOW = 50;
const KIB = 1024;
/** Seconds the calls sit bridged and silent before RSS is read (and the idle CPU measured). */
const IDLE_S = 3;
/** A round during which other processes used at most this much CPU (% of one core) counts as quiet. */
const QUIET_OTHERS_CPU_PCT = 15;

type Load = IpcChild<LoadRequest, LoadReply>;
type Ran = Extract<LoadReply, { cmd: 'ran' }>;
type Hungup = Extract<LoadReply, { cmd: 'hungup' }>;

interface MediaStep {
  /** Packets per second offered. */
  offered: number;
  flows: Ran;
  /** CPU µs of the relay (engine or bare forwarder) over the window. */
  relayCpuUs: number;
  wallUs: number;
  othersCpuPct: number;
  rcvbufDrops: number;
}

/** One measured media window over `flows` streams: warm-up first (latches every port, settles the JIT), then `holdS`. */
async function media(load: Load, flows: number, holdS: number, relayCpuUs: () => number, ownCpuUs: () => number): Promise<MediaStep> {
  const rate = (flows * PACKETS_PER_CALL_PER_S) / 2;
  await load.ask<Ran>({ cmd: 'run', rate, durationS: 1, drainMs: 300 }, 'ran', 15_000);
  const relay0 = relayCpuUs();
  const own0 = ownCpuUs();
  const busy0 = machineBusyUs();
  const drops0 = rcvbufErrors();
  const t0 = performance.now();
  const ran = await load.ask<Ran>({ cmd: 'run', rate, durationS: holdS, drainMs: 500 }, 'ran', (holdS + 15) * 1000);
  const wallUs = (performance.now() - t0) * 1000;
  const relay = relayCpuUs() - relay0;
  const own = ownCpuUs() - own0;
  const others = machineBusyUs() - busy0 - relay - own - ran.cpuUs;
  return { offered: rate, flows: ran, relayCpuUs: relay, wallUs, othersCpuPct: Math.max(0, (100 * others) / wallUs), rcvbufDrops: rcvbufErrors() - drops0 };
}

const processCpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** Whether the load process sent at least 97 % of what it offered (on a busy machine it may not get its core). */
function keptUp(step: MediaStep): boolean {
  return step.flows.sent / step.flows.wallS >= 0.97 * step.offered;
}

function mediaLine(step: MediaStep): string {
  const f = step.flows;
  return (
    `sent=${f.sent} recv=${f.received} lost=${f.sent - f.received} delivered=${Math.round(f.received / f.wallS)} pkt/s ` +
    `latency p50=${f.p50Ms.toFixed(2)} p99=${f.p99Ms.toFixed(2)} max=${f.maxMs.toFixed(1)} ms jitter p50=${f.jitterP50Ms.toFixed(2)} p99=${f.jitterP99Ms.toFixed(2)} ms ` +
    `relay cpu=${((100 * step.relayCpuUs) / step.wallUs).toFixed(0)}% load cpu=${((100 * f.cpuUs) / step.wallUs).toFixed(0)}% others=${step.othersCpuPct.toFixed(0)}% rcvbuf drops=${step.rcvbufDrops}${f.silentFlows > 0 ? ` silent streams=${f.silentFlows} (e.g. ${f.silentFlowIndexes.join(',')})` : ''}${keptUp(step) ? '' : ' [generator starved: sent < 97 % of offered]'}`
  );
}

/** One round at one size: the bare forwarder, then the engine holding the same number of calls. */
interface RoundPair {
  bare: MediaStep;
  engine: MediaStep;
  setup: SetupResult;
  idleKiBPerCall: number;
  idleCpuPct: number;
}

function disturbance(pair: RoundPair): number {
  return Math.max(pair.bare.othersCpuPct, pair.engine.othersCpuPct);
}

function summary(pair: RoundPair): string {
  const f = pair.engine.flows;
  const b = pair.bare.flows;
  const lost = f.sent - f.received;
  const engineCpuPct = (100 * pair.engine.relayCpuUs) / pair.engine.wallUs;
  return (
    `${pair.setup.ok} calls up (${pair.setup.failed} failed): lost ${lost} of ${f.sent} (${((100 * lost) / Math.max(1, f.sent)).toFixed(3)} %), ` +
    `engine/bare pkt/s ${(f.received / f.wallS / (b.received / b.wallS)).toFixed(3)}, latency engine − bare this round p50 ${(f.p50Ms - b.p50Ms).toFixed(2)} ms p99 ${(f.p99Ms - b.p99Ms).toFixed(2)} ms, ` +
    `jitter p50/p99 ${f.jitterP50Ms.toFixed(2)}/${f.jitterP99Ms.toFixed(2)} ms (bare ${b.jitterP50Ms.toFixed(2)}/${b.jitterP99Ms.toFixed(2)}), ` +
    `engine CPU ${engineCpuPct.toFixed(0)} % = ${((10_000 * engineCpuPct) / Math.max(1, pair.setup.ok)).toFixed(0)} µs/s per call, ` +
    `${(pair.engine.relayCpuUs / Math.max(1, f.received)).toFixed(2)} µs per packet (bare ${(pair.bare.relayCpuUs / Math.max(1, b.received)).toFixed(2)}), ` +
    `idle ${pair.idleKiBPerCall.toFixed(1)} KiB and ${pair.idleCpuPct.toFixed(1)} % CPU for all calls, others' CPU ${disturbance(pair).toFixed(0)} %`
  );
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The bare forwarder, in this process pinned to the engine's cpu, carrying N calls from the load process. */
async function bareBaseline(load: Load, calls: number, holdS: number): Promise<MediaStep> {
  const ports = await load.ask<Extract<LoadReply, { cmd: 'sockets' }>>({ cmd: 'sockets', calls }, 'sockets', 60_000);
  const previous = pinProcess(process.pid, ENGINE_CPU);
  const bare = await bareForwarder(ports.portsA, ports.portsB);
  try {
    await load.ask({ cmd: 'targets', relayA: bare.portsA, relayB: bare.portsB }, 'targets', 60_000);
    return await media(load, 2 * calls, holdS, processCpuUs, () => 0);
  } finally {
    await bare.close();
    if (previous !== undefined) pinProcess(process.pid, LOAD_CPU);
  }
}

/**
 * Issue 8's overload check: a SIPp UAC floods the engine, which holds `limits.maxCalls` calls already,
 * with new INVITEs for the length of one media window, while `measure` runs that window over the
 * established calls: every INVITE should get 503 (SIPp counts it failed) and the calls up should keep
 * their packets.
 */
async function overloadFlood(options: { dir: string; enginePort: number; floodCps: number; holdS: number; measure: () => Promise<MediaStep> }): Promise<{ uac: UacResult; during: MediaStep }> {
  const { dir, enginePort, floodCps, holdS } = options;
  // One more second than the window: media() warms up for a second first.
  const uac = runUac({ dir, scenario: uacScenario(dir, 0), target: `127.0.0.1:${enginePort}`, rate: floodCps, calls: floodCps * (holdS + 1), holdMs: 0 });
  const during = await options.measure();
  return { uac: await uac, during };
}

export const suite: BenchSuite = {
  name: 'concurrency',
  description: 'N bridged G.711 calls held through `dialtone start` (Node SIP+RTP load process): loss, added latency, jitter, CPU, RSS per call, RSS across rounds',
  async run({ quick, log }) {
    const fromEnv = process.env['DIALTONE_BENCH_CONCURRENCY_CALLS']?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0 && n <= 2400);
    const sizes = fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : quick ? [100] : [100, 500, 1000, 2000];
    const rounds = Math.max(1, Number(process.env['DIALTONE_BENCH_CONCURRENCY_ROUNDS'] ?? (quick ? 1 : 2)));
    const cps = Math.max(1, Number(process.env['DIALTONE_BENCH_CONCURRENCY_CPS'] ?? 50));
    const holdS = Math.max(1, Number(process.env['DIALTONE_BENCH_CONCURRENCY_HOLD_S'] ?? (quick ? 2 : 5)));
    // Phones mostly offer RFC 4733 events; without them the engine runs in-band DTMF detection on every packet.
    const telephoneEvents = process.env['DIALTONE_BENCH_CONCURRENCY_INBAND_DTMF'] !== '1';
    // Overload: INVITEs per second sent at the engine while it holds its limit of calls with media;
    // the default is ten times the end-to-end rate it sustains (bench e2e: 80–160 calls/s).
    const floodCps = Math.max(0, Number(process.env['DIALTONE_BENCH_CONCURRENCY_FLOOD_CPS'] ?? (quick ? 200 : 1000)));
    const figures: BenchFigures = {};
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-concurrency-'));
    // This process (webhook app, harness) shares the load's cpu; the engine has the other one.
    const previousAffinity = pinProcess(process.pid, LOAD_CPU);
    const load: Load = new IpcChild(loadScript, { DIALTONE_CONCURRENCY_BENCH_ROLE: 'load' }, previousAffinity === undefined ? undefined : LOAD_CPU);
    const app = new WebhookApp();
    let engine: EngineProcess | undefined;
    try {
      const { calleeSipPort } = await load.ask<Extract<LoadReply, { cmd: 'listening' }>>({ cmd: 'listen' }, 'listening', 20_000);
      const appPort = await app.listen();
      app.target = `sip:callee@127.0.0.1:${calleeSipPort}`;
      const configFile = join(dir, 'dialtone.yaml');
      // limits.maxCalls = N: once the size's calls are up, every further INVITE (the flood) is over capacity.
      const writeConfig = (maxCalls: number): void => writeFileSync(
        configFile,
        [
          'sip:',
          '  listen: ["udp:127.0.0.1:0"]',
          'media:',
          '  portRange: [40000, 49999]',
          // The calls sit idle (no RTP) while the others are set up and while RSS is read.
          '  rtpTimeoutSeconds: 0',
          'http:',
          '  listen: "127.0.0.1:0"',
          `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
          'drainSeconds: 0',
          'limits:',
          `  maxCalls: ${maxCalls}`,
          '',
        ].join('\n'),
      );
      log(
        `set-up ${cps} calls/s (window ${SETUP_WINDOW}), ${telephoneEvents ? 'telephone-event offered' : 'no telephone-event (in-band DTMF detection)'}, ` +
          `media ${holdS} s per round, ${rounds} round(s) per size, a fresh engine per size; loadavg ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
      for (const calls of sizes) {
        // A fresh engine per size: RSS that an earlier size grew is not given back to the system, so
        // the RSS per idle call is only measurable from a fresh start.
        await engine?.stop();
        writeConfig(calls);
        engine = new EngineProcess(configFile, `http://127.0.0.1:${appPort}/voice`, process.env['DIALTONE_BENCH_CPU_PROF']);
        await engine.ready(20_000);
        const running = engine;
        const pinned = pinProcess(running.pid, ENGINE_CPU) !== undefined && previousAffinity !== undefined;
        figures['pinned'] = pinned ? `engine cpu ${ENGINE_CPU}, load cpu ${LOAD_CPU}` : 'not pinned';
        const engineCpuUs = (): number => procCpuUs(running.pid) ?? 0;
        const rssKiB = async (): Promise<number> => (await running.probe('lag')).rssBytes / KIB;
        // Warm-up, not counted: the engine's code paths optimised, SQLite open.
        await load.ask({ cmd: 'sockets', calls: 20 }, 'sockets', 30_000);
        const warm = await load.ask<SetupResult>({ cmd: 'dial', enginePort: running.sipPort, cps, window: SETUP_WINDOW, limitS: 30, telephoneEvents }, 'dialled', 40_000);
        await load.ask<Hungup>({ cmd: 'hangup', cps, limitS: 20 }, 'hungup', 30_000);
        await sleep(1_000);
        const rssStartKiB = await rssKiB();
        log(
          `  N=${calls}: engine pid ${running.pid} (udp 127.0.0.1:${running.sipPort}), ${pinned ? `on cpu ${ENGINE_CPU}, load + webhook app on cpu ${LOAD_CPU}` : 'not pinned (no taskset)'}; ` +
            `warm-up ${warm.ok}/20 calls; RSS ${(rssStartKiB / KIB).toFixed(1)} MiB`,
        );
        const rssAfterRounds: number[] = [];
        const pairs: RoundPair[] = [];
        for (let round = 1; round <= rounds; round++) {
          // Bare first, then the engine, back to back with the same generator: a pair for added latency.
          const bare = await bareBaseline(load, calls, holdS);
          log(`  N=${calls} round ${round} bare forwarder ${mediaLine(bare)}`);
          await load.ask({ cmd: 'sockets', calls }, 'sockets', 60_000);
          const rssBefore = await rssKiB();
          const setupLimitS = Math.ceil(calls / cps) * 2 + 30;
          const setup = await load.ask<SetupResult>(
            { cmd: 'dial', enginePort: running.sipPort, cps, window: SETUP_WINDOW, limitS: setupLimitS, telephoneEvents },
            'dialled',
            (setupLimitS + 20) * 1000,
          );
          // Idle: every call bridged, no media. Answers' retransmissions and the webhook settle meanwhile.
          const idleCpu0 = engineCpuUs();
          const idle0 = performance.now();
          await sleep(IDLE_S * 1000);
          const idleCpuPct = (100 * (engineCpuUs() - idleCpu0)) / ((performance.now() - idle0) * 1000);
          const rssIdle = await rssKiB();
          const idleKiBPerCall = setup.ok > 0 ? (rssIdle - rssBefore) / setup.ok : Number.NaN;
          log(
            `  N=${calls} round ${round} set-up: ${setup.ok} answered, ${setup.bridged} bridged, ${setup.failed} failed ${JSON.stringify(setup.failures)}, INVITE resends ${setup.inviteResends}, ` +
              `INVITE→200 p50 ${setup.setupP50Ms.toFixed(1)} p99 ${setup.setupP99Ms.toFixed(1)} ms, ${setup.wallS.toFixed(1)} s; idle: engine CPU ${idleCpuPct.toFixed(1)} %, ` +
              `RSS ${(rssBefore / KIB).toFixed(1)} → ${(rssIdle / KIB).toFixed(1)} MiB = ${idleKiBPerCall.toFixed(1)} KiB per idle bridged call`,
          );
          await running.probe('reset');
          const engine = await media(load, setup.flows, holdS, engineCpuUs, processCpuUs);
          const lag = await running.probe('lag');
          log(`  N=${calls} round ${round} engine         ${mediaLine(engine)} lag p99=${lag.p99Ms.toFixed(1)} ms RSS ${(lag.rssBytes / 2 ** 20).toFixed(1)} MiB`);
          if (floodCps > 0 && round === rounds) {
            const flood = await overloadFlood({ dir, enginePort: running.sipPort, floodCps, holdS, measure: () => media(load, setup.flows, holdS, engineCpuUs, processCpuUs) });
            log(`  N=${calls} flood  ${floodCps} INVITE/s over capacity: ${flood.uac.failed} refused, ${flood.uac.ok} admitted; established calls meanwhile ${mediaLine(flood.during)}`);
            const key = `calls${calls}`;
            figures[`${key}FloodInvitesPerS`] = floodCps;
            figures[`${key}FloodRefused`] = flood.uac.failed;
            figures[`${key}FloodAdmitted`] = flood.uac.ok;
            figures[`${key}FloodEstablishedLost`] = flood.during.flows.sent - flood.during.flows.received;
            figures[`${key}FloodEstablishedP99Ms`] = round3(flood.during.flows.p99Ms);
            figures[`${key}NoFloodEstablishedP99Ms`] = round3(engine.flows.p99Ms);
          }
          const hungup = await load.ask<Hungup>({ cmd: 'hangup', cps: cps * 2, limitS: setupLimitS }, 'hungup', (setupLimitS + 20) * 1000);
          await sleep(2_000);
          const rssAfter = await rssKiB();
          rssAfterRounds.push(rssAfter);
          const pair: RoundPair = { bare, engine, setup, idleKiBPerCall, idleCpuPct };
          pairs.push(pair);
          log(`  N=${calls} round ${round} ${summary(pair)}; hang-up ${hungup.ok} ok ${hungup.failed} failed, BYE resends ${hungup.byeResends}; RSS after ${(rssAfter / KIB).toFixed(1)} MiB`);
        }
        // The figures of the round least disturbed by other processes (the busier side of the pair).
        const best = [...pairs].sort((x, y) => disturbance(x) - disturbance(y))[0]!;
        const quiet = disturbance(best) <= QUIET_OTHERS_CPU_PCT;
        // Added latency: the engine's least-delayed round minus the bare forwarder's. Other processes
        // only ever add delay, so each side's best round is the closest to its own cost.
        const lowest = (figure: (pair: RoundPair) => number): number => Math.min(...pairs.map(figure));
        const addedP50 = lowest((pair) => pair.engine.flows.p50Ms) - lowest((pair) => pair.bare.flows.p50Ms);
        const addedP99 = lowest((pair) => pair.engine.flows.p99Ms) - lowest((pair) => pair.bare.flows.p99Ms);
        log(
          `  N=${calls} RESULT added latency over ${pairs.length} round(s): p50 ${addedP50.toFixed(2)} ms, p99 ${addedP99.toFixed(2)} ms; least disturbed round: ${summary(best)}` +
            (quiet ? '' : ' [no quiet round: figures disturbed by other processes]'),
        );
        const f = best.engine.flows;
        const b = best.bare.flows;
        const key = `calls${calls}`;
        figures[`${key}Up`] = best.setup.ok;
        figures[`${key}Bridged`] = best.setup.bridged;
        figures[`${key}SetupFailed`] = best.setup.failed;
        figures[`${key}Lost`] = f.sent - f.received;
        figures[`${key}PpsRatio`] = round3(f.received / f.wallS / (b.received / b.wallS));
        figures[`${key}AddedP50Ms`] = round3(addedP50);
        figures[`${key}AddedP99Ms`] = round3(addedP99);
        figures[`${key}JitterP50Ms`] = round3(f.jitterP50Ms);
        figures[`${key}JitterP99Ms`] = round3(f.jitterP99Ms);
        figures[`${key}BareJitterP99Ms`] = round3(b.jitterP99Ms);
        figures[`${key}EngineCpuPct`] = Math.round((100 * best.engine.relayCpuUs) / best.engine.wallUs);
        figures[`${key}EngineUsPerPacket`] = round3(best.engine.relayCpuUs / Math.max(1, f.received));
        figures[`${key}BareUsPerPacket`] = round3(best.bare.relayCpuUs / Math.max(1, b.received));
        // Round 1's: later rounds reuse the memory the first one made the engine take from the system.
        figures[`${key}IdleKiBPerCall`] = Math.round(pairs[0]!.idleKiBPerCall);
        figures[`${key}IdleEngineCpuPct`] = round3(best.idleCpuPct);
        figures[`${key}OthersCpuPct`] = Math.round(disturbance(best));
        figures[`${key}GeneratorKeptUp`] = String(keptUp(best.bare) && keptUp(best.engine));
        // Leaks: what each round leaves behind once its calls have ended (SIP timers still hold 32 s of transactions).
        const rssRounds = rssAfterRounds.map((kib) => (kib / KIB).toFixed(1)).join(', ');
        log(`  N=${calls} RSS (MiB) at the start ${(rssStartKiB / KIB).toFixed(1)}, after each round's hang-up: ${rssRounds}`);
        figures[`${key}RssStartMiB`] = round3(rssStartKiB / KIB);
        figures[`${key}RssAfterRoundsMiB`] = rssRounds;
      }
      return figures;
    } finally {
      await engine?.stop();
      await load.exit({ cmd: 'exit' });
      await app.close();
      if (previousAffinity !== undefined) restoreAffinity(process.pid, previousAffinity);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

