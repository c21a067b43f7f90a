// The shared-mode metrics spool against a real MariaDB reached through a proxy the test cuts: batches
// written while the database is away are kept on disk, survive a crash, and reach the database exactly
// once — also when a replay is repeated (the spool file restored to before it was trimmed).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { HOUR_MS } from '../../main/core/metrics/calendar.js';
import { MetricsService } from '../../main/core/metrics/metrics-service.js';
import { trafficReport } from '../../main/core/metrics/queries.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { openStore, type Store } from '../../main/core/store/store.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { metricsFrame, rxSample } from '../helpers/metric-samples.js';
import { tempDir } from '../helpers/processes.js';
import { CuttableProxy } from '../helpers/tcp-proxy.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

const sample = (t: number, rx: number) => rxSample(t, rx, { uptimeSec: (t - T0) / 1000 + 1_000 });
const frame = (s: MetricSample) => metricsFrame(s);

/** Bytes received over the test's hour, as the traffic report gives them. */
async function rxBytes(store: Store, metrics: MetricsService): Promise<number> {
  const range = { from: T0 - 60_000, to: T0 + HOUR_MS, limit: 50 };
  return (await trafficReport(store.db, metrics, range, 48 * HOUR_MS, T0 + 1)).rxBytes;
}

describe.runIf(hasMariadb())('metrics spool', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('keeps batches through an outage and a crash, and applies each exactly once', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const url = new URL(db.url);
    url.port = String(await proxy.start());
    cleanup.push(() => proxy.stop());
    const store: Store = await openStore(url.href);
    cleanup.push(() => store.close());
    const nodeId = (await new NodeRegistry(store.db, new EventBus()).create({ name: 'spooled' })).node.id;
    const dir = tempDir();
    const spool = { file: join(dir, 'metrics-spool.jsonl'), instanceId: 'instance-a' };
    // A master process on this database and spool file (flushes only when the test says so).
    const metricsWithSpool = () =>
      new MetricsService(store.db, 'mariadb', new EventBus(), silentLogger, { spool, flushIntervalMs: 3_600_000 });
    const total = (metrics: MetricsService) => rxBytes(store, metrics);

    const first = metricsWithSpool();
    await first.start();
    first.ingest(nodeId, frame(sample(T0, 1_000)), T0);
    first.ingest(nodeId, frame(sample(T0 + 2_000, 5_000)), T0 + 2_000); // +4,000
    await first.flush();
    await proxy.cut();
    first.ingest(nodeId, frame(sample(T0 + 4_000, 7_000)), T0 + 4_000); // +2,000 while the database is away
    await first.flush();
    first.ingest(nodeId, frame(sample(T0 + 6_000, 10_000)), T0 + 6_000); // +3,000
    await first.flush();
    expect(first.spoolBacklog?.batches).toBe(2);
    // The process dies here; only the spool file remembers the last 5,000 bytes.
    const snapshot = join(dir, 'spool-before-replay.jsonl');
    copyFileSync(spool.file, snapshot);
    await proxy.restore();

    const second = metricsWithSpool();
    await second.start();
    await second.flush();
    expect(second.spoolBacklog?.batches).toBe(0);
    expect(existsSync(spool.file) ? readFileSync(spool.file, 'utf8') : '').toBe('');
    expect(await total(second)).toBe(9_000);
    // The next sample counts from the spooled baseline, not from the older one in the database.
    second.ingest(nodeId, frame(sample(T0 + 8_000, 10_500)), T0 + 8_000);
    await second.flush();
    expect(await total(second)).toBe(9_500);

    // A crash after the rows committed but before the spool was trimmed replays it: nothing doubles.
    copyFileSync(snapshot, spool.file);
    const third = metricsWithSpool();
    await third.start();
    await third.flush();
    expect(third.spoolBacklog?.batches).toBe(0);
    expect(await total(third)).toBe(9_500);
    // …and a new batch of this process is not mistaken for one applied before.
    third.ingest(nodeId, frame(sample(T0 + 10_000, 11_000)), T0 + 10_000);
    await third.flush();
    expect(await total(third)).toBe(10_000);
  }, 30_000);

  it('agents leaving together share flushes while the rest keep reporting, and nothing is lost', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const store: Store = await openStore(db.url);
    cleanup.push(() => store.close());
    const registry = new NodeRegistry(store.db, new EventBus());
    const ids: string[] = [];
    for (let i = 0; i < 41; i++) ids.push((await registry.create({ name: `node-${i}` })).node.id);
    const [staying, ...leaving] = ids as [string, ...string[]];
    const spool = { file: join(tempDir(), 'metrics-spool.jsonl'), instanceId: 'instance-a' };
    const metrics = new MetricsService(store.db, 'mariadb', new EventBus(), silentLogger, {
      spool,
      flushIntervalMs: 3_600_000,
    });
    await metrics.start();
    for (const id of ids) metrics.ingest(id, frame(sample(T0, 1_000)), T0);
    for (const id of leaving) metrics.ingest(id, frame(sample(T0 + 2_000, 1_250)), T0 + 2_000); // +250 each
    const before = metrics.flushes;
    // 40 agents leave at once while another keeps reporting (+10 per sample, every millisecond).
    let reported = 0;
    const reporter = setInterval(() => {
      reported += 1;
      const t = T0 + 4_000 + reported * 100;
      metrics.ingest(staying, frame(sample(t, 1_000 + reported * 10)), t);
    }, 1);
    const releases = leaving.map((id) => metrics.release(id));
    await Promise.all(releases);
    clearInterval(reporter);
    await metrics.flush();
    // One flush per leaving agent would be 40 spool appends and database writes.
    expect(metrics.flushes - before).toBeLessThan(10);
    expect(metrics.headlines().filter((h) => leaving.includes(h.nodeId))).toEqual([]);
    expect(await rxBytes(store, metrics)).toBe(40 * 250 + reported * 10);
    await metrics.stop();
  }, 30_000);

  it('keeps a batch in memory when the spool file cannot be written, and writes it once it can', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const store: Store = await openStore(db.url);
    cleanup.push(() => store.close());
    const nodeId = (await new NodeRegistry(store.db, new EventBus()).create({ name: 'spooled' })).node.id;
    const missingDir = join(tempDir(), 'not-yet');
    const spool = { file: join(missingDir, 'metrics-spool.jsonl'), instanceId: 'instance-a' };
    const metrics = new MetricsService(store.db, 'mariadb', new EventBus(), silentLogger, {
      spool,
      flushIntervalMs: 3_600_000,
    });
    await metrics.start();
    metrics.ingest(nodeId, frame(sample(T0, 1_000)), T0);
    metrics.ingest(nodeId, frame(sample(T0 + 2_000, 4_000)), T0 + 2_000); // +3,000
    await metrics.flush(); // the spool's directory is missing: nothing may be lost
    mkdirSync(missingDir);
    await metrics.flush();
    expect(await rxBytes(store, metrics)).toBe(3_000);
    expect(metrics.spoolBacklog?.batches).toBe(0);
    await metrics.stop();
  }, 30_000);
});
