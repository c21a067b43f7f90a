// Moving and keeping a master's data with the real CLI: `fleetdeck db copy` from SQLite onto a fresh
// MariaDB, after which a master on MariaDB (same data directory) sees every agent reconnect with the
// token it already had; `fleetdeck backup` of a running master (SQLite, and MariaDB from a snapshot)
// and `fleetdeck restore` into a new data directory, which brings back the nodes, history and TLS
// identity of the moment of the backup, and nothing written after it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../main/core/store/store.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  enqueue,
  MASTER_ENTRY,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

const run = promisify(execFile);
/** `fleetdeck …` as a user types it; resolves with its output, or rejects with exit code and output. */
const fleetdeck = (...args: string[]) => run(process.execPath, [MASTER_ENTRY, ...args], { encoding: 'utf8' });
const refused = async (...args: string[]) => {
  const error = await fleetdeck(...args).then(
    () => null,
    (e: { code: number; stderr: string }) => e,
  );
  expect(error, `fleetdeck ${args.join(' ')} should have failed`).not.toBeNull();
  return error as { code: number; stderr: string };
};

describe('backup, restore and db copy', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  /** A master with `count` nodes, each with a connected agent, and one finished command. */
  async function fleet(count: number, master: MasterHandle) {
    const nodes: Array<{ id: string; agent: Proc }> = [];
    for (let i = 0; i < count; i++) {
      const { node, token } = await createNode(master, `node-${i}`);
      const agent = startAgent({ master, token });
      cleanup.push(() => agent.stop('SIGKILL'));
      nodes.push({ id: node.id, agent });
    }
    for (const n of nodes) await waitForStatus(master, n.id, 'online', 20_000);
    const [command] = await enqueue(master, { nodeIds: [nodes[0]?.id as string], exec: { command: 'echo kept' } });
    await waitForCommand(master, command?.id as string);
    return { nodes, commandId: command?.id as string };
  }

  it.runIf(hasMariadb())(
    'db copy: a SQLite master moves onto MariaDB and every agent reconnects with its token',
    async () => {
      const sqliteMaster = await startMaster();
      cleanup.push(() => sqliteMaster.proc.stop());
      const { nodes, commandId } = await fleet(3, sqliteMaster);
      await sqliteMaster.proc.stop();
      const target = await freshMariadb();
      cleanup.push(target.drop);

      const copied = await fleetdeck(
        'db',
        'copy',
        '--from',
        join(sqliteMaster.dataDir, 'fleetdeck.db'),
        '--to',
        target.url,
      );
      expect(copied.stdout).toMatch(/nodes: 4 row\(s\)/); // three agents and the built-in local node
      // A second copy into the now full database is refused, saying how to proceed.
      const again = await refused(
        'db',
        'copy',
        '--from',
        join(sqliteMaster.dataDir, 'fleetdeck.db'),
        '--to',
        target.url,
      );
      expect(again.stderr).toContain('already has 4 node(s)');

      const mariaMaster = await startMaster({
        dataDir: sqliteMaster.dataDir,
        agentPort: sqliteMaster.agentPort,
        args: ['--db', target.url],
      });
      cleanup.push(() => mariaMaster.proc.stop());
      expect((await mariaMaster.client.health({})).database.dialect).toBe('mariadb');
      // Nobody handed the agents anything: they redial with the tokens they had, now checked on MariaDB.
      for (const n of nodes) await waitForStatus(mariaMaster, n.id, 'online', 30_000);
      expect(await mariaMaster.client.getCommand({ id: commandId })).toMatchObject({
        status: 'succeeded',
        stdout: 'kept\n',
      });

      // A backup of the running MariaDB master is a consistent snapshot in a SQLite file.
      const out = join(tempDir('fleetdeck-backup-'), 'b');
      await fleetdeck('backup', '--data-dir', mariaMaster.dataDir, '--db', target.url, '--out', out);
      const snapshot = await openStore(join(out, 'fleetdeck.db'));
      const rows = await snapshot.db.selectFrom('nodes').select('id').execute();
      await snapshot.close();
      expect(rows.map((r) => r.id).sort()).toEqual(expect.arrayContaining(nodes.map((n) => n.id)));
    },
    120_000,
  );

  it('backup of a running master and restore into a new data directory: the state at the backup, agents back', async () => {
    const master = await startMaster();
    cleanup.push(() => master.proc.stop());
    const { nodes, commandId } = await fleet(1, master);
    const out = join(tempDir('fleetdeck-backup-'), 'b');
    const made = await fleetdeck('backup', '--data-dir', master.dataDir, '--out', out);
    expect(made.stdout).toContain('Backed up');
    expect(existsSync(join(out, 'data', 'tls'))).toBe(true);
    await createNode(master, 'after-the-backup');
    await master.proc.stop();

    const restoredDir = tempDir('fleetdeck-restored-');
    const done = await fleetdeck('restore', '--from', out, '--data-dir', restoredDir);
    expect(done.stdout).toContain('Restored the backup');
    // Restoring over a database that holds nodes needs --force.
    const over = await refused('restore', '--from', out, '--data-dir', restoredDir);
    expect(over.stderr).toContain('--force');

    const restored = await startMaster({ dataDir: restoredDir, agentPort: master.agentPort });
    cleanup.push(() => restored.proc.stop());
    // The same certificate (agents pin it) and admin token came back with the data directory.
    expect(restored.fingerprint).toBe(master.fingerprint);
    expect(restored.adminToken).toBe(master.adminToken);
    await waitForStatus(restored, nodes[0]?.id as string, 'online', 30_000);
    const names = (await restored.client.listNodes({})).map((n) => n.name);
    expect(names).toContain('node-0');
    expect(names).not.toContain('after-the-backup');
    expect(await restored.client.getCommand({ id: commandId })).toMatchObject({ status: 'succeeded' });
  }, 120_000);
});
