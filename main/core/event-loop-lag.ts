// Measures the master's event-loop delay. Figures cover the last full minute (or the current one
// at start), so a spike shows for a while and then ages out.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export class EventLoopLag {
  private static readonly RESOLUTION_MS = 10;
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: EventLoopLag.RESOLUTION_MS });
  private last: { p50: number; p99: number; max: number } | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs = 60_000) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = this.read();
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  private read() {
    // The histogram records the whole timer period; the lag is what exceeds it.
    const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - EventLoopLag.RESOLUTION_MS);
    if (this.histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
    return {
      p50: ms(this.histogram.percentile(50)),
      p99: ms(this.histogram.percentile(99)),
      max: ms(this.histogram.max),
    };
  }

  /** Milliseconds. */
  get figures(): { p50: number; p99: number; max: number } {
    return this.last ?? this.read();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
