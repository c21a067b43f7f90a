// What a failover must not forget, with real master processes on one real MariaDB and a real sshd:
// host keys trusted on A are trusted on B, a credential saved on A upgrades an agent from B, and when
// the leader (which also keeps the reverse tunnel) is killed with -9 while a bootstrap job runs, the
// job's record survives on B (ended as interrupted) and the tunnel reopens on B within 30 s, its agent
// reconnecting through it. Two masters starting at once on an empty database migrate once and agree
// on one cluster key; an instance with another key is refused; the password comes from a file.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OutputOf } from '../../main/contract/contract.js';
import { migrations } from '../../main/core/store/migrations.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { type MasterHandle, startMaster, tempDir, waitFor, waitForStatus } from '../helpers/processes.js';
import { freePort, hasSshd, TestSshd } from '../helpers/sshd.js';

type Job = OutputOf<'getBootstrap'>;

/** A second instance of A's cluster: the same TLS identity and cluster key file, its own data dir. */
function joinCluster(from: MasterHandle): string {
  const dir = tempDir('fleetdeck-master-peer-');
  mkdirSync(dir, { recursive: true });
  cpSync(join(from.dataDir, 'tls'), join(dir, 'tls'), { recursive: true });
  cpSync(join(from.dataDir, 'cluster.key'), join(dir, 'cluster.key'));
  return dir;
}

