// Starvation and exhaustion at the agent gateway (issue 24, items 9 and 10), on real sockets against a
// master core in this process (real SQLite file, real TLS gateway, real admin HTTP server) and a real
// agent process. Attackers dial from 127.0.0.2, agents from 127.0.0.1, so the two are different
// addresses as they would be on a network.
import { connect as connectTcp, type Socket, type TcpNetConnectOpts } from 'node:net';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayOptions } from '../../main/core/gateway/gateway.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor } from '../helpers/api-client.js';
import { type Proc, startAgent, tempDir, waitFor } from '../helpers/processes.js';

const ATTACKER = '127.0.0.2';
const ADMIN_TOKEN = 'test-admin-token-exhaustion-0123';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startCore(agentAdmission: GatewayOptions['tlsAdmission'] = {}) {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-exhaustion-'),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    adminToken: ADMIN_TOKEN,
    agentAdmission,
    log: silentLogger,
  });
  const admin = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  const { port: adminPort } = await admin.start();
  const { client, reply } = apiFor({ adminUrl: `http://127.0.0.1:${adminPort}/`, adminToken: ADMIN_TOKEN });
  cleanups.push(async () => {
    await admin.stop();
    await master.stop();
  });
  const port = master.agentPort;
  return {
    master,
    port,
    client,
    reply,
    agentUrl: `wss://127.0.0.1:${port}`,
    figures: async () => {
      const figures = (await client.health({})).tlsHandshakes;
      if (!figures) throw new Error('health has no tlsHandshakes, yet the gateway runs TLS here');
      return figures;
    },
    newNode: async (name: string) => {
      const { node, token } = await client.createNode({ name });
      return { id: node.id, token };
    },
  };
}

/** Connections a test opened; all destroyed afterwards. */
function tracked<T extends Socket>(socket: T): T {
  socket.on('error', () => undefined);
  cleanups.push(() => void socket.destroy());
  return socket;
}

const closed = (socket: Socket) =>
  socket.destroyed ? Promise.resolve() : new Promise<void>((r) => socket.once('close', () => r()));

/** A TCP connection from the attacker's address that never sends a byte. */
function silent(port: number): Socket {
  return tracked(connectTcp({ port, host: '127.0.0.1', localAddress: ATTACKER }));
}

/** A finished TLS handshake from the attacker's address; resolves once secure (or closed first). */
function idleTls(port: number): Promise<TLSSocket> {
  // tls.connect passes net options such as localAddress on; its type does not list them.
  const options: ConnectionOptions & TcpNetConnectOpts = { port, host: '127.0.0.1', localAddress: ATTACKER };
  const socket = tracked(connectTls({ ...options, rejectUnauthorized: false, servername: 'x' }));
  return new Promise((resolve) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

const hello = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'exhaustion-test',
  facts: { hostname: 'raw', os: 'test', platform: 'linux', arch: 'x64', kernel: '1', bootId: 'b' },
  capabilities: { exec: false, files: false, filesWrite: false, roots: [] },
};

/** A protocol client with a valid token: 'welcome' once it is in, or why it was not let in. */
function wsAgent(url: string, token: string, localAddress = '127.0.0.1'): Promise<string> {
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
    rejectUnauthorized: false,
    localAddress,
  });
  cleanups.push(() => ws.terminate());
  return new Promise((resolve) => {
    ws.once('open', () => ws.send(JSON.stringify(hello)));
    ws.on('message', (data) => {
      const type = (JSON.parse(data.toString()) as { type: string }).type;
      if (type === 'welcome') resolve('welcome');
    });
    ws.once('error', (error) => resolve(`error: ${error.message}`));
    ws.once('close', (code) => resolve(`closed ${code}`));
  });
}

