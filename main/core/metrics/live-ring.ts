// A fixed-size ring of recent points per node: one Float64 column for times and Float32 columns
// for values (NaN = gap or unavailable), so memory per node is bounded and small.
import type { LiveSeries } from '../../contract/metrics-schemas.js';

export const RING_FIELDS = ['cpu', 'memUsed', 'rxBps', 'txBps', 'diskReadBps', 'diskWriteBps', 'load1'] as const;
export type RingField = (typeof RING_FIELDS)[number];
export type RingPoint = Record<RingField, number | null>;

/** About ten minutes at full resolution. */
export const RING_SPAN_MS = 600_000;
const MAX_CAPACITY = 600;

export function ringCapacity(intervalMs: number): number {
  return Math.min(MAX_CAPACITY, Math.max(2, Math.ceil(RING_SPAN_MS / intervalMs)));
}

export class LiveRing {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly values: Float32Array;
  private next = 0;
  private size = 0;

  constructor(readonly intervalMs: number) {
    this.capacity = ringCapacity(intervalMs);
    this.times = new Float64Array(this.capacity);
    this.values = new Float32Array(this.capacity * RING_FIELDS.length);
  }

  push(t: number, point: RingPoint): void {
    this.times[this.next] = t;
    const base = this.next * RING_FIELDS.length;
    RING_FIELDS.forEach((field, i) => {
      this.values[base + i] = point[field] ?? Number.NaN;
    });
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Oldest first, in columns. */
  toSeries(): LiveSeries {
    const series: LiveSeries = {
      intervalMs: this.intervalMs,
      t: [],
      cpu: [],
      memUsed: [],
      rxBps: [],
      txBps: [],
      diskReadBps: [],
      diskWriteBps: [],
      load1: [],
    };
    const first = (this.next - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) {
      const slot = (first + k) % this.capacity;
      series.t.push(this.times[slot] as number);
      RING_FIELDS.forEach((field, i) => {
        const v = this.values[slot * RING_FIELDS.length + i] as number;
        series[field].push(Number.isNaN(v) ? null : Number(v.toPrecision(7)));
      });
    }
    return series;
  }

  static empty(intervalMs: number): LiveSeries {
    return new LiveRing(intervalMs).toSeries();
  }
}
