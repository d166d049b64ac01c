/**
 * How late the event loop has been running lately: the 90th percentile of its delay over the last
 * completed window (half a second by default), from Node's own sampler. A window, not the maximum,
 * so that one long GC pause does not read as overload; the 90th percentile, so that a loop that is
 * late most of the time does.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class EventLoopLagSensor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private lastWindowMs = 0;

  constructor(windowMs = 500) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      // The histogram counts the sampling resolution itself as delay; only the excess is lag.
      this.lastWindowMs = Math.max(0, this.histogram.percentile(90) / 1e6 - 10);
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  lagMs(): number {
    return this.lastWindowMs;
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
