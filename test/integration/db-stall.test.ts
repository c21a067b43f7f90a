// A master on MariaDB whose database stops answering without closing anything — the TCP proxy in front
// of it stops forwarding, as a SIGSTOPped server would (the shared mariadbd itself is never touched):
// /api/health answers 503 with the reason, routes that need the database answer 503 `unavailable`
// instead of hanging, live views keep answering from memory, and everything recovers afterwards; a
// database that closes its connections and refuses new ones answers 503 as well, not 500.
import { afterAll, describe, expect, it } from 'vitest';
import { ApiFailure } from '../helpers/api-client.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  startAgent,
  startMaster,
  waitFor,
  waitForCommand,
} from '../helpers/processes.js';
import { CuttableProxy } from '../helpers/tcp-proxy.js';

/** A call that must be answered at all (a hang fails it); its speed is measured by the bench. */
const within = (ms: number) => ({ signal: AbortSignal.timeout(ms) });

/** Whether the node list answers 200 again; a refusal (503) is "not yet", a hang still fails. */
async function nodesAnswer(master: MasterHandle): Promise<boolean> {
  return master.reply('listNodes', {}, within(5_000)).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ApiFailure) return false;
      throw error;
    },
  );
}

describe.runIf(hasMariadb())('a stalled database', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('answers 503 with the reason, keeps live views and recovers', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(await proxy.start());
    cleanup.push(() => proxy.stop());
    const master = await startMaster({ args: ['--db', viaProxy.href] });
    cleanup.push(() => master.proc.stop('SIGKILL'));
    const { node, token } = await createNode(master, 'stall-host');
    const agent = startAgent({ master, token, args: ['--metrics-interval-sec', '1'] });
    cleanup.push(() => agent.stop('SIGKILL'));
    const live = async () => (await master.reply('liveMetrics', { id: node.id }, within(5_000))).body.latest;
    await waitFor(async () => (await live()) !== null, 'the first sample', 15_000);

    proxy.stall();
    // The ping never returns while the database is stalled; health answers anyway.
    const health = await master.reply('health', {}, within(3_000));
    expect(health.status).toBe(503);
    expect(health.body.database).toMatchObject({ ok: false });
    expect(health.body.database.error).toMatch(/not answered|did not answer|No database connection/);
    // Asked again while the first ping still hangs: the same answer, no second ping piled up.
    expect((await master.reply('health', {}, within(3_000))).status).toBe(503);

    const nodes = await master.failure('listNodes', {}, within(15_000));
    expect(nodes.status).toBe(503);
    expect(nodes.code).toBe('unavailable');
    expect(nodes.message).toMatch(/database/i);

    const fleet = await master.reply('fleetLive', {}, within(3_000));
    expect(fleet.status).toBe(200);
    expect(fleet.body.map((n) => n.nodeId)).toContain(node.id);
    const before = (await live())?.t ?? 0;
    await waitFor(async () => ((await live())?.t ?? 0) > before, 'live metrics during the stall', 10_000);

    proxy.resume();
    await waitFor(async () => (await master.reply('health', {}, within(5_000))).status === 200, 'health back', 30_000);
    await waitFor(() => nodesAnswer(master), 'nodes back', 30_000);
    const [command] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo after-the-stall' } });
    const done = await waitForCommand(master, command?.id as string, 30_000);
    expect(done).toMatchObject({ status: 'succeeded', stdout: 'after-the-stall\n' });

    // A database that goes away cleanly (connections closed, new ones refused) is 503 too, not 500.
    await proxy.cut();
    const refused = await master.failure('listNodes', {}, within(15_000));
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('unavailable');
    await proxy.restore();
    await waitFor(() => nodesAnswer(master), 'nodes back again', 30_000);
    expect(agent.count(/WARN disconnected/)).toBe(0);
    // 503s are answers, not failures: no stack trace per request in the log.
    expect(master.proc.count(/admin request failed/)).toBe(0);
  }, 120_000);
});