describe.runIf(hasMariadb() && hasSshd())('cluster state on MariaDB: nothing a failover forgets', () => {
  const sshd = new TestSshd();
  const cleanup: Array<() => Promise<void>> = [];
  const installs: string[] = [];
  let dbUrl = '';
  let a: MasterHandle;
  let b: MasterHandle;
  let tunnelNode = '';

  const install = async (via: MasterHandle, body: InputOf<'startBootstrap'>): Promise<Job> => {
    const started = await via.reply('startBootstrap', body);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return waitFor(
      async () => {
        const job = await via.client.getBootstrap({ id: started.body.id });
        return job.finishedAt ? job : undefined;
      },
      `bootstrap job ${started.body.id}`,
      90_000,
    );
  };
  const installDir = (name: string) => {
    const dir = join(tempDir(`fleetdeck-cs-${name}-`), 'agent');
    installs.push(dir);
    return dir;
  };
  const sql = async <T>(query: string, values: unknown[] = []): Promise<T[]> => {
    const c = await createConnection({ uri: dbUrl });
    try {
      return (await c.query(query, values))[0] as T[];
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    await sshd.start();
    const db = await freshMariadb();
    dbUrl = db.url;
    cleanup.push(db.drop);
    a = await startMaster({ args: ['--db', db.url] });
    cleanup.push(() => a.proc.stop('SIGKILL'));
    // A started alone, so it leads and keeps the tunnels; B joins with A's key file and TLS identity.
    b = await startMaster({ dataDir: joinCluster(a), args: ['--db', db.url] });
    cleanup.push(() => b.proc.stop('SIGKILL'));
  }, 60_000);

  afterAll(async () => {
    for (const dir of installs) {
      try {
        execFileSync('pkill', ['-f', dir]);
      } catch {}
    }
    for (const f of cleanup.reverse()) await f();
    await sshd.stop();
  });

  it('a host key confirmed on A is trusted on B; the tunnel opened for it is kept by exactly one instance', async () => {
    const job = await install(a, {
      hosts: [{ host: '127.0.0.1', port: sshd.port, username: sshd.username, name: 'behind-nat' }],
      auth: { privateKey: sshd.userKey.privateKey },
      confirmHostKeys: [sshd.hostKeyFingerprint],
      installDir: installDir('tunnel'),
      reverseTunnel: { remotePort: await freePort() },
    });
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
    tunnelNode = job.hosts[0]?.nodeId as string;
    await waitForStatus(a, tunnelNode, 'online', 20_000);
    const onB = await b.client.listKnownHosts({});
    expect(onB.map((k) => k.fingerprint)).toContain(sshd.hostKeyFingerprint);
    const aInfo = await a.client.masterInfo({});
    // Any instance lists the tunnel with the one that keeps it.
    expect(await b.client.listTunnels({})).toEqual([
      expect.objectContaining({ nodeId: tunnelNode, holder: aInfo.instanceId, up: true, lastError: null }),
    ]);
    const leases = await sql<{ name: string; holder: string }>('select name, holder from leases order by name');
    expect(leases).toEqual([
      { name: 'leader', holder: aInfo.instanceId },
      { name: 'tunnels', holder: aInfo.instanceId },
    ]);
  }, 120_000);

  it('a credential saved on A upgrades the agent from B, with no host key to confirm there', async () => {
    const saved = await a.reply('saveSshCredential', {
      name: 'shared key',
      auth: { privateKey: sshd.userKey.privateKey },
    });
    expect(saved.status).toBe(201);
    expect((await b.client.listSshCredentials({})).map((c) => c.id)).toContain(saved.body.id);
    const started = await b.reply('upgradeAgent', { id: tunnelNode, auth: { credentialId: saved.body.id } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const job = await waitFor(
      async () => {
        const seen = await b.client.getBootstrap({ id: started.body.id });
        return seen.finishedAt ? seen : undefined;
      },
      'the upgrade run from B',
      90_000,
    );
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
    expect(job.hosts[0]?.steps[0]).toMatchObject({ step: 'connect', status: 'done' });
    // A reads the job B ran from the store.
    expect((await a.client.getBootstrap({ id: job.id })).hosts[0]?.status).toBe('done');
  }, 120_000);

  it('kill -9 of the leader mid-job: the job record survives on B, the tunnel reopens on B within 30 s', async () => {
    // A job that waits in its `online` step: its agent is told to dial a port nothing listens on.
    const started = await a.reply('startBootstrap', {
      // Another name for the host, so another node (the SSH label is user@host:port).
      hosts: [{ host: 'localhost', port: sshd.port, username: sshd.username, name: 'never-online' }],
      auth: { privateKey: sshd.userKey.privateKey },
      confirmHostKeys: [sshd.hostKeyFingerprint],
      installDir: installDir('mid-job'),
      masterUrl: 'wss://127.0.0.1:1',
    });
    expect(started.status).toBe(202);
    const jobId = started.body.id;
    await waitFor(
      async () => (await b.client.getBootstrap({ id: jobId })).hosts[0]?.step === 'online',
      'the job to reach its online step (seen from B)',
      60_000,
    );
    const bInfo = await b.client.masterInfo({});
    await a.proc.stop('SIGKILL');
    const killedAt = Date.now();

    const reopened = await waitFor(
      async () => {
        const node = await b.client.getNode({ id: tunnelNode });
        return node.status === 'online' && (node.connectedSince ?? 0) > killedAt ? node : undefined;
      },
      'the tunnel to reopen on B and its agent to reconnect through it',
      30_000,
    );
    expect((reopened.connectedSince as number) - killedAt).toBeLessThan(30_000);
    expect(await b.client.listTunnels({})).toEqual([
      expect.objectContaining({ nodeId: tunnelNode, holder: bInfo.instanceId, up: true }),
    ]);

    const ended = await waitFor(
      async () => {
        const job = await b.client.getBootstrap({ id: jobId });
        return job.finishedAt ? job : undefined;
      },
      'B (now leading) to end the dead instance’s job',
      60_000,
    );
    const host = ended.hosts[0];
    expect(host?.status).toBe('failed');
    expect(host?.message).toMatch(/Interrupted during the online step: the master instance running this job stopped/);
    expect(host?.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'connect:done',
      'detect:done',
      'upload:done',
      'configure:done',
      'service:done',
      'online:failed',
    ]);
    const instances = await b.client.listInstances({});
    expect(instances.find((i) => i.self)?.leader).toBe(true);
  }, 150_000);
});

describe.runIf(hasMariadb())('starting instances on MariaDB', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('two masters starting at once on an empty database migrate once and agree on one cluster key', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const [one, two] = await Promise.all([
      startMaster({ args: ['--db', db.url] }),
      startMaster({ args: ['--db', db.url] }),
    ]);
    cleanup.push(
      () => one.proc.stop(),
      () => two.proc.stop(),
    );
    const c = await createConnection({ uri: db.url });
    const [versions] = await c.query('select version from schema_version order by version');
    const [locks] = await c.query('select * from migration_lock');
    await c.end();
    expect(versions).toEqual(migrations.map((m) => ({ version: m.version })));
    expect(locks).toEqual([]);
    // One created the key; the other found it taken, dropped its own and says what to copy.
    const holders = [one, two].filter((m) => existsSync(join(m.dataDir, 'cluster.key')));
    expect(holders).toHaveLength(1);
    const other = holders[0] === one ? two : one;
    await waitFor(
      async () => other.proc.count(/does not hold the cluster key/) > 0,
      'the instance without the key to say so',
      5_000,
    );
    expect((await one.client.health({})).ok).toBe(true);
    expect((await two.client.health({})).ok).toBe(true);
  }, 60_000);

  it('refuses to start an instance whose cluster key differs, saying what to copy where', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const first = await startMaster({ args: ['--db', db.url] });
    cleanup.push(() => first.proc.stop());
    const otherKey = join(tempDir(), 'other.key');
    writeFileSync(otherKey, `${Buffer.alloc(32, 9).toString('base64')}\n`, { mode: 0o600 });
    await expect(startMaster({ args: ['--db', db.url, '--cluster-key-file', otherKey] })).rejects.toThrow(
      /cluster key file .*other\.key holds key [0-9a-f]{16}, but this database's secrets are sealed with cluster key [0-9a-f]{16}.*copy the key file from an instance of the cluster/,
    );
  }, 60_000);

  it('takes the database password from --db-password-file, and warns about one in the URL', async () => {
    const db = await freshMariadb();
    cleanup.push(db.drop);
    const name = new URL(db.url).pathname.slice(1);
    const admin = await createConnection({ uri: db.url });
    await admin.query(`create user if not exists 'fd_cs_pw'@'%' identified by 'from-a-file'`);
    await admin.query(`grant all on \`${name}\`.* to 'fd_cs_pw'@'%'`);
    cleanup.push(async () => {
      await admin.query(`drop user if exists 'fd_cs_pw'@'%'`);
      await admin.end();
    });
    const url = new URL(db.url);
    url.username = 'fd_cs_pw';
    const passwordFile = join(tempDir(), 'db-password');
    writeFileSync(passwordFile, 'from-a-file\n', { mode: 0o600 });
    const fromFile = await startMaster({ args: ['--db', url.href, '--db-password-file', passwordFile] });
    cleanup.push(() => fromFile.proc.stop());
    expect((await fromFile.client.health({})).database.dialect).toBe('mariadb');
    expect(fromFile.proc.output()).not.toMatch(/password is in the --db URL/);
    const fromEnv = await startMaster({ args: ['--db', url.href], env: { FLEETDECK_DB_PASSWORD: 'from-a-file' } });
    cleanup.push(() => fromEnv.proc.stop());
    url.password = 'from-a-file';
    const inUrl = await startMaster({ args: ['--db', url.href] });
    cleanup.push(() => inUrl.proc.stop());
    expect(inUrl.proc.output()).toMatch(/the database password is in the --db URL, where ps and unit files show it/);
  }, 60_000);
});
