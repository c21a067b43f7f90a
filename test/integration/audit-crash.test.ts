// kill -9 of a real headless master in the middle of a burst of concurrent state-changing REST calls
// (nodes, tasks and alert rules created, updated and deleted), many trials, on SQLite and MariaDB:
// after the restarts every stored change has its audit entry (each node row a createNode entry naming
// it, each label an updateNode entry that set it, each task and rule its create entry, each renamed
// task its update entry), no entry speaks of something that does not exist unless a delete explains
// it, and `fleetdeck audit verify` passes. Entries written in transactions of their own after the
// change (the attempt/outcome pairs the store's changes used to have) fail this: a kill between the
// change's commit and its entry's leaves the change with no entry.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../main/core/store/store.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { MASTER_ENTRY, type MasterHandle, startMaster } from '../helpers/processes.js';

const run = promisify(execFile);
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Entry {
  operation: string;
  outcome: string;
  targetIds: string[];
  detail: Record<string, unknown> & { input?: Record<string, unknown> };
}

/** One worker's loop of random changes until `stop()`; what it acknowledged is not needed (the store says). */
function burst(master: MasterHandle, anchor: string, trial: number, workers: number) {
  let stopped = false;
  let sequence = 0;
  const nodes: string[] = [];
  const tasks: string[] = [];
  const rules: string[] = [];
  const pick = (list: string[]) => list[Math.floor(Math.random() * list.length)];
  const take = (list: string[]) => list.splice(Math.floor(Math.random() * list.length), 1)[0];
  const step = async () => {
    const n = `${trial}-${sequence++}`;
    const roll = Math.random();
    if (roll < 0.25 || nodes.length === 0) {
      const reply = await master.reply('createNode', { name: `crash-${n}` });
      if (reply.status === 201 || reply.status === 200) nodes.push(reply.body.node.id);
    } else if (roll < 0.4) {
      await master.reply('updateNode', { id: pick(nodes) as string, labels: { v: n } });
    } else if (roll < 0.5) {
      await master.reply('deleteNode', { id: take(nodes) as string });
    } else if (roll < 0.65 || tasks.length === 0) {
      const reply = await master.reply('createTask', {
        name: `task-${n}`,
        exec: { command: 'true' },
        targets: { nodeIds: [anchor] },
      });
      if (reply.status === 201) tasks.push(reply.body.id);
    } else if (roll < 0.72) {
      await master.reply('updateTask', { id: pick(tasks) as string, name: `renamed-${n}` });
    } else if (roll < 0.78) {
      await master.reply('deleteTask', { id: take(tasks) as string });
    } else if (roll < 0.93 || rules.length === 0) {
      const reply = await master.reply('createAlertRule', {
        name: `rule-${n}`,
        condition: { kind: 'command' },
        scope: {},
      });
      if (reply.status === 201 || reply.status === 200) rules.push(reply.body.id);
    } else {
      await master.reply('deleteAlertRule', { id: take(rules) as string });
    }
  };
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      try {
        await step();
      } catch {
        // the master died mid-request
      }
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

async function checkStore(url: string): Promise<void> {
  const store = await openStore(url);
  try {
    const db = store.db;
    const entries: Entry[] = (
      await db.selectFrom('audit_log').select(['operation', 'outcome', 'target_ids', 'detail']).orderBy('seq').execute()
    ).map((r) => ({
      operation: r.operation,
      outcome: r.outcome,
      targetIds: JSON.parse(r.target_ids) as string[],
      detail: JSON.parse(r.detail) as Entry['detail'],
    }));
    const ok = (operation: string) => entries.filter((e) => e.operation === operation && e.outcome === 'ok');
    const nodeRows = await db
      .selectFrom('nodes')
      .select(['id', 'name', 'labels'])
      .where('kind', '!=', 'local')
      .execute();
    const taskRows = await db.selectFrom('tasks').select(['id', 'name']).execute();
    const ruleRows = await db.selectFrom('alert_rules').select(['id', 'name']).execute();
    const created = new Set(ok('createNode').flatMap((e) => e.targetIds));
    const deletedNodes = new Set(ok('deleteNode').flatMap((e) => e.targetIds));
    const problems: string[] = [];
    for (const node of nodeRows) {
      if (!created.has(node.id)) problems.push(`node ${node.name} (${node.id}) has no createNode entry`);
      const v = (JSON.parse(node.labels) as Record<string, string>).v;
      const set = ok('updateNode').some(
        (e) => e.detail.input?.id === node.id && (e.detail.input?.labels as { v?: string })?.v === v,
      );
      if (v !== undefined && !set) problems.push(`node ${node.name}: label v=${v} has no updateNode entry`);
    }
    const nodeIds = new Set(nodeRows.map((n) => n.id));
    for (const id of created) {
      if (!nodeIds.has(id) && !deletedNodes.has(id))
        problems.push(`createNode entry of ${id}: no such node, no delete`);
    }
    const byResult = (operation: string) => new Set(ok(operation).map((e) => e.detail['result.id'] as string));
    const deletedIds = (operation: string) => new Set(ok(operation).map((e) => e.detail.input?.id as string));
    for (const [kind, rows, create, remove] of [
      ['task', taskRows, 'createTask', 'deleteTask'],
      ['rule', ruleRows, 'createAlertRule', 'deleteAlertRule'],
    ] as const) {
      const made = byResult(create);
      const gone = deletedIds(remove);
      const ids = new Set(rows.map((r) => r.id));
      for (const row of rows)
        if (!made.has(row.id)) problems.push(`${kind} ${row.name} (${row.id}) has no ${create} entry`);
      for (const id of made)
        if (!ids.has(id) && !gone.has(id)) problems.push(`${create} entry of ${id}: no such ${kind}, no delete`);
    }
    for (const task of taskRows) {
      const renamed = task.name.startsWith('renamed-');
      if (
        renamed &&
        !ok('updateTask').some((e) => e.detail.input?.id === task.id && e.detail.input?.name === task.name)
      )
        problems.push(`task ${task.name} (${task.id}): the rename has no updateTask entry`);
    }
    expect(problems).toEqual([]);
    // The burst did reach the store: the check above is not about nothing.
    expect(nodeRows.length + deletedNodes.size).toBeGreaterThan(10);
    expect(taskRows.length + ruleRows.length).toBeGreaterThan(5);
  } finally {
    await store.close();
  }
  const verified = await run(process.execPath, [MASTER_ENTRY, 'audit', 'verify', '--db', url], { timeout: 60_000 });
  expect(verified.stdout).toMatch(/The audit log verifies/);
}

async function trials(url: string | null, count: number): Promise<void> {
  const args = url ? ['--db', url] : [];
  let master = await startMaster({ args });
  const { dataDir, agentPort } = master;
  cleanup.push(() => master.proc.stop('SIGKILL'));
  const anchor = (await master.client.createNode({ name: 'crash-anchor' })).node.id;
  for (let trial = 0; trial < count; trial++) {
    const stop = burst(master, anchor, trial, 6);
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
    master.proc.signal('SIGKILL');
    await stop();
    await master.proc.exited;
    master = await startMaster({ dataDir, agentPort, args });
  }
  await master.proc.stop();
  await checkStore(url ?? join(dataDir, 'fleetdeck.db'));
}

describe('audit entries across kill -9 of the master mid-burst', () => {
  it('SQLite: every stored change has its entry, and the chain verifies', async () => {
    await trials(null, Number(process.env.FLEETDECK_CRASH_TRIALS ?? 10));
  }, 300_000);

  it.skipIf(!hasMariadb())(
    'MariaDB: every stored change has its entry, and the chain verifies',
    async () => {
      const db = await freshMariadb();
      cleanup.push(db.drop);
      await trials(db.url, Number(process.env.FLEETDECK_CRASH_TRIALS_MARIADB ?? 4));
    },
    300_000,
  );
});
