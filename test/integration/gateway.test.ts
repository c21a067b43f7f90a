// Real master process, real agent processes, real TLS sockets, real SQLite files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createNode,
  type MasterHandle,
  nodeStatus,
  type Proc,
  startAgent,
  startMaster,
  statusEvents,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

let master: MasterHandle;
const procs: Proc[] = [];
const agent = (options: Parameters<typeof startAgent>[0]) => {
  const proc = startAgent(options);
  procs.push(proc);
  return proc;
};

beforeAll(async () => {
  master = await startMaster();
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

/** A raw protocol client with a valid token, for sending what a real agent never would. */
function rawClient(token: string): Promise<WebSocket> {
  const ws = new WebSocket(master.agentUrl, {
    headers: { authorization: `Bearer ${token}` },
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

const hello = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'raw-test',
  facts: { hostname: 'raw', os: 'test', platform: 'linux', arch: 'x64', kernel: '1', bootId: 'b' },
  capabilities: { exec: false, files: false, filesWrite: false, roots: [] },
};

describe('agent gateway', () => {
  it('serves TLS and a pinned agent connects: the node turns online with its host facts', async () => {
    expect(master.agentUrl).toMatch(/^wss:\/\//);
    expect(master.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { node, token, agentCommand } = await createNode(master, 'web-1');
    expect(node.status).toBe('never-connected');
    expect(agentCommand).toContain(token);
    expect(agentCommand).toContain(`--ca-fingerprint ${master.fingerprint}`);
    const proc = agent({ master, token, args: ['--no-exec', '--root', '/srv', '--root', '/var/log'] });
    const online = await waitForStatus(master, node.id, 'online');
    expect(online.agentVersion).toBe('0.1.0');
    expect(online.hostname).toBeTruthy();
    expect(online.remoteAddress).toBe('127.0.0.1');
    // What the flags allowed, what is on unless refused (processes, probes) or off unless asked (terminal).
    expect(online.capabilities).toEqual({
      exec: false,
      files: true,
      filesWrite: true,
      roots: ['/srv', '/var/log'],
      guardedWrites: true,
      processes: true,
      probes: true,
      terminal: false,
    });
    await proc.waitForLine(/INFO connected node="web-1"/);
    expect((await statusEvents(master, node.id)).map((e) => e.status)).toEqual(['online']);
  });

  it('rejects a wrong token clearly, and the agent backs off instead of hammering', async () => {
    const { node } = await createNode(master, 'wrong-token');
    const proc = agent({ master, token: `fdk_${'A'.repeat(43)}` });
    await proc.waitForLine(/rejected this agent's token/);
    await new Promise((r) => setTimeout(r, 4_000));
    // backoff max is 2 s in tests: a rejected agent waits 1–2 s between tries, so at most ~4 in 4 s.
    expect(proc.count(/rejected this agent's token/)).toBeLessThanOrEqual(5);
    expect((await nodeStatus(master, node.id)).status).toBe('never-connected');
    await proc.stop();
  });

  it('a rotated token keeps working through the overlap, then only the new one does', async () => {
    const { node, token: oldToken } = await createNode(master, 'rotating');
    const first = agent({ master, token: oldToken });
    await waitForStatus(master, node.id, 'online');
    const rotated = await master.reply('rotateNodeToken', { id: node.id, overlapSec: 2 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(oldToken);
    expect((await nodeStatus(master, node.id)).status).toBe('online');
    // When the overlap ends, the connection made with the old token is cut and cannot come back.
    await waitForStatus(master, node.id, 'offline', 6_000);
    await first.waitForLine(/rejected this agent's token|revoked this agent's token/, 6_000);
    await first.stop();
    agent({ master, token: rotated.body.token });
    await waitForStatus(master, node.id, 'online');
  });

  it('revoking disconnects the agent at once and its token is dead', async () => {
    const { node, token } = await createNode(master, 'revoked');
    const proc = agent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const revokedAt = Date.now();
    const { status, body } = await master.reply('revokeNode', { id: node.id });
    expect(status).toBe(200);
    expect(body.revoked).toBe(true);
    await waitForStatus(master, node.id, 'offline', 2_000);
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    await proc.waitForLine(/revoked this agent's token/);
    await proc.waitForLine(/rejected this agent's token/, 8_000);
    expect((await nodeStatus(master, node.id)).status).toBe('offline');
    await proc.stop();
  });

  it('an agent pinning another fingerprint refuses the master and never sends its token', async () => {
    const { node, token } = await createNode(master, 'pinned-wrong');
    const failuresBefore = master.proc.count(/agent authentication failed/);
    const proc = agent({ master, token, fingerprint: `sha256:${'0'.repeat(64)}` });
    await proc.waitForLine(/Refusing to connect \(and to send the token\)/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await nodeStatus(master, node.id)).status).toBe('never-connected');
    expect(master.proc.count(/agent authentication failed/)).toBe(failuresBefore);
  });

  it('SIGTERM stops the agent cleanly and the node is offline within a second', async () => {
    const { node, token } = await createNode(master, 'graceful');
    const proc = agent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const stoppedAt = Date.now();
    await proc.stop('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    await waitForStatus(master, node.id, 'offline', 1_000);
    expect(Date.now() - stoppedAt).toBeLessThan(1_500);
    const events = await statusEvents(master, node.id);
    expect(events.at(-1)?.reason).toBe('agent stopping');
  });

  it('a killed agent (connection reset) is offline within a second', async () => {
    const { node, token } = await createNode(master, 'killed');
    const proc = agent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const killedAt = Date.now();
    await proc.stop('SIGKILL');
    await waitForStatus(master, node.id, 'offline', 1_000);
    expect(Date.now() - killedAt).toBeLessThan(1_500);
  });

  it('a silent agent (SIGSTOP) goes offline within 15 s and comes back after SIGCONT', async () => {
    const { node, token } = await createNode(master, 'frozen');
    const proc = agent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const stoppedAt = Date.now();
    proc.signal('SIGSTOP');
    await waitForStatus(master, node.id, 'offline', 15_000);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(15_000);
    proc.signal('SIGCONT');
    await waitForStatus(master, node.id, 'online', 10_000);
  });

  it('a second connection with the same token replaces the first', async () => {
    const { node, token } = await createNode(master, 'twice');
    const first = agent({ master, token });
    await waitForStatus(master, node.id, 'online');
    await first.waitForLine(/INFO connected/);
    const second = agent({ master, token });
    await second.waitForLine(/INFO connected/);
    await first.waitForLine(/replaced this one/);
    expect((await nodeStatus(master, node.id)).status).toBe('online');
    await first.stop();
    await second.stop();
  });

  it('malformed and oversized frames are answered or cut off without harming other agents', async () => {
    const bystander = await createNode(master, 'bystander');
    agent({ master, token: bystander.token });
    await waitForStatus(master, bystander.node.id, 'online');
    const eventsBefore = (await statusEvents(master, bystander.node.id)).length;

    const abuser = await createNode(master, 'abuser');
    const ws = await rawClient(abuser.token);
    const replies: Array<{ type: string; code?: string }> = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'hello', protocol: 'one' }));
    ws.send(JSON.stringify({ type: 'launch-missiles' }));
    await waitFor(() => replies.length >= 3, 'three error replies');
    expect(replies.every((r) => r.type === 'error' && r.code === 'invalid_message')).toBe(true);

    ws.send(JSON.stringify(hello));
    await waitForStatus(master, abuser.node.id, 'online');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(Buffer.alloc(5 * 1024 * 1024, 'x').toString());
    // The sender may see the reset (1006) before the close frame; the master's log says why it cut it.
    expect([1006, 1009]).toContain(await closed);
    await waitForStatus(master, abuser.node.id, 'offline');
    await master.proc.waitForLine(new RegExp(`"nodeId":"${abuser.node.id}".*"reason":"Max payload size exceeded"`));

    const repeat = await rawClient(abuser.token);
    const repeatClosed = new Promise<number>((r) => repeat.once('close', (code) => r(code)));
    for (let i = 0; i < 25; i++) repeat.send('garbage');
    expect(await repeatClosed).toBe(4004);

    expect((await nodeStatus(master, bystander.node.id)).status).toBe('online');
    expect((await statusEvents(master, bystander.node.id)).length).toBe(eventsBefore);
  });

  it('rate-limits failed authentications per address, without locking out valid agents there', async () => {
    let lastStatus = 0;
    for (let i = 0; i < 25 && lastStatus !== 429; i++) {
      lastStatus = await rawClient(`fdk_${'B'.repeat(43)}`).then(
        () => 101,
        (error: Error) => Number(/HTTP (\d+)/.exec(error.message)?.[1]),
      );
    }
    expect(lastStatus).toBe(429);
    const { node, token } = await createNode(master, 'same-address');
    agent({ master, token });
    await waitForStatus(master, node.id, 'online');
  });
});

describe('agent resilience', () => {
  it('tries the next master URL when one fails', async () => {
    const { node, token } = await createNode(master, 'multi-url');
    const proc = startAgent({
      master: { agentUrl: `wss://127.0.0.1:1,${master.agentUrl}`, fingerprint: master.fingerprint },
      token,
    });
    procs.push(proc);
    await proc.waitForLine(/WARN connection failed url="wss:\/\/127\.0\.0\.1:1"/);
    await waitForStatus(master, node.id, 'online');
  });

  it('detects a silent master (half-open connection) and redials', async () => {
    const quick = await startMaster({ args: ['--heartbeat-sec', '1'] });
    try {
      const { node, token } = await createNode(quick, 'half-open');
      const proc = startAgent({ master: quick, token });
      procs.push(proc);
      await waitForStatus(quick, node.id, 'online');
      await proc.waitForLine(/INFO connected/);
      quick.proc.signal('SIGSTOP');
      await proc.waitForLine(/the master went silent; reconnecting/, 10_000);
      quick.proc.signal('SIGCONT');
      await waitFor(() => proc.count(/INFO connected/) >= 2, 'the agent to reconnect', 15_000);
    } finally {
      quick.proc.signal('SIGCONT');
      await quick.proc.stop();
    }
  });
});
