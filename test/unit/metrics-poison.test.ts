// Poison numbers (issue 24, item 7): values no host can report are refused by the protocol; what the
// database still refuses is set aside row by row, never blocking the other nodes' rollups; absurd sample
// times and a century of uptime neither throw nor add traffic. Store tests run on SQLite and MariaDB.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_UPTIME_SEC,
  MAX_WIRE_TIME_MS,
  type MetricSample,
  MetricsMessage,
  ResultMessage,
  StartedMessage,
} from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { account, DEFAULT_LIMITS } from '../../main/core/metrics/accounting.js';
import { DayCalendar, MINUTE_MS } from '../../main/core/metrics/calendar.js';
import { MetricsService } from '../../main/core/metrics/metrics-service.js';
import { emptyRow, type RollupBatch } from '../../main/core/metrics/rollup-buffer.js';
import { writeRollups } from '../../main/core/metrics/rollup-writer.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { metricsFrame, rxSample } from '../helpers/metric-samples.js';
import { tempDir } from '../helpers/processes.js';

function sample(over: Partial<MetricSample> & { rx?: number } = {}): MetricSample {
  const { rx = 0, ...rest } = over;
  return rxSample(Date.now(), rx, { uptimeSec: 1_000, load: [0.5, 0.4, 0.3], processes: 100, ...rest });
}
const frame = metricsFrame;

describe('protocol bounds', () => {
  const refused = (s: Partial<MetricSample>) => !MetricsMessage.safeParse(frame(sample(s))).success;

  it('refuses numbers no host can report', () => {
    expect(MetricsMessage.safeParse(frame(sample())).success).toBe(true);
    expect(refused({ load: [1e308, 0, 0] })).toBe(true);
    expect(refused({ uptimeSec: MAX_UPTIME_SEC + 1 })).toBe(true);
    expect(refused({ t: MAX_WIRE_TIME_MS + 1 })).toBe(true);
    expect(refused({ t: 2 ** 53 - 1 })).toBe(true);
    expect(refused({ processes: 2 ** 40 })).toBe(true);
    const result = {
      id: 'c1',
      outcome: 'succeeded',
      exitCode: 0,
      signal: null,
      startedAt: 1,
      finishedAt: Date.now(),
      stdout: '',
      stderr: '',
      truncated: false,
      error: null,
    };
    expect(ResultMessage.safeParse({ type: 'result', result }).success).toBe(true);
    expect(ResultMessage.safeParse({ type: 'result', result: { ...result, finishedAt: 1e300 } }).success).toBe(false);
    expect(ResultMessage.safeParse({ type: 'result', result: { ...result, startedAt: 1e300 } }).success).toBe(false);
    expect(ResultMessage.safeParse({ type: 'result', result: { ...result, exitCode: 2 ** 40 } }).success).toBe(false);
    expect(StartedMessage.safeParse({ type: 'started', id: 'c1', at: 1e300 }).success).toBe(false);
    expect(StartedMessage.safeParse({ type: 'started', id: 'c1', at: 1.5 }).success).toBe(false);
  });
});

describe('capacity bounds', () => {
  const T = 1_800_000_000_000;
  const host = (over: Partial<MetricSample> & { rx?: number }) => sample({ t: T, uptimeSec: 1_000, ...over });
  const first = account(null, host({}), DEFAULT_LIMITS, null, T)?.baseline ?? null;

  it('bounds the elapsed time by the master clock, so a century of claimed uptime buys no capacity', () => {
    const lie = host({ t: T + 2_000, uptimeSec: MAX_UPTIME_SEC, rx: 1e13 });
    expect(account(first, lie, DEFAULT_LIMITS, null, T + 2_000)?.rejected).toHaveLength(1);
    // Without the master's clock (an old baseline) the host's uptime is all there is.
    expect(account(first, lie)?.rejected).toHaveLength(0);
  });

  it('refuses packets, disk bytes and a host total beyond what hardware moves', () => {
    const next = (over: Partial<MetricSample>) =>
      account(first, host({ t: T + 2_000, uptimeSec: 1_002, ...over }), DEFAULT_LIMITS, null, T + 2_000);
    const packets = next({
      net: [{ name: 'eth0', rxBytes: 0, txBytes: 0, rxPackets: 1e15, txPackets: 0, speedMbps: null }],
    });
    expect(packets?.net.rxPackets).toBe(0);
    expect(packets?.rejected[0]?.iface).toBe('eth0');
    const disk = account(
      { ...(first as NonNullable<typeof first>), diskIo: { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 } },
      host({ t: T + 2_000, uptimeSec: 1_002, diskIo: { readBytes: 1e15, writeBytes: 0, reads: 1, writes: 0 } }),
      DEFAULT_LIMITS,
      null,
      T + 2_000,
    );
    expect(disk?.diskIo.readBytes).toBe(0);
    expect(disk?.rejected[0]?.iface).toBe('disk');
    // 256 interfaces each within 400 Gbit/s, together 100 Tbit/s over 2 s: none counts.
    const names = Array.from({ length: 256 }, (_, i) => `veth${i}`);
    const many = (rx: number) =>
      names.map((name) => ({ name, rxBytes: rx, txBytes: 0, rxPackets: 0, txPackets: 0, speedMbps: null }));
    const base = account(null, host({ net: many(0) }), DEFAULT_LIMITS, null, T)?.baseline ?? null;
    const flood = account(
      base,
      host({ t: T + 2_000, uptimeSec: 1_002, net: many(100e9) }),
      DEFAULT_LIMITS,
      null,
      T + 2_000,
    );
    expect(flood?.net.rxBytes).toBe(0);
    expect(flood?.rejected.some((r) => r.iface === '*')).toBe(true);
  });

  it('takes a link speed beyond 400 Gbit/s as the 400 Gbit/s ceiling', () => {
    const fast = (rx: number) => [
      { name: 'eth0', rxBytes: rx, txBytes: 0, rxPackets: 0, txPackets: 0, speedMbps: 4_294_967_295 },
    ];
    const base = account(null, host({ net: fast(0) }), DEFAULT_LIMITS, null, T)?.baseline ?? null;
    const r = account(base, host({ t: T + 2_000, uptimeSec: 1_002, net: fast(1e12) }), DEFAULT_LIMITS, null, T + 2_000);
    expect(r?.rejected).toHaveLength(1);
  });
});

