// Samples on a fixed interval and sends the cumulative counters to the master, several samples per
// frame when the interval is short. While disconnected only the newest samples are kept: the master
// needs counters, not history, to account what moved meanwhile.
import { MAX_SAMPLES_PER_FRAME, type MetricSample, type MetricsMessage } from '../protocol.js';
import type { Sampler } from './sampler.js';

/** Frames carry about this much time, so short intervals do not mean one frame per second. */
const FRAME_SPAN_MS = 4_000;

export function samplesPerFrame(intervalMs: number): number {
  return Math.min(MAX_SAMPLES_PER_FRAME, Math.max(1, Math.ceil(FRAME_SPAN_MS / intervalMs)));
}

export class MetricsReporter {
  private timer: NodeJS.Timeout | null = null;
  private pending: MetricSample[] = [];
  private sampling = false;
  private readonly perFrame: number;

  constructor(
    private readonly sampler: Sampler,
    private readonly intervalMs: number,
    private readonly send: (message: MetricsMessage) => boolean,
    private readonly onError: (error: unknown) => void,
  ) {
    this.perFrame = samplesPerFrame(intervalMs);
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends what is pending now (after connecting, so a new node shows numbers at once). */
  flush(): void {
    if (this.pending.length === 0) return;
    const message: MetricsMessage = { type: 'metrics', intervalMs: this.intervalMs, samples: this.pending };
    if (this.send(message)) this.pending = [];
    else this.pending = this.pending.slice(-this.perFrame);
  }

  private async tick(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      this.pending.push(await this.sampler.sample());
      if (this.pending.length >= this.perFrame) this.flush();
    } catch (error) {
      this.onError(error);
    } finally {
      this.sampling = false;
    }
  }
}
