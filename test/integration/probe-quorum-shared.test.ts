// Quorum across a cluster: two real masters on one MariaDB, one vantage point connected to each.
// Only the leader decides a probe's verdict, and only it would hear its own agent's results; the
// other instance tells it what its agent reported (the event relay's peer messages). Quorum 2 of 2:
// the probe can only go down if the leader counts the vantage point it does not hold, and both
// instances show both vantage points' results.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMariadb } from '../helpers/databases.js';
import { createNode, type MasterHandle, type Proc, startAgent, waitForStatus } from '../helpers/processes.js';
import { twoMasters } from '../helpers/two-masters.js';

describe.runIf(hasMariadb())('probe quorum on two masters', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let a: MasterHandle;
  let b: MasterHandle;
  const ids: string[] = [];
  let failing = false;
  const target = http.createServer((_req, res) => res.writeHead(failing ? 503 : 200).end('ok'));

  beforeAll(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => target.close(() => r())));
    const pair = await twoMasters({ share: ['cluster.key'] });
    cleanup.push(pair.close);
    ({ a, b } = pair);
    for (const [i, master] of [a, b].entries()) {
      const created = await createNode(a, `vantage-${i}`);
      const proc: Proc = startAgent({ master, token: created.token, fingerprint: a.fingerprint });
      cleanup.push(() => proc.stop());
      ids.push(created.node.id);
      await waitForStatus(a, created.node.id, 'online', 30_000);
    }
  }, 120_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('the leader counts the vantage point connected to the other instance', async () => {
    const port = (target.address() as AddressInfo).port;
    const probe = await a.client.createProbe({
      name: 'shop',
      target: { kind: 'http', url: `http://127.0.0.1:${port}/` },
      intervalSec: 10,
      timeoutMs: 2_000,
      vantage: { master: false, nodeIds: ids },
      quorum: 2,
    });
    const fresh = async (m: MasterHandle) =>
      (await m.client.getProbe({ id: probe.id })).vantages.filter((v) => v.fresh && v.ok === true).length;
    // Each instance holds one agent, yet each shows both results.
    await expect.poll(() => fresh(a), { timeout: 45_000, interval: 500 }).toBe(2);
    await expect.poll(() => fresh(b), { timeout: 15_000, interval: 500 }).toBe(2);
    expect((await a.client.getProbe({ id: probe.id })).state).toBe('up');

    failing = true;
    // Down from 2 of 2: the leader (whichever it is) must have counted both.
    const state = async (m: MasterHandle) => (await m.client.getProbe({ id: probe.id })).state;
    await expect.poll(() => state(a), { timeout: 45_000, interval: 500 }).toBe('down');
    await expect.poll(() => state(b), { timeout: 15_000, interval: 500 }).toBe('down');
    // The verdict is recorded once (by the leader), and its reason names both vantage points.
    const today = async () => (await b.client.probeUptime({ ids: probe.id, days: 1 })).probes[0]?.days[0];
    await expect.poll(async () => (await today())?.outageCount, { timeout: 15_000 }).toBe(1);
    expect((await today())?.outages[0]?.reason).toMatch(/^down from 2 of 2 vantage points: HTTP 503/);
    // Each result was rolled up once, by the instance its agent reported to.
    const series = await a.client.probeSeries({
      id: probe.id,
      resolution: 'hour',
      from: Date.now() - 3_600_000,
      to: Date.now() + 3_600_000,
      vantage: ids[1] as string,
    });
    const runs = series.points.reduce((n, p) => n + p.runs, 0);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(6);
  }, 150_000);
});
