// The headless master on a shared MariaDB database (--db mysql://…): the same product on the second
// dialect, end to end with a real agent process. Two masters on the same database see each other's
// nodes and queued commands.
import { afterAll, describe, expect, it } from 'vitest';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

describe.runIf(hasMariadb())('master on MariaDB', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('registers nodes, runs commands and records metrics on the shared database', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const master: MasterHandle = await startMaster({ args: ['--db', db.url, '--metrics-flush-sec', '1'] });
    cleanup.push(() => master.proc.stop());
    const health = await master.client.health({});
    expect(health).toMatchObject({ ok: true, database: { dialect: 'mariadb' } });

    const { node, token } = await createNode(master, 'maria-node');
    const agent: Proc = startAgent({ master, token, args: ['--metrics-interval-sec', '1'] });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(master, node.id, 'online');
    const [command] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo on-mariadb' } });
    const done = await waitForCommand(master, command?.id as string);
    expect(done).toMatchObject({ status: 'succeeded', stdout: 'on-mariadb\n' });

    // Rollups reach the database (the flush runs every second here).
    await waitFor(
      async () => {
        const series = await master.client.metricSeries({ id: node.id, step: '1m' });
        return series.points.length > 0;
      },
      'a minute rollup on MariaDB',
      15_000,
    );

    // A second master on the same database sees the same fleet and history.
    const second = await startMaster({ args: ['--db', db.url] });
    cleanup.push(() => second.proc.stop());
    const nodes = await second.client.listNodes({});
    expect(nodes.map((n) => n.id)).toContain(node.id);
    const seen = await second.client.getCommand({ id: command?.id as string });
    expect(seen.status).toBe('succeeded');
  }, 60_000);

  it('refuses to start on an unreachable database with a clear message and no password', async () => {
    await expect(startMaster({ args: ['--db', 'mysql://root:hunter2@127.0.0.1:1/nope'] })).rejects.toThrow(
      /Cannot use the database mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/nope/,
    );
  });
});
