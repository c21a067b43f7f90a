// Master.start closes what it opened when a later step fails: no listening port, no open database,
// no running interval is left behind by a start that threw (a desktop app that retries, or a test
// process, would otherwise hold the port and the SQLite file until it exits).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { LOCAL_NODE_ID, Master, type MasterOptions } from '../../main/core/master.js';
import { openStore } from '../../main/core/store/store.js';
import { tempDir, waitFor } from '../helpers/processes.js';

const listening = (server: Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listening(probe);
  await closed(probe);
  return port;
}

/** Handles that keep the process alive (sockets, servers, file requests), by kind, in a stable order. */
const handles = () =>
  process
    .getActiveResourcesInfo()
    .filter((kind) => kind !== 'TTYWrap' && kind !== 'Timeout')
    .sort();

/** The handles once nothing is closing (two reads 50 ms apart agree). */
async function settledHandles(): Promise<string[]> {
  let last = JSON.stringify(handles());
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = JSON.stringify(handles());
    if (now === last) return JSON.parse(now) as string[];
    last = now;
  }
}

/** The handles come back to `before` (a closed server lets go of its handle a tick later). */
async function handlesBackTo(before: string[]) {
  await waitFor(
    () => JSON.stringify(handles()) === JSON.stringify(before),
    'the handles of the failed start to close',
    5_000,
  ).catch(() => undefined);
  expect(handles()).toEqual(before);
}

/** Every interval started during `run`, to check afterwards that each was cleared. */
async function intervalsDuring(run: () => Promise<unknown>) {
  const started: NodeJS.Timeout[] = [];
  const real = globalThis.setInterval;
  const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((...args: Parameters<typeof setInterval>) => {
    const timer = real(...args);
    started.push(timer);
    return timer;
  }) as typeof setInterval);
  try {
    await run();
  } catch {
    // the failure is what the test provokes
  } finally {
    spy.mockRestore();
  }
  // Node marks a cleared timer destroyed.
  return started.filter((t) => !(t as unknown as { _destroyed: boolean })._destroyed);
}

const options = (dataDir: string, port: number): MasterOptions => ({
  dataDir,
  agentListen: { host: '127.0.0.1', port },
  agentTls: true,
  adminToken: 'test-admin-token-0123456789',
  restartGraceMs: 60_000,
  log: silentLogger,
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('a master start that fails partway', () => {
  it('the agent port already taken: the store and the metrics timers are closed', async () => {
    const squatter = createServer();
    const port = await listening(squatter);
    cleanup.push(() => closed(squatter));
    const dataDir = tempDir('fleetdeck-start-');
    const before = await settledHandles();
    let failure: unknown;
    const leftRunning = await intervalsDuring(() =>
      Master.start(options(dataDir, port)).catch((error: unknown) => {
        failure = error;
        throw error;
      }),
    );
    expect(failure).toMatchObject({ code: 'EADDRINUSE' });
    expect(leftRunning).toHaveLength(0);
    await handlesBackTo(before);
    // SQLite removes the WAL file when the last connection closes.
    expect(existsSync(`${join(dataDir, 'fleetdeck.db')}-wal`)).toBe(false);
  });

  it('a step after the gateway listens fails: the gateway port is free again, the local node offline, the store closed', async () => {
    const dataDir = tempDir('fleetdeck-start-');
    // Saved SSH secrets of an older FleetDeck are imported after the gateway listens; their key file,
    // damaged, fails the start there.
    writeFileSync(join(dataDir, 'ssh-credentials.json'), '[]\n', { mode: 0o600 });
    writeFileSync(join(dataDir, 'secret.key'), 'not a key\n', { mode: 0o600 });
    const port = await freePort();
    const before = await settledHandles();
    let failure: unknown;
    const leftRunning = await intervalsDuring(() =>
      Master.start(options(dataDir, port)).catch((error: unknown) => {
        failure = error;
        throw error;
      }),
    );
    expect(failure).toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/secret key file .* is damaged/),
    });
    expect(leftRunning).toHaveLength(0);
    await handlesBackTo(before);
    // The port the gateway listened on can be taken again.
    const next = createServer();
    await listening(next, port);
    await closed(next);
    expect(existsSync(`${join(dataDir, 'fleetdeck.db')}-wal`)).toBe(false);
    const store = await openStore(join(dataDir, 'fleetdeck.db'));
    cleanup.push(() => store.close());
    const local = await store.db
      .selectFrom('nodes')
      .select('status')
      .where('id', '=', LOCAL_NODE_ID)
      .executeTakeFirst();
    expect(local?.status).toBe('offline');
  });

  it('the same data dir starts cleanly once the cause is gone', async () => {
    const dataDir = tempDir('fleetdeck-start-');
    writeFileSync(join(dataDir, 'cluster.key'), 'not a key\n', { mode: 0o600 });
    const port = await freePort();
    await expect(Master.start(options(dataDir, port))).rejects.toThrow();
    rmSync(join(dataDir, 'cluster.key'));
    const master = await Master.start(options(dataDir, port));
    cleanup.push(() => master.stop());
    expect(master.agentPort).toBe(port);
  });
});
