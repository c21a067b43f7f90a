// Idempotency-Key on POST /api/commands and POST /api/tasks/:id/run, on SQLite and MariaDB, through
// the real HTTP server: a retry with the same key answers with the first request's commands (or run)
// and enqueues nothing; the same key with another body is refused; in shared mode a retry on another
// master — before or at the same time as the first — also finds the key.
import { afterAll, describe, expect, it } from 'vitest';
import type { InputOf, OutputOf } from '../../main/contract/contract.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'idempotency-test-admin-token-0123';

async function startServed(dbUrl: string | undefined, cleanup: Array<() => Promise<void>>): Promise<TestApi> {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-idem-'),
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

/** The REST header; the same key may travel in the body as `idempotencyKey`. */
const key = (value: string) => ({ headers: { 'idempotency-key': value } });
const ids = (answer: OutputOf<'enqueueCommands'>) => answer.commands.map((c) => c.id);

async function commandsOf(api: TestApi, nodeId: string): Promise<number> {
  return (await api.client.listCommands({ nodeId, limit: 500 })).length;
}

async function twoNodes(api: TestApi): Promise<string[]> {
  const created = await Promise.all(['idem-a', 'idem-b'].map((name) => api.client.createNode({ name })));
  return created.map((c) => c.node.id);
}

const targets: Array<{ name: string; url: () => Promise<string | undefined>; skip: boolean }> = [
  { name: 'sqlite', url: async () => undefined, skip: false },
  { name: 'mariadb', url: async () => (await freshMariadb()).url, skip: !hasMariadb() },
];

describe.each(targets.filter((t) => !t.skip))('Idempotency-Key ($name)', ({ url }) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('a retry answers with the same commands and enqueues nothing; another body is refused', async () => {
    const api = await startServed(await url(), cleanup);
    const nodeIds = await twoNodes(api);
    const request: InputOf<'enqueueCommands'> = { nodeIds, exec: { command: 'echo once' } };
    const first = await api.reply('enqueueCommands', request, key('deploy-42'));
    expect(first.status).toBe(201);
    expect(ids(first.body)).toHaveLength(2);
    const again = await api.reply('enqueueCommands', request, key('deploy-42'));
    expect(again.status).toBe(201);
    expect(ids(again.body)).toEqual(ids(first.body));
    // The key in the body (as IPC and the typed client send it) is the same key.
    const inBody = await api.client.enqueueCommands({ ...request, idempotencyKey: 'deploy-42' });
    expect(ids(inBody)).toEqual(ids(first.body));
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);

    const other = await api.failure(
      'enqueueCommands',
      { nodeIds, exec: { command: 'rm -rf /tmp/x' } },
      key('deploy-42'),
    );
    expect(other.status).toBe(422);
    expect(other.code).toBe('idempotency_key_reused');
    expect(other.message).toMatch(/different request/);
    const mismatch = await api.failure('enqueueCommands', { ...request, idempotencyKey: 'a' }, key('b'));
    expect(mismatch.status).toBe(400);
    const badKey = await api.failure('enqueueCommands', request, key('has space'));
    expect(badKey.status).toBe(400);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);
    // Without a key nothing changed: every request enqueues.
    await api.client.enqueueCommands(request);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(2);
  });

  it('attempts at the same time enqueue once', async () => {
    const api = await startServed(await url(), cleanup);
    const nodeIds = await twoNodes(api);
    const request: InputOf<'enqueueCommands'> = { nodeIds, exec: { command: 'echo burst' } };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api.reply('enqueueCommands', request, key('burst-1'))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => ids(a.body).join()))).toHaveProperty('size', 1);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);
  });

  it('a task run with a key starts once', async () => {
    const api = await startServed(await url(), cleanup);
    const nodeIds = await twoNodes(api);
    const task = await api.reply('createTask', {
      name: 'idem task',
      exec: { command: 'true' },
      targets: { nodeIds },
    });
    expect(task.status).toBe(201);
    const run = () => api.reply('runTask', { id: task.body.id }, key('nightly-7'));
    const runs = await Promise.all([1, 2, 3].map(run));
    expect(new Set(runs.map((r) => r.body.id)).size).toBe(1);
    const again = await run();
    expect(again.body.id).toBe(runs[0]?.body.id);
    expect(await api.client.listTaskRuns({ id: task.body.id })).toHaveLength(1);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);
  });
});

describe.runIf(hasMariadb())('Idempotency-Key across two masters sharing MariaDB', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('a retry on the other master, after or at the same time, finds the key', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const a = await startServed(db.url, cleanup);
    const b = await startServed(db.url, cleanup);
    const nodeIds = await twoNodes(a);
    const request: InputOf<'enqueueCommands'> = { nodeIds, exec: { command: 'echo shared' } };
    const first = await a.reply('enqueueCommands', request, key('shared-1'));
    const onB = await b.reply('enqueueCommands', request, key('shared-1'));
    expect(ids(onB.body)).toEqual(ids(first.body));
    const raced = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).reply('enqueueCommands', request, key('shared-2'))),
    );
    expect(raced.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(raced.map((r) => ids(r.body).join())).size).toBe(1);
    for (const id of nodeIds) expect(await commandsOf(b, id)).toBe(2);
  });
});
