// Shared mode hands a node's traffic counting from one master to the next through the baseline in the
// database (issue 24, item 5). These tests take the hand-over apart on a real MariaDB: a sample that
// arrives while the baseline is being read, a database outage during that read, and a release that has
// not reached the database when another instance adopts the node — the total must equal what the
// counters moved, neither less (bytes taken as a first sample) nor more (two instances counting them).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HelloMessage, MetricSample } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { Adoption, MAX_HELD_SAMPLES } from '../../main/core/metrics/adoption.js';
import { HOUR_MS } from '../../main/core/metrics/calendar.js';
import { MetricsService } from '../../main/core/metrics/metrics-service.js';
import { trafficReport } from '../../main/core/metrics/queries.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { openStore, type Store } from '../../main/core/store/store.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { metricsFrame, rxSample } from '../helpers/metric-samples.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { CuttableProxy } from '../helpers/tcp-proxy.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

const sample = (t: number, rx: number) => rxSample(t, rx, { uptimeSec: (t - T0) / 1000 + 1_000 });
const frame = (s: MetricSample) => metricsFrame(s);

const hello: HelloMessage = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'test',
  facts: { hostname: 'h', os: 'linux', platform: 'linux', arch: 'x64', kernel: '6', bootId: 'boot-1' },
  capabilities: { exec: true, files: false, filesWrite: false, roots: [] },
  running: [],
};

/** Bytes received over the test's hour, as the traffic report gives them. */
async function rxBytes(store: Store, metrics: MetricsService): Promise<number> {
  const range = { from: T0 - 60_000, to: T0 + HOUR_MS, limit: 50 };
  return (await trafficReport(store.db, metrics, range, 48 * HOUR_MS, T0 + 1)).rxBytes;
}

