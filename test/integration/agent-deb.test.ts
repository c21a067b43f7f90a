// The agent's .deb end to end on a host of its own (test/helpers/install-host.ts with a copy of this
// machine's dpkg database): dpkg -i creates the fleetdeck-agent user and its directories and waits
// for enrollment; fleetdeck-agent-setup enrolls with a code and starts it (no systemd here: under the
// package's supervisor, which says so, as the agent's own user); a second package version upgrades
// it in place (the node reconnects, one supervisor); an in-band rollout is refused by the packaged agent
// (it cannot replace its root-owned program) with the reason; dpkg --purge leaves no process, user, file
// or unit.
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { ADMIN_TOKEN } from '../helpers/in-process.js';
import { InstallHost } from '../helpers/install-host.js';
import { hasNetns } from '../helpers/netns.js';
import { buildAgentPackages, ensureStandaloneAgent, hasCommand } from '../helpers/packages.js';
import { AGENT_BUNDLE, requireBuild, tempDir, waitFor } from '../helpers/processes.js';

describe.runIf(hasNetns() && hasCommand('dpkg-deb'))('the agent .deb on a host of its own', () => {
  let host: InstallHost;
  let master: Master;
  let server: AdminServer;
  let api: TestApi;
  let first: string;
  let second: string;

  beforeAll(async () => {
    requireBuild();
    const standalone = ensureStandaloneAgent();
    // The master offers a newer agent than the package's (the same files, named another version).
    const files = tempDir('fleetdeck-deb-offer-');
    const bundle = readFileSync(AGENT_BUNDLE, 'utf8').replace(
      /\bvar VERSION = "[^"]+";/,
      'var VERSION = "9.9.9-offered";',
    );
    writeFileSync(join(files, 'fleetdeck-agent.cjs'), bundle);
    symlinkSync(standalone, join(files, `fleetdeck-agent-linux-${process.arch}`));
    const out = tempDir('fleetdeck-debs-');
    [first] = buildAgentPackages(out, 'deb', '1') as [string];
    [second] = buildAgentPackages(out, 'deb', '2') as [string];
    host = new InstallHost(undefined, { dpkg: true });
    await host.start();
    master = await Master.start({
      dataDir: tempDir('fleetdeck-deb-master-'),
      agentListen: { host: host.veth.hostAddress, port: 0 },
      agentTls: true,
      adminToken: ADMIN_TOKEN,
      agentBundlePath: join(files, 'fleetdeck-agent.cjs'),
      log: silentLogger,
    });
    server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
    const { port } = await server.start();
    api = apiFor({ adminUrl: `http://127.0.0.1:${port}/`, adminToken: ADMIN_TOKEN });
  }, 120_000);

  afterAll(async () => {
    await host?.destroy();
    await server?.stop();
    await master?.stop();
  });

  const agents = () =>
    host.pids().filter((pid) => host.commandLine(pid).startsWith('/opt/fleetdeck-agent/bin/fleetdeck-agent --config'));
  const supervisors = () =>
    new Set(
      host
        .pids()
        .filter((pid) => /supervise\.sh/.test(host.commandLine(pid)))
        .map(sessionOf),
    ).size;

  it('installs, enrolls, runs under the supervisor as its own user, upgrades, refuses an in-band upgrade, and purges to nothing', async () => {
    const installed = await host.sh(`dpkg -i ${first}`);
    expect(installed.code, installed.out).toBe(0);
    expect(installed.out).toContain('created the system user fleetdeck-agent');
    expect(installed.out).toContain('not enrolled yet');
    const uid = host.uidOf('fleetdeck-agent');
    expect(uid).not.toBeNull();
    expect(uid).not.toBe(0);
    expect(agents()).toHaveLength(0);
    expect((await host.sh('test -f /usr/lib/systemd/system/fleetdeck-agent.service')).code).toBe(0);

    const created = await api.client.createEnrollmentCode({ name: 'deb-1' });
    const fingerprint = master.fingerprint as string;
    const setup = await host.sh(
      `/opt/fleetdeck-agent/bin/fleetdeck-agent-setup --master ${master.agentUrl} --ca-fingerprint ${fingerprint} --code ${created.code} --log-max-bytes 65536`,
    );
    expect(setup.code, setup.out).toBe(0);
    expect(setup.out).toContain('enrolled as node "deb-1"');
    expect(setup.out).toContain('no systemd on this host: the agent runs under the FleetDeck supervisor');
    const node = (await api.client.listNodes({})).find((n) => n.name === 'deb-1');
    expect(node).toBeDefined();
    const id = node?.id as string;
    const online = await waitFor(
      async () => {
        const n = await api.client.getNode({ id });
        return n.status === 'online' ? n : null;
      },
      'the packaged agent to connect',
      30_000,
    );
    expect(agents()).toHaveLength(1);
    expect(supervisors()).toBe(1);
    expect(statSync(`/proc/${agents()[0]}`).uid).toBe(uid);
    const config = statSync(host.path('/etc/fleetdeck-agent/agent.yaml'));
    expect([config.mode & 0o777, config.uid]).toEqual([0o640, 0]);
    const token = statSync(host.path('/var/lib/fleetdeck-agent/token'));
    expect([token.mode & 0o777, token.uid]).toEqual([0o600, uid]);
    await waitFor(() => existsSync(host.path('/var/log/fleetdeck-agent/agent.log')), 'the supervisor log', 10_000);

    // The second version replaces the files and restarts the agent: same node, one supervisor.
    const upgraded = await host.sh(`dpkg -i ${second}`);
    expect(upgraded.code, upgraded.out).toBe(0);
    expect(upgraded.out).toContain('stopped the supervisor');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field, not a template
    expect((await host.sh("dpkg-query -W -f='${Version}' fleetdeck-agent")).out).toMatch(/-2$/);
    await waitFor(
      async () => {
        const n = await api.client.getNode({ id });
        return n.status === 'online' && (n.connectedSince ?? 0) > (online.connectedSince ?? 0);
      },
      'the upgraded agent to reconnect',
      30_000,
    );
    expect(agents()).toHaveLength(1);
    expect(supervisors()).toBe(1);
    expect((await api.client.listNodes({})).filter((n) => n.name === 'deb-1')).toHaveLength(1);

    // In-band, the packaged agent refuses: its program is root's. It says why and stays as it is.
    const rollout = await api.client.startAgentRollout({ nodeIds: [id], timeoutSec: 10 });
    const ended = await waitFor(
      async () => {
        const r = await api.client.getAgentRollout({ id: rollout.id });
        return r.state !== 'running' ? r : null;
      },
      'the rollout to end',
      30_000,
    );
    expect(ended.state).toBe('stopped');
    expect(ended.nodes[0]?.state).toBe('failed');
    expect(ended.nodes[0]?.error).toContain('upgrade it with its package manager');
    expect((await api.client.getNode({ id })).status).toBe('online');
    expect(agents()).toHaveLength(1);

    // Purge: the agent stops, and its user, files, state, logs and unit are gone.
    const purged = await host.sh('dpkg --purge fleetdeck-agent');
    expect(purged.code, purged.out).toBe(0);
    expect(purged.out).toContain('removed its user');
    await waitFor(() => agents().length === 0 && supervisors() === 0, 'the agent to stop', 15_000);
    expect(host.uidOf('fleetdeck-agent')).toBeNull();
    expect(readFileSync(host.path('/etc/group'), 'utf8')).not.toMatch(/^fleetdeck-agent:/m);
    for (const path of [
      '/etc/fleetdeck-agent',
      '/var/lib/fleetdeck-agent',
      '/var/log/fleetdeck-agent',
      '/opt/fleetdeck-agent',
    ]) {
      expect(existsSync(host.path(path)), path).toBe(false);
    }
    for (const path of ['/usr/lib/systemd/system/fleetdeck-agent.service', '/usr/share/doc/fleetdeck-agent']) {
      expect((await host.sh(`test -e ${path}`)).code, path).not.toBe(0);
    }
    expect((await host.sh('dpkg -s fleetdeck-agent')).code).not.toBe(0);
    await waitFor(
      async () => (await api.client.getNode({ id })).status === 'offline',
      'the node to go offline',
      30_000,
    );
  }, 120_000);
});

/** The session id of a process (field 6 of /proc/<pid>/stat, after the parenthesized name). */
function sessionOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return -1;
  }
}
