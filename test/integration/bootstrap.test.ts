// Installing agents over SSH against a real OpenSSH sshd on loopback: an unknown host key must be
// confirmed, the agent comes online, running it again converges on the same node, upgrade and
// uninstall work, bad credentials and a changed host key are refused with clear errors. No systemd
// runs here, so the installs use the documented fallback (a supervisor script in its own session).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OutputOf } from '../../main/contract/contract.js';
import { KnownHosts } from '../../main/core/bootstrap/known-hosts.js';
import { SshSession } from '../../main/core/bootstrap/ssh-session.js';
import { openStore } from '../../main/core/store/store.js';
import type { Reply } from '../helpers/api-client.js';
import { type MasterHandle, ROOT, startMaster, tempDir, waitFor, waitForStatus } from '../helpers/processes.js';
import { freePort, hasSshd, keygen, TestSshd } from '../helpers/sshd.js';

/** Command lines of the processes on this machine started from an install directory (ps, not pgrep). */
function processesFrom(dir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(`${dir}/`) && !line.startsWith('ps '));
}

type Job = OutputOf<'getBootstrap'>;

describe.runIf(hasSshd())('SSH bootstrap against a real sshd', () => {
  let master: MasterHandle;
  const sshd = new TestSshd();
  const installDir = join(tempDir('fleetdeck-ssh-install-'), 'agent');
  let nodeId = '';
  const tunnelInstalls: string[] = [];

  const request = (extra: Partial<InputOf<'startBootstrap'>> = {}): InputOf<'startBootstrap'> => ({
    hosts: [{ host: '127.0.0.1', port: sshd.port, username: sshd.username, name: 'ssh-node' }],
    auth: { privateKey: sshd.userKey.privateKey },
    installDir,
    ...extra,
  });
  /** Starts a bootstrap, upgrade or uninstall job and waits for it to finish. */
  const finished = async (start: Promise<Reply<'startBootstrap' | 'upgradeAgent' | 'uninstallAgent'>>) => {
    const started = await start;
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return waitFor(
      async () => {
        const job: Job = await master.client.getBootstrap({ id: started.body.id });
        return job.finishedAt ? job : undefined;
      },
      `bootstrap job ${started.body.id} to finish`,
      90_000,
    );
  };

  beforeAll(async () => {
    await sshd.start();
    master = await startMaster();
  });
  afterAll(async () => {
    for (const dir of [installDir, ...tunnelInstalls]) {
      try {
        execFileSync('pkill', ['-f', dir]);
      } catch {}
    }
    await master?.proc.stop();
    await sshd.stop();
  });

  it('stops at an unknown host key and shows its fingerprint', async () => {
    const job = await finished(master.reply('startBootstrap', request()));
    expect(job.hosts[0]?.status).toBe('failed');
    expect(job.hosts[0]?.message).toContain(sshd.hostKeyFingerprint);
    expect(job.hosts[0]?.message).toMatch(/not known yet/);
  });

  it('installs after the fingerprint is confirmed; the node comes online', async () => {
    const job = await finished(master.reply('startBootstrap', request({ confirmHostKeys: [sshd.hostKeyFingerprint] })));
    const host = job.hosts[0];
    expect(host?.status, host?.message ?? '').toBe('done');
    expect(host?.steps.map((s) => s.step)).toEqual(['connect', 'detect', 'upload', 'configure', 'service', 'online']);
    expect(host?.message).toMatch(/no systemd here/);
    expect((host as unknown as { facts: string }).facts).toMatch(/^Linux \S+, (root|uid \d+).*, no systemd, Node v\d+/);
    nodeId = host?.nodeId as string;
    await waitForStatus(master, nodeId, 'online');
    expect(statSync(join(installDir, 'agent.yaml')).mode & 0o777).toBe(0o600);
    const known = await master.client.listKnownHosts({});
    expect(known.map((k) => k.fingerprint)).toContain(sshd.hostKeyFingerprint);
  });

  it('converges when run again (with a saved credential): same node, new token, online again', async () => {
    const saved = await master.reply('saveSshCredential', {
      name: 'test key',
      auth: { privateKey: sshd.userKey.privateKey },
    });
    expect(saved.status).toBe(201);
    const listed = await master.client.listSshCredentials({});
    expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');
    const job = await finished(master.reply('startBootstrap', request({ auth: { credentialId: saved.body.id } })));
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
    expect(job.hosts[0]?.nodeId).toBe(nodeId);
    const nodes = await master.client.listNodes({});
    expect(nodes.filter((n) => n.name === 'ssh-node')).toHaveLength(1);
    await waitForStatus(master, nodeId, 'online');
  });

  it('upgrades in place and sees the agent reconnect', async () => {
    const job = await finished(
      master.reply('upgradeAgent', { id: nodeId, auth: { privateKey: sshd.userKey.privateKey } }),
    );
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
    expect(existsSync(join(installDir, 'fleetdeck-agent.cjs.prev'))).toBe(true);
  });

  it('refuses a wrong password with a clear error', async () => {
    const job = await finished(master.reply('startBootstrap', request({ auth: { password: 'not-the-password' } })));
    expect(job.hosts[0]?.status).toBe('failed');
    expect(job.hosts[0]?.message).toMatch(/refused the credentials \(password\)/);
  });

  it('refuses a wrong key with a clear error', async () => {
    const wrong = keygen(join(tempDir(), 'other_key'));
    const job = await finished(master.reply('startBootstrap', request({ auth: { privateKey: wrong.privateKey } })));
    expect(job.hosts[0]?.status).toBe('failed');
    expect(job.hosts[0]?.message).toMatch(/refused the credentials/);
  });

  it('uninstalls: stops the agent and its supervisor, removes its files, verifies, revokes its token', async () => {
    expect(processesFrom(installDir).length).toBeGreaterThan(0);
    const job = await finished(
      master.reply('uninstallAgent', { id: nodeId, auth: { privateKey: sshd.userKey.privateKey } }),
    );
    // On the host itself: neither the supervisor script nor the agent is left running.
    expect(processesFrom(installDir)).toEqual([]);
    expect(job.hosts[0]?.status, job.hosts[0]?.message ?? '').toBe('done');
    expect(job.hosts[0]?.steps.map((s) => s.step)).toEqual(['connect', 'detect', 'stop', 'remove', 'verify', 'revoke']);
    expect(existsSync(installDir)).toBe(false);
    await waitForStatus(master, nodeId, 'offline', 15_000);
    const node = await master.client.getNode({ id: nodeId });
    expect(node.revoked).toBe(true);
  });

  it('reverse tunnel: the agent dials the host loopback, carried over SSH; the tunnel comes back after a drop', async () => {
    const tunnelDir = join(tempDir('fleetdeck-ssh-tunnel-'), 'agent');
    tunnelInstalls.push(tunnelDir);
    const remotePort = await freePort();
    const job = await finished(
      master.reply('startBootstrap', {
        hosts: [{ host: 'localhost', port: sshd.port, username: sshd.username, name: 'behind-nat' }],
        auth: { privateKey: sshd.userKey.privateKey },
        confirmHostKeys: [sshd.hostKeyFingerprint],
        installDir: tunnelDir,
        reverseTunnel: { remotePort },
      }),
    );
    const host = job.hosts[0];
    expect(host?.status, host?.message ?? '').toBe('done');
    expect(host?.steps.map((s) => s.step)).toContain('tunnel');
    expect(readFileSync(join(tunnelDir, 'agent.yaml'), 'utf8')).toContain(`wss://127.0.0.1:${remotePort}`);
    const id = host?.nodeId as string;
    await waitForStatus(master, id, 'online');
    const dropped = Date.now();
    sshd.dropSessions();
    await waitFor(
      async () => {
        const node = await master.client.getNode({ id });
        return node.status === 'online' && (node.connectedSince ?? 0) > dropped;
      },
      'the agent to reconnect through the reopened tunnel',
      30_000,
    );
  });

  it('reaches a host through a jump host (ProxyJump), verifying both host keys', async () => {
    const store = await openStore(join(tempDir(), 'jump.db'));
    const known = new KnownHosts(store.db);
    const target = {
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.username,
      jump: { host: 'localhost', port: sshd.port, username: sshd.username },
    };
    const session = await SshSession.connect(target, { privateKey: sshd.userKey.privateKey }, known, {
      confirmed: new Set([sshd.hostKeyFingerprint]),
    });
    try {
      expect((await session.exec('echo via-jump')).stdout).toBe('via-jump\n');
    } finally {
      session.close();
    }
    // Both hops' keys were checked and recorded.
    expect(await known.list()).toHaveLength(2);
    await store.close();
  });

  it('installs the standalone executable on a host without Node.js and it connects', async () => {
    // Built from this checkout's bundle (a few seconds): the host here is x64 like this machine.
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-sea.mjs'), '--arch', process.arch], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const bare = new TestSshd();
    bare.hideNode();
    await bare.start();
    const dir = join(tempDir('fleetdeck-ssh-sea-'), 'agent');
    tunnelInstalls.push(dir);
    try {
      const probe = await bare.run('command -v node || echo no-node');
      expect(probe).toBe('no-node\n');
      const job = await finished(
        master.reply('startBootstrap', {
          hosts: [{ host: '127.0.0.1', port: bare.port, username: bare.username, name: 'no-node-host' }],
          auth: { privateKey: bare.userKey.privateKey },
          confirmHostKeys: [bare.hostKeyFingerprint],
          installDir: dir,
        }),
      );
      const host = job.hosts[0];
      expect(host?.status, host?.message ?? '').toBe('done');
      expect(statSync(join(dir, 'fleetdeck-agent')).mode & 0o111).not.toBe(0);
      expect(existsSync(join(dir, 'fleetdeck-agent.cjs'))).toBe(false);
      await waitForStatus(master, host?.nodeId as string, 'online');
    } finally {
      await bare.stop();
    }
  }, 120_000);

  it('refuses a host whose key changed, loudly', async () => {
    await sshd.stop();
    await sshd.start({ newHostKey: true });
    const job = await finished(master.reply('startBootstrap', request()));
    expect(job.hosts[0]?.status).toBe('failed');
    expect(job.hosts[0]?.message).toMatch(/HAS CHANGED/);
  });
});
