// One-line install end to end: the real master serves GET /install.sh and the agent bundle on its
// gateway; the line from createEnrollmentCode runs as root on a host of its own (network and mount
// namespaces: test/helpers/install-host.ts), which has no systemd or OpenRC, so the script's
// supervisor fallback runs the agent, as its own system user. Then: the code is consumed, a rerun
// (the wget line) changes nothing but restarts the agent, a used code and an expired one are refused.
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { ADMIN_TOKEN } from '../helpers/in-process.js';
import { InstallHost } from '../helpers/install-host.js';
import { hasNetns } from '../helpers/netns.js';
import { requireBuild, tempDir, waitFor } from '../helpers/processes.js';

/** The session id of a process (field 6 of /proc/<pid>/stat, after the parenthesized name). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

describe.runIf(hasNetns())('install.sh on a host of its own', () => {
  let host: InstallHost;
  let master: Master;
  let server: AdminServer;
  let api: TestApi;

  beforeAll(async () => {
    requireBuild();
    host = new InstallHost();
    await host.start();
    master = await Master.start({
      dataDir: tempDir('fleetdeck-install-master-'),
      agentListen: { host: host.veth.hostAddress, port: 0 },
      agentTls: true,
      adminToken: ADMIN_TOKEN,
      log: silentLogger,
    });
    server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
    const { port } = await server.start();
    api = apiFor({ adminUrl: `http://127.0.0.1:${port}/`, adminToken: ADMIN_TOKEN });
  }, 60_000);

  afterAll(async () => {
    await host?.destroy();
    await server?.stop();
    await master?.stop();
  });

  /** Supervisors running: sessions of run.sh processes (its log pipe is a second run.sh of the same one). */
  const supervisors = () =>
    new Set(
      host
        .pids()
        .filter((pid) => /run\.sh$/.test(host.commandLine(pid)))
        .map(sessionOf),
    ).size;
  const agents = () => host.pids().filter((pid) => /fleetdeck-agent\.cjs --config/.test(host.commandLine(pid)));
  const uidOfProcess = (pid: number) => statSync(`/proc/${pid}`).uid;

  it('installs, enrolls and starts the agent from the curl line; reruns change nothing; spent codes are refused', async () => {
    const created = await api.client.createEnrollmentCode({ name: 'edge-1', labels: { env: 'test' } });
    expect(created.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(created.install.curl).toContain('--pinnedpubkey');

    const first = await host.sh(created.install.curl);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('SHA-256 verified');
    expect(first.out).toContain('enrolled as node "edge-1"');

    // The node exists with the code's name and labels, and its agent is connected.
    const nodes = (await api.client.listNodes({})).filter((n) => n.name === 'edge-1');
    expect(nodes).toHaveLength(1);
    const node = nodes[0] as (typeof nodes)[number];
    expect(node.labels).toEqual({ env: 'test' });
    const online = await waitFor(
      async () => {
        const n = await api.client.getNode({ id: node.id });
        return n.status === 'online' ? n : null;
      },
      'the installed agent to connect',
      20_000,
    );

    // The supervisor runs it (no systemd here), as the system user the script created.
    expect(supervisors()).toBe(1);
    expect(agents()).toHaveLength(1);
    const agentUid = host.uidOf('fleetdeck-agent');
    expect(agentUid).not.toBeNull();
    expect(agentUid).not.toBe(0);
    expect(uidOfProcess(agents()[0] as number)).toBe(agentUid);
    for (const file of ['/etc/fleetdeck-agent/agent.yaml', '/etc/fleetdeck-agent/token']) {
      const stat = statSync(host.path(file));
      expect(stat.mode & 0o777, file).toBe(0o600);
      expect(stat.uid, file).toBe(agentUid);
    }

    // The code is spent, and names the node it enrolled.
    const codes = await api.client.listEnrollmentCodes({});
    expect(codes.find((c) => c.id === created.enrollment.id)).toMatchObject({
      uses: 1,
      state: 'used',
      nodeIds: [node.id],
    });

    // Rerun (the wget line this time): same node, same token, one supervisor, the agent back online.
    const again = await host.sh(created.install.wget);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('already installed');
    expect(again.out).toContain('already enrolled');
    await waitFor(
      async () => {
        const n = await api.client.getNode({ id: node.id });
        return n.status === 'online' && (n.connectedSince ?? 0) > (online.connectedSince ?? 0);
      },
      'the restarted agent to connect',
      20_000,
    );
    expect(supervisors()).toBe(1);
    expect(agents()).toHaveLength(1);
    expect((await api.client.listNodes({})).filter((n) => n.name === 'edge-1')).toHaveLength(1);

    // A used code gets a clear refusal, and nothing running is disturbed.
    const reused = await host.sh(`${created.install.curl} --reenroll`);
    expect(reused.code).not.toBe(0);
    expect(reused.out).toContain('already used');
    expect((await api.client.getNode({ id: node.id })).status).toBe('online');

    // An expired code likewise (its end moved into the past in the database, as 15 minutes would).
    const stale = await api.client.createEnrollmentCode({ name: 'edge-2' });
    await master.store.db
      .updateTable('enrollment_codes')
      .set({ expires_at: Date.now() - 1_000 })
      .where('id', '=', stale.enrollment.id)
      .execute();
    const expired = await host.sh(`${stale.install.curl} --reenroll`);
    expect(expired.code).not.toBe(0);
    expect(expired.out).toContain('expired');
    expect((await api.client.listNodes({})).some((n) => n.name === 'edge-2')).toBe(false);
  }, 120_000);
});
