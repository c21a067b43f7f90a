// The master as a product: the standalone executable (scripts/build-master.mjs) copied alone to a
// directory of its own runs a master on SQLite without the checkout or Node.js's modules — health,
// the UI, the install script naming the standalone agent it serves; and its .deb installs on a host
// of its own (dpkg, no systemd here: the package says how to start it), creates the `fleetdeck` user
// and /var/lib/fleetdeck, and the master it installed answers from that host as that user.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstallHost } from '../helpers/install-host.js';
import { hasNetns } from '../helpers/netns.js';
import { buildMasterPackage, ensureStandaloneMaster, hasCommand, STANDALONE_MASTER_DIR } from '../helpers/packages.js';
import { Proc, requireBuild, tempDir, waitFor } from '../helpers/processes.js';

let masterDir: string;

beforeAll(() => {
  requireBuild();
  ensureStandaloneMaster();
  masterDir = join(tempDir('fleetdeck-product-'), 'fleetdeck');
  execFileSync('cp', ['-a', STANDALONE_MASTER_DIR, masterDir]);
}, 120_000);

describe('the standalone master', () => {
  let proc: Proc;
  afterAll(async () => {
    await proc?.stop('SIGTERM');
  });

  it('runs a master on SQLite from a directory of its own: health, the UI and the agent it serves', async () => {
    const dataDir = tempDir('fleetdeck-product-data-');
    // No checkout: another working directory, no NODE_PATH, a PATH without node.
    proc = new Proc(
      spawn(
        join(masterDir, 'fleetdeck'),
        ['master', '--data-dir', dataDir, '--admin-listen', '127.0.0.1:0', '--agent-listen', '127.0.0.1:0'],
        {
          cwd: dataDir,
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    const ready = JSON.parse(await proc.waitForLine(/"msg":"master ready"/, 30_000)) as {
      adminUrl: string;
      agentPort: number;
    };
    expect(proc.output()).not.toContain('Warning');
    const health = (await (await fetch(new URL('/api/health', ready.adminUrl))).json()) as {
      ok: boolean;
      database: { dialect: string };
    };
    expect(health).toMatchObject({ ok: true, database: { dialect: 'sqlite' } });
    const page = await (await fetch(ready.adminUrl)).text();
    expect(page).toContain('<div id="root">');
    const script = /src="\/?(assets\/[^"]+\.js)"/.exec(page)?.[1] as string;
    const asset = await fetch(new URL(script, ready.adminUrl));
    expect(asset.status).toBe(200);
    // The gateway serves the install script with the standalone agent beside the executable.
    const sums = execFileSync('curl', ['-fsSk', `https://127.0.0.1:${ready.agentPort}/agent/SHA256SUMS`], {
      encoding: 'utf8',
    });
    expect(sums).toContain(`fleetdeck-agent-linux-${process.arch}`);
    expect(sums).toContain('fleetdeck-agent.cjs');
  }, 60_000);
});

describe.runIf(hasNetns() && hasCommand('dpkg-deb'))('the master .deb', () => {
  let host: InstallHost;
  afterAll(async () => {
    await host?.destroy();
  });

  it('installs the master, its user and data directory; the installed master answers', async () => {
    const deb = buildMasterPackage(tempDir('fleetdeck-master-deb-'));
    host = new InstallHost(undefined, { dpkg: true });
    await host.start();
    const installed = await host.sh(`dpkg -i ${deb}`);
    expect(installed.code, installed.out).toBe(0);
    expect(installed.out).toContain('created the system user fleetdeck');
    expect(installed.out).toContain('no systemd on this host, so the master was not started');
    const uid = host.uidOf('fleetdeck');
    expect(uid).not.toBeNull();
    const data = statSync(host.path('/var/lib/fleetdeck'));
    expect([data.uid, data.mode & 0o777]).toEqual([uid, 0o750]);
    expect(readFileSync(host.path('/etc/fleetdeck/master.env'), 'utf8')).toContain('FLEETDECK_MASTER_ARGS=');
    expect((await host.sh('readlink /usr/bin/fleetdeck')).out.trim()).toBe('/opt/fleetdeck/fleetdeck');
    expect((await host.sh('test -f /usr/lib/systemd/system/fleetdeck.service')).code).toBe(0);

    // Started the way the package says, as its user, reachable on the host's address.
    const address = host.veth.peerAddress;
    const started = await host.sh(
      `setsid runuser -u fleetdeck -- /usr/bin/fleetdeck master --data-dir /var/lib/fleetdeck --admin-listen ${address}:7080 --agent-listen ${address}:7443 >/var/lib/fleetdeck/master.log 2>&1 </dev/null &`,
    );
    expect(started.code, started.out).toBe(0);
    const health = await waitFor(
      async () => {
        try {
          return (await (await fetch(`http://${address}:7080/api/health`)).json()) as { ok: boolean };
        } catch {
          return null;
        }
      },
      'the installed master to answer',
      30_000,
    );
    expect(health.ok).toBe(true);
    expect(statSync(host.path('/var/lib/fleetdeck/fleetdeck.db')).uid).toBe(uid);

    // Purge keeps the data (the database is not the package's to throw away) and removes the rest.
    for (const pid of host.pids()) if (/fleetdeck master/.test(host.commandLine(pid))) process.kill(pid, 'SIGTERM');
    await waitFor(
      () => !host.pids().some((pid) => /fleetdeck master/.test(host.commandLine(pid))),
      'the master to stop',
      15_000,
    );
    const purged = await host.sh('dpkg --purge fleetdeck');
    expect(purged.code, purged.out).toBe(0);
    expect(purged.out).toContain('kept the data in /var/lib/fleetdeck');
    expect(host.uidOf('fleetdeck')).toBeNull();
    expect(
      (await host.sh('test -e /opt/fleetdeck || test -e /usr/bin/fleetdeck || test -e /etc/fleetdeck')).code,
    ).not.toBe(0);
  }, 90_000);
});
