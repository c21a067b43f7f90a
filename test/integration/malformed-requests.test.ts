// Requests the admin server cannot read — malformed percent-encoding on every route with a path
// parameter and in the static handler, an invalid authority (`GET //x:99999/`), a request line past
// Node's header limit, an unknown method — answer 4xx in the documented error shape, log no stack
// trace, and count toward the address's limiter. Node names with NUL or control characters are refused.
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, streams } from '../../main/contract/contract.js';
import { compileRoutes } from '../../main/contract/routes.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'malformed-test-admin-token-01234';
const MALFORMED = '%E0%A4%A';

interface RawAnswer {
  status: number;
  body: string;
}

/** One HTTP/1.1 request written by hand (any method, any target) from a chosen loopback address. */
function raw(port: number, from: string, requestLine: string, headers: string[] = []): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks))));
    const all = ['host: 127.0.0.1', 'connection: close', 'content-length: 0', ...headers];
    socket.end(`${requestLine}\r\n${all.join('\r\n')}\r\n\r\n`);
  });
}

/** Status and body of a whole HTTP/1.1 response (chunked or not); chunk sizes count bytes, not characters. */
function parseResponse(bytes: Buffer): RawAnswer {
  const split = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, split).toString('utf8');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let body = bytes.subarray(split + 4);
  if (head.toLowerCase().includes('transfer-encoding: chunked')) {
    const parts: Buffer[] = [];
    for (let rest = body; ; ) {
      const lineEnd = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  }
  return { status, body: body.toString('utf8') };
}

function errorOf(answer: RawAnswer): { code: string; message: string } {
  return (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
}

describe('malformed requests', () => {
  const logLines: string[] = [];
  let master: Master;
  let server: AdminServer;
  let port = 0;
  let nextAddress = 10;
  /** Each probe from an address of its own, so the limiter's count is tested on purpose only. */
  const fresh = () => `127.0.0.${nextAddress++}`;

  beforeAll(async () => {
    const log = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
    const staticDir = tempDir('fleetdeck-static-');
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FleetDeck</title>');
    master = await Master.start({
      dataDir: tempDir('fleetdeck-malformed-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: false,
      adminToken: ADMIN_TOKEN,
      log,
    });
    server = new AdminServer({ host: '127.0.0.1', port: 0, master, log, staticDir });
    ({ port } = await server.start());
  });
  afterAll(async () => {
    await server.stop();
    await master.stop();
  });

  it('answers 400 on every route with a path parameter, without authentication, and logs no stack', async () => {
    const routes = [...compileRoutes(contract), ...compileRoutes(streams)].filter((r) => r.params.length > 0);
    const operations = { ...contract, ...streams } as Record<string, { path: string }>;
    expect(routes.length).toBeGreaterThanOrEqual(29);
    for (const route of routes) {
      const path = (operations[route.name] as { path: string }).path.replace(/:[A-Za-z]+/g, MALFORMED);
      const answer = await raw(port, fresh(), `${route.method} ${path} HTTP/1.1`);
      expect({ route: route.name, status: answer.status }).toEqual({ route: route.name, status: 400 });
      expect(errorOf(answer)).toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/percent-encoding/),
      });
    }
    const staticAnswer = await raw(port, fresh(), `GET /assets/${MALFORMED}.js HTTP/1.1`);
    expect(staticAnswer.status).toBe(400);
    expect(errorOf(staticAnswer).code).toBe('bad_request');
    const authority = await raw(port, fresh(), 'GET //x:99999/ HTTP/1.1');
    expect(authority.status).toBe(400);
    expect(errorOf(authority).code).toBe('bad_request');
    expect(logLines.filter((l) => /admin request failed|"stack"/.test(l))).toEqual([]);
  });

  it('counts malformed requests toward the address limiter', async () => {
    const address = fresh();
    for (let i = 0; i < 30; i++) await raw(port, address, `GET /api/nodes/${MALFORMED} HTTP/1.1`);
    const authorized = [`authorization: Bearer ${ADMIN_TOKEN}`];
    const blocked = await raw(port, address, 'GET /api/nodes HTTP/1.1', [
      'authorization: Bearer wrong-token-0123456789',
    ]);
    expect(blocked.status).toBe(429);
    expect(errorOf(blocked).code).toBe('rate_limited');
    // The right token is never locked out, whatever its address did before.
    expect((await raw(port, address, 'GET /api/nodes HTTP/1.1', authorized)).status).toBe(200);
    // Another address is not affected.
    expect((await raw(port, fresh(), 'GET /api/nodes HTTP/1.1', authorized)).status).toBe(200);
  });

  it('answers a request line past 16 KiB with 431 and an unknown method with 400, in the documented shape', async () => {
    const long = await raw(port, fresh(), `GET /api/nodes/${'a'.repeat(20_000)} HTTP/1.1`);
    expect(long.status).toBe(431);
    expect(errorOf(long)).toMatchObject({ code: 'headers_too_large', message: expect.stringMatching(/16 KiB/) });
    const longHeader = await raw(port, fresh(), 'GET /api/health HTTP/1.1', [`x-filler: ${'b'.repeat(20_000)}`]);
    expect(longHeader.status).toBe(431);
    const unknown = await raw(port, fresh(), 'FROB /api/nodes HTTP/1.1');
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/method/) });
  });

  it('refuses node names with NUL or control characters, clearly', async () => {
    const authorized = [`authorization: Bearer ${ADMIN_TOKEN}`, 'content-type: application/json'];
    const post = (name: string) =>
      new Promise<RawAnswer>((resolve, reject) => {
        const body = JSON.stringify({ name });
        const socket = connect({ host: '127.0.0.1', port });
        const chunks: Buffer[] = [];
        socket.on('data', (c) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks))));
        const head = [
          'host: 127.0.0.1',
          'connection: close',
          `content-length: ${Buffer.byteLength(body)}`,
          ...authorized,
        ];
        socket.end(`POST /api/nodes HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n${body}`);
      });
    for (const name of ['web\u00001', 'web\n01', 'a\u001bb', 'x\u007fy']) {
      const answer = await post(name);
      expect(answer.status).toBe(400);
      expect(errorOf(answer).message).toMatch(/control characters/);
    }
    expect((await post('web-01 (rack 4)')).status).toBe(201);
  });
});
