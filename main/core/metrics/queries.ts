// Reads rollups for charts, traffic reports and monthly transfer. Each read merges the rows still
// buffered in memory, under the same serial lane as flushes, so it is exact and never double counts.
import type { z } from 'zod';
import { FleetError } from '../../contract/errors.js';
import type {
  FleetTransferReport,
  MetricPoint,
  MetricsQuery,
  Step,
  TrafficQuery,
  TrafficReport,
  TransferReport,
} from '../../contract/metrics-schemas.js';
import type { Db } from '../store/schema.js';
import { billingCycle, DAY_MS, HOUR_MS, MINUTE_MS } from './calendar.js';
import type { MetricsService } from './metrics-service.js';
import { type RollupRow, rebucket } from './rollup-buffer.js';

const STEP_MS: Record<Step, number> = { '1m': MINUTE_MS, '1h': HOUR_MS, '1d': DAY_MS };
const MAX_POINTS = 20_000;

export function autoStep(spanMs: number): Step {
  if (spanMs <= 12 * HOUR_MS) return '1m';
  if (spanMs <= 31 * DAY_MS) return '1h';
  return '1d';
}

function window(from: number | undefined, to: number | undefined, defaultSpan: number, now: number) {
  const end = to ?? now;
  const start = from ?? end - defaultSpan;
  if (start >= end) throw new FleetError('bad_request', `"from" (${start}) must be before "to" (${end}).`);
  return { start, end };
}

function pointOf(row: RollupRow, t: number): MetricPoint {
  const avg = (sum: number, n: number) => (n > 0 ? sum / n : null);
  return {
    t,
    samples: row.samples,
    cpuAvg: avg(row.cpu_sum, row.cpu_samples),
    cpuMax: row.cpu_max,
    memUsedAvg: avg(row.mem_used_sum, row.mem_samples),
    memTotal: row.mem_total,
    load1Avg: avg(row.load_sum, row.load_samples),
    rxBytes: row.rx_bytes,
    txBytes: row.tx_bytes,
    rxPackets: row.rx_packets,
    txPackets: row.tx_packets,
    diskReadBytes: row.disk_read_bytes,
    diskWriteBytes: row.disk_write_bytes,
  };
}

async function rowsIn(
  db: Db,
  metrics: MetricsService,
  tier: 'metric_minutes' | 'metric_hours',
  nodeId: string | null,
  start: number,
  end: number,
): Promise<RollupRow[]> {
  let query = db.selectFrom(tier).selectAll().where('bucket', '>=', start).where('bucket', '<', end);
  if (nodeId !== null) query = query.where('node_id', '=', nodeId);
  const stored = await query.execute();
  const pending =
    tier === 'metric_minutes'
      ? metrics.buffer.pendingMinutes(nodeId, start, end)
      : metrics.buffer.pendingHours(nodeId, start, end);
  return [...stored, ...pending];
}

export async function metricSeries(
  db: Db,
  metrics: MetricsService,
  query: z.output<typeof MetricsQuery>,
  now = Date.now(),
) {
  const { start, end } = window(query.from, query.to, HOUR_MS, now);
  const step = query.step ?? autoStep(end - start);
  const stepMs = STEP_MS[step];
  if ((end - start) / stepMs > MAX_POINTS) {
    throw new FleetError(
      'bad_request',
      `${Math.ceil((end - start) / stepMs)} points at step ${step} is too many (at most ${MAX_POINTS}): use a coarser step or a shorter range.`,
    );
  }
  const from = Math.floor(start / stepMs) * stepMs;
  const to = Math.ceil(end / stepMs) * stepMs;
  const tier = step === '1m' ? 'metric_minutes' : 'metric_hours';
  const rows = await metrics.serial.run(() => rowsIn(db, metrics, tier, query.id, from, to));
  const points = rebucket(rows, stepMs)
    .sort((a, b) => a.bucket - b.bucket)
    .map((r) => pointOf(r, r.bucket));
  return { nodeId: query.id, step, from, to, points };
}

