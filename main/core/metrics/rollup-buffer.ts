// Rollups accumulate in memory between flushes: minute buckets and daily traffic per node, plus
// the counter baseline they were computed up to. A flush takes the whole buffer at once so the
// baseline written with it matches the rollups exactly.
import type { MetricRollupTable, TrafficDaysTable } from '../store/schema.js';
import type { Accounted, Baseline } from './accounting.js';
import { HOUR_MS, minuteBucket } from './calendar.js';

export type RollupRow = MetricRollupTable;

export interface RollupBatch {
  minutes: RollupRow[];
  hours: RollupRow[];
  days: TrafficDaysTable[];
  baselines: Array<{ nodeId: string; baseline: Baseline }>;
}

export interface Reading {
  cpu: number | null;
  memUsed: number | null;
  memTotal: number | null;
  load1: number | null;
}

export function emptyRow(node_id: string, bucket: number): RollupRow {
  return {
    node_id,
    bucket,
    samples: 0,
    cpu_samples: 0,
    cpu_sum: 0,
    cpu_max: null,
    mem_samples: 0,
    mem_used_sum: 0,
    mem_total: null,
    load_samples: 0,
    load_sum: 0,
    rx_bytes: 0,
    tx_bytes: 0,
    rx_packets: 0,
    tx_packets: 0,
    disk_read_bytes: 0,
    disk_write_bytes: 0,
  };
}

/** Adds `from` into `into`: sums add, maxima take the larger, the latest total wins. */
export function mergeRow(into: RollupRow, from: RollupRow): void {
  into.samples += from.samples;
  into.cpu_samples += from.cpu_samples;
  into.cpu_sum += from.cpu_sum;
  if (from.cpu_max !== null) into.cpu_max = into.cpu_max === null ? from.cpu_max : Math.max(into.cpu_max, from.cpu_max);
  into.mem_samples += from.mem_samples;
  into.mem_used_sum += from.mem_used_sum;
  if (from.mem_total !== null) into.mem_total = from.mem_total;
  into.load_samples += from.load_samples;
  into.load_sum += from.load_sum;
  into.rx_bytes += from.rx_bytes;
  into.tx_bytes += from.tx_bytes;
  into.rx_packets += from.rx_packets;
  into.tx_packets += from.tx_packets;
  into.disk_read_bytes += from.disk_read_bytes;
  into.disk_write_bytes += from.disk_write_bytes;
}

/** Rows summed per (node, bucket of `stepMs`): hours from minutes, days from hours. */
export function rebucket(rows: Iterable<RollupRow>, stepMs: number): RollupRow[] {
  const out = new Map<string, RollupRow>();
  for (const row of rows) {
    const bucket = Math.floor(row.bucket / stepMs) * stepMs;
    const key = `${row.node_id}|${bucket}`;
    let into = out.get(key);
    if (!into) {
      into = emptyRow(row.node_id, bucket);
      out.set(key, into);
    }
    mergeRow(into, row);
  }
  return [...out.values()];
}

/** Hour rows derived from minute rows. */
export const hoursOf = (minutes: Iterable<RollupRow>) => rebucket(minutes, HOUR_MS);

export class RollupBuffer {
  private minutes = new Map<string, RollupRow>();
  private days = new Map<string, TrafficDaysTable>();
  private baselines = new Map<string, Baseline>();

