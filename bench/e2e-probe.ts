/**
 * Preloaded (`node --import`) into the `dialtone start` child of the e2e benchmark: watches the
 * engine's event-loop delay and answers the benchmark over the IPC channel. It touches nothing of the
 * engine. Messages: `{ type: 'reset' }` → `{ type: 'reset' }`; `{ type: 'lag' }` → the delay
 * percentiles (ms) since the last reset, with the process's CPU time and RSS.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeReply {
  type: 'reset' | 'lag';
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuUs: number;
  rssBytes: number;
}

if (typeof process.send === 'function') {
  // The histogram records the whole interval between two samples, the resolution included; the lag
  // reported is what exceeds it.
  const resolutionMs = 10;
  const lag = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs);
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  process.on('message', (message: { type?: string }) => {
    const usage = process.cpuUsage();
    const reply: ProbeReply = {
      type: message.type === 'reset' ? 'reset' : 'lag',
      p50Ms: lag(histogram.percentile(50)),
      p99Ms: lag(histogram.percentile(99)),
      maxMs: lag(histogram.max),
      cpuUs: usage.user + usage.system,
      rssBytes: process.memoryUsage.rss(),
    };
    if (message.type === 'reset') histogram.reset();
    process.send?.(reply);
  });
  // The channel must not keep the engine alive after it closes (after the listener, which refs it).
  process.channel?.unref();
}