export async function trafficReport(
  db: Db,
  metrics: MetricsService,
  query: z.output<typeof TrafficQuery>,
  minuteRetentionMs: number,
  now = Date.now(),
): Promise<z.output<typeof TrafficReport>> {
  const { start, end } = window(query.from, query.to, DAY_MS, now);
  // Minute rows are exact to the minute while they are kept; older windows use hours.
  const step = start >= now - minuteRetentionMs ? '1m' : '1h';
  const stepMs = STEP_MS[step];
  const from = Math.floor(start / stepMs) * stepMs;
  const to = Math.ceil(end / stepMs) * stepMs;
  const tier = step === '1m' ? 'metric_minutes' : 'metric_hours';
  const rows = await metrics.serial.run(() => rowsIn(db, metrics, tier, null, from, to));
  const perNode = new Map<string, { rxBytes: number; txBytes: number }>();
  let rxBytes = 0;
  let txBytes = 0;
  for (const row of rows) {
    const n = perNode.get(row.node_id) ?? { rxBytes: 0, txBytes: 0 };
    n.rxBytes += row.rx_bytes;
    n.txBytes += row.tx_bytes;
    perNode.set(row.node_id, n);
    rxBytes += row.rx_bytes;
    txBytes += row.tx_bytes;
  }
  const report: z.output<typeof TrafficReport> = { from, to, step, rxBytes, txBytes };
  if (query.groupBy === 'node') {
    const top = [...perNode]
      .sort(([, a], [, b]) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))
      .slice(0, query.limit);
    const names = new Map(
      top.length === 0
        ? []
        : (
            await db
              .selectFrom('nodes')
              .select(['id', 'name'])
              .where(
                'id',
                'in',
                top.map(([id]) => id),
              )
              .execute()
          ).map((r) => [r.id, r.name]),
    );
    report.nodes = top.map(([nodeId, n]) => ({ nodeId, name: names.get(nodeId) ?? nodeId, ...n }));
  }
  return report;
}

export async function transferReport(
  db: Db,
  metrics: MetricsService,
  nodeId: string,
  cycle: 'current' | 'previous',
  now = Date.now(),
): Promise<z.output<typeof TransferReport>> {
  const { billingDay, billingTimeZone } = metrics.options;
  const range = billingCycle(metrics.calendar.dayOf(now), billingDay, cycle === 'current' ? 0 : -1);
  const rows = await metrics.serial.run(async () => {
    const stored = await db
      .selectFrom('traffic_days')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('day', '>=', range.start)
      .where('day', '<', range.end)
      .execute();
    const pending = metrics.buffer.pendingDays(nodeId).filter((d) => d.day >= range.start && d.day < range.end);
    return [...stored, ...pending];
  });
  const days = new Map<string, { day: string; rxBytes: number; txBytes: number }>();
  for (const r of rows) {
    const d = days.get(r.day) ?? { day: r.day, rxBytes: 0, txBytes: 0 };
    d.rxBytes += r.rx_bytes;
    d.txBytes += r.tx_bytes;
    days.set(r.day, d);
  }
  const list = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  const rxBytes = list.reduce((s, d) => s + d.rxBytes, 0);
  const txBytes = list.reduce((s, d) => s + d.txBytes, 0);
  return {
    nodeId,
    billingDay,
    timeZone: billingTimeZone,
    cycleStart: range.start,
    cycleEnd: range.end,
    rxBytes,
    txBytes,
    totalBytes: rxBytes + txBytes,
    days: list,
  };
}

/** Every node's traffic in one billing cycle: one grouped read of the daily totals plus the unwritten ones. */
export async function fleetTransferReport(
  db: Db,
  metrics: MetricsService,
  cycle: 'current' | 'previous',
  now = Date.now(),
): Promise<z.output<typeof FleetTransferReport>> {
  const { billingDay, billingTimeZone } = metrics.options;
  const range = billingCycle(metrics.calendar.dayOf(now), billingDay, cycle === 'current' ? 0 : -1);
  const rows = await metrics.serial.run(async () => {
    const stored = await db
      .selectFrom('traffic_days')
      .select((eb) => [
        'node_id',
        eb.fn.sum<number | string>('rx_bytes').as('rx_bytes'),
        eb.fn.sum<number | string>('tx_bytes').as('tx_bytes'),
      ])
      .where('day', '>=', range.start)
      .where('day', '<', range.end)
      .groupBy('node_id')
      .execute();
    const pending = metrics.buffer.pendingDays(null).filter((d) => d.day >= range.start && d.day < range.end);
    return [...stored, ...pending];
  });
  const nodes = new Map<string, { nodeId: string; rxBytes: number; txBytes: number }>();
  for (const r of rows) {
    const n = nodes.get(r.node_id) ?? { nodeId: r.node_id, rxBytes: 0, txBytes: 0 };
    n.rxBytes += Number(r.rx_bytes);
    n.txBytes += Number(r.tx_bytes);
    nodes.set(r.node_id, n);
  }
  return {
    billingDay,
    timeZone: billingTimeZone,
    cycleStart: range.start,
    cycleEnd: range.end,
    nodes: [...nodes.values()],
  };
}
