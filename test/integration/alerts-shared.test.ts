// Two real masters on one real MariaDB database, one real agent: every alert is evaluated once for
// the cluster — the live CPU condition by the instance holding the node, command results and offline
// nodes by the leader — and a firing alert survives the leader's kill -9: the survivor neither fires
// it again nor loses it, and resolves it once.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

const ARGS = ['--heartbeat-sec', '1'];

describe.runIf(hasMariadb())('alerts with two masters on one MariaDB database', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let a: MasterHandle;
  let b: MasterHandle;
  let agent: Proc;
  let nodeId: string;

  beforeAll(async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    a = await startMaster({ args: ['--db', db.url, ...ARGS] });
    cleanup.push(() => a.proc.stop('SIGKILL'));
    const bDir = tempDir('fleetdeck-master-b-');
    mkdirSync(bDir, { recursive: true });
    cpSync(join(a.dataDir, 'tls'), join(bDir, 'tls'), { recursive: true });
    b = await startMaster({ dataDir: bDir, args: ['--db', db.url, ...ARGS] });
    cleanup.push(() => b.proc.stop('SIGKILL'));
    const created = await createNode(a, 'shared-alerts');
    nodeId = created.node.id;
    agent = startAgent({
      master: { agentUrl: `${b.agentUrl},${a.agentUrl}`, fingerprint: a.fingerprint },
      token: created.token,
      args: ['--metrics-interval-sec', '1'],
    });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(a, nodeId, 'online');
    await waitFor(async () => (await a.client.listInstances({})).some((i) => i.leader), 'a leader', 20_000);
  }, 60_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  const history = (m: MasterHandle, ruleId: string) => m.client.alertHistory({ ruleId });

  it('evaluates live, command and offline conditions once for the cluster, and keeps a firing alert across a leader kill -9', async () => {
    const scope = { nodeIds: [nodeId] };
    // Rules made on A: B (holding the node) evaluates the CPU rule; whichever leads, the others.
    const cpu = await a.client.createAlertRule({
      name: 'CPU any',
      condition: { kind: 'cpu', op: 'above', threshold: 0, forSec: 0 },
      scope,
    });
    const failed = await a.client.createAlertRule({ name: 'Command failed', condition: { kind: 'command' }, scope });
    const offline = await b.client.createAlertRule({
      name: 'Offline',
      condition: { kind: 'offline', graceSec: 3 },
      scope,
    });
    await waitFor(async () => (await history(a, cpu.id)).length === 1, 'the CPU alert', 20_000, 200);
    // Both instances have the rules loaded by now (config poll every 2 s); a failing command:
    await sleep(2_500);
    await enqueue(a, { nodeIds: [nodeId], exec: { command: 'exit 3' } });
    await waitFor(async () => (await history(b, failed.id)).length === 1, 'the command alert', 20_000, 200);
    await sleep(4_000);
    expect((await history(a, cpu.id)).map((h) => h.state)).toEqual(['firing']);
    const [commandAlert] = await history(a, failed.id);
    expect(commandAlert).toMatchObject({
      state: 'firing',
      value: 3,
      summary: 'command failed on shared-alerts (exit 3)',
    });
    expect(await history(a, failed.id)).toHaveLength(1);

    agent.signal('SIGSTOP');
    await waitFor(async () => (await history(a, offline.id)).length === 1, 'the offline alert', 20_000, 200);
    await sleep(3_000);
    expect((await history(b, offline.id)).map((h) => h.state)).toEqual(['firing']);

    // Kill the leader; the survivor takes over the alerts it finds in the store.
    const instances = await a.client.listInstances({});
    const leaderIsA = instances.find((i) => i.leader)?.self === true;
    const [leader, survivor] = leaderIsA ? [a, b] : [b, a];
    await leader.proc.stop('SIGKILL');
    await waitFor(
      async () => (await survivor.client.listInstances({})).find((i) => i.self)?.leader === true,
      'the survivor to lead',
      40_000,
      500,
    );
    await sleep(3_000);
    expect((await history(survivor, offline.id)).map((h) => h.state)).toEqual(['firing']);
    agent.signal('SIGCONT');
    await waitFor(async () => (await history(survivor, offline.id)).length === 2, 'the resolution', 40_000, 200);
    await sleep(3_000);
    expect((await history(survivor, offline.id)).map((h) => h.state)).toEqual(['resolved', 'firing']);
    // The CPU alert moved with the node and is still the one firing.
    expect((await history(survivor, cpu.id)).map((h) => h.state)).toEqual(['firing']);
  }, 150_000);
});
