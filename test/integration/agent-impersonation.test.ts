// Agents speaking for what is not theirs, and tokens that stopped standing: real masters (in this
// process) on real TLS sockets, raw protocol clients that send what a real agent never would.
// - live output for another node's command is dropped, not re-emitted;
// - a second rotation closes a connection still on the token it retired, at once;
// - in shared mode (MariaDB) a revoke on one master closes the agent's connection on another within
//   2 s, and a result sent on the revoked token is never accepted, even before that master notices.

import { afterAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../agent/protocol.js';
import { desktopCaller } from '../../main/contract/caller.js';
import { invoke } from '../../main/contract/dispatch.js';
import { silentLogger } from '../../main/core/log.js';
import { Master, type MasterOptions } from '../../main/core/master.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { RawAgent, resultOf } from '../helpers/raw-agent.js';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

async function startMaster(options: Partial<MasterOptions> = {}): Promise<Master> {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-impersonation-'),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    restartGraceMs: 60_000,
    log: silentLogger,
    ...options,
  });
  cleanup.push(() => master.stop());
  return master;
}

const call = <T>(master: Master, name: Parameters<typeof invoke>[1], input: unknown) =>
  invoke(master.handlers(), name, input, desktopCaller) as Promise<T>;

interface Credentials {
  node: { id: string };
  token: string;
}

/** A raw client that is cut off when the suite ends. */
const connectRaw = (master: Master, token: string) =>
  RawAgent.connect(master, token, (ws) => cleanup.push(async () => ws.terminate()));

async function enqueueOn(master: Master, nodeId: string): Promise<string> {
  const { commands } = await call<{ commands: Array<{ id: string }> }>(master, 'enqueueCommands', {
    nodeIds: [nodeId],
    exec: { command: 'true' },
  });
  return commands[0]?.id as string;
}

const statusOf = async (master: Master, id: string) =>
  (await call<{ status: string }>(master, 'getCommand', { id })).status;

describe('agent frames are only acted on for the sender, while its token stands', () => {
  it("drops live output an agent sends for another node's command", async () => {
    const master = await startMaster();
    const victim = await call<Credentials>(master, 'createNode', { name: 'victim' });
    const intruder = await call<Credentials>(master, 'createNode', { name: 'intruder' });
    const victimAgent = await connectRaw(master, victim.token);
    const intruderAgent = await connectRaw(master, intruder.token);
    const outputs: Array<{ id: string; nodeId: string; data: string }> = [];
    const unsubscribe = master.bus.subscribe((m) => {
      if (m.event === 'commandOutput') outputs.push(m.data);
    });
    const id = await enqueueOn(master, victim.node.id);
    await waitFor(() => victimAgent.commandIds().includes(id), 'the command reaching its node');
    for (let i = 0; i < 50; i++) intruderAgent.send({ type: 'output', id, stream: 'stdout', data: `forged ${i}\n` });
    victimAgent.send({ type: 'output', id, stream: 'stdout', data: 'real\n' });
    await waitFor(() => outputs.some((o) => o.data === 'real\n'), "the node's own output");
    unsubscribe();
    expect(outputs.filter((o) => o.data.startsWith('forged'))).toEqual([]);
    expect(outputs).toEqual([{ id, nodeId: victim.node.id, stream: 'stdout', data: 'real\n' }]);
    expect(master.queue.foreignOutputFrames).toBe(50);
  });

  it('a second rotation closes the connection still on the token it retired, before the first overlap ends', async () => {
    const master = await startMaster();
    const created = await call<Credentials>(master, 'createNode', { name: 'rolling' });
    const onOriginal = await connectRaw(master, created.token);
    // The first rotation keeps the original token valid for 5 minutes: the connection on it stays.
    const first = await call<Credentials>(master, 'rotateNodeToken', { id: created.node.id, overlapSec: 300 });
    await new Promise((r) => setTimeout(r, 300));
    expect(onOriginal.closed).toBe(false);
    // The second rotation makes the first one's token the overlapping one and the original dead.
    await call<Credentials>(master, 'rotateNodeToken', { id: created.node.id, overlapSec: 300 });
    await waitFor(() => onOriginal.closed, 'the connection on the retired token to close', 2_000);
    expect(onOriginal.closeCode).toBe(CloseCode.revoked);
    await expect(connectRaw(master, created.token)).rejects.toThrow(/HTTP 401/);
    const onFirst = await connectRaw(master, first.token);
    await new Promise((r) => setTimeout(r, 300));
    expect(onFirst.closed).toBe(false);
  });

  it("drops file replies, transfer frames and token acks an agent sends for another node's request", async () => {
    const master = await startMaster();
    const victim = await call<Credentials>(master, 'createNode', { name: 'victim' });
    const intruder = await call<Credentials>(master, 'createNode', { name: 'intruder' });
    const victimAgent = await connectRaw(master, victim.token);
    const intruderAgent = await connectRaw(master, intruder.token);
    const idOf = async (type: string) => {
      await waitFor(() => victimAgent.received.some((m) => m.type === type), `a ${type} reaching the victim`);
      return victimAgent.received.findLast((m) => m.type === type)?.id as string;
    };
    /** Frames of one connection are routed in order: once an invalid one is answered, those before it were routed. */
    const routed = async () => {
      const answered = intruderAgent.received.filter((m) => m.type === 'error').length;
      intruderAgent.send({ type: 'not-a-message' });
      await waitFor(() => intruderAgent.received.filter((m) => m.type === 'error').length > answered, 'routed');
    };
    const outcome = (promise: Promise<unknown>) => {
      const seen: { value?: unknown; error?: Error } = {};
      promise.then((value) => (seen.value = value)).catch((error: Error) => (seen.error = error));
      return seen;
    };
    const fail = (id: string, type: 'rpc-result' | 'transfer-error') =>
      type === 'rpc-result'
        ? { type, id, ok: false, error: { code: 'not_found', message: 'the victim answered' } }
        : { type, id, error: { code: 'not_found', message: 'the victim answered' } };

    const rpc = outcome(call(master, 'statFile', { id: victim.node.id, path: '/tmp' }));
    const rpcId = await idOf('rpc');
    intruderAgent.send({ type: 'rpc-result', id: rpcId, ok: true, result: { forged: true } });
    const download = outcome(master.transfers.download(victim.node.id, '/tmp/x', 0, null));
    const downloadId = await idOf('download');
    intruderAgent.send({ type: 'transfer-meta', id: downloadId, size: 1, mtime: 0, length: 1 });
    intruderAgent.send({ type: 'transfer-end', id: downloadId, bytes: 1 });
    const upload = outcome(
      master.transfers.upload(victim.node.id, '/tmp/y', (async function* () {})(), {
        overwrite: false,
        sha256: null,
        size: 0,
      }),
    );
    const uploadId = await idOf('upload');
    for (const forged of [
      { type: 'transfer-ready', id: uploadId, window: 16 * 1024 * 1024 },
      { type: 'transfer-ack', id: uploadId, bytes: 0 },
      { type: 'transfer-done', id: uploadId, bytes: 0, sha256: 'forged' },
    ])
      intruderAgent.send(forged);
    const rotation = outcome(call(master, 'rotateNodeToken', { id: victim.node.id, overlapSec: 300 }));
    const tokenId = await idOf('token');
    intruderAgent.send({ type: 'token-ack', id: tokenId, ok: true, storedIn: 'token-file', error: null });
    await routed();
    expect([rpc, download, upload, rotation]).toEqual([{}, {}, {}, {}]);

    // Only the victim's own answers settle its requests.
    victimAgent.send(fail(rpcId, 'rpc-result'));
    victimAgent.send(fail(downloadId, 'transfer-error'));
    victimAgent.send(fail(uploadId, 'transfer-error'));
    victimAgent.send({ type: 'token-ack', id: tokenId, ok: false, storedIn: null, error: 'the victim answered' });
    await waitFor(() => [rpc, download, upload, rotation].every((o) => 'value' in o || 'error' in o), 'settled');
    for (const o of [rpc, download, upload]) expect(o.error?.message).toBe('the victim answered');
    expect(rotation.value).toMatchObject({ delivery: { status: 'failed', message: /the victim answered/ } });
  });
});

