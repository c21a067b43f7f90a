// Rollups on a real SQLite file and a real MariaDB database: minute/hour/day boundaries, time zones,
// flush and restart without loss or double count (the baseline is written with the rollups), deleted
// nodes, retention.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricSample, MetricsMessage } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { DAY_MS, DayCalendar, HOUR_MS, MINUTE_MS } from '../../main/core/metrics/calendar.js';
import { MetricsRetentionJob } from '../../main/core/metrics/metrics-retention.js';
import { type MetricsOptions, MetricsService } from '../../main/core/metrics/metrics-service.js';
import { fleetTransferReport, metricSeries, trafficReport, transferReport } from '../../main/core/metrics/queries.js';
import { emptyRow } from '../../main/core/metrics/rollup-buffer.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

describe.each(storeTargets())('metrics on $name', (target) => {
  let store: Store;
  let closeStore: () => Promise<void>;
  let registry: NodeRegistry;
  let nodeId: string;
  let services: MetricsService[];

  /** One host whose counters the test moves; samples carry its uptime so elapsed time is exact. */
  class Host {
    rx = 1_000_000;
    tx = 2_000_000;
    bootId = 'boot-1';
    bootedAt: number;
    constructor(now: number) {
      this.bootedAt = now - 3_600_000;
    }
    sample(t: number, cpuJiffies = t / 10): MetricSample {
      const j = Math.round(cpuJiffies);
      return {
        t,
        bootId: this.bootId,
        uptimeSec: (t - this.bootedAt) / 1000,
        cpu: { source: 'proc', total: [j, 0, j, 2 * j, 0, 0, 0, 0], cores: [] },
        load: [0.5, 0.4, 0.3],
        memory: { total: 8e9, available: 6e9, used: 2e9, buffers: 1e8, cached: 1e9 },
        swap: null,
        disks: null,
        diskIo: { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 },
        net: [{ name: 'eth0', rxBytes: this.rx, txBytes: this.tx, rxPackets: 1, txPackets: 1, speedMbps: 10_000 }],
        connections: null,
        processes: null,
      };
    }
  }

  const message = (...samples: MetricSample[]): MetricsMessage => ({ type: 'metrics', intervalMs: 2_000, samples });

  async function service(options: Partial<MetricsOptions> = {}) {
    const s = new MetricsService(store.db, store.dialect, new EventBus(), silentLogger, options);
    await s.start();
    services.push(s);
    return s;
  }

  /** Bytes received in the hour from t0, as the traffic report gives them at `now`. */
  const rxInHour = async (metrics: MetricsService, t0: number, now: number) =>
    (await trafficReport(store.db, metrics, { from: t0, to: t0 + HOUR_MS, limit: 20 }, 48 * HOUR_MS, now)).rxBytes;

  beforeEach(async () => {
    ({ store, cleanup: closeStore } = await target.open());
    registry = new NodeRegistry(store.db, new EventBus());
    nodeId = (await registry.create({ name: 'web-1' })).node.id;
    services = [];
  });
  afterEach(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await closeStore();
  });

  describe('rollups', () => {
    it('puts each sample in its UTC minute and derives hours from minutes, across an hour boundary', async () => {
      const metrics = await service();
      const t0 = Date.UTC(2026, 10, 22, 9, 58, 58);
      const host = new Host(t0);
      metrics.ingest(nodeId, message(host.sample(t0)), t0);
      const steps = [
        [Date.UTC(2026, 10, 22, 9, 59, 30), 100],
        [Date.UTC(2026, 10, 22, 9, 59, 59, 999), 200],
        [Date.UTC(2026, 10, 22, 10, 0, 0), 400],
        [Date.UTC(2026, 10, 22, 10, 0, 20), 800],
      ] as const;
      for (const [t, bytes] of steps) {
        host.rx += bytes;
        metrics.ingest(nodeId, message(host.sample(t)), t);
      }
      await metrics.flush();
      const from = Date.UTC(2026, 10, 22, 9, 58);
      const to = Date.UTC(2026, 10, 22, 10, 2);
      const minutes = await metricSeries(store.db, metrics, { id: nodeId, from, to, step: '1m' });
      expect(minutes.points.map((p) => [p.t, p.rxBytes])).toEqual([
        [Date.UTC(2026, 10, 22, 9, 58), 0],
        [Date.UTC(2026, 10, 22, 9, 59), 300],
        [Date.UTC(2026, 10, 22, 10, 0), 1200],
      ]);
      const hours = await metricSeries(store.db, metrics, { id: nodeId, from: from - HOUR_MS, to, step: '1h' });
      expect(hours.points.map((p) => [p.t, p.rxBytes, p.samples])).toEqual([
        [Date.UTC(2026, 10, 22, 9), 300, 3],
        [Date.UTC(2026, 10, 22, 10), 1200, 2],
      ]);
      expect(hours.points[0]?.memUsedAvg).toBe(2e9);
      expect(hours.points[1]?.cpuAvg).toBeCloseTo(50, 0);
    });

    it('adds to existing rows on a later flush instead of replacing them, and reads unflushed rows too', async () => {
      const metrics = await service();
      const t0 = Date.UTC(2026, 10, 22, 12, 0, 1);
      const host = new Host(t0);
      metrics.ingest(nodeId, message(host.sample(t0)), t0);
      host.tx += 5_000;
      metrics.ingest(nodeId, message(host.sample(t0 + 2_000)), t0 + 2_000);
      await metrics.flush();
      host.tx += 7_000;
      metrics.ingest(nodeId, message(host.sample(t0 + 4_000)), t0 + 4_000);
      const window = { from: t0 - 1_000, to: t0 + MINUTE_MS };
      const before = await trafficReport(store.db, metrics, window as never, 48 * HOUR_MS, t0 + 5_000);
      expect(before.txBytes).toBe(12_000);
      await metrics.flush();
      const after = await trafficReport(store.db, metrics, { ...window, limit: 20 }, 48 * HOUR_MS, t0 + 5_000);
      expect(after.txBytes).toBe(12_000);
      const rows = await store.db.selectFrom('metric_minutes').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.samples).toBe(3);
    });

    it('splits daily traffic at local midnight of the billing time zone and sums the billing cycle', async () => {
      const metrics = await service({ billingTimeZone: 'Asia/Tokyo', billingDay: 23 });
      // 2026-11-22 14:59:58 UTC is 23:59:58 in Tokyo; the next sample falls on the 23rd (a new cycle).
      const t0 = Date.UTC(2026, 10, 22, 14, 59, 56);
      const host = new Host(t0);
      metrics.ingest(nodeId, message(host.sample(t0)), t0);
      host.rx += 1_000;
      metrics.ingest(nodeId, message(host.sample(t0 + 2_000)), t0 + 2_000);
      host.rx += 30_000;
      metrics.ingest(nodeId, message(host.sample(t0 + 4_000)), t0 + 4_000);
      await metrics.flush();
      const now = t0 + 10_000;
      const current = await transferReport(store.db, metrics, nodeId, 'current', now);
      expect(current).toMatchObject({ cycleStart: '2026-11-23', cycleEnd: '2026-12-23', rxBytes: 30_000 });
      const previous = await transferReport(store.db, metrics, nodeId, 'previous', now);
      expect(previous).toMatchObject({ cycleStart: '2026-10-23', cycleEnd: '2026-11-23', rxBytes: 1_000 });
      expect(previous.days).toEqual([{ day: '2026-11-22', rxBytes: 1_000, txBytes: 0 }]);
      // The fleet's cycle totals (the cards): the same sums, written and still buffered alike.
      host.rx += 5_000;
      metrics.ingest(nodeId, message(host.sample(t0 + 6_000)), t0 + 6_000);
      const fleet = await fleetTransferReport(store.db, metrics, 'current', now);
      expect(fleet).toMatchObject({ cycleStart: '2026-11-23', cycleEnd: '2026-12-23', timeZone: 'Asia/Tokyo' });
      expect(fleet.nodes).toEqual([{ nodeId, rxBytes: 35_000, txBytes: 0 }]);
      const fleetBefore = await fleetTransferReport(store.db, metrics, 'previous', now);
      expect(fleetBefore.nodes).toEqual([{ nodeId, rxBytes: 1_000, txBytes: 0 }]);
    });

    it('counts traffic moved while the master was down exactly once after a graceful restart', async () => {
      const t0 = Date.UTC(2026, 10, 22, 8, 0, 0);
      const host = new Host(t0);
      const first = await service();
      first.ingest(nodeId, message(host.sample(t0)), t0);
      host.rx += 4_000;
      first.ingest(nodeId, message(host.sample(t0 + 2_000)), t0 + 2_000);
      await first.stop();
      host.rx += 9_000; // moved while no master was running
      const second = await service();
      second.ingest(nodeId, message(host.sample(t0 + 60_000)), t0 + 60_000);
      expect(await rxInHour(second, t0, t0 + 61_000)).toBe(13_000);
    });

    it('after a crash counts what was not flushed once, from the baseline written with the rollups', async () => {
      const t0 = Date.UTC(2026, 10, 22, 8, 0, 0);
      const host = new Host(t0);
      const crashed = await service({ flushIntervalMs: 3_600_000 });
      crashed.ingest(nodeId, message(host.sample(t0)), t0);
      host.rx += 1_000;
      crashed.ingest(nodeId, message(host.sample(t0 + 2_000)), t0 + 2_000);
      await crashed.flush();
      host.rx += 2_000;
      crashed.ingest(nodeId, message(host.sample(t0 + 4_000)), t0 + 4_000);
      // The process dies here: the last 2,000 bytes were only in memory. Nothing more is flushed.
      services.splice(services.indexOf(crashed), 1);
      const restarted = await service();
      host.rx += 500;
      restarted.ingest(nodeId, message(host.sample(t0 + 30_000)), t0 + 30_000);
      await restarted.flush();
      expect(await rxInHour(restarted, t0, t0 + 31_000)).toBe(3_500);
    });

    it('sets aside rows of a node deleted before the flush and still writes the others', async () => {
      const metrics = await service();
      const other = (await registry.create({ name: 'web-2' })).node.id;
      const t0 = Date.UTC(2026, 10, 22, 8, 0, 0);
      const a = new Host(t0);
      const b = new Host(t0);
      for (const id of [nodeId, other]) metrics.ingest(id, message(a.sample(t0)), t0);
      a.rx += 100;
      b.rx += 100;
      metrics.ingest(nodeId, message(a.sample(t0 + 2_000)), t0 + 2_000);
      metrics.ingest(other, message(a.sample(t0 + 2_000)), t0 + 2_000);
      await registry.delete(other, true);
      await metrics.flush();
      const rows = await store.db.selectFrom('metric_minutes').select('node_id').execute();
      expect(rows.map((r) => r.node_id)).toEqual([nodeId]);
      expect(metrics.buffer.isEmpty).toBe(true);
    });

    it('refuses a range with too many points for the step, saying what to do', async () => {
      const metrics = await service();
      await expect(
        metricSeries(store.db, metrics, { id: nodeId, from: 0, to: 30 * DAY_MS, step: '1m' }),
      ).rejects.toThrow(/too many .*coarser step/);
    });
  });

  describe('retention', () => {
    it('drops each tier past its horizon and keeps the rest', async () => {
      const now = Date.UTC(2026, 10, 22, 12, 0, 0);
      const row = (bucket: number) => ({ ...emptyRow(nodeId, bucket), samples: 1, rx_bytes: 1, tx_bytes: 1 });
      const minuteBuckets = [now - 49 * HOUR_MS, now - 48 * HOUR_MS - MINUTE_MS, now - 47 * HOUR_MS];
      await store.db.insertInto('metric_minutes').values(minuteBuckets.map(row)).execute();
      await store.db
        .insertInto('metric_hours')
        .values([row(now - 91 * DAY_MS), row(now - 89 * DAY_MS)])
        .execute();
      await store.db
        .insertInto('traffic_days')
        .values([
          { node_id: nodeId, day: '2024-11-01', rx_bytes: 1, tx_bytes: 1 },
          { node_id: nodeId, day: '2025-11-01', rx_bytes: 1, tx_bytes: 1 },
        ])
        .execute();
      const job = new MetricsRetentionJob(
        store.db,
        { minutesMs: 48 * HOUR_MS, hoursMs: 90 * DAY_MS, daysMs: 730 * DAY_MS },
        new DayCalendar('UTC'),
        silentLogger,
        () => now,
      );
      expect(await job.runOnce()).toEqual({ minutes: 2, hours: 1, days: 1 });
      expect((await store.db.selectFrom('metric_minutes').select('bucket').execute()).map((r) => r.bucket)).toEqual([
        now - 47 * HOUR_MS,
      ]);
      expect((await store.db.selectFrom('traffic_days').select('day').execute()).map((r) => r.day)).toEqual([
        '2025-11-01',
      ]);
    });
  });
});
