// Several real master processes on one real MariaDB database: a command enqueued on one instance runs
// through another and its status and output reach the first one's subscribers; killing the leader
// (kill -9) hands schedules over without a tick firing twice; a console instance refuses changes.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  openEventStream,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

describe.runIf(hasMariadb())('masters sharing one MariaDB database', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let a: MasterHandle;
  let b: MasterHandle;
  let agent: Proc;
  let nodeId: string;

  beforeAll(async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    a = await startMaster({ args: ['--db', db.url] });
    cleanup.push(() => a.proc.stop('SIGKILL'));
    // One cluster, one certificate: B serves A's TLS identity, so agents pin one fingerprint.
    const bDir = tempDir('fleetdeck-master-b-');
    mkdirSync(bDir, { recursive: true });
    cpSync(join(a.dataDir, 'tls'), join(bDir, 'tls'), { recursive: true });
    b = await startMaster({ dataDir: bDir, args: ['--db', db.url] });
    cleanup.push(() => b.proc.stop('SIGKILL'));
    expect(b.fingerprint).toBe(a.fingerprint);
    const created = await createNode(a, 'shared-node');
    nodeId = created.node.id;
    // The agent knows both instances and dials B first.
    agent = startAgent({
      master: { agentUrl: `${b.agentUrl},${a.agentUrl}`, fingerprint: a.fingerprint },
      token: created.token,
    });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(a, nodeId, 'online');
  }, 60_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('lists both instances, alive, with exactly one leader', async () => {
    const instances = await waitFor(
      async () => {
        const all = await a.client.listInstances({});
        return all.length === 2 && all.some((i) => i.leader) ? all : undefined;
      },
      'two instances and a leader',
      20_000,
    );
    expect(instances.every((i) => i.alive)).toBe(true);
    expect(instances.filter((i) => i.leader)).toHaveLength(1);
    expect(instances.filter((i) => i.self)).toHaveLength(1);
  });

  it('runs a command enqueued on A through the agent connected to B; A streams its status and output', async () => {
    const events = await openEventStream(a);
    let text = '';
    const started = performance.now();
    const [command] = await enqueue(a, { nodeIds: [nodeId], exec: { command: 'echo via-b' } });
    const id = command?.id as string;
    const done = await waitForCommand(a, id);
    const elapsed = performance.now() - started;
    expect(done).toMatchObject({ status: 'succeeded', stdout: 'via-b\n' });
    while (!/event: commandStatus\ndata: \{[^\n]*"status":"succeeded"/.test(text) || !text.includes('via-b')) {
      text += await events.read();
    }
    events.close();
    expect(text).toContain(`"id":"${id}"`);
    expect(elapsed).toBeGreaterThan(0);
  });

  it('hands schedules to the survivor when the leader is killed, never firing a tick twice', async () => {
    // Created on the instance that does not lead: the leader picks it up through the config version.
    const before = await a.client.listInstances({});
    const follower = before.find((i) => i.leader)?.self === true ? b : a;
    const task = await follower.client.createTask({
      name: 'every-second',
      exec: { command: 'true' },
      targets: { nodeIds: [nodeId] },
      schedule: '* * * * * *',
      overlap: 'queue',
    });
    const runs = (via: MasterHandle) => via.client.listTaskRuns({ id: task.id });
    await waitFor(async () => (await runs(a)).length >= 2, 'the schedule to fire', 15_000);
    const instances = await a.client.listInstances({});
    const leaderIsA = instances.find((i) => i.leader)?.self === true;
    const [leader, survivor] = leaderIsA ? [a, b] : [b, a];
    await leader.proc.stop('SIGKILL');
    const killedAt = Date.now();
    const after = await waitFor(
      async () => {
        const list = await runs(survivor);
        return list.some((r) => (r.scheduledFor ?? 0) > killedAt + 1_000) ? list : undefined;
      },
      'the survivor to take over the schedule',
      40_000,
    );
    const ticks = after.map((r) => r.scheduledFor);
    expect(new Set(ticks).size).toBe(ticks.length);
    const now = await survivor.client.listInstances({});
    expect(now.find((i) => i.self)?.leader).toBe(true);
    await survivor.client.updateTask({ id: task.id, enabled: false });
    await sleep(100);
  }, 90_000);

  it('a console instance reads the shared state and refuses every change', async () => {
    const survivor = a.proc.child.exitCode === null && a.proc.child.signalCode === null ? a : b;
    const consoleDb = /--db (\S+)/.exec(survivor.proc.child.spawnargs.join(' '))?.[1] as string;
    const viewer = await startMaster({ args: ['--db', consoleDb, '--role', 'console'] });
    cleanup.push(() => viewer.proc.stop());
    const nodes = await viewer.client.listNodes({});
    expect(nodes.map((n) => n.id)).toContain(nodeId);
    const refused = await viewer.failure('createNode', { name: 'nope' });
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/read-only console/);
  });
});
