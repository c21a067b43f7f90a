// Cross-instance wake-ups on a real MariaDB: two master cores in this process share one database, a
// real agent process is connected to B, and the pending poll and the queue's sweeper (whose due
// dispatcher also kicks waiting commands, every second) are slowed to 10 minutes on both, so only a
// wake-up can get a command queued on A to B's agent in time. Without wake-ups the same command
// waits (the control below), so the first case cannot pass by the poll.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import type { NewCommand } from '../../main/core/queue/queue.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { type Proc, startAgent, waitFor } from '../helpers/processes.js';

const SLOW_POLL_MS = 600_000;

function sharedCore(dbUrl: string, wakeups: boolean): Promise<Master> {
  return Master.start({
    dataDir: mkdtempSync(join(os.tmpdir(), 'fleetdeck-wakeups-')),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    dbUrl,
    adminToken: 'test-admin-token-0123456789',
    crossInstance: { pollMs: SLOW_POLL_MS, wakeups },
    queue: { sweepIntervalMs: SLOW_POLL_MS },
    log: silentLogger,
  });
}

const shell = (nodeId: string, command: string): NewCommand => ({
  nodeId,
  exec: { command },
  timeoutMs: 30_000,
  outputLimit: 65_536,
  deadlineAt: null,
  retry: null,
});

describe.runIf(hasMariadb())('cross-instance wake-ups', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let b: Master;
  let nodeId: string;
  let dbUrl: string;

  beforeAll(async () => {
    const db = await freshMariadb();
    dbUrl = db.url;
    cleanup.push(db.drop);
    b = await sharedCore(db.url, true);
    cleanup.push(() => b.stop());
    const created = await b.registry.create({ name: 'held-by-b', labels: {} });
    nodeId = created.node.id;
    const agent: Proc = startAgent({
      master: { agentUrl: b.agentUrl, fingerprint: b.tls?.fingerprint ?? null },
      token: created.token as string,
    });
    cleanup.push(() => agent.stop());
    await waitFor(async () => (await b.registry.get(nodeId)).status === 'online', 'the agent online on B');
  }, 60_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  const statusOf = async (master: Master, id: string) =>
    (await master.store.db.selectFrom('commands').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('a command queued on A runs on the agent connected to B at once, not at the next poll', async () => {
    const a = await sharedCore(dbUrl, true);
    try {
      const [row] = await a.queue.enqueue([shell(nodeId, 'echo woken')]);
      const id = row?.id as string;
      await waitFor(async () => (await statusOf(a, id)) === 'succeeded', 'the command to succeed via B', 5_000);
      expect(a.cluster.wakeups?.sent).toBeGreaterThanOrEqual(1);
    } finally {
      await a.stop();
    }
  });

  it('without wake-ups the same command waits for the poll (control)', async () => {
    const a = await sharedCore(dbUrl, false);
    try {
      const [row] = await a.queue.enqueue([shell(nodeId, 'echo polled')]);
      const id = row?.id as string;
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await statusOf(a, id)).toBe('pending');
      // Cancelled, so nothing runs later from this case.
      await a.queue.cancel(id);
    } finally {
      await a.stop();
    }
  });
});