describe.each(storeTargets())('poison values on $name', (target) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const open = async () => {
    const { store, cleanup } = await target.open();
    cleanups.push(cleanup);
    const registry = new NodeRegistry(store.db, new EventBus());
    const node = async (name: string) => (await registry.create({ name })).node.id;
    return { store, node };
  };
  const service = (store: Store, spooled: boolean, flushIntervalMs = 3_600_000) =>
    new MetricsService(store.db, store.dialect, new EventBus(), silentLogger, {
      flushIntervalMs,
      spool: spooled ? { file: join(tempDir(), 'metrics-spool.jsonl'), instanceId: 'i-1' } : null,
      stuckAfterMs: 1_000,
    });
  const minutesOf = (store: Store, nodeId: string) =>
    store.db.selectFrom('metric_minutes').selectAll().where('node_id', '=', nodeId).execute();

  it('sets aside a row the database refuses and writes every other row of the batch', async () => {
    const { store, node } = await open();
    const [poisoned, healthy] = [await node('poisoned'), await node('healthy')];
    const bucket = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    // NaN binds as NULL on SQLite (NOT NULL refuses it) and as the bare word NaN on MariaDB (an unknown column).
    const bad = { ...emptyRow(poisoned, bucket), samples: 1, load_samples: 1, load_sum: Number.NaN };
    const good = { ...emptyRow(healthy, bucket), samples: 1, rx_bytes: 1_234 };
    const baseline = (t: number) => ({ bootId: 'b', uptimeSec: 1, t, net: {}, diskIo: null, cpu: null });
    const batch: RollupBatch = {
      minutes: [bad, good],
      hours: [],
      days: [{ node_id: healthy, day: '2026-12-02', rx_bytes: 1_234, tx_bytes: 0 }],
      baselines: [
        { nodeId: poisoned, baseline: baseline(1) },
        { nodeId: healthy, baseline: baseline(2) },
      ],
    };
    const outcome = await writeRollups(store.db, store.dialect, batch, silentLogger, {
      instanceId: 'i-1',
      seq: 1,
      applied: new Set(),
    });
    expect(outcome).toMatchObject({ failed: [], applied: [0], setAside: 1 });
    expect((await minutesOf(store, healthy)).map((r) => Number(r.rx_bytes))).toEqual([1_234]);
    expect(await minutesOf(store, poisoned)).toEqual([]);
    const baselines = await store.db.selectFrom('metric_baselines').select('node_id').execute();
    expect(baselines.map((b) => b.node_id).sort()).toEqual([healthy, poisoned].sort());
    // Applied exactly once: a replay of the same spooled batch writes nothing more.
    await writeRollups(store.db, store.dialect, batch, silentLogger, { instanceId: 'i-1', seq: 1, applied: new Set() });
    expect((await minutesOf(store, healthy)).map((r) => Number(r.rx_bytes))).toEqual([1_234]);
  });

  it('keeps the spool draining for every node when one node sends a 1e308 load', async () => {
    const { store, node } = await open();
    const [poisoned, healthy] = [await node('poisoned'), await node('healthy')];
    const metrics = service(store, true);
    await metrics.start();
    const now = Date.now();
    // Past the schema (as it was): two samples in one minute sum to Infinity.
    for (const [i, load] of [1e308, 1e308, 1e308].entries()) {
      metrics.ingest(
        poisoned,
        frame(sample({ t: now + i * 2_000, uptimeSec: 1_000 + i * 2, load: [load, 0, 0] })),
        now + i * 2_000,
      );
      metrics.ingest(
        healthy,
        frame(sample({ t: now + i * 2_000, uptimeSec: 1_000 + i * 2, rx: i * 1_000 })),
        now + i * 2_000,
      );
    }
    await metrics.flush();
    expect(metrics.spoolBacklog).toEqual({ batches: 0, oldestAt: null });
    expect((await minutesOf(store, healthy)).reduce((sum, r) => sum + Number(r.rx_bytes), 0)).toBe(2_000);
    const health = metrics.writeHealth();
    expect(health.stuck).toBe(false);
    // MariaDB refuses the Infinity row (set aside); SQLite stores an infinite REAL.
    if (store.dialect === 'mariadb') expect(health.rowsSetAside).toBeGreaterThan(0);
    await metrics.stop();
  });

  it('reports rollups that stop reaching the database as stuck', async () => {
    const { store, node } = await open();
    const nodeId = await node('stuck');
    const metrics = service(store, false, 1_000);
    await metrics.start();
    const now = Date.now();
    metrics.ingest(nodeId, frame(sample({ t: now, rx: 0 })), now);
    metrics.ingest(nodeId, frame(sample({ t: now + 2_000, uptimeSec: 1_002, rx: 10 })), now + 2_000);
    // Not a data error: the table is gone, so the batch is kept and retried, and health must say so.
    await store.db.schema.dropTable('metric_hours').execute();
    await metrics.flush();
    const health = metrics.writeHealth(Date.now() + 60_000);
    expect(health).toMatchObject({ stuck: true, rowsSetAside: 0 });
    expect(health.oldestAgeSec).toBeGreaterThanOrEqual(60);
    await metrics.stop();
  });

  it('lands samples of t = 1 and t = 2^53 - 1 within the frame before its receipt, never throwing', async () => {
    const { store, node } = await open();
    const nodeId = await node('clockless');
    const metrics = service(store, false);
    await metrics.start();
    const now = Date.now();
    metrics.ingest(nodeId, frame(sample({ t: now - 2_000, uptimeSec: 998 })), now - 2_000);
    expect(() =>
      metrics.ingest(
        nodeId,
        frame(sample({ t: 1, uptimeSec: 1_000, rx: 10 }), sample({ t: 2 ** 53 - 1, uptimeSec: 1_002, rx: 20 })),
        now,
      ),
    ).not.toThrow();
    await metrics.flush();
    const rows = await minutesOf(store, nodeId);
    for (const r of rows) {
      expect(Number(r.bucket)).toBeGreaterThanOrEqual(Math.floor((now - 2 * 2_000 - 2_000) / MINUTE_MS) * MINUTE_MS);
      expect(Number(r.bucket)).toBeLessThanOrEqual(now);
    }
    const days = await store.db.selectFrom('traffic_days').selectAll().where('node_id', '=', nodeId).execute();
    const today = new DayCalendar('UTC');
    expect(days.map((d) => d.day).every((d) => [today.dayOf(now), today.dayOf(now - 6_000)].includes(d))).toBe(true);
    expect(days.reduce((sum, d) => sum + Number(d.rx_bytes), 0)).toBe(20);
    await metrics.stop();
  });

  it('adds no traffic for a claimed century of uptime, on the same boot or a new one', async () => {
    const { store, node } = await open();
    const nodeId = await node('liar');
    const metrics = service(store, false);
    await metrics.start();
    const now = Date.now();
    const nine = 9e15; // 9 PB
    metrics.ingest(nodeId, frame(sample({ t: now, uptimeSec: 1_000, rx: 0 })), now);
    metrics.ingest(nodeId, frame(sample({ t: now + 2_000, uptimeSec: MAX_UPTIME_SEC, rx: nine })), now + 2_000);
    const rebooted = sample({ t: now + 4_000, bootId: 'boot-2', uptimeSec: MAX_UPTIME_SEC, rx: nine });
    metrics.ingest(nodeId, frame(rebooted), now + 4_000);
    // An honest sample afterwards still counts.
    const honest = sample({ t: now + 6_000, bootId: 'boot-2', uptimeSec: MAX_UPTIME_SEC + 2, rx: nine + 5_000 });
    metrics.ingest(nodeId, frame(honest), now + 6_000);
    expect(metrics.totals(nodeId).rx).toBe(5_000);
    expect(metrics.deltasRejected).toBe(2);
    await metrics.flush();
    const days = await store.db.selectFrom('traffic_days').selectAll().where('node_id', '=', nodeId).execute();
    expect(days.reduce((sum, d) => sum + Number(d.rx_bytes), 0)).toBe(5_000);
    await metrics.stop();
    // After a master restart the stored baseline still knows when (on the master's clock) it was taken.
    const restarted = service(store, false);
    await restarted.start();
    const lie = sample({ t: now + 8_000, bootId: 'boot-2', uptimeSec: MAX_UPTIME_SEC + 1e6, rx: 2 * nine });
    restarted.ingest(nodeId, frame(lie), now + 8_000);
    expect(restarted.totals(nodeId).rx).toBe(0);
    expect(restarted.deltasRejected).toBe(1);
    await restarted.stop();
  });
});