describe('agent gateway under starvation and exhaustion', () => {
  it('a real agent gets in while silent connections arrive at 30/s from one address', async () => {
    const core = await startCore();
    const attack: Socket[] = [];
    const dial = setInterval(() => attack.push(silent(core.port)), 33);
    cleanups.push(() => clearInterval(dial));
    // Long enough for the old code's steady state: 64 slots held 10 s each by silent sockets, freed
    // in one burst every 10 s to the oldest sockets still under the 8 s wait bound, so a connection
    // arriving after the first burst's window (about 12–14 s in) is shed before its turn.
    await new Promise((r) => setTimeout(r, 15_000));
    const { id, token } = await core.newNode('under-attack');
    const agent: Proc = startAgent({
      master: { agentUrl: core.agentUrl, fingerprint: core.master.tls?.fingerprint ?? null },
      token,
    });
    cleanups.push(() => agent.stop('SIGKILL'));
    // The bar: in within 10 s while the attack goes on.
    await waitFor(
      async () => (await core.client.getNode({ id })).status === 'online',
      'the agent to get in during the attack',
      10_000,
    );
    const openedDuringAttack = attack.length;
    expect(openedDuringAttack).toBeGreaterThan(300);
    // Silent sockets are closed by the first-byte deadline rather than piling up.
    const figures = await core.figures();
    expect(figures.timedOut).toBeGreaterThan(0);
    expect(figures.silent).toBeLessThan(openedDuringAttack);
  });

  it('slow-header connections are closed at the upgrade deadline', async () => {
    const core = await startCore({ upgradeTimeoutMs: 1_000 });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => idleTls(core.port)));
    // One header byte at a time, never the blank line that ends the request.
    for (const socket of sockets) socket.write('GET / HTTP/1.1\r\nhost: x\r\nx-slow: ');
    const drip = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write('a');
    }, 200);
    cleanups.push(() => clearInterval(drip));
    await waitFor(() => sockets.every((s) => s.destroyed), 'slow-header connections to be closed', 6_000);
    const figures = await core.figures();
    expect(figures.timedOut).toBeGreaterThanOrEqual(20);
    expect(figures.unauthenticated).toBe(0);
  });

  it('TLS connections that never upgrade are closed at the upgrade deadline', async () => {
    const core = await startCore({ upgradeTimeoutMs: 1_000 });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => idleTls(core.port)));
    await waitFor(() => sockets.every((s) => s.destroyed), 'idle TLS connections to be closed', 6_000);
    expect((await core.figures()).unauthenticated).toBe(0);
  });

  it('past the unauthenticated cap new connections are refused, health answers, a good address still gets in', async () => {
    const core = await startCore({ maxUnauthenticated: 8, upgradeTimeoutMs: 60_000 });
    // An agent from 127.0.0.1 gets in first: it no longer counts, and its address has a good history.
    const first = await core.newNode('first');
    expect(await wsAgent(core.agentUrl, first.token)).toBe('welcome');
    const idle = await Promise.all(Array.from({ length: 8 }, () => idleTls(core.port)));
    await waitFor(async () => (await core.figures()).unauthenticated === 8, 'the cap to be full');
    // The attacker's next connections are closed at once.
    const over = Array.from({ length: 5 }, () => silent(core.port));
    await Promise.all(over.map(closed));
    const health = await core.reply('health', {});
    expect(health.status).toBe(200);
    expect(health.body.tlsHandshakes).toMatchObject({ unauthenticated: 8, refused: 5 });
    expect(await core.master.prometheus()).toContain('fleetdeck_agent_connections_closed_total{cause="refused"} 5');
    // An agent from the good address takes the place of one of the attacker's idle connections.
    const second = await core.newNode('second');
    expect(await wsAgent(core.agentUrl, second.token)).toBe('welcome');
    expect((await core.figures()).evicted).toBe(1);
    expect(idle.filter((s) => s.destroyed)).toHaveLength(1);
    // With the cap full again, a stranger with a valid token but no good history waits for room.
    await idleTls(core.port);
    await waitFor(async () => (await core.figures()).unauthenticated === 8, 'the cap to be full again');
    const third = await core.newNode('third');
    expect(await wsAgent(core.agentUrl, third.token, ATTACKER)).toMatch(/^(error|closed)/);
  });

  it('one address without a good history may hold only so many silent connections', async () => {
    const core = await startCore({ maxSilentPerAddress: 4, silentGraceMs: 200 });
    const held = Array.from({ length: 4 }, () => silent(core.port));
    await waitFor(async () => (await core.figures()).silent === 4, 'four silent connections');
    // Silent past the grace: a flood, not a burst whose ClientHellos are still unread.
    await new Promise((r) => setTimeout(r, 300));
    const fifth = silent(core.port);
    await closed(fifth);
    expect(held.every((s) => !s.destroyed)).toBe(true);
    expect((await core.figures()).refused).toBe(1);
    // Another address is not affected.
    const { token } = await core.newNode('neighbour');
    expect(await wsAgent(core.agentUrl, token)).toBe('welcome');
  });

  it('a burst of connections that speak at once is not taken for a silent flood (a restarted master knows no good history)', async () => {
    const core = await startCore({ maxSilentPerAddress: 4 });
    const burst = await Promise.all(Array.from({ length: 24 }, () => idleTls(core.port)));
    expect(burst.filter((s) => s.destroyed)).toEqual([]);
    expect((await core.figures()).refused).toBe(0);
  });
});
