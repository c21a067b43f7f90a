// The admin API under a stalled database and malformed requests (issue 24, items 8 and 11 and the
// small ones): a master in this process on MariaDB behind a TCP proxy that stops forwarding without
// closing (the shared mariadbd is never stopped). Figures that need MariaDB are reported as skipped
// (value NaN) without it; the malformed-request count runs on SQLite.
import { connect } from 'node:net';
import { contract, streams } from '../../../main/contract/contract.js';
import { compileRoutes } from '../../../main/contract/routes.js';
import { silentLogger } from '../../../main/core/log.js';
import { Master } from '../../../main/core/master.js';
import { AdminServer } from '../../../main/server/http.js';
import { freshMariadb, MARIADB_URL } from '../../helpers/databases.js';
import { tempDir } from '../../helpers/processes.js';
import { CuttableProxy } from '../../helpers/tcp-proxy.js';
import type { Attack, AttackRow } from './report.js';

const TOKEN = 'hostile-api-admin-token-0123456789';
/** The figures: requests retried after 20 s of silence, all of which had run. */
const RETRIED = 16;
/** A client that hears nothing gives up this soon and retries with the same key. */
const CLIENT_PATIENCE_MS = 2_000;

type Served = { port: number; stop: () => Promise<void> };

async function serve(dbUrl?: string): Promise<Served> {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-hostile-api-'),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: false,
    adminToken: TOKEN,
    dbUrl,
    log: silentLogger,
  });
  const server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  const { port } = await server.start();
  return {
    port,
    stop: async () => {
      await server.stop();
      await master.stop().catch(() => undefined);
    },
  };
}

async function call(port: number, method: string, path: string, body?: unknown, key?: string, patienceMs = 30_000) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(patienceMs),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Status and time of one request; a request not answered within `patienceMs` counts as that long. */
async function timed(port: number, path: string, patienceMs: number): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const status = await call(port, 'GET', path, undefined, undefined, patienceMs).then(
    (r) => r.status,
    () => 0,
  );
  return { status, ms: Math.round(performance.now() - started) };
}

async function stalledDatabase(): Promise<AttackRow[]> {
  const rows = (value: number, health: number, nodes: number): AttackRow[] => [
    {
      attack: 'stalled database: retried enqueues (same key)',
      measure: 'commands enqueued twice',
      value,
      before: RETRIED,
      target: '0',
      ok: value === 0,
    },
    {
      attack: 'stalled database: /api/health',
      measure: 'slowest answer ms',
      value: health,
      before: 5_000,
      target: '≤ 1000 ms, 503',
      ok: health <= 1_000,
    },
    {
      attack: 'stalled database: /api/nodes',
      measure: 'slowest answer ms',
      value: nodes,
      before: null,
      target: '≤ 10000 ms, 503',
      ok: nodes <= 10_000,
    },
  ];
  let db: { url: string; drop: () => Promise<void> };
  try {
    db = await freshMariadb();
  } catch {
    return rows(Number.NaN, Number.NaN, Number.NaN).map((r) => ({ ...r, ok: true, target: `${r.target} (skipped)` }));
  }
  const proxy = new CuttableProxy('127.0.0.1', Number(new URL(MARIADB_URL).port || 3306));
  const viaProxy = new URL(db.url);
  viaProxy.port = String(await proxy.start());
  const served = await serve(viaProxy.href);
  try {
    const node = (await call(served.port, 'POST', '/api/nodes', { name: 'stall-target' })).body.node as { id: string };
    const request = (i: number) => ({ nodeIds: [node.id], exec: { command: `echo retried-${i}` } });
    const keys = Array.from({ length: RETRIED }, (_, i) => `hostile-retry-${i}`);
    proxy.stall();
    // Impatient clients: each request, then its retry, gives up after 2 s of silence.
    const attempt = (i: number, patienceMs: number) =>
      call(served.port, 'POST', '/api/commands', request(i), keys[i], patienceMs).catch(() => null);
    await Promise.all(keys.map((_, i) => attempt(i, CLIENT_PATIENCE_MS)));
    const health = [];
    for (let i = 0; i < 4; i++) health.push(await timed(served.port, '/api/health', 5_000));
    const nodes = await timed(served.port, '/api/nodes', 20_000);
    await Promise.all(keys.map((_, i) => attempt(i, CLIENT_PATIENCE_MS)));
    proxy.resume();
    // Retry until each request is answered, as a client with a key may.
    for (const [i] of keys.entries()) {
      for (let tries = 0; tries < 30; tries++) {
        const answer = await attempt(i, 10_000);
        if (answer?.status === 201) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const listed = await call(served.port, 'GET', `/api/commands?nodeId=${node.id}&limit=500`);
    const enqueued = (listed.body as unknown as unknown[]).length;
    const slowestHealth = Math.max(...health.map((h) => (h.status === 503 ? h.ms : 5_000)));
    return rows(enqueued - RETRIED, slowestHealth, nodes.status === 503 ? nodes.ms : 20_000);
  } finally {
    proxy.resume();
    await served.stop();
    await proxy.stop();
    await db.drop().catch(() => undefined);
  }
}

/** Status of one hand-written request (any target, no client-side normalisation). */
function rawStatus(port: number, from: string, requestLine: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let head = '';
    socket.on('data', (c) => {
      head += c.toString('latin1');
    });
    socket.on('error', () => resolve(0));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.end(`${requestLine}\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
}

async function malformedRequests(): Promise<AttackRow> {
  const served = await serve();
  try {
    const operations = { ...contract, ...streams } as Record<string, { path: string }>;
    const targets = [...compileRoutes(contract), ...compileRoutes(streams)]
      .filter((r) => r.params.length > 0)
      .map((r) => `${r.method} ${(operations[r.name] as { path: string }).path.replace(/:[A-Za-z]+/g, '%E0%A4%A')}`);
    targets.push('GET /assets/%E0%A4%A.js', 'GET //x:99999/');
    let internal = 0;
    // One loopback address per request: the limiter counts them, and must not mask a 500 with a 429.
    for (const [i, target] of targets.entries()) {
      if ((await rawStatus(served.port, `127.0.1.${i + 1}`, `${target} HTTP/1.1`)) === 500) internal++;
    }
    return {
      attack: 'malformed percent-encoding and targets',
      measure: 'requests answered 500',
      value: internal,
      before: 29,
      target: '0',
      ok: internal === 0,
    };
  } finally {
    await served.stop();
  }
}

export const apiAbuseAttack: Attack = async () => [...(await stalledDatabase()), await malformedRequests()];
