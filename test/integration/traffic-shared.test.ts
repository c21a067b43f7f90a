// Traffic accounting in shared mode (MariaDB) against the kernel's counters (issue 24, item 5): every
// reconnect hands the node's counting over through the baseline stored in the database, and the bytes
// the interface moved while the agent was away must count once — after the agent was stopped for 20 s
// while bytes moved, after the master was killed (-9) and restarted, and after the database was away
// for 30 s (cut at a TCP proxy; the shared mariadbd stays up) while the agent restarted.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { hasNetns, VethPair } from '../helpers/netns.js';
import { createNode, type MasterHandle, type Proc, startAgent, startMaster, waitFor } from '../helpers/processes.js';
import { CuttableProxy } from '../helpers/tcp-proxy.js';

const SINK_PORT = 9097;

describe.runIf(hasMariadb() && hasNetns())('shared-mode traffic across reconnects', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('counts what the interface moved while the agent was away, to the byte', async () => {
    const veth = new VethPair(202);
    cleanup.push(async () => veth.destroy());
    const sink = await veth.startSink(SINK_PORT);
    cleanup.push(() => sink.stop('SIGKILL'));
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(await proxy.start());
    cleanup.push(() => proxy.stop());
    const masterArgs = ['--db', viaProxy.href, '--metrics-flush-sec', '2', '--restart-grace-sec', '30'];
    const windowStart = Date.now() - 60_000;

    let master: MasterHandle = await startMaster({ args: masterArgs });
    const { dataDir, agentPort } = master;
    cleanup.push(() => master.proc.stop('SIGKILL'));
    const { node, token } = await createNode(master, 'shared-netns-host');
    const agentArgs = ['--net-include', veth.hostIf, '--metrics-interval-sec', '1'];
    let agent: Proc = startAgent({ master, token, args: agentArgs });
    cleanup.push(() => agent.stop('SIGKILL'));

    const live = async () => (await master.client.liveMetrics({ id: node.id })).latest;
    await waitFor(async () => (await live()) !== null, 'the first sample', 15_000).catch((error: Error) => {
      throw new Error(`${error.message}\nmaster:\n${master.proc.output().slice(-4000)}\nagent:\n${agent.output()}`);
    });
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
    // The link is silent except for the test's bytes, so the totals settle on the kernel's count.
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
        throw new Error(`${error.message} — reported ${last}, kernel moved ${moved} (${moved - last} lost)`);
      });
      return moved;
    };
    /** Moves bytes for `ms`, a burst every 2 s. */
    const moveFor = async (ms: number, bytesPerBurst: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await veth.send(SINK_PORT, bytesPerBurst);
        await sleep(Math.min(2_000, Math.max(0, until - Date.now())));
      }
    };

    await veth.send(SINK_PORT, 5_000_000);
    await expectExact('steady state');

    // The agent is stopped for 20 s while bytes move; its first sample back must not be a first sample.
    await agent.stop();
    await moveFor(20_000, 2_000_000);
    agent = startAgent({ master, token, args: agentArgs });
    await expectExact('after the agent was stopped for 20 s');

    // kill -9: what the master had not flushed is in no baseline; the agent's kept frame arrives at once.
    await veth.send(SINK_PORT, 4_000_000);
    await sleep(1_000);
    await master.proc.stop('SIGKILL');
    await veth.send(SINK_PORT, 3_000_000);
    master = await startMaster({ dataDir, agentPort, args: masterArgs });
    await expectExact('after a master kill -9 and restart');

    // The database goes away for 30 s; the agent restarts meanwhile and is let in once it is back.
    await proxy.cut();
    const cutAt = Date.now();
    await moveFor(8_000, 2_000_000);
    await agent.stop();
    await moveFor(8_000, 2_000_000);
    agent = startAgent({ master, token, args: agentArgs });
    await moveFor(30_000 - (Date.now() - cutAt), 2_000_000);
    await proxy.restore();
    const total = await expectExact('after a 30 s database outage');
    expect(total).toBeGreaterThan(50_000_000);
  }, 150_000);
});
