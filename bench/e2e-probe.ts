/**
 * Preloaded (`node --import`) into the `dialtone start` child of the e2e benchmark: watches the
 * engine's event-loop delay and answers the benchmark over the IPC channel. It touches nothing of the
 * engine. Messages: `{ type: 'reset' }` → `{ type: 'reset' }`; `{ type: 'lag' }` → the delay
 * percentiles (ms) since the last reset, the garbage collector's pauses of the main thread since then,
 * with the process's CPU time and RSS; `{ type: 'heap' }` → the same, after two full collections, so
 * that `heapBytes` is what the engine still holds.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type ProbeRequest = 'reset' | 'lag' | 'heap';

export interface ProbeReply {
  type: ProbeRequest;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Main-thread GC pauses since the last reset: young-generation (scavenges) and the rest (marking, compaction). */
  gcYoungMs: number;
  gcOtherMs: number;
  /** The longest single pause among them, and whether it was a scavenge. */
  gcMaxMs: number;
  gcMaxYoung: boolean;
  cpuUs: number;
  rssBytes: number;
  /** The JavaScript heap in use plus the memory outside it that V8 accounts for (ArrayBuffers, Buffers). */
  heapBytes: number;
}

if (typeof process.send === 'function') {
  // The histogram records the whole interval between two samples, the resolution included; the lag
  // reported is what exceeds it.
  const resolutionMs = 10;
  const lag = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs);
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let gcYoungMs = 0;
  let gcOtherMs = 0;
  let gcMaxMs = 0;
  let gcMaxYoung = false;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      const young = kind === constants.NODE_PERFORMANCE_GC_MINOR;
      if (young) gcYoungMs += entry.duration;
      else gcOtherMs += entry.duration;
      if (entry.duration > gcMaxMs) {
        gcMaxMs = entry.duration;
        gcMaxYoung = young;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  // A full collection on request only (`heap`): the engine runs without --expose-gc.
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  process.on('message', (message: { type?: string }) => {
    const type: ProbeRequest = message.type === 'reset' || message.type === 'heap' ? message.type : 'lag';
    if (type === 'heap') {
      collectGarbage();
      collectGarbage();
    }
    const usage = process.cpuUsage();
    const memory = process.memoryUsage();
    const reply: ProbeReply = {
      type,
      p50Ms: lag(histogram.percentile(50)),
      p99Ms: lag(histogram.percentile(99)),
      maxMs: lag(histogram.max),
      gcYoungMs,
      gcOtherMs,
      gcMaxMs,
      gcMaxYoung,
      cpuUs: usage.user + usage.system,
      rssBytes: memory.rss,
      heapBytes: memory.heapUsed + memory.external,
    };
    if (type === 'reset') {
      histogram.reset();
      gcYoungMs = 0;
      gcOtherMs = 0;
      gcMaxMs = 0;
      gcMaxYoung = false;
    }
    process.send?.(reply);
  });
  // The channel must not keep the engine alive after it closes (after the listener, which refs it).
  process.channel?.unref();
}