  add(nodeId: string, t: number, day: string, accounted: Accounted, reading: Reading): void {
    const bucket = minuteBucket(t);
    const key = `${nodeId}|${bucket}`;
    let row = this.minutes.get(key);
    if (!row) {
      row = emptyRow(nodeId, bucket);
      this.minutes.set(key, row);
    }
    row.samples += 1;
    if (reading.cpu !== null) {
      row.cpu_samples += 1;
      row.cpu_sum += reading.cpu;
      row.cpu_max = row.cpu_max === null ? reading.cpu : Math.max(row.cpu_max, reading.cpu);
    }
    if (reading.memUsed !== null) {
      row.mem_samples += 1;
      row.mem_used_sum += reading.memUsed;
      row.mem_total = reading.memTotal;
    }
    if (reading.load1 !== null) {
      row.load_samples += 1;
      row.load_sum += reading.load1;
    }
    row.rx_bytes += accounted.net.rxBytes;
    row.tx_bytes += accounted.net.txBytes;
    row.rx_packets += accounted.net.rxPackets;
    row.tx_packets += accounted.net.txPackets;
    row.disk_read_bytes += accounted.diskIo.readBytes;
    row.disk_write_bytes += accounted.diskIo.writeBytes;
    if (accounted.net.rxBytes > 0 || accounted.net.txBytes > 0) {
      const dayKey = `${nodeId}|${day}`;
      const d = this.days.get(dayKey) ?? { node_id: nodeId, day, rx_bytes: 0, tx_bytes: 0 };
      d.rx_bytes += accounted.net.rxBytes;
      d.tx_bytes += accounted.net.txBytes;
      this.days.set(dayKey, d);
    }
    this.baselines.set(nodeId, accounted.baseline);
  }

  get isEmpty(): boolean {
    return this.baselines.size === 0 && this.minutes.size === 0;
  }

  /** Empties the buffer and returns its contents as one batch. */
  take(): RollupBatch {
    const batch: RollupBatch = {
      minutes: [...this.minutes.values()],
      hours: hoursOf(this.minutes.values()),
      days: [...this.days.values()],
      baselines: [...this.baselines].map(([nodeId, baseline]) => ({ nodeId, baseline })),
    };
    this.minutes = new Map();
    this.days = new Map();
    this.baselines = new Map();
    return batch;
  }

  /** Puts a batch that could not be written back in front of what arrived since. */
  restore(batch: RollupBatch): void {
    for (const m of batch.minutes) {
      const key = `${m.node_id}|${m.bucket}`;
      const newer = this.minutes.get(key);
      if (newer) mergeRow(m, newer);
      this.minutes.set(key, m);
    }
    for (const d of batch.days) {
      const key = `${d.node_id}|${d.day}`;
      const newer = this.days.get(key);
      this.days.set(key, {
        ...d,
        rx_bytes: d.rx_bytes + (newer?.rx_bytes ?? 0),
        tx_bytes: d.tx_bytes + (newer?.tx_bytes ?? 0),
      });
    }
    for (const { nodeId, baseline } of batch.baselines) {
      if (!this.baselines.has(nodeId)) this.baselines.set(nodeId, baseline);
    }
  }

  /** Unflushed minute rows of one node (or all) in [from, to). */
  pendingMinutes(nodeId: string | null, from: number, to: number): RollupRow[] {
    const out: RollupRow[] = [];
    for (const row of this.minutes.values()) {
      if ((nodeId === null || row.node_id === nodeId) && row.bucket >= from && row.bucket < to) out.push(row);
    }
    return out;
  }

  pendingHours(nodeId: string | null, from: number, to: number): RollupRow[] {
    return hoursOf(this.pendingMinutes(nodeId, Math.floor(from / HOUR_MS) * HOUR_MS, to)).filter(
      (h) => h.bucket >= from && h.bucket < to,
    );
  }

  /** Daily traffic not yet written: one node's, or every node's (null). */
  pendingDays(nodeId: string | null): TrafficDaysTable[] {
    const all = [...this.days.values()];
    return nodeId === null ? all : all.filter((d) => d.node_id === nodeId);
  }

  baselineOf(nodeId: string): Baseline | null {
    return this.baselines.get(nodeId) ?? null;
  }

  hasNode(nodeId: string): boolean {
    return this.baselines.has(nodeId);
  }

  forget(nodeId: string): void {
    for (const [key, row] of this.minutes) if (row.node_id === nodeId) this.minutes.delete(key);
    for (const [key, d] of this.days) if (d.node_id === nodeId) this.days.delete(key);
    this.baselines.delete(nodeId);
  }
}
