/**
 * How late the event loop has been running lately: the 90th percentile of its delay in each window
 * (half a second by default), from Node's own sampler, and the lesser of the last two windows. A
 * percentile, not the maximum, so that one long GC pause or a module load does not read as
 * overload; two windows, so that only lag sustained for a second does.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The sampler's interval, in milliseconds. */
const resolutionMs = 10;

export class EventLoopLagSensor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private lastWindowMs = 0;
  private previousWindowMs = 0;

  constructor(windowMs = 500) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    this.timer = setInterval(() => {
      // The histogram counts the sampling resolution itself as delay; only the excess is lag.
      this.previousWindowMs = this.lastWindowMs;
      this.lastWindowMs = Math.max(0, this.histogram.percentile(90) / 1e6 - resolutionMs);
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  lagMs(): number {
    return Math.min(this.lastWindowMs, this.previousWindowMs);
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
