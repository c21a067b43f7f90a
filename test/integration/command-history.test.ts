// The command history's API (issue 15, defect 2) on SQLite and MariaDB, through the real HTTP server:
// the text filter `q` (a literal, case-insensitive substring of the command — LIKE's wildcards and the
// escape character match themselves, key names and stdin do not match), the fan-out id every command
// of one enqueue shares (`batchId`, kept by retries) and the recorded origin (admin or task); and
// migration 11 filling origin and command text into a history written before it.
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { InputOf, OutputOf } from '../../main/contract/contract.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { openMariadb } from '../../main/core/store/mariadb.js';
import { migrate } from '../../main/core/store/migrate.js';
import { migrations } from '../../main/core/store/migrations.js';
import type { Database } from '../../main/core/store/schema.js';
import { openSqlite } from '../../main/core/store/sqlite.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'history-test-admin-token-0123456';

type Listed = OutputOf<'listCommands'>;

async function startServed(dbUrl: string | undefined, cleanup: Array<() => Promise<void>>) {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-history-'),
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
  return apiFor({ adminUrl: `http://127.0.0.1:${port}/`, adminToken: ADMIN_TOKEN });
}

const targets: Array<{ name: string; url: () => Promise<{ url: string | undefined; drop: () => Promise<void> }> }> = [
  { name: 'sqlite', url: async () => ({ url: undefined, drop: async () => undefined }) },
  ...(hasMariadb() ? [{ name: 'mariadb', url: freshMariadb }] : []),
];

