// The ≈1 Hz live-metrics tick on the bus, and on the admin event stream: a tick of many nodes comes
// as events of at most METRICS_EVENT_NODES (a browser parses each in one task), and a subscriber that
// reads too slowly misses whole ticks, never the same part of every tick.
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../main/contract/contract.js';
import { METRICS_EVENT_NODES, type NodeLive } from '../../main/contract/metrics-schemas.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { MetricsService } from '../../main/core/metrics/metrics-service.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { openStore } from '../../main/core/store/store.js';
import { EventStreams } from '../../main/server/event-stream.js';
import { metricSample, metricsFrame } from '../helpers/metric-samples.js';
import { tempDir, waitFor } from '../helpers/processes.js';

type MetricsData = Extract<AnyEvent, { event: 'metrics' }>['data'];

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('the live-metrics tick', () => {
  it('carries 600 reporting nodes as 3 events of one tick (250, 250, 100), each node once', async () => {
    const store = await openStore(join(tempDir(), 'store.db'));
    cleanup.push(() => store.close());
    const bus = new EventBus();
    const registry = new NodeRegistry(store.db, bus);
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) ids.push((await registry.create({ name: `n-${i}` })).node.id);
    const metrics = new MetricsService(store.db, store.dialect, bus, silentLogger);
    await metrics.start();
    cleanup.push(() => metrics.stop());
    const ticks: MetricsData[] = [];
    cleanup.push(bus.subscribe((m) => m.event === 'metrics' && ticks.push(m.data)));
    const now = Date.now();
    for (const id of ids) metrics.ingest(id, metricsFrame(metricSample({ t: now })), now);
    await waitFor(() => ticks.length >= 3, 'the first tick', 5_000);
    expect(ticks.map((t) => t.nodes.length)).toEqual([METRICS_EVENT_NODES, METRICS_EVENT_NODES, 100]);
    expect(new Set(ticks.map((t) => t.t)).size).toBe(1);
    expect(new Set(ticks.flatMap((t) => t.nodes.map((n) => n.nodeId)))).toEqual(new Set(ids));
  });
});

describe('the admin event stream and a slow reader', () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('skips whole ticks for a reader that falls behind and writes every tick it does not skip whole', async () => {
    const bus = new EventBus();
    const streams = new EventStreams(bus);
    cleanup.push(() => streams.close());
    server = createServer((req, res) => streams.open(req, res, {}));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    // A reader that reads nothing until the ticks are written: the socket's buffers fill, then the
    // stream's own backlog grows, and later ticks are skipped.
    const response = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/`, resolve));
    // Its headers came: the server has registered it (open() does both at once).
    response.pause();
    const perTick = 8 * METRICS_EVENT_NODES;
    const nodes = Array.from({ length: perTick }, (_v, i) => headline(`node-${i}`));
    const ticks = 40;
    for (let t = 1; t <= ticks; t++) {
      for (let i = 0; i < perTick; i += METRICS_EVENT_NODES) {
        bus.emit('metrics', { t, nodes: nodes.slice(i, i + METRICS_EVENT_NODES) });
      }
      // The loop turns between ticks, as between the master's ticks: the socket drains what it can.
      await new Promise((r) => setImmediate(r));
    }
    bus.emit('nodeDeleted', { nodeId: 'the-end' });
    const text = await readUntil(response, 'the-end');
    const perT = new Map<number, number>();
    for (const match of text.matchAll(/^event: metrics\ndata: (.*)$/gm)) {
      const data = JSON.parse(match[1] as string) as MetricsData;
      perT.set(data.t, (perT.get(data.t) ?? 0) + data.nodes.length);
    }
    expect(perT.size).toBeGreaterThan(0);
    expect(perT.size).toBeLessThan(ticks);
    for (const count of perT.values()) expect(count).toBe(perTick);
  });
});

function headline(nodeId: string): NodeLive {
  return {
    nodeId,
    t: 1,
    cpu: 12.5,
    memUsed: 2e9,
    memTotal: 8e9,
    diskUsed: 1e10,
    diskTotal: 1e11,
    rxBps: 1234.5,
    txBps: 678.9,
    load1: 0.5,
    uptimeSec: 86_400,
  };
}

/** The stream's text up to the event that names `marker`. */
function readUntil(response: IncomingMessage, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes(marker)) {
        response.destroy();
        resolve(text);
      }
    });
    response.on('error', reject);
    response.resume();
  });
}
