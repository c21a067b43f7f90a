// The REST API as a client sees it: auth, node lifecycle, stable error codes, OpenAPI, events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, streams } from '../../main/contract/contract.js';
import { LOCAL_NODE_ID } from '../../main/core/master.js';
import { startInProcess } from '../helpers/in-process.js';

let api: Awaited<ReturnType<typeof startInProcess>>;
beforeAll(async () => {
  api = await startInProcess();
});
afterAll(async () => {
  await api.stop();
});

describe('admin API', () => {
  it('health needs no login and checks the database', async () => {
    const { status, body } = await api.request('GET', '/api/health', undefined, null);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, version: '0.1.0', database: { ok: true, dialect: 'sqlite' } });
    expect(body.instanceId).toMatch(/[0-9a-f-]{36}/);
  });

  it('everything else needs the admin token', async () => {
    for (const token of [null, 'wrong-token']) {
      const { status, body } = await api.request('GET', '/api/nodes', undefined, token);
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await api.request('GET', '/api/events', undefined, null)).status).toBe(401);
  });

  it('starts with the built-in local node online', async () => {
    const nodes = await api.client.listNodes({});
    const local = nodes.find((n) => n.id === LOCAL_NODE_ID);
    expect(local).toMatchObject({ kind: 'local', status: 'online', agentVersion: '0.1.0' });
    expect(local?.capabilities).toMatchObject({ exec: true, files: true });
    const del = await api.failure('deleteNode', { id: LOCAL_NODE_ID });
    expect(del.status).toBe(409);
  });

  it('creates, renames, relabels, rotates and deletes a node', async () => {
    const created = await api.reply('createNode', { name: 'db-1', labels: { role: 'db', env: 'prod' } });
    expect(created.status).toBe(201);
    const { node, token, agentCommand } = created.body;
    expect(token).toMatch(/^fdk_/);
    expect(agentCommand).toMatch(
      /--master wss:\/\/127\.0\.0\.1:\d+ --token fdk_\S+ --ca-fingerprint sha256:[0-9a-f]{64}/,
    );
    // The token is not stored in clear and never shown again.
    const fetched = await api.client.getNode({ id: node.id });
    expect(JSON.stringify(fetched)).not.toContain(token);
    const row = await api.master.store.db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', node.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token);

    const patched = await api.client.updateNode({ id: node.id, name: 'db-primary', labels: { role: 'db' } });
    expect(patched).toMatchObject({ name: 'db-primary', labels: { role: 'db' } });

    const rotated = await api.client.rotateNodeToken({ id: node.id, overlapSec: 60 });
    expect(rotated.token).not.toBe(token);
    expect(await api.master.registry.authenticate(token)).toMatchObject({ nodeId: node.id });
    expect(await api.master.registry.authenticate(rotated.token)).toMatchObject({
      nodeId: node.id,
      expiresAt: null,
    });

    expect((await api.reply('deleteNode', { id: node.id })).status).toBe(200);
    expect((await api.failure('getNode', { id: node.id })).code).toBe('not_found');
  });

  it('refuses to delete a node with pending work unless forced', async () => {
    const { id } = (await api.client.createNode({ name: 'busy' })).node;
    const queued = await api.reply('enqueueCommands', { nodeIds: [id], exec: { command: 'echo waiting' } });
    expect(queued.status).toBe(201);
    const refused = await api.failure('deleteNode', { id });
    expect(refused.status).toBe(409);
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringMatching(/1 pending.*force=true/) });
    expect((await api.reply('deleteNode', { id, force: true })).status).toBe(200);
    const commandId = queued.body.commands[0]?.id as string;
    expect((await api.failure('getCommand', { id: commandId })).status).toBe(404);
  });

  it('answers bad input with a clear 4xx and a stable code', async () => {
    const cases: Array<[string, string, unknown, number, string, RegExp]> = [
      ['POST', '/api/nodes', { name: '' }, 400, 'bad_request', /name: a node needs a name/],
      ['POST', '/api/nodes', { name: 'x', labels: { 'Bad Key': 'v' } }, 400, 'bad_request', /label keys/],
      ['POST', '/api/nodes', '{"name":', 400, 'bad_request', /not valid JSON/],
      ['POST', '/api/nodes', [1, 2], 400, 'bad_request', /JSON object/],
      ['GET', '/api/nodes/nope', undefined, 404, 'not_found', /node "nope" does not exist/],
      ['POST', `/api/nodes/${LOCAL_NODE_ID}/rotate-token`, {}, 409, 'conflict', /no token/],
      ['GET', '/api/nope', undefined, 404, 'not_found', /No API route/],
      ['PUT', '/api/nodes', {}, 400, 'bad_request', /PUT is not allowed/],
      ['POST', '/api/nodes', { name: 'x'.repeat(2_000_000) }, 413, 'payload_too_large', /1 MiB/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const response = await api.request(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.body.error).toMatchObject({ code });
      expect(String((response.body.error as { message: string }).message)).toMatch(message);
    }
  });

  it('publishes an OpenAPI document derived from every contract operation', async () => {
    const { body } = await api.request('GET', '/api/openapi.json', undefined, null);
    const operationIds = Object.values(body.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (methods) => Object.values(methods).map((m) => m.operationId),
    );
    expect(operationIds.sort()).toEqual([...Object.keys(contract), ...Object.keys(streams)].sort());
    const create = (body.paths as Record<string, Record<string, Record<string, unknown>>>)['/api/nodes']?.post;
    expect(JSON.stringify(create?.requestBody)).toContain('"name"');
    expect((body.paths as Record<string, unknown>)['/api/nodes/{id}']).toBeDefined();
  });

  it('streams node events to subscribers', async () => {
    const controller = new AbortController();
    const response = await fetch(`${api.base}/api/events`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
      .getReader();
    const { id } = (await api.client.createNode({ name: 'evented' })).node;
    let text = '';
    while (!text.includes(id)) text += (await reader.read()).value ?? '';
    expect(text).toMatch(new RegExp(`event: nodeChanged\\ndata: \\{"nodeId":"${id}"\\}`));
    controller.abort();
  });
});
