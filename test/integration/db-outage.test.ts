// A master on MariaDB loses its database for 30 s under traffic (the test cuts a TCP proxy in front
// of it): agents stay connected, live views keep working, /api/health says what is wrong, a command
// finishing meanwhile is recorded when the database returns, and the traffic reported afterwards equals
// the kernel's counters to the byte — nothing lost, nothing counted twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { hasNetns, VethPair } from '../helpers/netns.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
  waitForCommand,
} from '../helpers/processes.js';
import { CuttableProxy } from '../helpers/tcp-proxy.js';

const SINK_PORT = 9098;

describe.runIf(hasMariadb() && hasNetns())('a 30 s database outage under traffic', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('keeps agents connected and loses or doubles nothing', async () => {
    const veth = new VethPair(201);
    cleanup.push(async () => veth.destroy());
    const sink = await veth.startSink(SINK_PORT);
    cleanup.push(() => sink.stop('SIGKILL'));
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const port = await proxy.start();
    cleanup.push(() => proxy.stop());
    const viaProxy = new URL(db.url);
    viaProxy.port = String(port);
    const windowStart = Date.now() - 60_000;
    const master: MasterHandle = await startMaster({ args: ['--db', viaProxy.href, '--metrics-flush-sec', '2'] });
    cleanup.push(() => master.proc.stop('SIGKILL'));
    const { node, token } = await createNode(master, 'outage-host');
    const agent: Proc = startAgent({
      master,
      token,
      args: ['--net-include', veth.hostIf, '--metrics-interval-sec', '1'],
    });
    cleanup.push(() => agent.stop('SIGKILL'));
    const live = async () => (await master.client.liveMetrics({ id: node.id })).latest;
    await waitFor(async () => (await live()) !== null, 'the first sample', 15_000);
    const c0 = veth.counterBytes();
    await veth.send(SINK_PORT, 2_000_000);

    const [command] = await enqueue(master, {
      nodeIds: [node.id],
      exec: { command: 'sleep 3; echo finished-in-outage' },
    });
    await waitForCommand(master, command?.id as string, 10_000, ['running']);

    await proxy.cut();
    const cutAt = Date.now();
    await veth.send(SINK_PORT, 3_000_000);
    await sleep(3_000);
    const health = await master.reply('health', {});
    expect(health.status).toBe(503);
    expect(health.body.database.ok).toBe(false);
    expect(health.body.database.error).toBeTruthy();
    // Live views are served from memory meanwhile.
    const before = (await live())?.t ?? 0;
    await waitFor(async () => ((await live())?.t ?? 0) > before, 'live metrics during the outage', 10_000);
    await veth.send(SINK_PORT, 1_000_000);
    await sleep(Math.max(0, 30_000 - (Date.now() - cutAt)));
    await proxy.restore();

    expect(agent.count(/WARN disconnected/)).toBe(0);
    const done = await waitForCommand(master, command?.id as string, 60_000);
    expect(done).toMatchObject({ status: 'succeeded', stdout: 'finished-in-outage\n' });

    await sleep(300);
    const moved = veth.counterBytes() - c0;
    let reported = -1;
    await waitFor(
      async () => {
        const traffic = await master.client.trafficReport({
          groupBy: 'node',
          from: windowStart,
          to: Date.now() + 120_000,
        });
        const row = traffic.nodes?.find((n) => n.nodeId === node.id);
        reported = row ? row.rxBytes + row.txBytes : 0;
        return reported === moved;
      },
      `traffic after the outage to equal the kernel's ${moved} bytes`,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; reported ${reported}`);
    });
    await waitFor(
      async () => {
        const health = await master.client.health({});
        return health.ok && health.metricsSpool?.batches === 0;
      },
      'the spool to drain and health to recover',
      30_000,
    );
  }, 150_000);
});
