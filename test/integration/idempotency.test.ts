// Idempotency-Key on POST /api/commands and POST /api/tasks/:id/run, on SQLite and MariaDB, through
// the real HTTP server: a retry with the same key answers with the first request's commands (or run)
// and enqueues nothing; the same key with another body is refused; in shared mode a retry on another
// master — before or at the same time as the first — also finds the key.
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'idempotency-test-admin-token-0123';

type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Record<string, unknown> }>;

async function startServed(dbUrl: string | undefined, cleanup: Array<() => Promise<void>>) {
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
  const api: Api = async (method, path, body, headers = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return api;
}

const ids = (body: Record<string, unknown>) => (body.commands as Array<{ id: string }>).map((c) => c.id);

async function commandsOf(api: Api, nodeId: string): Promise<number> {
  const { body } = await api('GET', `/api/commands?nodeId=${nodeId}&limit=500`);
  return (body as unknown as unknown[]).length;
}

async function twoNodes(api: Api): Promise<string[]> {
  const created = await Promise.all(['idem-a', 'idem-b'].map((name) => api('POST', '/api/nodes', { name })));
  return created.map((c) => (c.body.node as { id: string }).id);
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
    const request = { nodeIds, exec: { command: 'echo once' } };
    const first = await api('POST', '/api/commands', request, { 'idempotency-key': 'deploy-42' });
    expect(first.status).toBe(201);
    expect(ids(first.body)).toHaveLength(2);
    const again = await api('POST', '/api/commands', request, { 'idempotency-key': 'deploy-42' });
    expect(again.status).toBe(201);
    expect(ids(again.body)).toEqual(ids(first.body));
    // The key in the body (as IPC and the typed client send it) is the same key.
    const inBody = await api('POST', '/api/commands', { ...request, idempotencyKey: 'deploy-42' });
    expect(ids(inBody.body)).toEqual(ids(first.body));
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);

    const other = await api(
      'POST',
      '/api/commands',
      { nodeIds, exec: { command: 'rm -rf /tmp/x' } },
      { 'idempotency-key': 'deploy-42' },
    );
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused' });
    expect((other.body.error as { message: string }).message).toMatch(/different request/);
    const mismatch = await api(
      'POST',
      '/api/commands',
      { ...request, idempotencyKey: 'a' },
      { 'idempotency-key': 'b' },
    );
    expect(mismatch.status).toBe(400);
    const badKey = await api('POST', '/api/commands', request, { 'idempotency-key': 'has space' });
    expect(badKey.status).toBe(400);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);
    // Without a key nothing changed: every request enqueues.
    await api('POST', '/api/commands', request);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(2);
  });

  it('attempts at the same time enqueue once', async () => {
    const api = await startServed(await url(), cleanup);
    const nodeIds = await twoNodes(api);
    const request = { nodeIds, exec: { command: 'echo burst' } };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api('POST', '/api/commands', request, { 'idempotency-key': 'burst-1' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => ids(a.body).join()))).toHaveProperty('size', 1);
    for (const id of nodeIds) expect(await commandsOf(api, id)).toBe(1);
  });

  it('a task run with a key starts once', async () => {
    const api = await startServed(await url(), cleanup);
    const nodeIds = await twoNodes(api);
    const task = await api('POST', '/api/tasks', {
      name: 'idem task',
      exec: { command: 'true' },
      targets: { nodeIds },
    });
    expect(task.status).toBe(201);
    const path = `/api/tasks/${task.body.id}/run`;
    const runs = await Promise.all([1, 2, 3].map(() => api('POST', path, {}, { 'idempotency-key': 'nightly-7' })));
    expect(new Set(runs.map((r) => r.body.id)).size).toBe(1);
    const again = await api('POST', path, {}, { 'idempotency-key': 'nightly-7' });
    expect(again.body.id).toBe(runs[0]?.body.id);
    const listed = await api('GET', `/api/tasks/${task.body.id}/runs`);
    expect(listed.body as unknown as unknown[]).toHaveLength(1);
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
    const request = { nodeIds, exec: { command: 'echo shared' } };
    const first = await a('POST', '/api/commands', request, { 'idempotency-key': 'shared-1' });
    const onB = await b('POST', '/api/commands', request, { 'idempotency-key': 'shared-1' });
    expect(ids(onB.body)).toEqual(ids(first.body));
    const raced = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b)('POST', '/api/commands', request, { 'idempotency-key': 'shared-2' }),
      ),
    );
    expect(raced.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(raced.map((r) => ids(r.body).join())).size).toBe(1);
    for (const id of nodeIds) expect(await commandsOf(b, id)).toBe(2);
  });
});
