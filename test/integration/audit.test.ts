// The audit log on SQLite and MariaDB, through the real HTTP server: every kind of operation recorded
// with its caller; a command's entry written in the commit that stores the command (a rolled-back
// enqueue leaves neither); the hash chain verifies; editing or deleting one row makes the real CLI
// (`fleetdeck audit verify`) name it; retention pruning keeps the chain verifiable.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { desktopCaller, systemCaller } from '../../main/contract/caller.js';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { type AuditScope, runInAuditScope } from '../../main/core/audit/context.js';
import type { AuditDraft } from '../../main/core/audit/entry.js';
import { AuditRetention } from '../../main/core/audit/retention.js';
import { verifyChain } from '../../main/core/audit/verify.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { batchedTransaction } from '../../main/core/store/statement-batch.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { ROOT, tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'audit-test-admin-token-0123456789';
const run = promisify(execFile);

interface Served {
  api: TestApi;
  master: Master;
  dbUrl: string;
  adminUrl: string;
}

async function startServed(dbUrl: string | undefined, cleanup: Array<() => Promise<void>>): Promise<Served> {
  const dataDir = tempDir('fleetdeck-audit-');
  const master = await Master.start({
    dataDir,
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: false,
    adminToken: ADMIN_TOKEN,
    dbUrl,
    log: silentLogger,
  });
  const server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  const { port } = await server.start();
  cleanup.push(async () => {
    await server.stop();
    await master.stop();
  });
  const adminUrl = `http://127.0.0.1:${port}/`;
  return {
    api: apiFor({ adminUrl, adminToken: ADMIN_TOKEN }),
    master,
    dbUrl: dbUrl ?? join(dataDir, 'fleetdeck.db'),
    adminUrl,
  };
}

/** The real CLI from the sources: exit code and what it printed. */
async function auditVerify(dbUrl: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'main/headless.ts', 'audit', 'verify', '--db', dbUrl],
      {
        cwd: ROOT,
        timeout: 60_000,
      },
    );
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const targets: Array<{ name: string; url: () => Promise<string | undefined>; skip: boolean }> = [
  { name: 'sqlite', url: async () => undefined, skip: false },
  { name: 'mariadb', url: async () => (await freshMariadb()).url, skip: !hasMariadb() },
];