describe.runIf(hasMariadb())('shared-mode baseline hand-over', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  /** A fresh database reached directly and through a proxy the test can cut. */
  async function database() {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(await proxy.start());
    cleanup.push(() => proxy.stop());
    const direct = await openStore(db.url);
    cleanup.push(() => direct.close());
    const proxied = await openStore(viaProxy.href);
    cleanup.push(() => proxied.close());
    const nodeId = (await new NodeRegistry(direct.db, new EventBus()).create({ name: 'handed-over' })).node.id;
    return { proxy, direct, proxied, nodeId };
  }

  /** One master instance's metrics on `store`, with a spool of its own; flushes when the test says. */
  async function instance(store: Store, instanceId: string) {
    const registry = new NodeRegistry(store.db, new EventBus(), Date.now, instanceId);
    const spool = { file: join(tempDir(), 'metrics-spool.jsonl'), instanceId };
    const metrics = new MetricsService(store.db, 'mariadb', new EventBus(), silentLogger, {
      spool,
      flushIntervalMs: 3_600_000,
    });
    await metrics.start();
    cleanup.push(() => metrics.stop());
    /** What the gateway does when the agent connects: record the holder, then adopt. */
    const connect = async (nodeId: string) => {
      await registry.markOnline(nodeId, hello, '127.0.0.1', 'agent connected');
      return metrics.adopt(nodeId);
    };
    return { metrics, registry, connect };
  }

  it('counts a sample that arrives while the baseline is read from the stored baseline', async () => {
    const { direct, nodeId } = await database();
    const a = await instance(direct, 'instance-a');
    await a.connect(nodeId);
    a.metrics.ingest(nodeId, frame(sample(T0, 1_000)), T0);
    a.metrics.ingest(nodeId, frame(sample(T0 + 2_000, 5_000)), T0 + 2_000); // +4,000
    await a.metrics.release(nodeId);

    // The agent reconnects to another instance; its first frame lands before the read returns.
    const b = await instance(direct, 'instance-b');
    await b.registry.markOnline(nodeId, hello, '127.0.0.1', 'agent connected');
    const adopted = b.metrics.adopt(nodeId);
    b.metrics.ingest(nodeId, frame(sample(T0 + 30_000, 9_000)), T0 + 30_000); // +4,000 while away
    await adopted;
    b.metrics.ingest(nodeId, frame(sample(T0 + 32_000, 9_500)), T0 + 32_000); // +500
    await b.metrics.flush();
    expect(await rxBytes(direct, b.metrics)).toBe(8_500);
  }, 30_000);

  it('keeps adopting through a database outage and counts what arrived meanwhile', async () => {
    const { proxy, direct, proxied, nodeId } = await database();
    const a = await instance(direct, 'instance-a');
    await a.connect(nodeId);
    a.metrics.ingest(nodeId, frame(sample(T0, 1_000)), T0);
    a.metrics.ingest(nodeId, frame(sample(T0 + 2_000, 5_000)), T0 + 2_000); // +4,000
    await a.metrics.release(nodeId);

    // B records the agent online, then loses the database before it has read the baseline.
    const b = await instance(proxied, 'instance-b');
    await b.registry.markOnline(nodeId, hello, '127.0.0.1', 'agent connected');
    await proxy.cut();
    let settled = false;
    const adopted = b.metrics.adopt(nodeId).finally(() => {
      settled = true;
    });
    for (let i = 1; i <= 5; i++) {
      const t = T0 + 30_000 + i * 2_000;
      b.metrics.ingest(nodeId, frame(sample(t, 9_000 + i * 100)), t); // 9,100 … 9,500
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await proxy.restore();
    await waitFor(async () => settled, 'the adoption to finish once the database is back', 20_000);
    await adopted;
    b.metrics.ingest(nodeId, frame(sample(T0 + 50_000, 10_000)), T0 + 50_000);
    await b.metrics.flush();
    expect(b.metrics.spoolBacklog?.batches).toBe(0);
    expect(await rxBytes(direct, b.metrics)).toBe(9_000);
  }, 60_000);

  it('does not count twice what a release still held in its spool when another instance adopted', async () => {
    const { proxy, direct, proxied, nodeId } = await database();
    const a = await instance(proxied, 'instance-a');
    await a.connect(nodeId);
    a.metrics.ingest(nodeId, frame(sample(T0, 1_000)), T0);
    a.metrics.ingest(nodeId, frame(sample(T0 + 2_000, 5_000)), T0 + 2_000); // +4,000
    await a.metrics.flush();
    // A loses the database; the agent's last frame and its release reach only A's spool.
    await proxy.cut();
    a.metrics.ingest(nodeId, frame(sample(T0 + 4_000, 7_000)), T0 + 4_000); // +2,000
    await a.metrics.release(nodeId);
    expect(a.metrics.spoolBacklog?.batches).toBe(1);

    // B adopts from the stored baseline (5,000) and counts everything since, A's 2,000 included.
    const b = await instance(direct, 'instance-b');
    await b.connect(nodeId);
    b.metrics.ingest(nodeId, frame(sample(T0 + 30_000, 10_000)), T0 + 30_000); // +5,000
    await b.metrics.flush();
    expect(await rxBytes(direct, b.metrics)).toBe(9_000);

    // A's database returns: its spooled batch of the node B took over must not add those bytes again
    // nor move the stored baseline back.
    await proxy.restore();
    await a.metrics.flush();
    expect(a.metrics.spoolBacklog?.batches).toBe(0);
    expect(await rxBytes(direct, b.metrics)).toBe(9_000);
    await b.metrics.release(nodeId);
    const c = await instance(direct, 'instance-c');
    await c.connect(nodeId);
    c.metrics.ingest(nodeId, frame(sample(T0 + 40_000, 10_250)), T0 + 40_000); // +250
    await c.metrics.flush();
    expect(await rxBytes(direct, c.metrics)).toBe(9_250);
  }, 60_000);
});

describe('samples held during an adoption', () => {
  const hold = (adoption: Adoption, i: number, bootId: string) =>
    adoption.hold({ sample: { ...sample(T0 + i * 1_000, i * 100), bootId }, t: T0 + i * 1_000, intervalMs: 1_000 });

  it('are bounded per node, keeping the newest and the last sample of each boot', () => {
    const adoption = new Adoption();
    for (let i = 1; i <= 10; i++) hold(adoption, i, 'boot-1');
    for (let i = 11; i <= 100; i++) hold(adoption, i, 'boot-2');
    expect(adoption.held).toHaveLength(MAX_HELD_SAMPLES);
    expect(adoption.held.map((h) => h.sample.bootId).filter((b) => b === 'boot-1')).toHaveLength(1);
    expect(adoption.held[0]?.sample.net?.[0]?.rxBytes).toBe(1_000); // boot-1's last: its bytes up to the reboot
    expect(adoption.held.at(-1)?.sample.net?.[0]?.rxBytes).toBe(10_000);
  });
});
