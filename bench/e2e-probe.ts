/**
 * Preloaded (`node --import`) into the `dialtone start` child of the e2e benchmark: watches the
 * engine's event-loop delay and answers the benchmark over the IPC channel. It touches nothing of the
 * engine. Messages: `{ type: 'reset' }` → `{ type: 'reset' }`; `{ type: 'lag' }` → the delay
 * percentiles (ms) since the last reset, the garbage collector's pauses of the main thread since then
 * and what its scavenges copied (v8.GCProfiler), with the process's CPU time and RSS; `{ type: 'heap' }`
 * → the same, after two full collections, so that `heapBytes` is what the engine still holds.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { GCProfiler, setFlagsFromString, type HeapSpaceStatistics } from 'node:v8';
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
  /**
   * What the scavenges since the last reset copied: the survivors kept in the young generation, and
   * those promoted to the old one. A scavenge's pause grows with both.
   */
  scavengeSurvivedBytes: number;
  scavengePromotedBytes: number;
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
  let gcProfiler = new GCProfiler();
  gcProfiler.start();
  /** Sums the scavenges recorded since the profiler started, and starts a new one. */
  const scavengeCopies = (): { survived: number; promoted: number } => {
    const used = (spaces: HeapSpaceStatistics[], names: readonly string[]): number =>
      spaces.reduce((sum, space) => sum + (names.includes(space.spaceName) ? space.spaceUsedSize : 0), 0);
    const young = ['new_space', 'new_large_object_space'];
    const old = ['old_space', 'code_space', 'large_object_space', 'code_large_object_space'];
    let survived = 0;
    let promoted = 0;
    for (const gc of gcProfiler.stop().statistics) {
      if (gc.gcType !== 'Scavenge') continue;
      survived += used(gc.afterGC.heapSpaceStatistics, young);
      promoted += Math.max(0, used(gc.afterGC.heapSpaceStatistics, old) - used(gc.beforeGC.heapSpaceStatistics, old));
    }
    gcProfiler = new GCProfiler();
    gcProfiler.start();
    return { survived, promoted };
  };
  // A full collection on request only (`heap`): the engine runs without --expose-gc.
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  process.on('message', (message: { type?: string }) => {
    const type: ProbeRequest = message.type === 'reset' || message.type === 'heap' ? message.type : 'lag';
    if (type === 'heap') {
      collectGarbage();
      collectGarbage();
    }
    const copies = scavengeCopies();
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
      scavengeSurvivedBytes: copies.survived,
      scavengePromotedBytes: copies.promoted,
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
