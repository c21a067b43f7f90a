// Live metrics reach subscribers through /api/events at about one event per second, however many
// agents report, and the live endpoint serves the recent ring from memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNode,
  type MasterHandle,
  openEventStream,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
} from '../helpers/processes.js';

interface MetricsEvent {
  t: number;
  nodes: Array<{ nodeId: string; cpu: number | null; memUsed: number | null; memTotal: number | null }>;
}

describe('live metrics', () => {
  let master: MasterHandle;
  const agents: Proc[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    master = await startMaster();
    for (let i = 0; i < 3; i++) {
      const { node, token } = await createNode(master, `live-${i}`);
      ids.push(node.id);
      agents.push(startAgent({ master, token, args: ['--metrics-interval-sec', '1'] }));
    }
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await master?.proc.stop();
  });

  it('coalesces every node into at most about one event per second', async () => {
    const stream = await openEventStream(master);
    const events: MetricsEvent[] = [];
    const seen = new Set<string>();
    let text = '';
    const started = Date.now();
    while (Date.now() - started < 6_000) {
      text += await stream.read();
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const match = /^event: metrics\ndata: (.*)$/s.exec(block);
        if (match) {
          const event = JSON.parse(match[1] as string) as MetricsEvent;
          events.push(event);
          for (const n of event.nodes) seen.add(n.nodeId);
        }
        end = text.indexOf('\n\n');
      }
    }
    stream.close();
    const seconds = (Date.now() - started) / 1000;
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    for (const id of ids) expect(seen.has(id)).toBe(true);
    for (const event of events) {
      expect(new Set(event.nodes.map((n) => n.nodeId)).size).toBe(event.nodes.length);
    }
    const sample = events.flatMap((e) => e.nodes).find((n) => n.nodeId === ids[0]);
    expect(sample?.memTotal).toBeGreaterThan(0);
  });

  it('serves the latest sample and the recent ring from memory', async () => {
    const live = await waitFor(
      async () => {
        const view = await master.client.liveMetrics({ id: ids[0] as string });
        return view.recent.t.length >= 3 ? view : undefined;
      },
      'three samples in the ring',
      15_000,
    );
    expect(live.latest?.cpu?.usage).toBeGreaterThanOrEqual(0);
    expect([...live.recent.t].sort((a, b) => a - b)).toEqual(live.recent.t);
    expect(live.recent.cpu.length).toBe(live.recent.t.length);
    const missing = await master.failure('liveMetrics', { id: 'nope' });
    expect(missing.status).toBe(404);
  });
});
