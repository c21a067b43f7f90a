// Traffic accounting end to end: a real agent counts a veth interface joined to a network namespace
// the test creates; the test moves bytes across it and checks FleetDeck's totals against the kernel's
// counters, to the byte, across an agent restart, a graceful master restart and a master crash.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasNetns, VethPair } from '../helpers/netns.js';
import { createNode, type MasterHandle, type Proc, startAgent, startMaster, waitFor } from '../helpers/processes.js';

const SINK_PORT = 9099;
const MASTER_ARGS = ['--metrics-flush-sec', '3', '--restart-grace-sec', '30'];

describe.runIf(hasNetns())('traffic accounting against the kernel counters', () => {
  let veth: VethPair;
  let sink: Proc;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    veth = new VethPair();
    sink = await veth.startSink(SINK_PORT);
  });
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
    await sink?.stop('SIGKILL');
    veth?.destroy();
  });

  it('reports exactly what the interface moved, across agent and master restarts', async () => {
    const windowStart = Date.now() - 60_000;
    let master: MasterHandle = await startMaster({ args: MASTER_ARGS });
    const dataDir = master.dataDir;
    const agentPort = master.agentPort;
    cleanup.push(() => master.proc.stop('SIGKILL'));
    const { node, token } = await createNode(master, 'netns-host');
    const agentArgs = ['--net-include', veth.hostIf, '--metrics-interval-sec', '1'];
    let agent = startAgent({ master, token, args: agentArgs });
    cleanup.push(() => agent.stop('SIGKILL'));

    const live = async () => (await master.client.liveMetrics({ id: node.id })).latest;
    // The agent's first sample sets the baseline; the link is silent until the test talks.
    await waitFor(async () => (await live()) !== null, 'the first sample', 15_000);
    const c0 = veth.counterBytes();
    const accounted = async () => {
      const traffic = await master.client.trafficReport({
        groupBy: 'node',
        from: windowStart,
        to: Date.now() + 120_000,
      });
      const row = traffic.nodes?.find((n) => n.nodeId === node.id);
      return row ? row.rxBytes + row.txBytes : 0;
    };
    const expectExact = async (phase: string) => {
      await sleep(300);
      const moved = veth.counterBytes() - c0;
      let last = -1;
      await waitFor(
        async () => {
          last = await accounted();
          return last === moved;
        },
        `${phase}: FleetDeck to report ${moved} bytes (the kernel's count)`,
        20_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message} — reported ${last}, kernel moved ${moved}`);
      });
      expect(veth.counterBytes() - c0).toBe(moved);
      return moved;
    };

    await veth.send(SINK_PORT, 5_000_000);
    const afterFirst = await expectExact('steady state');
    expect(afterFirst).toBeGreaterThan(5_000_000);
    expect((await live())?.net?.interfaces.map((i) => i.name)).toEqual([veth.hostIf]);

    // Agent restart: bytes moved while it was away count when it returns.
    await agent.stop();
    await veth.send(SINK_PORT, 3_000_000);
    agent = startAgent({ master, token, args: agentArgs });
    await expectExact('after an agent restart');

    // Graceful master restart: the baseline and rollups are flushed at shutdown.
    await master.proc.stop('SIGTERM');
    await veth.send(SINK_PORT, 2_000_000);
    master = await startMaster({ dataDir, agentPort, args: MASTER_ARGS });
    await expectExact('after a graceful master restart');

    // Crash: traffic the agent reported but the master had not flushed is counted once, from the
    // baseline persisted with the last flush.
    await veth.send(SINK_PORT, 4_000_000);
    await sleep(4_500);
    await master.proc.stop('SIGKILL');
    await veth.send(SINK_PORT, 1_000_000);
    master = await startMaster({ dataDir, agentPort, args: MASTER_ARGS });
    const total = await expectExact('after a master crash');
    expect(total).toBeGreaterThan(15_000_000);

    // The same bytes show in the monthly transfer view (both cycles, in case the test ran over a
    // cycle boundary) and, for what this master process accounted, in Prometheus' counters.
    const cycle = async (which: 'current' | 'previous') =>
      (await master.client.nodeTransfer({ id: node.id, cycle: which })).totalBytes;
    expect((await cycle('current')) + (await cycle('previous'))).toBe(total);
    const prometheus = await fetch(new URL('/metrics', master.adminUrl), {
      headers: { authorization: `Bearer ${master.adminToken}` },
    });
    expect(prometheus.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await prometheus.text();
    const counter = (name: string) =>
      Number(new RegExp(`^${name}\\{node_id="${node.id}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(
      counter('fleetdeck_node_network_receive_bytes_total') + counter('fleetdeck_node_network_transmit_bytes_total'),
    ).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`^fleetdeck_node_up\\{node_id="${node.id}"\\} 1$`, 'm'));
    expect(text).toMatch(new RegExp(`^fleetdeck_node_info\\{node_id="${node.id}",node="netns-host",`, 'm'));
  }, 120_000);
});