describe.runIf(hasMariadb())('revokes reach every master sharing one MariaDB database', () => {
  async function cluster(bOptions: Partial<MasterOptions> = {}) {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const a = await startMaster({ dbUrl: db.url });
    const b = await startMaster({ dbUrl: db.url, ...bOptions });
    return { a, b };
  }

  it('a revoke on one master closes the agent on another within 2 s; its frames are dropped from then on', async () => {
    const { a, b } = await cluster();
    const created = await call<Credentials>(a, 'createNode', { name: 'elsewhere' });
    const agent = await connectRaw(b, created.token);
    const revokedAt = Date.now();
    await call(a, 'revokeNode', { id: created.node.id });
    await waitFor(() => agent.closed, 'the other master to close the revoked connection', 2_000);
    expect(agent.closeCode).toBe(CloseCode.revoked);
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    await expect(connectRaw(b, created.token)).rejects.toThrow(/HTTP 401/);
  });

  it('a deleted node is closed on the other master too', async () => {
    const { a, b } = await cluster();
    const created = await call<Credentials>(a, 'createNode', { name: 'deleted-elsewhere' });
    const agent = await connectRaw(b, created.token);
    await call(a, 'deleteNode', { id: created.node.id, force: true });
    await waitFor(() => agent.closed, 'the other master to close the deleted node', 2_000);
    expect(agent.closeCode).toBe(CloseCode.nodeDeleted);
  });

  it('a result sent on a revoked token is refused even before the holding master notices the revoke', async () => {
    // B looks for token changes only once a minute: the result below reaches it first.
    const { a, b } = await cluster({ credentialCheckMs: 60_000 });
    const created = await call<Credentials>(a, 'createNode', { name: 'forger' });
    const agent = await connectRaw(b, created.token);
    await waitFor(
      async () => (await call<{ status: string }>(a, 'getNode', { id: created.node.id })).status === 'online',
      'online',
    );
    const id = await enqueueOn(a, created.node.id);
    await waitFor(() => agent.commandIds().includes(id), 'the command reaching the agent through B', 10_000);
    await call(a, 'revokeNode', { id: created.node.id });
    agent.send({ type: 'started', id, at: Date.now() });
    agent.send(resultOf(id));
    await waitFor(() => b.queue.resultsFromRetiredTokens > 0, 'B to refuse the result');
    expect(await statusOf(a, id)).not.toBe('succeeded');
    expect(agent.received.some((m) => m.type === 'ack' && m.id === id)).toBe(false);
  });
});
