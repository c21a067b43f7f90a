// A master core and admin server in the test process: real SQLite file, real HTTP, real TLS gateway.
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor } from './api-client.js';
import { tempDir } from './processes.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function startInProcess(options: { dbUrl?: string } = {}) {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-core-'),
    dbUrl: options.dbUrl,
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    adminToken: ADMIN_TOKEN,
    log: silentLogger,
  });
  const server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  const { port } = await server.start();
  const base = `http://127.0.0.1:${port}`;
  const request = async (method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, {
      method,
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, body: json as Record<string, unknown> & Array<Record<string, unknown>> };
  };
  const stop = async () => {
    await server.stop();
    await master.stop();
  };
  // `request` is raw HTTP (auth, routing, malformed input); the contract's operations are typed.
  return { master, base, request, stop, ...apiFor({ adminUrl: `${base}/`, adminToken: ADMIN_TOKEN }) };
}