describe.each(targets)('command history API ($name)', ({ url }) => {
  const cleanup: Array<() => Promise<void>> = [];
  let api: TestApi;
  let nodeIds: string[];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  const list = async (query: InputOf<'listCommands'>): Promise<Listed> => {
    const { status, body } = await api.reply('listCommands', query);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const enqueue = async (exec: InputOf<'enqueueCommands'>['exec'], nodes = nodeIds) => {
    const { status, body } = await api.reply('enqueueCommands', { nodeIds: nodes, exec });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.commands;
  };

  it('sets up two offline nodes (their commands stay pending)', async () => {
    const { url: dbUrl, drop } = await url();
    cleanup.push(drop);
    api = await startServed(dbUrl, cleanup);
    const created = await Promise.all(['hist-a', 'hist-b'].map((name) => api.client.createNode({ name })));
    nodeIds = created.map((c) => c.node.id);
  });

  it('q finds a substring of the command, case-insensitively, with LIKE wildcards taken literally', async () => {
    await enqueue({ command: 'systemctl reload nginx' });
    await enqueue({ command: 'df -h --output=pcent' }, [nodeIds[0] as string]);
    await enqueue({ command: 'echo 100% done' }, [nodeIds[0] as string]);
    await enqueue({ command: 'echo 1000 done' }, [nodeIds[0] as string]);
    await enqueue({ command: 'ls a_b' }, [nodeIds[0] as string]);
    await enqueue({ command: 'ls axb' }, [nodeIds[0] as string]);
    await enqueue({ command: 'printf "x!y"' }, [nodeIds[0] as string]);
    await enqueue({ command: 'echo C:\\temp' }, [nodeIds[0] as string]);
    await enqueue({ argv: ['/usr/bin/uptime', '--pretty'] }, [nodeIds[1] as string]);
    await enqueue({ command: 'cat', stdin: 'secret-in-stdin', env: { NEEDLE: 'in-env' } }, [nodeIds[1] as string]);

    const texts = (rows: Listed) => rows.map((r) => r.exec.command ?? r.exec.argv?.join(' ')).sort();
    expect(texts(await list({ q: 'NGINX' }))).toEqual(['systemctl reload nginx', 'systemctl reload nginx']);
    expect(texts(await list({ q: '100%' }))).toEqual(['echo 100% done']);
    expect(texts(await list({ q: 'a_b' }))).toEqual(['ls a_b']);
    expect(texts(await list({ q: 'x!y' }))).toEqual(['printf "x!y"']);
    expect(texts(await list({ q: 'C:\\t' }))).toEqual(['echo C:\\temp']);
    // argv commands are searched as their words joined by spaces.
    expect(texts(await list({ q: 'uptime --pretty' }))).toEqual(['/usr/bin/uptime --pretty']);
    // The payload's key names, stdin and env are not the command's text.
    expect(await list({ q: 'command' })).toEqual([]);
    expect(await list({ q: 'secret-in-stdin' })).toEqual([]);
    expect(await list({ q: 'in-env' })).toEqual([]);
    // Combined with the other filters, and paged by cursor.
    const onA = await list({ q: 'echo', nodeId: nodeIds[0], limit: 1 });
    expect(texts(onA)).toEqual(['echo C:\\temp']);
    const next = await list({ q: 'echo', nodeId: nodeIds[0], limit: 5, before: onA[0]?.id });
    expect(texts(next)).toEqual(['echo 100% done', 'echo 1000 done']);
    expect(await list({ q: 'nginx', status: 'succeeded' })).toEqual([]);
  });

  it('q is bounded and must say something', async () => {
    const tooLong = await api.failure('listCommands', { q: 'x'.repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.message).toMatch(/200/);
    expect((await api.failure('listCommands', { q: '  ' })).status).toBe(400);
    expect((await list({ q: 'x'.repeat(200) })).length).toBe(0);
  });

  it('every command of one enqueue shares a fan-out id, which lists exactly them', async () => {
    const fanOut = await enqueue({ command: 'hostname' });
    const other = await enqueue({ command: 'hostname' });
    const batchId = fanOut[0]?.batchId as string;
    expect(batchId).toMatch(/^fan_/);
    expect(fanOut.map((c) => c.batchId)).toEqual([batchId, batchId]);
    expect(other[0]?.batchId).not.toBe(batchId);
    const listed = await list({ batchId });
    expect(listed.map((c) => c.id).sort()).toEqual(fanOut.map((c) => c.id).sort());
    expect((await api.failure('listCommands', { batchId: 'f'.repeat(65) })).status).toBe(400);
  });

  it('records who asked: the admin API, or the task and how its run started', async () => {
    const [admin] = await enqueue({ command: 'whoami' }, [nodeIds[0] as string]);
    expect(admin?.origin).toBe('admin (API/UI)');
    const task = await api.client.createTask({
      name: 'nightly backup',
      exec: { command: 'backup.sh' },
      targets: { nodeIds },
    });
    const run = await api.client.runTask({ id: task.id });
    const ofRun = await list({ taskRunId: run.id });
    expect(ofRun).toHaveLength(2);
    expect(new Set(ofRun.map((c) => c.origin))).toEqual(new Set(['task nightly backup (manual)']));
    expect(new Set(ofRun.map((c) => c.batchId)).size).toBe(1);
  });
});

/** A database at schema version 10 with a node, a task run and three commands, then migrated to the latest. */
async function historyBeforeMigration11(db: Kysely<Database>) {
  await migrate(db, migrations.slice(0, 10));
  await db
    .insertInto('nodes')
    .values({
      id: 'n1',
      name: 'old',
      labels: '{}',
      kind: 'agent',
      token_hash: null,
      prev_token_hash: null,
      prev_token_expires_at: null,
      revoked_at: null,
      status: 'offline',
      hostname: null,
      os: null,
      platform: null,
      arch: null,
      kernel: null,
      boot_id: null,
      agent_version: null,
      remote_addr: null,
      capabilities: null,
      connected_since: null,
      last_seen_at: null,
      created_at: 1,
      updated_at: 1,
    } as never)
    .execute();
  await db
    .insertInto('tasks')
    .values({
      id: 't1',
      name: 'rotate logs',
      exec: '{"command":"logrotate"}',
      targets: '{"nodeIds":["n1"]}',
      timeout_sec: 60,
      retry: null,
      concurrency: null,
      schedule: '0 * * * *',
      timezone: null,
      overlap: 'skip',
      enabled: 1,
      created_at: 1,
      updated_at: 1,
      deadline_sec: null,
    } as never)
    .execute();
  await db
    .insertInto('task_runs')
    .values({
      id: 'r1',
      task_id: 't1',
      trigger: 'schedule',
      status: 'succeeded',
      concurrency: null,
      total: 1,
      first_failure: null,
      scheduled_for: 1,
      created_at: 1,
      finished_at: 2,
      reason: null,
    })
    .execute();
  const command = (id: string, payload: unknown, taskRunId: string | null) => ({
    id,
    node_id: 'n1',
    task_run_id: taskRunId,
    retry_of: null,
    kind: 'exec',
    payload: JSON.stringify(payload),
    status: 'succeeded' as const,
    attempt: 1,
    max_attempts: 1,
    retry_delay_ms: 0,
    timeout_ms: 1000,
    output_limit: 1024,
    deadline_at: null,
    cancel_requested_at: null,
    created_at: 1,
    dispatched_at: null,
    started_at: null,
    finished_at: null,
    exit_code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: 0,
    error: null,
  });
  await db
    .insertInto('commands')
    .values([
      command('cmd_1', { command: `echo ${'é'.repeat(1500)}` }, null),
      command('cmd_2', { argv: ['tar', 'czf', 'x.tgz'] }, null),
      command('cmd_3', { command: 'logrotate' }, 'r1'),
    ] as never)
    .execute();
  await migrate(db);
  return db.selectFrom('commands').select(['id', 'origin', 'command_text', 'batch_id']).orderBy('id').execute();
}

describe('migration 11 fills the history written before it', () => {
  const expected = [
    { id: 'cmd_1', origin: 'admin (API/UI)', command_text: `echo ${'é'.repeat(1019)}`, batch_id: null },
    { id: 'cmd_2', origin: 'admin (API/UI)', command_text: 'tar czf x.tgz', batch_id: null },
    { id: 'cmd_3', origin: 'task rotate logs (schedule)', command_text: 'logrotate', batch_id: null },
  ];

  it('on SQLite', async () => {
    const { db } = openSqlite(join(tempDir(), 'old.db'));
    try {
      expect(await historyBeforeMigration11(db)).toEqual(expected);
    } finally {
      await db.destroy();
    }
  });

  it.runIf(hasMariadb())('on MariaDB', async () => {
    const { url, drop } = await freshMariadb();
    const { db } = openMariadb(url);
    try {
      expect(await historyBeforeMigration11(db)).toEqual(expected);
    } finally {
      await db.destroy();
      await drop();
    }
  });
});
