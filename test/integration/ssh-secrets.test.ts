// SSH state across versions and key rotations, with the real master process, CLI and a real sshd: a
// data dir an older FleetDeck left (known_hosts, ssh-credentials.json sealed by secret.key) is imported
// at the first start — once — and its credential installs an agent with no key to confirm; then
// `fleetdeck cluster-key rotate` runs beside the live master, re-sealing in the database, and the same
// credential still works.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract/contract.js';
import { readKeyFile } from '../../main/core/secrets/key-file.js';
import { FileKeySecretBox, keyIdOf } from '../../main/core/secrets/secret-box.js';
import { MASTER_ENTRY, type MasterHandle, startMaster, tempDir, waitFor } from '../helpers/processes.js';
import { hasSshd, TestSshd } from '../helpers/sshd.js';

type Job = OutputOf<'getBootstrap'>;

describe.runIf(hasSshd())('SSH secrets from an older data dir and across a key rotation', () => {
  const sshd = new TestSshd();
  const dataDir = tempDir('fleetdeck-legacy-');
  const installDir = join(tempDir('fleetdeck-legacy-install-'), 'agent');
  let master: MasterHandle;

  const installWith = async (credentialId: string): Promise<Job> => {
    const started = await master.reply('startBootstrap', {
      hosts: [{ host: '127.0.0.1', port: sshd.port, username: sshd.username, name: 'legacy-host' }],
      auth: { credentialId },
      installDir,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return waitFor(
      async () => {
        const job = await master.client.getBootstrap({ id: started.body.id });
        return job.finishedAt ? job : undefined;
      },
      'the install',
      90_000,
    );
  };
  const credentialRows = () => {
    const raw = new Sqlite(join(dataDir, 'fleetdeck.db'), { readonly: true });
    try {
      return raw.prepare('select id, sealed from ssh_credentials').all() as Array<{ id: string; sealed: string }>;
    } finally {
      raw.close();
    }
  };

  beforeAll(async () => {
    await sshd.start();
    // What FleetDeck wrote before the store held these: a data-dir key and two files.
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'secret.key'), Buffer.alloc(32, 3), { mode: 0o600 });
    const legacy = new FileKeySecretBox(join(dataDir, 'secret.key'));
    const hostKey = readFileSync(join(sshd.dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dataDir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${hostKey}\n`, { mode: 0o600 });
    execFileSync('ssh-keygen', ['-H', '-f', join(dataDir, 'known_hosts')], { stdio: 'pipe' });
    writeFileSync(
      join(dataDir, 'ssh-credentials.json'),
      JSON.stringify([
        {
          id: 'old-credential',
          name: 'from before',
          kind: 'key',
          createdAt: 1_700_000_000_000,
          sealed: legacy.seal(JSON.stringify({ privateKey: sshd.userKey.privateKey })),
        },
      ]),
      { mode: 0o600 },
    );
    master = await startMaster({ dataDir });
  });

  afterAll(async () => {
    try {
      execFileSync('pkill', ['-f', installDir]);
    } catch {}
    await master?.proc.stop();
    await sshd.stop();
  });

  it('imports the old files at the first start, once, and their credential and host key work', async () => {
    expect(await master.client.listSshCredentials({})).toEqual([
      { id: 'old-credential', name: 'from before', kind: 'key', createdAt: 1_700_000_000_000 },
    ]);
    expect((await master.client.listKnownHosts({})).map((k) => k.fingerprint)).toEqual([sshd.hostKeyFingerprint]);
    for (const name of ['known_hosts', 'ssh-credentials.json']) {
      expect(existsSync(join(dataDir, name))).toBe(false);
      expect(existsSync(join(dataDir, `${name}.imported`))).toBe(true);
    }
    expect(JSON.stringify(credentialRows())).not.toContain('PRIVATE KEY');
    const job = await installWith('old-credential');
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');

    await master.proc.stop();
    master = await startMaster({ dataDir });
    expect(await master.client.listSshCredentials({})).toHaveLength(1);
    expect(await master.client.listKnownHosts({})).toHaveLength(1);
  }, 120_000);

  it('cluster-key rotate beside the running master re-seals every secret; the credential still works', async () => {
    const before = keyIdOf(readKeyFile(join(dataDir, 'cluster.key'))[0] as Buffer);
    const rotate = spawnSync(process.execPath, [MASTER_ENTRY, 'cluster-key', 'rotate', '--data-dir', dataDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(rotate.status, rotate.stderr).toBe(0);
    const keys = readKeyFile(join(dataDir, 'cluster.key')).map(keyIdOf);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(before);
    // The saved SSH credential and the gateway's TLS key (sealed since certificates live in the store).
    expect(rotate.stdout).toContain(`Rotated the cluster key: ${before} → ${keys[0]}; 2 sealed secret(s) re-sealed`);
    expect(credentialRows().every((r) => r.sealed.startsWith(`fdk1.${keys[0]}.`))).toBe(true);
    const job = await installWith('old-credential');
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
  }, 120_000);

  it('cluster-key rotate with a key file that is not the database’s refuses, saying so', () => {
    const other = join(tempDir(), 'other.key');
    writeFileSync(other, `${Buffer.alloc(32, 5).toString('base64')}\n`, { mode: 0o600 });
    const rotate = spawnSync(
      process.execPath,
      [MASTER_ENTRY, 'cluster-key', 'rotate', '--data-dir', dataDir, '--cluster-key-file', other],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(rotate.status).toBe(2);
    expect(rotate.stderr).toMatch(/does not hold this database's cluster key [0-9a-f]{16}: rotate with the key file/);
  });
});
