// GET /metrics as Prometheus sees it: the exposition passes `promtool check metrics` (Debian's
// prometheus package), carries the instance, build and runtime series, counts every node status (0
// included), and shows each node's series on exactly one instance of a two-master cluster — the one
// its agent is connected to, or the leader for a node connected nowhere.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';
import { twoMasters } from '../helpers/two-masters.js';

const promtoolFound = spawnSync('promtool', ['--version']).status === 0;
const hasPromtool = () =>
  serviceAvailable('promtool', promtoolFound, 'install it with "apt-get install prometheus" (Debian)');

async function scrape(master: MasterHandle): Promise<string> {
  const response = await fetch(new URL('/metrics', master.adminUrl), {
    headers: { authorization: `Bearer ${master.adminToken}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** promtool's verdict: its exit code and what it complained about (nothing when clean). */
function promtool(text: string): { status: number | null; problems: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, problems: `${run.stdout}${run.stderr}`.trim() };
}

const value = (text: string, series: string) => {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
};

/** Every sample line naming this node id. */
const seriesOf = (text: string, nodeId: string) =>
  text.split('\n').filter((line) => !line.startsWith('#') && line.includes(`node_id="${nodeId}"`));

describe.runIf(hasPromtool())('Prometheus exposition', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  describe('one master (SQLite) with an agent', () => {
    let master: MasterHandle;
    let nodeId: string;
    beforeAll(async () => {
      master = await startMaster();
      cleanup.push(() => master.proc.stop());
      const created = await createNode(master, 'prom-web-1');
      nodeId = created.node.id;
      const agent: Proc = startAgent({ master, token: created.token, args: ['--metrics-interval-sec', '1'] });
      cleanup.push(() => agent.stop());
      await waitForStatus(master, nodeId, 'online');
    }, 60_000);

    it('passes promtool and carries the instance, build, runtime and fleet series', async () => {
      const text = await waitFor(async () => {
        const t = await scrape(master);
        return value(t, `fleetdeck_node_load1{node_id="${nodeId}"}`) !== undefined ? t : null;
      }, "the agent's first sample in /metrics");
      expect(promtool(text)).toEqual({ status: 0, problems: '' });
      expect(text).toMatch(
        /^fleetdeck_instance_info\{instance_id="[^"]+",hostname="[^"]+",role="full",database="sqlite"\} 1$/m,
      );
      expect(text).toMatch(/^fleetdeck_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
      expect(value(text, 'fleetdeck_instance_leader')).toBe(1);
      // prom-client's process and runtime defaults.
      expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(value(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
      // Every status is listed; the agent and the local node are online, none offline or new.
      expect(value(text, 'fleetdeck_nodes{status="online"}')).toBe(2);
      expect(value(text, 'fleetdeck_nodes{status="offline"}')).toBe(0);
      expect(value(text, 'fleetdeck_nodes{status="never-connected"}')).toBe(0);
      // Counters end in _total; rates are gone.
      expect(text).toMatch(/^# TYPE fleetdeck_metric_samples_total counter$/m);
      expect(text).toMatch(/^# TYPE fleetdeck_node_network_receive_bytes_total counter$/m);
      expect(text).not.toMatch(/_rate/);
    });

    it("names a node once, in fleetdeck_node_info; its other series carry only the node's id", async () => {
      const text = await scrape(master);
      const info = seriesOf(text, nodeId).filter((line) => line.startsWith('fleetdeck_node_info{'));
      expect(info).toHaveLength(1);
      expect(info[0]).toMatch(
        /node="prom-web-1",kind="agent",hostname="[^"]+",os="[^"]*",arch="[^"]+",agent_version="[^"]+"\} 1$/,
      );
      const others = seriesOf(text, nodeId).filter((line) => !line.startsWith('fleetdeck_node_info{'));
      expect(others.length).toBeGreaterThanOrEqual(8);
      for (const line of others) expect(line).toMatch(/^fleetdeck_node_[a-z0-9_]+\{node_id="[^"]+"\} \S+$/);
      expect(value(text, `fleetdeck_node_up{node_id="${nodeId}"}`)).toBe(1);
    });
  });

  describe.runIf(hasMariadb())('two masters on one MariaDB', () => {
    let a: MasterHandle;
    let b: MasterHandle;
    const ids: Record<'onA' | 'onB' | 'nowhere', string> = { onA: '', onB: '', nowhere: '' };
    beforeAll(async () => {
      const pair = await twoMasters({ share: ['tls'] });
      cleanup.push(pair.close);
      ({ a, b } = pair);
      for (const [key, master] of [
        ['onA', a],
        ['onB', b],
      ] as const) {
        const created = await createNode(a, `prom-${key}`);
        ids[key] = created.node.id;
        const agent = startAgent({ master, token: created.token, args: ['--metrics-interval-sec', '1'] });
        cleanup.push(() => agent.stop());
        await waitForStatus(a, created.node.id, 'online');
      }
      ids.nowhere = (await createNode(a, 'prom-nowhere')).node.id;
    }, 90_000);

    it('shows each node on exactly one instance: where it is connected, or the leader when nowhere', async () => {
      const leaderIsA = await waitFor(async () => {
        const leader = (await a.client.listInstances({})).find((i) => i.leader);
        return leader ? { yes: leader.self } : null;
      }, 'a leader');
      const [textA, textB] = await waitFor(
        async () => {
          const both = [await scrape(a), await scrape(b)] as const;
          const sampled =
            value(both[0], `fleetdeck_node_load1{node_id="${ids.onA}"}`) !== undefined &&
            value(both[1], `fleetdeck_node_load1{node_id="${ids.onB}"}`) !== undefined;
          return sampled ? both : null;
        },
        'both agents sampled on their instances',
        20_000,
      );
      for (const text of [textA, textB]) expect(promtool(text)).toEqual({ status: 0, problems: '' });

      expect(seriesOf(textA, ids.onA).length).toBeGreaterThanOrEqual(9);
      expect(seriesOf(textB, ids.onA)).toEqual([]);
      expect(seriesOf(textB, ids.onB).length).toBeGreaterThanOrEqual(9);
      expect(seriesOf(textA, ids.onB)).toEqual([]);

      const [leaderText, otherText] = leaderIsA.yes ? [textA, textB] : [textB, textA];
      expect(seriesOf(otherText, ids.nowhere)).toEqual([]);
      expect(value(leaderText, `fleetdeck_node_up{node_id="${ids.nowhere}"}`)).toBe(0);
      expect(seriesOf(leaderText, ids.nowhere)).toHaveLength(2); // its info and up, nothing else
      expect(value(leaderText, 'fleetdeck_instance_leader')).toBe(1);
      expect(value(otherText, 'fleetdeck_instance_leader')).toBe(0);
      // The fleet's counts are the same on both.
      for (const text of [textA, textB]) {
        expect(value(text, 'fleetdeck_nodes{status="online"}')).toBe(2);
        expect(value(text, 'fleetdeck_nodes{status="never-connected"}')).toBe(1);
        expect(value(text, 'fleetdeck_nodes{status="offline"}')).toBe(0);
      }
    });
  });
});