describe.each(targets.filter((t) => !t.skip))('audit log ($name)', ({ url }) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });
  let served: Served;
  let nodeId: string;

  it('records changes, commands, task runs and file operations with their caller; reads of lists are not recorded', async () => {
    served = await startServed(await url(), cleanup);
    const { api } = served;
    const { node } = await api.client.createNode({ name: 'audit-web-1' });
    nodeId = node.id;
    await api.client.listNodes({});
    const enqueued = await api.client.enqueueCommands({
      nodeIds: [node.id],
      exec: { command: 'systemctl restart nginx' },
    });
    expect(enqueued.commands[0]?.launchedBy).toBe('admin token');
    const stored = await api.client.getCommand({ id: enqueued.commands[0]?.id as string });
    expect(stored.launchedBy).toBe('admin token');
    const task = await api.client.createTask({
      name: 'audit-task',
      exec: { command: 'uptime' },
      targets: { nodeIds: [node.id] },
    });
    const taskRun = await api.client.runTask({ id: task.id });
    expect(taskRun.launchedBy).toBe('admin token');
    // The node is not connected: the file RPC fails, and both the attempt and the failure are recorded.
    await api.failure('deleteFile', { id: node.id, path: '/etc/nginx/old.conf' });
    await api.failure('previewFile', { id: node.id, path: '/etc/passwd' });

    const entries = await api.client.listAuditEntries({});
    const ops = entries.map((e) => `${e.operation}:${e.outcome}`).reverse();
    expect(ops).toEqual([
      'createNode:ok',
      'enqueueCommands:ok',
      'createTask:ok',
      'runTask:ok',
      'deleteFile:attempt',
      'deleteFile:error',
      'previewFile:error',
    ]);
    for (const entry of entries) {
      expect(entry.caller.kind).toBe('admin-token');
      expect(entry.caller.name).toBe('admin token');
      expect(entry.caller.address).toMatch(/127\.0\.0\.1/);
      expect(entry.caller.userAgent).toBeTruthy();
      expect(entry.instanceId).toBe(served.master.instanceId);
    }
    // The node a create made is named by its entry (its input had no id to name: the registry notes it).
    const created = entries.find((e) => e.operation === 'createNode' && e.outcome === 'ok');
    expect(created?.targets).toEqual([{ id: node.id, name: 'audit-web-1' }]);
    expect(JSON.stringify(created)).not.toContain('token":"');
    const command = entries.find((e) => e.operation === 'enqueueCommands');
    expect(command?.targets).toEqual([{ id: node.id, name: 'audit-web-1' }]);
    expect(command?.detail.command).toBe('systemctl restart nginx');
    expect(command?.detail.commandIds).toEqual([enqueued.commands[0]?.id]);
    const runEntry = entries.find((e) => e.operation === 'runTask');
    expect(runEntry?.detail.taskRunId).toBe(taskRun.id);
    const deleted = entries.filter((e) => e.operation === 'deleteFile');
    expect(deleted.map((e) => e.errorCode)).toEqual([expect.any(String), null]);
    expect(deleted[0]?.refSeq).toBe(deleted[1]?.seq);
    expect(deleted[0]?.detail).toMatchObject({ input: { path: '/etc/nginx/old.conf' } });
    expect(deleted[0]?.targets).toEqual([{ id: node.id, name: 'audit-web-1' }]);

    // Filters: node, operation, person, time.
    expect((await api.client.listAuditEntries({ operation: 'deleteFile' })).length).toBe(2);
    // Every entry names the node, its creation too.
    expect((await api.client.listAuditEntries({ nodeId: node.id })).length).toBe(entries.length);
    expect((await api.client.listAuditEntries({ person: 'admin token' })).length).toBe(entries.length);
    expect((await api.client.listAuditEntries({ person: 'mallory' })).length).toBe(0);
    expect((await api.client.listAuditEntries({ from: Date.now() + 60_000 })).length).toBe(0);
    // Export: CSV and JSON, streamed, filtered like the list.
    const exported = async (query: string) => {
      const response = await fetch(new URL(`/api/audit/export?${query}`, served.adminUrl), {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
      return { type: response.headers.get('content-type'), text: await response.text() };
    };
    const csv = await exported('format=csv&operation=enqueueCommands');
    expect(csv.type).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^"seq","time","caller_kind","caller"/);
    expect(lines[1]).toContain('"enqueueCommands"');
    expect(lines[1]).toContain('systemctl restart nginx');
    const json = JSON.parse((await exported(`format=json&nodeId=${node.id}`)).text) as Array<{ seq: number }>;
    expect(json.map((e) => e.seq)).toEqual((await api.client.listAuditEntries({ nodeId: node.id })).map((e) => e.seq));
    const page = await api.client.listAuditEntries({ limit: 3 });
    const next = await api.client.listAuditEntries({ limit: 3, before: page.at(-1)?.seq });
    expect(next[0]?.seq).toBe((page.at(-1)?.seq as number) - 1);
  });

  it('records sign-ins, refused and accepted, and never a password', async () => {
    const { api, adminUrl } = served;
    const password = 'correct horse battery staple 42';
    await api.client.createUser({ name: 'carol', password, grants: [{ role: 'viewer', selector: null }] });
    const signIn = (pass: string) =>
      fetch(new URL('/api/auth/sign-in', adminUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'audit-test-browser' },
        body: JSON.stringify({ name: 'carol', password: pass }),
      });
    expect((await signIn('not the password at all')).status).toBeGreaterThanOrEqual(400);
    expect((await signIn(password)).status).toBe(200);
    const entries = await api.client.listAuditEntries({ operation: 'signIn' });
    expect(entries.map((e) => e.outcome)).toEqual(['ok', 'error']);
    expect(entries.every((e) => e.caller.name === 'carol' && e.caller.userAgent === 'audit-test-browser')).toBe(true);
    expect(entries[0]?.caller.userId).toBeTruthy();
    expect(JSON.stringify(entries)).not.toContain(password);
    const created = await api.client.listAuditEntries({ operation: 'createUser' });
    expect(created[0]?.detail).toMatchObject({ input: { name: 'carol', password: '[redacted]' } });
    expect(JSON.stringify(created)).not.toContain(password);
  });

  it("writes a command's entry in the commit that stores it: a rolled-back enqueue leaves neither", async () => {
    const { master } = served;
    const caller = desktopCaller;
    const scopeOf = (): AuditScope => ({
      caller,
      draft: {
        operation: 'enqueueCommands',
        caller,
        targets: [],
        detail: {},
        outcome: 'ok',
        errorCode: null,
        refSeq: null,
      },
      taken: false,
      committedSeq: null,
    });
    const count = async (table: 'audit_log' | 'commands') =>
      Number(
        (
          await master.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const newCommand = {
      nodeId,
      exec: { command: 'true' },
      timeoutMs: 10_000,
      outputLimit: 1024,
      deadlineAt: null,
      retry: null,
    };
    const [auditBefore, commandsBefore] = [await count('audit_log'), await count('commands')];
    const failing = scopeOf();
    await expect(
      runInAuditScope(failing, () =>
        master.queue.enqueue([newCommand], async () => {
          throw new Error('the change fails inside its transaction');
        }),
      ),
    ).rejects.toThrow(/fails inside/);
    expect(failing.taken).toBe(false);
    expect(failing.committedSeq).toBeNull();
    expect(await count('audit_log')).toBe(auditBefore);
    expect(await count('commands')).toBe(commandsBefore);

    const passing = scopeOf();
    const rows = await runInAuditScope(passing, () => master.queue.enqueue([newCommand]));
    expect(await count('audit_log')).toBe(auditBefore + 1);
    expect(await count('commands')).toBe(commandsBefore + 1);
    const entry = await master.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '=', passing.committedSeq as number)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.detail).commandIds).toEqual([rows[0]?.id]);
    expect(rows[0]?.launched_by).toBe('desktop');
  });

  it("writes a change's entry in the change's own transaction: a refused entry undoes the change; one entry each, no attempt", async () => {
    const { api, master } = served;
    const db = master.store.db;
    const lastSeq = async () =>
      Number((await db.selectFrom('audit_chain').select('head_seq').executeTakeFirstOrThrow()).head_seq);
    const entriesAfter = (seq: number) =>
      db.selectFrom('audit_log').selectAll().where('seq', '>', seq).orderBy('seq').execute();
    const password = 'correct horse battery staple 43';
    const operations = ['createNode', 'updateNode', 'createTask', 'createAlertRule', 'createUser'];
    const listed = operations.map((o) => `'${o}'`).join(', ');
    // The database refuses their 'ok' entries: a change whose entry is not in its transaction would stay.
    await sql
      .raw(
        master.store.dialect === 'sqlite'
          ? `CREATE TRIGGER refuse_ok BEFORE INSERT ON audit_log WHEN NEW.outcome = 'ok' AND NEW.operation IN (${listed}) BEGIN SELECT RAISE(ABORT, 'audit entry refused'); END`
          : `CREATE TRIGGER refuse_ok BEFORE INSERT ON audit_log FOR EACH ROW BEGIN IF NEW.outcome = 'ok' AND NEW.operation IN (${listed}) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit entry refused'; END IF; END`,
      )
      .execute(db);
    const labelsBefore = (await api.client.getNode({ id: nodeId })).labels;
    const refusedFrom = await lastSeq();
    try {
      await api.failure('createNode', { name: 'refused-node' });
      await api.failure('updateNode', { id: nodeId, labels: { refused: 'yes' } });
      await api.failure('createTask', {
        name: 'refused-task',
        exec: { command: 'true' },
        targets: { nodeIds: [nodeId] },
      });
      await api.failure('createAlertRule', { name: 'refused-rule', condition: { kind: 'command' }, scope: {} });
      await api.failure('createUser', { name: 'refused-user', password, grants: [{ role: 'viewer', selector: null }] });
    } finally {
      await sql.raw('DROP TRIGGER refuse_ok').execute(db);
    }
    expect(await db.selectFrom('nodes').select('id').where('name', '=', 'refused-node').execute()).toEqual([]);
    expect((await api.client.getNode({ id: nodeId })).labels).toEqual(labelsBefore);
    expect(await db.selectFrom('tasks').select('id').where('name', '=', 'refused-task').execute()).toEqual([]);
    expect(await db.selectFrom('alert_rules').select('id').where('name', '=', 'refused-rule').execute()).toEqual([]);
    expect(await db.selectFrom('users').select('id').where('name', '=', 'refused-user').execute()).toEqual([]);
    // Each failure recorded once, by the wrapper.
    expect((await entriesAfter(refusedFrom)).map((e) => `${e.operation}:${e.outcome}`)).toEqual(
      operations.map((o) => `${o}:error`),
    );

    const from = await lastSeq();
    const { node } = await api.client.createNode({ name: 'audit-tx-node' });
    await api.client.updateNode({ id: node.id, labels: { tx: 'yes' } });
    const task = await api.client.createTask({
      name: 'audit-tx-task',
      exec: { command: 'true' },
      targets: { nodeIds: [node.id] },
    });
    const rule = await api.client.createAlertRule({ name: 'audit-tx-rule', condition: { kind: 'command' }, scope: {} });
    const user = await api.client.createUser({ name: 'audit-tx-user', password, grants: [] });
    const made = await entriesAfter(from);
    expect(made.map((e) => `${e.operation}:${e.outcome}`)).toEqual(operations.map((o) => `${o}:ok`));
    const [createdNode, updated, createdTask, createdRule, createdUser] = made;
    expect(JSON.parse(createdNode?.targets as string)).toEqual([{ id: node.id, name: 'audit-tx-node' }]);
    expect(JSON.parse(updated?.targets as string)).toEqual([{ id: node.id, name: 'audit-tx-node' }]);
    expect(JSON.parse(createdTask?.detail as string)['result.id']).toBe(task.id);
    expect(JSON.parse(createdRule?.detail as string)['result.id']).toBe(rule.id);
    expect(JSON.parse(createdUser?.detail as string)['result.id']).toBe(user.id);
    expect(JSON.stringify(createdUser)).not.toContain(password);
    expect(await verifyChain(db)).toMatchObject({ ok: true });
  });

  it("a change that throws after writing leaves no 'ok' entry and no change; work left running after the handler returns carries no entry", async () => {
    const { master } = served;
    const db = master.store.db;
    const nameOf = async () =>
      (await db.selectFrom('nodes').select('name').where('id', '=', nodeId).executeTakeFirstOrThrow()).name;
    const rename = (conn: typeof db, name: string) => conn.updateTable('nodes').set({ name }).where('id', '=', nodeId);
    const outcomesOf = async (operation: string) =>
      (
        await db.selectFrom('audit_log').select('outcome').where('operation', '=', operation).orderBy('seq').execute()
      ).map((e) => e.outcome);
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await nameOf();
    let later: Promise<unknown> = Promise.resolve();
    // Handlers under the contract's names ('transaction' rule), wrapped as the master wraps its own.
    const handlers = master.audit.wrap({
      updateNode: async () =>
        db.transaction().execute(async (trx) => {
          await rename(trx, 'renamed-then-failed').execute();
          throw new Error('the change fails inside its transaction');
        }),
      deleteNode: async () =>
        db.transaction().execute(async (trx) => {
          await rename(trx, 'renamed-in-transaction').execute();
          return { ok: true };
        }),
      revokeNode: async () => {
        await rename(db, 'renamed-alone').execute();
        return { ok: true };
      },
      // A batched transaction (one multi-statement text on MariaDB): its reads still answer.
      rotateNodeToken: async () =>
        batchedTransaction(db, async (batch, conn) => {
          batch.add(rename(conn, 'renamed-batched'));
          const read = batch.add(conn.selectFrom('nodes').select('name').where('id', '=', nodeId));
          return () => read.rows[0]?.name;
        }),
      updateTask: async () =>
        batchedTransaction(db, async (batch, conn) => {
          batch.add(rename(conn, 'renamed-batched-then-failed'));
          await batch.run();
          throw new Error('the batch fails after writing');
        }),
      deleteTask: async () => {
        later = new Promise((resolve) => setTimeout(() => resolve(rename(db, 'renamed-later').execute()), 30));
        return { ok: true };
      },
      cancelRun: async () => ({ ok: true }),
    } as unknown as Parameters<typeof master.audit.wrap>[0]) as unknown as Record<
      string,
      (input: { id: string }, caller: typeof desktopCaller) => Promise<unknown>
    >;
    const call = (name: string) =>
      (handlers[name] as NonNullable<(typeof handlers)[string]>)({ id: nodeId }, desktopCaller);

    await expect(call('updateNode')).rejects.toThrow(/fails inside/);
    expect(await nameOf()).toBe(before);
    expect(await outcomesOf('updateNode')).toContain('error');
    const updates = await outcomesOf('updateNode');

    await call('deleteNode');
    expect(await nameOf()).toBe('renamed-in-transaction');
    expect(await outcomesOf('deleteNode')).toEqual(['ok']);

    await call('revokeNode');
    expect(await nameOf()).toBe('renamed-alone');
    expect(await outcomesOf('revokeNode')).toEqual(['ok']);

    expect(await call('rotateNodeToken')).toBe('renamed-batched');
    expect(await outcomesOf('rotateNodeToken')).toEqual(['ok']);

    const tasksBefore = await outcomesOf('updateTask');
    await expect(call('updateTask')).rejects.toThrow(/fails after writing/);
    expect(await nameOf()).toBe('renamed-batched');
    expect(await outcomesOf('updateTask')).toEqual([...tasksBefore, 'error']);
    expect(await outcomesOf('updateNode')).toEqual(updates);

    // Nothing written while it ran: the entry on its own. The timer's write, later, carries none.
    const deletesBefore = await outcomesOf('deleteTask');
    await call('deleteTask');
    expect(await outcomesOf('deleteTask')).toEqual([...deletesBefore, 'ok']);
    const entries = await count();
    await later;
    expect(await nameOf()).toBe('renamed-later');
    expect(await count()).toBe(entries);

    await call('cancelRun');
    expect((await outcomesOf('cancelRun')).at(-1)).toBe('ok');
    expect(await verifyChain(db)).toMatchObject({ ok: true });
    await rename(db, before).execute();
  });

  it('the chain verifies; the real CLI names an edited, a deleted and an appended row', async () => {
    const { master, dbUrl } = served;
    const good = await auditVerify(dbUrl);
    expect(good.out).toMatch(/The audit log verifies/);
    expect(good.code).toBe(0);
    const db = master.store.db;
    const third = await db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
    await db.updateTable('audit_log').set({ caller_name: 'someone else' }).where('seq', '=', 3).execute();
    const edited = await auditVerify(dbUrl);
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(/does not verify at entry 3: entry 3 was edited/);
    await db.updateTable('audit_log').set({ caller_name: third.caller_name }).where('seq', '=', 3).execute();
    expect((await verifyChain(db)).ok).toBe(true);

    const original4 = await db.selectFrom('audit_log').selectAll().where('seq', '=', 4).executeTakeFirstOrThrow();
    await db.deleteFrom('audit_log').where('seq', '=', 4).execute();
    const deleted = await auditVerify(dbUrl);
    expect(deleted.code).toBe(1);
    expect(deleted.out).toMatch(/at entry 5: entry 5 follows entry 3: entry 4 was deleted/);
    const fourth = { ...third, seq: 4 };
    // Put a forged entry 4 back: it does not carry the right hash.
    await db.insertInto('audit_log').values(fourth).execute();
    const forged = await verifyChain(db);
    expect(forged).toMatchObject({ ok: false, seq: 4 });
    await db.deleteFrom('audit_log').where('seq', '=', 4).execute();
    await db.insertInto('audit_log').values(original4).execute();
    expect((await verifyChain(db)).ok).toBe(true);

    // Swapping two entries' content (reordering) breaks the chain at the first of them.
    const sixth = await db.selectFrom('audit_log').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow();
    const seventh = await db.selectFrom('audit_log').selectAll().where('seq', '=', 7).executeTakeFirstOrThrow();
    await db
      .updateTable('audit_log')
      .set({ ...seventh, seq: 6 })
      .where('seq', '=', 6)
      .execute();
    await db
      .updateTable('audit_log')
      .set({ ...sixth, seq: 7 })
      .where('seq', '=', 7)
      .execute();
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      seq: 6,
      problem: expect.stringMatching(/does not follow entry 5/),
    });
    await db.updateTable('audit_log').set(sixth).where('seq', '=', 6).execute();
    await db.updateTable('audit_log').set(seventh).where('seq', '=', 7).execute();

    // Entries deleted at the end are found against the chain's head.
    const last = await db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    await db.deleteFrom('audit_log').where('seq', '=', last.seq).execute();
    expect(await verifyChain(db)).toMatchObject({ ok: false, seq: Number(last.seq) });
    await db.insertInto('audit_log').values(last).execute();
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('retention prunes the oldest entries and keeps the chain verifiable (the anchor)', async () => {
    const { master, dbUrl } = served;
    const db = master.store.db;
    const audit = new AuditLog(db, master.store.dialect, master.instanceId, silentLogger);
    const caller = systemCaller;
    const draft = (operation: string): AuditDraft => ({
      operation,
      caller,
      targets: [],
      detail: {},
      outcome: 'ok',
      errorCode: null,
      refSeq: null,
    });
    let clock = Date.now() + 10 * 86_400_000;
    const later = new AuditLog(
      db,
      master.store.dialect,
      master.instanceId,
      silentLogger,
      { retentionDays: 400 },
      () => clock,
    );
    await later.record([draft('later-1'), draft('later-2')]);
    clock += 1_000;
    await later.record([draft('later-3')]);
    expect((await verifyChain(db)).ok).toBe(true);
    // Keep one day back from a day after the first "later" entry: everything before it goes.
    const prune = new AuditRetention(
      db,
      master.store.dialect,
      86_400_000,
      silentLogger,
      () => clock - 1_000 + 86_400_000,
    );
    const pruned = await prune.runOnce();
    expect(pruned).toBeGreaterThan(0);
    const left = await db.selectFrom('audit_log').select('operation').orderBy('seq').execute();
    expect(left.map((r) => r.operation)).toEqual(['later-1', 'later-2', 'later-3']);
    const afterPrune = await auditVerify(dbUrl);
    expect(afterPrune.code).toBe(0);
    expect(afterPrune.out).toMatch(/verifies: 3 entries after the anchor/);
    // New entries chain on; the pruned chain still verifies.
    await audit.record([draft('after-prune')]);
    expect(await verifyChain(db)).toMatchObject({ ok: true, entries: 4 });
    expect((await served.api.client.auditStatus({})).anchorSeq).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasMariadb())('audit chain with two masters on one MariaDB', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('appends from both at once stay one verifiable line (the head row is locked)', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const a = await startServed(db.url, cleanup);
    const b = await startServed(db.url, cleanup);
    const { node } = await a.api.client.createNode({ name: 'shared-audit' });
    // Commands (the queue's group commit) and node updates (their entry in the update's transaction), interleaved.
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => {
        const api = (i % 2 ? a : b).api;
        return i % 3 === 0
          ? api.client.updateNode({ id: node.id, labels: { round: String(i) } })
          : api.client.enqueueCommands({ nodeIds: [node.id], exec: { command: `echo ${i}` } });
      }),
    );
    const rows = await a.master.store.db
      .selectFrom('audit_log')
      .select(['seq', 'instance_id'])
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => r.instance_id))).toEqual(new Set([a.master.instanceId, b.master.instanceId]));
    // 1 for the node, 16 commands, 8 updates (each entry in its change's transaction).
    expect(rows).toHaveLength(1 + 16 + 8);
    const verified = await auditVerify(a.dbUrl);
    expect(verified.out).toMatch(/The audit log verifies: 25 entries/);
  });
});
