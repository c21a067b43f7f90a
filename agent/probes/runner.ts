// Runs a vantage point's probe set: each probe on its own jittered timer, a bounded number at once and
// a bounded number of starts per second, results gathered into frames. The agent and the master's own
// vantage point both use it.
import { runProbe } from './checks.js';
import { MAX_PROBES_PER_AGENT, MAX_RESULTS_PER_FRAME, type ProbeAssignment, type ProbeResult } from './spec.js';

export interface ProbeRunnerOptions {
  /** Runs in flight at once (a slow target holds a slot for its timeout at most). */
  concurrency: number;
  /** Starts per second at most; more wait for the next second. */
  startsPerSec: number;
  maxProbes: number;
  /** How long results are gathered before they go out as one frame. */
  batchMs: number;
}

export const DEFAULT_PROBE_RUNNER: ProbeRunnerOptions = {
  concurrency: 16,
  startsPerSec: 20,
  maxProbes: MAX_PROBES_PER_AGENT,
  batchMs: 250,
};

interface Scheduled {
  probe: ProbeAssignment;
  key: string;
  timer: NodeJS.Timeout | null;
  running: boolean;
}

export class ProbeRunner {
  private readonly probes = new Map<string, Scheduled>();
  private readonly waiting: Scheduled[] = [];
  private inFlight = 0;
  private startsThisSecond = 0;
  private second = 0;
  private batch: ProbeResult[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Probes refused by the last set for being over the limit. */
  refused = 0;

  constructor(
    private readonly emit: (results: ProbeResult[]) => void,
    private readonly options: ProbeRunnerOptions = DEFAULT_PROBE_RUNNER,
  ) {}

  get size(): number {
    return this.probes.size;
  }

  /** Replaces the set: unchanged probes keep their phase, new ones start within a few seconds. */
  set(assignments: readonly ProbeAssignment[]): void {
    const wanted = assignments.slice(0, this.options.maxProbes);
    this.refused = assignments.length - wanted.length;
    const keep = new Set<string>();
    for (const probe of wanted) {
      const key = JSON.stringify(probe);
      keep.add(probe.id);
      const existing = this.probes.get(probe.id);
      if (existing?.key === key) continue;
      if (existing?.timer) clearTimeout(existing.timer);
      const scheduled: Scheduled = { probe, key, timer: null, running: existing?.running ?? false };
      this.probes.set(probe.id, scheduled);
      // A random first phase spreads a large set over its interval instead of firing it at once.
      this.arm(scheduled, Math.random() * Math.min(probe.intervalSec * 1000, 3_000));
    }
    for (const [id, scheduled] of this.probes) {
      if (keep.has(id)) continue;
      if (scheduled.timer) clearTimeout(scheduled.timer);
      this.probes.delete(id);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.probes.values()) if (s.timer) clearTimeout(s.timer);
    this.probes.clear();
    this.waiting.length = 0;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
  }

  private arm(scheduled: Scheduled, delayMs: number): void {
    scheduled.timer = setTimeout(() => {
      scheduled.timer = null;
      if (this.probes.get(scheduled.probe.id) !== scheduled) return;
      // The next run is timed from this one, ±10 %, so probes of one interval never lock into step.
      const interval = scheduled.probe.intervalSec * 1000;
      this.arm(scheduled, interval * (0.9 + Math.random() * 0.2));
      // A run still going (a target slower than the interval) is not doubled.
      if (!scheduled.running) this.enqueue(scheduled);
    }, delayMs);
    scheduled.timer.unref?.();
  }

  private enqueue(scheduled: Scheduled): void {
    if (!this.waiting.includes(scheduled)) this.waiting.push(scheduled);
    this.drain();
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.concurrency && !this.stopped) {
      const second = Math.floor(Date.now() / 1000);
      if (second !== this.second) {
        this.second = second;
        this.startsThisSecond = 0;
      }
      if (this.startsThisSecond >= this.options.startsPerSec) {
        if (!this.drainTimer) {
          this.drainTimer = setTimeout(
            () => {
              this.drainTimer = null;
              this.drain();
            },
            1000 - (Date.now() % 1000),
          );
          this.drainTimer.unref?.();
        }
        return;
      }
      const next = this.waiting.shift() as Scheduled;
      if (this.probes.get(next.probe.id) !== next) continue;
      this.startsThisSecond++;
      this.inFlight++;
      next.running = true;
      void runProbe(next.probe).then((result) => {
        next.running = false;
        this.inFlight--;
        if (this.probes.get(next.probe.id) === next) this.push(result);
        this.drain();
      });
    }
  }

  private push(result: ProbeResult): void {
    if (this.stopped) return;
    this.batch.push(result);
    if (this.batch.length >= MAX_RESULTS_PER_FRAME) this.flush();
    else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => this.flush(), this.options.batchMs);
      this.batchTimer.unref?.();
    }
  }

  private flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const results = this.batch;
    this.batch = [];
    if (results.length > 0) this.emit(results);
  }
}
